"""Quotes API: the server prices a stay from this tenant's catalog; other tenants' rows are 404."""
from app.models import Role


def _setup(client, fx, *, tax_rate="0.0825"):
    """Boarding at 50.00/night with a 25% deposit, an extra walk, a Christmas surcharge and a second-dog discount."""
    m = fx.headers(Role.MANAGER)
    etag = client.get("/api/v1/tenant", headers=fx.headers()).headers["ETag"]
    assert client.patch("/api/v1/tenant", headers=fx.headers(**{"If-Match": etag}),
                        json={"tax_rate": tax_rate}).status_code == 200
    service = client.post("/api/v1/services", headers=m, json={
        "name": "Boarding", "category": "BOARDING", "price_cents": 5000, "price_unit": "PER_NIGHT",
        "allowed_species": ["DOG"], "deposit_kind": "PERCENT", "deposit_percent": "25"}).json
    walk = client.post("/api/v1/addons", headers=m, json={"name": "Extra walk", "price_cents": 800, "unit": "PER_DAY",
                                                          "taxable": False, "service_ids": [service["id"]]}).json
    client.post("/api/v1/price-rules", headers=m, json={
        "name": "Christmas", "kind": "DATE_WINDOW", "effect": "SURCHARGE", "amount_type": "PERCENT", "percent": "20",
        "valid_from": "2026-12-20", "valid_to": "2026-12-26", "categories": ["BOARDING"], "priority": 1})
    client.post("/api/v1/price-rules", headers=m, json={
        "name": "Second dog", "kind": "ADDITIONAL_PET", "from_pet": 2, "effect": "DISCOUNT",
        "amount_type": "AMOUNT", "amount_cents": 1000, "service_ids": [service["id"]], "priority": 2})
    return service, walk


def _quote(client, fx, role=Role.STAFF, **body):
    return client.post("/api/v1/quotes", headers=fx.headers(role), json=body)


def test_staff_get_a_priced_breakdown(client, tenant_a):
    service, walk = _setup(client, tenant_a)
    r = _quote(client, tenant_a, service_id=service["id"], start_date="2026-12-25", end_date="2026-12-28",
               pets=[{"name": "Biscuit"}, {"name": "Pepper"}], addons=[{"addon_id": walk["id"], "quantity": 2}])
    assert r.status_code == 200, r.json
    q = r.json
    # Biscuit: Dec 25, 26 in the window (6000 each), Dec 27 not (5000) = 17000.
    # Pepper: the same minus 10.00 a night = 14000. Walk: 8.00 x 4 days x 2 = 64.00, not taxable.
    assert [line["amount_cents"] for line in q["stay_lines"]] == [6000, 6000, 5000, 5000, 5000, 4000]
    assert q["addon_lines"][0]["amount_cents"] == 6400
    assert (q["taxable_cents"], q["tax_cents"]) == (31000, 2558)  # 8.25% of 310.00 = 25.575 -> 25.58
    assert q["total_cents"] == 31000 + 6400 + 2558 == 39958
    assert q["deposit_cents"] == 9990  # 25% of 399.58 = 99.895 -> 99.90
    assert (q["currency"], q["unit"], q["units"], q["pets"]) == ("USD", "night", 3, 2)
    assert {(t["name"], t["amount_cents"]) for t in q["rule_totals"]} == {("Christmas", 4000), ("Second dog", -3000)}


def test_the_same_request_gives_the_same_quote(client, tenant_a):
    service, _ = _setup(client, tenant_a)
    body = {"service_id": service["id"], "start_date": "2026-12-18", "end_date": "2027-01-01"}
    assert _quote(client, tenant_a, **body).json == _quote(client, tenant_a, **body).json


def test_a_kennel_stay_with_no_nights_is_422_naming_the_end_date(client, tenant_a):
    service, _ = _setup(client, tenant_a)
    for end in ("2026-12-25", "2026-12-20", None):
        r = _quote(client, tenant_a, service_id=service["id"], start_date="2026-12-25", end_date=end)
        assert r.status_code == 422 and "end_date" in r.json["errors"], r.json


def test_a_species_the_service_does_not_take_is_422(client, tenant_a):
    service, _ = _setup(client, tenant_a)
    r = _quote(client, tenant_a, service_id=service["id"], start_date="2027-01-05", end_date="2027-01-06",
               pets=[{"name": "Tom", "species": "CAT"}])
    assert r.status_code == 422 and "pets" in r.json["errors"]


def test_bad_quote_input_names_the_field(client, tenant_a):
    service, _ = _setup(client, tenant_a)
    r = _quote(client, tenant_a, service_id="not-a-uuid", start_date="soon", pets=[], total_cents=1)
    assert r.status_code == 422
    assert {"service_id", "start_date", "pets", "total_cents"} <= set(r.json["errors"])
    r = _quote(client, tenant_a, service_id=service["id"], start_date="2027-01-05", end_date="2027-01-06",
               addons=[{"addon_id": service["id"], "quantity": 0}])
    assert r.status_code == 422 and "addons" in r.json["errors"]


def test_another_tenants_service_or_add_on_in_the_body_is_404(client, tenant_a, tenant_b):
    a_service, a_walk = _setup(client, tenant_a)
    b_service, _ = _setup(client, tenant_b)
    r = _quote(client, tenant_b, service_id=a_service["id"], start_date="2027-01-05", end_date="2027-01-06")
    assert r.status_code == 404 and "service_id" in r.json["errors"]
    r = _quote(client, tenant_b, service_id=b_service["id"], start_date="2027-01-05", end_date="2027-01-06",
               addons=[{"addon_id": a_walk["id"]}])
    assert r.status_code == 404 and "addons" in r.json["errors"]
    assert a_walk["name"] not in r.get_data(as_text=True) and a_walk["id"] in r.get_data(as_text=True)


def test_an_inactive_service_or_add_on_cannot_be_quoted(client, tenant_a):
    service, walk = _setup(client, tenant_a)
    client.delete(f"/api/v1/addons/{walk['id']}", headers=tenant_a.headers(Role.MANAGER))  # removed
    r = _quote(client, tenant_a, service_id=service["id"], start_date="2027-01-05", end_date="2027-01-06",
               addons=[{"addon_id": walk["id"]}])
    assert r.status_code == 404
    client.delete(f"/api/v1/services/{service['id']}", headers=tenant_a.headers(Role.MANAGER))  # rules refer to it
    r = _quote(client, tenant_a, service_id=service["id"], start_date="2027-01-05", end_date="2027-01-06")
    assert r.status_code == 422 and "service_id" in r.json["errors"]


def test_the_rule_combination_is_documented_on_the_quotes_operation(client):
    op = client.get("/api/v1/openapi.json").json["paths"]["/api/v1/quotes"]["post"]
    for phrase in ("Surcharges first", "Then discounts, in priority order", "never takes a line below zero",
                   "rounded half up", "Deposit"):
        assert phrase in op["description"], phrase


def test_a_quote_is_a_constant_number_of_queries(client, tenant_a, count_queries):
    service, walk = _setup(client, tenant_a)
    body = {"service_id": service["id"], "start_date": "2026-12-18", "end_date": "2026-12-20",
            "addons": [{"addon_id": walk["id"]}]}
    _quote(client, tenant_a, **body)
    with count_queries() as short:
        _quote(client, tenant_a, **body)
    with count_queries() as long:
        _quote(client, tenant_a, **{**body, "end_date": "2027-01-20", "pets": [{"name": n} for n in "ABCDE"]})
    assert short.count == long.count


def test_registered_pets_are_quoted_by_id_and_another_tenants_pet_is_404(client, tenant_a, tenant_b):
    service = client.get("/api/v1/services", headers=tenant_a.headers()).json
    if not service:
        service = [client.post("/api/v1/services", headers=tenant_a.headers(Role.MANAGER),
                               json={"name": "Daycare", "category": "DAYCARE", "price_cents": 3000,
                                     "price_unit": "PER_DAY"}).json]
    service_id = service[0]["id"]
    owner = client.post("/api/v1/customers", headers=tenant_a.headers(), json={"first_name": "A", "last_name": "B"}).json
    pet = client.post(f"/api/v1/customers/{owner['id']}/pets", headers=tenant_a.headers(),
                      json={"name": "Biscuit", "species": "DOG"}).json
    body = {"service_id": service_id, "start_date": "2026-12-23", "end_date": "2026-12-23",
            "pets": [{"pet_id": pet["id"]}]}
    ok = client.post("/api/v1/quotes", headers=tenant_a.headers(), json=body)
    assert ok.status_code == 200, ok.json
    assert "Biscuit" in ok.get_data(as_text=True)
    b_service = client.post("/api/v1/services", headers=tenant_b.headers(Role.MANAGER),
                            json={"name": "Daycare", "category": "DAYCARE", "price_cents": 3000,
                                  "price_unit": "PER_DAY"}).json
    crossed = client.post("/api/v1/quotes", headers=tenant_b.headers(), json={**body, "service_id": b_service["id"]})
    assert crossed.status_code == 404 and "pets" in crossed.json["errors"]


def _groom_and_addon(client, fx, *, addon_unit="PER_DAY"):
    m = fx.headers(Role.MANAGER)
    groom = client.post("/api/v1/services", headers=m, json={
        "name": "Groom", "category": "GROOMING", "price_cents": 6500, "price_unit": "FLAT"}).json
    addon = client.post("/api/v1/addons", headers=m, json={"name": "Brush", "price_cents": 500,
                                                           "unit": addon_unit}).json
    return groom, addon


def test_a_flat_service_with_an_end_date_is_422_naming_it_and_other_tenants_are_unaffected(client, tenant_a,
                                                                                           tenant_b):
    groom, addon = _groom_and_addon(client, tenant_a)
    r = _quote(client, tenant_a, service_id=groom["id"], start_date="2027-03-01", end_date="2037-03-01",
               addons=[{"addon_id": addon["id"], "quantity": 100}])
    assert r.status_code == 422 and "end_date" in r.json["errors"], r.json
    ok = _quote(client, tenant_a, service_id=groom["id"], start_date="2027-03-01",
                addons=[{"addon_id": addon["id"], "quantity": 2}])
    assert ok.status_code == 200, ok.json
    assert ok.json["addon_lines"][0]["units"] == 1 and ok.json["subtotal_cents"] == 6500 + 2 * 500
    # Tenant B cannot price A's service or add-on at all.
    crossed = _quote(client, tenant_b, service_id=groom["id"], start_date="2027-03-01")
    assert crossed.status_code == 404


def test_a_per_night_add_on_on_a_weekday_daycare_counts_days(client, tenant_a, tenant_b):
    m = tenant_a.headers(Role.MANAGER)
    daycare = client.post("/api/v1/services", headers=m, json={
        "name": "Daycare", "category": "DAYCARE", "price_cents": 3000, "price_unit": "PER_DAY"}).json
    nap = client.post("/api/v1/addons", headers=m, json={"name": "Nap", "price_cents": 200, "unit": "PER_NIGHT",
                                                         "taxable": False}).json
    r = _quote(client, tenant_a, service_id=daycare["id"], start_date="2027-03-01", end_date="2027-03-05",
               addons=[{"addon_id": nap["id"]}])
    assert r.status_code == 200, r.json
    assert (r.json["units"], r.json["addon_lines"][0]["units"]) == (5, 5)
    assert _quote(client, tenant_b, service_id=daycare["id"], start_date="2027-03-01").status_code == 404


def test_a_stay_longer_than_365_nights_and_a_quantity_over_100_are_422(client, tenant_a):
    service, walk = _setup(client, tenant_a)
    r = _quote(client, tenant_a, service_id=service["id"], start_date="2027-01-01", end_date="2028-01-02")
    assert r.status_code == 422 and "At most 365 nights" in r.json["errors"]["end_date"][0], r.json
    r = _quote(client, tenant_a, service_id=service["id"], start_date="2027-01-01", end_date="2027-01-03",
               addons=[{"addon_id": walk["id"], "quantity": 101}])
    assert r.status_code == 422 and "quantity" in r.json["errors"]["addons"]["0"], r.json


def test_the_same_pet_twice_is_422_naming_pets(client, tenant_a, tenant_b):
    m = tenant_a.headers(Role.MANAGER)
    daycare = client.post("/api/v1/services", headers=m, json={
        "name": "Daycare", "category": "DAYCARE", "price_cents": 3000, "price_unit": "PER_DAY"}).json
    client.post("/api/v1/price-rules", headers=m, json={
        "name": "Second dog", "kind": "ADDITIONAL_PET", "from_pet": 2, "effect": "DISCOUNT",
        "amount_type": "PERCENT", "percent": "50"})
    owner = client.post("/api/v1/customers", headers=tenant_a.headers(),
                        json={"first_name": "A", "last_name": "B"}).json
    pet = client.post(f"/api/v1/customers/{owner['id']}/pets", headers=tenant_a.headers(),
                      json={"name": "Biscuit", "species": "DOG"}).json
    r = _quote(client, tenant_a, service_id=daycare["id"], start_date="2027-03-01",
               pets=[{"pet_id": pet["id"]}, {"pet_id": pet["id"]}])
    assert r.status_code == 422 and "pets" in r.json["errors"], r.json
    assert pet["id"] in r.json["errors"]["pets"][0]
    # Tenant B sending A's pet id twice learns nothing more than "not found".
    b_daycare = client.post("/api/v1/services", headers=tenant_b.headers(Role.MANAGER), json={
        "name": "Daycare", "category": "DAYCARE", "price_cents": 3000, "price_unit": "PER_DAY"}).json
    r = _quote(client, tenant_b, service_id=b_daycare["id"], start_date="2027-03-01", pets=[{"pet_id": pet["id"]}])
    assert r.status_code == 404
