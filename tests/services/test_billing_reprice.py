"""A booking re-priced after its invoice was issued: the issued lines stay, the difference comes as audited
adjustment lines ("re-priced: ..."), and the ledger and balances follow. Two tenants; nothing crosses."""
import pytest
from sqlalchemy import select

from app.core.errors import Conflict
from app.core.extensions import db
from app.models import AuditEvent, Invoice, InvoiceStatus, LedgerEntry, LedgerKind, LineKind, Reservation
from app.services import billing, reservations
from tests.services.test_billing import _book, _day, _ledger_holds, _world, as_tenant


@pytest.fixture
def world(app, tenant_a, tenant_b):
    w = _world(app, tenant_a)
    w["b"] = _world(app, tenant_b)
    return w


def _invoice(reservation_id):
    return db.session.execute(select(Invoice).where(Invoice.reservation_id == reservation_id,
                                                    Invoice.status != InvoiceStatus.VOID)
                              .execution_options(populate_existing=True)).scalar_one()


def _issued_with_deposit(w, nights=3):
    """A 3-night stay for two dogs with its deposit paid (which issues the invoice)."""
    reservation = _book(w, nights=nights)
    billing.record_payment(reservation_id=reservation.id, amount_cents=reservation.deposit_cents, method="CASH")
    return reservation.id


def _edit(reservation_id, **changes):
    return reservations.update_reservation(reservation_id=reservation_id, **changes).reservation


def _repriced(invoice):
    return [line for line in invoice.lines if line.reason.startswith(billing.REPRICED)]


def _sums_hold(invoice, reservation):
    """The invoice charges exactly the new price; its tax is its TAX lines and equals the new quote's tax."""
    assert invoice.total_cents == reservation.total_cents == reservation.quote["total_cents"]
    assert invoice.tax_cents == sum(line.amount_cents for line in invoice.lines if line.kind == LineKind.TAX) \
        == reservation.quote["tax_cents"]


def test_a_longer_stay_adds_the_difference_as_adjustment_lines_and_keeps_the_issued_ones(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        rid = _issued_with_deposit(world)
        invoice = _invoice(rid)
        issued = [(line.id, line.kind, line.amount_cents, line.description) for line in invoice.lines]
        old_total, paid = invoice.total_cents, invoice.paid_cents
        reservation = _edit(rid, end_date=_day(14))  # 3 nights -> 4
        invoice = _invoice(rid)
        assert [(line.id, line.kind, line.amount_cents, line.description)
                for line in invoice.lines][:len(issued)] == issued  # nothing issued changed in place
        added = _repriced(invoice)
        assert added and all(line.adjustment for line in added)
        assert {line.kind for line in added} >= {LineKind.SERVICE, LineKind.ADD_ON, LineKind.TAX}
        assert "dates" in added[0].reason and "total" in added[0].reason
        _sums_hold(invoice, reservation)
        assert invoice.total_cents > old_total and invoice.paid_cents == paid
        assert invoice.status == InvoiceStatus.PARTIALLY_PAID
        entry = db.session.execute(select(LedgerEntry).where(LedgerEntry.kind == LedgerKind.ADJUSTMENT)).scalar_one()
        assert entry.debit_cents == invoice.total_cents - old_total and entry.credit_cents == 0
        summary = _ledger_holds(world["smith"])
        assert summary["balance_cents"] == invoice.total_cents - paid
        event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "invoice.repriced")).scalar_one()
        assert event.resource_id == str(invoice.id) and event.changes["amount_cents"] == entry.debit_cents


def test_a_shorter_stay_takes_service_and_tax_off_with_negative_adjustments(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        rid = _issued_with_deposit(world)
        old_total = _invoice(rid).total_cents
        reservation = _edit(rid, end_date=_day(12))  # 3 nights -> 2
        invoice = _invoice(rid)
        added = {line.kind: line.amount_cents for line in _repriced(invoice)}
        assert added[LineKind.SERVICE] < 0 and added[LineKind.TAX] < 0 and added[LineKind.ADD_ON] < 0
        assert added[LineKind.DISCOUNT] > 0  # the second dog's discount shrinks with the stay
        _sums_hold(invoice, reservation)
        entry = db.session.execute(select(LedgerEntry).where(LedgerEntry.kind == LedgerKind.ADJUSTMENT)).scalar_one()
        assert entry.credit_cents == old_total - invoice.total_cents and entry.debit_cents == 0
        _ledger_holds(world["smith"])


def test_re_pricing_back_and_forth_nets_to_the_latest_price(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        rid = _issued_with_deposit(world)
        original = _invoice(rid).total_cents
        _edit(rid, end_date=_day(15))
        _edit(rid, pets=[{"pet_id": world["rex"]}])  # one dog: the multi-pet discount goes
        reservation = _edit(rid, pets=[{"pet_id": world["rex"]}, {"pet_id": world["bella"]}], end_date=_day(13))
        invoice = _invoice(rid)
        _sums_hold(invoice, reservation)
        assert invoice.total_cents == original  # back to the booked stay, through three re-pricings
        assert len(db.session.execute(select(LedgerEntry).where(LedgerEntry.kind == LedgerKind.ADJUSTMENT))
                   .scalars().all()) == 3
        _ledger_holds(world["smith"])


def test_other_adjustments_survive_a_re_pricing(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        rid = _issued_with_deposit(world)
        billing.add_line(invoice_id=_invoice(rid).id, kind="FEE", description="Bath", unit_price_cents=1500,
                         reason="Bath requested")
        reservation = _edit(rid, end_date=_day(14))
        invoice = _invoice(rid)
        assert invoice.total_cents == reservation.total_cents + 1500
        assert not [line for line in _repriced(invoice) if line.kind == LineKind.FEE]


def test_a_new_price_below_what_was_paid_is_refused_and_nothing_changes(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        reservation = _book(world)
        billing.record_payment(reservation_id=reservation.id, amount_cents=reservation.total_cents, method="CASH")
        lines_before = [line.id for line in _invoice(reservation.id).lines]
        with pytest.raises(Conflict) as exc:
            _edit(reservation.id, end_date=_day(11))
        assert "total_cents" in exc.value.errors and "refund" in exc.value.message
        assert db.session.get(Reservation, reservation.id).end_date == _day(13)
        assert [line.id for line in _invoice(reservation.id).lines] == lines_before
        assert not db.session.execute(select(LedgerEntry).where(LedgerEntry.kind == LedgerKind.ADJUSTMENT)).first()


def test_a_draft_takes_the_new_price_when_issued_without_adjustments(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        reservation = _book(world)
        draft = billing.create_invoice(reservation_id=reservation.id)
        reservation = _edit(reservation.id, end_date=_day(14))
        issued = billing.issue_invoice(invoice_id=draft.id)
        assert not _repriced(issued) and issued.total_cents == reservation.total_cents


def test_a_stay_extended_after_check_in_is_billed_at_check_out(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        reservation = _book(world, start=0, nights=1)
        billing.record_payment(reservation_id=reservation.id, amount_cents=reservation.deposit_cents, method="CASH")
        reservations.confirm(reservation_id=reservation.id)
        reservations.check_in(reservation_id=reservation.id, vaccine_override_reason="test: records on paper")
        reservation = _edit(reservation.id, end_date=_day(2))  # the family extends the stay by a night
        reservations.check_out(reservation_id=reservation.id)
        invoice = _invoice(reservation.id)
        assert _repriced(invoice) and invoice.total_cents >= db.session.get(Reservation, reservation.id).total_cents
        _ledger_holds(world["smith"])


def test_re_pricing_in_one_tenant_never_touches_the_other(app, world, tenant_a, tenant_b):
    with as_tenant(app, tenant_b):
        b_rid = _issued_with_deposit(world["b"])
        b_total = _invoice(b_rid).total_cents
    with as_tenant(app, tenant_a):
        rid = _issued_with_deposit(world)
        _edit(rid, end_date=_day(14))
        assert db.session.execute(select(Invoice.id).where(Invoice.id == _invoice(rid).id)).scalar_one()
    with as_tenant(app, tenant_b):
        invoice = _invoice(b_rid)
        assert invoice.total_cents == b_total and not _repriced(invoice)
        assert not db.session.execute(select(LedgerEntry).where(LedgerEntry.kind == LedgerKind.ADJUSTMENT)).first()
        _ledger_holds(world["b"]["smith"])
