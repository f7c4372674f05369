"""The tenant's own settings and the authenticated principal."""
from app.models import Role


def test_me_describes_the_key(client, tenant_a):
    me = client.get("/api/v1/me", headers=tenant_a.headers(Role.MANAGER)).json
    assert me == {"kind": "api_key", "id": str(tenant_a.key_ids[Role.MANAGER]), "name": "MANAGER key",
                  "role": "MANAGER", "tenant": tenant_a.subdomain, "scopes": ["*"], "expires_at": None,
                  "rate_limit": "500 per 15 minutes"}


def test_settings_are_readable_by_staff_and_editable_by_admins(client, tenant_a, tenant_b):
    read = client.get("/api/v1/tenant", headers=tenant_a.headers(Role.STAFF))
    assert read.status_code == 200 and read.json["subdomain"] == tenant_a.subdomain
    etag = read.headers["ETag"]
    denied = client.patch("/api/v1/tenant", headers=tenant_a.headers(Role.MANAGER, **{"If-Match": etag}),
                          json={"tax_rate": "0.0825"})
    assert denied.status_code == 403
    ok = client.patch("/api/v1/tenant", headers=tenant_a.headers(**{"If-Match": etag}),
                      json={"tax_rate": "0.0825", "timezone": "America/Denver", "phone": "+1 303 555 0100"})
    assert ok.status_code == 200, ok.json
    assert ok.json["tax_rate"] == "0.0825" and ok.json["timezone"] == "America/Denver"
    assert client.get("/api/v1/tenant", headers=tenant_b.headers()).json["tax_rate"] == "0.0000"


def test_bad_settings_name_the_field(client, tenant_a):
    etag = client.get("/api/v1/tenant", headers=tenant_a.headers()).headers["ETag"]
    r = client.patch("/api/v1/tenant", headers=tenant_a.headers(**{"If-Match": etag}),
                     json={"timezone": "Mars/Olympus", "tax_rate": "1.5", "vaccine_warning_days": -1})
    assert r.status_code == 422
    assert {"timezone", "tax_rate", "vaccine_warning_days"} <= set(r.json["errors"])


def test_settings_changes_are_audited_with_contact_details_masked(client, tenant_a):
    etag = client.get("/api/v1/tenant", headers=tenant_a.headers()).headers["ETag"]
    client.patch("/api/v1/tenant", headers=tenant_a.headers(**{"If-Match": etag}),
                 json={"phone": "+1 303 555 0100", "name": "Alpha Resort"})
    event = client.get("/api/v1/audit-events?action=tenant.settings_changed", headers=tenant_a.headers()).json[0]
    assert event["changes"]["phone"]["new"] == "***"
    assert event["changes"]["name"] == {"old": "Alpha Paws", "new": "Alpha Resort"}


def test_a_name_change_reaches_the_cached_tenant_at_once(client, tenant_a):
    client.get("/login", base_url=tenant_a.base_url)  # warm the tenant cache
    etag = client.get("/api/v1/tenant", headers=tenant_a.headers()).headers["ETag"]
    client.patch("/api/v1/tenant", headers=tenant_a.headers(**{"If-Match": etag}), json={"name": "Renamed Resort"})
    assert "Renamed Resort" in client.get("/login", base_url=tenant_a.base_url).get_data(as_text=True)
