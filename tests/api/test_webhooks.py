"""Webhooks: events written with the change, signed, delivered once through the outbox, retried, never across tenants."""
import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select, text, update

from app.core.extensions import db
from app.core.rls import OWNER
from app.models import Customer, OutboxMessage, Role, WebhookEndpoint
from app.models.base import utcnow
from app.models.mail import Channel
from app.services import audit, outbox
from app.tenancy import tenant_context, unscoped


class Receiver:
    """An integration's webhook receiver on loopback: records each request, answers from `statuses`."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict, str]] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                receiver.requests.append((self.path, dict(self.headers), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                if status in (301, 302, 307):
                    self.send_header("Location", f"http://127.0.0.1:{receiver.port}/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self) -> list[dict]:
        return [json.loads(body) for _, _, body in self.requests]


@pytest.fixture
def receivers():
    made = [Receiver(), Receiver()]
    yield made
    for r in made:
        r.server.shutdown()
        r.server.server_close()


def _endpoint(client, fx, url, events=("customer.created", "customer.updated")) -> dict:
    r = client.post("/api/v1/webhook-endpoints", headers=fx.headers(Role.ADMIN),
                    json={"url": url, "event_types": list(events)})
    assert r.status_code == 201, r.json
    return r.json


def _customer(client, fx, **body):
    r = client.post("/api/v1/customers", headers=fx.headers(Role.STAFF),
                    json={"first_name": "Ann", "last_name": "Smith", **body})
    assert r.status_code == 201, r.json
    return r


def _verify(secret: str, headers: dict, body: str) -> bool:
    """What an integrator runs (docs/webhooks.md): recompute the HMAC over "<t>.<body>"."""
    parts = dict(p.split("=", 1) for p in headers["Tailtown-Signature"].split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.{body}".encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


def _retry_due(app) -> None:
    """Make every waiting delivery due and run the sweep (what the scheduler does every minute)."""
    with app.app_context():
        with db.engine.execution_options(**{OWNER: True}).begin() as conn:
            conn.execute(update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        outbox.sweep()


def _webhook_rows(app, fx) -> list[OutboxMessage]:
    with app.app_context(), unscoped():
        return list(db.session.execute(select(OutboxMessage).where(OutboxMessage.tenant_id == fx.id,
                                                                   OutboxMessage.channel == Channel.WEBHOOK)).scalars())


def test_each_event_reaches_only_its_tenants_endpoint_once_and_signed(app, client, tenant_a, tenant_b, receivers):
    ra, rb = receivers
    a = _endpoint(client, tenant_a, ra.url)
    _endpoint(client, tenant_b, rb.url, events=("*",))
    created = _customer(client, tenant_a, email="ann@example.com")
    assert len(ra.requests) == 1 and rb.requests == []
    path, headers, body = ra.requests[0]
    assert _verify(a["secret"], headers, body)
    event = json.loads(body)
    assert event["type"] == "customer.created" and event["tenant"] == tenant_a.subdomain
    assert event["data"]["id"] == created.json["id"] and event["data"]["first_name"] == "Ann"
    assert "tenant_id" not in event["data"] and headers["Tailtown-Event-Id"] == event["id"]
    # An edit is another event; tenant B's own change goes to B's endpoint only.
    r = client.patch(f"/api/v1/customers/{created.json['id']}", headers={**tenant_a.headers(),
                     "If-Match": created.headers["ETag"]}, json={"notes": "Prefers mornings"})
    assert r.status_code == 200, r.json
    _customer(client, tenant_b)
    assert [e["type"] for e in ra.events()] == ["customer.created", "customer.updated"]
    assert [e["type"] for e in rb.events()] == ["customer.created"] and rb.events()[0]["tenant"] == tenant_b.subdomain
    _retry_due(app)
    assert len(ra.requests) == 2 and len(rb.requests) == 1  # delivered: the sweep sends nothing again


def test_a_receiver_that_is_down_gets_the_event_again_when_it_is_back(app, client, tenant_a, receivers):
    ra = receivers[0]
    endpoint = _endpoint(client, tenant_a, ra.url)
    ra.statuses = [500, 503]
    _customer(client, tenant_a)
    _retry_due(app)
    assert len(ra.requests) == 2
    _retry_due(app)  # back up: 200
    _retry_due(app)  # delivered once: nothing more
    ids = [e["id"] for e in ra.events()]
    assert len(ids) == 3 and len(set(ids)) == 1
    log = client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries", headers=tenant_a.headers()).json
    assert [x["status_code"] for x in log[0]["attempt_log"]] == [500, 503, 200] and log[0]["state"] == "SENT"
    assert client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}", headers=tenant_a.headers()
                      ).json["consecutive_failures"] == 0
    # Manual redelivery sends the same event again.
    again = client.post(f"/api/v1/webhook-deliveries/{log[0]['id']}/redeliver", headers=tenant_a.headers())
    assert again.status_code == 202, again.json
    assert len(ra.requests) == 4 and ra.events()[-1]["id"] == ids[0]


def test_a_change_that_rolls_back_sends_nothing(app, client, tenant_a, receivers):
    ra = receivers[0]
    _endpoint(client, tenant_a, ra.url)
    _customer(client, tenant_a, email="ann@example.com")
    taken = client.post("/api/v1/customers", headers=tenant_a.headers(),
                        json={"first_name": "Other", "last_name": "Ann", "email": "ann@example.com"})
    assert taken.status_code == 409
    with app.app_context():
        from app.models import Tenant

        with unscoped():
            tenant = db.session.get(Tenant, tenant_a.id)
        with tenant_context(tenant):
            customer = db.session.execute(select(Customer)).scalars().first()
            audit.record("customer.updated", "customer", customer.id, changes={"notes": {"old": "", "new": "x"}})
            db.session.rollback()
            db.session.commit()
    _retry_due(app)
    assert [e["type"] for e in ra.events()] == ["customer.created"] and len(_webhook_rows(app, tenant_a)) == 1


def test_a_redirect_is_recorded_as_a_failure_and_never_followed(app, client, tenant_a, receivers):
    ra = receivers[0]
    endpoint = _endpoint(client, tenant_a, ra.url)
    ra.statuses = [302]
    _customer(client, tenant_a)
    assert [p for p, _, _ in ra.requests] == ["/hooks"]  # never /elsewhere
    log = client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries", headers=tenant_a.headers()).json
    assert log[0]["attempt_log"][0]["status_code"] == 302 and log[0]["state"] == "PENDING"


def test_private_addresses_and_plain_http_are_refused_when_not_allowed(app, client, tenant_a, receivers):
    ra = receivers[0]
    endpoint = _endpoint(client, tenant_a, ra.url)
    app.config["WEBHOOKS_ALLOW_PRIVATE"] = False
    try:
        refused = client.post("/api/v1/webhook-endpoints", headers=tenant_a.headers(),
                              json={"url": "http://example.com/hook", "event_types": ["*"]})
        assert refused.status_code == 422 and "url" in refused.json["errors"]
        _customer(client, tenant_a)
    finally:
        app.config["WEBHOOKS_ALLOW_PRIVATE"] = True
    assert ra.requests == []
    log = client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries", headers=tenant_a.headers()).json
    assert "non-public address" in log[0]["attempt_log"][0]["error"]


def test_an_endpoint_that_keeps_failing_is_switched_off_and_back_on_resets_it(app, client, tenant_a, receivers):
    ra = receivers[0]
    endpoint = _endpoint(client, tenant_a, ra.url)
    app.config["WEBHOOK_DISABLE_AFTER"] = 2
    try:
        ra.statuses = [500] * 5
        _customer(client, tenant_a)
        _retry_due(app)
        _retry_due(app)
    finally:
        app.config["WEBHOOK_DISABLE_AFTER"] = 10
    assert len(ra.requests) == 2  # off after two: the third try is refused before any request
    shown = client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}", headers=tenant_a.headers())
    assert shown.json["active"] is False and "2 failed deliveries" in shown.json["disabled_reason"]
    on = client.patch(f"/api/v1/webhook-endpoints/{endpoint['id']}",
                      headers={**tenant_a.headers(), "If-Match": shown.headers["ETag"]}, json={"active": True})
    assert on.status_code == 200 and on.json["consecutive_failures"] == 0 and on.json["disabled_reason"] is None


def test_the_secret_is_shown_once_and_rotation_signs_with_the_new_one(app, client, tenant_a, receivers):
    ra = receivers[0]
    created = _endpoint(client, tenant_a, ra.url)
    assert created["secret"].startswith("whsec_")
    shown = client.get(f"/api/v1/webhook-endpoints/{created['id']}", headers=tenant_a.headers()).json
    listed = client.get("/api/v1/webhook-endpoints", headers=tenant_a.headers()).json
    assert "secret" not in shown and all("secret" not in e for e in listed)
    rotated = client.post(f"/api/v1/webhook-endpoints/{created['id']}/rotate-secret", headers=tenant_a.headers()).json
    assert rotated["secret"] != created["secret"]
    ping = client.post(f"/api/v1/webhook-endpoints/{created['id']}/ping", headers=tenant_a.headers())
    assert ping.status_code == 202 and ra.events()[-1]["type"] == "webhook.ping"
    _, headers, body = ra.requests[-1]
    assert _verify(rotated["secret"], headers, body) and not _verify(created["secret"], headers, body)
    with app.app_context(), unscoped():  # the replay store never keeps a secret
        stored = db.session.execute(text("SELECT response_body FROM idempotency_keys")).scalars().all()
    assert not any(created["secret"] in (b or "") for b in stored)


def test_another_tenant_cannot_see_change_or_redeliver_an_endpoint(app, client, tenant_a, tenant_b, receivers):
    ra = receivers[0]
    endpoint = _endpoint(client, tenant_a, ra.url)
    _customer(client, tenant_a)
    delivery = client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries", headers=tenant_a.headers()).json[0]
    b = tenant_b.headers(Role.ADMIN)
    base = f"/api/v1/webhook-endpoints/{endpoint['id']}"
    assert client.get(base, headers=b).status_code == 404
    assert client.patch(base, headers={**b, "If-Match": f'"{endpoint["id"]}-1"'}, json={"active": False}).status_code == 404
    assert client.delete(base, headers={**b, "If-Match": f'"{endpoint["id"]}-1"'}).status_code == 404
    assert client.get(f"{base}/deliveries", headers=b).status_code == 404
    assert client.post(f"{base}/rotate-secret", headers=b).status_code == 404
    assert client.post(f"{base}/ping", headers=b).status_code == 404
    assert client.post(f"/api/v1/webhook-deliveries/{delivery['id']}/redeliver", headers=b).status_code == 404
    assert client.get("/api/v1/webhook-endpoints", headers=b).json == []
    assert len(ra.requests) == 1
    # Staff and managers of A cannot manage them either.
    assert client.get("/api/v1/webhook-endpoints", headers=tenant_a.headers(Role.MANAGER)).status_code == 403


@pytest.mark.postgres
def test_the_database_keeps_endpoints_to_their_tenant_even_for_raw_sql(app, client, tenant_a, tenant_b, receivers):
    _endpoint(client, tenant_a, receivers[0].url)
    with app.app_context():
        from app.models import Tenant

        with unscoped():
            b = db.session.get(Tenant, tenant_b.id)
        with tenant_context(b):
            conn = db.session.connection()
            assert conn.exec_driver_sql("SELECT count(*) FROM webhook_endpoints").scalar_one() == 0
            assert conn.exec_driver_sql("UPDATE webhook_endpoints SET active = false").rowcount == 0
        db.session.rollback()
    with app.app_context(), unscoped():
        assert db.session.execute(select(WebhookEndpoint.active)).scalar_one() is True
