"""GET /api/v1/outbox-messages: the tenant's messages and delivery state, admins only, never another tenant's;
POST /{id}/retry gives a dead letter fresh attempts (managers, audited, once)."""
import contextlib

import pytest

from app.core.extensions import db
from app.models import AuditEvent, MessageState, OutboxMessage, Role
from app.tenancy import unscoped
from tests.private_redis import free_port
from tests.services.test_mail import smtp  # noqa: F401  (fixture)


def _invite(client, fx, address):
    assert client.post("/api/v1/users", headers=fx.headers(), json={"email": address, "name": "N"}).status_code == 201


def test_the_outbox_lists_this_tenants_messages_with_their_state(client, tenant_a, tenant_b):
    _invite(client, tenant_a, "ann@alpha.example")
    _invite(client, tenant_b, "bob@bravo.example")
    r = client.get("/api/v1/outbox-messages", headers=tenant_a.headers())
    assert r.status_code == 200
    (message,) = r.get_json()
    assert message["recipient"] == "ann@alpha.example" and message["state"] == "SENT"
    assert message["kind"] == "invitation" and message["attempts"] == 1 and "body" not in message
    assert r.headers["X-Pagination"]


def test_the_outbox_filters_by_state_and_refuses_an_unknown_one(client, tenant_a):
    _invite(client, tenant_a, "ann@alpha.example")
    assert client.get("/api/v1/outbox-messages?state=DEAD", headers=tenant_a.headers()).get_json() == []
    assert len(client.get("/api/v1/outbox-messages?state=SENT", headers=tenant_a.headers()).get_json()) == 1
    bad = client.get("/api/v1/outbox-messages?state=LOST", headers=tenant_a.headers())
    assert bad.status_code == 422 and "state" in str(bad.get_json())


def test_only_admins_read_the_outbox(client, tenant_a):
    assert client.get("/api/v1/outbox-messages", headers=tenant_a.headers(Role.MANAGER)).status_code == 403


# --- dead letters retried ---------------------------------------------------------------------------

@contextlib.contextmanager
def smtp_down(app, attempts: int = 1):
    """Mail to a port nobody listens on, giving up after `attempts`: every new message goes DEAD."""
    saved = {k: app.config.get(k) for k in ("SMTP_HOST", "SMTP_PORT", "OUTBOX_MAX_ATTEMPTS")}
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), OUTBOX_MAX_ATTEMPTS=attempts)
    try:
        yield
    finally:
        app.config.update(saved)


def _dead_invitation(app, client, fx, address):
    with smtp_down(app):
        _invite(client, fx, address)
    (message,) = client.get("/api/v1/outbox-messages?state=DEAD", headers=fx.headers()).get_json()
    assert message["recipient"] == address and message["attempts"] == 1
    return message["id"]


def _row(app, message_id):
    with app.app_context(), unscoped():
        row = db.session.get(OutboxMessage, message_id)
        db.session.expunge_all()
        return row


def test_a_dead_letter_is_retried_with_fresh_attempts_and_delivered_once(app, client, tenant_a, tenant_b, smtp):  # noqa: F811
    import uuid

    message_id = _dead_invitation(app, client, tenant_a, "ann@alpha.example")
    other = _dead_invitation(app, client, tenant_b, "bob@bravo.example")
    r = client.post(f"/api/v1/outbox-messages/{message_id}/retry", headers=tenant_a.headers(Role.MANAGER))
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["state"] == "PENDING" and r.get_json()["attempts"] == 0  # as of the commit; sent right after
    row = _row(app, uuid.UUID(message_id))
    assert row.state == MessageState.SENT and row.attempts == 1 and row.secret is None
    assert [rcpt for rcpt, _ in smtp.messages] == [["ann@alpha.example"]]
    again = client.post(f"/api/v1/outbox-messages/{message_id}/retry", headers=tenant_a.headers())
    assert again.status_code == 409 and "SENT" in again.get_json()["message"]
    assert len(smtp.messages) == 1
    assert _row(app, uuid.UUID(other)).state == MessageState.DEAD  # B's dead letter is B's business
    with app.app_context(), unscoped():
        (event,) = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "outbox_message.retried")
                                      ).scalars().all()
        assert event.tenant_id == tenant_a.id and event.resource_id == message_id
        assert event.changes["attempts"] == {"old": 1, "new": 0}


def test_another_resorts_message_cannot_be_retried(app, client, tenant_a, tenant_b):
    import uuid

    message_id = _dead_invitation(app, client, tenant_a, "ann@alpha.example")
    crossed = client.post(f"/api/v1/outbox-messages/{message_id}/retry", headers=tenant_b.headers())
    missing = client.post(f"/api/v1/outbox-messages/{uuid.uuid4()}/retry", headers=tenant_b.headers())
    assert crossed.status_code == missing.status_code == 404
    assert crossed.get_json()["message"] == missing.get_json()["message"]
    assert _row(app, uuid.UUID(message_id)).state == MessageState.DEAD


def test_staff_cannot_retry_and_a_pending_message_is_not_retried(app, client, tenant_a):
    message_id = _dead_invitation(app, client, tenant_a, "ann@alpha.example")
    assert client.post(f"/api/v1/outbox-messages/{message_id}/retry",
                       headers=tenant_a.headers(Role.STAFF)).status_code == 403
    with smtp_down(app, attempts=6):
        _invite(client, tenant_a, "pat@alpha.example")  # failed once, waiting for its next attempt
    (pending,) = client.get("/api/v1/outbox-messages?state=PENDING", headers=tenant_a.headers()).get_json()
    r = client.post(f"/api/v1/outbox-messages/{pending['id']}/retry", headers=tenant_a.headers())
    assert r.status_code == 409 and r.get_json()["errors"]["state"] == ["Is PENDING, not DEAD."]


def test_a_dead_invitation_whose_link_was_used_or_expired_is_not_resent(app, client, tenant_a):
    import uuid
    from datetime import timedelta

    from app.models import PasswordResetToken

    message_id = _dead_invitation(app, client, tenant_a, "ann@alpha.example")
    with app.app_context(), unscoped():
        for token in db.session.execute(db.select(PasswordResetToken)).scalars():
            token.expires_at = token.expires_at - timedelta(hours=2)
        db.session.commit()
    r = client.post(f"/api/v1/outbox-messages/{message_id}/retry", headers=tenant_a.headers())
    assert r.status_code == 422 and "expired or been used" in r.get_json()["message"]
    assert _row(app, uuid.UUID(message_id)).state == MessageState.DEAD


@pytest.mark.postgres
def test_two_retries_at_once_requeue_a_dead_letter_once(app, client, tenant_a):
    import threading
    import uuid

    from app.services import outbox
    from app.tenancy import lookup_tenant, tenant_context

    message_id = uuid.UUID(_dead_invitation(app, client, tenant_a, "ann@alpha.example"))
    barrier, results = threading.Barrier(2), []

    def retry():
        with app.test_request_context(base_url=tenant_a.base_url), tenant_context(lookup_tenant(tenant_a.subdomain)):
            barrier.wait()
            try:
                outbox.retry_message(message_id=message_id)
                results.append("retried")
            except Exception as exc:  # noqa: BLE001
                results.append(type(exc).__name__)

    with smtp_down(app, attempts=6):
        threads = [threading.Thread(target=retry) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(results) == ["Conflict", "retried"]
