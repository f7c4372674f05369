"""Kennels: inventory for managers, status flips for staff."""
from functools import wraps

from flask import Response, url_for
from flask.views import MethodView

from app.api.etags import Blueprint
from app.api.paging import page_of
from app.auth import requires
from app.core.idempotency import idempotent
from app.models import Role
from app.schemas.common import ErrorSchema
from app.schemas.kennels import (
    KENNEL_EXAMPLE,
    KennelBulkSchema,
    KennelCreateSchema,
    KennelQuerySchema,
    KennelSchema,
    KennelStatusChangeSchema,
    KennelUpdateSchema,
)
from app.services import kennels as service

blp = Blueprint("kennels", __name__, url_prefix="/api/v1/kennels",
                description="Runs, suites, cat condos, play yards and grooming tables, and their status.")


def kennel_first(view):
    """Resolve the kennel before the body is validated, so another tenant's id is 404 whatever the body."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        service.get_kennel(kennel_id=kwargs["kennel_id"])
        return view(*args, **kwargs)

    return wrapper


@blp.route("")
class Kennels(MethodView):
    @blp.arguments(KennelQuerySchema, location="query")
    @blp.response(200, KennelSchema(many=True))
    @blp.paginate()
    @requires(Role.STAFF)
    def get(self, filters, pagination_parameters):
        """List kennels in board order; filter by type, size, status, location, active flag or code."""
        return page_of(pagination_parameters, service.list_kennels, **filters)

    @blp.etag
    @blp.arguments(KennelCreateSchema, example=KENNEL_EXAMPLE)
    @blp.response(201, KennelSchema)
    @blp.alt_response(409, schema=ErrorSchema, description="Code already used")
    @blp.alt_response(422, schema=ErrorSchema, description="E.g. capacity 0, max weight below min weight")
    @requires(Role.MANAGER)
    @idempotent
    def post(self, data):
        """Add one kennel (managers); the 201 carries its `Location` and `ETag`."""
        kennel = service.create_kennel(**data)
        return kennel, 201, {"Location": url_for("kennels.KennelById", kennel_id=kennel.id)}


@blp.route("/bulk")
class KennelsBulk(MethodView):
    @blp.arguments(KennelBulkSchema, example={"prefix": "A", "start": 1, "end": 20, "type": "RUN", "size": "L",
                                              "capacity": 2, "location": "Barn A"})
    @blp.response(201, KennelSchema(many=True))
    @blp.alt_response(409, schema=ErrorSchema, description="Some codes already exist (none are created)")
    @blp.alt_response(422, schema=ErrorSchema)
    @requires(Role.MANAGER)
    @idempotent
    def post(self, data):
        """Create a numbered run (A01..A20): all or none (managers)."""
        return service.create_kennels_bulk(**data)


@blp.route("/<uuid:kennel_id>")
class KennelById(MethodView):
    @blp.etag
    @blp.response(200, KennelSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    @requires(Role.STAFF)
    def get(self, kennel_id):
        """One kennel."""
        return service.get_kennel(kennel_id=kennel_id)

    @blp.etag
    @blp.arguments(KennelUpdateSchema, example={"capacity": 3, "location": "Barn B"})
    @blp.response(200, KennelSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    @blp.alt_response(422, schema=ErrorSchema)
    @requires(Role.MANAGER)
    def patch(self, data, kennel_id):
        """Change a kennel (managers); send `If-Match`. Status changes go through /status."""
        return service.update_kennel(kennel_id=kennel_id, expected_version=blp.if_match_version(kennel_id), **data)

    @blp.response(200, KennelSchema, description="Kept but deactivated: bookings refer to it")
    @blp.alt_response(204, description="Deleted: nothing referred to it")
    @blp.alt_response(404, schema=ErrorSchema)
    @requires(Role.MANAGER)
    def delete(self, kennel_id):
        """Delete a kennel nothing refers to; otherwise deactivate it."""
        kept = service.delete_kennel(kennel_id=kennel_id)
        return kept if kept is not None else Response(status=204)


@blp.route("/<uuid:kennel_id>/status")
class KennelStatusView(MethodView):
    @kennel_first
    @blp.arguments(KennelStatusChangeSchema, example={"status": "MAINTENANCE", "note": "Gate latch sticks."})
    @blp.response(200, KennelSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    @blp.alt_response(422, schema=ErrorSchema)
    @requires(Role.STAFF)
    def post(self, data, kennel_id):
        """Flip a kennel to IN_SERVICE, CLEANING or MAINTENANCE with an optional note (staff may)."""
        return service.change_kennel_status(kennel_id=kennel_id, **data)
