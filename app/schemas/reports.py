"""Report schemas: the query strings (tenant-local dates, `format=json|csv`) and the report bodies."""
import marshmallow as ma

from app.schemas.common import QuerySchema
from app.services.reports import AGING_BUCKETS

FORMAT = ma.fields.String(load_default="json", validate=ma.validate.OneOf(["json", "csv"]),
                          metadata={"description": "`csv` answers a formula-safe CSV download instead of JSON."})


class CloseOutQuerySchema(QuerySchema):
    date = ma.fields.Date(metadata={"description": "The resort's local day (default: today there).",
                                    "example": "2026-03-14"})
    format = FORMAT


class RangeQuerySchema(QuerySchema):
    start = ma.fields.Date(required=True, metadata={"description": "First local day.", "example": "2026-03-01"})
    end = ma.fields.Date(required=True, metadata={"description": "Last local day (inclusive; at most a year on).",
                                                  "example": "2026-03-31"})
    format = FORMAT


class AgingQuerySchema(QuerySchema):
    as_of = ma.fields.Date(metadata={"description": "Age invoices as of this local day (default: today there).",
                                     "example": "2026-03-31"})
    format = FORMAT


class CountAmountSchema(ma.Schema):
    count = ma.fields.Integer()
    amount_cents = ma.fields.Integer()


class CountTotalSchema(ma.Schema):
    count = ma.fields.Integer()
    total_cents = ma.fields.Integer()


class MethodAmountSchema(ma.Schema):
    method = ma.fields.String()
    count = ma.fields.Integer()
    amount_cents = ma.fields.Integer()


class RefundAmountSchema(MethodAmountSchema):
    destination = ma.fields.String(metadata={"description": "ORIGINAL_METHOD leaves the drawer; ACCOUNT_CREDIT "
                                                            "stays with the resort."})


class NetSchema(ma.Schema):
    method = ma.fields.String()
    amount_cents = ma.fields.Integer()


class CloseOutSchema(ma.Schema):
    date = ma.fields.Date()
    timezone = ma.fields.String()
    currency = ma.fields.String()
    from_utc = ma.fields.DateTime(metadata={"description": "The local day's first instant, in UTC."})
    to_utc = ma.fields.DateTime(metadata={"description": "The next local day's first instant, in UTC (excluded)."})
    payments = ma.fields.List(ma.fields.Nested(MethodAmountSchema))
    refunds = ma.fields.List(ma.fields.Nested(RefundAmountSchema))
    money_in_cents = ma.fields.Integer(metadata={"description": "Payments received, account credit excluded."})
    money_out_cents = ma.fields.Integer(metadata={"description": "Refunds paid back to their method."})
    net_cents = ma.fields.Integer()
    net_by_method = ma.fields.List(ma.fields.Nested(NetSchema), metadata={
        "description": "What each method's drawer or statement should show: payments minus refunds paid back."})
    invoices_issued = ma.fields.Nested(CountTotalSchema)
    invoices_voided = ma.fields.Nested(CountTotalSchema)
    tax_cents = ma.fields.Integer(metadata={"description": "Tax on the invoices issued that day."})
    deposits_taken = ma.fields.Nested(CountAmountSchema)
    deposits_forfeited = ma.fields.Nested(CountAmountSchema, metadata={
        "description": "Cancellation fees kept under the policy's FORFEIT tier."})


class RevenueTotalsSchema(ma.Schema):
    invoices = ma.fields.Integer()
    service_cents = ma.fields.Integer()
    add_on_cents = ma.fields.Integer()
    discount_cents = ma.fields.Integer(metadata={"description": "Negative."})
    surcharge_cents = ma.fields.Integer()
    fee_cents = ma.fields.Integer()
    product_cents = ma.fields.Integer()
    net_cents = ma.fields.Integer(metadata={"description": "Before tax."})
    tax_cents = ma.fields.Integer()
    gross_cents = ma.fields.Integer()


class RevenueCategorySchema(RevenueTotalsSchema):
    category = ma.fields.String(metadata={"description": "The booking's service category; OTHER for standalone "
                                                         "invoices (retail, fees, cancellation fees)."})


class RevenueSchema(ma.Schema):
    start = ma.fields.Date()
    end = ma.fields.Date()
    timezone = ma.fields.String()
    currency = ma.fields.String()
    categories = ma.fields.List(ma.fields.Nested(RevenueCategorySchema))
    totals = ma.fields.Nested(RevenueTotalsSchema)


BUCKETS = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(),
                         metadata={"description": "Cents owed by days since the local issue date: "
                                                  + ", ".join(AGING_BUCKETS) + ".",
                                   "example": {"0-30": 5412, "31-60": 0, "61-90": 2500, "90+": 0}})


class AgedCustomerSchema(ma.Schema):
    customer_id = ma.fields.UUID()
    name = ma.fields.String()
    invoices = ma.fields.Integer()
    balance_cents = ma.fields.Integer()
    buckets = BUCKETS
    oldest_issue_date = ma.fields.Date()


class AgingTotalsSchema(ma.Schema):
    households = ma.fields.Integer(metadata={"description": "Households owing anything (every page; the "
                                                            "`X-Pagination` total)."})
    invoices = ma.fields.Integer()
    balance_cents = ma.fields.Integer()
    buckets = BUCKETS


class AgingSchema(ma.Schema):
    as_of = ma.fields.Date()
    timezone = ma.fields.String()
    currency = ma.fields.String()
    customers = ma.fields.List(ma.fields.Nested(AgedCustomerSchema),
                               metadata={"description": "One page of households, largest balance first "
                                                        "(`page`, `page_size`; every household in the CSV)."})
    totals = ma.fields.Nested(AgingTotalsSchema, metadata={"description": "Over every household, not the page."})


class NightSchema(ma.Schema):
    night = ma.fields.Date()
    occupied = ma.fields.Integer(metadata={"description": "Kennel places held that night (one per pet)."})
    capacity = ma.fields.Integer()
    percent = ma.fields.Float()


class OccupancyTotalsSchema(ma.Schema):
    occupied = ma.fields.Integer()
    available = ma.fields.Integer(metadata={"description": "Capacity times nights."})
    percent = ma.fields.Float()


class OccupancyReportSchema(ma.Schema):
    start = ma.fields.Date()
    end = ma.fields.Date()
    kennels = ma.fields.Integer(metadata={"description": "Active kennels."})
    capacity = ma.fields.Integer(metadata={"description": "Places in the active kennels."})
    nights = ma.fields.List(ma.fields.Nested(NightSchema))
    totals = ma.fields.Nested(OccupancyTotalsSchema)


CLOSE_OUT_EXAMPLE = {
    "date": "2026-03-14", "timezone": "America/Denver", "currency": "USD",
    "from_utc": "2026-03-14T07:00:00+00:00", "to_utc": "2026-03-15T06:00:00+00:00",
    "payments": [{"method": "CASH", "count": 3, "amount_cents": 18000},
                 {"method": "CARD", "count": 5, "amount_cents": 61250}],
    "refunds": [{"method": "CARD", "destination": "ORIGINAL_METHOD", "count": 1, "amount_cents": 2500}],
    "money_in_cents": 79250, "money_out_cents": 2500, "net_cents": 76750,
    "net_by_method": [{"method": "CASH", "amount_cents": 18000}, {"method": "CARD", "amount_cents": 58750}],
    "invoices_issued": {"count": 6, "total_cents": 84310}, "invoices_voided": {"count": 0, "total_cents": 0},
    "tax_cents": 6310, "deposits_taken": {"count": 2, "amount_cents": 6000},
    "deposits_forfeited": {"count": 1, "amount_cents": 3000},
}
REVENUE_EXAMPLE = {
    "start": "2026-03-01", "end": "2026-03-31", "timezone": "America/Denver", "currency": "USD",
    "categories": [{"category": "BOARDING", "invoices": 40, "service_cents": 600000, "add_on_cents": 32000,
                    "discount_cents": -15000, "surcharge_cents": 4000, "fee_cents": 0, "product_cents": 0,
                    "net_cents": 621000, "tax_cents": 51233, "gross_cents": 672233}],
    "totals": {"invoices": 40, "service_cents": 600000, "add_on_cents": 32000, "discount_cents": -15000,
               "surcharge_cents": 4000, "fee_cents": 0, "product_cents": 0, "net_cents": 621000, "tax_cents": 51233,
               "gross_cents": 672233},
}
AGING_EXAMPLE = {
    "as_of": "2026-03-31", "timezone": "America/Denver", "currency": "USD",
    "customers": [{"customer_id": "1b4e28ba-2fa1-11d2-883f-0016d3cca427", "name": "Ann Smith", "invoices": 2,
                   "balance_cents": 7912, "buckets": {"0-30": 5412, "31-60": 0, "61-90": 2500, "90+": 0},
                   "oldest_issue_date": "2026-01-20"}],
    "totals": {"households": 1, "invoices": 2, "balance_cents": 7912, "buckets": {"0-30": 5412, "31-60": 0, "61-90": 2500, "90+": 0}},
}
OCCUPANCY_EXAMPLE = {
    "start": "2026-03-01", "end": "2026-03-02", "kennels": 20, "capacity": 24,
    "nights": [{"night": "2026-03-01", "occupied": 18, "capacity": 24, "percent": 75.0},
               {"night": "2026-03-02", "occupied": 12, "capacity": 24, "percent": 50.0}],
    "totals": {"occupied": 30, "available": 48, "percent": 62.5},
}
