"""Front-desk customer pages: live search, the household page, inline contact edit, add pet."""
from flask import Response, render_template, request, url_for
from markupsafe import Markup

from app.auth import requires
from app.models import AlertFlag, ContactMethod, Role, ServiceCategory, Sex, Species
from app.schemas.customers import CustomerCreateSchema, CustomerWriteSchema
from app.schemas.pets import PetCreateSchema
from app.services import customer_csv, customers as service, pets as pet_service
from app.services.compliance import pet_compliance, requirement_map
from app.web.common import FORM_ERRORS, form_version, load_form, navigate, page_blueprint, render_form_error
from app.web.pets import medication_override

bp = page_blueprint("customer_pages", __name__, url_prefix="/customers")
PAGE_SIZE = 25
CHOICES = {"contact_methods": list(ContactMethod), "species": list(Species), "sexes": list(Sex),
           "alert_flags": list(AlertFlag)}


def _link_duplicate(exc):
    """A duplicate email's error names the other customer as a link to their page."""
    existing = getattr(exc, "extra", {}).get("existing_id")
    if existing and (exc.errors or {}).get("email"):
        link = url_for("customer_pages.show", customer_id=existing)
        exc.errors["email"] = [Markup('Already used by <a href="{}">{}</a>.').format(link, exc.extra["existing_name"])]
    return exc


def _tags_override() -> dict:
    """The tags input is one comma-separated text box."""
    if "tags" not in request.form:
        return {}
    return {"tags": [t.strip() for t in request.form["tags"].split(",") if t.strip()]}


@bp.get("")
def index():
    """Customer list with live search; htmx swaps only the results as the clerk types."""
    q = request.args.get("q", "").strip()
    show = request.args.get("show", "active")
    page = max(1, request.args.get("page", 1, type=int))
    active = {"active": True, "inactive": False}.get(show)
    items, total = service.list_customers(page=page, page_size=PAGE_SIZE, q=q, active=active)
    context = {"customers": items, "total": total, "q": q, "show": show, "page": page, "page_size": PAGE_SIZE,
               "at_least": service.total_is_floor(total, page=page, page_size=PAGE_SIZE)}
    if request.headers.get("HX-Target") == "customer-results":
        return render_template("customers/_results.html", **context)
    return render_template("customers/index.html", **context)


@bp.get("/export.csv")
@requires(Role.MANAGER)
def export():
    """Download every customer and pet (the import format)."""
    return Response(customer_csv.export_chunks(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=customers.csv"})


@bp.get("/new")
def new():
    """The new-customer form."""
    return render_template("customers/new.html", form={}, errors={}, **CHOICES)


@bp.post("")
def create():
    """Create a customer and open their page."""
    try:
        customer = service.create_customer(**load_form(CustomerCreateSchema(), overrides=_tags_override()))
    except FORM_ERRORS as exc:
        return render_form_error("customers/_new_form.html", _link_duplicate(exc), **CHOICES)
    return navigate(url_for("customer_pages.show", customer_id=customer.id))


def _pets_with_compliance(detail: dict) -> list[dict]:
    """Each pet of a cached detail with its boarding compliance today (no SQL when warm)."""
    pets, requirements = [], requirement_map() if detail["pets"] else None
    for pet in detail["pets"]:
        records = [(v["vaccine"], v["given_on"], v["expires_on"]) for v in pet["vaccinations"]]
        pets.append({**pet, "compliance": pet_compliance(species=pet["species"], records=records,
                                                         category=ServiceCategory.BOARDING, requirements=requirements)})
    return pets


@bp.get("/<uuid:customer_id>")
def show(customer_id):
    """The household: contact details, pets with badges and vaccine status, notes."""
    detail = service.customer_detail(customer_id=customer_id)
    return render_template("customers/show.html", c=detail, pets=_pets_with_compliance(detail), **CHOICES)


@bp.get("/<uuid:customer_id>/contact")
def contact(customer_id):
    """The contact details card (after cancel)."""
    return render_template("customers/_contact.html", c=service.customer_detail(customer_id=customer_id))


@bp.get("/<uuid:customer_id>/contact/edit")
def edit_contact(customer_id):
    """The contact details as an inline form."""
    return render_template("customers/_contact_form.html", c=service.customer_detail(customer_id=customer_id),
                           form={}, errors={}, **CHOICES)


@bp.post("/<uuid:customer_id>/contact")
def save_contact(customer_id):
    """Save contact details; errors come back next to each field with what was typed."""
    try:
        service.update_customer(customer_id=customer_id, expected_version=form_version(),
                                **load_form(CustomerWriteSchema(), partial=True, overrides=_tags_override()))
    except FORM_ERRORS as exc:
        return render_form_error("customers/_contact_form.html", _link_duplicate(exc),
                                 c=service.customer_detail(customer_id=customer_id), **CHOICES)
    return render_template("customers/_contact.html", c=service.customer_detail(customer_id=customer_id), saved=True)


@bp.get("/<uuid:customer_id>/pets/new")
def new_pet(customer_id):
    """The add-pet form."""
    return render_template("pets/new.html", c=service.customer_detail(customer_id=customer_id), form={}, errors={},
                           **CHOICES)


@bp.post("/<uuid:customer_id>/pets")
def create_pet(customer_id):
    """Add a pet and open its page."""
    try:
        data = load_form(PetCreateSchema(), overrides=medication_override())
        data.pop("customer_id", None)
        pet = pet_service.create_pet(customer_id=customer_id, **data)
    except FORM_ERRORS as exc:
        return render_form_error("pets/_new_form.html", exc, c=service.customer_detail(customer_id=customer_id),
                                 **CHOICES)
    return navigate(url_for("pet_pages.show", pet_id=pet.id))
