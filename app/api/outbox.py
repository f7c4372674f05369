"""The outbox: every email and SMS the resort sent or is sending, with its delivery state; dead letters retried."""
from flask.views import MethodView

from app.api.etags import Blueprint
from app.api.paging import page_of
from app.auth import requires
from app.models import Role
from app.schemas.common import ErrorSchema
from app.schemas.outbox import RETRIED_EXAMPLE, OutboxMessageSchema, OutboxQuerySchema
from app.services import outbox as service

blp = Blueprint("outbox_messages", __name__, url_prefix="/api/v1/outbox-messages",
                description="Messages to staff and customers and their delivery state (admins list them; managers "
                            "and admins retry a dead letter).")


@blp.route("")
class OutboxMessages(MethodView):
    @blp.arguments(OutboxQuerySchema, location="query")
    @blp.response(200, OutboxMessageSchema(many=True))
    @blp.paginate(feed=False)
    @requires(Role.ADMIN)
    def get(self, filters, pagination_parameters):
        """Newest first; filter by state (e.g. DEAD for the dead letters)."""
        return page_of(pagination_parameters, service.page_messages, **filters)


@blp.route("/<uuid:message_id>/retry")
class RetryMessage(MethodView):
    @blp.response(200, OutboxMessageSchema, example=RETRIED_EXAMPLE)
    @blp.alt_response(403, schema=ErrorSchema, description="Retrying needs the MANAGER role")
    @blp.alt_response(404, schema=ErrorSchema, description="No such message in this resort")
    @blp.alt_response(409, schema=ErrorSchema, description="The message is not DEAD (pending, sending, sent or "
                                                           "suppressed), or was retried a moment ago")
    @blp.alt_response(422, schema=ErrorSchema, description="A staff email whose link has expired or been used")
    @requires(Role.MANAGER)
    def post(self, message_id):
        """Give a dead letter a fresh set of attempts: PENDING, attempts 0, delivered after the commit (audited)."""
        return service.retry_message(message_id=message_id)
