"""Platform operator API: tenants are created, listed, paused, resumed and re-planned."""
import pytest

from app.models import Role

OPERATOR = {"Authorization": "Bearer test-operator-token"}


def test_operator_creates_and_lists_tenants(client):
    r = client.post("/api/v1/platform/tenants", headers=OPERATOR,
                    json={"subdomain": "happy-paws", "name": "Happy Paws", "plan": "PRO", "timezone": "America/Denver"})
    assert r.status_code == 201, r.json
    assert r.json["plan"] == "PRO" and r.json["status"] == "ACTIVE" and r.json["timezone"] == "America/Denver"
    listed = client.get("/api/v1/platform/tenants", headers=OPERATOR).json
    assert [t["subdomain"] for t in listed] == ["happy-paws"]


@pytest.mark.parametrize("subdomain", ["www", "api", "admin", "Bad_Name", "-edge", "x" * 64])
def test_reserved_or_malformed_subdomains_are_refused(client, subdomain):
    r = client.post("/api/v1/platform/tenants", headers=OPERATOR, json={"subdomain": subdomain, "name": "X"})
    assert r.status_code == 422
    assert "subdomain" in r.json["errors"]


def test_unknown_timezone_is_refused_naming_the_field(client):
    r = client.post("/api/v1/platform/tenants", headers=OPERATOR,
                    json={"subdomain": "tz", "name": "TZ", "timezone": "Mars/Olympus"})
    assert r.status_code == 422
    assert "timezone" in r.json["errors"]


def test_a_taken_subdomain_is_409(client, tenant_a):
    r = client.post("/api/v1/platform/tenants", headers=OPERATOR, json={"subdomain": tenant_a.subdomain, "name": "X"})
    assert r.status_code == 409
    assert "subdomain" in r.json["errors"]


def test_operator_pauses_resumes_and_replans(client, tenant_a):
    path = f"/api/v1/platform/tenants/{tenant_a.subdomain}"
    assert client.patch(path, headers=OPERATOR, json={"status": "PAUSED"}).json["status"] == "PAUSED"
    assert client.patch(path, headers=OPERATOR, json={"status": "ACTIVE"}).json["status"] == "ACTIVE"
    assert client.patch(path, headers=OPERATOR, json={"plan": "ENTERPRISE"}).json["plan"] == "ENTERPRISE"


def test_the_operator_api_needs_the_operator_credential(client, tenant_a):
    assert client.get("/api/v1/platform/tenants").status_code == 401
    assert client.get("/api/v1/platform/tenants", headers={"Authorization": "Bearer wrong"}).status_code == 401
    # A tenant admin's key is not an operator credential.
    assert client.get("/api/v1/platform/tenants", headers=tenant_a.headers(Role.ADMIN)).status_code == 401


def test_unknown_fields_are_refused_not_dropped(client):
    r = client.post("/api/v1/platform/tenants", headers=OPERATOR, json={"subdomain": "ok", "name": "Ok", "colour": "red"})
    assert r.status_code == 422
    assert "colour" in r.json["errors"]


def test_pause_is_audited_in_the_tenants_trail(client, tenant_a):
    client.patch(f"/api/v1/platform/tenants/{tenant_a.subdomain}", headers=OPERATOR, json={"status": "PAUSED"})
    client.patch(f"/api/v1/platform/tenants/{tenant_a.subdomain}", headers=OPERATOR, json={"status": "ACTIVE"})
    events = client.get("/api/v1/audit-events?action=tenant.paused", headers=tenant_a.headers()).json
    assert len(events) == 1 and events[0]["actor_type"] == "operator"
