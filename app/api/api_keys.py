"""API keys (admins)."""
from flask import g, url_for
from flask.views import MethodView

from app.api.etags import Blueprint
from app.auth import requires
from app.core.idempotency import idempotent
from app.models import Role
from app.schemas.accounts import ApiKeyCreatedSchema, ApiKeyCreateSchema, ApiKeySchema
from app.schemas.common import ErrorSchema
from app.services import api_keys as service

blp = Blueprint("api_keys", __name__, url_prefix="/api/v1/api-keys", description="Integration keys (admins only).")


@blp.route("")
class ApiKeys(MethodView):
    @blp.response(200, ApiKeySchema(many=True))
    @requires(Role.ADMIN)
    def get(self):
        """List keys (never their secrets)."""
        return service.list_api_keys()

    @blp.arguments(ApiKeyCreateSchema, example={"name": "Website booking widget", "role": "STAFF"})
    @blp.response(201, ApiKeyCreatedSchema)
    @requires(Role.ADMIN)
    @idempotent(redact=("secret",))
    def post(self, data):
        """Create a key; the `secret` in this response is shown once."""
        created_by = g.principal.id if g.principal_kind == "user" else None
        key, secret = service.create_api_key(created_by_id=created_by, **data)
        key.secret = secret  # transient attribute for this one response; never stored
        return key, 201, {"Location": url_for("api_keys.ApiKeyById", key_id=key.id)}


@blp.route("/<uuid:key_id>")
class ApiKeyById(MethodView):
    @blp.response(200, ApiKeySchema)
    @blp.alt_response(404, schema=ErrorSchema)
    @requires(Role.ADMIN)
    def get(self, key_id):
        """One key."""
        return service.get_api_key(key_id=key_id)

    @blp.response(200, ApiKeySchema)
    @blp.alt_response(404, schema=ErrorSchema)
    @requires(Role.ADMIN)
    def delete(self, key_id):
        """Revoke a key (kept for the audit trail)."""
        return service.revoke_api_key(key_id=key_id)
