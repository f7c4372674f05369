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
