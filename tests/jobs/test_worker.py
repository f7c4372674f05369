"""Real `flask --app wsgi worker` processes on the test Redis deliver the outbox to a real SMTP server,
exactly once, through SMTP outages, a SIGKILLed worker and a Redis that was down at commit time."""
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from aiosmtpd.controller import Controller

from app.core.extensions import db
from app.models import MessageState, OutboxMessage
from app.tenancy import unscoped
from tests.private_redis import free_port, private_redis
from tests.services.test_mail import Inbox

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).with_name("flask"))


@pytest.fixture
def queue_name(app, redis_url):
    """A queue of this test's own on the shared test Redis; the test app enqueues to it."""
    name = f"tailtown-test-{uuid.uuid4().hex[:8]}"
    saved = {k: app.config[k] for k in ("JOBS_MODE", "JOBS_QUEUE")}
    app.config.update(JOBS_MODE="rq", JOBS_QUEUE=name, OUTBOX_RETRY_BASE_SECONDS=1)
    app.extensions.pop("jobs_redis", None)
    yield name
    app.config.update(saved, OUTBOX_RETRY_BASE_SECONDS=30)
    app.extensions.pop("jobs_redis", None)
    client = redis.Redis.from_url(redis_url)
    keys = [*client.scan_iter(f"rq:*{name}*"), *client.scan_iter(f"tailtown:periodic:{name}:*")]
    if keys:
        client.delete(*keys)


def descendants(pid: int) -> list[int]:
    """Every process below pid (RQ's work horses put themselves in their own process group)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_worker(process: subprocess.Popen) -> None:
    """SIGKILL a worker, its work horse and its scheduler: a crashed host, not a graceful stop."""
    for pid in descendants(process.pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # the group this test started
    process.wait(timeout=10)


@contextmanager
def worker(database_url, redis_url, queue, smtp_port):
    """One worker process (in its own process group, so its work horses and scheduler die with it)."""
    env = {**os.environ, "TAILTOWN_ENV": "development", "DATABASE_URL": database_url, "REDIS_URL": redis_url,
           "JOBS_QUEUE": queue, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port), "SMTP_TIMEOUT": "5",
           "OUTBOX_SWEEP_SECONDS": "1", "OUTBOX_RETRY_BASE_SECONDS": "1", "OUTBOX_LEASE_SECONDS": "4",
           "LOG_LEVEL": "WARNING"}
    process = subprocess.Popen([FLASK, "--app", "wsgi", "worker"], cwd=ROOT, env=env, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield process
    finally:
        kill_worker(process)


@contextmanager
def smtp_server(port: int, handler=None):
    handler = handler or Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()


def _rows(app) -> list[OutboxMessage]:
    with app.app_context(), unscoped():
        rows = db.session.execute(db.select(OutboxMessage).order_by(OutboxMessage.created_at)).scalars().all()
        db.session.expunge_all()
        return rows


def wait_for(condition, timeout: float = 40.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def invite(client, tenant, address="new@alpha.example"):
    r = client.post("/api/v1/users", headers=tenant.headers(), json={"email": address, "name": "New"})
    assert r.status_code == 201, r.get_json()


def test_a_worker_process_delivers_an_outbox_message_end_to_end(app, client, tenant_a, tenant_b, database_url,
                                                                redis_url, queue_name):
    port = free_port()
    with smtp_server(port) as inbox, worker(database_url, redis_url, queue_name, port):
        invite(client, tenant_a)
        invite(client, tenant_b, "new@bravo.example")
        wait_for(lambda: len(inbox.messages) == 2, what="two deliveries")
        rows = wait_for(lambda: (rows := _rows(app)) and all(r.state == MessageState.SENT for r in rows) and rows,
                        what="both rows SENT")
    assert sorted(rcpt for (rcpt,), _ in inbox.messages) == ["new@alpha.example", "new@bravo.example"]
    assert {(r.tenant_id, r.recipient) for r in rows} == {(tenant_a.id, "new@alpha.example"),
                                                          (tenant_b.id, "new@bravo.example")}
    assert all(r.secret is None and r.attempts == 1 for r in rows)


def test_smtp_down_is_retried_then_delivered_exactly_once_when_it_returns(app, client, tenant_a, database_url,
                                                                         redis_url, queue_name):
    port = free_port()  # nothing listens yet
    with worker(database_url, redis_url, queue_name, port):
        invite(client, tenant_a)
        wait_for(lambda: (rows := _rows(app)) and rows[0].attempts >= 2, what="a retry")
        (row,) = _rows(app)
        assert row.state in (MessageState.PENDING, MessageState.SENDING) and "SMTP" in (row.last_error or "")
        with smtp_server(port) as inbox:
            wait_for(lambda: _rows(app)[0].state == MessageState.SENT, what="delivery after the outage")
            time.sleep(3)  # a few more sweeps and retry timers: none may send it again
    assert len(inbox.messages) == 1


class HangingInbox(Inbox):
    """Holds the first transaction at MAIL FROM until released (the worker is killed meanwhile)."""

    def __init__(self):
        super().__init__()
        self.entered = threading.Event()
        self.release = threading.Event()

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if not self.entered.is_set():
            self.entered.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        envelope.mail_from = address
        return "250 OK"


def test_a_worker_killed_mid_delivery_leaves_the_message_to_be_delivered_once(app, client, tenant_a, database_url,
                                                                             redis_url, queue_name):
    port = free_port()
    handler = HangingInbox()
    with smtp_server(port, handler):
        with worker(database_url, redis_url, queue_name, port) as first:
            invite(client, tenant_a)
            wait_for(handler.entered.is_set, what="the first worker inside the SMTP transaction")
            assert _rows(app)[0].state == MessageState.SENDING
            kill_worker(first)
        handler.release.set()
        with worker(database_url, redis_url, queue_name, port):
            wait_for(lambda: _rows(app)[0].state == MessageState.SENT, what="the sweep's redelivery")
            time.sleep(2)
    (row,) = _rows(app)
    assert len(handler.messages) == 1 and row.attempts == 2


def test_a_message_committed_while_redis_was_down_is_delivered_by_the_sweep(app, client, tenant_a, database_url,
                                                                           redis_url, queue_name):
    with private_redis() as down:
        pass  # started and killed (by its pid): nothing listens on its port any more
    app.extensions["jobs_redis"] = redis.Redis.from_url(down.url, socket_timeout=0.25, socket_connect_timeout=0.25)
    invite(client, tenant_a)  # commits; the enqueue fails and is only logged
    (row,) = _rows(app)
    assert row.state == MessageState.PENDING and row.attempts == 0
    port = free_port()
    with smtp_server(port) as inbox, worker(database_url, redis_url, queue_name, port):
        wait_for(lambda: _rows(app)[0].state == MessageState.SENT, what="the sweep's delivery")
    assert len(inbox.messages) == 1


def test_a_worker_process_delivers_a_booking_confirmation_to_the_smtp_server(app, tenant_a, tenant_b, database_url,
                                                                            redis_url, queue_name):
    from datetime import timedelta

    from flask import g

    from app.models import Role
    from app.services import catalog, customers, kennels, pets, reservations
    from app.services.compliance import tenant_today
    from app.tenancy import lookup_tenant, tenant_context

    port = free_port()
    with smtp_server(port) as inbox, worker(database_url, redis_url, queue_name, port):
        with app.test_request_context(base_url=tenant_a.base_url), tenant_context(lookup_tenant(tenant_a.subdomain)):
            g.principal_role = Role.MANAGER
            service = catalog.create_service(name="Boarding", category="BOARDING", price_cents=4500,
                                             price_unit="PER_NIGHT", kennel_types=["RUN"])
            kennels.create_kennel(code="R1", type="RUN", size="L")
            ann = customers.create_customer(first_name="Ann", last_name="Smith", email="ann@alpha.example")
            rex = pets.create_pet(customer_id=ann.id, name="Rex", species="DOG")
            start = tenant_today() + timedelta(days=3)
            code = reservations.book_stay(customer_id=ann.id, service_id=service.id, start_date=start,
                                          end_date=start + timedelta(days=2), pets=[{"pet_id": rex.id}],
                                          vaccine_override_reason="on paper", confirm=True).reservation.confirmation_code
        wait_for(lambda: len(inbox.messages) == 1, what="the confirmation")
        (row,) = wait_for(lambda: (rows := _rows(app)) and rows[0].state == MessageState.SENT and rows,
                          what="the row SENT")
    ((recipient,), content) = inbox.messages[0]
    assert recipient == "ann@alpha.example" and row.tenant_id == tenant_a.id and row.kind == "booking_confirmation"
    text = content.decode() if isinstance(content, bytes) else str(content)
    assert f"Confirmation code: {code}" in text and "Total: $90.00" in text and "/unsubscribe/" in text
