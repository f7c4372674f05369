"""Reset and invitation mail: written to the outbox with the change, delivered after the commit over real SMTP."""
import email
import socket

import pytest
from aiosmtpd.controller import Controller

from app.core.extensions import db
from app.models import MessageState, OutboxMessage, Role
from app.tenancy import unscoped


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode()))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(app):
    port = free_port()
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    yield inbox
    app.config.update(SMTP_HOST=None)
    controller.stop()


def _messages(app, tenant_id=None) -> list[OutboxMessage]:
    with app.app_context(), unscoped():
        query = db.select(OutboxMessage).order_by(OutboxMessage.created_at)
        if tenant_id is not None:
            query = query.where(OutboxMessage.tenant_id == tenant_id)
        rows = db.session.execute(query).scalars().all()
        db.session.expunge_all()
        return rows


def test_an_invitation_is_delivered_after_the_commit_with_a_link_to_the_tenants_own_host(app, client, tenant_a, smtp):
    r = client.post("/api/v1/users", headers=tenant_a.headers(), json={"email": "new@alpha.example", "name": "New"})
    assert r.status_code == 201
    (recipients, content), = smtp.messages
    assert recipients == ["new@alpha.example"]
    assert "Subject: Set your Tailtown password" in content
    assert f"http://{tenant_a.subdomain}.localhost/reset-password?token=" in content
    (row,) = _messages(app)
    assert row.state == MessageState.SENT and row.sent_at is not None and row.attempts == 1
    assert row.provider == "smtp" and row.kind == "invitation" and row.tenant_id == tenant_a.id
    assert f"Message-ID: <{row.id}@" in content  # the outbox id travels with the mail


def test_without_a_mail_server_the_message_is_recorded_with_its_link_for_the_outbox_page(app, client, tenant_a):
    client.post("/api/v1/users", headers=tenant_a.headers(), json={"email": "q@alpha.example", "name": "Q"})
    (row,) = _messages(app)
    assert row.state == MessageState.SENT and row.provider == "development" and row.tenant_id == tenant_a.id
    # No mailbox holds the link: the development outbox does, so the invite can be finished on a laptop.
    assert row.secret and row.secret not in row.body and f"token={row.secret}" in row.rendered_body()


def test_a_dead_smtp_server_does_not_fail_the_request_and_the_message_waits_for_a_retry(app, client, tenant_a):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port())
    try:
        r = client.post("/api/v1/users", headers=tenant_a.headers(), json={"email": "d@alpha.example", "name": "D"})
    finally:
        app.config.update(SMTP_HOST=None)
    assert r.status_code == 201
    assert client.get("/api/v1/users", headers=tenant_a.headers(Role.ADMIN)).status_code == 200
    (row,) = _messages(app)
    assert row.state == MessageState.PENDING and row.attempts == 1 and row.sent_at is None
    assert "SMTP" in row.last_error and row.next_attempt_at > row.created_at
    assert row.secret  # not sent yet: the token is still needed


def test_no_token_stays_in_the_outbox_once_the_mail_is_sent(app, client, tenant_a, tenant_b, smtp):
    from tests.conftest import csrf_from

    r = client.post("/api/v1/users", headers=tenant_a.headers(), json={"email": "t@alpha.example", "name": "T"})
    assert r.status_code == 201
    client.post("/api/v1/users", headers=tenant_b.headers(), json={"email": "t@bravo.example", "name": "T"})
    (_, content), _ = smtp.messages
    text = email.message_from_string(content).get_payload(decode=True).decode()
    token = text.split("reset-password?token=")[1].split()[0]
    (row,) = _messages(app, tenant_a.id)
    assert row.sent_at is not None and row.secret is None
    assert token not in row.body and "[link removed once sent]" in row.rendered_body()
    # The token still works from the mailbox: only the database copy is gone.
    link = f"/reset-password?token={token}"
    page = client.get(link, base_url=tenant_a.base_url)
    done = client.post(link, base_url=tenant_a.base_url, data={"password": "a-brand-new-password",
                                                               "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert done.status_code == 302


def test_a_change_that_rolls_back_queues_and_sends_nothing(app, client, tenant_a, smtp):
    first = client.post("/api/v1/users", headers=tenant_a.headers(), json={"email": "x@alpha.example", "name": "X"})
    again = client.post("/api/v1/users", headers=tenant_a.headers(), json={"email": "x@alpha.example", "name": "X"})
    assert (first.status_code, again.status_code) == (201, 409)
    assert len(_messages(app)) == 1 and len(smtp.messages) == 1


def test_a_used_reset_link_is_erased_from_the_development_outbox_too(app, client, tenant_a, tenant_b):
    """No mail server: the Outbox keeps a sent link so it can be clicked, until the token is spent."""
    import re

    from tests.conftest import csrf_from

    for fx in (tenant_a, tenant_b):
        client.post("/api/v1/users", headers=fx.headers(), json={"email": f"u@{fx.subdomain}.example", "name": "U"})
    (a_row,), (b_row,) = _messages(app, tenant_a.id), _messages(app, tenant_b.id)
    link = re.search(r"(/reset-password\?token=\S+)", a_row.rendered_body()).group(1)
    page = client.get(link, base_url=tenant_a.base_url)
    done = client.post(link, base_url=tenant_a.base_url, data={"password": "a-brand-new-password",
                                                               "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert done.status_code == 302
    (a_row,), (b_row,) = _messages(app, tenant_a.id), _messages(app, tenant_b.id)
    assert a_row.secret is None and "[link removed once sent]" in a_row.rendered_body()
    assert b_row.secret is not None  # the other resort's newcomer can still use theirs
