"""Services on the price list (managers write, everyone reads)."""
from flask import Response, url_for
from flask.views import MethodView

from app.api.etags import Blueprint
from app.api.paging import page_of
from app.auth import requires
from app.core.idempotency import idempotent
from app.models import Role
from app.schemas.catalog import (
    SERVICE_EXAMPLE,
    ServiceCreateSchema,
    ServiceQuerySchema,
    ServiceSchema,
    ServiceUpdateSchema,
)
from app.schemas.common import ErrorSchema
from app.services import catalog as service

blp = Blueprint("catalog_services", __name__, url_prefix="/api/v1/services",
                description="What the resort sells: boarding, daycare, grooming, training.")


@blp.route("")
class Services(MethodView):
    @blp.arguments(ServiceQuerySchema, location="query")
    @blp.response(200, ServiceSchema(many=True))
    @blp.paginate()
    @requires(Role.STAFF)
    def get(self, filters, pagination_parameters):
        """List services in display order; filter by category, active flag or name."""
        return page_of(pagination_parameters, service.list_services, **filters)

    @blp.etag
    @blp.arguments(ServiceCreateSchema, example=SERVICE_EXAMPLE)
    @blp.response(201, ServiceSchema)
    @blp.alt_response(409, schema=ErrorSchema, description="Name already used")
    @blp.alt_response(422, schema=ErrorSchema, description="Invalid fields, named in `errors`")
    @requires(Role.MANAGER)
    @idempotent
    def post(self, data):
        """Add a service (managers); the 201 carries its `Location` and `ETag`."""
        created = service.create_service(**data)
        return created, 201, {"Location": url_for("catalog_services.ServiceById", service_id=created.id)}


@blp.route("/<uuid:service_id>")
class ServiceById(MethodView):
    @blp.etag
    @blp.response(200, ServiceSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    @requires(Role.STAFF)
    def get(self, service_id):
        """One service."""
        return service.get_service(service_id=service_id)

    @blp.etag
    @blp.arguments(ServiceUpdateSchema, example={"price_cents": 4900})
    @blp.response(200, ServiceSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    @blp.alt_response(422, schema=ErrorSchema)
    @requires(Role.MANAGER)
    def patch(self, data, service_id):
        """Change a service (managers); send the ETag you read as `If-Match`."""
        return service.update_service(service_id=service_id, expected_version=blp.if_match_version(service_id), **data)

    @blp.response(200, ServiceSchema, description="Kept but deactivated: add-ons, price rules or bookings refer "
                                                  "to it")
    @blp.alt_response(204, description="Deleted: nothing referred to it")
    @blp.alt_response(404, schema=ErrorSchema)
    @requires(Role.MANAGER)
    def delete(self, service_id):
        """Delete a service nothing refers to; otherwise deactivate it (history keeps pointing at it)."""
        kept = service.delete_service(service_id=service_id)
        return kept if kept is not None else Response(status=204)
