"""Add-ons sold with services (managers write, everyone reads)."""
from flask import Response, url_for
from flask.views import MethodView

from app.api.etags import Blueprint
from app.api.paging import page_of
from app.auth import requires
from app.core.idempotency import idempotent
from app.models import Role
from app.schemas.catalog import ADDON_EXAMPLE, AddOnCreateSchema, AddOnQuerySchema, AddOnSchema, AddOnUpdateSchema
from app.schemas.common import ErrorSchema
from app.services import catalog as service

blp = Blueprint("addons", __name__, url_prefix="/api/v1/addons",
                description="Extras: an extra walk, a bath at check-out, medication, late pickup.")


@blp.route("")
class AddOns(MethodView):
    @blp.arguments(AddOnQuerySchema, location="query")
    @blp.response(200, AddOnSchema(many=True))
    @blp.paginate()
    @requires(Role.STAFF)
    def get(self, filters, pagination_parameters):
        """List add-ons; `service_id` keeps those that may be added to that service."""
        return page_of(pagination_parameters, service.list_addons, **filters)

    @blp.etag
    @blp.arguments(AddOnCreateSchema, example=ADDON_EXAMPLE)
    @blp.response(201, AddOnSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="A service in `service_ids` does not exist")
    @blp.alt_response(409, schema=ErrorSchema, description="Name already used")
    @blp.alt_response(422, schema=ErrorSchema)
    @requires(Role.MANAGER)
    @idempotent
    def post(self, data):
        """Add an add-on (managers); the 201 carries its `Location` and `ETag`."""
        addon = service.create_addon(**data)
        return addon, 201, {"Location": url_for("addons.AddOnById", addon_id=addon.id)}


@blp.route("/<uuid:addon_id>")
class AddOnById(MethodView):
    @blp.etag
    @blp.response(200, AddOnSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    @requires(Role.STAFF)
    def get(self, addon_id):
        """One add-on."""
        return service.get_addon(addon_id=addon_id)

    @blp.etag
    @blp.arguments(AddOnUpdateSchema, example={"price_cents": 900, "service_ids": []})
    @blp.response(200, AddOnSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    @blp.alt_response(422, schema=ErrorSchema)
    @requires(Role.MANAGER)
    def patch(self, data, addon_id):
        """Change an add-on (managers); send `If-Match`. `service_ids` replaces the whole list."""
        return service.update_addon(addon_id=addon_id, expected_version=blp.if_match_version(addon_id), **data)

    @blp.response(200, AddOnSchema, description="Kept but deactivated: something refers to it")
    @blp.alt_response(204, description="Deleted: nothing referred to it")
    @blp.alt_response(404, schema=ErrorSchema)
    @requires(Role.MANAGER)
    def delete(self, addon_id):
        """Delete an add-on nothing refers to; otherwise deactivate it."""
        kept = service.delete_addon(addon_id=addon_id)
        return kept if kept is not None else Response(status=204)
