"""Manager reports: daily close-out, revenue by service category, aged balances, kennel occupancy.

Every figure is aggregated by the database (GROUP BY / SUM / CASE), one statement per section, so a
year of a large resort costs the same number of statements as a week of a small one. Days are the
tenant's local days: a local date becomes a half-open UTC range [local midnight, next local midnight)
and timestamps are compared against it, which keeps the (tenant_id, received_at) indexes usable.
"""
import csv
import io
import zoneinfo
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, case, func, literal, or_, select

from app.core.errors import RuleViolation
from app.core.extensions import db
from app.core.pagination import MAX_PAGE
from app.models import (
    Customer,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Kennel,
    KennelNight,
    LineKind,
    Payment,
    PaymentMethod,
    Refund,
    RefundDestination,
    Reservation,
    Service,
)
from app.models.billing import OPEN_STATUSES
from app.services.compliance import tenant_today
from app.services.customer_csv import neutralise
from app.tenancy import current_tenant

MAX_RANGE_DAYS = 366  # a year per report; longer ranges are a 422 rather than an unbounded scan
LIVE_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID)
AGING_BUCKETS = ("0-30", "31-60", "61-90", "90+")
OTHER_CATEGORY = "OTHER"  # lines of standalone invoices (retail, one-off fees, cancellation fees)
# The cancellation policy's FORFEIT outcome pays a fee invoice from the voided booking's credit with this
# reference (billing.settle_cancellation); a clerk's own credit payment on a new invoice has no replaces_id.
FORFEIT_REFERENCE = "cancellation"


# --- dates --------------------------------------------------------------------------------------------


def _zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(current_tenant().timezone)


def local_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """UTC instants of local midnight on `first` and of local midnight after `last` (half-open range)."""
    zone = _zone()
    start = datetime.combine(first, time(0, 0), zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0, 0), zone).astimezone(UTC)
    return start, end


def check_range(start: date, end: date, *, max_days: int = MAX_RANGE_DAYS) -> None:
    """Refuse an end before the start, or a range longer than max_days, naming the field."""
    if end < start:
        raise RuleViolation("The range ends before it starts.", errors={"end": ["On or after the start date."]})
    if (end - start).days + 1 > max_days:
        raise RuleViolation(f"At most {max_days} days per report.",
                            errors={"end": [f"At most {max_days} days after the start date."]})


# --- 1. daily close-out -------------------------------------------------------------------------------


def _sum(expr):
    return func.coalesce(func.sum(expr), 0)


def _when(condition, value):
    return _sum(case((condition, value), else_=0))


def close_out(*, day: date | None = None) -> dict:
    """One local day's money for the cash drawer: payments and refunds by method, invoices, tax, deposits, forfeits.

    Payments count when received, refunds when made, invoices when issued (a later void does not rewrite
    the day: voids are listed on the day they happen). ACCOUNT_CREDIT moves no money, so it is shown but
    left out of `money_in_cents`; a refund kept as account credit is left out of `money_out_cents`.
    """
    day = day or tenant_today()
    start, end = local_bounds(day, day)

    forfeit = and_(Payment.method == PaymentMethod.ACCOUNT_CREDIT, Payment.reference == FORFEIT_REFERENCE,
                   Invoice.replaces_id.is_not(None))
    payment_rows = db.session.execute(
        select(Payment.method, func.count(Payment.id), _sum(Payment.amount_cents),
               _when(Payment.deposit.is_(True), literal(1)), _when(Payment.deposit.is_(True), Payment.amount_cents),
               _when(forfeit, literal(1)), _when(forfeit, Payment.amount_cents))
        .join(Invoice, Invoice.id == Payment.invoice_id)
        .where(Payment.received_at >= start, Payment.received_at < end)
        .group_by(Payment.method)).all()

    refund_rows = db.session.execute(
        select(Payment.method, Refund.destination, func.count(Refund.id), _sum(Refund.amount_cents))
        .join(Payment, Payment.id == Refund.payment_id)
        .where(Refund.created_at >= start, Refund.created_at < end)
        .group_by(Payment.method, Refund.destination)).all()

    issued_today = and_(Invoice.issued_at >= start, Invoice.issued_at < end)
    voided_today = and_(Invoice.voided_at >= start, Invoice.voided_at < end, Invoice.number.is_not(None))
    invoices = db.session.execute(
        select(_when(issued_today, literal(1)), _when(issued_today, Invoice.total_cents),
               _when(issued_today, Invoice.tax_cents),
               _when(voided_today, literal(1)), _when(voided_today, Invoice.total_cents))
        .select_from(Invoice).where(or_(issued_today, voided_today))).one()

    payments = [{"method": PaymentMethod(m).value, "count": n, "amount_cents": total}
                for m, n, total, *_ in sorted(payment_rows, key=lambda r: list(PaymentMethod).index(r[0]))]
    refunds = [{"method": PaymentMethod(m).value, "destination": RefundDestination(d).value, "count": n,
                "amount_cents": total}
               for m, d, n, total in sorted(refund_rows, key=lambda r: (list(PaymentMethod).index(r[0]), r[1]))]
    money_in = sum(p["amount_cents"] for p in payments if p["method"] != PaymentMethod.ACCOUNT_CREDIT)
    money_out = sum(r["amount_cents"] for r in refunds if r["method"] != PaymentMethod.ACCOUNT_CREDIT
                    and r["destination"] == RefundDestination.ORIGINAL_METHOD)
    drawer = {m.value: 0 for m in PaymentMethod if m != PaymentMethod.ACCOUNT_CREDIT}
    for p in payments:
        if p["method"] in drawer:
            drawer[p["method"]] += p["amount_cents"]
    for r in refunds:
        if r["method"] in drawer and r["destination"] == RefundDestination.ORIGINAL_METHOD:
            drawer[r["method"]] -= r["amount_cents"]
    return {
        "date": day, "timezone": current_tenant().timezone, "currency": current_tenant().currency,
        "from_utc": start, "to_utc": end,
        "payments": payments, "refunds": refunds,
        "money_in_cents": money_in, "money_out_cents": money_out, "net_cents": money_in - money_out,
        "net_by_method": [{"method": m, "amount_cents": v} for m, v in drawer.items()],
        "invoices_issued": {"count": invoices[0], "total_cents": invoices[1]},
        "invoices_voided": {"count": invoices[3], "total_cents": invoices[4]},
        "tax_cents": invoices[2],
        "deposits_taken": {"count": sum(r[3] for r in payment_rows), "amount_cents": sum(r[4] for r in payment_rows)},
        "deposits_forfeited": {"count": sum(r[5] for r in payment_rows),
                               "amount_cents": sum(r[6] for r in payment_rows)},
    }


# --- 2. revenue by service category -------------------------------------------------------------------


def revenue(*, start: date, end: date) -> dict:
    """Invoice lines of live (issued, not void) invoices issued in [start, end], summed by service category."""
    check_range(start, end)
    since, until = local_bounds(start, end)
    kind_sum = {kind: _when(InvoiceLine.kind == kind, InvoiceLine.amount_cents) for kind in LineKind}
    rows = db.session.execute(
        select(Service.category, func.count(func.distinct(Invoice.id)), *kind_sum.values())
        .select_from(InvoiceLine)
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .outerjoin(Reservation, Reservation.id == Invoice.reservation_id)
        .outerjoin(Service, Service.id == Reservation.service_id)
        .where(Invoice.status.in_(LIVE_STATUSES), Invoice.issued_at >= since, Invoice.issued_at < until)
        .group_by(Service.category)).all()
    categories = []
    for category, invoices, *amounts in rows:
        by_kind = dict(zip((k.value for k in LineKind), amounts, strict=True))
        tax = by_kind[LineKind.TAX]
        gross = sum(amounts)
        categories.append({"category": category.value if category else OTHER_CATEGORY, "invoices": invoices,
                           "service_cents": by_kind[LineKind.SERVICE], "add_on_cents": by_kind[LineKind.ADD_ON],
                           "discount_cents": by_kind[LineKind.DISCOUNT], "surcharge_cents": by_kind[LineKind.SURCHARGE],
                           "fee_cents": by_kind[LineKind.FEE], "product_cents": by_kind[LineKind.PRODUCT],
                           "net_cents": gross - tax, "tax_cents": tax, "gross_cents": gross})
    categories.sort(key=lambda c: (c["category"] == OTHER_CATEGORY, c["category"]))
    totals = {key: sum(c[key] for c in categories) for key in
              ("invoices", "service_cents", "add_on_cents", "discount_cents", "surcharge_cents", "fee_cents",
               "product_cents", "net_cents", "tax_cents", "gross_cents")}
    return {"start": start, "end": end, "timezone": current_tenant().timezone, "currency": current_tenant().currency,
            "categories": categories, "totals": totals}


# --- 3. aged balances ---------------------------------------------------------------------------------


def aging(*, as_of: date | None = None, page: int | None = None, page_size: int | None = None) -> dict:
    """What each household owes on open invoices, bucketed by days since the local issue date: 0-30 ... 90+.

    One page of households (largest balance first; every household when page is None, as the CSV
    wants) and the totals over all of them: two statements whatever the page or the tenant's size,
    both aggregated by the database over the same grouped subquery.
    """
    as_of = as_of or tenant_today()
    zone = _zone()
    if page is not None and page > MAX_PAGE:
        raise RuleViolation("Page out of range.", errors={"page": [f"At most {MAX_PAGE:,}."]})

    def cutoff(days: int) -> datetime:  # issued on or after this instant: at most `days` days old on as_of
        return datetime.combine(as_of - timedelta(days=days), time(0, 0), zone).astimezone(UTC)

    _, until = local_bounds(as_of, as_of)
    balance = Invoice.total_cents - Invoice.paid_cents
    bucket = case((Invoice.issued_at >= cutoff(30), 0), (Invoice.issued_at >= cutoff(60), 1),
                  (Invoice.issued_at >= cutoff(90), 2), else_=3)
    sums = [_when(bucket == i, balance).label(f"b{i}") for i in range(len(AGING_BUCKETS))]
    per_household = (
        select(Customer.id.label("customer_id"), Customer.first_name, Customer.last_name,
               func.count(Invoice.id).label("invoices"), _sum(balance).label("balance"), *sums,
               func.min(Invoice.issued_at).label("oldest"))
        .join(Customer, Customer.id == Invoice.customer_id)
        .where(Invoice.status.in_(OPEN_STATUSES), Invoice.issued_at < until, balance > 0)
        .group_by(Customer.id, Customer.first_name, Customer.last_name)).subquery()
    c = per_household.c
    bucket_cols = [c[f"b{i}"] for i in range(len(AGING_BUCKETS))]
    households, invoices, owed, *bucket_totals = db.session.execute(
        select(func.count(), _sum(c.invoices), _sum(c.balance), *(_sum(col) for col in bucket_cols))
        .select_from(per_household)).one()
    stmt = (select(c.customer_id, c.first_name, c.last_name, c.invoices, c.balance, *bucket_cols, c.oldest)
            .order_by(c.balance.desc(), c.last_name, c.first_name, c.customer_id))
    if page is not None:
        size = page_size or 50
        stmt = stmt.limit(size).offset((page - 1) * size)
    rows = db.session.execute(stmt).all()
    customers = [{"customer_id": cid, "name": f"{first} {last}".strip(), "invoices": n, "balance_cents": int(total),
                  "buckets": dict(zip(AGING_BUCKETS, (int(b) for b in buckets), strict=True)),
                  "oldest_issue_date": _aware(oldest).astimezone(zone).date() if oldest else None}
                 for cid, first, last, n, total, *buckets, oldest in rows]
    totals = {"households": households, "invoices": int(invoices), "balance_cents": int(owed),
              "buckets": dict(zip(AGING_BUCKETS, (int(b) for b in bucket_totals), strict=True))}
    return {"as_of": as_of, "timezone": current_tenant().timezone, "currency": current_tenant().currency,
            "customers": customers, "totals": totals}


def _aware(moment: datetime) -> datetime:
    """A timestamp read through a subquery (SQLite hands back a naive UTC datetime or text), as aware UTC."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- 4. occupancy -------------------------------------------------------------------------------------


def occupancy(*, start: date, end: date) -> dict:
    """Kennel places held each night in [start, end] against the capacity of today's active kennels."""
    check_range(start, end)
    capacity = db.session.execute(select(_sum(Kennel.capacity), func.count(Kennel.id))
                                  .select_from(Kennel).where(Kennel.active.is_(True))).one()
    held = dict(db.session.execute(
        select(KennelNight.night, func.count()).select_from(KennelNight).where(KennelNight.night >= start, KennelNight.night <= end)
        .group_by(KennelNight.night)).all())
    total = capacity[0]
    nights = []
    for offset in range((end - start).days + 1):  # one entry per calendar night, zero where nothing was held
        night = start + timedelta(days=offset)
        occupied = held.get(night, 0)
        nights.append({"night": night, "occupied": occupied, "capacity": total,
                       "percent": round(100 * occupied / total, 1) if total else 0.0})
    occupied = sum(n["occupied"] for n in nights)
    available = total * len(nights)
    return {"start": start, "end": end, "kennels": capacity[1], "capacity": total, "nights": nights,
            "totals": {"occupied": occupied, "available": available,
                       "percent": round(100 * occupied / available, 1) if available else 0.0}}


# --- CSV ----------------------------------------------------------------------------------------------


def money_text(cents: int) -> str:
    """Cents as a plain decimal amount: -1234 -> "-12.34"."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _csv(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    """A CSV document whose every cell is formula-safe (customer_csv.neutralise)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([neutralise("" if v is None else str(v)) for v in row])
    return out.getvalue()


def close_out_csv(report: dict) -> str:
    """The close-out as section, item, count, amount rows."""
    rows = [("payments", p["method"], p["count"], money_text(p["amount_cents"])) for p in report["payments"]]
    rows += [("refunds", f"{r['method']} to {r['destination']}", r["count"], money_text(r["amount_cents"]))
             for r in report["refunds"]]
    rows += [("drawer", n["method"], "", money_text(n["amount_cents"])) for n in report["net_by_method"]]
    rows += [("totals", "money in", "", money_text(report["money_in_cents"])),
             ("totals", "money out", "", money_text(report["money_out_cents"])),
             ("totals", "net", "", money_text(report["net_cents"])),
             ("invoices", "issued", report["invoices_issued"]["count"],
              money_text(report["invoices_issued"]["total_cents"])),
             ("invoices", "voided", report["invoices_voided"]["count"],
              money_text(report["invoices_voided"]["total_cents"])),
             ("tax", "collected", "", money_text(report["tax_cents"])),
             ("deposits", "taken", report["deposits_taken"]["count"], money_text(report["deposits_taken"]["amount_cents"])),
             ("deposits", "forfeited", report["deposits_forfeited"]["count"],
              money_text(report["deposits_forfeited"]["amount_cents"]))]
    return _csv(["section", "item", "count", f"amount_{report['currency']}"], rows)


REVENUE_COLUMNS = ("service_cents", "add_on_cents", "discount_cents", "surcharge_cents", "fee_cents", "product_cents",
                   "net_cents", "tax_cents", "gross_cents")


def revenue_csv(report: dict) -> str:
    """One row per category and a total row; amounts in the currency's units."""
    rows = [[c["category"], c["invoices"], *(money_text(c[k]) for k in REVENUE_COLUMNS)] for c in report["categories"]]
    rows.append(["TOTAL", report["totals"]["invoices"], *(money_text(report["totals"][k]) for k in REVENUE_COLUMNS)])
    return _csv(["category", "invoices", *(k.removesuffix("_cents") for k in REVENUE_COLUMNS)], rows)


def aging_csv(report: dict) -> str:
    """One row per household (its name neutralised like any cell) and a total row."""
    rows = [[c["customer_id"], c["name"], c["invoices"], c["oldest_issue_date"],
             *(money_text(c["buckets"][b]) for b in AGING_BUCKETS), money_text(c["balance_cents"])]
            for c in report["customers"]]
    totals = report["totals"]
    rows.append(["", "TOTAL", totals["invoices"], "", *(money_text(totals["buckets"][b]) for b in AGING_BUCKETS),
                 money_text(totals["balance_cents"])])
    return _csv(["customer_id", "customer", "invoices", "oldest_issue_date",
                 *(f"days_{b}" for b in AGING_BUCKETS), "balance"], rows)


def occupancy_csv(report: dict) -> str:
    """One row per night and a total row."""
    rows = [[n["night"], n["occupied"], n["capacity"], n["percent"]] for n in report["nights"]]
    rows.append(["TOTAL", report["totals"]["occupied"], report["totals"]["available"], report["totals"]["percent"]])
    return _csv(["night", "occupied", "capacity", "percent"], rows)


# --- SVG bar chart -------------------------------------------------------------------------------------


def bar_chart(bars: Sequence[tuple[str, float, str]], *, width: int = 640, height: int = 220) -> dict:
    """Geometry for a server-rendered SVG bar chart: [(label, value, caption)] scaled to the largest value."""
    top = max((v for _, v, _ in bars), default=0) or 1
    plot_h, gap = height - 40, 4
    slot = width / max(len(bars), 1)
    out = []
    for i, (label, value, caption) in enumerate(bars):
        h = max(value, 0) / top * plot_h
        out.append({"label": label, "caption": caption, "x": round(i * slot + gap / 2, 1),
                    "y": round(10 + plot_h - h, 1), "w": round(max(slot - gap, 1), 1), "h": round(h, 1),
                    "tx": round(i * slot + slot / 2, 1)})
    return {"width": width, "height": height, "bars": out, "baseline": 10 + plot_h,
            "show_labels": len(bars) <= 31}
