"""The outbox: every email and SMS the resort sent or is sending, with its delivery state (admins)."""
from flask.views import MethodView
from flask_smorest import Blueprint

from app.api.paging import page_of
from app.auth import requires
from app.models import Role
from app.schemas.outbox import OutboxMessageSchema, OutboxQuerySchema
from app.services import outbox as service

blp = Blueprint("outbox_messages", __name__, url_prefix="/api/v1/outbox-messages",
                description="Messages to staff and customers and their delivery state (admins only).")


@blp.route("")
class OutboxMessages(MethodView):
    @blp.arguments(OutboxQuerySchema, location="query")
    @blp.response(200, OutboxMessageSchema(many=True))
    @blp.paginate()
    @requires(Role.ADMIN)
    def get(self, filters, pagination_parameters):
        """Newest first; filter by state (e.g. DEAD for the dead letters)."""
        return page_of(pagination_parameters, service.page_messages, **filters)
