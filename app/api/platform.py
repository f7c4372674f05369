"""Platform operator API: create, list, pause, resume and re-plan tenants."""
from flask.views import MethodView
from flask_smorest import Blueprint

from app.auth import require_operator
from app.schemas.common import ErrorSchema
from app.schemas.tenants import TenantChangeSchema, TenantCreateSchema, TenantSchema
from app.services import tenants as service

blp = Blueprint("platform_tenants", __name__, url_prefix="/api/v1/platform/tenants",
                description="Operators only (`Authorization: Bearer <operator token>`).")


@blp.before_request
def _operator_only() -> None:
    require_operator()


@blp.route("")
class Tenants(MethodView):
    @blp.response(200, TenantSchema(many=True))
    @blp.alt_response(401, schema=ErrorSchema)
    def get(self):
        """List every tenant."""
        return service.list_tenants()

    @blp.arguments(TenantCreateSchema, example={"subdomain": "happy-paws", "name": "Happy Paws Resort", "plan": "PRO",
                                                "timezone": "America/Denver"})
    @blp.response(201, TenantSchema)
    @blp.alt_response(409, schema=ErrorSchema, description="Subdomain taken")
    @blp.alt_response(422, schema=ErrorSchema)
    def post(self, data):
        """Create a tenant."""
        return service.create_tenant(**data)


@blp.route("/<string:subdomain>")
class TenantBySubdomain(MethodView):
    @blp.response(200, TenantSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    def get(self, subdomain):
        """One tenant."""
        return service.get_tenant(subdomain=subdomain)

    @blp.arguments(TenantChangeSchema, example={"status": "PAUSED"})
    @blp.response(200, TenantSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    def patch(self, data, subdomain):
        """Pause (`status: PAUSED`), resume (`ACTIVE`), cancel, change plan or name; effective on the next request."""
        return service.change_tenant(subdomain=subdomain, **data)
