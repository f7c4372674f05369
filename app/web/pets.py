"""Pet pages: care profile, photo, vaccination table (add, edit, expire) and compliance."""
from flask import Response, flash, g, redirect, render_template, request, url_for

from app.core.body import body_limit
from app.core.errors import RuleViolation
from app.models import AlertFlag, ServiceCategory, Sex, Species
from app.schemas.pets import PetWriteSchema, VaccinationCreateSchema, VaccinationWriteSchema
from app.services import pets as service
from app.services.compliance import known_vaccines, pet_compliance, requirement_map
from app.web.common import FORM_ERRORS, form_version, is_htmx, load_form, navigate, page_blueprint, render_form_error

bp = page_blueprint("pet_pages", __name__, url_prefix="/pets")
CHOICES = {"species": list(Species), "sexes": list(Sex), "alert_flags": list(AlertFlag)}


def medication_override() -> dict:
    """Medication rows arrive as parallel med_name / med_dose / med_schedule inputs."""
    if "med_name" not in request.form:
        return {}
    rows = zip(request.form.getlist("med_name"), request.form.getlist("med_dose"),
               request.form.getlist("med_schedule"), strict=False)
    return {"medications": [{"name": n.strip(), "dose": d.strip(), "schedule": s.strip()}
                            for n, d, s in rows if n.strip() or d.strip() or s.strip()]}


def _vaccination_context(pet) -> dict:
    records, requirements = service.pet_records(pet), requirement_map()
    return {"pet": pet, "vaccines": known_vaccines(),
            "compliance": [pet_compliance(species=pet.species, records=records, category=c, requirements=requirements)
                           for c in ServiceCategory]}


@bp.get("/<uuid:pet_id>")
def show(pet_id):
    """A pet's care profile, vaccinations and compliance per service."""
    pet = service.get_pet(pet_id=pet_id, with_vaccinations=True)
    return render_template("pets/show.html", form={}, errors={}, **_vaccination_context(pet), **CHOICES)


@bp.get("/<uuid:pet_id>/edit")
def edit(pet_id):
    """The care profile form."""
    pet = service.get_pet(pet_id=pet_id, with_vaccinations=True)
    return render_template("pets/edit.html", pet=pet, form={}, errors={}, **CHOICES)


@bp.post("/<uuid:pet_id>")
def update(pet_id):
    """Save the care profile."""
    try:
        data = load_form(PetWriteSchema(), partial=True, overrides=medication_override())
        data.pop("customer_id", None)
        if "alert_flags" not in request.form and request.form.get("flags_present"):
            data["alert_flags"] = []  # every flag box unticked
        service.update_pet(pet_id=pet_id, expected_version=form_version(), **data)
    except FORM_ERRORS as exc:
        pet = service.get_pet(pet_id=pet_id, with_vaccinations=True)
        return render_form_error("pets/_edit_form.html", exc, pet=pet, **CHOICES)
    return navigate(url_for("pet_pages.show", pet_id=pet_id))


@bp.get("/<uuid:pet_id>/photo")
def photo(pet_id):
    """The pet's photo."""
    data, mime = service.read_photo(pet_id=pet_id)
    return Response(data, mimetype=mime, headers={"Cache-Control": "private, max-age=300"})


@bp.post("/<uuid:pet_id>/photo")
@body_limit("MAX_PHOTO_BYTES")
def upload_photo(pet_id):
    """Replace the pet's photo (checked to be a real image, at most 5 MB); a refusal stays on the pet's page."""
    upload = request.files.get("photo")
    try:
        if upload is None or not upload.filename:
            raise RuleViolation("Choose a photo.", errors={"photo": ["Choose an image file."]})
        service.set_photo(pet_id=pet_id, stream=upload.stream)
    except RuleViolation as exc:
        if not is_htmx():  # a plain form post: back to the pet's page with the reason
            flash(" ".join([exc.message, *exc.errors.get("photo", [])]) if exc.errors else exc.message, "error")
            return redirect(url_for("pet_pages.show", pet_id=pet_id), code=303)
        return render_form_error("pets/_photo.html", exc, pet=service.get_pet(pet_id=pet_id))
    return navigate(url_for("pet_pages.show", pet_id=pet_id))


def _verifier():
    return g.principal.id


@bp.post("/<uuid:pet_id>/vaccinations")
def add_vaccination(pet_id):
    """Add a vaccination; the table (with compliance) is re-rendered in place."""
    try:
        service.add_vaccination(pet_id=pet_id, verified_by_id=_verifier(), **load_form(VaccinationCreateSchema()))
    except FORM_ERRORS as exc:
        pet = service.get_pet(pet_id=pet_id, with_vaccinations=True)
        return render_form_error("pets/_vaccinations.html", exc, **_vaccination_context(pet))
    pet = service.get_pet(pet_id=pet_id, with_vaccinations=True)
    return render_template("pets/_vaccinations.html", form={}, errors={}, **_vaccination_context(pet))


@bp.get("/<uuid:pet_id>/vaccinations/<uuid:vaccination_id>/edit")
def edit_vaccination(pet_id, vaccination_id):
    """One vaccination row as an inline form."""
    record = service.get_vaccination(pet_id=pet_id, vaccination_id=vaccination_id)
    pet = service.get_pet(pet_id=pet_id)
    return render_template("pets/_vaccination_row_form.html", v=record, pet=pet, vaccines=known_vaccines(),
                           form={}, errors={})


@bp.post("/<uuid:pet_id>/vaccinations/<uuid:vaccination_id>")
def update_vaccination(pet_id, vaccination_id):
    """Save one vaccination row."""
    try:
        service.update_vaccination(pet_id=pet_id, vaccination_id=vaccination_id, verified_by_id=_verifier(),
                                   **load_form(VaccinationWriteSchema(), partial=True))
    except FORM_ERRORS as exc:
        record = service.get_vaccination(pet_id=pet_id, vaccination_id=vaccination_id)
        return render_form_error("pets/_vaccination_row_form.html", exc, v=record, pet=service.get_pet(pet_id=pet_id),
                                 vaccines=known_vaccines())
    pet = service.get_pet(pet_id=pet_id, with_vaccinations=True)
    # The row form targeted its own row; the saved result is the whole table with fresh compliance.
    return (render_template("pets/_vaccinations.html", form={}, errors={}, **_vaccination_context(pet)), 200,
            {"HX-Retarget": "#vaccinations", "HX-Reswap": "outerHTML"})


@bp.get("/<uuid:pet_id>/vaccinations/<uuid:vaccination_id>/document")
def vaccination_document(pet_id, vaccination_id):
    """The certificate, shown in the browser."""
    data, mime = service.read_vaccination_document(pet_id=pet_id, vaccination_id=vaccination_id)
    return Response(data, mimetype=mime, headers={"Cache-Control": "private, max-age=300"})


@bp.post("/<uuid:pet_id>/vaccinations/<uuid:vaccination_id>/document")
@body_limit("MAX_DOCUMENT_BYTES")
def upload_vaccination_document(pet_id, vaccination_id):
    """Attach a certificate to one vaccination; the table is re-rendered with the error or the link."""
    upload = request.files.get("document")
    pet = service.get_pet(pet_id=pet_id, with_vaccinations=True)
    try:
        if upload is None or not upload.filename:
            raise RuleViolation("Choose a file.", errors={"document": ["Choose a PDF or image."]})
        service.set_vaccination_document(pet_id=pet_id, vaccination_id=vaccination_id,
                                             stream=upload.stream)
    except RuleViolation as exc:
        return render_form_error("pets/_vaccinations.html", exc, **_vaccination_context(pet))
    pet = service.get_pet(pet_id=pet_id, with_vaccinations=True)
    return render_template("pets/_vaccinations.html", form={}, errors={}, **_vaccination_context(pet))


@bp.post("/<uuid:pet_id>/vaccinations/<uuid:vaccination_id>/expire")
def expire_vaccination(pet_id, vaccination_id):
    """Mark a vaccination no longer valid (kept on record)."""
    service.expire_vaccination(pet_id=pet_id, vaccination_id=vaccination_id)
    pet = service.get_pet(pet_id=pet_id, with_vaccinations=True)
    return render_template("pets/_vaccinations.html", form={}, errors={}, **_vaccination_context(pet))
