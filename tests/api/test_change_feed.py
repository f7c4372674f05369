"""The change feed: `updated_since`, `sort=updated_at`, signed keyset cursors, tombstones, deactivations,
the late-commit lag; two tenants in every test, nothing crosses."""
import json
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select, update

from app.core.extensions import db
from app.models import Customer, Deletion, Role
from app.tenancy import lookup_tenant, tenant_context
from tests.api.test_billing import _invoice, _stay


@pytest.fixture(autouse=True)
def no_lag(app):
    """Most tests read the feed at once; the lag has its own tests."""
    before = app.config["CHANGE_FEED_LAG_SECONDS"]
    app.config["CHANGE_FEED_LAG_SECONDS"] = 0
    yield
    app.config["CHANGE_FEED_LAG_SECONDS"] = before


def named(response, field: str) -> bool:
    """Whether a 422 names field (flat, or under the location a schema error uses)."""
    errors = response.json.get("errors") or {}
    return response.status_code == 422 and (field in errors or any(
        isinstance(v, dict) and field in v for v in errors.values()))


def meta(response) -> dict:
    return json.loads(response.headers["X-Pagination"])


def walk(client, fx, path: str, **params) -> list[dict]:
    """Every row of a list, following next_cursor from the first page to the last."""
    query = "&".join(f"{k}={v}" for k, v in params.items())
    r = client.get(f"{path}?{query}", headers=fx.headers())
    assert r.status_code == 200, r.json
    rows = list(r.json)
    while "next_cursor" in meta(r):
        assert r.headers["Link"].endswith('>; rel="next"')
        link = r.headers["Link"][1:].split(">;")[0]
        assert parse_qs(urlsplit(link).query)["cursor"] == [meta(r)["next_cursor"]]
        r = client.get(link, headers=fx.headers())
        assert r.status_code == 200, r.json
        rows += r.json
    assert "Link" not in r.headers
    return rows


def customer(client, fx, last: str, first: str = "Jo") -> dict:
    r = client.post("/api/v1/customers", headers=fx.headers(), json={"first_name": first, "last_name": last})
    assert r.status_code == 201, r.json
    return r.json


def patch(client, fx, path: str, body: dict) -> dict:
    etag = client.get(path, headers=fx.headers()).headers["ETag"]
    r = client.patch(path, headers=fx.headers(**{"If-Match": etag}), json=body)
    assert r.status_code == 200, r.json
    return r.json


def as_of(app, fx, model, row_id, when: datetime) -> None:
    """Stamp a row's updated_at (the clock the feed reads) without touching anything else."""
    with app.app_context(), tenant_context(lookup_tenant(fx.subdomain)):
        db.session.execute(update(model).where(model.id == uuid.UUID(str(row_id))).values(updated_at=when)
                           .execution_options(synchronize_session=False))
        db.session.commit()


def tombstones(app, fx) -> int:
    with app.app_context(), tenant_context(lookup_tenant(fx.subdomain)):
        return db.session.scalar(select(func.count()).select_from(Deletion))


# --- incremental sync ----------------------------------------------------------------------------


def test_an_incremental_sync_sees_each_change_once_and_only_its_own_tenant(client, tenant_a, tenant_b):
    a = [customer(client, tenant_a, f"A{n}") for n in range(5)]
    b = [customer(client, tenant_b, f"B{n}") for n in range(3)]
    first = walk(client, tenant_a, "/api/v1/customers", sort="updated_at", page_size=2)
    assert [c["id"] for c in first] == [c["id"] for c in a]
    mark = first[-1]["updated_at"]
    changed = patch(client, tenant_a, f"/api/v1/customers/{a[1]['id']}", {"notes": "moved"})
    patch(client, tenant_b, f"/api/v1/customers/{b[0]['id']}", {"notes": "other resort"})
    again = walk(client, tenant_a, "/api/v1/customers", sort="updated_at", updated_since=mark.replace("+", "%2B"))
    # Inclusive: the last row seen comes again, then the change.
    assert [c["id"] for c in again] == [a[4]["id"], a[1]["id"]]
    assert again[-1]["updated_at"] == changed["updated_at"] > mark
    assert not {c["id"] for c in first + again} & {c["id"] for c in b}


@pytest.mark.parametrize("path", ["/api/v1/reservations", "/api/v1/invoices", "/api/v1/payments", "/api/v1/pets"])
def test_bookings_invoices_payments_and_pets_sync_by_updated_at_per_tenant(client, tenant_a, tenant_b, path):
    stays = {"a": _stay(client, tenant_a), "b": _stay(client, tenant_b)}
    for key, fx in (("a", tenant_a), ("b", tenant_b)):
        invoice = _invoice(client, fx, stays[key])
        r = client.post("/api/v1/payments", headers=fx.headers(Role.STAFF),
                        json={"invoice_id": invoice["id"], "amount_cents": 1000, "method": "CASH"})
        assert r.status_code == 201, r.json
    ids = {key: {row["id"] for row in walk(client, fx, path, sort="updated_at", page_size=1)}
           for key, fx in (("a", tenant_a), ("b", tenant_b))}
    assert ids["a"] and ids["b"] and not ids["a"] & ids["b"]
    rows = walk(client, tenant_a, path, sort="updated_at", page_size=1)
    assert [r["updated_at"] for r in rows] == sorted(r["updated_at"] for r in rows)
    # A page from the last row's updated_at on starts with it (the bound is inclusive).
    since = rows[-1]["updated_at"].replace("+", "%2B")
    assert [r["id"] for r in walk(client, tenant_a, path, updated_since=since)] == [rows[-1]["id"]]


def test_a_vaccination_change_is_in_the_vaccinations_feed(client, tenant_a, tenant_b):
    for fx in (tenant_a, tenant_b):
        c = customer(client, fx, "Vax")
        pet = client.post(f"/api/v1/customers/{c['id']}/pets", headers=fx.headers(),
                          json={"name": "Rex", "species": "DOG"}).json
        shot = client.post(f"/api/v1/pets/{pet['id']}/vaccinations", headers=fx.headers(),
                           json={"vaccine": "Rabies", "given_on": "2026-01-01", "expires_on": "2029-01-01"})
        assert shot.status_code == 201, shot.json
        fx.shot = shot.json
    rows = walk(client, tenant_a, "/api/v1/vaccinations", sort="updated_at")
    assert [r["id"] for r in rows] == [tenant_a.shot["id"]]


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["2026-05-01T09:30:00", "yesterday", "2026-13-01T00:00:00Z", ""])
def test_a_naive_or_malformed_updated_since_is_a_422_naming_it(client, tenant_a, value):
    r = client.get("/api/v1/customers", headers=tenant_a.headers(), query_string={"updated_since": value})
    assert named(r, "updated_since")


@pytest.mark.parametrize("path", ["/api/v1/pets", "/api/v1/customers", "/api/v1/users", "/api/v1/webhook-endpoints"])
def test_an_unknown_sort_is_still_refused(client, tenant_a, path):
    assert named(client.get(f"{path}?sort=-updated_at", headers=tenant_a.headers()), "sort")


def test_a_list_without_a_feed_refuses_its_parameters(client, tenant_a):
    r = client.get("/api/v1/audit-events?updated_since=2026-01-01T00:00:00Z", headers=tenant_a.headers())
    assert named(r, "updated_since")


# --- cursors -------------------------------------------------------------------------------------


def first_page(client, fx, path="/api/v1/customers", **params):
    r = client.get(path, headers=fx.headers(), query_string={"page_size": 2, **params})
    assert r.status_code == 200 and "next_cursor" in meta(r), r.json
    return r, meta(r)["next_cursor"]


def test_a_cursor_walk_neither_skips_nor_repeats_rows_inserted_between_pages(client, tenant_a, tenant_b):
    for name in ("Baker", "Carter", "Dunn", "Evans", "Fox"):
        customer(client, tenant_a, name)
    page1, cursor = first_page(client, tenant_a, sort="name")
    assert [c["last_name"] for c in page1.json] == ["Baker", "Carter"]
    customer(client, tenant_a, "Abbot")  # sorts before the cursor: page numbers would now repeat Carter
    customer(client, tenant_a, "Zane")  # after it: read once, at the end
    customer(client, tenant_b, "Cole")  # another resort: never here
    rest = walk(client, tenant_a, "/api/v1/customers", sort="name", page_size=2, cursor=cursor)
    assert [c["last_name"] for c in rest] == ["Dunn", "Evans", "Fox", "Zane"]
    by_page = client.get("/api/v1/customers?sort=name&page_size=2&page=2", headers=tenant_a.headers()).json
    assert [c["last_name"] for c in by_page] == ["Carter", "Dunn"]  # what the cursor avoids


def test_a_cursor_walk_by_updated_at_sees_a_row_changed_mid_sync_as_a_new_change(client, tenant_a):
    rows = [customer(client, tenant_a, f"N{n}") for n in range(4)]
    _, cursor = first_page(client, tenant_a, sort="updated_at")
    patch(client, tenant_a, f"/api/v1/customers/{rows[0]['id']}", {"notes": "again"})
    new = customer(client, tenant_a, "N9")
    rest = walk(client, tenant_a, "/api/v1/customers", sort="updated_at", page_size=2, cursor=cursor)
    assert [c["id"] for c in rest] == [rows[2]["id"], rows[3]["id"], rows[0]["id"], new["id"]]


@pytest.mark.parametrize("path", ["/api/v1/customers", "/api/v1/reservations", "/api/v1/audit-events"])
def test_page_numbers_stop_at_the_depth_limit_and_the_cursor_goes_on(client, tenant_a, tenant_b, monkeypatch, path):
    """An OFFSET reads every row before its page: deeper than MAX_DEPTH rows a page number is a 422 naming
    `page` (before any SQL), while the cursor walks the whole list at the same cost per page."""
    from app.core import pagination

    for name in ("Baker", "Carter", "Dunn", "Evans", "Fox"):
        customer(client, tenant_a, name)
        customer(client, tenant_b, name)
    monkeypatch.setattr(pagination, "MAX_DEPTH", 2)
    assert client.get(f"{path}?page_size=1&page=3", headers=tenant_a.headers()).status_code == 200  # offset 2
    deep = client.get(f"{path}?page_size=1&page=4", headers=tenant_a.headers())
    assert named(deep, "page") and "next_cursor" in deep.json["errors"]["page"][0]
    assert client.get(f"{path}?page_size=2&page=3", headers=tenant_a.headers()).status_code == 422  # offset 4
    if path == "/api/v1/customers":
        assert [c["last_name"] for c in walk(client, tenant_a, path, sort="name", page_size=1)] == \
            ["Baker", "Carter", "Dunn", "Evans", "Fox"]


def test_the_last_page_has_no_next_cursor_and_a_cursor_page_no_page_numbers(client, tenant_a):
    for n in range(3):
        customer(client, tenant_a, f"L{n}")
    _, cursor = first_page(client, tenant_a, sort="updated_at")
    last = client.get("/api/v1/customers", headers=tenant_a.headers(),
                      query_string={"sort": "updated_at", "page_size": 2, "cursor": cursor})
    assert len(last.json) == 1 and meta(last) == {"total": 3} and "Link" not in last.headers


def test_a_tampered_cursor_is_a_422_naming_cursor(client, tenant_a):
    for n in range(3):
        customer(client, tenant_a, f"T{n}")
    _, cursor = first_page(client, tenant_a, sort="updated_at")
    for bad in (cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB"), "x" + cursor, "garbage", ""):
        r = client.get("/api/v1/customers", headers=tenant_a.headers(),
                       query_string={"sort": "updated_at", "page_size": 2, "cursor": bad})
        assert named(r, "cursor"), bad


def test_another_tenants_cursor_is_refused(client, tenant_a, tenant_b):
    for fx in (tenant_a, tenant_b):
        for n in range(3):
            customer(client, fx, f"X{n}")
    _, theirs = first_page(client, tenant_b, sort="updated_at")
    r = client.get("/api/v1/customers", headers=tenant_a.headers(),
                   query_string={"sort": "updated_at", "page_size": 2, "cursor": theirs})
    assert named(r, "cursor")


def test_a_cursor_only_works_on_its_own_list_and_filters(client, tenant_a):
    for n in range(3):
        c = customer(client, tenant_a, f"F{n}")
        client.post(f"/api/v1/customers/{c['id']}/pets", headers=tenant_a.headers(), json={"name": "P", "species": "DOG"})
    _, cursor = first_page(client, tenant_a, "/api/v1/pets", sort="updated_at")
    r = client.get("/api/v1/customers", headers=tenant_a.headers(),
                   query_string={"sort": "updated_at", "page_size": 2, "cursor": cursor})
    assert named(r, "cursor")
    _, cursor = first_page(client, tenant_a, sort="updated_at", active="true")
    r = client.get("/api/v1/customers", headers=tenant_a.headers(),
                   query_string={"sort": "updated_at", "page_size": 2, "cursor": cursor, "active": "false"})
    assert named(r, "cursor")
    r = client.get("/api/v1/customers", headers=tenant_a.headers(),
                   query_string={"sort": "updated_at", "active": "true", "cursor": cursor, "page": 2})
    assert named(r, "cursor")


def test_each_page_is_the_same_number_of_queries_whatever_its_size(client, tenant_a, tenant_b, count_queries):
    for n in range(12):
        c = customer(client, tenant_a, f"Q{n:02d}")
        client.post(f"/api/v1/customers/{c['id']}/pets", headers=tenant_a.headers(), json={"name": "P", "species": "DOG"})
    customer(client, tenant_b, "Other")
    counts = []
    for size in (2, 10):
        _, cursor = first_page(client, tenant_a, sort="updated_at", page_size=size)
        for params in ({"sort": "updated_at", "page_size": size},
                       {"sort": "updated_at", "page_size": size, "cursor": cursor}):
            with count_queries() as n:
                r = client.get("/api/v1/customers", headers=tenant_a.headers(), query_string=params)
            assert r.status_code == 200
            counts.append(n.count)
    assert len(set(counts)) == 1, counts


# --- deletions and deactivations ---------------------------------------------------------------------


def test_a_deleted_customer_and_its_pets_leave_tombstones_in_their_tenant_only(client, tenant_a, tenant_b):
    c = customer(client, tenant_a, "Gone")
    pet = client.post(f"/api/v1/customers/{c['id']}/pets", headers=tenant_a.headers(),
                      json={"name": "Rex", "species": "DOG"}).json
    customer(client, tenant_b, "Stays")
    etag = client.get(f"/api/v1/customers/{c['id']}", headers=tenant_a.headers()).headers["ETag"]
    assert client.delete(f"/api/v1/customers/{c['id']}", headers=tenant_a.headers(**{"If-Match": etag})).status_code == 204
    gone = walk(client, tenant_a, "/api/v1/deletions", sort="updated_at")
    assert {(d["type"], d["entity_id"]) for d in gone} == {("customers", c["id"]), ("pets", pet["id"])}
    only_pets = walk(client, tenant_a, "/api/v1/deletions", type="pets")
    assert [d["entity_id"] for d in only_pets] == [pet["id"]]
    assert walk(client, tenant_b, "/api/v1/deletions") == []
    since = (datetime.now(UTC) + timedelta(hours=1)).isoformat().replace("+", "%2B")
    assert walk(client, tenant_a, "/api/v1/deletions", updated_since=since) == []


def test_a_rolled_back_delete_leaves_no_tombstone(app, tenant_a, tenant_b, client):
    c = customer(client, tenant_a, "Kept")
    with app.app_context(), tenant_context(lookup_tenant(tenant_a.subdomain)):
        row = db.session.get(Customer, uuid.UUID(c["id"]))
        db.session.delete(row)
        db.session.flush()
        assert db.session.scalar(select(func.count()).select_from(Deletion)) == 1  # written in the same flush
        db.session.rollback()
    assert tombstones(app, tenant_a) == 0 == tombstones(app, tenant_b)
    assert client.get(f"/api/v1/customers/{c['id']}", headers=tenant_a.headers()).status_code == 200


def test_a_refused_delete_deactivates_instead_and_shows_in_the_feed(client, tenant_a, tenant_b):
    stay = _stay(client, tenant_a)
    _stay(client, tenant_b)
    service_id = stay["reservation"]["service_id"]
    before = walk(client, tenant_a, "/api/v1/services", sort="updated_at")
    mark = before[-1]["updated_at"]
    etag = client.get(f"/api/v1/services/{service_id}", headers=tenant_a.headers()).headers["ETag"]
    r = client.delete(f"/api/v1/services/{service_id}", headers=tenant_a.headers(**{"If-Match": etag}))
    assert r.status_code in (200, 204), r.json
    changed = walk(client, tenant_a, "/api/v1/services", sort="updated_at", updated_since=mark.replace("+", "%2B"))
    row = next(s for s in changed if s["id"] == service_id)
    assert row["active"] is False and row["updated_at"] > mark
    assert walk(client, tenant_a, "/api/v1/deletions") == []  # kept, so no tombstone


def test_a_deactivated_customer_shows_as_inactive_with_a_new_updated_at(client, tenant_a, tenant_b):
    c = customer(client, tenant_a, "Sleepy")
    customer(client, tenant_b, "Awake")
    done = patch(client, tenant_a, f"/api/v1/customers/{c['id']}", {"active": False})
    rows = walk(client, tenant_a, "/api/v1/customers", sort="updated_at",
                updated_since=c["updated_at"].replace("+", "%2B"))
    assert [(r["id"], r["active"]) for r in rows] == [(c["id"], False)]
    assert rows[0]["updated_at"] == done["updated_at"] > c["updated_at"]


def test_a_bulk_delete_of_a_synced_table_is_refused(app, tenant_a):
    from sqlalchemy import delete

    with app.app_context(), tenant_context(lookup_tenant(tenant_a.subdomain)):
        with pytest.raises(TypeError, match="tombstone"):
            db.session.execute(delete(Customer).where(Customer.last_name == "x"))
        db.session.rollback()


def test_tombstones_of_a_list_a_key_cannot_read_are_hidden_and_asking_is_a_403(app, client, tenant_a):
    from app.services import api_keys
    c = customer(client, tenant_a, "Hidden")
    etag = client.get(f"/api/v1/customers/{c['id']}", headers=tenant_a.headers()).headers["ETag"]
    client.delete(f"/api/v1/customers/{c['id']}", headers=tenant_a.headers(**{"If-Match": etag}))
    with app.app_context(), app.test_request_context(), tenant_context(lookup_tenant(tenant_a.subdomain)):
        _, secret = api_keys.create_api_key(name="catalog sync", role=Role.ADMIN, scopes=["catalog:read"])
    headers = {"X-Tenant": tenant_a.subdomain, "Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/deletions", headers=headers).json == []
    r = client.get("/api/v1/deletions?type=customers", headers=headers)
    assert r.status_code == 403 and r.json["required_scope"] == "customers:read"
    assert len(client.get("/api/v1/deletions", headers=tenant_a.headers()).json) == 1


# --- the late-commit lag -------------------------------------------------------------------------------


def test_the_feed_holds_back_rows_changed_within_the_lag(app, client, tenant_a, tenant_b):
    app.config["CHANGE_FEED_LAG_SECONDS"] = 30
    old, fresh = customer(client, tenant_a, "Old"), customer(client, tenant_a, "Fresh")
    customer(client, tenant_b, "Theirs")
    as_of(app, tenant_a, Customer, old["id"], datetime.now(UTC) - timedelta(minutes=5))
    assert [c["id"] for c in walk(client, tenant_a, "/api/v1/customers", sort="updated_at")] == [old["id"]]
    plain = client.get("/api/v1/customers", headers=tenant_a.headers()).json  # not a feed request: no lag
    assert {c["id"] for c in plain} == {old["id"], fresh["id"]}


def test_a_late_commit_stamped_before_a_seen_row_is_not_missed(app, client, tenant_a, tenant_b):
    """T2 stamps and commits a row; T1, stamped before it, commits after: a resuming client still gets T1's row."""
    app.config["CHANGE_FEED_LAG_SECONDS"] = 30
    now = datetime.now(UTC)
    seen, newer = customer(client, tenant_a, "Seen"), customer(client, tenant_a, "Newer")
    customer(client, tenant_b, "Theirs")
    as_of(app, tenant_a, Customer, seen["id"], now - timedelta(seconds=120))
    as_of(app, tenant_a, Customer, newer["id"], now - timedelta(seconds=10))  # T2: committed, inside the lag
    first = walk(client, tenant_a, "/api/v1/customers", sort="updated_at")
    assert [c["id"] for c in first] == [seen["id"]]  # without the lag `newer` would be the mark, and `late` lost
    late = customer(client, tenant_a, "Late")
    as_of(app, tenant_a, Customer, late["id"], now - timedelta(seconds=20))  # T1: stamped before T2, committed after
    for row, seconds in ((newer, 70), (late, 80)):  # a minute passes: both are older than the lag now
        as_of(app, tenant_a, Customer, row["id"], now - timedelta(seconds=seconds))
    resumed = walk(client, tenant_a, "/api/v1/customers", sort="updated_at",
                   updated_since=first[-1]["updated_at"].replace("+", "%2B"))
    assert [c["id"] for c in resumed] == [seen["id"], late["id"], newer["id"]]


# --- every list has it ---------------------------------------------------------------------------------

# GET collections that are not the resort's rows, so they have no change feed (and why).
NOT_ROWS = {
    "/api/v1/audit-events": "an append-only log (admins read it by created_at); its rows never change",
    "/api/v1/outbox-messages": "the delivery queue's state, not data a client syncs",
    "/api/v1/expiring-vaccinations": "computed for a date window, not stored rows",
    "/api/v1/message-templates": "a fixed list of kinds, each the resort's edit or the built-in default",
    "/api/v1/platform/tenants": "the operator API: every resort, not one resort's rows",
}


def _list_operations(doc) -> dict[str, dict]:
    """GET operations of collection paths (no path parameter) answering 200 with an array."""
    found = {}
    for path, operations in doc["paths"].items():
        get = operations.get("get")
        ok = (get or {}).get("responses", {}).get("200", {})
        schema = ok.get("content", {}).get("application/json", {}).get("schema", {})
        # A path with a parameter lists one row's children, returned whole; their own top-level
        # lists (/pets, /vaccinations, /payments) carry the feed.
        if "{" not in path and schema.get("type") == "array":
            found[path] = get
    return found


def test_every_list_of_the_resorts_rows_documents_the_feed_and_the_link_header(client):
    doc = client.get("/api/v1/openapi.json").json
    lists = _list_operations(doc)
    assert set(NOT_ROWS) <= set(lists), "an excluded list is gone: drop it from NOT_ROWS"
    missing = {}
    for path, operation in lists.items():
        if path in NOT_ROWS:
            continue
        named_params = [p["name"] for p in operation.get("parameters", []) if "name" in p]
        params = {p["name"]: p for p in operation.get("parameters", []) if "name" in p}
        if len(named_params) != len(params):
            missing[path] = ["a parameter declared twice"]
            continue
        gaps = [name for name in ("updated_since", "cursor", "sort", "page", "page_size") if name not in params]
        sort = params.get("sort", {}).get("schema", {})
        sort = (sort.get("allOf") or [sort])[0]
        if "$ref" in sort:  # a named enum component
            sort = doc["components"]["schemas"][sort["$ref"].rsplit("/", 1)[1]]
        if "sort" in params and "updated_at" not in sort.get("enum", []):
            gaps.append("sort=updated_at")
        if "Link" not in operation["responses"]["200"].get("headers", {}):
            gaps.append("Link")
        if gaps:
            missing[path] = gaps
    assert missing == {}
    assert {"/api/v1/customers", "/api/v1/pets", "/api/v1/vaccinations", "/api/v1/reservations", "/api/v1/invoices",
            "/api/v1/payments", "/api/v1/users", "/api/v1/api-keys", "/api/v1/deletions"} <= set(lists)


def test_every_feed_list_answers_updated_since_and_refuses_a_naive_one(client, tenant_a, tenant_b):
    customer(client, tenant_b, "Elsewhere")
    doc = client.get("/api/v1/openapi.json").json
    for path in sorted(set(_list_operations(doc)) - set(NOT_ROWS)):
        ok = client.get(path, headers=tenant_a.headers(),
                        query_string={"updated_since": "2020-01-01T00:00:00+00:00", "sort": "updated_at"})
        assert ok.status_code == 200, (path, ok.json)
        assert not any(row.get("last_name") == "Elsewhere" for row in ok.json)
        naive = client.get(path, headers=tenant_a.headers(), query_string={"updated_since": "2020-01-01T00:00:00"})
        assert named(naive, "updated_since"), path


def test_every_synced_table_has_a_tombstone_type_the_deletions_list_knows():
    from app.models import TOMBSTONE_TYPES
    from app.schemas.deletions import TYPE_ACCESS

    assert set(TOMBSTONE_TYPES.values()) == set(TYPE_ACCESS)


def test_rows_sharing_an_updated_at_are_paged_by_id_without_a_skip_or_a_repeat(app, client, tenant_a, tenant_b):
    rows = [customer(client, tenant_a, f"Same{n}") for n in range(5)]
    customer(client, tenant_b, "Same")
    when = datetime.now(UTC) - timedelta(minutes=1)
    for row in rows:  # one bulk import: one instant
        as_of(app, tenant_a, Customer, row["id"], when)
    walked = walk(client, tenant_a, "/api/v1/customers", sort="updated_at", page_size=2)
    assert [c["id"] for c in walked] == sorted(c["id"] for c in rows)


def test_every_feed_list_walks_by_cursor_in_its_own_order_exactly_as_by_page(app, client, tenant_a, tenant_b):
    from tests.factories import give_every_scoped_model_rows

    for fx in (tenant_a, tenant_b):
        give_every_scoped_model_rows(app, fx)
    doc = client.get("/api/v1/openapi.json").json
    for path in sorted(set(_list_operations(doc)) - set(NOT_ROWS)):
        whole = client.get(path, headers=tenant_a.headers(), query_string={"page_size": 100})
        assert whole.status_code == 200, (path, whole.json)
        assert [row["id"] for row in walk(client, tenant_a, path, page_size=1)] == [row["id"] for row in whole.json], path
