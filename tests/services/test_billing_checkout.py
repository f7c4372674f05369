"""Check-out finalizes the stay's invoice: issued, with a late-pickup fee or extra nights when the pet
leaves after the booked time. Two tenants each; a check-out in one never bills the other."""
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from app.core.errors import RuleViolation
from app.core.extensions import db
from app.models import Invoice, InvoiceStatus, LedgerEntry, LedgerKind, LineKind, Reservation
from app.services import billing, reservations
from app.services.compliance import tenant_today
from app.tenancy import current_tenant
from tests.services.test_billing import _book, _ledger_holds, _world, as_tenant


@pytest.fixture
def world(app, tenant_a, tenant_b):
    w = _world(app, tenant_a)
    w["b"] = _world(app, tenant_b)
    return w


def _checked_in(w, *, end_offset=1, departure=None):
    """A stay from today, checked in, then its booked departure moved (as if the pet overstayed)."""
    reservation = _book(w, start=0, nights=1)
    reservations.confirm(reservation_id=reservation.id)
    reservations.check_in(reservation_id=reservation.id, vaccine_override_reason="test: records on paper")
    end = tenant_today() + timedelta(days=end_offset)
    db.session.execute(update(Reservation).where(Reservation.id == reservation.id).values(
        start_date=min(end, tenant_today()), end_date=end, departure_time=departure)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return reservation.id


def _invoice(reservation_id):
    return db.session.execute(select(Invoice).where(Invoice.reservation_id == reservation_id)
                              .execution_options(populate_existing=True)).scalar_one()


def _fee(cents, at="00:00"):
    return billing.update_settings(late_fee_cents=cents, late_checkout_time=at)


def test_check_out_on_time_issues_the_stay_invoice_at_the_booked_price(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        _fee(2500, "23:59")
        rid = _checked_in(world, end_offset=0, departure=time(23, 59, 59))
        reservations.check_out(reservation_id=rid)
        invoice = _invoice(rid)
        assert invoice.status == InvoiceStatus.ISSUED and invoice.number
        assert invoice.total_cents == db.session.get(Reservation, rid).total_cents
        assert not [line for line in invoice.lines if line.kind == LineKind.FEE]
        _ledger_holds(invoice.customer_id)


def test_a_late_pickup_on_the_departure_day_adds_the_fee_with_its_tax_rounded_to_the_cent(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        _fee(1505)  # 8.25% of 15.05 is 1.241625: 124 cents
        rid = _checked_in(world, end_offset=0, departure=time(0, 0))
        sold = db.session.get(Reservation, rid).total_cents
        reservations.check_out(reservation_id=rid)
        invoice = _invoice(rid)
        fees = [line for line in invoice.lines if line.kind == LineKind.FEE]
        assert [(f.amount_cents, f.taxable) for f in fees] == [(1505, True)]
        assert [line.amount_cents for line in invoice.lines if line.kind == LineKind.TAX][-1] == 124
        assert invoice.total_cents == sold + 1505 + 124
        assert invoice.tax_cents == sum(line.amount_cents for line in invoice.lines if line.kind == LineKind.TAX)
        _ledger_holds(invoice.customer_id)


def test_the_settings_time_applies_when_the_booking_has_no_departure_time(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        _fee(1000, "00:00")
        late = _checked_in(world, end_offset=0, departure=None)
        reservations.check_out(reservation_id=late)
        assert [line.amount_cents for line in _invoice(late).lines if line.kind == LineKind.FEE] == [1000]


def test_no_fee_before_the_booked_time_nor_when_the_tenant_charges_none(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        _fee(1000, "00:00")
        early = _checked_in(world, end_offset=0, departure=time(23, 59, 59))  # booked time wins over the default
        reservations.check_out(reservation_id=early)
        assert not [line for line in _invoice(early).lines if line.kind == LineKind.FEE]
        _fee(0, "00:00")
        free = _checked_in(world, end_offset=0, departure=time(0, 0))
        reservations.check_out(reservation_id=free)
        assert not [line for line in _invoice(free).lines if line.kind == LineKind.FEE]


def test_leaving_on_a_later_date_adds_extra_nights_at_the_booked_nightly_price(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        _fee(1000, "00:00")
        rid = _checked_in(world, end_offset=-2)  # booked to leave two days ago
        sold = db.session.get(Reservation, rid)
        nightly = {s["pet"]: s["base_cents"] for s in sold.quote["stay_lines"]}
        reservations.check_out(reservation_id=rid)
        invoice = _invoice(rid)
        extra = [line for line in invoice.lines if line.description.startswith("Extra night")]
        assert sorted((e.kind, e.quantity, e.unit_price_cents, e.amount_cents) for e in extra) == sorted(
            (LineKind.SERVICE, 2, cents, 2 * cents) for cents in nightly.values())
        assert not [line for line in invoice.lines if line.kind == LineKind.FEE]  # the nights cover the day
        tax = billing.tax_on(sum(e.amount_cents for e in extra), invoice.tax_rate)
        assert invoice.total_cents == sold.total_cents + sum(e.amount_cents for e in extra) + tax
        _ledger_holds(invoice.customer_id)


def test_an_invoice_issued_before_check_out_gets_the_charges_as_adjustments(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        _fee(1505)
        rid = _checked_in(world, end_offset=0, departure=time(0, 0))
        billing.record_payment(reservation_id=rid, amount_cents=1000, method="CASH")  # issues it
        before = _invoice(rid)
        number, total = before.number, before.total_cents
        reservations.check_out(reservation_id=rid)
        invoice = _invoice(rid)
        assert invoice.number == number and invoice.status == InvoiceStatus.PARTIALLY_PAID
        added = [line for line in invoice.lines if line.adjustment]
        assert sorted(line.amount_cents for line in added) == [124, 1505]
        assert invoice.total_cents == total + 1505 + 124
        moves = db.session.execute(select(LedgerEntry).where(LedgerEntry.invoice_id == invoice.id,
                                                             LedgerEntry.kind == LedgerKind.ADJUSTMENT)).scalars()
        assert [m.debit_cents for m in moves] == [1505 + 124]
        _ledger_holds(invoice.customer_id)


def test_a_refused_check_out_bills_nothing(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        _fee(1505)
        rid = _checked_in(world, end_offset=0, departure=time(0, 0))
        db.session.execute(update(Reservation).where(Reservation.id == rid).values(belongings=["Blanket"])
                           .execution_options(synchronize_session=False))
        db.session.commit()
        with pytest.raises(RuleViolation):
            reservations.check_out(reservation_id=rid)  # belongings not confirmed returned
        assert db.session.execute(select(Invoice).where(Invoice.reservation_id == rid)).first() is None


def test_each_tenant_charges_its_own_late_fee_and_numbers(app, world, tenant_a, tenant_b):
    with as_tenant(app, tenant_a):
        _fee(1505)
        a = _checked_in(world, end_offset=0, departure=time(0, 0))
        reservations.check_out(reservation_id=a)
        a_invoice = _invoice(a)
        a_number = a_invoice.number
    with as_tenant(app, tenant_b):
        _fee(700)
        b = _checked_in(world["b"], end_offset=0, departure=time(0, 0))
        reservations.check_out(reservation_id=b)
        b_invoice = _invoice(b)
        assert [line.amount_cents for line in b_invoice.lines if line.kind == LineKind.FEE] == [700]
        assert b_invoice.number == a_number  # numbering is per tenant: both are their tenant's first
        assert db.session.execute(select(Invoice).where(Invoice.reservation_id == a)).first() is None
    with as_tenant(app, tenant_a):
        assert [line.amount_cents for line in _invoice(a).lines if line.kind == LineKind.FEE] == [1505]
        assert billing.get_settings().late_fee_cents == 1505


def test_the_checkout_moment_is_read_in_the_tenant_timezone(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        _fee(1000, "12:00")
        reservation = _book(world, start=0, nights=1)
        zone = ZoneInfo(current_tenant().timezone)
        due = datetime.combine(reservation.end_date, time(12, 0), zone)
        assert billing.check_out_charges(reservation, due) == []
        assert [line.amount_cents for line in billing.check_out_charges(reservation, due + timedelta(minutes=1))] \
            == [1000]
        assert [line.amount_cents for line in billing.check_out_charges(
            reservation, (due + timedelta(minutes=1)).astimezone(ZoneInfo("UTC")))] == [1000]
        assert [line.quantity for line in billing.check_out_charges(reservation, due + timedelta(days=1))] == [1, 1]
