"""Kennel pages: the status board staff flip in one click, and the manager's inventory (bulk create A01-A20)."""
import marshmallow as ma
from flask import Response, flash, redirect, render_template, request, url_for

from app.auth import requires
from app.core.errors import Conflict, DomainError, RuleViolation
from app.models import KennelSize, KennelStatus, KennelType, Role
from app.schemas.kennels import KennelBulkSchema, KennelCreateSchema, KennelStatusChangeSchema, KennelUpdateSchema
from app.services import kennels
from app.web.common import FORM_ERRORS, is_htmx, load_form, page_blueprint, posted_values

bp = page_blueprint("kennel_pages", __name__, url_prefix="/kennels")
CHOICES = {"types": list(KennelType), "sizes": list(KennelSize), "statuses": list(KennelStatus)}
NEW_KENNEL = {"type": "RUN", "size": "M", "capacity": "1", "sort_order": "0", "active": True}
NEW_BULK = {"prefix": "A", "start": "1", "end": "20", "type": "RUN", "size": "M", "capacity": "1"}


def kennel_values(kennel) -> dict:
    """A kennel as form input values."""
    return {"code": kennel.code, "name": kennel.name, "type": kennel.type.value, "size": kennel.size.value,
            "min_weight_kg": kennel.min_weight_kg or "", "max_weight_kg": kennel.max_weight_kg or "",
            "capacity": kennel.capacity, "location": kennel.location, "sort_order": kennel.sort_order,
            "active": kennel.active}


def _render(template: str, **context) -> str:
    return render_template(template, **{"errors": {}, "message": None, **CHOICES, **context})


def _form_error(template: str, exc: DomainError, **context):
    """Re-render a kennel form with its field errors and typed values (422, or 409 for a taken code)."""
    return render_template(template, errors=exc.errors or {}, message=exc.message, values=posted_values(),
                           **CHOICES, **context), exc.status_code


# --- the status board (staff) -------------------------------------------------------------------


@bp.get("/board")
@requires(Role.STAFF)
def board():
    """Every active kennel as a card with one-click status buttons, grouped by location."""
    rows, _ = kennels.list_kennels(active=True)
    return _render("kennels/board.html", kennels=rows)


@bp.post("/<uuid:kennel_id>/status")
@requires(Role.STAFF)
def change_status(kennel_id):
    """Flip a kennel's status (the clicked button's value) with an optional note; returns its card or row."""
    view = "kennels/_row.html" if request.form.get("view") == "row" else "kennels/_card.html"
    data = {k: v for k, v in request.form.items() if k in ("status", "note")}
    back = url_for("kennel_pages.index" if view == "kennels/_row.html" else "kennel_pages.board")
    try:
        kennel = kennels.change_kennel_status(kennel_id=kennel_id, **KennelStatusChangeSchema().load(data))
    except (ma.ValidationError, RuleViolation) as exc:
        errors = exc.messages if isinstance(exc, ma.ValidationError) else exc.errors
        if not is_htmx():
            flash("The status was not changed: choose in service, cleaning or maintenance.", "error")
            return redirect(back)
        return _render(view, kennel=kennels.get_kennel(kennel_id=kennel_id), errors=errors,
                       message="The status was not changed."), 422
    if not is_htmx():  # a plain form post (htmx not loaded yet): back to the page it came from
        return redirect(back)
    return _render(view, kennel=kennel)


# --- inventory (managers) -----------------------------------------------------------------------


@bp.get("")
@requires(Role.MANAGER)
def index():
    """Every kennel with status toggles, edit and remove; forms to add one or a numbered run."""
    rows, _ = kennels.list_kennels()
    return _render("kennels/index.html", kennels=rows, kennel=None, values=NEW_KENNEL, bulk_values=NEW_BULK)


@bp.post("")
@requires(Role.MANAGER)
def create():
    """Add one kennel."""
    try:
        kennel = kennels.create_kennel(**load_form(KennelCreateSchema()))
    except FORM_ERRORS as exc:
        return _form_error("kennels/_form.html", exc, kennel=None)
    return _render("kennels/_created.html", created=[kennel], kennel=None, values=NEW_KENNEL)


@bp.post("/bulk")
@requires(Role.MANAGER)
def create_bulk():
    """Add a numbered run, e.g. A01..A20, all or none."""
    try:
        created = kennels.create_kennels_bulk(**load_form(KennelBulkSchema()))
    except (RuleViolation, Conflict) as exc:
        return render_template("kennels/_bulk_form.html", errors=exc.errors or {}, message=exc.message,
                               bulk_values=posted_values(), **CHOICES), exc.status_code
    return _render("kennels/_bulk_created.html", created=created, bulk_values=NEW_BULK)


@bp.get("/<uuid:kennel_id>")
@requires(Role.MANAGER)
def row(kennel_id):
    """One kennel's table row (also: cancel an edit)."""
    return _render("kennels/_row.html", kennel=kennels.get_kennel(kennel_id=kennel_id))


@bp.get("/<uuid:kennel_id>/edit")
@requires(Role.MANAGER)
def edit(kennel_id):
    """The edit form, in place of the row."""
    kennel = kennels.get_kennel(kennel_id=kennel_id)
    return _render("kennels/_form.html", kennel=kennel, values=kennel_values(kennel))


@bp.post("/<uuid:kennel_id>")
@requires(Role.MANAGER)
def update(kennel_id):
    """Save an edited kennel."""
    current = kennels.get_kennel(kennel_id=kennel_id)
    try:
        kennel = kennels.update_kennel(kennel_id=kennel_id, **load_form(KennelUpdateSchema()))
    except FORM_ERRORS as exc:
        return _form_error("kennels/_form.html", exc, kennel=current)
    return _render("kennels/_row.html", kennel=kennel)


@bp.post("/<uuid:kennel_id>/delete")
@requires(Role.MANAGER)
def delete(kennel_id):
    """Delete (or, when bookings refer to it, deactivate) a kennel."""
    kept = kennels.delete_kennel(kennel_id=kennel_id)
    return _render("kennels/_row.html", kennel=kept) if kept else Response("", status=200)
