"""Kennel pages: a board staff flip in one click, and the manager's inventory with bulk create."""
from app.models import Role
from tests.conftest import hx_headers, web_login

BULK = {"prefix": "A", "start": "1", "end": "5", "type": "RUN", "size": "M", "capacity": "2", "location": "Barn A",
        "min_weight_kg": "", "max_weight_kg": ""}


def _signed_in(client, fx, role=Role.MANAGER):
    web_login(client, fx, role)
    return hx_headers(client, fx)


def _kennels(client, fx, prefix="A", end=3):
    r = client.post("/api/v1/kennels/bulk", headers=fx.headers(Role.MANAGER),
                    json={"prefix": prefix, "start": 1, "end": end, "type": "RUN", "size": "M", "location": "Barn A"})
    return r.json


def test_staff_see_the_board_with_only_their_kennels(client, tenant_a, tenant_b):
    _kennels(client, tenant_a, "A")
    _kennels(client, tenant_b, "Z")
    web_login(client, tenant_a, Role.STAFF)
    html = client.get("/kennels/board", base_url=tenant_a.base_url).get_data(as_text=True)
    assert "A01" in html and "A03" in html and "Z01" not in html
    assert "Barn A" in html and 'aria-pressed="true"' in html


def test_one_click_flips_a_kennel_to_cleaning(client, tenant_a):
    kennel = _kennels(client, tenant_a)[0]
    headers = _signed_in(client, tenant_a, Role.STAFF)
    r = client.post(f"/kennels/{kennel['id']}/status", base_url=tenant_a.base_url, headers=headers,
                    data={"view": "card", "note": "", "status": "CLEANING"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and f'id="card-{kennel["id"]}"' in html and "kennel-cleaning" in html
    assert client.get(f"/api/v1/kennels/{kennel['id']}", headers=tenant_a.headers()).json["status"] == "CLEANING"


def test_a_plain_form_post_without_htmx_flips_and_returns_to_the_board(client, tenant_a):
    kennel = _kennels(client, tenant_a)[0]
    headers = _signed_in(client, tenant_a, Role.STAFF)
    r = client.post(f"/kennels/{kennel['id']}/status", base_url=tenant_a.base_url,
                    headers={"X-CSRFToken": headers["X-CSRFToken"]}, data={"view": "card", "status": "CLEANING"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/kennels/board")
    assert client.get(f"/api/v1/kennels/{kennel['id']}", headers=tenant_a.headers()).json["status"] == "CLEANING"


def test_maintenance_with_a_note_from_the_inventory_row(client, tenant_a):
    kennel = _kennels(client, tenant_a)[0]
    headers = _signed_in(client, tenant_a)
    r = client.post(f"/kennels/{kennel['id']}/status", base_url=tenant_a.base_url, headers=headers,
                    data={"view": "row", "note": "Drain blocked", "status": "MAINTENANCE"})
    assert r.status_code == 200 and f'id="row-{kennel["id"]}"' in r.get_data(as_text=True)
    body = client.get(f"/api/v1/kennels/{kennel['id']}", headers=tenant_a.headers()).json
    assert (body["status"], body["status_note"]) == ("MAINTENANCE", "Drain blocked")


def test_an_unknown_status_is_a_422_on_the_card(client, tenant_a):
    kennel = _kennels(client, tenant_a)[0]
    headers = _signed_in(client, tenant_a, Role.STAFF)
    r = client.post(f"/kennels/{kennel['id']}/status", base_url=tenant_a.base_url, headers=headers,
                    data={"view": "card", "status": "ON_FIRE"})
    assert r.status_code == 422 and "not changed" in r.get_data(as_text=True)


def test_staff_cannot_flip_another_tenants_kennel(client, tenant_a, tenant_b):
    kennel = _kennels(client, tenant_a)[0]
    headers = _signed_in(client, tenant_b, Role.STAFF)
    r = client.post(f"/kennels/{kennel['id']}/status", base_url=tenant_b.base_url, headers=headers,
                    data={"view": "card", "status": "MAINTENANCE"})
    assert r.status_code == 404
    assert client.get(f"/api/v1/kennels/{kennel['id']}", headers=tenant_a.headers()).json["status"] == "IN_SERVICE"


def test_staff_cannot_open_the_inventory(client, tenant_a):
    web_login(client, tenant_a, Role.STAFF)
    assert client.get("/kennels", base_url=tenant_a.base_url).status_code == 403


def test_a_manager_bulk_creates_a_numbered_run(client, tenant_a):
    headers = _signed_in(client, tenant_a)
    r = client.post("/kennels/bulk", base_url=tenant_a.base_url, headers=headers, data=BULK)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Added 5 kennels: A01 to A05." in html
    assert [k["code"] for k in client.get("/api/v1/kennels", headers=tenant_a.headers()).json] == [
        "A01", "A02", "A03", "A04", "A05"]


def test_bulk_create_over_existing_codes_is_refused_keeping_the_form(client, tenant_a):
    _kennels(client, tenant_a, end=2)
    headers = _signed_in(client, tenant_a)
    r = client.post("/kennels/bulk", base_url=tenant_a.base_url, headers=headers, data=BULK)
    html = r.get_data(as_text=True)
    assert r.status_code == 409 and "A01, A02" in html and 'value="Barn A"' in html
    r = client.post("/kennels/bulk", base_url=tenant_a.base_url, headers=headers, data={**BULK, "capacity": "0"})
    assert r.status_code == 422 and 'id="b-capacity-error"' in r.get_data(as_text=True)


def test_adding_one_kennel_with_capacity_zero_names_the_field(client, tenant_a):
    headers = _signed_in(client, tenant_a)
    data = {"code": "S01", "name": "Suite one", "type": "SUITE", "size": "L", "capacity": "0", "location": "",
            "sort_order": "0", "min_weight_kg": "", "max_weight_kg": ""}
    r = client.post("/kennels", base_url=tenant_a.base_url, headers=headers, data=data)
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and 'id="k-new-capacity-error"' in html and 'value="Suite one"' in html
    ok = client.post("/kennels", base_url=tenant_a.base_url, headers=headers, data={**data, "capacity": "2"})
    assert ok.status_code == 200 and "Added S01." in ok.get_data(as_text=True)


def test_editing_a_kennel_in_place(client, tenant_a):
    kennel = _kennels(client, tenant_a)[0]
    headers = _signed_in(client, tenant_a)
    form = client.get(f"/kennels/{kennel['id']}/edit", base_url=tenant_a.base_url, headers=headers)
    assert 'value="A01"' in form.get_data(as_text=True)
    r = client.post(f"/kennels/{kennel['id']}", base_url=tenant_a.base_url, headers=headers,
                    data={"code": "A01", "name": "Corner run", "type": "RUN", "size": "L", "capacity": "3",
                          "location": "Barn A", "sort_order": "1", "min_weight_kg": "", "max_weight_kg": "",
                          "active": ["false", "true"]})
    assert r.status_code == 200 and "Corner run" in r.get_data(as_text=True)
    assert client.get(f"/api/v1/kennels/{kennel['id']}", headers=tenant_a.headers()).json["capacity"] == 3


def test_the_board_is_a_constant_number_of_queries(client, tenant_a, count_queries):
    _kennels(client, tenant_a, end=2)
    web_login(client, tenant_a, Role.STAFF)
    client.get("/kennels/board", base_url=tenant_a.base_url)
    with count_queries() as few:
        client.get("/kennels/board", base_url=tenant_a.base_url)
    _kennels(client, tenant_a, "B", end=40)
    with count_queries() as many:
        html = client.get("/kennels/board", base_url=tenant_a.base_url).get_data(as_text=True)
    assert "B40" in html and few.count == many.count
