"""GET /api/v1/outbox-messages: the tenant's messages and delivery state, admins only, never another tenant's."""
from app.models import Role


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
