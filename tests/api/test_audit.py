"""The audit trail API: admins read their own tenant's events, filtered and paginated."""
import json

from app.models import Role


def test_events_are_listed_newest_first_and_paginated(client, tenant_a):
    for i in range(3):
        client.post("/api/v1/api-keys", headers=tenant_a.headers(), json={"name": f"k{i}"})
    r = client.get("/api/v1/audit-events?action=api_key.created&page_size=2", headers=tenant_a.headers())
    assert r.status_code == 200
    names = [e["changes"]["name"] for e in r.json]
    assert names == ["k2", "k1"]
    pagination = json.loads(r.headers["X-Pagination"])
    assert pagination["total"] == 3 + len(Role) and pagination["total_pages"] == 3


def test_an_event_carries_who_where_and_request_id(client, tenant_a):
    client.post("/api/v1/api-keys", headers=tenant_a.headers(**{"X-Request-ID": "audit-req-1",
                                                               "User-Agent": "pytest-agent"}), json={"name": "who"})
    event = client.get("/api/v1/audit-events?action=api_key.created", headers=tenant_a.headers()).json[0]
    assert event["actor_type"] == "api_key" and event["actor_id"] == str(tenant_a.key_ids[Role.ADMIN])
    assert event["request_id"] == "audit-req-1" and event["user_agent"] == "pytest-agent" and event["ip"]
    one = client.get(f"/api/v1/audit-events/{event['id']}", headers=tenant_a.headers())
    assert one.json == event


def test_tenants_never_see_each_others_events(client, tenant_a, tenant_b):
    client.post("/api/v1/api-keys", headers=tenant_a.headers(), json={"name": "secret-project"})
    b_events = client.get("/api/v1/audit-events?page_size=100", headers=tenant_b.headers()).json
    assert b_events and all(e["changes"].get("name") != "secret-project" for e in b_events)


def test_only_admins_read_the_trail(client, tenant_a):
    assert client.get("/api/v1/audit-events", headers=tenant_a.headers(Role.MANAGER)).status_code == 403


def test_listing_is_a_constant_number_of_queries(client, tenant_a, count_queries):
    client.get("/api/v1/me", headers=tenant_a.headers())  # warm the tenant cache and key last-used
    with count_queries() as few:
        client.get("/api/v1/audit-events?page_size=2", headers=tenant_a.headers())
    with count_queries() as many:
        client.get("/api/v1/audit-events?page_size=100", headers=tenant_a.headers())
    assert few.count == many.count


def test_the_count_stops_past_the_page_so_it_does_not_grow_with_the_trail(client, tenant_a, tenant_b, monkeypatch,
                                                                         count_queries):
    from app.services import audit

    monkeypatch.setattr(audit, "COUNT_BEYOND", 2)
    for i in range(6):
        client.post("/api/v1/api-keys", headers=tenant_a.headers(), json={"name": f"k{i}"})
    client.post("/api/v1/api-keys", headers=tenant_b.headers(), json={"name": "b-only"})
    with count_queries() as counter:
        r = client.get("/api/v1/audit-events?page_size=2", headers=tenant_a.headers())
    assert [e["changes"]["name"] for e in r.json] == ["k5", "k4"]
    assert json.loads(r.headers["X-Pagination"])["total"] == 2 + 2  # a floor: one page plus COUNT_BEYOND
    count = next(s for s in counter.statements if "count(" in s.lower())
    assert "LIMIT" in count.upper()
    deeper = client.get("/api/v1/audit-events?page_size=2&page=3", headers=tenant_a.headers())
    assert json.loads(deeper.headers["X-Pagination"])["total"] == 6 + 2 and len(deeper.json) == 2
    # Below the cap the total is exact, and only the tenant's own events are counted.
    b = client.get("/api/v1/audit-events?page_size=50", headers=tenant_b.headers())
    assert json.loads(b.headers["X-Pagination"])["total"] == len(b.json), (b.headers["X-Pagination"], len(b.json))
    names = {e["changes"].get("name") for e in b.json}
    assert "b-only" in names and not names & {f"k{i}" for i in range(6)}
