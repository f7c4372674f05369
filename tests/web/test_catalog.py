"""Catalog settings pages: services, add-ons, price rules and the try-it quote panel."""
from app.models import Role
from tests.conftest import hx_headers, web_login

SERVICE_FORM = {"name": "Boarding - run", "category": "BOARDING", "price": "45.00", "price_unit": "PER_NIGHT",
                "needs_kennel": ["false", "true"], "taxable": ["false", "true"], "kennel_types": ["", "RUN", "SUITE"],
                "allowed_species": ["", "DOG"], "deposit_kind": "NONE", "deposit_percent": "", "deposit": "",
                "duration_minutes": "", "sort_order": "0", "description": ""}


def _signed_in(client, fx, role=Role.MANAGER):
    web_login(client, fx, role)
    return hx_headers(client, fx)


def _api_service(client, fx, **extra):
    body = {"name": "Boarding", "category": "BOARDING", "price_cents": 5000, "price_unit": "PER_NIGHT", **extra}
    return client.post("/api/v1/services", headers=fx.headers(Role.MANAGER), json=body).json


def test_staff_cannot_open_the_catalog_settings(client, tenant_a):
    web_login(client, tenant_a, Role.STAFF)
    for path in ("/catalog/services", "/catalog/addons", "/catalog/price-rules"):
        assert client.get(path, base_url=tenant_a.base_url).status_code == 403


def test_the_services_page_lists_only_this_tenants_services(client, tenant_a, tenant_b):
    _api_service(client, tenant_a, name="Alpha suite")
    _api_service(client, tenant_b, name="Bravo suite")
    web_login(client, tenant_a, Role.MANAGER)
    html = client.get("/catalog/services", base_url=tenant_a.base_url).get_data(as_text=True)
    assert "Alpha suite" in html and "Bravo suite" not in html
    assert '<label for="s-new-price">' in html  # every input is labelled


def test_adding_a_service_converts_the_typed_price_to_cents(client, tenant_a):
    headers = _signed_in(client, tenant_a)
    r = client.post("/catalog/services", base_url=tenant_a.base_url, headers=headers, data=SERVICE_FORM)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Added Boarding - run." in html and 'hx-swap-oob="beforeend:#service-rows"' in html
    service = client.get("/api/v1/services", headers=tenant_a.headers()).json[0]
    assert (service["price_cents"], service["kennel_types"], service["allowed_species"]) == (4500, ["RUN", "SUITE"],
                                                                                            ["DOG"])


def test_bad_service_input_comes_back_as_a_422_fragment_keeping_what_was_typed(client, tenant_a):
    headers = _signed_in(client, tenant_a)
    r = client.post("/catalog/services", base_url=tenant_a.base_url, headers=headers,
                    data={**SERVICE_FORM, "name": "Typed name", "price": "-4.5", "price_unit": "PER_WEEK"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "<html" not in html
    assert 'id="s-new-price-error"' in html and 'id="s-new-price_unit-error"' in html
    assert 'value="Typed name"' in html and 'value="-4.5"' in html
    assert client.get("/api/v1/services", headers=tenant_a.headers()).json == []


def test_a_price_with_three_decimals_is_refused_not_rounded(client, tenant_a):
    headers = _signed_in(client, tenant_a)
    r = client.post("/catalog/services", base_url=tenant_a.base_url, headers=headers,
                    data={**SERVICE_FORM, "price": "45.005"})
    assert r.status_code == 422 and 'id="s-new-price-error"' in r.get_data(as_text=True)


def test_editing_a_service_in_place(client, tenant_a):
    service = _api_service(client, tenant_a)
    headers = _signed_in(client, tenant_a)
    form = client.get(f"/catalog/services/{service['id']}/edit", base_url=tenant_a.base_url, headers=headers)
    html = form.get_data(as_text=True)
    assert f'id="service-{service["id"]}"' in html and 'value="50.00"' in html
    r = client.post(f"/catalog/services/{service['id']}", base_url=tenant_a.base_url, headers=headers,
                    data={**SERVICE_FORM, "name": "Boarding", "price": "52.50", "active": ["false", "true"]})
    assert r.status_code == 200 and "52.50" in r.get_data(as_text=True)
    assert client.get(f"/api/v1/services/{service['id']}", headers=tenant_a.headers()).json["price_cents"] == 5250


def test_a_manager_cannot_touch_another_tenants_service(client, tenant_a, tenant_b):
    service = _api_service(client, tenant_a)
    headers = _signed_in(client, tenant_b)
    assert client.get(f"/catalog/services/{service['id']}/edit", base_url=tenant_b.base_url,
                      headers=headers).status_code == 404
    r = client.post(f"/catalog/services/{service['id']}", base_url=tenant_b.base_url, headers=headers,
                    data={**SERVICE_FORM, "price": "1.00"})
    assert r.status_code == 404
    assert client.post(f"/catalog/services/{service['id']}/delete", base_url=tenant_b.base_url,
                       headers=headers).status_code == 404
    assert client.get(f"/api/v1/services/{service['id']}", headers=tenant_a.headers()).json["price_cents"] == 5000


def test_removing_a_referenced_service_keeps_it_inactive(client, tenant_a):
    service = _api_service(client, tenant_a)
    client.post("/api/v1/addons", headers=tenant_a.headers(Role.MANAGER),
                json={"name": "Walk", "price_cents": 800, "unit": "PER_DAY", "service_ids": [service["id"]]})
    headers = _signed_in(client, tenant_a)
    r = client.post(f"/catalog/services/{service['id']}/delete", base_url=tenant_a.base_url, headers=headers)
    assert r.status_code == 200 and "Inactive" in r.get_data(as_text=True)


def test_adding_an_add_on_for_some_services(client, tenant_a):
    service = _api_service(client, tenant_a)
    headers = _signed_in(client, tenant_a)
    r = client.post("/catalog/addons", base_url=tenant_a.base_url, headers=headers,
                    data={"name": "Bath at check-out", "price": "20", "unit": "PER_STAY", "taxable": ["false", "true"],
                          "service_ids": ["", service["id"]], "sort_order": "0", "description": ""})
    assert r.status_code == 200 and "Added Bath at check-out." in r.get_data(as_text=True)
    addon = client.get("/api/v1/addons", headers=tenant_a.headers()).json[0]
    assert (addon["price_cents"], addon["service_ids"]) == (2000, [service["id"]])


def test_a_price_rule_form_names_bad_percent_and_backwards_window(client, tenant_a):
    headers = _signed_in(client, tenant_a)
    base = {"name": "Christmas", "kind": "DATE_WINDOW", "effect": "SURCHARGE", "amount_type": "PERCENT",
            "priority": "10", "active": ["false", "true"], "days_of_week": [""], "categories": ["", "BOARDING"],
            "service_ids": [""], "amount": "", "min_nights": "", "from_pet": ""}
    r = client.post("/catalog/price-rules", base_url=tenant_a.base_url, headers=headers,
                    data={**base, "percent": "150", "valid_from": "2026-12-20", "valid_to": "2027-01-02"})
    assert r.status_code == 422 and 'id="r-new-percent-error"' in r.get_data(as_text=True)
    r = client.post("/catalog/price-rules", base_url=tenant_a.base_url, headers=headers,
                    data={**base, "percent": "20", "valid_from": "2026-12-20", "valid_to": "2026-12-01"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and 'id="r-new-valid_to-error"' in html and "ends before it starts" in html
    assert 'value="2026-12-01"' in html
    ok = client.post("/catalog/price-rules", base_url=tenant_a.base_url, headers=headers,
                     data={**base, "percent": "20", "valid_from": "2026-12-20", "valid_to": "2027-01-02"})
    assert ok.status_code == 200 and "Added Christmas." in ok.get_data(as_text=True)


def test_the_try_it_panel_prices_a_sample_stay_on_the_server(client, tenant_a):
    service = _api_service(client, tenant_a)
    client.post("/api/v1/price-rules", headers=tenant_a.headers(Role.MANAGER), json={
        "name": "Christmas", "kind": "DATE_WINDOW", "effect": "SURCHARGE", "amount_type": "PERCENT",
        "percent": "20", "valid_from": "2026-12-24", "valid_to": "2026-12-26"})
    headers = _signed_in(client, tenant_a)
    page = client.get("/catalog/price-rules", base_url=tenant_a.base_url).get_data(as_text=True)
    assert 'id="try-it"' in page and "How rules combine" in page
    r = client.post("/catalog/quote", base_url=tenant_a.base_url, headers=headers,
                    data={"service_id": service["id"], "start_date": "2026-12-23", "end_date": "2026-12-25",
                          "dogs": "1", "cats": "0"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="quote-total">110.00<' in html and "Christmas: +10.00" in html


def test_the_try_it_panel_explains_a_stay_with_no_nights_next_to_the_field(client, tenant_a):
    service = _api_service(client, tenant_a)
    headers = _signed_in(client, tenant_a)
    r = client.post("/catalog/quote", base_url=tenant_a.base_url, headers=headers,
                    data={"service_id": service["id"], "start_date": "2026-12-23", "end_date": "2026-12-23",
                          "dogs": "2", "cats": "0"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "at least one night" in html.split('id="q-end_date-error"')[1].split("</small>")[0]
    assert 'hx-swap-oob="true"' in html and 'name="dogs"' not in html  # only error slots: typing is never replaced


def test_staff_may_use_the_quote_panel_endpoint(client, tenant_a):
    service = _api_service(client, tenant_a)
    headers = _signed_in(client, tenant_a, Role.STAFF)
    r = client.post("/catalog/quote", base_url=tenant_a.base_url, headers=headers,
                    data={"service_id": service["id"], "start_date": "2027-01-04", "end_date": "2027-01-05",
                          "dogs": "1"})
    assert r.status_code == 200 and 'id="quote-total">50.00<' in r.get_data(as_text=True)


def test_the_try_it_panel_cannot_price_another_tenants_service(client, tenant_a, tenant_b):
    service = _api_service(client, tenant_a)
    headers = _signed_in(client, tenant_b)
    r = client.post("/catalog/quote", base_url=tenant_b.base_url, headers=headers,
                    data={"service_id": service["id"], "start_date": "2027-01-04", "end_date": "2027-01-05",
                          "dogs": "1"})
    assert r.status_code == 404 and "Boarding" not in r.get_data(as_text=True)


def test_the_price_rules_page_is_a_constant_number_of_queries(client, tenant_a, count_queries):
    service = _api_service(client, tenant_a)
    rule = {"kind": "LENGTH_OF_STAY", "min_nights": 7, "effect": "DISCOUNT", "amount_type": "PERCENT",
            "percent": "5", "service_ids": [service["id"]]}
    client.post("/api/v1/price-rules", headers=tenant_a.headers(Role.MANAGER), json={**rule, "name": "R"})
    client.post("/api/v1/addons", headers=tenant_a.headers(Role.MANAGER),
                json={"name": "A", "price_cents": 100, "unit": "PER_USE", "service_ids": [service["id"]]})
    web_login(client, tenant_a, Role.MANAGER)
    client.get("/catalog/price-rules", base_url=tenant_a.base_url)
    with count_queries() as few:
        client.get("/catalog/price-rules", base_url=tenant_a.base_url)
    for i in range(5):
        _api_service(client, tenant_a, name=f"S{i}")
        client.post("/api/v1/price-rules", headers=tenant_a.headers(Role.MANAGER), json={**rule, "name": f"R{i}"})
        client.post("/api/v1/addons", headers=tenant_a.headers(Role.MANAGER),
                    json={"name": f"A{i}", "price_cents": 100, "unit": "PER_USE", "service_ids": [service["id"]]})
    with count_queries() as many:
        client.get("/catalog/price-rules", base_url=tenant_a.base_url)
    assert few.count == many.count


def test_a_taken_service_name_is_shown_next_to_the_name_field(client, tenant_a):
    _api_service(client, tenant_a, name="Boarding - run")
    headers = _signed_in(client, tenant_a)
    r = client.post("/catalog/services", base_url=tenant_a.base_url, headers=headers, data=SERVICE_FORM)
    html = r.get_data(as_text=True)
    assert r.status_code == 409 and "<html" not in html and 'id="s-new-name-error"' in html
    assert "HX-Retarget" not in r.headers  # the form itself shows it, not the notice area
