"""Hypothesis stateful testing of the money: bookings, payments, refunds, re-pricing edits, cancellations and
voids in any order, and after every step the books reconcile to the cent (the issue's invariants)."""
import contextlib
import itertools
from datetime import timedelta

import hypothesis.strategies as st
from hypothesis import HealthCheck, settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from app.core.errors import Conflict, RuleViolation
from app.core.extensions import db
from app.models import Invoice, InvoiceStatus, LineKind, Payment, Refund
from app.services import billing, customers, kennels, pets, reservations
from app.services.compliance import tenant_today
from tests.services.test_billing import _ledger_holds, _world, as_tenant

REFUSED = (RuleViolation, Conflict)  # a refusal must leave nothing written: the invariants check it
RUNS = itertools.count(1)


def test_any_sequence_of_money_operations_reconciles(app, tenant_a, tenant_b):
    w = _world(app, tenant_a)
    _world(app, tenant_b)

    class Books(RuleBasedStateMachine):
        """One household of tenant A per run (its own kennel, so bookings have room), driven at random."""

        @initialize()
        def household(self):
            run = next(RUNS)
            self.customer = customers.create_customer(first_name="Random", last_name=f"Run{run}").id
            self.pet = pets.create_pet(customer_id=self.customer, name="Dot", species="DOG").id
            kennels.create_kennel(code=f"R{run:03d}", type="RUN", size="L", capacity=1)
            self.stays, self.payments = [], []

        @rule(start=st.integers(0, 12), nights=st.integers(1, 3))
        def book(self, start, nights):
            day = tenant_today() + timedelta(days=start)
            with contextlib.suppress(*REFUSED):
                self.stays.append(reservations.book_stay(
                    customer_id=self.customer, service_id=w["boarding"], start_date=day,
                    end_date=day + timedelta(days=nights), pets=[{"pet_id": self.pet}],
                    addons=[{"addon_id": w["walk"], "quantity": 1}],
                    vaccine_override_reason="test: records on paper").reservation.id)

        @precondition(lambda self: self.stays)
        @rule(data=st.data(), cents=st.integers(1, 9_000), excess=st.booleans(),
              method=st.sampled_from(["CASH", "CARD", "ACCOUNT_CREDIT"]))
        def pay(self, data, cents, excess, method):
            stay = data.draw(st.sampled_from(self.stays))
            with contextlib.suppress(*REFUSED):
                self.payments.append(billing.record_payment(
                    reservation_id=stay, amount_cents=cents, method=method, excess_to_credit=excess,
                    approval_code="AP-1" if method == "CARD" else None).id)

        @precondition(lambda self: self.payments)
        @rule(data=st.data(), cents=st.integers(1, 20_000),
              destination=st.sampled_from(["ORIGINAL_METHOD", "ACCOUNT_CREDIT"]))
        def refund(self, data, cents, destination):
            with contextlib.suppress(*REFUSED):
                billing.refund_payment(payment_id=data.draw(st.sampled_from(self.payments)), amount_cents=cents,
                                       reason="random", destination=destination)

        @precondition(lambda self: self.stays)
        @rule(data=st.data(), nights=st.integers(1, 4))
        def reprice(self, data, nights):
            stay = reservations.get_reservation(reservation_id=data.draw(st.sampled_from(self.stays)))
            with contextlib.suppress(*REFUSED):
                reservations.update_reservation(reservation_id=stay.id, end_date=stay.start_date + timedelta(days=nights))

        @precondition(lambda self: self.stays)
        @rule(data=st.data())
        def cancel(self, data):
            with contextlib.suppress(*REFUSED):
                reservations.cancel(reservation_id=data.draw(st.sampled_from(self.stays)), reason="random")

        @rule(data=st.data(), reissue=st.booleans())
        def void(self, data, reissue):
            live = db.session.execute(select(Invoice.id).where(Invoice.customer_id == self.customer,
                                                               Invoice.status != InvoiceStatus.VOID)).scalars().all()
            if live:
                with contextlib.suppress(*REFUSED):
                    billing.void_invoice(invoice_id=data.draw(st.sampled_from(sorted(live))), reason="random",
                                         reissue=reissue)

        @invariant()
        def books_reconcile(self):
            if not hasattr(self, "customer"):
                return
            db.session.expire_all()
            summary = _ledger_holds(self.customer)  # ledger balance = open balances - available credit
            assert summary["available_credit_cents"] >= 0
            for invoice in db.session.execute(select(Invoice).where(Invoice.customer_id == self.customer)).scalars():
                assert invoice.tax_cents == sum(li.amount_cents for li in invoice.lines if li.kind == LineKind.TAX)
                assert invoice.total_cents == sum(li.amount_cents for li in invoice.lines)
                applied = db.session.scalar(select(func.coalesce(func.sum(Payment.applied_cents), 0))
                                            .where(Payment.invoice_id == invoice.id))
                taken = db.session.scalar(select(func.coalesce(func.sum(Refund.invoice_cents), 0))
                                          .join(Payment, Payment.id == Refund.payment_id)
                                          .where(Payment.invoice_id == invoice.id))
                assert invoice.paid_cents == applied - taken and 0 <= invoice.paid_cents <= invoice.total_cents
            sequences = sorted(db.session.execute(select(Invoice.sequence).where(Invoice.sequence.is_not(None)))
                               .scalars())
            assert sequences == list(range(1, len(sequences) + 1))  # numbered without gaps or duplicates

    with as_tenant(app, tenant_a):
        run_state_machine_as_test(Books, settings=settings(
            max_examples=25, stateful_step_count=20, deadline=None, database=None,  # draws depend on the rows
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]))
    with as_tenant(app, tenant_b):  # nothing crossed into the other resort
        assert db.session.scalar(select(func.count()).select_from(Invoice)) == 0
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 0
