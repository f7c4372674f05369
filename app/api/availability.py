"""Availability (which kennels and daily places are free) and the day sheet (the front desk's day)."""
from flask.views import MethodView

from app.api.etags import Blueprint
from app.auth import requires
from app.models import Role
from app.schemas.common import ErrorSchema
from app.schemas.reservations import AvailabilityQuerySchema, AvailabilitySchema, DaySheetQuerySchema, DaySheetSchema
from app.services import availability, boards

blp = Blueprint("availability", __name__, url_prefix="/api/v1",
                description="Free kennels and daily places for a stay, and the day sheet of a tenant-local day.")


@blp.route("/availability")
class Availability(MethodView):
    @blp.arguments(AvailabilityQuerySchema, location="query")
    @blp.response(200, AvailabilitySchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such service or pet (or one of another resort)")
    @blp.alt_response(422, schema=ErrorSchema, description="E.g. no nights, pets of two households (field named)")
    @requires(Role.STAFF)
    def get(self, query):
        """Kennels that can take the pets (`pet_id`, repeatable) on every night, with places left; the kennels refused
        and why; and, for a service with a daily capacity, the places left each day.

        Nights are half-open: a stay ending on a day never conflicts with one starting on it.
        """
        return availability.check_availability(service_id=query["service_id"], start_date=query["start_date"],
                                               end_date=query.get("end_date"), pet_ids=query["pet_id"])


@blp.route("/day-sheet")
class DaySheet(MethodView):
    @blp.arguments(DaySheetQuerySchema, location="query")
    @blp.response(200, DaySheetSchema)
    @blp.alt_response(422, schema=ErrorSchema, description="A malformed date")
    @requires(Role.STAFF)
    def get(self, query):
        """Arrivals, departures, pets in house, daycare and grooming for a day (default: today in the resort's
        timezone), with counts and tonight's kennel occupancy."""
        return boards.day_sheet(day=query.get("date"))
