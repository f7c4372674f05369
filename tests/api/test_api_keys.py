"""API keys: tenant-bound, revocable, shown once, stored hashed."""
from app.core.extensions import db
from app.models import ApiKey, Role
from app.tenancy import unscoped


def test_a_request_without_a_key_is_401(client, tenant_a):
    r = client.get("/api/v1/me", headers={"X-Tenant": tenant_a.subdomain})
    assert r.status_code == 401 and r.json["code"] == 401


def test_a_key_works_only_on_its_own_tenant(client, tenant_a, tenant_b):
    ok = client.get("/api/v1/me", headers=tenant_a.headers(Role.STAFF))
    assert ok.status_code == 200 and ok.json["tenant"] == tenant_a.subdomain and ok.json["role"] == "STAFF"
    crossed = client.get("/api/v1/me", headers={"X-Tenant": tenant_b.subdomain,
                                                "Authorization": f"Bearer {tenant_a.keys[Role.ADMIN]}"})
    garbage = client.get("/api/v1/me", headers={"X-Tenant": tenant_b.subdomain,
                                                "Authorization": "Bearer tt_000000000000_nope"})
    assert crossed.status_code == garbage.status_code == 401
    assert crossed.json["message"] == garbage.json["message"]  # nothing reveals that the key exists elsewhere


def test_admin_creates_a_key_whose_secret_is_shown_once(client, tenant_a):
    r = client.post("/api/v1/api-keys", headers=tenant_a.headers(), json={"name": "Widget", "role": "STAFF"})
    assert r.status_code == 201
    secret = r.json["secret"]
    assert secret.startswith("tt_")
    listed = client.get("/api/v1/api-keys", headers=tenant_a.headers()).json
    assert all("secret" not in k for k in listed)
    assert client.get("/api/v1/me", headers={"X-Tenant": tenant_a.subdomain,
                                             "Authorization": f"Bearer {secret}"}).status_code == 200


def test_the_secret_is_stored_only_as_a_hash(app, client, tenant_a):
    secret = client.post("/api/v1/api-keys", headers=tenant_a.headers(), json={"name": "Hashed"}).json["secret"]
    with app.app_context(), unscoped():
        stored = db.session.execute(db.select(ApiKey.secret_hash, ApiKey.prefix)).all()
    assert all(secret not in (h, p) for h, p in stored)


def test_a_revoked_key_is_refused(client, tenant_a):
    key_id = tenant_a.key_ids[Role.STAFF]
    r = client.delete(f"/api/v1/api-keys/{key_id}", headers=tenant_a.headers())
    assert r.status_code == 200 and r.json["revoked_at"]
    assert client.get("/api/v1/me", headers=tenant_a.headers(Role.STAFF)).status_code == 401


def test_only_admins_manage_keys(client, tenant_a):
    assert client.get("/api/v1/api-keys", headers=tenant_a.headers(Role.MANAGER)).status_code == 403
    assert client.post("/api/v1/api-keys", headers=tenant_a.headers(Role.STAFF), json={"name": "x"}).status_code == 403


def test_last_used_is_recorded_without_a_write_per_request(client, tenant_a, count_queries):
    client.get("/api/v1/me", headers=tenant_a.headers())  # first use records last_used_at
    with count_queries() as counter:
        for _ in range(3):
            assert client.get("/api/v1/me", headers=tenant_a.headers()).status_code == 200
    assert not [s for s in counter.statements if s.lstrip().upper().startswith("UPDATE")]
    assert counter.count == 0  # the key and the tenant both come from the cache
    key = client.get(f"/api/v1/api-keys/{tenant_a.key_ids[Role.ADMIN]}", headers=tenant_a.headers()).json
    assert key["last_used_at"] is not None


def _warm(client, headers, count_queries) -> int:
    """Use a key until it is served from the cache; the SQL statements of the last use."""
    for _ in range(3):
        assert client.get("/api/v1/me", headers=headers).status_code == 200
    with count_queries() as counter:
        assert client.get("/api/v1/me", headers=headers).status_code == 200
    return counter.count


def test_a_revoked_key_is_refused_on_the_next_request_with_the_cache_warm(client, tenant_a, tenant_b, count_queries):
    staff = tenant_a.headers(Role.STAFF)
    assert _warm(client, staff, count_queries) == 0 and _warm(client, tenant_b.headers(Role.STAFF), count_queries) == 0
    r = client.delete(f"/api/v1/api-keys/{tenant_a.key_ids[Role.STAFF]}", headers=tenant_a.headers())
    assert r.status_code == 200
    assert client.get("/api/v1/me", headers=staff).status_code == 401
    assert client.get("/api/v1/me", headers=staff).status_code == 401  # and stays refused (not re-cached)
    # Only that key: the other tenant's keys and this tenant's other keys still pass.
    assert client.get("/api/v1/me", headers=tenant_b.headers(Role.STAFF)).status_code == 200
    assert client.get("/api/v1/me", headers=tenant_a.headers(Role.MANAGER)).status_code == 200


def test_a_warm_key_is_still_refused_on_another_tenants_host(client, tenant_a, tenant_b, count_queries):
    assert _warm(client, tenant_a.headers(Role.ADMIN), count_queries) == 0
    crossed = {"X-Tenant": tenant_b.subdomain, "Authorization": f"Bearer {tenant_a.keys[Role.ADMIN]}"}
    r = client.get("/api/v1/me", headers=crossed)
    assert r.status_code == 401 and r.json["message"] == "Invalid or revoked API key."
    assert client.get("/api/v1/customers", headers=crossed).status_code == 401


def test_the_cached_key_carries_its_role(client, tenant_a, count_queries):
    staff = tenant_a.headers(Role.STAFF)
    assert _warm(client, staff, count_queries) == 0
    assert client.get("/api/v1/me", headers=staff).json["role"] == "STAFF"
    assert client.get("/api/v1/api-keys", headers=staff).status_code == 403  # warm, still only STAFF


def test_a_401_carries_a_bearer_challenge(client, tenant_a, tenant_b):
    missing = client.get("/api/v1/customers", headers={"X-Tenant": tenant_a.subdomain})
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"] == 'Bearer realm="tailtown"'
    crossed = client.get("/api/v1/customers", headers={**tenant_a.headers(), "X-Tenant": tenant_b.subdomain})
    assert crossed.status_code == 401
    assert crossed.headers["WWW-Authenticate"] == 'Bearer realm="tailtown", error="invalid_token"'
    operator = client.get("/api/v1/platform/tenants", headers={"Authorization": "Bearer wrong"})
    assert operator.headers["WWW-Authenticate"] == 'Bearer realm="tailtown-operator", error="invalid_token"'
