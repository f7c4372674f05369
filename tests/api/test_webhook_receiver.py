"""Issue 12's acceptance: a receiver on loopback gets each event exactly once, verifies its signature with the
snippet of docs/webhooks.md (run as written), and gets it again after coming back from being down.

Everything goes the real way: API request -> service -> audit -> outbox message in the same transaction ->
delivery job -> HTTP POST to a real server thread on 127.0.0.1; retries are the outbox's sweep.
"""
import json
import re
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from app.models import Role
from tests.api.test_webhooks import _retry_due

DOCS = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"
# Every event type the issue names, as the app emits it for one stay's life and its money.
EXPECTED = {"customer.created", "customer.updated", "pet.created", "pet.updated", "vaccination.created",
            "vaccination.updated", "reservation.created", "reservation.updated", "reservation.confirmed",
            "reservation.checked_in", "reservation.checked_out", "reservation.cancelled", "invoice.created",
            "invoice.issued", "payment.recorded", "refund.recorded"}


def docs_verify():
    """The `verify` function of docs/webhooks.md, executed exactly as an integrator would paste it."""
    text = DOCS.read_text()
    section = text.split("## Verifying a delivery (Python)", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict = {}
    exec(compile(code, str(DOCS), "exec"), namespace)  # noqa: S102 - our own documentation
    return namespace["verify"]


class Receiver:
    """An integration's receiver: checks each delivery's signature as the docs say, answers 200 (401 if it fails).

    `stop()` closes the socket (the next delivery is refused at connect); `start()` listens on the same port again.
    """

    def __init__(self) -> None:
        self.verify = docs_verify()
        self.secret = ""
        self.received: list[dict] = []  # {"event", "verified", "headers"}
        self.port = 0
        self.start()

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                verified = receiver.verify(receiver.secret, self.headers["Tailtown-Signature"], raw)
                receiver.received.append({"event": json.loads(raw), "verified": verified,
                                          "headers": dict(self.headers)})
                self.send_response(200 if verified else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def ids(self) -> list[str]:
        return [r["event"]["id"] for r in self.received]

    def types(self) -> list[str]:
        return [r["event"]["type"] for r in self.received]


@pytest.fixture
def receivers():
    made = [Receiver(), Receiver()]
    yield made
    for r in made:
        r.stop()


def _ok(r, status=201):
    assert r.status_code == status, r.json
    return r.json


def _subscribe(client, fx, receiver) -> dict:
    endpoint = _ok(client.post("/api/v1/webhook-endpoints", headers=fx.headers(),
                               json={"url": receiver.url, "event_types": ["*"]}))
    receiver.secret = endpoint["secret"]
    return endpoint


def _day(offset: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=offset)).isoformat()


def _a_stays_whole_life(client, fx) -> dict:
    """A household, a pet with its shots, a stay booked, edited, confirmed, checked in and out and paid (part
    refunded), and a second stay cancelled: every change through the API, as an integration would cause it."""
    m = fx.headers(Role.MANAGER)
    service = _ok(client.post("/api/v1/services", headers=m, json={
        "name": "Boarding", "category": "BOARDING", "price_cents": 5000, "price_unit": "PER_NIGHT"}))
    kennel = _ok(client.post("/api/v1/kennels", headers=m, json={"code": "A01", "type": "RUN", "size": "L"}))
    created = client.post("/api/v1/customers", headers=m, json={"first_name": "Ann", "last_name": "Smith"})
    customer = _ok(created)
    _ok(client.patch(f"/api/v1/customers/{customer['id']}", headers={**m, "If-Match": created.headers["ETag"]},
                     json={"notes": "Prefers mornings"}), 200)
    pet_made = client.post(f"/api/v1/customers/{customer['id']}/pets", headers=m, json={"name": "Rex", "species": "DOG"})
    pet = _ok(pet_made)
    _ok(client.patch(f"/api/v1/pets/{pet['id']}", headers={**m, "If-Match": pet_made.headers["ETag"]},
                     json={"feeding_instructions": "Twice a day"}), 200)
    shots = [_ok(client.post(f"/api/v1/pets/{pet['id']}/vaccinations", headers=m,
                             json={"vaccine": v, "given_on": _day(-30), "expires_on": _day(700)}))
             for v in ("Rabies", "DHPP", "Bordetella")]
    _ok(client.patch(f"/api/v1/pets/{pet['id']}/vaccinations/{shots[0]['id']}", headers=m,
                     json={"expires_on": _day(800)}), 200)
    body = {"customer_id": customer["id"], "service_id": service["id"], "pets": [{"pet_id": pet["id"],
                                                                                 "kennel_id": kennel["id"]}]}
    stay = _ok(client.post("/api/v1/reservations", headers=m, json={**body, "start_date": _day(0), "end_date": _day(2)}))
    path = f"/api/v1/reservations/{stay['id']}"
    _ok(client.patch(path, headers={**m, "If-Match": client.get(path, headers=m).headers["ETag"]},
                     json={"notes": "Own blanket"}), 200)
    for action in ("confirm", "check-in", "check-out"):
        _ok(client.post(f"{path}/{action}", headers=m, json={}), 200)
    invoice = client.get(f"/api/v1/invoices?reservation_id={stay['id']}", headers=m).json[0]
    payment = _ok(client.post("/api/v1/payments", headers=m, json={"invoice_id": invoice["id"],
                                                                   "amount_cents": invoice["balance_cents"],
                                                                   "method": "CASH"}))
    _ok(client.post(f"/api/v1/payments/{payment['id']}/refunds", headers=m,
                    json={"amount_cents": 500, "reason": "Goodwill"}))
    later = _ok(client.post("/api/v1/reservations", headers=m, json={**body, "start_date": _day(20),
                                                                      "end_date": _day(22)}))
    _ok(client.post(f"/api/v1/reservations/{later['id']}/cancel", headers=m, json={"reason": "Plans changed"}), 200)
    return {"customer": customer, "pet": pet, "stay": stay, "later": later, "invoice": invoice, "payment": payment}


def test_every_event_reaches_its_tenants_receiver_exactly_once_and_verified(app, client, tenant_a, tenant_b,
                                                                              receivers):
    ra, rb = receivers
    _subscribe(client, tenant_a, ra)
    _subscribe(client, tenant_b, rb)
    a = _a_stays_whole_life(client, tenant_a)
    _retry_due(app)  # a sweep finds nothing left to send
    missing = EXPECTED - set(ra.types())
    assert not missing, f"never delivered: {sorted(missing)}"
    assert len(ra.ids()) == len(set(ra.ids())), "an event was delivered twice"
    assert all(r["verified"] for r in ra.received), [r["event"]["type"] for r in ra.received if not r["verified"]]
    assert all(r["event"]["tenant"] == tenant_a.subdomain for r in ra.received)
    assert all(r["headers"]["Tailtown-Event-Id"] == r["event"]["id"] for r in ra.received)
    assert rb.received == []  # nothing of A's at B's receiver
    # Each event names the row it is about, as committed.
    by_type = {r["event"]["type"]: r["event"]["data"] for r in ra.received}
    assert by_type["reservation.checked_out"]["id"] == a["stay"]["id"]
    assert by_type["reservation.checked_out"]["status"] == "CHECKED_OUT"
    assert by_type["reservation.cancelled"]["id"] == a["later"]["id"]
    assert by_type["payment.recorded"]["id"] == a["payment"]["id"]
    assert by_type["pet.updated"]["changes"]["feeding_instructions"]["new"] == "Twice a day"
    # B's own stay goes to B's receiver only, signed with B's secret.
    _a_stays_whole_life(client, tenant_b)
    assert set(rb.types()) >= EXPECTED and all(r["verified"] for r in rb.received)
    assert len(rb.ids()) == len(set(rb.ids())) and not set(rb.ids()) & set(ra.ids())
    assert all(r["event"]["tenant"] == tenant_b.subdomain for r in rb.received)


def test_a_receiver_that_was_down_gets_the_event_once_it_is_back(app, client, tenant_a, tenant_b, receivers):
    ra, rb = receivers
    endpoint = _subscribe(client, tenant_a, ra)
    _subscribe(client, tenant_b, rb)
    created = client.post("/api/v1/customers", headers=tenant_a.headers(), json={"first_name": "Ann", "last_name": "Lee"})
    assert ra.types() == ["customer.created"]
    ra.stop()  # down: the port refuses connections
    _ok(client.patch(f"/api/v1/customers/{created.json['id']}",
                     headers=tenant_a.headers(**{"If-Match": created.headers["ETag"]}), json={"notes": "VIP"}), 200)
    _retry_due(app)  # a retry while still down fails too
    log = client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries", headers=tenant_a.headers()).json
    down = log[0]
    assert down["event_type"] == "customer.updated" and down["state"] == "PENDING"
    assert len(down["attempt_log"]) == 2
    assert all(a["status_code"] is None and "refused" in a["error"].lower() for a in down["attempt_log"])
    ra.start()  # back up, same address
    _retry_due(app)
    _retry_due(app)  # delivered: never again
    assert ra.types() == ["customer.created", "customer.updated"]
    assert ra.received[-1]["event"]["id"] == down["event"]["id"] and ra.received[-1]["verified"]
    after = client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries", headers=tenant_a.headers()).json[0]
    assert after["state"] == "SENT" and [a["status_code"] for a in after["attempt_log"]] == [None, None, 200]
    assert client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}", headers=tenant_a.headers()
                      ).json["consecutive_failures"] == 0
    assert rb.received == []


def test_changes_committed_one_after_another_in_one_session_are_each_sent_once(app, client, tenant_a, receivers):
    """A worker, the CLI or a seeder makes several changes in one session: each commit sends only its own events."""
    from app.services import customers
    from tests.services.test_booking import as_tenant

    ra = receivers[0]
    _subscribe(client, tenant_a, ra)
    with as_tenant(app, tenant_a):
        first = customers.create_customer(first_name="Ann", last_name="One").id
        second = customers.create_customer(first_name="Bob", last_name="Two").id
        customers.update_customer(customer_id=first, notes="Called back")
    _retry_due(app)
    assert ra.types() == ["customer.created", "customer.created", "customer.updated"]
    assert [r["event"]["data"]["id"] for r in ra.received] == [str(first), str(second), str(first)]
    assert len(set(ra.ids())) == 3 and all(r["verified"] for r in ra.received)


def test_the_docs_list_exactly_the_event_types_an_endpoint_can_subscribe_to():
    from app.services.webhooks import EVENT_TYPES

    section = DOCS.read_text().split("## Events", 1)[1].split("\n## ", 1)[0]
    documented = set()
    for group in re.findall(r"`([a-z_]+)\.([a-z_|]+)`", section):
        documented |= {f"{group[0]}.{name}" for name in group[1].split("|")}
    assert documented == set(EVENT_TYPES)
