"""Invoice numbers on PostgreSQL when several processes (gunicorn workers, each with its own app and
connection pool) issue at once: no gap, no duplicate, per tenant."""
import multiprocessing

import pytest
from flask import g
from sqlalchemy import select

from app.core.extensions import db
from app.models import Invoice, InvoiceStatus, Role
from app.services import billing, customers
from app.tenancy import lookup_tenant, tenant_context

pytestmark = pytest.mark.postgres
PROCESSES, EACH = 4, 6


def _issue_in_a_process(database_url, redis_url, base_url, subdomain, invoice_ids, barrier, results):
    """A separate interpreter with its own app: wait for the others, then issue these drafts one by one."""
    from app import create_app
    from config import TestConfig

    app = create_app(TestConfig(database_url=database_url, redis_url=redis_url))
    outcomes = []
    with app.test_request_context(base_url=base_url), tenant_context(lookup_tenant(subdomain)):
        g.principal_role = Role.MANAGER
        barrier.wait(timeout=120)
        for invoice_id in invoice_ids:
            try:
                outcomes.append(billing.issue_invoice(invoice_id=invoice_id).number)
            except Exception as exc:  # reported to the parent, which fails the test on it
                outcomes.append(f"error: {type(exc).__name__}: {exc}")
        db.session.remove()
    results.put(outcomes)


def _drafts(app, fx, count):
    with app.test_request_context(base_url=fx.base_url), tenant_context(lookup_tenant(fx.subdomain)):
        g.principal_role = Role.MANAGER
        household = customers.create_customer(first_name="Many", last_name="Workers")
        return [str(billing.create_invoice(customer_id=household.id, lines=[
            {"kind": "FEE", "description": f"Fee {i}", "unit_price_cents": 100 + i}]).id) for i in range(count)]


def test_processes_issuing_at_once_leave_no_gap_and_no_duplicate(app, database_url, redis_url, tenant_a, tenant_b):
    drafts = _drafts(app, tenant_a, PROCESSES * EACH)
    b_drafts = _drafts(app, tenant_b, 2)
    spawn = multiprocessing.get_context("spawn")  # fresh interpreters: no connection inherited from this one
    barrier, results = spawn.Barrier(PROCESSES + 1), spawn.Queue()
    workers = [spawn.Process(target=_issue_in_a_process, args=(
        database_url, redis_url, tenant_a.base_url, tenant_a.subdomain, drafts[n::PROCESSES], barrier, results))
        for n in range(PROCESSES - 1)]
    workers.append(spawn.Process(target=_issue_in_a_process, args=(  # the other resort issues at the same moment
        database_url, redis_url, tenant_b.base_url, tenant_b.subdomain, b_drafts, barrier, results)))
    for worker in workers:
        worker.start()
    barrier.wait(timeout=120)
    with app.test_request_context(base_url=tenant_a.base_url), tenant_context(lookup_tenant(tenant_a.subdomain)):
        g.principal_role = Role.MANAGER  # this process is the fourth issuer of tenant A
        mine = [billing.issue_invoice(invoice_id=i).number for i in drafts[PROCESSES - 1::PROCESSES]]
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    numbers = [n for batch in outcomes for n in batch] + mine
    assert not [n for n in numbers if n.startswith("error")], numbers
    with app.app_context(), tenant_context(lookup_tenant(tenant_a.subdomain)):
        rows = db.session.execute(select(Invoice.sequence, Invoice.number, Invoice.status)).all()
        assert sorted(seq for seq, _, _ in rows) == list(range(1, PROCESSES * EACH + 1))  # no gap, no duplicate
        assert {status for _, _, status in rows} == {InvoiceStatus.ISSUED}
        assert billing.get_settings().next_invoice_number == PROCESSES * EACH + 1
    with app.app_context(), tenant_context(lookup_tenant(tenant_b.subdomain)):
        assert sorted(db.session.execute(select(Invoice.number)).scalars()) == ["INV-000001", "INV-000002"]
