"""Money races on PostgreSQL, threads with their own sessions: invoice numbers stay gap-free and unique,
a payment is never refunded twice over, two clerks never both pay the same balance."""
import threading

import pytest
from flask import g
from sqlalchemy import select

from app.core.errors import Conflict, RuleViolation
from app.core.extensions import db
from app.models import Invoice, Role
from app.services import billing, customers
from app.tenancy import lookup_tenant, tenant_context

pytestmark = pytest.mark.postgres
RACERS = 24


def _race(app, fx, work, count: int) -> list[str]:
    """Run work(i) in count threads released together; returns each outcome."""
    barrier = threading.Barrier(count)
    outcomes: list[str] = []

    def run(i):
        with app.test_request_context(base_url=fx.base_url), tenant_context(lookup_tenant(fx.subdomain)):
            g.principal_role = Role.MANAGER
            barrier.wait()
            try:
                work(i)
                outcomes.append("ok")
            except (RuleViolation, Conflict) as exc:
                outcomes.append(type(exc).__name__)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


def _setup(app, fx, drafts: int):
    with app.test_request_context(base_url=fx.base_url), tenant_context(lookup_tenant(fx.subdomain)):
        g.principal_role = Role.MANAGER
        customer = customers.create_customer(first_name="Race", last_name="Condition")
        ids = [billing.create_invoice(customer_id=customer.id, lines=[
            {"kind": "FEE", "description": f"Fee {i}", "unit_price_cents": 1000}]).id for i in range(drafts)]
        return customer.id, ids


def test_invoices_issued_at_once_get_gap_free_unique_numbers(app, tenant_a, tenant_b):
    _, ids = _setup(app, tenant_a, RACERS)
    _, b_ids = _setup(app, tenant_b, 1)
    outcomes = _race(app, tenant_a, lambda i: billing.issue_invoice(invoice_id=ids[i]), RACERS)
    assert outcomes == ["ok"] * RACERS
    with app.app_context(), tenant_context(lookup_tenant(tenant_a.subdomain)):
        numbers = sorted(db.session.execute(select(Invoice.sequence)).scalars())
        assert numbers == list(range(1, RACERS + 1))  # no gap, no duplicate
        assert billing.get_settings().next_invoice_number == RACERS + 1
    with app.test_request_context(base_url=tenant_b.base_url), tenant_context(lookup_tenant(tenant_b.subdomain)):
        assert billing.issue_invoice(invoice_id=b_ids[0]).number == "INV-000001"  # B's own counter


def test_concurrent_refunds_never_exceed_the_payment(app, tenant_a):
    _, ids = _setup(app, tenant_a, 1)
    with app.test_request_context(base_url=tenant_a.base_url), tenant_context(lookup_tenant(tenant_a.subdomain)):
        g.principal_role = Role.MANAGER
        billing.issue_invoice(invoice_id=ids[0])
        payment_id = billing.record_payment(invoice_id=ids[0], amount_cents=1000, method="CASH").id
    outcomes = _race(app, tenant_a, lambda i: billing.refund_payment(payment_id=payment_id, amount_cents=300,
                                                                     reason="race"), 10)
    assert sorted(outcomes) == ["RuleViolation"] * 7 + ["ok"] * 3
    with app.app_context(), tenant_context(lookup_tenant(tenant_a.subdomain)):
        payment = billing.get_payment(payment_id=payment_id)
        assert payment.refunded_cents == 900 and sum(r.amount_cents for r in payment.refunds) == 900
        assert billing.get_invoice(invoice_id=ids[0]).paid_cents == 100


def test_two_clerks_paying_the_same_balance_one_wins_the_other_sees_the_new_balance(app, tenant_a):
    customer_id, ids = _setup(app, tenant_a, 1)
    with app.test_request_context(base_url=tenant_a.base_url), tenant_context(lookup_tenant(tenant_a.subdomain)):
        billing.issue_invoice(invoice_id=ids[0])
    outcomes = _race(app, tenant_a, lambda i: billing.record_payment(invoice_id=ids[0], amount_cents=1000,
                                                                     method="CASH"), 6)
    assert sorted(outcomes) == ["RuleViolation"] * 5 + ["ok"]
    with app.app_context(), tenant_context(lookup_tenant(tenant_a.subdomain)):
        assert billing.get_invoice(invoice_id=ids[0]).paid_cents == 1000
        summary = billing.customer_ledger(customer_id=customer_id)
        assert summary["balance_cents"] == 0 == summary["open_invoices_cents"] - summary["available_credit_cents"]


def test_the_clerk_who_loses_the_race_is_told_the_new_balance(app, tenant_a, tenant_b):
    customer_id, ids = _setup(app, tenant_a, 1)
    _, b_ids = _setup(app, tenant_b, 1)
    with app.test_request_context(base_url=tenant_a.base_url), tenant_context(lookup_tenant(tenant_a.subdomain)):
        billing.issue_invoice(invoice_id=ids[0])
    refusals = []

    def pay(i):
        try:
            billing.record_payment(invoice_id=ids[0], amount_cents=600, method="CASH")
        except RuleViolation as exc:
            refusals.append(exc)
            raise

    outcomes = _race(app, tenant_a, pay, 2)
    assert sorted(outcomes) == ["RuleViolation", "ok"]
    assert refusals[0].extra["balance_cents"] == 400  # the balance after the winner, not the 1000 both first saw
    assert "amount_cents" in refusals[0].errors
    with app.app_context(), tenant_context(lookup_tenant(tenant_a.subdomain)):
        invoice = billing.get_invoice(invoice_id=ids[0])
        assert (invoice.paid_cents, invoice.status.value) == (600, "PARTIALLY_PAID")
        assert len(billing.list_payments(invoice_id=ids[0])[0]) == 1
        summary = billing.customer_ledger(customer_id=customer_id)
        assert summary["balance_cents"] == 400 == summary["open_invoices_cents"]
    with app.app_context(), tenant_context(lookup_tenant(tenant_b.subdomain)):
        assert billing.get_invoice(invoice_id=b_ids[0]).paid_cents == 0  # the other resort's draft untouched
