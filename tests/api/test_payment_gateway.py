"""Card payments through an external gateway: fake gateways on loopback that hang, fail or approve.
A failed or timed-out call is a 502 with nothing recorded; a gateway that keeps failing is skipped at once."""
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app.models import LedgerEntry, Payment, Role
from tests.api.test_billing import _count, _invoice, _stay


class _Handler(BaseHTTPRequestHandler):
    mode = "approve"

    def do_POST(self):  # noqa: N802 (http.server's name)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.server.mode == "hang":
            time.sleep(3)  # well past the client's timeout
            return
        if self.server.mode == "error":
            self.send_response(500)
            self.end_headers()
            return
        body = json.dumps({"approved": self.server.mode == "approve", "id": "ch_123"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(app, monkeypatch):
    """A fake gateway on a free loopback port; set .mode to approve, decline, error or hang."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.mode = "approve"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setitem(app.config, "PAYMENT_GATEWAY_URL", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setitem(app.config, "PAYMENT_GATEWAY_TIMEOUT", 0.5)
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def card_invoice(client, tenant_a, tenant_b, gateway):
    stay = _stay(client, tenant_a)
    _stay(client, tenant_b)
    r = client.patch("/api/v1/billing-settings", headers=tenant_a.headers(), json={"card_gateway": "HTTP"})
    assert r.status_code == 200
    return _invoice(client, tenant_a, stay)


def _pay(client, fx, invoice, key=None):
    headers = fx.headers(Role.STAFF, **({"Idempotency-Key": key} if key else {}))
    return client.post("/api/v1/payments", headers=headers,
                       json={"invoice_id": invoice["id"], "amount_cents": 5000, "method": "CARD"})


def _nothing_recorded(client, fx, invoice):
    assert _count(client.application, fx, Payment) == 0
    assert _count(client.application, fx, LedgerEntry) == 1  # only the invoice's own row
    assert client.get(f"/api/v1/invoices/{invoice['id']}", headers=fx.headers()).json["paid_cents"] == 0


def test_an_approved_charge_is_recorded_with_the_gateways_reference(client, tenant_a, card_invoice):
    r = _pay(client, tenant_a, card_invoice)
    assert r.status_code == 201 and (r.json["gateway"], r.json["gateway_reference"]) == ("HTTP", "ch_123")


def test_a_hanging_gateway_is_a_502_after_the_timeout_and_nothing_is_recorded(client, tenant_a, gateway, card_invoice):
    gateway.mode = "hang"
    started = time.monotonic()
    r = _pay(client, tenant_a, card_invoice, key="card-1")
    assert r.status_code == 502 and "did not answer" in r.json["message"]
    assert time.monotonic() - started < 2.5
    _nothing_recorded(client, tenant_a, card_invoice)
    gateway.mode = "approve"  # the same key may be retried: the failure took nothing
    assert _pay(client, tenant_a, card_invoice, key="card-1").status_code == 201


def test_an_erroring_gateway_is_a_502_and_nothing_is_recorded(client, tenant_a, gateway, card_invoice):
    gateway.mode = "error"
    r = _pay(client, tenant_a, card_invoice)
    assert r.status_code == 502 and "failed" in r.json["message"]
    _nothing_recorded(client, tenant_a, card_invoice)


def test_a_declined_card_is_a_422_naming_the_method(client, tenant_a, gateway, card_invoice):
    gateway.mode = "decline"
    r = _pay(client, tenant_a, card_invoice)
    assert r.status_code == 422 and "method" in r.json["errors"]
    _nothing_recorded(client, tenant_a, card_invoice)


def test_a_gateway_that_keeps_failing_is_skipped_at_once(client, tenant_a, gateway, card_invoice):
    gateway.mode = "error"
    for _ in range(3):
        assert _pay(client, tenant_a, card_invoice).status_code == 502
    gateway.mode = "hang"
    started = time.monotonic()
    r = _pay(client, tenant_a, card_invoice)
    assert r.status_code == 502 and "skipped" in r.json["message"]
    assert time.monotonic() - started < 0.4  # the breaker answered; the hanging gateway was not called
    _nothing_recorded(client, tenant_a, card_invoice)


def test_a_refused_connection_is_a_502(client, tenant_a, app, monkeypatch, card_invoice):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    monkeypatch.setitem(app.config, "PAYMENT_GATEWAY_URL", f"http://127.0.0.1:{port}")
    assert _pay(client, tenant_a, card_invoice).status_code == 502
    _nothing_recorded(client, tenant_a, card_invoice)
