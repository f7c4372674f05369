"""Quotes: the server prices a stay from the catalog and the active price rules."""
from flask.views import MethodView
from flask_smorest import Blueprint

from app.auth import requires
from app.models import Role
from app.schemas.catalog import QUOTE_EXAMPLE, QuoteRequestSchema, QuoteSchema
from app.schemas.common import ErrorSchema
from app.services import pricing

blp = Blueprint("quotes", __name__, url_prefix="/api/v1/quotes",
                description="Server-side prices: the one quote engine used by bookings and invoices.")


@blp.route("")
class Quotes(MethodView):
    @blp.arguments(QuoteRequestSchema, example=QUOTE_EXAMPLE)
    @blp.response(200, QuoteSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="The service or an add-on does not exist")
    @blp.alt_response(422, schema=ErrorSchema, description="E.g. a kennel stay with no nights, a species the "
                                                           "service does not take, an add-on not for this service")
    @blp.doc(description="Prices are computed on the server only, from the catalog and the active price rules, "
                         "in integer minor units of the tenant's currency.\n\n" + pricing.PRICING_RULES)
    @requires(Role.STAFF)
    def post(self, data):
        """Price a stay or appointment (nothing is booked or stored)."""
        return pricing.quote_stay(**data)
