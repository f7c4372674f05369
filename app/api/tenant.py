"""The current tenant's settings and the authenticated principal."""
from flask import g
from flask.views import MethodView

from app.api.etags import Blueprint
from app.auth import requires
from app.limits import key_limit
from app.models import Role
from app.schemas.accounts import PrincipalSchema
from app.schemas.common import ErrorSchema
from app.schemas.tenants import TenantSettingsSchema, TenantSettingsUpdateSchema
from app.services import tenants as service
from app.tenancy import current_tenant

blp = Blueprint("tenant", __name__, url_prefix="/api/v1", description="Your resort's settings and identity.")


@blp.route("/tenant")
class TenantSettings(MethodView):
    @blp.etag
    @blp.response(200, TenantSettingsSchema)
    def get(self):
        """The resort's business settings."""
        return service.get_tenant(subdomain=current_tenant().subdomain)

    @blp.etag
    @blp.arguments(TenantSettingsUpdateSchema, example={"tax_rate": "0.0825", "timezone": "America/Denver"})
    @blp.response(200, TenantSettingsSchema)
    @blp.alt_response(403, schema=ErrorSchema)
    @requires(Role.ADMIN)
    def patch(self, data):
        """Change settings (admins); send the ETag you read as `If-Match`."""
        tenant_id = current_tenant().id
        return service.update_settings(tenant_id=tenant_id, expected_version=blp.if_match_version(tenant_id), **data)


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, PrincipalSchema)
    def get(self):
        """The authenticated API key: its role, scopes, expiry and own rate limit."""
        p = g.principal
        return {"kind": g.principal_kind, "id": p.id, "name": p.name, "role": p.role, "tenant": current_tenant().subdomain,
                "scopes": list(p.stored_scopes), "expires_at": p.expires_at, "rate_limit": key_limit()}
