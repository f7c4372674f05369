"""Report pages (MANAGER): close-out, revenue, aging, occupancy, each with a CSV download of the same figures."""
from datetime import timedelta

import marshmallow as ma
from flask import Response, render_template, request

from app.auth import requires
from app.core.errors import RuleViolation
from app.core.pagination import MAX_PAGE
from app.models import Role
from app.schemas.reports import AgingQuerySchema, CloseOutQuerySchema, RangeQuerySchema
from app.services import reports
from app.services.compliance import tenant_today
from app.web.common import page_blueprint

bp = page_blueprint("report_pages", __name__, url_prefix="/reports")
AGING_PAGE_SIZE = 50


def _query(schema: ma.Schema, defaults: dict) -> dict:
    """The query string parsed by the API's schema (blanks take the defaults); a bad value is a RuleViolation."""
    raw = {key: value for key, value in request.args.items() if value.strip()}
    try:
        return schema.load({**defaults, **raw})
    except ma.ValidationError as exc:
        raise RuleViolation("Check the highlighted fields.", errors=exc.messages) from None


def _page(template: str, build, schema: ma.Schema, defaults: dict, to_csv, name: str, **context):
    """Render a report page, or its CSV when format=csv; a bad date range re-renders the form with a 422."""
    values = {**{k: str(v) for k, v in defaults.items()}, **request.args.to_dict()}
    try:
        query = _query(schema, {k: str(v) for k, v in defaults.items()})
        report = build(query)
    except RuleViolation as exc:
        return render_template(template, report=None, values=values, errors=exc.errors or {}, **context), 422
    if query.get("format") == "csv":
        return Response(to_csv(report), mimetype="text/csv",
                        headers={"Content-Disposition": f"attachment; filename={name(report)}.csv"})
    csv_args = {k: v for k, v in values.items() if k != "format"}
    return render_template(template, report=report, values=values, errors={}, csv_args=csv_args,
                           money=reports.money_text, **context)


@bp.get("")
@requires(Role.MANAGER)
def index():
    """The list of reports."""
    return render_template("reports/index.html")


@bp.get("/close-out")
@requires(Role.MANAGER)
def close_out():
    """One local day's money, to reconcile against the cash drawer."""
    return _page("reports/close_out.html", lambda q: reports.close_out(day=q.get("date")), CloseOutQuerySchema(),
                 {"date": tenant_today()}, reports.close_out_csv, lambda r: f"close-out-{r['date']}")


@bp.get("/revenue")
@requires(Role.MANAGER)
def revenue():
    """Revenue by service category over a range (default: this month so far), with a bar chart."""
    today = tenant_today()

    def build(q):
        report = reports.revenue(start=q["start"], end=q["end"])
        report["chart"] = reports.bar_chart([(c["category"].title(), c["net_cents"], reports.money_text(c["net_cents"]))
                                             for c in report["categories"]])
        return report

    return _page("reports/revenue.html", build, RangeQuerySchema(), {"start": today.replace(day=1), "end": today},
                 reports.revenue_csv, lambda r: f"revenue-{r['start']}-{r['end']}")


@bp.get("/aging")
@requires(Role.MANAGER)
def aging():
    """Open balances per household in 0-30 / 31-60 / 61-90 / 90+ day buckets."""
    page = min(max(1, request.args.get("page", 1, type=int)), MAX_PAGE)

    def build(q):  # the page shows one page of households; the CSV has every one
        csv = q.get("format") == "csv"
        return reports.aging(as_of=q.get("as_of"), page=None if csv else page, page_size=AGING_PAGE_SIZE)

    return _page("reports/aging.html", build, AgingQuerySchema(), {"as_of": tenant_today()}, reports.aging_csv,
                 lambda r: f"aging-{r['as_of']}", buckets=reports.AGING_BUCKETS, page=page, page_size=AGING_PAGE_SIZE)


@bp.get("/occupancy")
@requires(Role.MANAGER)
def occupancy():
    """Kennel places held each night against capacity (default: the next two weeks), with a bar chart."""
    today = tenant_today()

    def build(q):
        report = reports.occupancy(start=q["start"], end=q["end"])
        report["chart"] = reports.bar_chart([(n["night"].strftime("%d"), n["percent"], f"{n['night']}: "
                                              f"{n['occupied']}/{n['capacity']} ({n['percent']}%)")
                                             for n in report["nights"]])
        return report

    return _page("reports/occupancy.html", build, RangeQuerySchema(), {"start": today, "end": today + timedelta(days=13)},
                 reports.occupancy_csv, lambda r: f"occupancy-{r['start']}-{r['end']}")
