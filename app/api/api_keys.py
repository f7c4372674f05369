"""API keys (admins): scopes, expiry and each key's own rate limit."""
from flask import g, url_for
from flask.views import MethodView

from app.api.etags import Blueprint
from app.api.paging import page_of
from app.auth import requires
from app.core.idempotency import idempotent
from app.models import Role
from app.schemas.accounts import ApiKeyCreatedSchema, ApiKeyCreateSchema, ApiKeySchema, ApiKeyUpdateSchema
from app.schemas.common import ErrorSchema
from app.services import api_keys as service

blp = Blueprint("api_keys", __name__, url_prefix="/api/v1/api-keys",
                description="Integration keys (admins only; a key needs the `admin` scope to manage keys).")


def _granting_key():
    """The API key making this change, if it is one: it can hand out no more than it holds (users can)."""
    return g.principal if g.principal_kind == "api_key" else None


@blp.route("")
class ApiKeys(MethodView):
    @blp.response(200, ApiKeySchema(many=True))
    @requires(Role.ADMIN)
    @blp.paginate(page_size=100)
    def get(self, pagination_parameters):
        """List keys, newest first (never their secrets)."""
        return page_of(pagination_parameters, service.page_api_keys)

    @blp.etag
    @blp.arguments(ApiKeyCreateSchema, example={"name": "Website booking widget", "role": "STAFF",
                                                "scopes": ["availability:read", "catalog:read", "customers:write",
                                                           "pets:write", "reservations:write"],
                                                "expires_at": "2027-06-30T00:00:00Z", "rate_limit": 200})
    @blp.response(201, ApiKeyCreatedSchema)
    @blp.alt_response(403, schema=ErrorSchema, description="A key granting a scope it lacks, or a later expiry")
    @blp.alt_response(422, schema=ErrorSchema)
    @requires(Role.ADMIN)
    @idempotent(redact=("secret",))
    def post(self, data):
        """Create a key; the `secret` in this response is shown once."""
        created_by = g.principal.id if g.principal_kind == "user" else None
        key, secret = service.create_api_key(created_by_id=created_by, granted_by=_granting_key(), **data)
        key.secret = secret  # transient attribute for this one response; never stored
        return key, 201, {"Location": url_for("api_keys.ApiKeyById", key_id=key.id)}


@blp.route("/<uuid:key_id>")
class ApiKeyById(MethodView):
    @blp.etag
    @blp.response(200, ApiKeySchema)
    @blp.alt_response(404, schema=ErrorSchema)
    @requires(Role.ADMIN)
    def get(self, key_id):
        """One key."""
        return service.get_api_key(key_id=key_id)

    @blp.etag
    @blp.arguments(ApiKeyUpdateSchema, example={"scopes": ["availability:read", "reservations:write"],
                                                "rate_limit": 100})
    @blp.response(200, ApiKeySchema)
    @blp.alt_response(403, schema=ErrorSchema, description="A key granting a scope it lacks, or a later expiry")
    @blp.alt_response(404, schema=ErrorSchema)
    @blp.alt_response(422, schema=ErrorSchema)
    @requires(Role.ADMIN)
    def patch(self, data, key_id):
        """Change a key's name, scopes, expiry or rate limit; send `If-Match`. It applies from the next request."""
        return service.update_api_key(key_id=key_id, expected_version=blp.if_match_version(key_id),
                                      granted_by=_granting_key(), **data)

    @blp.response(200, ApiKeySchema)
    @blp.alt_response(404, schema=ErrorSchema)
    @requires(Role.ADMIN)
    def delete(self, key_id):
        """Revoke a key (kept for the audit trail)."""
        return service.revoke_api_key(key_id=key_id)
