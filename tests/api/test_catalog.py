"""Catalog API: services, add-ons and price rules; managers write, staff read, tenants never cross."""
from app.models import Role

BOARDING = {"name": "Boarding - run", "category": "BOARDING", "price_cents": 4500, "price_unit": "PER_NIGHT"}
WALK = {"name": "Extra walk", "price_cents": 800, "unit": "PER_DAY"}
XMAS = {"name": "Christmas", "kind": "DATE_WINDOW", "effect": "SURCHARGE", "amount_type": "PERCENT",
        "percent": "20", "valid_from": "2026-12-20", "valid_to": "2027-01-02"}


def _post(client, fx, path, body, role=Role.MANAGER):
    return client.post(path, headers=fx.headers(role), json=body)


def _service(client, fx, **extra):
    r = _post(client, fx, "/api/v1/services", {**BOARDING, **extra})
    assert r.status_code == 201, r.json
    return r.json


def _patch(client, fx, path, body, role=Role.MANAGER):
    etag = client.get(path, headers=fx.headers(role)).headers["ETag"]
    return client.patch(path, headers=fx.headers(role, **{"If-Match": etag}), json=body)


# --- services -------------------------------------------------------------------------------------


def test_a_manager_adds_a_boarding_service_with_kennel_defaults(client, tenant_a):
    body = _service(client, tenant_a, deposit_kind="PERCENT", deposit_percent="25")
    assert body["needs_kennel"] is True and body["price_cents"] == 4500
    assert body["kennel_types"] == ["CAT_CONDO", "LUXURY_SUITE", "RUN", "SUITE"]
    assert body["deposit_percent"] == "25.00" and body["deposit_cents"] is None


def test_staff_read_the_catalog_but_cannot_change_it(client, tenant_a):
    service = _service(client, tenant_a)
    staff = tenant_a.headers(Role.STAFF)
    assert client.get("/api/v1/services", headers=staff).json[0]["id"] == service["id"]
    assert client.get(f"/api/v1/services/{service['id']}", headers=staff).status_code == 200
    for path, body in [("/api/v1/services", {**BOARDING, "name": "X"}), ("/api/v1/addons", WALK),
                       ("/api/v1/price-rules", XMAS)]:
        assert _post(client, tenant_a, path, body, Role.STAFF).status_code == 403
    assert client.delete(f"/api/v1/services/{service['id']}", headers=staff).status_code == 403


def test_bad_service_input_is_422_naming_each_field(client, tenant_a):
    r = _post(client, tenant_a, "/api/v1/services", {**BOARDING, "price_cents": -1, "price_unit": "PER_WEEK",
                                                     "deposit_percent": "150", "colour": "red"})
    assert r.status_code == 422
    assert {"price_cents", "price_unit", "deposit_percent", "colour"} <= set(r.json["errors"])


def test_a_float_price_is_refused_not_rounded(client, tenant_a):
    r = _post(client, tenant_a, "/api/v1/services", {**BOARDING, "price_cents": 45.5})
    assert r.status_code == 422 and "price_cents" in r.json["errors"]


def test_cross_field_rules_name_the_field(client, tenant_a):
    r = _post(client, tenant_a, "/api/v1/services", {**BOARDING, "needs_kennel": False})
    assert r.status_code == 422 and "needs_kennel" in r.json["errors"]
    r = _post(client, tenant_a, "/api/v1/services", {**BOARDING, "deposit_kind": "FIXED"})
    assert r.status_code == 422 and "deposit_cents" in r.json["errors"]
    r = _post(client, tenant_a, "/api/v1/services", {**BOARDING, "kennel_types": []})
    assert r.status_code == 422 and "kennel_types" in r.json["errors"]


def test_service_names_are_unique_per_tenant_only(client, tenant_a, tenant_b):
    _service(client, tenant_a)
    dup = _post(client, tenant_a, "/api/v1/services", BOARDING)
    assert dup.status_code == 409 and "name" in dup.json["errors"]
    assert _post(client, tenant_b, "/api/v1/services", BOARDING).status_code == 201


def test_updates_need_if_match_and_refuse_a_stale_one(client, tenant_a):
    path = f"/api/v1/services/{_service(client, tenant_a)['id']}"
    etag = client.get(path, headers=tenant_a.headers()).headers["ETag"]
    assert client.patch(path, headers=tenant_a.headers(Role.MANAGER), json={"price_cents": 4900}).status_code == 428
    ok = client.patch(path, headers=tenant_a.headers(Role.MANAGER, **{"If-Match": etag}), json={"price_cents": 4900})
    assert ok.status_code == 200 and ok.json["price_cents"] == 4900
    stale = client.patch(path, headers=tenant_a.headers(Role.MANAGER, **{"If-Match": etag}), json={"name": "Other"})
    assert stale.status_code == 412


def test_an_update_is_validated_as_a_whole(client, tenant_a):
    path = f"/api/v1/services/{_service(client, tenant_a)['id']}"
    r = _patch(client, tenant_a, path, {"deposit_kind": "PERCENT"})
    assert r.status_code == 422 and "deposit_percent" in r.json["errors"]


def test_changes_are_audited_with_old_and_new(client, tenant_a):
    path = f"/api/v1/services/{_service(client, tenant_a)['id']}"
    _patch(client, tenant_a, path, {"price_cents": 5200})
    events = client.get("/api/v1/audit-events?resource_type=service", headers=tenant_a.headers()).json
    assert [e["action"] for e in events] == ["service.updated", "service.created"]
    assert events[0]["changes"] == {"price_cents": {"old": 4500, "new": 5200}}


def test_list_filters_and_paginates(client, tenant_a):
    _service(client, tenant_a)
    _service(client, tenant_a, name="Daycare", category="DAYCARE", price_unit="PER_DAY")
    _service(client, tenant_a, name="Bath & brush", category="GROOMING", price_unit="FLAT", duration_minutes=60)
    r = client.get("/api/v1/services?category=GROOMING", headers=tenant_a.headers())
    assert [s["name"] for s in r.json] == ["Bath & brush"]
    page = client.get("/api/v1/services?page=2&page_size=2", headers=tenant_a.headers())
    assert len(page.json) == 1 and '"total": 3' in page.headers["X-Pagination"]
    assert client.get("/api/v1/services?q=day", headers=tenant_a.headers()).json[0]["name"] == "Daycare"
    assert client.get("/api/v1/services?colour=red", headers=tenant_a.headers()).status_code == 422


def test_deleting_an_unreferenced_service_removes_it(client, tenant_a):
    path = f"/api/v1/services/{_service(client, tenant_a)['id']}"
    assert client.delete(path, headers=tenant_a.headers(Role.MANAGER)).status_code == 204
    assert client.get(path, headers=tenant_a.headers()).status_code == 404


def test_deleting_a_referenced_service_deactivates_it(client, tenant_a):
    service = _service(client, tenant_a)
    _post(client, tenant_a, "/api/v1/addons", {**WALK, "service_ids": [service["id"]]})
    r = client.delete(f"/api/v1/services/{service['id']}", headers=tenant_a.headers(Role.MANAGER))
    assert r.status_code == 200 and r.json["active"] is False
    actions = [e["action"] for e in client.get("/api/v1/audit-events?resource_type=service",
                                               headers=tenant_a.headers()).json]
    assert actions[0] == "service.deactivated"


def test_another_tenant_cannot_read_change_or_delete_a_service(client, tenant_a, tenant_b):
    path = f"/api/v1/services/{_service(client, tenant_a)['id']}"
    b = tenant_b.headers(Role.ADMIN, **{"If-Match": "*"})
    assert client.get(path, headers=b).status_code == 404
    assert client.patch(path, headers=b, json={"price_cents": 1}).status_code == 404
    assert client.delete(path, headers=b).status_code == 404
    assert client.get("/api/v1/services", headers=b).json == []
    assert client.get(path, headers=tenant_a.headers()).json["price_cents"] == 4500


def test_the_service_list_is_a_constant_number_of_queries(client, tenant_a, count_queries):
    _service(client, tenant_a)
    client.get("/api/v1/me", headers=tenant_a.headers())
    with count_queries() as few:
        client.get("/api/v1/services", headers=tenant_a.headers())
    for i in range(8):
        _service(client, tenant_a, name=f"Suite {i}")
    with count_queries() as many:
        assert len(client.get("/api/v1/services?page_size=50", headers=tenant_a.headers()).json) == 9
    assert few.count == many.count


# --- add-ons --------------------------------------------------------------------------------------


def test_an_add_on_is_linked_to_services_and_filtered_by_them(client, tenant_a):
    boarding = _service(client, tenant_a)
    daycare = _service(client, tenant_a, name="Daycare", category="DAYCARE", price_unit="PER_DAY")
    walk = _post(client, tenant_a, "/api/v1/addons", {**WALK, "service_ids": [boarding["id"]]}).json
    anywhere = _post(client, tenant_a, "/api/v1/addons", {"name": "Late pickup", "price_cents": 1500,
                                                          "unit": "PER_STAY"}).json
    assert walk["service_ids"] == [boarding["id"]] and anywhere["service_ids"] == []
    for_daycare = client.get(f"/api/v1/addons?service_id={daycare['id']}", headers=tenant_a.headers()).json
    assert [a["name"] for a in for_daycare] == ["Late pickup"]
    r = _patch(client, tenant_a, f"/api/v1/addons/{walk['id']}", {"service_ids": [boarding["id"], daycare["id"]]})
    assert r.status_code == 200 and sorted(r.json["service_ids"]) == sorted([boarding["id"], daycare["id"]])


def test_an_add_on_referring_to_another_tenants_service_is_404(client, tenant_a, tenant_b):
    a_service = _service(client, tenant_a)
    r = _post(client, tenant_b, "/api/v1/addons", {**WALK, "service_ids": [a_service["id"]]})
    assert r.status_code == 404 and "service_ids" in r.json["errors"]
    assert client.get("/api/v1/addons", headers=tenant_b.headers()).json == []


def test_bad_add_on_input_names_the_field(client, tenant_a):
    r = _post(client, tenant_a, "/api/v1/addons", {"name": "", "price_cents": -5, "unit": "PER_HOUR"})
    assert r.status_code == 422 and {"name", "price_cents", "unit"} <= set(r.json["errors"])


def test_the_add_on_list_is_a_constant_number_of_queries(client, tenant_a, count_queries):
    service = _service(client, tenant_a)
    _post(client, tenant_a, "/api/v1/addons", {**WALK, "service_ids": [service["id"]]})
    client.get("/api/v1/me", headers=tenant_a.headers())
    with count_queries() as few:
        client.get("/api/v1/addons", headers=tenant_a.headers())
    for i in range(6):
        _post(client, tenant_a, "/api/v1/addons", {**WALK, "name": f"Walk {i}", "service_ids": [service["id"]]})
    with count_queries() as many:
        assert len(client.get("/api/v1/addons", headers=tenant_a.headers()).json) == 7
    assert few.count == many.count


# --- price rules ----------------------------------------------------------------------------------


def test_a_manager_adds_each_kind_of_rule(client, tenant_a):
    service = _service(client, tenant_a)
    bodies = [XMAS,
              {"name": "Two weeks", "kind": "LENGTH_OF_STAY", "min_nights": 14, "effect": "DISCOUNT",
               "amount_type": "PERCENT", "percent": "10"},
              {"name": "Second dog", "kind": "ADDITIONAL_PET", "from_pet": 2, "effect": "DISCOUNT",
               "amount_type": "AMOUNT", "amount_cents": 500, "service_ids": [service["id"]]},
              {"name": "Weekend", "kind": "DAY_OF_WEEK", "days_of_week": ["SAT", "FRI"], "effect": "SURCHARGE",
               "amount_type": "AMOUNT", "amount_cents": 300, "categories": ["BOARDING"]}]
    for body in bodies:
        r = _post(client, tenant_a, "/api/v1/price-rules", body)
        assert r.status_code == 201, r.json
    rules = client.get("/api/v1/price-rules", headers=tenant_a.headers(Role.STAFF)).json
    weekend = next(r for r in rules if r["name"] == "Weekend")
    assert weekend["days_of_week"] == ["FRI", "SAT"] and weekend["categories"] == ["BOARDING"]


def test_bad_rule_input_from_the_issue_is_refused_naming_the_field(client, tenant_a):
    over = _post(client, tenant_a, "/api/v1/price-rules", {**XMAS, "percent": "100.01"})
    assert over.status_code == 422 and "percent" in over.json["errors"]
    backwards = _post(client, tenant_a, "/api/v1/price-rules", {**XMAS, "valid_to": "2026-12-01"})
    assert backwards.status_code == 422 and "valid_to" in backwards.json["errors"]
    negative = _post(client, tenant_a, "/api/v1/price-rules", {**XMAS, "amount_type": "AMOUNT", "percent": None,
                                                               "amount_cents": -100})
    assert negative.status_code == 422 and "amount_cents" in negative.json["errors"]
    no_window = _post(client, tenant_a, "/api/v1/price-rules", {**XMAS, "valid_from": None})
    assert no_window.status_code == 422 and "valid_from" in no_window.json["errors"]
    wrong_kind = _post(client, tenant_a, "/api/v1/price-rules", {**XMAS, "min_nights": 3})
    assert wrong_kind.status_code == 422 and "min_nights" in wrong_kind.json["errors"]
    no_days = _post(client, tenant_a, "/api/v1/price-rules", {**XMAS, "kind": "DAY_OF_WEEK", "days_of_week": ["FUN"]})
    assert no_days.status_code == 422 and "days_of_week" in no_days.json["errors"]


def test_a_rule_referring_to_another_tenants_service_is_404(client, tenant_a, tenant_b):
    a_service = _service(client, tenant_a)
    r = _post(client, tenant_b, "/api/v1/price-rules", {**XMAS, "service_ids": [a_service["id"]]})
    assert r.status_code == 404 and "service_ids" in r.json["errors"]
    b_rule = _post(client, tenant_b, "/api/v1/price-rules", XMAS).json
    r = _patch(client, tenant_b, f"/api/v1/price-rules/{b_rule['id']}", {"service_ids": [a_service["id"]]})
    assert r.status_code == 404 and "service_ids" in r.json["errors"]


def test_changing_a_rules_kind_clears_fields_of_the_old_kind(client, tenant_a):
    rule = _post(client, tenant_a, "/api/v1/price-rules", {"name": "Long", "kind": "LENGTH_OF_STAY", "min_nights": 7,
                                                           "effect": "DISCOUNT", "amount_type": "PERCENT",
                                                           "percent": "5"}).json
    r = _patch(client, tenant_a, f"/api/v1/price-rules/{rule['id']}", {"kind": "ADDITIONAL_PET", "from_pet": 3})
    assert r.status_code == 200 and (r.json["min_nights"], r.json["from_pet"]) == (None, 3)


def test_the_price_rule_list_is_ordered_by_priority_and_constant_in_queries(client, tenant_a, count_queries):
    service = _service(client, tenant_a)
    _post(client, tenant_a, "/api/v1/price-rules", {**XMAS, "priority": 50, "service_ids": [service["id"]]})
    client.get("/api/v1/me", headers=tenant_a.headers())
    with count_queries() as few:
        client.get("/api/v1/price-rules", headers=tenant_a.headers())
    for i in range(5):
        _post(client, tenant_a, "/api/v1/price-rules", {**XMAS, "name": f"Peak {i}", "priority": i,
                                                        "service_ids": [service["id"]]})
    with count_queries() as many:
        rules = client.get("/api/v1/price-rules", headers=tenant_a.headers()).json
    assert [r["priority"] for r in rules] == [0, 1, 2, 3, 4, 50]
    assert few.count == many.count


def test_deleting_a_rule_removes_it(client, tenant_a, tenant_b):
    rule = _post(client, tenant_a, "/api/v1/price-rules", XMAS).json
    assert client.delete(f"/api/v1/price-rules/{rule['id']}", headers=tenant_b.headers()).status_code == 404
    assert client.delete(f"/api/v1/price-rules/{rule['id']}", headers=tenant_a.headers(Role.MANAGER)).status_code == 204
    assert client.get("/api/v1/price-rules", headers=tenant_a.headers()).json == []


def test_every_catalog_schema_has_examples_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").json
    for path in ("/api/v1/services", "/api/v1/addons", "/api/v1/price-rules", "/api/v1/kennels", "/api/v1/quotes"):
        body = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        assert body.get("example"), path


def test_the_service_layer_refuses_unknown_list_values_whoever_calls_it(app, tenant_a):
    import pytest

    from app.core.errors import RuleViolation
    from app.services import catalog
    from app.tenancy import lookup_tenant, tenant_context

    with app.app_context(), app.test_request_context(), tenant_context(lookup_tenant(tenant_a.subdomain)):
        with pytest.raises(RuleViolation) as caught:
            catalog.create_service(**{**BOARDING, "kennel_types": ["IGLOO"], "allowed_species": ["DRAGON"]})
        assert {"kennel_types", "allowed_species"} <= set(caught.value.errors)
        with pytest.raises(RuleViolation) as caught:
            catalog.create_price_rule(**{**XMAS, "categories": ["SPA"]})
        assert "categories" in caught.value.errors


def test_an_absurd_percent_is_a_422_not_a_crash(client, tenant_a):
    from app.models import Role

    r = client.post("/api/v1/price-rules", headers=tenant_a.headers(Role.MANAGER),
                    json={"name": "Huge", "kind": "DAY_OF_WEEK", "amount_type": "PERCENT", "effect": "SURCHARGE",
                          "percent": -1.7976931348623157e+308})
    assert r.status_code == 422 and "percent" in r.json["errors"]


def test_renaming_to_a_taken_name_with_services_is_a_409(client, tenant_a):
    service = _service(client, tenant_a)
    body = {"price_cents": 800, "unit": "PER_DAY", "service_ids": [service["id"]]}
    _post(client, tenant_a, "/api/v1/addons", {"name": "Extra walk", **body})
    other = _post(client, tenant_a, "/api/v1/addons", {"name": "Bath", **body}).json
    r = _patch(client, tenant_a, f"/api/v1/addons/{other['id']}", {"name": "Extra walk", **body})
    assert r.status_code == 409 and "name" in r.json["errors"]
    rule = {"kind": "DAY_OF_WEEK", "effect": "SURCHARGE", "amount_type": "PERCENT", "percent": "10",
            "days_of_week": ["SAT"], "service_ids": [service["id"]]}
    _post(client, tenant_a, "/api/v1/price-rules", {"name": "Weekend", **rule})
    second = _post(client, tenant_a, "/api/v1/price-rules", {"name": "Saturday", **rule}).json
    r = _patch(client, tenant_a, f"/api/v1/price-rules/{second['id']}", {"name": "Weekend", **rule})
    assert r.status_code == 409 and "name" in r.json["errors"]
