"""Per-tenant API rate limits by plan, and each key's own bucket inside its tenant's: one tenant's burst
never touches another's, and one key's burst never starves the other keys of its tenant."""
import pytest

from app.models import Plan, Role
from tests.conftest import BACKEND, make_tenant

OPERATOR = {"Authorization": "Bearer test-operator-token"}


def _burn(client, fx, n):
    """n requests spread over the tenant's three keys (no key reaches its own half of a plan budget)."""
    return [client.get("/api/v1/me", headers=fx.headers(list(Role)[i % 3])).status_code for i in range(n)]


def test_a_free_tenant_gets_429_on_request_101_with_the_documented_body(app, client, tenant_b):
    free = make_tenant(app, "free-paws", plan=Plan.FREE)
    assert set(_burn(client, free, 100)) == {200}
    r = client.get("/api/v1/me", headers=free.headers(Role.STAFF, **{"X-Request-ID": "limit-1"}))
    assert r.status_code == 429
    body = r.json
    assert body["code"] == 429 and body["status"] == "Too Many Requests" and body["bucket"] == "tenant"
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
    # PRO's 1,000, of which the key's own half is now the tighter bucket.
    assert r.status_code == 200 and r.headers["X-RateLimit-Limit"] == "500"
    assert r.json["rate_limit"] == "500 per 15 minutes"


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
    # The headers name the key's own bucket (50, the tighter): neither it nor the tenant's spent anything before.
    assert r.status_code == 200 and r.headers["X-RateLimit-Remaining"] == "49"


def test_one_address_spraying_bad_keys_is_throttled(app, client):
    free = make_tenant(app, "sprayed", plan=Plan.FREE)
    bad = {"X-Tenant": free.subdomain, "Authorization": "Bearer tt_000000000000_guess"}
    statuses = [client.get("/api/v1/me", headers=bad).status_code for _ in range(301)]
    assert statuses[:300] == [401] * 300 and statuses[300] == 429


def test_a_valid_key_is_served_from_an_address_that_sprayed_bad_keys(app, client, tenant_a, tenant_b):
    bad = {"X-Tenant": tenant_a.subdomain, "Authorization": "Bearer tt_000000000000_guess"}
    statuses = [client.get("/api/v1/me", headers=bad).status_code for _ in range(301)]
    assert statuses[-1] == 429  # the address's anonymous bucket is full...
    for fx in (tenant_a, tenant_b):  # ...and every paying client behind that address is still served
        r = client.get("/api/v1/me", headers=fx.headers())
        assert r.status_code == 200 and r.headers["X-RateLimit-Limit"] == "500"  # the key's half of PRO's 1,000
    assert client.get("/api/v1/me", headers=bad).status_code == 429


def test_a_signed_in_user_is_served_from_an_address_whose_anonymous_pages_are_exhausted(app, client, tenant_a):
    from tests.conftest import web_login

    web_login(client, tenant_a)
    app.config["ANONYMOUS_WEB_RATE_LIMIT"], saved = "3 per hour", app.config["ANONYMOUS_WEB_RATE_LIMIT"]
    try:
        stranger = app.test_client()  # same address, nobody signed in
        assert [stranger.get("/login", base_url=tenant_a.base_url).status_code for _ in range(4)] == [200] * 3 + [429]
        assert client.get("/", base_url=tenant_a.base_url).status_code == 200
        assert client.get("/admin/users", base_url=tenant_a.base_url).status_code == 200
    finally:
        app.config["ANONYMOUS_WEB_RATE_LIMIT"] = saved


def test_forwarded_for_is_ignored_unless_proxies_are_trusted(app, client, tenant_a):
    bad = {"X-Tenant": tenant_a.subdomain, "Authorization": "Bearer tt_000000000000_guess"}
    app.config["ANONYMOUS_API_RATE_LIMIT"], saved = "3 per hour", app.config["ANONYMOUS_API_RATE_LIMIT"]
    try:
        for _ in range(3):
            assert client.get("/api/v1/me", headers={**bad, "X-Forwarded-For": "203.0.113.1"}).status_code == 401
        # A forged header does not buy a fresh bucket: TRUSTED_PROXIES defaults to 0.
        assert client.get("/api/v1/me", headers={**bad, "X-Forwarded-For": "203.0.113.2"}).status_code == 429
    finally:
        app.config["ANONYMOUS_API_RATE_LIMIT"] = saved


PROXIED = """
import json, sys
from app import create_app
from config import TestConfig
app = create_app(TestConfig(database_url=sys.argv[1], TRUSTED_PROXIES=1, ANONYMOUS_API_RATE_LIMIT="3 per hour",
                            LOG_LEVEL="ERROR"))
client = app.test_client()
bad = {"X-Tenant": sys.argv[2], "Authorization": "Bearer tt_000000000000_guess"}
def get(address):
    return client.get("/api/v1/me", headers={**bad, "X-Forwarded-For": address}).status_code
print(json.dumps({"first": [get("203.0.113.1") for _ in range(4)], "second": get("203.0.113.2")}))
"""


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_bucket(database_url, tenant_a):
    import json
    import subprocess
    import sys

    # A separate process: the limiter is process-wide, and this app has another proxy setting.
    result = subprocess.run([sys.executable, "-c", PROXIED, database_url, tenant_a.subdomain],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out == {"first": [401, 401, 401, 429], "second": 401}


def test_successful_responses_carry_the_limit_headers_but_no_retry_after(app, client, tenant_b):
    free = make_tenant(app, "no-retry", plan=Plan.FREE)
    for _ in range(3):
        r = client.get("/api/v1/me", headers=free.headers())
        assert r.status_code == 200 and "Retry-After" not in r.headers, dict(r.headers)
        assert r.headers["X-RateLimit-Limit"] == "50" and int(r.headers["X-RateLimit-Reset"]) > 0
    assert r.headers["X-RateLimit-Remaining"] == "47"
    assert not [name for name, _ in r.headers.items() if "retry" in name.lower()]  # nor the limiter's internal name
    page = client.get("/login", base_url=free.base_url)
    assert page.status_code == 200 and "Retry-After" not in page.headers
    r = client.get("/api/v1/me", headers=tenant_b.headers())
    assert r.status_code == 200 and "Retry-After" not in r.headers and r.headers["X-RateLimit-Remaining"] == "499"
    # A refusal still says when to come back, once, with the seconds left in the window.
    for _ in range(47):
        client.get("/api/v1/me", headers=free.headers())
    refused = client.get("/api/v1/me", headers=free.headers())
    assert refused.status_code == 429 and len(refused.headers.get_all("Retry-After")) == 1
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60


def _key(client, fx, **fields) -> dict:
    """A new key of fx's tenant (its headers ready to use), made through the API."""
    created = client.post("/api/v1/api-keys", headers=fx.headers(), json={"name": "Extra", **fields})
    assert created.status_code == 201, created.json
    return {"X-Tenant": fx.subdomain, "Authorization": f"Bearer {created.json['secret']}"}


def test_one_runaway_key_cannot_starve_another_key_of_its_tenant(app, client):
    free = make_tenant(app, "runaway", plan=Plan.FREE)
    other = make_tenant(app, "bystander", plan=Plan.FREE)
    statuses = [client.get("/api/v1/me", headers=free.headers(Role.STAFF)).status_code for _ in range(51)]
    assert statuses == [200] * 50 + [429]  # half of FREE's 100 is the key's own
    refused = client.get("/api/v1/me", headers=free.headers(Role.STAFF))
    assert refused.status_code == 429 and refused.json["bucket"] == "api_key"
    assert "This API key's own rate limit" in refused.json["message"] and "50 per 15 minute" in refused.json["message"]
    assert refused.headers["X-RateLimit-Limit"] == "50" and refused.headers["X-RateLimit-Remaining"] == "0"
    # Another key of the same tenant still has the rest of the tenant's budget.
    assert [client.get("/api/v1/me", headers=free.headers(Role.MANAGER)).status_code for _ in range(45)] == [200] * 45
    # Another tenant's keys are untouched, and its tenant budget too.
    r = client.get("/api/v1/me", headers=other.headers(Role.STAFF))
    assert r.status_code == 200 and r.headers["X-RateLimit-Remaining"] == "49"


def test_a_key_can_have_its_own_explicit_limit(app, client, tenant_a, tenant_b):
    capped = _key(client, tenant_a, rate_limit=3)
    assert client.get("/api/v1/me", headers=capped).json["rate_limit"] == "3 per 15 minutes"
    statuses = [client.get("/api/v1/me", headers=capped).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]  # the /me above was the first of three
    assert client.get("/api/v1/me", headers=tenant_a.headers(Role.STAFF)).status_code == 200
    b_capped = _key(client, tenant_b, rate_limit=3)  # B's key of the same shape has its own bucket
    assert client.get("/api/v1/me", headers=b_capped).status_code == 200


def test_a_key_limit_never_exceeds_its_tenants_plan(app, client):
    free = make_tenant(app, "capped-plan", plan=Plan.FREE)
    big = _key(client, free, rate_limit=5000)
    assert client.get("/api/v1/me", headers=big).json["rate_limit"] == "100 per 15 minutes"


def test_a_changed_key_limit_applies_on_the_next_request(app, client, tenant_a):
    created = client.post("/api/v1/api-keys", headers=tenant_a.headers(), json={"name": "Tunable"}).json
    headers = {"X-Tenant": tenant_a.subdomain, "Authorization": f"Bearer {created['secret']}"}
    assert client.get("/api/v1/me", headers=headers).json["rate_limit"] == "500 per 15 minutes"
    path = f"/api/v1/api-keys/{created['id']}"
    etag = client.get(path, headers=tenant_a.headers()).headers["ETag"]
    assert client.patch(path, headers=tenant_a.headers(**{"If-Match": etag}), json={"rate_limit": 1}).status_code == 200
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert client.get("/api/v1/me", headers=headers).status_code == 429


def test_a_key_limit_out_of_range_is_a_422_naming_it(client, tenant_a):
    for bad in (0, 5001, -1):
        r = client.post("/api/v1/api-keys", headers=tenant_a.headers(), json={"name": "x", "rate_limit": bad})
        assert r.status_code == 422 and "rate_limit" in str(r.json["errors"])


@pytest.mark.skipif(BACKEND != "postgres", reason="counts round trips to Redis, which the embedded default has not")
def test_both_buckets_are_read_and_spent_in_one_redis_round_trip_each(client, tenant_a, tenant_b, monkeypatch):
    from redis.connection import AbstractConnection

    for _ in range(2):
        client.get("/api/v1/me", headers=tenant_a.headers())  # warms the tenant and the key
    trips = []
    send = AbstractConnection.send_packed_command

    def counted(conn, command, check_health=True):
        trips.append(command)
        return send(conn, command, check_health)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counted)
    r = client.get("/api/v1/me", headers=tenant_a.headers())
    monkeypatch.undo()
    # Tenant + key (one MGET), both counters (one GET/TTL pipeline), both hits (one script): nothing more.
    assert r.status_code == 200 and len(trips) == 3, trips
    assert r.headers["X-RateLimit-Limit"] == "500" and r.headers["X-RateLimit-Remaining"] == "497"
    assert client.get("/api/v1/me", headers=tenant_b.headers()).headers["X-RateLimit-Remaining"] == "499"
