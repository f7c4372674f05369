"""Per-tenant API rate limits by plan: one tenant's burst never touches another's."""
from app.models import Plan
from tests.conftest import make_tenant

OPERATOR = {"Authorization": "Bearer test-operator-token"}


def _burn(client, fx, n):
    return [client.get("/api/v1/me", headers=fx.headers()).status_code for _ in range(n)]


def test_a_free_tenant_gets_429_on_request_101_with_the_documented_body(app, client, tenant_b):
    free = make_tenant(app, "free-paws", plan=Plan.FREE)
    assert set(_burn(client, free, 100)) == {200}
    r = client.get("/api/v1/me", headers=free.headers(**{"X-Request-ID": "limit-1"}))
    assert r.status_code == 429
    body = r.json
    assert body["code"] == 429 and body["status"] == "Too Many Requests"
    assert body["tenant"] == "free-paws" and body["request_id"] == "limit-1"
    assert 0 < body["retry_after"] <= 15 * 60 and "100 per 15 minute" in body["message"]
    assert abs(int(r.headers["Retry-After"]) - body["retry_after"]) <= 1  # computed a moment apart
    assert r.headers["X-RateLimit-Limit"] == "100" and r.headers["X-RateLimit-Remaining"] == "0"
    # Tenant B is untouched by A's exhaustion.
    assert client.get("/api/v1/me", headers=tenant_b.headers()).status_code == 200


def test_the_limit_follows_the_plan_at_once(app, client):
    free = make_tenant(app, "upgrading", plan=Plan.FREE)
    _burn(client, free, 100)
    assert client.get("/api/v1/me", headers=free.headers()).status_code == 429
    client.patch(f"/api/v1/platform/tenants/{free.subdomain}", headers=OPERATOR, json={"plan": "PRO"})
    r = client.get("/api/v1/me", headers=free.headers())
    assert r.status_code == 200 and r.headers["X-RateLimit-Limit"] == "1000"


def test_the_web_pages_have_their_own_budget(app, client):
    free = make_tenant(app, "web-and-api", plan=Plan.FREE)
    _burn(client, free, 100)
    assert client.get("/api/v1/me", headers=free.headers()).status_code == 429
    assert client.get("/login", base_url=free.base_url).status_code == 200


def test_limits_are_counted_per_tenant_not_per_key(app, client):
    from app.models import Role

    free = make_tenant(app, "many-keys", plan=Plan.FREE)
    for i in range(100):
        role = list(Role)[i % 3]
        assert client.get("/api/v1/me", headers=free.headers(role)).status_code == 200
    assert client.get("/api/v1/me", headers=free.headers(Role.STAFF)).status_code == 429


def test_requests_without_a_valid_key_do_not_spend_the_tenants_budget(app, client):
    free = make_tenant(app, "targeted", plan=Plan.FREE)
    for _ in range(150):
        assert client.get("/api/v1/me", headers={"X-Tenant": free.subdomain}).status_code == 401
    r = client.get("/api/v1/me", headers=free.headers())
    assert r.status_code == 200 and r.headers["X-RateLimit-Remaining"] == "99"


def test_one_address_spraying_bad_keys_is_throttled(app, client):
    free = make_tenant(app, "sprayed", plan=Plan.FREE)
    bad = {"X-Tenant": free.subdomain, "Authorization": "Bearer tt_000000000000_guess"}
    statuses = [client.get("/api/v1/me", headers=bad).status_code for _ in range(301)]
    assert statuses[:300] == [401] * 300 and statuses[300] == 429
