"""Reservation pages: the one-page booking form with its live panel, the reservation page and its actions, the list."""
from datetime import timedelta

from flask import flash, render_template, request, url_for

from app.auth import requires
from app.core.errors import Conflict, DomainError, NotFound, PermissionDenied, RuleViolation
from app.models import ReservationStatus, Role, ServiceCategory
from app.services import availability, billing, catalog, customers, kennels, pricing, reservations
from app.services.compliance import tenant_today
from app.tenancy import current_tenant
from app.web.admin import local_time
from app.web.booking_form import LABELS, Reader, booking_input, check_in_input
from app.web.common import form_version, is_htmx, navigate, page_blueprint

bp = page_blueprint("reservation_pages", __name__, url_prefix="/reservations")
PAGE_SIZE = 25
# What an action form may show next to its fields; a wrong id (NotFound) stays a 404 page.
ACTION_ERRORS = (RuleViolation, Conflict, PermissionDenied)
ACTIONS = {"CONFIRMED": "Confirm", "CHECKED_IN": "Check in", "CHECKED_OUT": "Check out", "CANCELLED": "Cancel",
           "NO_SHOW": "No-show"}


def _common() -> dict:
    return {"labels": LABELS, "actions": ACTIONS, "errors": {}, "message": None}


# --- the one-page booking form ------------------------------------------------------------------


def _services():
    services, _ = catalog.list_services(active=True)
    return services


def _household(customer_id):
    """The customer's cached detail with only active pets, or None (and the reason) when there is none here."""
    if customer_id is None:
        return None
    detail = customers.customer_detail(customer_id=customer_id)
    return {**detail, "pets": [p for p in detail["pets"] if p.get("active", True)]}


def _panel(data: dict, errors: dict | None = None, message: str | None = None, form=None) -> dict:
    """Everything the live panel shows for what is typed so far: kennels per pet, add-ons, price, vaccine warnings."""
    ctx = {"data": data, "errors": dict(errors or {}), "message": message, "form": form or request.form,
           "service": None, "available": None, "quote": None, "warnings": [], "addons": [], "pets": [],
           "notice": None}
    problems = ctx["errors"]

    def attempt(fn):
        try:
            return fn()
        except DomainError as exc:
            for field, msgs in (exc.errors or {"form": [exc.message]}).items():
                for msg in msgs if isinstance(msgs, list) else [msgs]:
                    if msg not in problems.setdefault(field, []):
                        problems[field].append(msg)
            return None

    service = next((s for s in _services() if s.id == data.get("service_id")), None)
    if data.get("service_id") and service is None:
        problems.setdefault("service_id", ["No such service."])
    ctx["service"] = service
    if service is not None:
        ctx["addons"], _ = catalog.list_addons(active=True, service_id=service.id)
    household = attempt(lambda: _household(data.get("customer_id")))
    chosen = [line["pet_id"] for line in data.get("pets", [])]
    if household is not None:
        ctx["pets"] = [p for p in household["pets"] if p["id"] in set(chosen)]
    if service is None or data.get("start_date") is None or not chosen:
        ctx["notice"] = "Pick a customer and pets, a service and dates to see free kennels and the price."
        return ctx
    end = data.get("end_date")
    if service.needs_kennel:
        ctx["available"] = attempt(lambda: availability.check_availability(
            service_id=service.id, start_date=data["start_date"], end_date=end, pet_ids=chosen))
    ctx["quote"] = attempt(lambda: pricing.quote_stay(
        service_id=service.id, start_date=data["start_date"], end_date=end,
        pets=[{"pet_id": p} for p in chosen], addons=data.get("addons", [])))
    if ctx["quote"] is not None:
        pets = attempt(lambda: availability.load_pets(chosen, field="pets"))
        if pets:
            ctx["warnings"] = reservations.vaccine_warnings(ServiceCategory(service.category), pets,
                                                            data["start_date"], ctx["quote"].end_date)
    return ctx


def _new_context(values: dict, data: dict, **panel) -> dict:
    household = None
    try:
        household = _household(data.get("customer_id"))
    except NotFound:
        panel.setdefault("errors", {}).setdefault("customer_id", ["No such customer."])
    return {**_common(), "services": _services(), "values": values, "household": household,
            "chosen_pets": {str(p["pet_id"]) for p in data.get("pets", [])}, "panel": _panel(data, **panel)}


@bp.get("/new")
@requires(Role.STAFF)
def new():
    """The booking form, prefilled from the grid or a household page (customer_id, kennel_id, start_date)."""
    read = Reader(request.args)
    customer_id, kennel_id, start = read.uuid("customer_id"), read.uuid("kennel_id"), read.date("start_date")
    services = _services()
    kennel_service = next((s for s in services if s.needs_kennel and s.category == ServiceCategory.BOARDING), None)
    values = {"customer_id": customer_id, "kennel_id": kennel_id or "",
              "service_id": kennel_service.id if kennel_id and kennel_service else "",
              "start_date": start or "", "end_date": (start + timedelta(days=1)) if start and kennel_id else "",
              "confirm": True}
    data = {"customer_id": customer_id, "service_id": values["service_id"] or None, "start_date": start,
            "end_date": values["end_date"] or None, "pets": [], "addons": []}
    return render_template("reservations/new.html", **_new_context(values, data, errors=read.errors))


@bp.get("/new/customers")
@requires(Role.STAFF)
def find_customers():
    """Live customer search for the booking form: each result picks that household."""
    q = request.args.get("q", "").strip()
    found, total = customers.list_customers(page=1, page_size=10, q=q, active=True) if q else ([], 0)
    return render_template("reservations/_customer_results.html", customers=found, total=total, q=q,
                           kennel_id=request.args.get("kennel_id", ""))


@bp.get("/new/household")
@requires(Role.STAFF)
def household():
    """The picked household's pets as checkboxes (and a refresh of the panel)."""
    read = Reader(request.args)
    customer_id = read.uuid("customer_id")
    read.check()
    detail = _household(customer_id)  # another tenant's id: NotFound (404); none: the "search above" hint
    return render_template("reservations/_household.html", household=detail, chosen_pets=set(),
                           values={"kennel_id": request.args.get("kennel_id", "")}, **_common())


@bp.post("/new/panel")
@requires(Role.STAFF)
def panel():
    """The live panel: re-rendered by htmx on every change of the booking form, nothing saved."""
    data, read = booking_input(request.form, partial=True)
    return render_template("reservations/_panel.html", panel=_panel(data, errors=read.errors), **_common())


@bp.post("")
@requires(Role.STAFF)
def create():
    """Book: the server re-checks and re-prices everything; errors come back in the panel naming the field."""
    data, read = booking_input(request.form)
    try:
        read.check()
        booked = reservations.book_stay(**data)
    except (*ACTION_ERRORS, NotFound) as exc:
        errors = exc.errors or {"form": [exc.message]}
        if is_htmx():
            return render_template("reservations/_panel.html", **_common(),
                                   panel=_panel(data, errors=errors, message=exc.message)), exc.status_code
        values = {k: request.form.getlist(k)[-1] for k in request.form}
        return render_template("reservations/new.html", **_new_context(values, data, errors=errors,
                                                                       message=exc.message)), exc.status_code
    flash(f"Booked: confirmation {booked.reservation.confirmation_code}.", "success")
    return navigate(url_for("reservation_pages.show", reservation_id=booked.reservation.id))


# --- the list -----------------------------------------------------------------------------------


@bp.get("")
@requires(Role.STAFF)
def index():
    """Reservations overlapping a date range, by status, or one confirmation code."""
    read = Reader(request.args)
    start, end = read.date("start_date"), read.date("end_date")
    code = read.text("code")
    status = read.text("status")
    if status and status not in ReservationStatus.__members__:
        read.errors["status"] = ["Choose a status from the list."]
    page = max(1, request.args.get("page", 1, type=int))
    rows, total = [], 0
    if not read.errors:
        rows, total = reservations.list_reservations(start_date=start, end_date=end, status=status or None,
                                                     confirmation_code=code or None, page=page, page_size=PAGE_SIZE)
    at_least = reservations.total_is_floor(total, page=page, page_size=PAGE_SIZE)
    context = {**_common(), "rows": rows, "total": total, "at_least": at_least, "page": page, "page_size": PAGE_SIZE,
               "errors": read.errors, "statuses": list(ReservationStatus),
               "filters": {"start_date": start or "", "end_date": end or "", "status": status, "code": code}}
    template = "reservations/_list.html" if request.headers.get("HX-Target") == "reservation-results" \
        else "reservations/index.html"
    return render_template(template, **context), 422 if read.errors else 200


# --- one reservation ----------------------------------------------------------------------------


def timeline(r) -> list[tuple[str, str, str, str]]:
    """(event, when in the resort's timezone, who, detail) in the order they happened; only the ones that did."""
    events = [("Created", r.created_at, r.created_by, r.source.value.lower()),
              ("Confirmed", r.confirmed_at, r.confirmed_by, ""),
              ("Checked in", r.checked_in_at, r.checked_in_by, ""),
              ("Checked out", r.checked_out_at, r.checked_out_by, ""),
              ("Cancelled", r.cancelled_at, r.cancelled_by, r.cancel_reason),
              ("No-show", r.no_show_at, r.no_show_by, "")]
    zone = current_tenant().timezone
    happened = sorted((e for e in events if e[1] is not None), key=lambda e: e[1])
    return [(event, local_time(at, zone), who, detail)
            for event, at, who, detail in happened]


def _show_context(r, **extra) -> dict:
    from app.web.billing import panel_context

    active_kennels, _ = kennels.list_kennels(active=True)
    allowed = reservations.allowed_actions(r)
    if "billing" not in extra:
        extra["billing"] = panel_context(r.id)
    if "CANCELLED" in allowed:  # the clerk sees what happens to the money before confirming
        extra.setdefault("cancel_preview", billing.cancellation_preview(reservation_id=r.id))
    return {**_common(), "r": r, "allowed": allowed, "timeline": timeline(r),
            "segments": reservations.kennel_segments(r), "kennels": active_kennels, "services": _services(),
            "warnings": _stay_warnings(r), "today": tenant_today(), **extra}


def _stay_warnings(r) -> list[dict]:
    if ReservationStatus(r.status) not in (ReservationStatus.PENDING, ReservationStatus.CONFIRMED):
        return []
    return reservations.vaccine_warnings(r.service.category, [line.pet for line in r.pets],
                                         max(tenant_today(), r.start_date), r.end_date)


@bp.get("/<uuid:reservation_id>")
@requires(Role.STAFF)
def show(reservation_id):
    """Details, pets and kennels, the price sold, the timeline and only the actions the status allows."""
    r = reservations.get_reservation(reservation_id=reservation_id)
    return render_template("reservations/show.html", **_show_context(r))


def _done(reservation_id, message: str):
    """After an action: the today board re-rendered in place when it came from there, else the reservation page."""
    if request.form.get("from") == "board" and is_htmx():
        from app.web.boards import today_context

        day = Reader(request.form).date("day")
        return (render_template("boards/_today.html", **{**today_context(day), "done": message}), 200,
                {"HX-Retarget": "#today", "HX-Reswap": "outerHTML"})
    flash(message, "success")
    return navigate(url_for("reservation_pages.show", reservation_id=reservation_id))


def _action_error(template: str, reservation_id, exc: DomainError, **extra):
    """The action's form again with its errors (422/409/403), in place for htmx, inside the page otherwise."""
    r = reservations.get_reservation(reservation_id=reservation_id)
    context = {**_show_context(r), "errors": exc.errors or {}, "message": exc.message, "form": request.form,
               "from_board": request.form.get("from") == "board", "day": request.form.get("day", ""), **extra}
    if r is not None and request.form.get("from") == "board":
        context["entry_warnings"] = context["warnings"]
    if is_htmx():
        return render_template(template, **context), exc.status_code
    return render_template("reservations/show.html", failed=template, **context), exc.status_code


def _simple_action(reservation_id, action: str, change, done: str):
    """A status change with no fields (confirm, no-show): the result, or the form with the refusal."""
    reservations.get_reservation(reservation_id=reservation_id)
    try:
        r = change(reservation_id=reservation_id, expected_version=form_version())
    except ACTION_ERRORS as exc:
        return _action_error("reservations/_simple_action.html", reservation_id, exc, action=action)
    return _done(reservation_id, f"{r.confirmation_code} {done}.")


@bp.post("/<uuid:reservation_id>/confirm")
@requires(Role.STAFF)
def confirm(reservation_id):
    """PENDING -> CONFIRMED."""
    return _simple_action(reservation_id, "CONFIRMED", reservations.confirm, "confirmed")


@bp.post("/<uuid:reservation_id>/no-show")
@requires(Role.STAFF)
def no_show(reservation_id):
    """PENDING/CONFIRMED -> NO_SHOW (only once the arrival time has passed)."""
    return _simple_action(reservation_id, "NO_SHOW", reservations.no_show, "marked as a no-show")


@bp.post("/<uuid:reservation_id>/cancel")
@requires(Role.STAFF)
def cancel(reservation_id):
    """Cancel with a reason (required); the places are released."""
    reservations.get_reservation(reservation_id=reservation_id)
    try:
        r = reservations.cancel(reservation_id=reservation_id, expected_version=form_version(),
                                reason=request.form.get("reason", ""))
    except ACTION_ERRORS as exc:
        return _action_error("reservations/_cancel_form.html", reservation_id, exc)
    return _done(reservation_id, f"{r.confirmation_code} cancelled.")


@bp.post("/<uuid:reservation_id>/check-in")
@requires(Role.STAFF)
def check_in(reservation_id):
    """Check in: belongings, medications for the stay, feeding confirmed, notes; vaccines gate unless overridden."""
    reservations.get_reservation(reservation_id=reservation_id)
    try:
        r = reservations.check_in(reservation_id=reservation_id, expected_version=form_version(),
                                  **check_in_input(request.form))
    except ACTION_ERRORS as exc:
        return _action_error("reservations/_check_in_form.html", reservation_id, exc)
    return _done(reservation_id, f"{', '.join(line.pet.name for line in r.pets)} checked in.")


@bp.post("/<uuid:reservation_id>/check-out")
@requires(Role.STAFF)
def check_out(reservation_id):
    """Check out: belongings confirmed returned, notes; billing issues the invoice, then payment is taken here."""
    names = ", ".join(line.pet.name for line in reservations.get_reservation(reservation_id=reservation_id).pets)
    try:
        reservations.check_out(reservation_id=reservation_id, expected_version=form_version(),
                                   belongings_returned=Reader(request.form).flag("belongings_returned"),
                                   notes=request.form.get("notes", ""))
    except ACTION_ERRORS as exc:
        return _action_error("reservations/_check_out_form.html", reservation_id, exc)
    done = f"{names} checked out."
    if request.form.get("from") == "board" and is_htmx():  # settle up on the same screen
        from app.web.billing import settle_on_board

        return settle_on_board(reservation_id, 200, done=done)
    flash(done, "success")
    return navigate(url_for("reservation_pages.show", reservation_id=reservation_id) + "#billing")


def _edit_changes(r) -> dict:
    """Only the fields the clerk changed (an untouched stay is not re-priced at today's catalog)."""
    read = Reader(request.form)
    typed = {"service_id": read.uuid("service_id"), "start_date": read.date("start_date"),
             "end_date": read.date("end_date"), "arrival_time": read.time("arrival_time"),
             "departure_time": read.time("departure_time")}
    read.check()
    current = {"service_id": r.service_id, "start_date": r.start_date, "end_date": r.end_date,
               "arrival_time": r.arrival_time, "departure_time": r.departure_time}
    changes = {k: v for k, v in typed.items() if k in request.form and v != current[k]}
    if "notes" in request.form and request.form["notes"].strip() != (r.notes or ""):
        changes["notes"] = request.form["notes"]
    if read.text("vaccine_override_reason"):
        changes["vaccine_override_reason"] = read.text("vaccine_override_reason")
    return changes


@bp.post("/<uuid:reservation_id>/preview")
@requires(Role.STAFF)
def preview(reservation_id):
    """The re-priced preview of an edit: current and proposed totals, nothing saved."""
    r = reservations.get_reservation(reservation_id=reservation_id)
    try:
        changes = _edit_changes(r)
        result = reservations.preview_update(reservation_id=reservation_id, **changes) if changes else None
    except ACTION_ERRORS as exc:
        return render_template("reservations/_preview.html", result=None, errors=exc.errors or {},
                               message=exc.message, labels=LABELS), exc.status_code
    return render_template("reservations/_preview.html", result=result, errors={}, message=None, labels=LABELS)


@bp.post("/<uuid:reservation_id>/edit")
@requires(Role.STAFF)
def update(reservation_id):
    """Save an edit (re-checked and re-priced by the server), refusing a form opened on an older version."""
    r = reservations.get_reservation(reservation_id=reservation_id)
    try:
        changes = _edit_changes(r)
        if changes:
            reservations.update_reservation(reservation_id=reservation_id, expected_version=form_version(), **changes)
    except ACTION_ERRORS as exc:
        return _action_error("reservations/_edit_form.html", reservation_id, exc)
    return _done(reservation_id, "Saved." if changes else "Nothing changed.")


@bp.post("/<uuid:reservation_id>/move")
@requires(Role.STAFF)
def move(reservation_id):
    """Move one pet to another kennel from a night on."""
    reservations.get_reservation(reservation_id=reservation_id)
    read = Reader(request.form)
    try:
        pet_id, kennel_id, from_date = read.uuid("pet_id"), read.uuid("kennel_id"), read.date("from_date")
        read.need("pet_id", pet_id, "Choose the pet to move.")
        read.need("kennel_id", kennel_id, "Choose a kennel.")
        read.check()
        reservations.move_pet(reservation_id=reservation_id, pet_id=pet_id, kennel_id=kennel_id,
                              from_date=from_date, expected_version=form_version())
    except ACTION_ERRORS as exc:
        return _action_error("reservations/_move_form.html", reservation_id, exc)
    return _done(reservation_id, "Moved.")

