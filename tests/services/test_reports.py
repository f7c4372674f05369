"""Reports at the service layer: close-out, revenue, aging, occupancy reconcile to the cent with the money
taken through app/services/billing.py, in the resort's local days, one tenant at a time, in a fixed
number of statements."""
import csv
import io
from datetime import date, time, timedelta

import pytest

from app.core.errors import RuleViolation
from app.services import billing, customers, reports, reservations
from tests.reports_world import (
    as_tenant,
    book,
    day,
    local,
    make_world,
    move_issue,
    move_payment,
    set_timezone,
    stay_invoice,
)

PRODUCT = {"kind": "PRODUCT", "description": "Oatmeal shampoo", "unit_price_cents": 1299, "taxable": True}


@pytest.fixture
def worlds(app, tenant_a, tenant_b):
    return {"a": make_world(app, tenant_a), "b": make_world(app, tenant_b, last_name="Bravo")}


def _retail(customer_id, cents=1299, issue=True):
    return billing.create_invoice(customer_id=customer_id, lines=[{**PRODUCT, "unit_price_cents": cents}],
                                  issue=issue)


def _money_day(w, start=10):
    """A stay with its deposit on card, a retail sale in cash; part of the cash refunded, part of the card to credit."""
    reservation, stay = stay_invoice(w, start=start)
    card = billing.record_payment(reservation_id=reservation.id, amount_cents=reservation.deposit_cents,
                                  method="CARD", approval_code="A1B2C3")
    sale = _retail(w["household"])
    cash = billing.record_payment(invoice_id=sale.id, amount_cents=sale.total_cents, method="CASH")
    billing.refund_payment(payment_id=cash.id, amount_cents=500, reason="Damaged bottle")
    billing.refund_payment(payment_id=card.id, amount_cents=200, reason="Goodwill", destination="ACCOUNT_CREDIT")
    return {"stay": billing.get_invoice(invoice_id=stay.id), "sale": billing.get_invoice(invoice_id=sale.id),
            "deposit": reservation.deposit_cents}


# --- close-out -----------------------------------------------------------------------------------------


def test_the_close_out_reconciles_to_the_cent_with_the_days_payments_and_refunds(app, worlds, tenant_a):
    with as_tenant(app, tenant_a):
        money = _money_day(worlds["a"])
        report = reports.close_out(day=day(0))
        stay, sale, deposit = money["stay"], money["sale"], money["deposit"]
        assert report["payments"] == [{"method": "CASH", "count": 1, "amount_cents": sale.total_cents},
                                      {"method": "CARD", "count": 1, "amount_cents": deposit}]
        assert report["refunds"] == [
            {"method": "CASH", "destination": "ORIGINAL_METHOD", "count": 1, "amount_cents": 500},
            {"method": "CARD", "destination": "ACCOUNT_CREDIT", "count": 1, "amount_cents": 200}]
        assert report["money_in_cents"] == sale.total_cents + deposit
        assert report["money_out_cents"] == 500  # the refund kept as credit never left the drawer
        assert report["net_cents"] == sale.total_cents + deposit - 500
        drawer = {n["method"]: n["amount_cents"] for n in report["net_by_method"]}
        assert (drawer["CASH"], drawer["CARD"], drawer["CHECK"]) == (sale.total_cents - 500, deposit, 0)
        assert report["invoices_issued"] == {"count": 2, "total_cents": stay.total_cents + sale.total_cents}
        assert report["tax_cents"] == stay.tax_cents + sale.tax_cents > 0
        assert report["deposits_taken"] == {"count": 1, "amount_cents": deposit}
        assert report["deposits_forfeited"] == {"count": 0, "amount_cents": 0}


def test_a_deposit_forfeited_on_a_late_cancellation_shows_as_forfeited(app, worlds, tenant_a):
    with as_tenant(app, tenant_a):
        reservation = book(worlds["a"], start=1)
        billing.record_payment(reservation_id=reservation.id, amount_cents=reservation.deposit_cents, method="CASH")
        reservations.cancel(reservation_id=reservation.id, reason="Plans changed")
        report = reports.close_out(day=day(0))
        assert report["deposits_taken"] == {"count": 1, "amount_cents": reservation.deposit_cents}
        assert report["deposits_forfeited"] == {"count": 1, "amount_cents": reservation.deposit_cents}
        assert report["invoices_voided"]["count"] == 1  # the stay's invoice, voided by the cancellation
        assert report["money_in_cents"] == reservation.deposit_cents  # the fee is paid from credit: no new money


def test_a_payment_at_2330_in_honolulu_lands_on_that_local_day_not_the_utc_day(app, worlds, tenant_a):
    set_timezone(app, tenant_a, "Pacific/Honolulu")
    evening = date(2026, 3, 14)
    with as_tenant(app, tenant_a):
        sale = _retail(worlds["a"]["household"])
        payment = billing.record_payment(invoice_id=sale.id, amount_cents=sale.total_cents, method="CASH")
        move_payment(payment.id, local(evening, time(23, 30), "Pacific/Honolulu"))  # 09:30 UTC on the 15th
        on_the_day = reports.close_out(day=evening)
        next_day = reports.close_out(day=evening + timedelta(days=1))
        assert on_the_day["payments"] == [{"method": "CASH", "count": 1, "amount_cents": sale.total_cents}]
        assert next_day["payments"] == []
        assert on_the_day["timezone"] == "Pacific/Honolulu"


def test_another_resorts_money_never_appears_in_the_close_out(app, worlds, tenant_a, tenant_b):
    with as_tenant(app, tenant_b):
        for _ in range(2):
            _money_day(worlds["b"])
    with as_tenant(app, tenant_a):
        money = _money_day(worlds["a"])
        report = reports.close_out(day=day(0))
        assert report["money_in_cents"] == money["sale"].total_cents + money["deposit"]
        assert [p["count"] for p in report["payments"]] == [1, 1]
        assert report["invoices_issued"]["count"] == 2


# --- revenue -------------------------------------------------------------------------------------------


def test_revenue_by_category_counts_issued_invoices_only_and_sums_to_their_totals(app, worlds, tenant_a, tenant_b):
    with as_tenant(app, tenant_b):
        _money_day(worlds["b"])
    with as_tenant(app, tenant_a):
        _, stay = stay_invoice(worlds["a"])
        sale = _retail(worlds["a"]["household"])
        _retail(worlds["a"]["household"], cents=99900, issue=False)  # a draft: not revenue
        voided = _retail(worlds["a"]["household"], cents=55500)
        billing.void_invoice(invoice_id=voided.id, reason="Rang up twice")
        report = reports.revenue(start=day(0), end=day(0))
        by = {c["category"]: c for c in report["categories"]}
        assert list(by) == ["BOARDING", "OTHER"]
        assert by["BOARDING"]["gross_cents"] == stay.total_cents and by["BOARDING"]["tax_cents"] == stay.tax_cents
        assert by["BOARDING"]["service_cents"] > 0 and by["BOARDING"]["add_on_cents"] > 0
        assert (by["OTHER"]["product_cents"], by["OTHER"]["gross_cents"]) == (1299, sale.total_cents)
        assert report["totals"]["gross_cents"] == stay.total_cents + sale.total_cents
        assert report["totals"]["net_cents"] + report["totals"]["tax_cents"] == report["totals"]["gross_cents"]
        assert report["totals"]["invoices"] == 2
        assert reports.revenue(start=day(-30), end=day(-1))["categories"] == []


# --- aging ---------------------------------------------------------------------------------------------


def test_outstanding_balances_fall_into_buckets_by_their_local_issue_date(app, worlds, tenant_a, tenant_b):
    with as_tenant(app, tenant_b):
        _retail(worlds["b"]["household"], cents=77700)
    with as_tenant(app, tenant_a):
        zone = "UTC"
        _, stay = stay_invoice(worlds["a"])
        older = _retail(worlds["a"]["household"], cents=2000)
        billing.record_payment(invoice_id=older.id, amount_cents=1000, method="CASH")
        oldest = _retail(worlds["a"]["household"], cents=3000)
        paid = _retail(worlds["a"]["household"], cents=4000)
        billing.record_payment(invoice_id=paid.id, amount_cents=paid.total_cents, method="CASH")
        move_issue(older.id, local(day(-45), time(12), zone))
        move_issue(oldest.id, local(day(-100), time(12), zone))
        report = reports.aging(as_of=day(0))
        assert len(report["customers"]) == 1  # only this resort's household, and only once
        row = report["customers"][0]
        assert row["buckets"] == {"0-30": stay.total_cents, "31-60": older.total_cents - 1000, "61-90": 0,
                                  "90+": oldest.total_cents}
        assert row["balance_cents"] == sum(row["buckets"].values()) == report["totals"]["balance_cents"]
        assert row["invoices"] == 3 and row["oldest_issue_date"] == day(-100)
        ledger = billing.customer_ledger(customer_id=worlds["a"]["household"])
        assert row["balance_cents"] == ledger["open_invoices_cents"]


def test_the_aging_boundary_is_the_tenants_local_day(app, worlds, tenant_a):
    set_timezone(app, tenant_a, "Pacific/Honolulu")
    with as_tenant(app, tenant_a):
        sale = _retail(worlds["a"]["household"], cents=1000)
        as_of = date(2026, 6, 30)
        move_issue(sale.id, local(as_of - timedelta(days=30), time(23, 30), "Pacific/Honolulu"))  # 30 days old
        assert reports.aging(as_of=as_of)["totals"]["buckets"]["0-30"] == sale.total_cents
        move_issue(sale.id, local(as_of - timedelta(days=31), time(23, 30), "Pacific/Honolulu"))  # 31 days old
        assert reports.aging(as_of=as_of)["totals"]["buckets"]["31-60"] == sale.total_cents


def test_a_formula_in_a_customer_name_comes_out_neutralised_in_the_csv(app, worlds, tenant_a):
    with as_tenant(app, tenant_a):
        evil = customers.create_customer(first_name='=HYPERLINK("http://evil.example","x")', last_name="Doe")
        _retail(evil.id)
        text = reports.aging_csv(reports.aging())
        names = [row["customer"] for row in csv.DictReader(io.StringIO(text))]
        assert "'=HYPERLINK(\"http://evil.example\",\"x\") Doe" in names
        assert not any(name.startswith(("=", "+", "-", "@")) for name in names)


# --- occupancy -----------------------------------------------------------------------------------------


def test_occupancy_counts_places_held_each_night_against_active_capacity(app, worlds, tenant_a, tenant_b):
    with as_tenant(app, tenant_b):
        book(worlds["b"], start=10, nights=3)
        book(worlds["b"], start=11, nights=1, pets_=("rex",))
    with as_tenant(app, tenant_a):
        book(worlds["a"], start=10, nights=3)
        report = reports.occupancy(start=day(9), end=day(13))
        assert [n["occupied"] for n in report["nights"]] == [0, 2, 2, 2, 0]
        assert report["capacity"] == 4 and report["kennels"] == 2
        assert [n["percent"] for n in report["nights"]][1] == 50.0
        assert report["totals"] == {"occupied": 6, "available": 20, "percent": 30.0}


# --- bad ranges ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("report", [reports.revenue, reports.occupancy])
def test_a_range_that_ends_before_it_starts_or_spans_over_a_year_names_the_end_field(app, worlds, tenant_a, report):
    with as_tenant(app, tenant_a):
        with pytest.raises(RuleViolation) as exc:
            report(start=day(5), end=day(1))
        assert "end" in exc.value.errors
        with pytest.raises(RuleViolation) as exc:
            report(start=day(0), end=day(366))
        assert "end" in exc.value.errors
        report(start=day(0), end=day(365))  # a full year is fine


# --- statements ----------------------------------------------------------------------------------------


def _statements(count_queries, fn):
    with count_queries() as counter:
        fn()
    return counter.count


def test_each_report_is_a_constant_number_of_statements_whatever_the_data(app, worlds, tenant_a, count_queries):
    runs = {"close_out": lambda: reports.close_out(day=day(0)),
            "revenue": lambda: reports.revenue(start=day(-1), end=day(1)),
            "aging": lambda: reports.aging(as_of=day(0)),
            "occupancy": lambda: reports.occupancy(start=day(0), end=day(30))}
    expected = {"close_out": 3, "revenue": 1, "aging": 2, "occupancy": 2}  # aging: the totals, then a page
    with as_tenant(app, tenant_a):
        _money_day(worlds["a"])
        small = {name: _statements(count_queries, fn) for name, fn in runs.items()}
        for offset in (0, 5):
            _money_day(worlds["a"], start=40 + offset)
            book(worlds["a"], start=20 + offset, nights=2)
        extra = customers.create_customer(first_name="Bob", last_name="Extra")
        for _ in range(3):
            _retail(extra.id)
        large = {name: _statements(count_queries, fn) for name, fn in runs.items()}
    assert small == large == expected
