"""Kennels API: inventory for managers, status flips for staff, bulk runs, tenants never cross."""
from app.models import Role

RUN = {"code": "A01", "type": "RUN", "size": "L", "capacity": 2, "location": "Barn A"}


def _kennel(client, fx, **extra):
    r = client.post("/api/v1/kennels", headers=fx.headers(Role.MANAGER), json={**RUN, **extra})
    assert r.status_code == 201, r.json
    return r.json


def _status(client, fx, kennel_id, role=Role.STAFF, **body):
    return client.post(f"/api/v1/kennels/{kennel_id}/status", headers=fx.headers(role), json=body)


def test_a_manager_adds_a_kennel_in_service(client, tenant_a):
    k = _kennel(client, tenant_a, code="a01", min_weight_kg="20.0", max_weight_kg="45.5")
    assert (k["code"], k["status"], k["capacity"]) == ("A01", "IN_SERVICE", 2)
    assert (k["min_weight_kg"], k["max_weight_kg"]) == ("20.0", "45.5")


def test_bad_kennel_input_names_the_field(client, tenant_a):
    r = client.post("/api/v1/kennels", headers=tenant_a.headers(Role.MANAGER),
                    json={**RUN, "capacity": 0, "type": "CAGE", "size": "XXL", "code": "A 01"})
    assert r.status_code == 422 and {"capacity", "type", "size", "code"} <= set(r.json["errors"])
    r = client.post("/api/v1/kennels", headers=tenant_a.headers(Role.MANAGER),
                    json={**RUN, "min_weight_kg": "30", "max_weight_kg": "10"})
    assert r.status_code == 422 and "max_weight_kg" in r.json["errors"]


def test_codes_are_unique_per_tenant_whatever_the_case(client, tenant_a, tenant_b):
    _kennel(client, tenant_a)
    dup = client.post("/api/v1/kennels", headers=tenant_a.headers(Role.MANAGER), json={**RUN, "code": "a01"})
    assert dup.status_code == 409 and "code" in dup.json["errors"]
    assert client.post("/api/v1/kennels", headers=tenant_b.headers(Role.MANAGER), json=RUN).status_code == 201


def test_bulk_creates_a01_to_a20(client, tenant_a):
    r = client.post("/api/v1/kennels/bulk", headers=tenant_a.headers(Role.MANAGER),
                    json={"prefix": "A", "start": 1, "end": 20, "type": "RUN", "size": "M", "capacity": 2})
    assert r.status_code == 201
    assert [k["code"] for k in r.json] == [f"A{n:02d}" for n in range(1, 21)]
    listed = client.get("/api/v1/kennels?page_size=100", headers=tenant_a.headers(Role.STAFF)).json
    assert len(listed) == 20 and listed[0]["code"] == "A01" and listed[-1]["code"] == "A20"


def test_bulk_is_all_or_nothing_when_a_code_exists(client, tenant_a):
    _kennel(client, tenant_a, code="A05")
    r = client.post("/api/v1/kennels/bulk", headers=tenant_a.headers(Role.MANAGER),
                    json={"prefix": "A", "start": 1, "end": 10, "type": "RUN", "size": "M"})
    assert r.status_code == 409 and "A05" in r.json["errors"]["prefix"][0]
    assert len(client.get("/api/v1/kennels", headers=tenant_a.headers()).json) == 1


def test_bulk_refuses_a_backwards_range_and_capacity_zero(client, tenant_a):
    r = client.post("/api/v1/kennels/bulk", headers=tenant_a.headers(Role.MANAGER),
                    json={"prefix": "B", "start": 9, "end": 3, "type": "RUN", "size": "M"})
    assert r.status_code == 422 and "end" in r.json["errors"]
    r = client.post("/api/v1/kennels/bulk", headers=tenant_a.headers(Role.MANAGER),
                    json={"prefix": "B", "start": 1, "end": 3, "type": "RUN", "size": "M", "capacity": 0})
    assert r.status_code == 422 and "capacity" in r.json["errors"]


def test_staff_flip_status_with_a_note_and_it_is_audited(client, tenant_a):
    k = _kennel(client, tenant_a)
    r = _status(client, tenant_a, k["id"], status="MAINTENANCE", note="Gate latch sticks")
    assert r.status_code == 200 and (r.json["status"], r.json["status_note"]) == ("MAINTENANCE", "Gate latch sticks")
    assert r.json["status_changed_at"]
    assert _status(client, tenant_a, k["id"], status="CLEANING").json["status_note"] == ""
    events = client.get("/api/v1/audit-events?action=kennel.status_changed", headers=tenant_a.headers()).json
    assert events[-1]["changes"]["status"] == {"old": "IN_SERVICE", "new": "MAINTENANCE"}


def test_an_unknown_status_is_422_naming_the_field(client, tenant_a):
    k = _kennel(client, tenant_a)
    r = _status(client, tenant_a, k["id"], status="ON_FIRE")
    assert r.status_code == 422 and "status" in r.json["errors"]


def test_staff_cannot_edit_or_create_kennels(client, tenant_a):
    k = _kennel(client, tenant_a)
    r = client.post("/api/v1/kennels", headers=tenant_a.headers(Role.STAFF), json={**RUN, "code": "B1"})
    assert r.status_code == 403
    path = f"/api/v1/kennels/{k['id']}"
    etag = client.get(path, headers=tenant_a.headers(Role.STAFF)).headers["ETag"]
    r = client.patch(path, headers=tenant_a.headers(Role.STAFF, **{"If-Match": etag}), json={"capacity": 3})
    assert r.status_code == 403


def test_kennel_updates_need_a_fresh_etag(client, tenant_a):
    path = f"/api/v1/kennels/{_kennel(client, tenant_a)['id']}"
    etag = client.get(path, headers=tenant_a.headers()).headers["ETag"]
    assert client.patch(path, headers=tenant_a.headers(Role.MANAGER), json={"capacity": 3}).status_code == 428
    ok = client.patch(path, headers=tenant_a.headers(Role.MANAGER, **{"If-Match": etag}), json={"capacity": 3})
    assert ok.status_code == 200 and ok.json["capacity"] == 3
    assert client.patch(path, headers=tenant_a.headers(Role.MANAGER, **{"If-Match": etag}),
                        json={"capacity": 4}).status_code == 412
    bad = client.patch(path, headers=tenant_a.headers(Role.MANAGER, **{"If-Match": ok.headers["ETag"]}),
                       json={"capacity": 0})
    assert bad.status_code == 422 and "capacity" in bad.json["errors"]


def test_another_tenant_cannot_see_flip_edit_or_delete_a_kennel(client, tenant_a, tenant_b):
    k = _kennel(client, tenant_a)
    b = tenant_b.headers(Role.ADMIN, **{"If-Match": "*"})
    assert client.get(f"/api/v1/kennels/{k['id']}", headers=b).status_code == 404
    assert client.post(f"/api/v1/kennels/{k['id']}/status", headers=b, json={"status": "CLEANING"}).status_code == 404
    assert client.post(f"/api/v1/kennels/{k['id']}/status", headers=b, json={}).status_code == 404
    assert client.patch(f"/api/v1/kennels/{k['id']}", headers=b, json={"capacity": 5}).status_code == 404
    assert client.delete(f"/api/v1/kennels/{k['id']}", headers=b).status_code == 404
    assert client.get("/api/v1/kennels", headers=b).json == []
    assert client.get(f"/api/v1/kennels/{k['id']}", headers=tenant_a.headers()).json["status"] == "IN_SERVICE"


def test_list_filters_by_status_type_and_code(client, tenant_a):
    a = _kennel(client, tenant_a)
    _kennel(client, tenant_a, code="C01", type="CAT_CONDO", size="S", capacity=1)
    _status(client, tenant_a, a["id"], status="CLEANING")
    h = tenant_a.headers(Role.STAFF)
    assert [k["code"] for k in client.get("/api/v1/kennels?status=CLEANING", headers=h).json] == ["A01"]
    assert [k["code"] for k in client.get("/api/v1/kennels?type=CAT_CONDO", headers=h).json] == ["C01"]
    assert [k["code"] for k in client.get("/api/v1/kennels?q=c0", headers=h).json] == ["C01"]


def test_deleting_an_unreferenced_kennel_removes_it(client, tenant_a):
    k = _kennel(client, tenant_a)
    assert client.delete(f"/api/v1/kennels/{k['id']}", headers=tenant_a.headers(Role.MANAGER)).status_code == 204
    assert client.get(f"/api/v1/kennels/{k['id']}", headers=tenant_a.headers()).status_code == 404


def test_the_kennel_list_is_a_constant_number_of_queries(client, tenant_a, count_queries):
    _kennel(client, tenant_a)
    client.get("/api/v1/me", headers=tenant_a.headers())
    with count_queries() as few:
        client.get("/api/v1/kennels", headers=tenant_a.headers())
    client.post("/api/v1/kennels/bulk", headers=tenant_a.headers(Role.MANAGER),
                json={"prefix": "B", "start": 1, "end": 40, "type": "SUITE", "size": "L"})
    with count_queries() as many:
        assert len(client.get("/api/v1/kennels?page_size=100", headers=tenant_a.headers()).json) == 41
    assert few.count == many.count


def test_huge_decimals_are_a_422_not_a_crash(client, tenant_a):
    from app.models import Role

    r = client.post("/api/v1/kennels/bulk", headers=tenant_a.headers(Role.MANAGER),
                    json={"prefix": "Z", "start": 1, "end": 2, "type": "RUN", "size": "M", "capacity": 1,
                          "min_weight_kg": 1.1507085407109596e+182})
    assert r.status_code == 422 and "min_weight_kg" in r.json["errors"]
