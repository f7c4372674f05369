"""Jobs run for one tenant or none; outbox delivery is claimed once per message, retried with backoff,
dead-lettered, swept, and follows the customer's contact preference (both backends)."""
import threading

import pytest
from sqlalchemy import select, text

from app import jobs
from app.core.extensions import db
from app.jobs import JOBS, job, run_inline_jobs
from app.jobs.runner import run
from app.models import Channel, ContactMethod, Customer, MessageState, OutboxMessage, Tenant
from app.services import customers, outbox
from app.services.mail import queue_email
from app.tenancy import TenantScopeError, tenant_context, tenant_free, unscoped
from tests.private_redis import free_port
from tests.services.test_mail import Inbox, smtp  # noqa: F401  (fixture)


@job("test.customer_names")
def _customer_names():
    return sorted(c.first_name for c in db.session.execute(select(Customer)).scalars())


@job("test.raw_customer_count")
def _raw_customer_count():
    return db.session.execute(tenant_free(text("SELECT count(*) FROM customers"))).scalar_one()


@pytest.fixture
def households(app, tenant_a, tenant_b):
    for fx, name in ((tenant_a, "Ann"), (tenant_b, "Bob")):
        with app.app_context(), unscoped():
            tenant = db.session.get(Tenant, fx.id)
        with app.app_context(), tenant_context(tenant):
            customers.create_customer(first_name=name, last_name="Household", email=f"{name.lower()}@example.com",
                                      phone="+15555550100")
    return tenant_a, tenant_b


def test_a_job_for_tenant_a_reads_only_tenant_as_rows(app, households):
    tenant_a, tenant_b = households
    with app.app_context():
        assert run("test.customer_names", str(tenant_a.id), {}) == ["Ann"]
        assert run("test.customer_names", str(tenant_b.id), {}) == ["Bob"]


def test_a_job_that_names_no_tenant_cannot_touch_tenant_tables(app, households):
    with app.app_context(), pytest.raises(TenantScopeError):
        run("test.customer_names", None, {})


@pytest.mark.postgres
def test_a_job_with_no_tenant_sees_no_rows_even_through_raw_sql(app, households):
    with app.app_context():
        assert run("test.raw_customer_count", None, {}) == 0  # row-level security: no tenant, no rows
        assert run("test.raw_customer_count", str(households[0].id), {}) == 1


def test_every_job_logs_its_tenant_and_job_id(app, households, captured_logs):
    tenant_a, _ = households
    with app.app_context():
        run("test.customer_names", str(tenant_a.id), {}, job_id="job-123")
    started = [line for line in captured_logs if "job test.customer_names started" in line]
    assert started and f"'tenant': '{tenant_a.id}'" in started[0] and "'job_id': 'job-123'" in started[0]


def _as(app, fx):
    with app.app_context(), unscoped():
        tenant = db.session.get(Tenant, fx.id)
        db.session.expunge(tenant)
    return tenant_context(tenant)


def _all_messages(app):
    with app.app_context(), unscoped():
        rows = db.session.execute(select(OutboxMessage).order_by(OutboxMessage.created_at)).scalars().all()
        db.session.expunge_all()
    return rows


def test_a_message_whose_transaction_rolls_back_is_neither_kept_nor_sent(app, tenant_a, smtp):  # noqa: F811
    with app.app_context(), _as(app, tenant_a):
        queue_email(to="gone@example.com", subject="Never", body="x")
        db.session.rollback()
        queue_email(to="kept@example.com", subject="Kept", body="y")
        db.session.commit()
        run_inline_jobs()
    assert [m.recipient for m in _all_messages(app)] == ["kept@example.com"]
    assert [rcpt for (rcpt,), _ in smtp.messages] == ["kept@example.com"]


def test_a_message_is_sent_once_however_often_it_is_handed_to_delivery(app, tenant_a, smtp):  # noqa: F811
    with app.app_context(), _as(app, tenant_a):
        message = queue_email(to="once@example.com", subject="Once", body="z")
        db.session.commit()
        assert outbox.deliver_message(message_id=message.id) == MessageState.SENT
        assert outbox.deliver_message(message_id=message.id) is None
        assert outbox.sweep() == 0
        run_inline_jobs()
    assert len(smtp.messages) == 1


def test_a_message_whose_worker_died_mid_send_is_swept_once_its_lease_runs_out(app, tenant_a, smtp):  # noqa: F811
    from datetime import timedelta

    from sqlalchemy import update

    from app.models.base import utcnow

    with app.app_context(), _as(app, tenant_a):
        message_id = queue_email(to="lease@example.com", subject="Lease", body="l").id
        db.session.info.pop(jobs._AFTER_COMMIT)
        db.session.commit()
        claimed = dict(state=MessageState.SENDING, attempts=1)
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)  # a worker's claim, then it died
                           .values(**claimed, locked_until=utcnow() + timedelta(seconds=60)))
        db.session.commit()
    with app.app_context():
        assert outbox.sweep() == 0  # the lease still holds: maybe that worker is only slow
    with app.app_context(), _as(app, tenant_a):
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                           .values(locked_until=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    with app.app_context():
        assert outbox.sweep() == 1
        run_inline_jobs()
    (row,) = _all_messages(app)
    assert row.state == MessageState.SENT and row.attempts == 2 and len(smtp.messages) == 1


@pytest.mark.postgres
def test_two_workers_racing_for_one_message_send_it_once(app, tenant_a, smtp):  # noqa: F811
    with app.app_context(), _as(app, tenant_a):
        message_id = queue_email(to="race@example.com", subject="Race", body="r").id
        db.session.info.pop(jobs._AFTER_COMMIT)  # as if its enqueue were lost: the racers below are the only senders
        db.session.commit()
    barrier, results = threading.Barrier(4), []

    def deliver():
        with app.app_context(), _as(app, tenant_a):
            barrier.wait()
            results.append(outbox.deliver_message(message_id=message_id))

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(MessageState.SENT) == 1 and results.count(None) == 3
    assert len(smtp.messages) == 1


def test_failed_attempts_back_off_then_dead_letter_with_the_last_error(app, tenant_a):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), OUTBOX_MAX_ATTEMPTS=3, OUTBOX_RETRY_BASE_SECONDS=0)
    try:
        with app.app_context(), _as(app, tenant_a):
            queue_email(to="dead@example.com", subject="Dead", body="d")
            db.session.commit()
            run_inline_jobs()  # attempt 1
        for _ in range(4):  # the sweep hands it over again while it is due; after attempt 3 it is dead
            with app.app_context():
                run("outbox.sweep", None, {})
        (row,) = _all_messages(app)
    finally:
        app.config.update(SMTP_HOST=None, OUTBOX_MAX_ATTEMPTS=6, OUTBOX_RETRY_BASE_SECONDS=30)
    assert row.state == MessageState.DEAD and row.attempts == 3
    assert row.last_error.startswith("SMTP ConnectionRefusedError") and row.sent_at is None


def test_the_retry_delay_doubles_up_to_its_cap(app):
    with app.app_context():
        assert [outbox.retry_delay(n) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
        assert outbox.retry_delay(30) == 3600


def test_a_retry_that_is_not_due_yet_is_left_alone_by_the_sweep(app, tenant_a):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port())
    try:
        with app.app_context(), _as(app, tenant_a):
            queue_email(to="later@example.com", subject="Later", body="l")
            db.session.commit()
            run_inline_jobs()
        with app.app_context():
            assert outbox.sweep() == 0  # next attempt in 30 s
    finally:
        app.config.update(SMTP_HOST=None)
    assert _all_messages(app)[0].attempts == 1


@pytest.mark.parametrize(("preference", "channels", "state"), [
    (ContactMethod.EMAIL, [Channel.EMAIL], MessageState.SENT),
    (ContactMethod.SMS, [Channel.SMS], MessageState.SENT),
    (ContactMethod.BOTH, [Channel.EMAIL, Channel.SMS], MessageState.SENT),
    (ContactMethod.NONE, [Channel.EMAIL], MessageState.SUPPRESSED),
])
def test_customer_notices_follow_the_preferred_contact_method_and_opt_out(app, households, preference, channels,
                                                                          state):
    tenant_a, tenant_b = households
    with app.app_context(), _as(app, tenant_a):
        customer = db.session.execute(select(Customer)).scalar_one()
        customer.preferred_contact = preference
        outbox.notify_customer(customer=customer, kind="notice", subject="Hello", body="Body")
        db.session.commit()
        run_inline_jobs()
    rows = _all_messages(app)
    assert sorted(r.channel for r in rows) == sorted(channels)
    assert {r.state for r in rows} == {state} and {r.tenant_id for r in rows} == {tenant_a.id}
    assert all(r.provider == ("development" if state == MessageState.SENT else None) for r in rows)


def test_an_sms_goes_through_the_configured_provider(app, households):
    from app.services.sms import SmsProvider

    sent = []

    class Recording(SmsProvider):
        name = "recording"

        def send(self, *, to, body, message_id):
            sent.append((to, body))

    app.extensions["sms_provider"] = Recording()
    try:
        with app.app_context(), _as(app, households[0]):
            customer = db.session.execute(select(Customer)).scalar_one()
            customer.preferred_contact = ContactMethod.SMS
            outbox.notify_customer(customer=customer, kind="notice", subject="Hi", body="Body", sms_body="Short")
            db.session.commit()
            run_inline_jobs()
    finally:
        app.extensions.pop("sms_provider")
    assert sent == [("+15555550100", "Short Reply STOP to opt out.")]
    assert _all_messages(app)[0].provider == "recording"


def test_jobs_and_periodic_entries_name_registered_jobs():
    from app.jobs.schedule import SCHEDULE

    assert {"outbox.deliver", "outbox.sweep"} <= set(JOBS)
    assert all(entry.job in JOBS for entry in SCHEDULE)
    assert f"{run.__module__}.{run.__name__}" == jobs.RUNNER


@pytest.mark.postgres
def test_two_tickers_enqueue_a_periodic_job_once_per_period(app, redis_url):
    import uuid

    import redis

    from app.jobs.schedule import due_now

    client = redis.Redis.from_url(redis_url)
    app.config["JOBS_QUEUE"] = f"tailtown-test-{uuid.uuid4().hex[:8]}"
    try:
        first, second = due_now(app, client, now=1_000_000.0), due_now(app, client, now=1_000_000.5)
        later = due_now(app, client, now=1_000_000.0 + app.config["OUTBOX_SWEEP_SECONDS"])
    finally:
        client.delete(*client.scan_iter(f"tailtown:periodic:{app.config['JOBS_QUEUE']}:*"))
        app.config["JOBS_QUEUE"] = "tailtown"
    assert {e.name for e in first} == {"outbox-sweep", "reminders"} and second == []
    assert "outbox-sweep" in {e.name for e in later}  # its next period (the reminders' period is longer)


def test_readyz_reports_the_queue_and_the_oldest_undelivered_message(app, client, tenant_a, tenant_b):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port())
    try:
        for fx in (tenant_a, tenant_b):
            client.post("/api/v1/users", headers=fx.headers(), json={"email": f"w@{fx.subdomain}.example", "name": "W"})
        details = client.get("/readyz").get_json()["details"]
    finally:
        app.config.update(SMTP_HOST=None)
    assert details["jobs"]["mode"] == "inline"
    assert details["outbox"]["undelivered"] == 2 and details["outbox"]["dead"] == 0
    assert details["outbox"]["oldest_undelivered_age_seconds"] >= 0
