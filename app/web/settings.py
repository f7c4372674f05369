"""Manager settings: vaccine requirements."""
from flask import render_template

from app.auth import requires
from app.models import Role, ServiceCategory, Species
from app.schemas.pets import VaccineRequirementCreateSchema
from app.services import compliance
from app.web.common import FORM_ERRORS, load_form, page_blueprint, render_form_error

bp = page_blueprint("settings", __name__, url_prefix="/settings")


def _context() -> dict:
    return {"requirements": compliance.list_requirements(), "species": list(Species),
            "categories": list(ServiceCategory), "vaccines": compliance.known_vaccines()}


@bp.get("/vaccines")
@requires(Role.MANAGER)
def vaccines():
    """Which vaccines each species needs for each kind of service."""
    return render_template("settings/vaccines.html", form={}, errors={}, **_context())


@bp.post("/vaccines")
@requires(Role.MANAGER)
def add_requirement():
    """Require a vaccine."""
    try:
        compliance.add_requirement(**load_form(VaccineRequirementCreateSchema()))
    except FORM_ERRORS as exc:
        return render_form_error("settings/_requirements.html", exc, **_context())
    return render_template("settings/_requirements.html", form={}, errors={}, **_context())


@bp.post("/vaccines/<uuid:requirement_id>/delete")
@requires(Role.MANAGER)
def remove_requirement(requirement_id):
    """Stop requiring a vaccine."""
    compliance.remove_requirement(requirement_id=requirement_id)
    return render_template("settings/_requirements.html", form={}, errors={}, **_context())
