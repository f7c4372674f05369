"""Reservations API: booking, reads, edits with a preview, moves and the lifecycle over HTTP, for two tenants."""
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.core.extensions import db
from app.models import KennelNight, Reservation, Role, ServiceDay
from app.tenancy import unscoped

DOG_SHOTS = ("Rabies", "DHPP", "Bordetella")


def day(offset: int = 0) -> str:
    """A date `offset` days from today in the test tenants' timezone (UTC), as the API spells it."""
    return (datetime.now(UTC).date() + timedelta(days=offset)).isoformat()


def _ok(r, status=201):
    assert r.status_code == status, r.json
    return r.json


def _vaccinate(client, fx, pet_id, vaccines=DOG_SHOTS):
    for vaccine in vaccines:
        _ok(client.post(f"/api/v1/pets/{pet_id}/vaccinations", headers=fx.headers(),
                        json={"vaccine": vaccine, "given_on": day(-30), "expires_on": day(700)}))


def make_world(client, fx) -> dict:
    """Boarding in runs (dogs), daycare with 2 places a day, grooming (FLAT); kennels A01 (1 place, 20 kg), A02 (2)
    and a cat condo; the Smiths (Rex, Bella, a cat Tom) and the Joneses (Max), vaccinated; Nova with no vaccines."""
    m = fx.headers(Role.MANAGER)
    boarding = _ok(client.post("/api/v1/services", headers=m, json={
        "name": "Boarding", "category": "BOARDING", "price_cents": 5000, "price_unit": "PER_NIGHT",
        "kennel_types": ["RUN"], "allowed_species": ["DOG"], "deposit_kind": "PERCENT", "deposit_percent": "25"}))
    daycare = _ok(client.post("/api/v1/services", headers=m, json={
        "name": "Daycare", "category": "DAYCARE", "price_cents": 3000, "price_unit": "PER_DAY",
        "allowed_species": ["DOG"], "daily_capacity": 2}))
    grooming = _ok(client.post("/api/v1/services", headers=m, json={
        "name": "Bath", "category": "GROOMING", "price_cents": 4000, "price_unit": "FLAT", "duration_minutes": 60}))
    walk = _ok(client.post("/api/v1/addons", headers=m, json={"name": "Extra walk", "price_cents": 800,
                                                               "unit": "PER_DAY", "service_ids": [boarding["id"]]}))
    nails = _ok(client.post("/api/v1/addons", headers=m, json={"name": "Nail trim", "price_cents": 1500,
                                                                "unit": "PER_STAY", "service_ids": [grooming["id"]]}))
    a01 = _ok(client.post("/api/v1/kennels", headers=m, json={"code": "A01", "type": "RUN", "size": "M",
                                                               "capacity": 1, "max_weight_kg": "20.0"}))
    a02 = _ok(client.post("/api/v1/kennels", headers=m, json={"code": "A02", "type": "RUN", "size": "L",
                                                               "capacity": 2}))
    c01 = _ok(client.post("/api/v1/kennels", headers=m, json={"code": "C01", "type": "CAT_CONDO", "size": "S",
                                                               "capacity": 1}))
    smith = _ok(client.post("/api/v1/customers", headers=m, json={"first_name": "Ann", "last_name": "Smith"}))
    jones = _ok(client.post("/api/v1/customers", headers=m, json={"first_name": "Bob", "last_name": "Jones"}))
    pet = lambda owner, name, species="DOG": _ok(client.post(  # noqa: E731
        f"/api/v1/customers/{owner['id']}/pets", headers=m, json={"name": name, "species": species}))
    rex, bella, tom, max_, nova = (pet(smith, "Rex"), pet(smith, "Bella"), pet(smith, "Tom", "CAT"),
                                   pet(jones, "Max"), pet(jones, "Nova"))
    for dog in (rex, bella, max_):
        _vaccinate(client, fx, dog["id"])
    _vaccinate(client, fx, tom["id"], ("Rabies", "FVRCP"))
    ids = {"boarding": boarding, "daycare": daycare, "grooming": grooming, "walk": walk, "nails": nails,
           "a01": a01, "a02": a02, "c01": c01, "smith": smith, "jones": jones, "rex": rex, "bella": bella,
           "tom": tom, "max": max_, "nova": nova}
    return {name: row["id"] for name, row in ids.items()}


@pytest.fixture
def world(client, tenant_a, tenant_b):
    w = make_world(client, tenant_a)
    w["b"] = make_world(client, tenant_b)
    return w


def booking(w, customer="smith", pets=("rex",), start=1, end=3, *, kennel=None, service="boarding", **extra):
    """A create body in world w (kennel: one for every pet)."""
    body = {"customer_id": w[customer], "service_id": w[service], "start_date": day(start),
            "pets": [{"pet_id": w[p], **({"kennel_id": w[kennel]} if kennel else {})} for p in pets], **extra}
    if end is not None:
        body["end_date"] = day(end)
    return body


def book(client, fx, body, role=Role.STAFF, **headers):
    return client.post("/api/v1/reservations", headers=fx.headers(role, **headers), json=body)


def counts(app, fx) -> tuple[int, int, int]:
    """(reservations, kennel_nights, service_days) tenant fx owns, read as operator code."""
    with app.app_context(), unscoped():
        return tuple(db.session.execute(select(func.count()).select_from(m).where(m.tenant_id == fx.id)).scalar_one()
                     for m in (Reservation, KennelNight, ServiceDay))


def etag(client, fx, reservation_id) -> str:
    return client.get(f"/api/v1/reservations/{reservation_id}", headers=fx.headers()).headers["ETag"]


def act(client, fx, reservation_id, action, body=None, role=Role.STAFF, **headers):
    return client.post(f"/api/v1/reservations/{reservation_id}/{action}", headers=fx.headers(role, **headers),
                       json=body or {})


# --- create and read -------------------------------------------------------------------------


def test_booking_answers_201_with_location_etag_kennels_and_the_price(app, client, world, tenant_a):
    body = booking(world, kennel="a02", arrival_time="09:30", addons=[{"addon_id": world["walk"], "quantity": 1}],
                   notes="Own bed")
    r = book(client, tenant_a, body)
    res = _ok(r)
    assert r.headers["Location"] == f"/api/v1/reservations/{res['id']}"
    assert r.headers["ETag"] == f'"{res["id"]}-{res["version"]}"'
    assert res["status"] == "PENDING" and res["source"] == "API" and len(res["confirmation_code"]) == 6
    assert (res["customer_id"], res["service_id"]) == (world["smith"], world["boarding"])
    assert (res["start_date"], res["end_date"], res["arrival_time"]) == (day(1), day(3), "09:30:00")
    assert res["pets"] == [{"pet_id": world["rex"], "pet_name": "Rex", "kennel_id": world["a02"], "kennel_code": "A02"}]
    assert res["addons"] == [{"addon_id": world["walk"], "name": "Extra walk", "quantity": 1}]
    # 2 nights x 50.00 + walk 8.00 x 3 days (untaxed tenant) = 124.00; deposit 25% = 31.00.
    assert res["quote"]["total_cents"] == 12400 and res["total"] == "124.00" and res["deposit_due"] == "31.00"
    assert res["currency"] == "USD" and res["quote"]["stay_lines"][0]["pet"] == "Rex"
    assert res["assignment"][0]["kennel_code"] == "A02" and "chosen by staff" in res["assignment"][0]["explanation"]
    assert res["vaccine_warnings"] == [] and res["created_by"] and res["created_at"]
    assert res["allowed_actions"] == ["CANCELLED", "CONFIRMED", "NO_SHOW"]
    read = client.get(r.headers["Location"], headers=tenant_a.headers())
    assert read.status_code == 200 and read.headers["ETag"] == r.headers["ETag"]
    assert read.json["pets"] == res["pets"] and read.json["total"] == "124.00"
    assert counts(app, tenant_a) == (1, 2, 0)


def test_auto_assignment_explains_its_choice_and_keeps_siblings_together(client, world, tenant_a):
    one = _ok(book(client, tenant_a, booking(world)))
    assert one["pets"][0]["kennel_code"] == "A01" and "smallest" in one["assignment"][0]["explanation"]
    both = _ok(book(client, tenant_a, booking(world, pets=("rex", "bella"), start=5, end=7, together=True,
                                              confirm=True)))
    assert {p["kennel_code"] for p in both["pets"]} == {"A02"} and both["status"] == "CONFIRMED"
    assert "together" in both["assignment"][0]["explanation"] and both["confirmed_by"]


def test_daycare_holds_daily_places_and_grooming_takes_one_date(app, client, world, tenant_a):
    care = _ok(book(client, tenant_a, booking(world, pets=("rex", "bella"), start=1, end=2, service="daycare")))
    assert care["pets"][0]["kennel_id"] is None and care["quote"]["units"] == 2
    groom = _ok(book(client, tenant_a, booking(world, start=1, end=None, service="grooming",
                                               addons=[{"addon_id": world["nails"], "quantity": 1}])))
    assert groom["start_date"] == groom["end_date"] == day(1) and groom["total"] == "55.00"
    assert counts(app, tenant_a) == (2, 0, 4)


def test_a_full_kennel_is_a_409_naming_the_kennel_and_the_nights(app, client, world, tenant_a):
    _ok(book(client, tenant_a, booking(world, kennel="a01")))
    r = book(client, tenant_a, booking(world, customer="jones", pets=("max",), start=2, end=4, kennel="a01"))
    assert r.status_code == 409 and "A01" in r.json["message"] and day(2) in r.json["message"]
    assert r.json["kennel"] == "A01" and r.json["nights"] == [day(2)]
    assert counts(app, tenant_a) == (1, 2, 0)


def test_a_stay_ending_the_morning_another_begins_fits(client, world, tenant_a):
    _ok(book(client, tenant_a, booking(world, kennel="a01")))
    _ok(book(client, tenant_a, booking(world, customer="jones", pets=("max",), start=3, end=5, kennel="a01")))


# --- list -------------------------------------------------------------------------------------


def _ids(r) -> set[str]:
    assert r.status_code == 200, r.json
    return {row["id"] for row in r.json}


def test_the_list_filters_by_dates_status_customer_pet_kennel_service_and_code(client, world, tenant_a):
    early = _ok(book(client, tenant_a, booking(world, kennel="a01")))
    later = _ok(book(client, tenant_a, booking(world, customer="jones", pets=("max",), start=10, end=12,
                                               kennel="a02", confirm=True)))
    care = _ok(book(client, tenant_a, booking(world, pets=("bella",), start=4, end=4, service="daycare")))
    get = lambda query: _ids(client.get(f"/api/v1/reservations?{query}", headers=tenant_a.headers()))  # noqa: E731
    assert get("") == {early["id"], later["id"], care["id"]}
    assert get(f"start_date={day(4)}&end_date={day(9)}") == {care["id"]}
    assert get(f"end_date={day(3)}") == {early["id"]}
    assert get("status=CONFIRMED") == {later["id"]}
    assert get("status=CONFIRMED&status=PENDING") == {early["id"], later["id"], care["id"]}
    assert get(f"customer_id={world['jones']}") == {later["id"]}
    assert get(f"pet_id={world['bella']}") == {care["id"]}
    assert get(f"kennel_id={world['a01']}") == {early["id"]}
    assert get(f"service_id={world['daycare']}") == {care["id"]}
    assert get(f"confirmation_code={later['confirmation_code'].lower()}") == {later["id"]}
    page = client.get("/api/v1/reservations?page=1&page_size=2", headers=tenant_a.headers())
    assert len(page.json) == 2 and '"total": 3' in page.headers["X-Pagination"]


@pytest.mark.parametrize("query", ["status=LOST", "start_date=2026-02-30", "pet_id=nope", "colour=red",
                                   f"start_date={day(5)}&end_date={day(1)}"])
def test_a_bad_list_filter_is_a_422_naming_it(client, world, tenant_a, query):
    r = client.get(f"/api/v1/reservations?{query}", headers=tenant_a.headers())
    name = query.split("=")[0] if "&" not in query else "end_date"
    assert r.status_code == 422 and name in r.json["errors"], r.json


def test_the_list_runs_the_same_statements_for_one_row_or_many(client, world, tenant_a, count_queries):
    def measure() -> int:
        client.get("/api/v1/reservations", headers=tenant_a.headers())  # warm the tenant and key caches
        with count_queries() as n:
            r = client.get("/api/v1/reservations?page_size=100", headers=tenant_a.headers())
        assert r.status_code == 200
        return n.count

    # Every relation the page loads is present from the first row (kennel, add-on), so only row counts change.
    _ok(book(client, tenant_a, booking(world, kennel="a01", addons=[{"addon_id": world["walk"], "quantity": 1}])))
    few = measure()
    for n in range(5, 25, 3):
        _ok(book(client, tenant_a, booking(world, pets=("rex", "bella"), start=n, end=n + 2, kennel="a02",
                                           addons=[{"addon_id": world["walk"], "quantity": 1}])))
        _ok(book(client, tenant_a, booking(world, customer="jones", pets=("max",), start=n, end=n + 1,
                                           kennel="a01")))
        _ok(book(client, tenant_a, booking(world, customer="jones", pets=("max",), start=n, end=n,
                                           service="daycare")))
    assert len(client.get("/api/v1/reservations?page_size=100", headers=tenant_a.headers()).json) == 22
    assert measure() == few


# --- edit, preview, move ----------------------------------------------------------------------


def test_patch_needs_if_match_reprices_and_moves_the_version(app, client, world, tenant_a):
    res = _ok(book(client, tenant_a, booking(world, kennel="a01")))
    path = f"/api/v1/reservations/{res['id']}"
    assert client.patch(path, headers=tenant_a.headers(), json={"end_date": day(4)}).status_code == 428
    tag = etag(client, tenant_a, res["id"])
    r = client.patch(path, headers=tenant_a.headers(**{"If-Match": tag}), json={"end_date": day(4)})
    edited = _ok(r, 200)
    assert edited["total"] == "150.00" and edited["version"] == res["version"] + 1
    assert r.headers["ETag"] == f'"{res["id"]}-{edited["version"]}"' and edited["pets"][0]["kennel_code"] == "A01"
    assert client.patch(path, headers=tenant_a.headers(**{"If-Match": tag}), json={"notes": "x"}).status_code == 412
    assert counts(app, tenant_a) == (1, 3, 0)


def test_an_edit_into_a_taken_kennel_is_a_409_and_changes_nothing(app, client, world, tenant_a):
    res = _ok(book(client, tenant_a, booking(world, kennel="a01")))
    _ok(book(client, tenant_a, booking(world, customer="jones", pets=("max",), start=4, end=6, kennel="a01")))
    r = client.patch(f"/api/v1/reservations/{res['id']}", json={"end_date": day(5)},
                     headers=tenant_a.headers(**{"If-Match": etag(client, tenant_a, res["id"])}))
    assert r.status_code == 409 and "A01" in r.json["message"] and day(4) in r.json["message"]
    after = client.get(f"/api/v1/reservations/{res['id']}", headers=tenant_a.headers()).json
    assert (after["end_date"], after["total"], after["version"]) == (day(3), res["total"], res["version"])
    assert counts(app, tenant_a) == (2, 4, 0)


def test_the_preview_reprices_without_saving(app, client, world, tenant_a):
    res = _ok(book(client, tenant_a, booking(world, kennel="a01")))
    r = act(client, tenant_a, res["id"], "preview", {"end_date": day(5),
                                                     "addons": [{"addon_id": world["walk"], "quantity": 1}]})
    preview = _ok(r, 200)
    # 4 nights x 50.00 + a walk on each of 5 days x 8.00.
    assert preview["current"]["total_cents"] == 10000 and preview["proposed"]["total_cents"] == 20000 + 4000
    assert preview["difference_cents"] == 14000 and preview["difference"] == "140.00"
    after = client.get(f"/api/v1/reservations/{res['id']}", headers=tenant_a.headers()).json
    assert (after["end_date"], after["total"], after["version"], after["addons"]) == (day(3), "100.00",
                                                                                     res["version"], [])
    assert counts(app, tenant_a) == (1, 2, 0)


def test_a_move_rechecks_the_new_kennel_and_answers_the_reservation(app, client, world, tenant_a):
    res = _ok(book(client, tenant_a, booking(world, start=1, end=4, kennel="a01")))
    moved = _ok(act(client, tenant_a, res["id"], "move", {"pet_id": world["rex"], "kennel_id": world["a02"],
                                                          "from_date": day(2)}), 200)
    assert moved["pets"][0]["kennel_code"] == "A02" and moved["version"] == res["version"] + 1
    _ok(book(client, tenant_a, booking(world, customer="jones", pets=("max",), start=2, end=3, kennel="a01")))
    back = act(client, tenant_a, res["id"], "move", {"pet_id": world["rex"], "kennel_id": world["a01"]})
    assert back.status_code == 409 and "A01" in back.json["message"]
    cat = act(client, tenant_a, res["id"], "move", {"pet_id": world["rex"], "kennel_id": world["c01"]})
    assert cat.status_code == 422 and "C01" in str(cat.json["errors"])
    assert counts(app, tenant_a) == (2, 4, 0)


# --- the lifecycle over HTTP ------------------------------------------------------------------


def test_a_stay_goes_through_its_whole_lifecycle(app, client, world, tenant_a):
    res = _ok(book(client, tenant_a, booking(world, start=0, end=2, kennel="a01")))
    tag = etag(client, tenant_a, res["id"])
    confirmed = _ok(act(client, tenant_a, res["id"], "confirm", **{"If-Match": tag}), 200)
    assert confirmed["status"] == "CONFIRMED" and confirmed["allowed_actions"] == ["CANCELLED", "CHECKED_IN",
                                                                                   "NO_SHOW"]
    assert act(client, tenant_a, res["id"], "check-in", **{"If-Match": tag}).status_code == 412  # stale
    checked_in = _ok(act(client, tenant_a, res["id"], "check-in", {
        "belongings": ["Blanket"], "feeding_confirmed": True, "notes": "Happy",
        "medications": [{"pet_id": world["rex"], "name": "Apoquel", "dose": "16 mg"}]}), 200)
    assert checked_in["status"] == "CHECKED_IN" and checked_in["belongings"] == ["Blanket"]
    assert checked_in["stay_medications"][0]["name"] == "Apoquel" and checked_in["checked_in_at"]
    refused = act(client, tenant_a, res["id"], "check-out")
    assert refused.status_code == 422 and "belongings_returned" in refused.json["errors"]
    done = _ok(act(client, tenant_a, res["id"], "check-out", {"belongings_returned": True}), 200)
    assert done["status"] == "CHECKED_OUT" and done["allowed_actions"] == [] and done["checked_out_by"]
    assert counts(app, tenant_a) == (1, 0, 0)  # places released


def test_an_illegal_transition_is_a_409_naming_both_statuses(client, world, tenant_a):
    res = _ok(book(client, tenant_a, booking(world)))
    r = act(client, tenant_a, res["id"], "check-out", {"belongings_returned": True})
    assert r.status_code == 409 and "PENDING" in r.json["message"] and "CHECKED_OUT" in r.json["message"]
    assert (r.json["current_status"], r.json["requested_status"]) == ("PENDING", "CHECKED_OUT")
    _ok(act(client, tenant_a, res["id"], "cancel", {"reason": "Changed plans"}), 200)
    again = act(client, tenant_a, res["id"], "confirm")
    assert again.status_code == 409 and "CANCELLED" in again.json["message"] and "CONFIRMED" in again.json["message"]


def test_cancel_needs_a_reason_and_frees_the_places(app, client, world, tenant_a):
    res = _ok(book(client, tenant_a, booking(world, kennel="a01")))
    missing = act(client, tenant_a, res["id"], "cancel", {})
    assert missing.status_code == 422 and "reason" in missing.json["errors"]
    blank = act(client, tenant_a, res["id"], "cancel", {"reason": "  "})
    assert blank.status_code == 422 and "reason" in blank.json["errors"]
    assert counts(app, tenant_a) == (1, 2, 0)
    cancelled = _ok(act(client, tenant_a, res["id"], "cancel", {"reason": "Owner ill"}), 200)
    assert cancelled["status"] == "CANCELLED" and cancelled["cancel_reason"] == "Owner ill"
    assert counts(app, tenant_a) == (1, 0, 0)
    _ok(book(client, tenant_a, booking(world, customer="jones", pets=("max",), kennel="a01")))


def test_check_in_before_the_arrival_date_is_refused(client, world, tenant_a):
    res = _ok(book(client, tenant_a, booking(world, start=2, end=4, confirm=True)))
    r = act(client, tenant_a, res["id"], "check-in")
    assert r.status_code == 409 and day(2) in r.json["message"]
    assert client.get(f"/api/v1/reservations/{res['id']}", headers=tenant_a.headers()).json["status"] == "CONFIRMED"


def test_a_no_show_only_after_the_arrival_time(client, world, tenant_a):
    future = _ok(book(client, tenant_a, booking(world, start=1, end=2)))
    early = act(client, tenant_a, future["id"], "no-show")
    assert early.status_code == 409 and "not passed" in early.json["message"]
    past = _ok(book(client, tenant_a, booking(world, pets=("bella",), start=-1, end=1, kennel="a02")))
    gone = _ok(act(client, tenant_a, past["id"], "no-show"), 200)
    assert gone["status"] == "NO_SHOW" and gone["no_show_by"]


def test_the_vaccine_gate_blocks_check_in_unless_a_manager_overrides(app, client, world, tenant_a):
    body = booking(world, customer="jones", pets=("nova",), start=0, end=2, confirm=True)
    warned = book(client, tenant_a, body)
    assert warned.status_code == 422 and "vaccine_override_reason" in warned.json["errors"]
    assert {w["vaccine"] for w in warned.json["vaccine_warnings"]} == set(DOG_SHOTS)
    assert book(client, tenant_a, {**body, "vaccine_override_reason": "Paper copy"}).status_code == 403  # staff
    assert counts(app, tenant_a) == (0, 0, 0)
    res = _ok(book(client, tenant_a, {**body, "vaccine_override_reason": "Paper copy"}, role=Role.MANAGER))
    assert len(res["vaccine_warnings"]) == 3 and res["vaccine_override_reason"] == "Paper copy"
    blocked = act(client, tenant_a, res["id"], "check-in")
    assert blocked.status_code == 422 and "vaccine_override_reason" in blocked.json["errors"]
    staff = act(client, tenant_a, res["id"], "check-in", {"vaccine_override_reason": "Vet phoned"})
    assert staff.status_code == 403 and "manager" in staff.json["message"]
    assert client.get(f"/api/v1/reservations/{res['id']}", headers=tenant_a.headers()).json["status"] == "CONFIRMED"
    ok = _ok(act(client, tenant_a, res["id"], "check-in", {"vaccine_override_reason": "Vet phoned"},
                 role=Role.MANAGER), 200)
    assert ok["status"] == "CHECKED_IN" and ok["vaccine_override_reason"] == "Vet phoned"
    events = client.get("/api/v1/audit-events?page_size=100", headers=tenant_a.headers()).json
    assert {"reservation.vaccine_override.book", "reservation.vaccine_override.check_in"} <= {e["action"]
                                                                                              for e in events}


# --- bad input: a 4xx naming the field or the conflict, nothing saved -------------------------


def _heavy_rex(client, fx, w):
    etag_ = client.get(f"/api/v1/pets/{w['rex']}", headers=fx.headers()).headers["ETag"]
    _ok(client.patch(f"/api/v1/pets/{w['rex']}", headers=fx.headers(**{"If-Match": etag_}),
                     json={"weight_lbs": "80"}), 200)


def _a01_in_maintenance(client, fx, w):
    _ok(client.post(f"/api/v1/kennels/{w['a01']}/status", headers=fx.headers(),
                    json={"status": "MAINTENANCE", "note": "Broken latch"}), 200)


def _a01_taken(client, fx, w):
    _ok(book(client, fx, booking(w, customer="jones", pets=("max",), start=1, end=3, kennel="a01")))


BAD_INPUT = [
    # (name, body changes, setup, status, field or text the error must name)
    ("end before start", lambda w: booking(w, start=3, end=1), None, 422, "end_date"),
    ("zero-night boarding", lambda w: booking(w, start=2, end=2), None, 422, "end_date"),
    ("end date on a FLAT service", lambda w: booking(w, start=1, end=2, service="grooming"), None, 422, "end_date"),
    ("the same pet twice", lambda w: booking(w, pets=("rex", "rex")), None, 422, "pets"),
    ("a pet of another customer", lambda w: booking(w, pets=("rex", "max")), None, 422, "pets"),
    ("a pet of another tenant", lambda w: {**booking(w), "pets": [{"pet_id": w["b"]["rex"]}]}, None, 404, "pets"),
    ("a kennel of another tenant", lambda w: {**booking(w), "pets": [{"pet_id": w["rex"],
                                                                     "kennel_id": w["b"]["a01"]}]}, None, 404, "pets"),
    ("a species the service does not allow", lambda w: booking(w, pets=("tom",)), None, 422, "pets"),
    ("a pet too heavy for the kennel", lambda w: booking(w, kennel="a01"), _heavy_rex, 422, "pets"),
    ("over capacity", lambda w: booking(w, kennel="a01"), _a01_taken, 409, "A01"),
    ("a kennel under maintenance", lambda w: booking(w, kennel="a01"), _a01_in_maintenance, 422, "pets"),
    ("an unknown add-on", lambda w: booking(w, addons=[{"addon_id": w["b"]["walk"], "quantity": 1}]), None, 404,
     "addons"),
    ("an inapplicable add-on", lambda w: booking(w, addons=[{"addon_id": w["nails"], "quantity": 1}]), None, 422,
     "addons"),
    ("an add-on quantity of zero", lambda w: booking(w, addons=[{"addon_id": w["walk"], "quantity": 0}]), None, 422,
     "addons"),
    ("arrival far in the past", lambda w: booking(w, start=-30, end=-28), None, 422, "start_date"),
    ("a malformed date", lambda w: {**booking(w), "start_date": "2026-02-30"}, None, 422, "start_date"),
    ("a malformed time", lambda w: booking(w, arrival_time="25:61"), None, 422, "arrival_time"),
    ("no pets", lambda w: {**booking(w), "pets": []}, None, 422, "pets"),
    ("an unknown field", lambda w: booking(w, price_cents=1), None, 422, "price_cents"),
]


@pytest.mark.parametrize(("name", "make", "setup", "status", "named"), BAD_INPUT, ids=[b[0] for b in BAD_INPUT])
def test_bad_input_is_refused_naming_the_field_and_saves_nothing(app, client, world, tenant_a, name, make, setup,
                                                                 status, named):
    if setup:
        setup(client, tenant_a, world)
    before = counts(app, tenant_a)
    r = book(client, tenant_a, make(world), role=Role.MANAGER)
    assert r.status_code == status, r.json
    named_in = str(r.json.get("errors", {})) + r.json["message"]
    assert named in named_in, r.json
    assert counts(app, tenant_a) == before
    assert counts(app, tenant_a)[0] == (1 if name == "over capacity" else 0)


def test_the_arrival_may_be_yesterday_but_not_the_day_before(client, world, tenant_a):
    _ok(book(client, tenant_a, booking(world, start=-1, end=1)))
    r = book(client, tenant_a, booking(world, pets=("bella",), start=-2, end=1))
    assert r.status_code == 422 and "start_date" in r.json["errors"]


# --- two tenants ------------------------------------------------------------------------------


ROUTES = [("get", ""), ("patch", ""), ("post", "/preview"), ("post", "/confirm"), ("post", "/check-in"),
          ("post", "/check-out"), ("post", "/cancel"), ("post", "/no-show"), ("post", "/move")]


def test_another_tenants_reservation_is_404_on_every_route(app, client, world, tenant_a, tenant_b):
    theirs = _ok(book(client, tenant_b, booking(world["b"], kennel="a01")))
    bodies = {"/cancel": {"reason": "x"}, "/move": {"pet_id": world["rex"], "kennel_id": world["a02"]},
              "/preview": {"end_date": day(5)}, "": {"notes": "x"}}
    for method, suffix in ROUTES:
        r = client.open(f"/api/v1/reservations/{theirs['id']}{suffix}", method=method.upper(),
                        headers=tenant_a.headers(**{"If-Match": f'"{theirs["id"]}-{theirs["version"]}"'}),
                        json=bodies.get(suffix, {}) if method != "get" else None)
        assert r.status_code == 404, (method, suffix, r.json)
    after = client.get(f"/api/v1/reservations/{theirs['id']}", headers=tenant_b.headers()).json
    assert (after["status"], after["version"], after["notes"]) == ("PENDING", theirs["version"], "")
    assert counts(app, tenant_b) == (1, 2, 0) and counts(app, tenant_a) == (0, 0, 0)


@pytest.mark.parametrize(("field", "make"), [
    ("customer_id", lambda w: {**booking(w), "customer_id": w["b"]["smith"]}),
    ("service_id", lambda w: {**booking(w), "service_id": w["b"]["boarding"]}),
    ("pets", lambda w: {**booking(w), "pets": [{"pet_id": w["b"]["rex"]}]}),
    ("pets", lambda w: {**booking(w), "pets": [{"pet_id": w["rex"], "kennel_id": w["b"]["a02"]}]}),
    ("addons", lambda w: booking(w, addons=[{"addon_id": w["b"]["walk"], "quantity": 1}])),
])
def test_another_tenants_ids_in_a_booking_are_refused_naming_the_field(app, client, world, tenant_a, tenant_b,
                                                                        field, make):
    r = book(client, tenant_a, make(world))
    assert 400 <= r.status_code < 500 and field in r.json["errors"], r.json
    assert counts(app, tenant_a) == (0, 0, 0) and counts(app, tenant_b) == (0, 0, 0)


def test_another_tenants_ids_in_edits_and_moves_are_refused(app, client, world, tenant_a):
    res = _ok(book(client, tenant_a, booking(world, kennel="a01")))
    path = f"/api/v1/reservations/{res['id']}"
    for body, field in (({"service_id": world["b"]["boarding"]}, "service_id"),
                        ({"pets": [{"pet_id": world["b"]["rex"]}]}, "pets"),
                        ({"addons": [{"addon_id": world["b"]["walk"], "quantity": 1}]}, "addons")):
        r = client.patch(path, headers=tenant_a.headers(**{"If-Match": etag(client, tenant_a, res["id"])}), json=body)
        assert r.status_code in (404, 422) and field in r.json["errors"], r.json
        preview = act(client, tenant_a, res["id"], "preview", body)
        assert preview.status_code in (404, 422) and field in preview.json["errors"], preview.json
    move = act(client, tenant_a, res["id"], "move", {"pet_id": world["rex"], "kennel_id": world["b"]["a02"]})
    assert move.status_code == 404 and "kennel" in move.json["message"].lower()
    stranger = act(client, tenant_a, res["id"], "move", {"pet_id": world["b"]["rex"], "kennel_id": world["a02"]})
    assert stranger.status_code == 404 and "pet_id" in stranger.json["errors"]
    after = client.get(path, headers=tenant_a.headers()).json
    assert after["version"] == res["version"] and after["pets"][0]["kennel_code"] == "A01"
    assert counts(app, tenant_a) == (1, 2, 0)


def test_lists_never_show_another_tenants_reservations(client, world, tenant_a, tenant_b):
    mine = _ok(book(client, tenant_a, booking(world)))
    theirs = _ok(book(client, tenant_b, booking(world["b"])))
    assert _ids(client.get("/api/v1/reservations", headers=tenant_a.headers())) == {mine["id"]}
    assert _ids(client.get("/api/v1/reservations", headers=tenant_b.headers())) == {theirs["id"]}
    code = client.get(f"/api/v1/reservations?confirmation_code={theirs['confirmation_code']}",
                      headers=tenant_a.headers())
    assert _ids(code) == ({mine["id"]} if mine["confirmation_code"] == theirs["confirmation_code"] else set())
    # Filters naming B's rows find nothing in A (never B's rows).
    for name in ("customer_id", "pet_id", "service_id"):
        value = world["b"]["smith" if name == "customer_id" else "rex" if name == "pet_id" else "boarding"]
        assert _ids(client.get(f"/api/v1/reservations?{name}={value}", headers=tenant_a.headers())) == set()


def test_the_list_count_stops_past_the_page_and_pages_come_in_order(client, world, tenant_a, tenant_b, monkeypatch,
                                                                    count_queries):
    """The total is capped like the audit trail's (it does not grow with years of bookings); pages stay exact."""
    import json

    from app.services import reservations

    monkeypatch.setattr(reservations, "COUNT_BEYOND", 1)
    made = [_ok(book(client, tenant_a, booking(world, pets=("bella",), start=n, end=n, service="daycare")))["id"]
            for n in range(2, 7)]
    _ok(book(client, tenant_b, booking(world["b"], pets=("bella",), start=3, end=3, service="daycare")))
    with count_queries() as counter:
        r = client.get("/api/v1/reservations?page_size=2", headers=tenant_a.headers())
    assert [x["id"] for x in r.json] == made[:2]
    assert json.loads(r.headers["X-Pagination"])["total"] == 2 + 1  # a floor: one page plus COUNT_BEYOND
    assert "LIMIT" in next(s for s in counter.statements if "count(" in s.lower()).upper()
    last = client.get("/api/v1/reservations?page_size=2&page=3", headers=tenant_a.headers())
    assert [x["id"] for x in last.json] == made[4:]
    assert json.loads(last.headers["X-Pagination"])["total"] == 5  # the count ran out before the cap: exact
