"""Which vaccines each species needs for each service category."""
from flask import url_for
from flask.views import MethodView

from app.api.etags import Blueprint
from app.api.paging import page_of
from app.auth import requires
from app.core.idempotency import idempotent
from app.models import Role
from app.schemas.common import ErrorSchema
from app.schemas.pets import VaccineRequirementCreateSchema, VaccineRequirementSchema
from app.services import compliance as service

blp = Blueprint("vaccine_requirements", __name__, url_prefix="/api/v1/vaccine-requirements",
                description="Vaccine requirements (managers edit; everyone reads).")


@blp.route("")
class Requirements(MethodView):
    @blp.response(200, VaccineRequirementSchema(many=True))
    @blp.paginate(page_size=100)
    def get(self, pagination_parameters):
        """Every requirement, by species, service category and vaccine."""
        return page_of(pagination_parameters, service.page_requirements)

    @blp.etag
    @blp.arguments(VaccineRequirementCreateSchema, example={"species": "DOG", "category": "DAYCARE",
                                                            "vaccine": "Canine Influenza"})
    @blp.response(201, VaccineRequirementSchema)
    @blp.alt_response(409, schema=ErrorSchema)
    @requires(Role.MANAGER)
    @idempotent
    def post(self, data):
        """Require a vaccine (managers); the 201 carries its `Location` and `ETag`."""
        requirement = service.add_requirement(**data)
        return requirement, 201, {"Location": url_for("vaccine_requirements.RequirementById", requirement_id=requirement.id)}


@blp.route("/<uuid:requirement_id>")
class RequirementById(MethodView):
    @blp.response(204)
    @blp.alt_response(404, schema=ErrorSchema)
    @requires(Role.MANAGER)
    def delete(self, requirement_id):
        """Stop requiring a vaccine (managers)."""
        service.remove_requirement(requirement_id=requirement_id)
