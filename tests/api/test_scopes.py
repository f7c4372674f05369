"""API key scopes and expiry: every endpoint needs a mapped scope, scopes narrow a role, a booking widget's
key cannot read households, changes apply on the next request with the key cached; two tenants throughout."""
from datetime import UTC, datetime, timedelta

import pytest

from app import scopes
from app.models import Role
from tests.api.test_reservations import _ok, booking, day, world  # noqa: F401

WIDGET = list(scopes.BOOKING_WIDGET)


def _key(client, fx, *, by=None, **fields):
    """Create a key of fx's tenant through the API; (its headers, the response)."""
    r = client.post("/api/v1/api-keys", headers=by or fx.headers(), json={"name": "Scoped", **fields})
    return ({"X-Tenant": fx.subdomain, "Authorization": f"Bearer {r.json.get('secret')}"}, r)


def _patch_key(client, fx, key_id, **fields):
    path = f"/api/v1/api-keys/{key_id}"
    etag = client.get(path, headers=fx.headers()).headers["ETag"]
    return client.patch(path, headers=fx.headers(**{"If-Match": etag}), json=fields)


def _warm(client, headers, count_queries, path="/api/v1/me") -> int:
    for _ in range(3):
        client.get(path, headers=headers)
    with count_queries() as counter:
        assert client.get(path, headers=headers).status_code == 200
    return counter.count


# --- the table -------------------------------------------------------------------------------------


def _tenant_api_operations(app):
    from app.api import TENANT_BLUEPRINTS

    names = {blueprint.name for blueprint in TENANT_BLUEPRINTS}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".", 1)[0] in names:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule.endpoint, method, rule.rule


def test_every_tenant_api_endpoint_and_method_has_a_scope(app):
    unmapped = [f"{method} {path} ({endpoint})" for endpoint, method, path in _tenant_api_operations(app)
                if scopes.required_scope(endpoint, method) is scopes.UNMAPPED]
    assert unmapped == [], "add these to app/scopes.py ENDPOINT_SCOPES"


def test_the_table_names_only_real_endpoints_and_known_scopes(app):
    real = {(endpoint, method) for endpoint, method, _ in _tenant_api_operations(app)}
    mapped = {(endpoint, method) for endpoint, methods in scopes.ENDPOINT_SCOPES.items() for method in methods}
    assert mapped - real == set()
    needed = {scope for methods in scopes.ENDPOINT_SCOPES.values() for scope in methods.values()} - {scopes.OPEN}
    assert needed <= set(scopes.SCOPES) and set(scopes.SCOPES) - needed <= {"webhooks:manage"}


def test_an_endpoint_missing_from_the_table_is_refused_not_let_through(client, tenant_a, monkeypatch):
    monkeypatch.delitem(scopes.ENDPOINT_SCOPES, "customers.Customers")
    r = client.get("/api/v1/customers", headers=tenant_a.headers())
    assert r.status_code == 403 and "No scope is defined" in r.json["message"]


def test_the_api_document_names_each_operations_scope(client, app):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    customers = paths["/api/v1/customers"]
    assert customers["get"]["x-required-scope"] == "customers:read"
    assert "`customers:read`" in customers["get"]["description"] and "403" in customers["get"]["responses"]
    assert customers["post"]["x-required-scope"] == "customers:write"
    assert paths["/api/v1/me"]["get"]["x-required-scope"] is None
    documented = sum(1 for ops in paths.values() for op in ops.values() if isinstance(op, dict) and "x-required-scope" in op)
    assert documented == len(list(_tenant_api_operations(app)))


# --- defaults and narrowing --------------------------------------------------------------------------


def test_keys_made_without_scopes_have_every_scope(client, tenant_a):
    me = client.get("/api/v1/me", headers=tenant_a.headers(Role.STAFF)).json
    assert me["scopes"] == ["*"] and me["expires_at"] is None
    for path in ("/api/v1/customers", "/api/v1/reservations", "/api/v1/invoices", "/api/v1/services"):
        assert client.get(path, headers=tenant_a.headers(Role.STAFF)).status_code == 200


def test_scopes_narrow_a_role_and_never_widen_it(client, tenant_a, tenant_b):
    admin_reader, _ = _key(client, tenant_a, role="ADMIN", scopes=["customers:read"])
    assert client.get("/api/v1/customers", headers=admin_reader).status_code == 200
    denied = client.get("/api/v1/api-keys", headers=admin_reader)
    assert denied.status_code == 403 and denied.json["required_scope"] == "admin"
    assert "lacks the `admin` scope" in denied.json["message"]
    assert denied.headers["WWW-Authenticate"] == 'Bearer error="insufficient_scope", scope="admin"'
    staff_admin, _ = _key(client, tenant_a, role="STAFF", scopes=["admin"])
    assert client.get("/api/v1/api-keys", headers=staff_admin).status_code == 403  # the role still says no
    # Tenant B's keys are untouched by A's narrow ones.
    assert client.get("/api/v1/api-keys", headers=tenant_b.headers()).status_code == 200


def test_a_read_only_key_reads_everything_and_writes_nothing(client, tenant_a):
    reader, created = _key(client, tenant_a, role="MANAGER", scopes=["*:read"])
    assert created.json["scopes"] == ["*:read"]
    for path in ("/api/v1/customers", "/api/v1/pets", "/api/v1/reservations", "/api/v1/payments",
                 "/api/v1/reports/aging", "/api/v1/kennels"):
        assert client.get(path, headers=reader).status_code == 200, path
    r = client.post("/api/v1/customers", headers=reader, json={"first_name": "A", "last_name": "B"})
    assert r.status_code == 403 and r.json["required_scope"] == "customers:write"
    assert client.get("/api/v1/customers", headers=tenant_a.headers()).json == []  # nothing half-written
    assert client.get("/api/v1/users", headers=reader).status_code == 403  # admin is not a read scope


def test_writing_does_not_include_reading(client, tenant_a):
    writer, _ = _key(client, tenant_a, scopes=["customers:write"])
    made = client.post("/api/v1/customers", headers=writer, json={"first_name": "Jo", "last_name": "Writer"})
    assert made.status_code == 201
    assert client.get(f"/api/v1/customers/{made.json['id']}", headers=writer).status_code == 403


def test_a_key_that_cannot_read_households_is_not_told_whose_email_it_hit(client, tenant_a, tenant_b):
    client.post("/api/v1/customers", headers=tenant_a.headers(),
                json={"first_name": "Ann", "last_name": "Smith", "email": "ann@example.com"})
    writer, _ = _key(client, tenant_a, scopes=["customers:write"])
    r = client.post("/api/v1/customers", headers=writer, json={"first_name": "X", "last_name": "Y", "email": "ann@example.com"})
    assert r.status_code == 409 and "email" in r.json["errors"]
    assert "Smith" not in r.get_data(as_text=True) and "existing_id" not in r.json
    named = client.post("/api/v1/customers", headers=tenant_a.headers(),
                        json={"first_name": "X", "last_name": "Y", "email": "ann@example.com"})
    assert named.status_code == 409 and "Smith" in named.json["message"]  # a key that may read is told
    b = client.post("/api/v1/customers", headers=tenant_b.headers(), json={"first_name": "X", "last_name": "Y",
                                                                           "email": "ann@example.com"})
    assert b.status_code == 201  # B's households are B's


def test_unknown_scopes_are_a_422_naming_the_field(client, tenant_a):
    for bad in (["customers:delete"], [], "customers:read", ["*:write"]):
        _, r = _key(client, tenant_a, scopes=bad)
        assert r.status_code == 422 and "scopes" in r.json["errors"], bad


# --- the booking widget ----------------------------------------------------------------------------------


def test_a_booking_widget_key_books_a_stay_but_cannot_read_households(client, world, tenant_a, tenant_b):  # noqa: F811
    widget, created = _key(client, tenant_a, scopes=WIDGET)
    assert created.status_code == 201 and created.json["scopes"] == sorted(WIDGET)
    query = f"service_id={world['boarding']}&start_date={day(1)}&end_date={day(3)}&pet_id={world['rex']}"
    assert client.get(f"/api/v1/availability?{query}", headers=widget).status_code == 200
    assert client.get("/api/v1/services", headers=widget).status_code == 200
    quote = client.post("/api/v1/quotes", headers=widget, json={
        "service_id": world["boarding"], "start_date": day(1), "end_date": day(3), "pets": [{"name": "Rex"}]})
    assert quote.status_code == 200, quote.json
    household = _ok(client.post("/api/v1/customers", headers=widget, json={
        "first_name": "Web", "last_name": "Visitor", "email": "visitor@example.com"}))
    assert household["email"] == "visitor@example.com"  # what it just sent, nobody else's
    stay = _ok(client.post("/api/v1/reservations", headers=widget, json=booking(world)))
    assert stay["status"] in ("PENDING", "CONFIRMED")
    # ...but it cannot list households, read anyone's contact details, or list the resort's bookings.
    refusals = {
        "/api/v1/customers": "customers:read",
        f"/api/v1/customers/{world['smith']}": "customers:read",
        "/api/v1/customers/export": "customers:read",
        f"/api/v1/customers/{world['smith']}/pets": "pets:read",
        "/api/v1/pets": "pets:read",
        "/api/v1/reservations": "reservations:read",
        f"/api/v1/reservations/{stay['id']}": "reservations:read",
        "/api/v1/day-sheet": "reservations:read",
        "/api/v1/invoices": "billing:read",
        "/api/v1/audit-events": "admin",
    }
    for path, scope in refusals.items():
        r = client.get(path, headers=widget)
        assert r.status_code == 403 and r.json["required_scope"] == scope, (path, r.json)
        assert "Smith" not in r.get_data(as_text=True)
    # A's widget key is nothing on B's host.
    assert client.get("/api/v1/services", headers={**widget, "X-Tenant": tenant_b.subdomain}).status_code == 401


# --- a key granting keys ---------------------------------------------------------------------------------


def test_a_key_cannot_grant_scopes_it_lacks(client, tenant_a):
    keeper, _ = _key(client, tenant_a, role="ADMIN", scopes=["admin", "customers:read"])
    _, wider = _key(client, tenant_a, by=keeper, scopes=["*"])
    assert wider.status_code == 403 and wider.json["required_scope"] == "availability:read"
    _, unspecified = _key(client, tenant_a, by=keeper)  # no scopes means every scope: also wider
    assert unspecified.status_code == 403
    _, narrower = _key(client, tenant_a, by=keeper, scopes=["customers:read"])
    assert narrower.status_code == 201
    r = _patch_key(client, tenant_a, narrower.json["id"], scopes=["customers:read"])
    assert r.status_code == 200
    path = f"/api/v1/api-keys/{narrower.json['id']}"
    etag = client.get(path, headers=keeper).headers["ETag"]
    widened = client.patch(path, headers={**keeper, "If-Match": etag}, json={"scopes": ["billing:read"]})
    assert widened.status_code == 403 and widened.json["required_scope"] == "billing:read"
    assert client.get(path, headers=tenant_a.headers()).json["scopes"] == ["customers:read"]


def test_a_key_cannot_make_a_key_that_outlives_it(client, tenant_a):
    soon = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    later = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    keeper, _ = _key(client, tenant_a, role="ADMIN", expires_at=soon)
    _, longer = _key(client, tenant_a, by=keeper, expires_at=later)
    assert longer.status_code == 403 and "expiry" in longer.json["message"]
    _, inherited = _key(client, tenant_a, by=keeper)
    assert inherited.status_code == 201 and inherited.json["expires_at"] is not None


# --- changes apply on the next request, with the key cached --------------------------------------------


def test_a_scope_change_applies_on_the_next_request_with_the_cache_warm(client, tenant_a, tenant_b, count_queries):
    headers, created = _key(client, tenant_a, scopes=["customers:read", "pets:read"])
    b_headers, _ = _key(client, tenant_b, scopes=["customers:read", "pets:read"])
    assert _warm(client, headers, count_queries) == 0 and _warm(client, b_headers, count_queries) == 0
    assert client.get("/api/v1/customers", headers=headers).status_code == 200
    assert _patch_key(client, tenant_a, created.json["id"], scopes=["pets:read"]).status_code == 200
    r = client.get("/api/v1/customers", headers=headers)
    assert r.status_code == 403 and r.json["required_scope"] == "customers:read"
    assert _warm(client, headers, count_queries) == 0  # cached again, with the new scopes
    assert client.get("/api/v1/pets", headers=headers).status_code == 200
    assert client.get("/api/v1/customers", headers=headers).status_code == 403
    assert client.get("/api/v1/customers", headers=b_headers).status_code == 200  # B's key is not A's
    event = client.get("/api/v1/audit-events?action=api_key.updated", headers=tenant_a.headers()).json[0]
    assert "customers:read" in str(event["changes"]["scopes"]["old"])
    assert "customers:read" not in str(event["changes"]["scopes"]["new"])


def test_a_stale_if_match_on_a_key_is_a_412(client, tenant_a):
    _, created = _key(client, tenant_a)
    path = f"/api/v1/api-keys/{created.json['id']}"
    etag = client.get(path, headers=tenant_a.headers()).headers["ETag"]
    assert client.patch(path, headers=tenant_a.headers(**{"If-Match": etag}), json={"name": "One"}).status_code == 200
    r = client.patch(path, headers=tenant_a.headers(**{"If-Match": etag}), json={"name": "Two"})
    assert r.status_code == 412


def test_another_tenants_key_cannot_be_read_or_changed(client, tenant_a, tenant_b):
    _, created = _key(client, tenant_a)
    path = f"/api/v1/api-keys/{created.json['id']}"
    assert client.get(path, headers=tenant_b.headers()).status_code == 404
    r = client.patch(path, headers=tenant_b.headers(**{"If-Match": "*"}), json={"scopes": ["admin"]})
    assert r.status_code == 404
    assert client.get(path, headers=tenant_a.headers()).json["scopes"] == ["*"]


def test_a_revoked_key_cannot_be_changed(client, tenant_a):
    _, created = _key(client, tenant_a)
    client.delete(f"/api/v1/api-keys/{created.json['id']}", headers=tenant_a.headers())
    r = _patch_key(client, tenant_a, created.json["id"], scopes=["*"])
    assert r.status_code == 422 and "revoked_at" in r.json["errors"]


# --- expiry ------------------------------------------------------------------------------------------


def test_an_expiry_must_be_in_the_future(client, tenant_a):
    _, r = _key(client, tenant_a, expires_at="2020-01-01T00:00:00Z")
    assert r.status_code == 422 and "expires_at" in r.json["errors"]
    _, naive = _key(client, tenant_a, expires_at="2030-01-01T00:00:00")
    assert naive.status_code == 422 and "expires_at" in naive.json["errors"]


def test_an_expired_key_is_a_401_saying_so_even_when_cached(client, tenant_a, tenant_b, count_queries, monkeypatch):
    expiry = datetime.now(UTC) + timedelta(hours=1)
    headers, created = _key(client, tenant_a, expires_at=expiry.isoformat())
    assert client.get("/api/v1/me", headers=headers).json["expires_at"] is not None
    assert _warm(client, headers, count_queries) == 0
    import app.auth

    monkeypatch.setattr(app.auth, "utcnow", lambda: expiry + timedelta(seconds=1))
    with count_queries() as counter:
        r = client.get("/api/v1/me", headers=headers)
    assert r.status_code == 401 and "expired" in r.json["message"] and counter.count == 0
    assert client.get("/api/v1/customers", headers=headers).status_code == 401
    # On another tenant's host the same secret is just unknown: nothing says it exists, or expired.
    crossed = client.get("/api/v1/me", headers={**headers, "X-Tenant": tenant_b.subdomain})
    assert crossed.status_code == 401 and crossed.json["message"] == "Invalid or revoked API key."
    assert client.get("/api/v1/me", headers=tenant_a.headers()).status_code == 200  # keys without expiry
    assert client.get("/api/v1/me", headers=tenant_b.headers()).status_code == 200


def test_an_expired_key_spends_no_budget(app, client, tenant_a, monkeypatch):
    expiry = datetime.now(UTC) + timedelta(hours=1)
    headers, _ = _key(client, tenant_a, expires_at=expiry.isoformat())
    import app.auth

    monkeypatch.setattr(app.auth, "utcnow", lambda: expiry + timedelta(seconds=1))
    for _ in range(5):
        assert client.get("/api/v1/me", headers=headers).status_code == 401
    monkeypatch.undo()
    r = client.get("/api/v1/me", headers=tenant_a.headers())
    # The tenant's 1,000 minus the key-creating POST and this request; the expired calls spent nothing.
    assert r.status_code == 200 and r.headers["X-RateLimit-Limit"] == "500"
    assert client.get("/api/v1/tenant", headers=tenant_a.headers()).status_code == 200


def test_expiry_can_be_cleared_and_set_by_a_user_admin(client, tenant_a):
    later = datetime.now(UTC) + timedelta(days=3)
    headers, created = _key(client, tenant_a, expires_at=later.isoformat())
    assert _patch_key(client, tenant_a, created.json["id"], expires_at=None).json["expires_at"] is None
    assert client.get("/api/v1/me", headers=headers).json["expires_at"] is None


@pytest.mark.parametrize("field, value", [("rate_limit", 0), ("name", ""), ("role", "ADMIN")])
def test_bad_key_changes_are_a_422_naming_the_field(client, tenant_a, field, value):
    _, created = _key(client, tenant_a)
    r = _patch_key(client, tenant_a, created.json["id"], **{field: value})
    assert r.status_code == 422 and field in str(r.json["errors"])
