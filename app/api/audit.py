"""The audit trail (admins)."""
from flask.views import MethodView

from app.api.etags import Blueprint
from app.api.paging import page_of
from app.auth import requires
from app.models import Role
from app.schemas.audit import AuditEventSchema, AuditQuerySchema
from app.schemas.common import ErrorSchema
from app.services import audit as service

blp = Blueprint("audit_events", __name__, url_prefix="/api/v1/audit-events", description="Who did what (admins only).")


@blp.route("")
class AuditEvents(MethodView):
    @blp.arguments(AuditQuerySchema, location="query")
    @blp.response(200, AuditEventSchema(many=True))
    @blp.paginate(feed=False)
    @requires(Role.ADMIN)
    def get(self, filters, pagination_parameters):
        """Newest first; filter by action, resource, actor and time.

        The trail only grows, so its count stops 1,000 events past the page asked for: an
        `X-Pagination` total of page × page_size + 1,000 means "at least that many".
        """
        return page_of(pagination_parameters, service.list_events, **filters)


@blp.route("/<uuid:event_id>")
class AuditEventById(MethodView):
    @blp.response(200, AuditEventSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    @requires(Role.ADMIN)
    def get(self, event_id):
        """One event."""
        return service.get_event(event_id=event_id)
