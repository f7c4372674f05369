"""Reset and invitation mail: queued in the outbox, delivered over real SMTP when configured."""
import socket

import pytest
from aiosmtpd.controller import Controller

from app.core.extensions import db
from app.models import OutboundEmail, Role
from app.tenancy import unscoped


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode()))
        return "250 OK"


@pytest.fixture
def smtp(app):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    yield inbox
    app.config.update(SMTP_HOST=None)
    controller.stop()


def test_an_invitation_is_delivered_with_a_link_to_the_tenants_own_host(app, client, tenant_a, smtp):
    r = client.post("/api/v1/users", headers=tenant_a.headers(), json={"email": "new@alpha.example", "name": "New"})
    assert r.status_code == 201
    (recipients, content), = smtp.messages
    assert recipients == ["new@alpha.example"]
    assert "Subject: Set your Tailtown password" in content
    assert f"http://{tenant_a.subdomain}.localhost/reset-password?token=" in content
    with app.app_context(), unscoped():
        sent = db.session.execute(db.select(OutboundEmail.sent_at)).scalars().all()
    assert len(sent) == 1 and sent[0] is not None


def test_without_smtp_the_mail_stays_queued(app, client, tenant_a):
    client.post("/api/v1/users", headers=tenant_a.headers(), json={"email": "q@alpha.example", "name": "Q"})
    with app.app_context(), unscoped():
        queued = db.session.execute(db.select(OutboundEmail)).scalars().all()
    assert len(queued) == 1 and queued[0].sent_at is None and queued[0].tenant_id == tenant_a.id


def test_a_dead_smtp_server_does_not_fail_the_request(app, client, tenant_a):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=1)
    try:
        r = client.post("/api/v1/users", headers=tenant_a.headers(), json={"email": "d@alpha.example", "name": "D"})
    finally:
        app.config.update(SMTP_HOST=None)
    assert r.status_code == 201
    assert client.get("/api/v1/users", headers=tenant_a.headers(Role.ADMIN)).status_code == 200


def test_no_token_stays_in_the_outbox_once_the_mail_is_sent(app, client, tenant_a, tenant_b, smtp):
    from tests.conftest import csrf_from

    r = client.post("/api/v1/users", headers=tenant_a.headers(), json={"email": "t@alpha.example", "name": "T"})
    assert r.status_code == 201
    client.post("/api/v1/users", headers=tenant_b.headers(), json={"email": "t@bravo.example", "name": "T"})
    (_, content), _ = smtp.messages
    import email

    text = email.message_from_string(content).get_payload(decode=True).decode()
    token = text.split("reset-password?token=")[1].split()[0]
    with app.app_context(), unscoped():
        rows = db.session.execute(db.select(OutboundEmail).where(OutboundEmail.tenant_id == tenant_a.id)).scalars().all()
        (row,) = rows
        assert row.sent_at is not None and row.secret is None
        assert token not in row.body and "[link removed once sent]" in row.rendered_body()
    # The token still works from the mailbox: only the database copy is gone.
    link = f"/reset-password?token={token}"
    page = client.get(link, base_url=tenant_a.base_url)
    done = client.post(link, base_url=tenant_a.base_url, data={"password": "a-brand-new-password",
                                                               "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert done.status_code == 302


def test_a_queued_mail_keeps_its_token_apart_from_the_body_until_sent(app, client, tenant_a):
    client.post("/api/v1/users", headers=tenant_a.headers(), json={"email": "w@alpha.example", "name": "W"})
    with app.app_context(), unscoped():
        (row,) = db.session.execute(db.select(OutboundEmail)).scalars().all()
        assert row.secret and row.secret not in row.body
        assert f"token={row.secret}" in row.rendered_body()
