"""Billing at the service layer: invoices from the price snapshot, numbering, payments, refunds, credit,
the ledger, and the cancellation policy. Every world has two tenants; nothing crosses."""
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask import g
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import delete, func, select

from app.core.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from app.core.extensions import db
from app.models import Invoice, InvoiceLine, InvoiceStatus, LedgerEntry, LineKind, Payment, Refund, Role
from app.services import billing, catalog, customers, kennels, pets, reservations, tenants
from app.services.compliance import tenant_today
from app.tenancy import lookup_tenant, tenant_context


@contextmanager
def as_tenant(app, fx, role=Role.MANAGER):
    """Run service calls as one tenant, with a principal of the given role."""
    with app.test_request_context(base_url=fx.base_url), tenant_context(lookup_tenant(fx.subdomain)):
        g.principal_role = role
        yield
        db.session.rollback()


def _world(app, fx):
    """8.25% tax; boarding $50/night (taxable) with a 20% deposit, a $8/day walk add-on, a household with two dogs."""
    with as_tenant(app, fx, Role.ADMIN):
        tenants.update_settings(tenant_id=fx.id, tax_rate=Decimal("0.0825"))
    with as_tenant(app, fx):
        boarding = catalog.create_service(name="Boarding", category="BOARDING", price_cents=5000,
                                          price_unit="PER_NIGHT", deposit_kind="PERCENT", deposit_percent=20)
        walk = catalog.create_addon(name="Walk", price_cents=800, unit="PER_DAY", service_ids=[boarding.id])
        catalog.create_price_rule(name="Second dog", kind="ADDITIONAL_PET", from_pet=2, effect="DISCOUNT",
                                  amount_type="PERCENT", percent=10, service_ids=[boarding.id])
        kennels.create_kennel(code="A01", type="RUN", size="L", capacity=2)
        smith = customers.create_customer(first_name="Ann", last_name="Smith")
        rex = pets.create_pet(customer_id=smith.id, name="Rex", species="DOG")
        bella = pets.create_pet(customer_id=smith.id, name="Bella", species="DOG")
        return {"boarding": boarding.id, "walk": walk.id, "smith": smith.id, "rex": rex.id, "bella": bella.id}


@pytest.fixture
def world(app, tenant_a, tenant_b):
    w = _world(app, tenant_a)
    w["b"] = _world(app, tenant_b)
    return w


def _day(offset: int) -> date:
    return tenant_today() + timedelta(days=offset)


def _book(w, start=10, nights=3, pets_=("rex", "bella")):
    role, g.principal_role = g.principal_role, Role.MANAGER  # vaccines are not on file: a manager books
    booked = reservations.book_stay(customer_id=w["smith"], service_id=w["boarding"], start_date=_day(start),
                                    end_date=_day(start + nights), pets=[{"pet_id": w[p]} for p in pets_],
                                    addons=[{"addon_id": w["walk"], "quantity": 1}],
                                    vaccine_override_reason="test: records on paper")
    g.principal_role = role
    return booked.reservation


def _stay_invoice(w, **kw):
    reservation = _book(w, **kw)
    return reservation, billing.create_invoice(reservation_id=reservation.id, issue=True)


def _ledger_holds(customer_id):
    """The ledger's balance equals open invoice balances minus available credit, to the cent."""
    summary = billing.customer_ledger(customer_id=customer_id)
    assert summary["balance_cents"] == summary["open_invoices_cents"] - summary["available_credit_cents"], summary
    return summary


# --- invoices from the snapshot ----------------------------------------------------------------------


def test_a_stay_invoice_totals_exactly_what_the_booking_was_sold_for(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        reservation, invoice = _stay_invoice(world)
        assert invoice.total_cents == reservation.total_cents == reservation.quote["total_cents"]
        assert invoice.tax_cents == reservation.quote["tax_cents"] > 0
        assert invoice.tax_cents == sum(line.amount_cents for line in invoice.lines if line.kind == LineKind.TAX)
        kinds = [line.kind for line in invoice.lines]
        assert kinds.count(LineKind.SERVICE) == 2 and LineKind.DISCOUNT in kinds and LineKind.ADD_ON in kinds
        t = billing.totals(invoice.lines)
        assert t["total_cents"] == t["subtotal_cents"] + t["surcharges_cents"] - t["discounts_cents"] + t["tax_cents"]


def test_issuing_numbers_invoices_in_order_with_the_tenant_prefix(app, world, tenant_a, tenant_b):
    with as_tenant(app, tenant_a, Role.ADMIN):
        billing.update_settings(invoice_prefix="tt-")
        first = billing.create_invoice(customer_id=world["smith"], issue=True, lines=[
            {"kind": "PRODUCT", "description": "Shampoo", "unit_price_cents": 1299, "taxable": True}])
        second = billing.create_invoice(customer_id=world["smith"], issue=True, lines=[
            {"kind": "FEE", "description": "Late pickup", "unit_price_cents": 2000}])
        assert (first.number, second.number) == ("TT-000001", "TT-000002")
        assert first.tax_cents == 107  # 8.25% of 12.99, half up
    with as_tenant(app, tenant_b):
        other = billing.create_invoice(customer_id=world["b"]["smith"], issue=True, lines=[
            {"kind": "FEE", "description": "Bath", "unit_price_cents": 500}])
        assert other.number == "INV-000001"  # B's own counter and default prefix


def test_a_draft_has_no_number_and_a_failed_issue_gives_none_away(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        draft = billing.create_invoice(customer_id=world["smith"], lines=[
            {"kind": "PRODUCT", "description": "Toy", "unit_price_cents": 500}])
        assert draft.number is None and draft.status == InvoiceStatus.DRAFT
        billing.issue_invoice(invoice_id=draft.id)
        with pytest.raises(Conflict):
            billing.issue_invoice(invoice_id=draft.id)  # issued twice: refused, the counter untouched
        assert billing.get_settings().next_invoice_number == 2


def test_issued_lines_never_change_corrections_are_audited_adjustment_lines(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        _, invoice = _stay_invoice(world)
        before = [(line.id, line.amount_cents) for line in invoice.lines]
        total = invoice.total_cents
        with pytest.raises(RuleViolation) as exc:
            billing.add_line(invoice_id=invoice.id, kind="FEE", description="Bath", unit_price_cents=1500)
        assert "reason" in exc.value.errors
        adjusted = billing.add_line(invoice_id=invoice.id, kind="FEE", description="Bath", unit_price_cents=1500,
                                    taxable=True, reason="Bath requested at pickup")
        assert [(line.id, line.amount_cents) for line in adjusted.lines][:len(before)] == before
        assert adjusted.total_cents == total + 1500 + 124  # the fee and its own tax line
        assert adjusted.tax_cents == sum(line.amount_cents for line in adjusted.lines if line.kind == LineKind.TAX)
        _ledger_holds(world["smith"])


def test_bad_lines_name_the_field_and_save_nothing(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        for bad, field in [({"kind": "TAX"}, "kind"), ({"unit_price_cents": 0}, "unit_price_cents"),
                           ({"unit_price_cents": 10.5}, "unit_price_cents"), ({"quantity": 0}, "quantity"),
                           ({"description": ""}, "description")]:
            line = {"kind": "PRODUCT", "description": "Toy", "unit_price_cents": 500, **bad}
            with pytest.raises(RuleViolation) as exc:
                billing.create_invoice(customer_id=world["smith"], lines=[line])
            assert field in exc.value.errors
        assert db.session.scalar(select(func.count()).select_from(Invoice)) == 0


# --- payments -------------------------------------------------------------------------------------------


def test_partial_payments_move_the_status_and_the_deposit(app, world, tenant_a):
    with as_tenant(app, tenant_a, Role.STAFF):
        reservation = _book(world)
        deposit = reservation.deposit_cents
        assert deposit > 0
        payment = billing.record_payment(reservation_id=reservation.id, amount_cents=deposit, method="CASH")
        invoice = billing.get_invoice(invoice_id=payment.invoice_id)
        assert invoice.status == InvoiceStatus.PARTIALLY_PAID and invoice.number == "INV-000001"
        assert invoice.deposit_paid_at is not None and payment.deposit
        rest = invoice.total_cents - deposit
        billing.record_payment(invoice_id=invoice.id, amount_cents=rest, method="CHECK", reference="#1043")
        invoice = billing.get_invoice(invoice_id=invoice.id)
        assert (invoice.status, invoice.paid_cents) == (InvoiceStatus.PAID, invoice.total_cents)
        assert _ledger_holds(world["smith"])["balance_cents"] == 0


def test_a_payment_above_the_balance_is_refused_unless_the_excess_is_taken_as_credit(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        _, invoice = _stay_invoice(world)
        with pytest.raises(RuleViolation) as exc:
            billing.record_payment(invoice_id=invoice.id, amount_cents=invoice.total_cents + 1, method="CASH")
        assert "amount_cents" in exc.value.errors
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 0
        payment = billing.record_payment(invoice_id=invoice.id, amount_cents=invoice.total_cents + 500,
                                         method="CASH", excess_to_credit=True)
        assert (payment.applied_cents, payment.credit_cents) == (invoice.total_cents, 500)
        summary = _ledger_holds(world["smith"])
        assert (summary["available_credit_cents"], summary["balance_cents"]) == (500, -500)


def test_account_credit_pays_only_what_is_available(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        shampoo = billing.create_invoice(customer_id=world["smith"], issue=True, lines=[
            {"kind": "PRODUCT", "description": "Shampoo", "unit_price_cents": 1000}])
        billing.record_payment(invoice_id=shampoo.id, amount_cents=1300, method="CASH", excess_to_credit=True)
        toy = billing.create_invoice(customer_id=world["smith"], issue=True, lines=[
            {"kind": "PRODUCT", "description": "Toy", "unit_price_cents": 500}])
        with pytest.raises(RuleViolation) as exc:
            billing.record_payment(invoice_id=toy.id, amount_cents=400, method="ACCOUNT_CREDIT")
        assert "300" in exc.value.message
        billing.record_payment(invoice_id=toy.id, amount_cents=300, method="ACCOUNT_CREDIT")
        summary = _ledger_holds(world["smith"])
        assert (summary["available_credit_cents"], summary["open_invoices_cents"], summary["balance_cents"]) == \
            (0, 200, 200)


@pytest.mark.parametrize("amount", [0, -100, 10.5, "100", True, 10**12])
def test_bad_amounts_are_refused_naming_the_field(app, world, tenant_a, amount):
    with as_tenant(app, tenant_a):
        _, invoice = _stay_invoice(world)
        with pytest.raises(RuleViolation) as exc:
            billing.record_payment(invoice_id=invoice.id, amount_cents=amount, method="CASH")
        assert "amount_cents" in exc.value.errors
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 0


def test_paying_a_void_or_draft_invoice_is_a_409(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        draft = billing.create_invoice(customer_id=world["smith"], lines=[
            {"kind": "FEE", "description": "Bath", "unit_price_cents": 500}])
        with pytest.raises(Conflict):
            billing.record_payment(invoice_id=draft.id, amount_cents=100, method="CASH")
        billing.issue_invoice(invoice_id=draft.id)
        billing.void_invoice(invoice_id=draft.id, reason="Entered twice")
        with pytest.raises(Conflict):
            billing.record_payment(invoice_id=draft.id, amount_cents=100, method="CASH")


def test_another_tenants_invoice_cannot_be_paid_or_read(app, world, tenant_a, tenant_b):
    with as_tenant(app, tenant_a):
        invoice_id = _stay_invoice(world)[1].id
    with as_tenant(app, tenant_b):
        with pytest.raises(NotFound):
            billing.record_payment(invoice_id=invoice_id, amount_cents=100, method="CASH")
        with pytest.raises(NotFound):
            billing.get_invoice(invoice_id=invoice_id)
        assert billing.list_invoices()[1] == 0
        with pytest.raises(NotFound):
            billing.customer_ledger(customer_id=world["smith"])
    with as_tenant(app, tenant_a):
        assert billing.get_invoice(invoice_id=invoice_id).paid_cents == 0


# --- voids and refunds ----------------------------------------------------------------------------------


def test_only_a_manager_voids_with_a_reason_and_payments_become_credit(app, world, tenant_a):
    with as_tenant(app, tenant_a, Role.STAFF):
        _, invoice = _stay_invoice(world)
        billing.record_payment(invoice_id=invoice.id, amount_cents=2000, method="CASH")
        with pytest.raises(PermissionDenied):
            billing.void_invoice(invoice_id=invoice.id, reason="wrong dates")
        invoice_id = invoice.id
    with as_tenant(app, tenant_a):
        invoice = billing.get_invoice(invoice_id=invoice_id)
        with pytest.raises(RuleViolation) as exc:
            billing.void_invoice(invoice_id=invoice.id, reason=" ")
        assert "reason" in exc.value.errors
        reissued = billing.void_invoice(invoice_id=invoice.id, reason="Wrong dates", reissue=True)
        assert reissued.status == InvoiceStatus.DRAFT and reissued.replaces_id == invoice.id
        assert billing.get_invoice(invoice_id=invoice.id).status == InvoiceStatus.VOID
        summary = _ledger_holds(world["smith"])
        assert summary["available_credit_cents"] == 2000


def test_refunds_never_exceed_what_is_left_of_the_payment(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        _, invoice = _stay_invoice(world)
        payment = billing.record_payment(invoice_id=invoice.id, amount_cents=3000, method="CASH")
        billing.refund_payment(payment_id=payment.id, amount_cents=1000, reason="Walk not given")
        with pytest.raises(RuleViolation) as exc:
            billing.refund_payment(payment_id=payment.id, amount_cents=2001, reason="Again")
        assert "amount_cents" in exc.value.errors and exc.value.extra["refundable_cents"] == 2000
        billing.refund_payment(payment_id=payment.id, amount_cents=2000, reason="Rest", destination="ACCOUNT_CREDIT")
        invoice = billing.get_invoice(invoice_id=invoice.id)
        assert (invoice.paid_cents, invoice.status) == (0, InvoiceStatus.ISSUED)
        summary = _ledger_holds(world["smith"])
        assert summary["available_credit_cents"] == 2000
        assert db.session.scalar(select(func.count()).select_from(Refund)) == 2


def test_a_refund_needs_a_manager_and_a_reason(app, world, tenant_a):
    with as_tenant(app, tenant_a, Role.STAFF):
        _, invoice = _stay_invoice(world)
        payment = billing.record_payment(invoice_id=invoice.id, amount_cents=3000, method="CASH")
        with pytest.raises(PermissionDenied):
            billing.refund_payment(payment_id=payment.id, amount_cents=100, reason="x")
        payment_id = payment.id
    with as_tenant(app, tenant_a):
        payment = billing.get_payment(payment_id=payment_id)
        with pytest.raises(RuleViolation) as exc:
            billing.refund_payment(payment_id=payment.id, amount_cents=100, reason="")
        assert "reason" in exc.value.errors
        assert db.session.scalar(select(func.count()).select_from(Refund)) == 0


# --- cancellation policy ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("days", "outcome"), [(10, "REFUND"), (4, "CREDIT"), (1, "FORFEIT")])
def test_the_cancellation_policy_tier_decides_what_happens_to_the_deposit(app, world, tenant_a, days, outcome):
    with as_tenant(app, tenant_a, Role.STAFF):
        reservation = _book(world, start=days)
        billing.record_payment(reservation_id=reservation.id, amount_cents=reservation.deposit_cents, method="CASH")
        preview = billing.cancellation_preview(reservation_id=reservation.id)
        assert (preview["outcome"], preview["paid_cents"], preview["recorded"]) == \
            (outcome, reservation.deposit_cents, False)
        reservations.cancel(reservation_id=reservation.id, reason="Plans changed")
        recorded = billing.cancellation_preview(reservation_id=reservation.id)
        assert (recorded["outcome"], recorded["recorded"]) == (outcome, True)
        summary = _ledger_holds(world["smith"])
        expected_credit = {"REFUND": 0, "CREDIT": reservation.deposit_cents, "FORFEIT": 0}[outcome]
        assert summary["available_credit_cents"] == expected_credit
        assert summary["balance_cents"] == -expected_credit
        if outcome == "FORFEIT":
            fee = db.session.execute(select(Invoice).where(Invoice.status == InvoiceStatus.PAID)).scalar_one()
            assert fee.total_cents == reservation.deposit_cents


def test_a_cancellation_with_nothing_paid_voids_the_invoice(app, world, tenant_a):
    with as_tenant(app, tenant_a, Role.STAFF):
        reservation, invoice = _stay_invoice(world)
        reservations.cancel(reservation_id=reservation.id, reason="Plans changed")
        assert billing.get_invoice(invoice_id=invoice.id).status == InvoiceStatus.VOID
        assert _ledger_holds(world["smith"])["balance_cents"] == 0


def test_a_policy_must_cover_every_notice(app, world, tenant_a):
    with as_tenant(app, tenant_a, Role.ADMIN):
        with pytest.raises(RuleViolation) as exc:
            billing.update_settings(cancellation_policy=[{"min_notice_hours": 24, "outcome": "REFUND"}])
        assert "cancellation_policy" in exc.value.errors


# --- reconciliation ---------------------------------------------------------------------------------------


def test_a_household_with_invoices_is_never_deleted(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        billing.create_invoice(customer_id=world["smith"], lines=[
            {"kind": "FEE", "description": "Bath", "unit_price_cents": 500}])
        with pytest.raises(Conflict):
            customers.refuse_if_history(world["smith"], "household")


STEP = st.one_of(
    st.tuples(st.just("pay"), st.integers(1, 40_000), st.booleans(), st.sampled_from(["CASH", "CHECK", "ACCOUNT_CREDIT"])),
    st.tuples(st.just("refund"), st.integers(1, 20_000), st.sampled_from(["ORIGINAL_METHOD", "ACCOUNT_CREDIT"])),
    st.tuples(st.just("adjust"), st.integers(1, 5_000), st.sampled_from(["FEE", "DISCOUNT"]), st.booleans()),
    st.tuples(st.just("invoice"), st.integers(1, 20_000)),
    st.tuples(st.just("void"),),
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEP, min_size=1, max_size=12))
def test_randomized_money_sequences_always_reconcile(app, world, tenant_a, steps):
    """Whatever is paid, refunded, adjusted or voided: ledger sums equal balances, tax equals its lines."""
    with as_tenant(app, tenant_a):
        invoices = [billing.create_invoice(customer_id=world["smith"], issue=True, lines=[
            {"kind": "SERVICE", "description": "Groom", "unit_price_cents": 6000, "taxable": True}]).id]
        for step in steps:
            target = invoices[-1]
            try:
                if step[0] == "pay":
                    billing.record_payment(invoice_id=target, amount_cents=step[1], excess_to_credit=step[2],
                                           method=step[3])
                elif step[0] == "refund":
                    paid = db.session.execute(select(Payment.id).order_by(Payment.received_at.desc())).scalars().first()
                    if paid:
                        billing.refund_payment(payment_id=paid, amount_cents=step[1], reason="test",
                                               destination=step[2])
                elif step[0] == "adjust":
                    billing.add_line(invoice_id=target, kind=step[2], description="adj", unit_price_cents=step[1],
                                     taxable=step[3], reason="test")
                elif step[0] == "invoice":
                    invoices.append(billing.create_invoice(customer_id=world["smith"], issue=True, lines=[
                        {"kind": "PRODUCT", "description": "Toy", "unit_price_cents": step[1]}]).id)
                else:
                    billing.void_invoice(invoice_id=target, reason="test")
            except (RuleViolation, Conflict):
                pass  # refused: nothing may have been written (checked below)
            summary = _ledger_holds(world["smith"])
            for invoice in billing.list_invoices()[0]:
                db.session.refresh(invoice)
                assert invoice.tax_cents == sum(li.amount_cents for li in invoice.lines if li.kind == LineKind.TAX)
                assert invoice.total_cents == sum(li.amount_cents for li in invoice.lines)
                net = db.session.execute(select(func.coalesce(func.sum(Payment.applied_cents), 0))
                                         .where(Payment.invoice_id == invoice.id)).scalar_one() - \
                    db.session.execute(select(func.coalesce(func.sum(Refund.invoice_cents), 0)).join(
                        Payment, Payment.id == Refund.payment_id).where(Payment.invoice_id == invoice.id)).scalar_one()
                assert invoice.paid_cents == net and 0 <= invoice.paid_cents <= invoice.total_cents
            assert summary["available_credit_cents"] >= 0
        assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) >= 1
    # Leave a clean slate for the next example (tables are truncated per test, not per example).
    with as_tenant(app, tenant_a):
        for model in (LedgerEntry, Refund, Payment, InvoiceLine, Invoice):
            db.session.execute(delete(model).execution_options(synchronize_session=False, without_tombstones=True))
        db.session.commit()


def test_the_today_board_shows_what_each_household_owes_in_one_query(app, world, tenant_a, tenant_b):
    from app.services import boards

    with as_tenant(app, tenant_a):
        reservation, invoice = _stay_invoice(world, start=0)
        billing.record_payment(invoice_id=invoice.id, amount_cents=1000, method="CASH")
        entry = next(e for e in boards.day_sheet().arrivals if e.reservation.id == reservation.id)
        assert entry.balance_cents == invoice.total_cents - 1000
    with as_tenant(app, tenant_b):
        _book(world["b"], start=0)
        assert all(e.balance_cents == 0 for e in boards.day_sheet().arrivals)  # A's invoice never counts for B
