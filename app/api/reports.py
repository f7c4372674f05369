"""Reports API (MANAGER): daily close-out, revenue by category, aged balances, occupancy; JSON or CSV."""
from flask import Response
from flask.views import MethodView

from app.api.etags import Blueprint
from app.auth import requires
from app.models import Role
from app.schemas.common import ErrorSchema
from app.schemas.reports import (
    AGING_EXAMPLE,
    CLOSE_OUT_EXAMPLE,
    OCCUPANCY_EXAMPLE,
    REVENUE_EXAMPLE,
    AgingQuerySchema,
    AgingSchema,
    CloseOutQuerySchema,
    CloseOutSchema,
    OccupancyReportSchema,
    RangeQuerySchema,
    RevenueSchema,
)
from app.services import reports

blp = Blueprint("reports", __name__, url_prefix="/api/v1/reports",
                description="Manager reports in the resort's local dates, aggregated by the database. Add "
                            "`format=csv` for a spreadsheet-safe CSV download (cells that would start a formula "
                            "are prefixed with `'`).")

WHY = {
    403: "Reports need the MANAGER role",
    422: "A date is malformed, the range ends before it starts or spans more than a year, or `format` is unknown "
         "(the field is named)",
}


def _errors(view):
    for status in (422, 403):
        view = blp.alt_response(status, schema=ErrorSchema, description=WHY[status])(view)
    return view


def _answers(schema, example: dict, csv_example: str):
    """Document the JSON answer and, beside it, the `format=csv` one."""
    content = {"application/json": {"schema": schema, "example": example},
               "text/csv": {"schema": {"type": "string"}, "example": csv_example}}
    return blp.doc(responses={"200": {"description": "The report (JSON), or CSV with `format=csv`.",
                                      "content": content}})


def _answer(report: dict, fmt: str, to_csv, name: str):
    if fmt == "csv":
        return Response(to_csv(report), mimetype="text/csv",
                        headers={"Content-Disposition": f"attachment; filename={name}.csv"})
    return report


@blp.route("/close-out")
class CloseOut(MethodView):
    @blp.arguments(CloseOutQuerySchema, location="query")
    @blp.response(200, CloseOutSchema)
    @_answers(CloseOutSchema, CLOSE_OUT_EXAMPLE, "section,item,count,amount_USD\r\npayments,CASH,3,180.00\r\n")
    @_errors
    @requires(Role.MANAGER)
    def get(self, query):
        """One local day for the cash drawer: payments and refunds by method, invoices issued, tax, deposits."""
        report = reports.close_out(day=query.get("date"))
        return _answer(report, query["format"], reports.close_out_csv, f"close-out-{report['date']}")


@blp.route("/revenue")
class Revenue(MethodView):
    @blp.arguments(RangeQuerySchema, location="query")
    @blp.response(200, RevenueSchema)
    @_answers(RevenueSchema, REVENUE_EXAMPLE, "category,invoices,service,add_on,discount,surcharge,fee,product,net,tax,gross\r\n"
              "BOARDING,40,6000.00,320.00,-150.00,40.00,0.00,0.00,6210.00,512.33,6722.33\r\n")
    @_errors
    @requires(Role.MANAGER)
    def get(self, query):
        """Lines of issued, non-void invoices issued between `start` and `end` (local, inclusive), by category."""
        report = reports.revenue(start=query["start"], end=query["end"])
        return _answer(report, query["format"], reports.revenue_csv, f"revenue-{query['start']}-{query['end']}")


@blp.route("/aging")
class Aging(MethodView):
    @blp.arguments(AgingQuerySchema, location="query")
    @blp.response(200, AgingSchema)
    @blp.paginate(feed=False)
    @_answers(AgingSchema, AGING_EXAMPLE, "customer_id,customer,invoices,oldest_issue_date,days_0-30,days_31-60,days_61-90,days_90+,balance\r\n")
    @_errors
    @requires(Role.MANAGER)
    def get(self, query, pagination_parameters):
        """Open invoice balances per household, in buckets of days since issue (0-30, 31-60, 61-90, 90+).

        The households are paged (`page`, `page_size`, `X-Pagination` counts households); the totals
        cover all of them. `format=csv` downloads every household.
        """
        csv = query["format"] == "csv"
        report = reports.aging(as_of=query.get("as_of"), page=None if csv else pagination_parameters.page,
                               page_size=pagination_parameters.page_size)
        pagination_parameters.item_count = report["totals"]["households"]
        return _answer(report, query["format"], reports.aging_csv, f"aging-{report['as_of']}")


@blp.route("/occupancy")
class Occupancy(MethodView):
    @blp.arguments(RangeQuerySchema, location="query")
    @blp.response(200, OccupancyReportSchema)
    @_answers(OccupancyReportSchema, OCCUPANCY_EXAMPLE, "night,occupied,capacity,percent\r\n2026-03-01,18,24,75.0\r\n")
    @_errors
    @requires(Role.MANAGER)
    def get(self, query):
        """Kennel places held each night from `start` to `end` (inclusive) against active kennel capacity."""
        report = reports.occupancy(start=query["start"], end=query["end"])
        return _answer(report, query["format"], reports.occupancy_csv, f"occupancy-{query['start']}-{query['end']}")
