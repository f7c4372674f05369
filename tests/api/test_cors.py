"""CORS per tenant: a resort's allowed origins get answers on its own host, preflights before any key or limit,
credentials never; another origin, another tenant's host, the web pages and the docs get no CORS headers."""
from app.models import Plan, Role
from tests.conftest import make_tenant

SITE = "https://www.alpha-paws.example"
OTHER_SITE = "https://www.bravo-barks.example"


def _allow(client, fx, origins):
    etag = client.get("/api/v1/tenant", headers=fx.headers()).headers["ETag"]
    return client.patch("/api/v1/tenant", headers=fx.headers(**{"If-Match": etag}), json={"cors_origins": origins})


def _preflight(client, fx, origin, path="/api/v1/availability", method="GET", base_url=None):
    return client.options(path, base_url=base_url or fx.base_url, headers={
        "Origin": origin, "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization, idempotency-key, content-type"})


def _no_cors(response):
    return not [name for name, _ in response.headers.items() if name.lower().startswith("access-control-")]


def test_a_preflight_from_an_allowed_origin_is_answered_before_authentication(client, tenant_a):
    assert _allow(client, tenant_a, [SITE]).status_code == 200
    r = _preflight(client, tenant_a, SITE, path="/api/v1/reservations", method="POST")
    assert r.status_code == 204 and r.get_data() == b""
    assert r.headers["Access-Control-Allow-Origin"] == SITE
    assert r.headers["Access-Control-Allow-Methods"] == "GET, HEAD, POST"
    allowed = {h.strip() for h in r.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"Authorization", "Idempotency-Key", "If-Match", "X-Tenant", "Content-Type"} <= allowed
    assert int(r.headers["Access-Control-Max-Age"]) > 0
    assert "Origin" in r.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in r.headers


def test_a_preflight_spends_no_budget_and_no_sql_when_warm(app, client, count_queries):
    free = make_tenant(app, "widget-paws", plan=Plan.FREE)
    _allow(client, free, [SITE])
    _preflight(client, free, SITE)
    with count_queries() as counter:
        for _ in range(120):  # more than the whole FREE budget
            assert _preflight(client, free, SITE).status_code == 204
    assert counter.count == 0
    r = client.get("/api/v1/tenant", headers=free.headers(Role.STAFF))
    assert r.status_code == 200 and r.headers["X-RateLimit-Remaining"] == "49"  # the staff key's 50, this read only


def test_a_disallowed_origin_gets_no_cors_headers(client, tenant_a):
    _allow(client, tenant_a, [SITE])
    for origin in ("https://evil.example", "http://www.alpha-paws.example", SITE + ":8443", "null"):
        r = _preflight(client, tenant_a, origin)
        assert r.status_code == 204 and _no_cors(r), origin
        actual = client.get("/api/v1/tenant", base_url=tenant_a.base_url,
                            headers={"Origin": origin, "Authorization": f"Bearer {tenant_a.keys[Role.STAFF]}"})
        assert actual.status_code == 200 and _no_cors(actual) and "Origin" in actual.headers["Vary"]


def test_one_tenants_origin_is_not_allowed_on_another_tenants_host(client, tenant_a, tenant_b):
    _allow(client, tenant_a, [SITE])
    _allow(client, tenant_b, [OTHER_SITE])
    assert _no_cors(_preflight(client, tenant_b, SITE))
    assert _no_cors(_preflight(client, tenant_a, OTHER_SITE))
    assert _preflight(client, tenant_b, OTHER_SITE).headers["Access-Control-Allow-Origin"] == OTHER_SITE
    # Naming A in X-Tenant on B's host changes nothing: the host decides.
    r = client.get("/api/v1/tenant", base_url=tenant_b.base_url, headers={
        "Origin": SITE, "X-Tenant": tenant_a.subdomain, "Authorization": f"Bearer {tenant_b.keys[Role.STAFF]}"})
    assert _no_cors(r)


def test_a_preflight_on_a_host_naming_no_tenant_gets_no_cors_headers(client, tenant_a):
    _allow(client, tenant_a, [SITE])
    # A browser sends no X-Tenant on a preflight; on the bare host nothing says which resort's origins apply.
    r = _preflight(client, tenant_a, SITE, base_url="http://localhost")
    assert _no_cors(r)


def test_actual_answers_carry_cors_headers_and_expose_what_clients_read(client, tenant_a):
    _allow(client, tenant_a, [SITE])
    made = client.post("/api/v1/customers", base_url=tenant_a.base_url, headers={
        "Origin": SITE, "Authorization": f"Bearer {tenant_a.keys[Role.STAFF]}"}, json={"first_name": "A", "last_name": "B"})
    assert made.status_code == 201 and made.headers["Access-Control-Allow-Origin"] == SITE
    exposed = {h.strip() for h in made.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"ETag", "Location", "X-Pagination", "X-RateLimit-Limit", "X-RateLimit-Remaining",
            "X-RateLimit-Reset", "Retry-After", "X-Request-ID"} <= exposed
    assert "Access-Control-Allow-Credentials" not in made.headers and "Origin" in made.headers["Vary"]
    # Errors too, so the widget can read why (a missing key, a missing scope).
    refused = client.get("/api/v1/customers", base_url=tenant_a.base_url, headers={"Origin": SITE})
    assert refused.status_code == 401 and refused.headers["Access-Control-Allow-Origin"] == SITE


def test_only_the_tenant_api_answers_cors(client, tenant_a):
    _allow(client, tenant_a, [SITE])
    for path in ("/login", "/", "/api/v1/openapi.json", "/api/v1/platform/tenants"):
        r = client.get(path, base_url=tenant_a.base_url, headers={"Origin": SITE})
        assert _no_cors(r), path
        assert _no_cors(_preflight(client, tenant_a, SITE, path=path)), path


def test_a_change_of_origins_applies_on_the_next_preflight(client, tenant_a):
    _allow(client, tenant_a, [SITE])
    assert _preflight(client, tenant_a, SITE).headers.get("Access-Control-Allow-Origin") == SITE  # now cached
    assert _allow(client, tenant_a, []).status_code == 200
    assert _no_cors(_preflight(client, tenant_a, SITE))


def test_a_paused_tenant_allows_no_origin(client, tenant_a):
    _allow(client, tenant_a, [SITE])
    client.patch(f"/api/v1/platform/tenants/{tenant_a.subdomain}", headers={"Authorization": "Bearer test-operator-token"},
                 json={"status": "PAUSED"})
    assert _no_cors(_preflight(client, tenant_a, SITE))


def test_origins_are_normalized(client, tenant_a, tenant_b):
    r = _allow(client, tenant_a, ["HTTPS://WWW.Alpha-Paws.example:443/", "https://book.alpha-paws.example:8443",
                                  "https://www.alpha-paws.example"])
    assert r.status_code == 200, r.json
    assert r.json["cors_origins"] == [SITE, "https://book.alpha-paws.example:8443"]
    assert client.get("/api/v1/tenant", headers=tenant_b.headers()).json["cors_origins"] == []


def test_anything_but_an_https_origin_is_a_422_naming_the_field(client, tenant_a):
    for bad in (["http://www.alpha-paws.example"], ["https://www.alpha-paws.example/book"], ["*"],
                ["https://*.alpha-paws.example"], ["https://a.example:99999"], ["https://user@a.example"],
                ["https://a.example?x=1"], ["https://-a.example"], "https://a.example",
                [f"https://s{i}.example" for i in range(21)]):
        r = _allow(client, tenant_a, bad)
        assert r.status_code == 422 and "cors_origins" in str(r.json["errors"]), bad
    assert client.get("/api/v1/tenant", headers=tenant_a.headers()).json["cors_origins"] == []
