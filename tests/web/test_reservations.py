# ruff: noqa: F811  (the `world` fixture is imported from the booking tests and named as a parameter)
"""Front-desk reservation pages: the today board, one-page booking, the reservation page and its actions,
the list, the kennel grid and kennel cards, each with a second tenant whose rows never show."""
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.core.extensions import db
from app.models import Reservation, ReservationStatus, Role
from app.services import pets, reservations
from tests.conftest import hx_headers, web_login
from tests.services.test_booking import _book, as_tenant, world  # noqa: F401

TODAY: list[date] = []


@pytest.fixture(autouse=True)
def _tenant_today(app, tenant_a):
    """Tenant A's today (its timezone), for building dates outside a request."""
    from app.services.compliance import tenant_today

    with as_tenant(app, tenant_a):
        TODAY[:] = [tenant_today()]


def _day(offset: int) -> date:
    return TODAY[0] + timedelta(days=offset)

VACCINES = ("Rabies", "DHPP", "Bordetella")


def _vaccinate(app, fx, w, *names):
    """Give pets every vaccine boarding needs, valid for the next two years."""
    with as_tenant(app, fx):
        for name in names:
            for vaccine in VACCINES:
                pets.add_vaccination(pet_id=w[name], vaccine=vaccine, given_on=date.today() - timedelta(days=30),
                                     expires_on=date.today() + timedelta(days=730))


def _signed_in(client, fx, role=Role.STAFF):
    web_login(client, fx, role)
    return hx_headers(client, fx)


def _status(app, fx, reservation_id):
    """The saved reservation as plain values (read in the tenant, detached from any session)."""
    import uuid
    from types import SimpleNamespace

    with as_tenant(app, fx):
        r = reservations.get_reservation(reservation_id=uuid.UUID(str(reservation_id)))
        names = ("status", "version", "total_cents", "notes", "arrival_time", "belongings", "stay_medications",
                 "feeding_confirmed", "check_in_notes", "belongings_returned", "end_date", "confirmation_code")
        return SimpleNamespace(**{n: getattr(r, n) for n in names}, kennels=[line.kennel.code for line in r.pets])


def _count(app, fx):
    with as_tenant(app, fx):
        return db.session.scalar(select(func.count()).select_from(Reservation))


def _booked(app, fx, w, *args, confirm=False, check_in=False, **kw):
    with as_tenant(app, fx):
        r = _book(w, *args, **kw).reservation
        if confirm or check_in:
            reservations.confirm(reservation_id=r.id)
        if check_in:
            reservations.check_in(reservation_id=r.id, vaccine_override_reason="paper records", belongings=["Lead"])
        return r.id


def _booking_form(w, **changes):
    form = {"customer_id": str(w["smith"]), "service_id": str(w["boarding"]), "start_date": _day(1).isoformat(),
            "end_date": _day(3).isoformat(), "pet_id": [str(w["rex"])], "confirm": "on", "notes": "Loves the ball"}
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


# --- pages render, with only this tenant's rows -------------------------------------------------


def test_every_reservation_page_renders_with_only_this_tenants_stays(app, client, world, tenant_a, tenant_b):
    mine = _booked(app, tenant_a, world, "smith", ["rex"], 0, 2, kennel="a01", confirm=True)
    theirs = _booked(app, tenant_b, world["b"], "jones", ["max"], 0, 2, kennel="a01", confirm=True)
    _signed_in(client, tenant_a)
    code = _status(app, tenant_a, mine).confirmation_code
    for path in ("/", "/today", f"/today?date={_day(0)}", "/reservations", "/reservations/new", f"/reservations/{mine}",
                 "/kennels/grid", "/grid", f"/kennel-cards?date={_day(1)}"):
        r = client.get(path, base_url=tenant_a.base_url)
        html = r.get_data(as_text=True)
        assert r.status_code == 200, path
        assert str(theirs) not in html and "Jones" not in html and "Max" not in html, path
    board = client.get("/", base_url=tenant_a.base_url).get_data(as_text=True)
    assert code in board and "Rex" in board and 'id="arrivals"' in board and "1 / 3" in board
    assert client.get(f"/reservations/{theirs}", base_url=tenant_a.base_url).status_code == 404


def test_the_nav_links_the_new_pages(client, tenant_a):
    web_login(client, tenant_a, Role.STAFF)
    html = client.get("/customers", base_url=tenant_a.base_url).get_data(as_text=True)
    for href in ('href="/reservations/new"', 'href="/reservations"', 'href="/grid"'):
        assert href in html


def test_signed_out_visitors_are_sent_to_sign_in(client, tenant_a):
    for path in ("/today", "/reservations", "/reservations/new", "/kennels/grid", "/kennel-cards"):
        r = client.get(path, base_url=tenant_a.base_url)
        assert r.status_code == 302 and "/login" in r.headers["Location"], path


def test_a_malformed_board_date_is_a_422_naming_it(client, tenant_a):
    web_login(client, tenant_a, Role.STAFF)
    r = client.get("/today?date=2026-13-45", base_url=tenant_a.base_url)
    assert r.status_code == 422 and "YYYY-MM-DD" in r.get_data(as_text=True)


# --- one-page booking ---------------------------------------------------------------------------


def test_the_live_panel_shows_free_kennels_the_price_and_vaccine_warnings(app, client, world, tenant_a, tenant_b):
    headers = _signed_in(client, tenant_a)
    r = client.post("/reservations/new/panel", base_url=tenant_a.base_url, headers=headers, data=_booking_form(world))
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "A01" in html and "A02" in html and "Assign automatically" in html
    assert re.search(r'class="price-total">100\.00<', html)  # 2 nights x 50.00, the engine's total
    assert "Rabies missing" in html and "Manager override reason" in html
    assert _count(app, tenant_a) == 0


def test_the_panel_prices_add_ons_for_the_chosen_service(app, client, world, tenant_a):
    from app.services import catalog

    with as_tenant(app, tenant_a):
        walk = catalog.create_addon(name="Extra walk", price_cents=800, unit="PER_STAY", service_ids=[world["boarding"]])
        walk_id = walk.id
    headers = _signed_in(client, tenant_a)
    html = client.post("/reservations/new/panel", base_url=tenant_a.base_url, headers=headers,
                       data=_booking_form(world, addon_id=[str(walk_id)], **{f"qty_{walk_id}": "2"})).get_data(as_text=True)
    assert "Extra walk" in html and re.search(r'class="price-total">116\.00<', html)


def test_a_clerk_books_a_stay_from_the_form(app, client, world, tenant_a):
    _vaccinate(app, tenant_a, world, "rex")
    headers = _signed_in(client, tenant_a, Role.STAFF)
    r = client.post("/reservations", base_url=tenant_a.base_url, headers=headers,
                    data=_booking_form(world, **{f"kennel_{world['rex']}": str(world["a02"])}, arrival_time="09:30"))
    assert r.status_code == 204, r.get_data(as_text=True)
    reservation_id = r.headers["HX-Redirect"].rsplit("/", 1)[1]
    saved = _status(app, tenant_a, reservation_id)
    assert saved.status == ReservationStatus.CONFIRMED and saved.total_cents == 10000
    assert saved.kennels == ["A02"] and saved.notes == "Loves the ball"
    assert saved.arrival_time.strftime("%H:%M") == "09:30"
    page = client.get(r.headers["HX-Redirect"], base_url=tenant_a.base_url).get_data(as_text=True)
    assert saved.confirmation_code in page and "Created" in page and "Confirmed" in page and "100.00" in page


def test_a_plain_post_without_htmx_books_and_redirects(app, client, world, tenant_a):
    _vaccinate(app, tenant_a, world, "rex")
    headers = _signed_in(client, tenant_a)
    r = client.post("/reservations", base_url=tenant_a.base_url, data={**_booking_form(world),
                                                                        "csrf_token": headers["X-CSRFToken"]})
    assert r.status_code == 303 and "/reservations/" in r.headers["Location"]
    assert _count(app, tenant_a) == 1


@pytest.mark.parametrize(("changes", "field", "status"), [
    ({"end_date": lambda: _day(0).isoformat()}, "end_date", 422),  # before the arrival
    ({"start_date": "2026-02-30"}, "start_date", 422),  # not a date
    ({"arrival_time": "25:99"}, "arrival_time", 422),
    ({"service_id": None}, "service_id", 422),
    ({"pet_id": None}, "pets", 422),
    ({"start_date": "2001-01-01", "end_date": "2001-01-03"}, "start_date", 422),  # far in the past
])
def test_bad_booking_input_is_a_4xx_naming_the_field_and_saves_nothing(app, client, world, tenant_a, changes, field,
                                                                      status):
    _vaccinate(app, tenant_a, world, "rex")
    headers = _signed_in(client, tenant_a)
    changes = {k: v() if callable(v) else v for k, v in changes.items()}
    r = client.post("/reservations", base_url=tenant_a.base_url, headers=headers, data=_booking_form(world, **changes))
    assert r.status_code == status, r.get_data(as_text=True)
    assert f'data-field="{field}"' in r.get_data(as_text=True)
    assert _count(app, tenant_a) == 0


def test_a_full_kennel_is_a_409_naming_it_and_saves_nothing(app, client, world, tenant_a):
    _booked(app, tenant_a, world, "jones", ["max"], 1, 3, kennel="a01")
    _vaccinate(app, tenant_a, world, "rex")
    headers = _signed_in(client, tenant_a)
    r = client.post("/reservations", base_url=tenant_a.base_url, headers=headers,
                    data=_booking_form(world, **{f"kennel_{world['rex']}": str(world["a01"])}))
    assert r.status_code == 409 and "A01" in r.get_data(as_text=True)
    assert _count(app, tenant_a) == 1


def test_missing_vaccines_need_a_managers_override_reason(app, client, world, tenant_a):
    headers = _signed_in(client, tenant_a, Role.STAFF)
    r = client.post("/reservations", base_url=tenant_a.base_url, headers=headers, data=_booking_form(world))
    assert r.status_code == 422 and 'data-field="vaccine_override_reason"' in r.get_data(as_text=True)
    r = client.post("/reservations", base_url=tenant_a.base_url, headers=headers,
                    data=_booking_form(world, vaccine_override_reason="Vet faxing records"))
    assert r.status_code == 403 and _count(app, tenant_a) == 0
    headers = _signed_in(client, tenant_a, Role.MANAGER)
    r = client.post("/reservations", base_url=tenant_a.base_url, headers=headers,
                    data=_booking_form(world, vaccine_override_reason="Vet faxing records"))
    assert r.status_code == 204 and _count(app, tenant_a) == 1


def test_another_tenants_customer_pet_or_kennel_is_refused_and_nothing_saved(app, client, world, tenant_a, tenant_b):
    _vaccinate(app, tenant_a, world, "rex")
    headers = _signed_in(client, tenant_a, Role.MANAGER)
    b = world["b"]
    for changes, status in (({"customer_id": str(b["smith"])}, 404), ({"pet_id": [str(b["rex"])]}, 404),
                            ({f"kennel_{world['rex']}": str(b["a01"])}, 404), ({"service_id": str(b["boarding"])}, 404)):
        r = client.post("/reservations", base_url=tenant_a.base_url, headers=headers, data=_booking_form(world, **changes))
        assert r.status_code == status, (changes, r.status_code)
        assert "Bravo" not in r.get_data(as_text=True)
    assert _count(app, tenant_a) == 0 and _count(app, tenant_b) == 0
    assert client.get(f"/reservations/new/household?customer_id={b['smith']}", base_url=tenant_a.base_url,
                      headers=headers).status_code == 404


def test_the_customer_search_and_household_pick_stay_in_the_tenant(client, world, tenant_a, tenant_b):
    headers = _signed_in(client, tenant_a)
    html = client.get("/reservations/new/customers?q=smith", base_url=tenant_a.base_url, headers=headers).get_data(
        as_text=True)
    assert "Smith, Ann" in html and str(world["smith"]) in html and str(world["b"]["smith"]) not in html
    html = client.get(f"/reservations/new/household?customer_id={world['smith']}", base_url=tenant_a.base_url,
                      headers=headers).get_data(as_text=True)
    assert 'name="customer_id"' in html and "Rex" in html and "Bella" in html and 'hx-trigger="load"' in html


def test_the_form_opens_prefilled_from_the_grid(client, world, tenant_a):
    web_login(client, tenant_a, Role.STAFF)
    start = _day(4).isoformat()
    html = client.get(f"/reservations/new?kennel_id={world['a02']}&start_date={start}&customer_id={world['smith']}",
                      base_url=tenant_a.base_url).get_data(as_text=True)
    assert f'name="start_date" value="{start}"' in html and f'name="end_date" value="{_day(5).isoformat()}"' in html
    assert f'name="kennel_hint" value="{world["a02"]}"' in html
    assert f'<option value="{world["boarding"]}" selected' in html and "Smith, Ann" in html


def test_no_pet_weight_is_shown_on_the_new_pages(app, client, world, tenant_a):
    from decimal import Decimal

    with as_tenant(app, tenant_a):
        pets.update_pet(pet_id=world["rex"], weight_lbs=Decimal("37.5"))
    rid = _booked(app, tenant_a, world, "smith", ["rex"], 0, 2, kennel="a02", check_in=True)
    headers = _signed_in(client, tenant_a)
    pages = [client.get(p, base_url=tenant_a.base_url).get_data(as_text=True)
             for p in ("/", f"/reservations/{rid}", "/grid", "/kennel-cards",
                       f"/reservations/new?customer_id={world['smith']}")]
    pages.append(client.post("/reservations/new/panel", base_url=tenant_a.base_url, headers=headers,
                             data=_booking_form(world, start_date=_day(5).isoformat(), end_date=_day(6).isoformat()))
                 .get_data(as_text=True))
    assert all("37.5" not in html and "17.0" not in html for html in pages)


# --- check-in and check-out on the today board ---------------------------------------------------


def test_a_pending_arrival_today_is_on_the_board_with_its_confirm_button(app, client, world, tenant_a):
    rid = _booked(app, tenant_a, world, "smith", ["rex"], 0, 2)  # booked, not confirmed (the board used to 500)
    _signed_in(client, tenant_a)
    r = client.get("/today", base_url=tenant_a.base_url)
    html = r.get_data(as_text=True)
    assert r.status_code == 200, html[:300]
    assert "Rex" in html and f"Confirm<span class=\"visually-hidden\"> {_status(app, tenant_a, rid).confirmation_code}" \
        in html


def test_check_in_from_the_board_records_belongings_medications_and_feeding(app, client, world, tenant_a):
    _vaccinate(app, tenant_a, world, "rex")
    rid = _booked(app, tenant_a, world, "smith", ["rex"], 0, 2, kennel="a01", confirm=True)
    headers = _signed_in(client, tenant_a, Role.STAFF)
    version = _status(app, tenant_a, rid).version
    r = client.post(f"/reservations/{rid}/check-in", base_url=tenant_a.base_url, headers=headers, data={
        "from": "board", "day": _day(0).isoformat(), "version": version, "belongings": "Blue blanket\nLead\n",
        "med_pet": [str(world["rex"])], "med_name": ["Apoquel"], "med_dose": ["16 mg"], "med_schedule": ["08:00"],
        "feeding_confirmed": "on", "notes": "Shy at first"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and r.headers["HX-Retarget"] == "#today" and 'id="today"' in html
    assert "Rex checked in" in html
    saved = _status(app, tenant_a, rid)
    assert saved.status == ReservationStatus.CHECKED_IN and saved.belongings == ["Blue blanket", "Lead"]
    assert saved.stay_medications[0]["name"] == "Apoquel" and saved.feeding_confirmed
    assert saved.check_in_notes == "Shy at first"


def test_vaccine_problems_block_check_in_unless_a_manager_overrides(app, client, world, tenant_a):
    rid = _booked(app, tenant_a, world, "smith", ["rex"], 0, 2, kennel="a01", confirm=True)
    headers = _signed_in(client, tenant_a, Role.STAFF)
    board = client.get("/", base_url=tenant_a.base_url).get_data(as_text=True)
    assert "vaccine-problem" in board and "Rabies missing" in board
    data = {"from": "board", "day": _day(0).isoformat()}
    r = client.post(f"/reservations/{rid}/check-in", base_url=tenant_a.base_url, headers=headers, data=data)
    assert r.status_code == 422 and 'data-field="vaccine_override_reason"' in r.get_data(as_text=True)
    r = client.post(f"/reservations/{rid}/check-in", base_url=tenant_a.base_url, headers=headers,
                    data={**data, "vaccine_override_reason": "Seen the certificate"})
    assert r.status_code == 403
    assert _status(app, tenant_a, rid).status == ReservationStatus.CONFIRMED
    headers = _signed_in(client, tenant_a, Role.MANAGER)
    r = client.post(f"/reservations/{rid}/check-in", base_url=tenant_a.base_url, headers=headers,
                    data={**data, "vaccine_override_reason": "Seen the certificate"})
    assert r.status_code == 200 and _status(app, tenant_a, rid).status == ReservationStatus.CHECKED_IN


def test_check_out_needs_the_belongings_confirmed_returned(app, client, world, tenant_a):
    rid = _booked(app, tenant_a, world, "smith", ["rex"], -1, 0, kennel="a01", check_in=True)
    headers = _signed_in(client, tenant_a, Role.STAFF)
    board = client.get("/", base_url=tenant_a.base_url).get_data(as_text=True)
    assert f"act-check-out-departures-{rid}" in board
    data = {"from": "board", "day": _day(0).isoformat(), "notes": "Happy dog"}
    r = client.post(f"/reservations/{rid}/check-out", base_url=tenant_a.base_url, headers=headers, data=data)
    assert r.status_code == 422 and 'data-field="belongings_returned"' in r.get_data(as_text=True)
    assert _status(app, tenant_a, rid).status == ReservationStatus.CHECKED_IN
    r = client.post(f"/reservations/{rid}/check-out", base_url=tenant_a.base_url, headers=headers,
                    data={**data, "belongings_returned": "on"})
    assert r.status_code == 200 and "checked out" in r.get_data(as_text=True)
    saved = _status(app, tenant_a, rid)
    assert saved.status == ReservationStatus.CHECKED_OUT and saved.belongings_returned


def test_a_stale_form_is_refused(app, client, world, tenant_a):
    rid = _booked(app, tenant_a, world, "smith", ["rex"], 1, 3, kennel="a01")
    headers = _signed_in(client, tenant_a)
    r = client.post(f"/reservations/{rid}/confirm", base_url=tenant_a.base_url, headers=headers, data={"version": "0"})
    assert r.status_code == 409 and _status(app, tenant_a, rid).status == ReservationStatus.PENDING


# --- the reservation page ------------------------------------------------------------------------


def test_the_page_offers_only_the_allowed_actions(app, client, world, tenant_a):
    pending = _booked(app, tenant_a, world, "smith", ["rex"], 1, 3, kennel="a01")
    in_house = _booked(app, tenant_a, world, "smith", ["bella"], 0, 2, kennel="a02", check_in=True)
    web_login(client, tenant_a, Role.STAFF)
    html = client.get(f"/reservations/{pending}", base_url=tenant_a.base_url).get_data(as_text=True)
    assert f"act-confirm-{pending}" in html and f"act-cancel-{pending}" in html and f"act-no-show-{pending}" in html
    assert f"act-check-in-{pending}" not in html and f"act-check-out-{pending}" not in html
    html = client.get(f"/reservations/{in_house}", base_url=tenant_a.base_url).get_data(as_text=True)
    assert f"act-check-out-{in_house}" in html and f"act-cancel-{in_house}" not in html
    assert f"act-confirm-{in_house}" not in html and "Checked in" in html and "Change the departure" in html


def test_cancel_needs_a_reason_and_then_shows_in_the_timeline(app, client, world, tenant_a):
    rid = _booked(app, tenant_a, world, "smith", ["rex"], 1, 3, kennel="a01", confirm=True)
    headers = _signed_in(client, tenant_a)
    r = client.post(f"/reservations/{rid}/cancel", base_url=tenant_a.base_url, headers=headers, data={"reason": " "})
    assert r.status_code == 422 and 'data-field="reason"' in r.get_data(as_text=True)
    assert _status(app, tenant_a, rid).status == ReservationStatus.CONFIRMED
    r = client.post(f"/reservations/{rid}/cancel", base_url=tenant_a.base_url, headers=headers,
                    data={"reason": "Owner's plans changed"})
    assert r.status_code == 204
    html = client.get(f"/reservations/{rid}", base_url=tenant_a.base_url).get_data(as_text=True)
    assert "Cancelled" in html and "Owner&#39;s plans changed" in html and "Staff alpha-paws" in html
    assert _status(app, tenant_a, rid).status == ReservationStatus.CANCELLED


def test_a_pet_moves_to_another_kennel_from_a_night(app, client, world, tenant_a):
    rid = _booked(app, tenant_a, world, "smith", ["rex"], 1, 4, kennel="a01")
    headers = _signed_in(client, tenant_a)
    bad = client.post(f"/reservations/{rid}/move", base_url=tenant_a.base_url, headers=headers,
                      data={"pet_id": str(world["rex"]), "kennel_id": "", "from_date": _day(2).isoformat()})
    assert bad.status_code == 422 and 'data-field="kennel_id"' in bad.get_data(as_text=True)
    r = client.post(f"/reservations/{rid}/move", base_url=tenant_a.base_url, headers=headers,
                    data={"pet_id": str(world["rex"]), "kennel_id": str(world["a02"]), "from_date": _day(2).isoformat()})
    assert r.status_code == 204
    html = client.get(f"/reservations/{rid}", base_url=tenant_a.base_url).get_data(as_text=True)
    assert f"A01: nights {_day(1)} to {_day(2)}" in html and f"A02: nights {_day(2)} to {_day(4)}" in html
    other = client.post(f"/reservations/{rid}/move", base_url=tenant_a.base_url, headers=headers,
                        data={"pet_id": str(world["rex"]), "kennel_id": str(world["b"]["a01"])})
    assert other.status_code == 404


def test_an_edit_is_previewed_repriced_then_saved(app, client, world, tenant_a):
    rid = _booked(app, tenant_a, world, "smith", ["rex"], 1, 3, kennel="a02")
    headers = _signed_in(client, tenant_a, Role.MANAGER)
    data = {"end_date": _day(5).isoformat(), "start_date": _day(1).isoformat(), "service_id": str(world["boarding"])}
    r = client.post(f"/reservations/{rid}/preview", base_url=tenant_a.base_url, headers=headers, data=data)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="preview-total">200.00<' in html and "+100.00" in html
    assert _status(app, tenant_a, rid).total_cents == 10000  # the preview saved nothing
    bad = client.post(f"/reservations/{rid}/edit", base_url=tenant_a.base_url, headers=headers,
                      data={**data, "end_date": _day(0).isoformat()})
    assert bad.status_code == 422 and 'data-field="end_date"' in bad.get_data(as_text=True)
    r = client.post(f"/reservations/{rid}/edit", base_url=tenant_a.base_url, headers=headers,
                    data={**data, "version": _status(app, tenant_a, rid).version})
    assert r.status_code == 204
    saved = _status(app, tenant_a, rid)
    assert saved.end_date == _day(5) and saved.total_cents == 20000


def test_the_list_filters_by_code_status_and_dates(app, client, world, tenant_a, tenant_b):
    first = _booked(app, tenant_a, world, "smith", ["rex"], 1, 3, kennel="a01", confirm=True)
    _booked(app, tenant_a, world, "jones", ["max"], 10, 12, kennel="a01")
    _booked(app, tenant_b, world["b"], "smith", ["rex"], 1, 3, kennel="a01")
    web_login(client, tenant_a, Role.STAFF)
    code = _status(app, tenant_a, first).confirmation_code
    html = client.get(f"/reservations?code={code.lower()}", base_url=tenant_a.base_url).get_data(as_text=True)
    assert "1 reservation" in html and code in html
    html = client.get("/reservations?status=PENDING", base_url=tenant_a.base_url).get_data(as_text=True)
    assert "1 reservation" in html and "Jones" in html
    html = client.get(f"/reservations?start_date={_day(0)}&end_date={_day(5)}",
                      base_url=tenant_a.base_url).get_data(as_text=True)
    assert "1 reservation" in html and code in html
    r = client.get("/reservations?start_date=soon", base_url=tenant_a.base_url)
    assert r.status_code == 422 and 'data-field="start_date"' in r.get_data(as_text=True)


# --- the grid and kennel cards -------------------------------------------------------------------


def test_the_grid_links_stays_and_empty_nights(app, client, world, tenant_a, tenant_b):
    rid = _booked(app, tenant_a, world, "smith", ["rex"], 1, 3, kennel="a01", confirm=True)
    _booked(app, tenant_b, world["b"], "jones", ["max"], 1, 3, kennel="a01")
    web_login(client, tenant_a, Role.STAFF)
    html = client.get(f"/kennels/grid?start={_day(0)}", base_url=tenant_a.base_url).get_data(as_text=True)
    assert html.count(f'href="/reservations/{rid}"') == 2 and "status-confirmed" in html
    assert f'href="/reservations/new?kennel_id={world["a01"]}&amp;start_date={_day(0)}"' in html
    assert f'href="/reservations/new?kennel_id={world["a01"]}&amp;start_date={_day(1)}"' not in html
    assert "Max" not in html and "<th" in html and html.count('class="grid-cell') == 14 * 2
    nxt = client.get(f"/grid?start={_day(7)}", base_url=tenant_a.base_url).get_data(as_text=True)
    assert f"start={_day(14)}" in nxt and f"start={_day(0)}" in nxt


def test_a_large_building_is_paged_kennels_at_a_time(app, client, world, tenant_a, tenant_b, monkeypatch):
    from app.services import boards

    monkeypatch.setattr(boards, "GRID_KENNELS", 1)
    monkeypatch.setattr(boards.kennel_grid, "__kwdefaults__", {**boards.kennel_grid.__kwdefaults__, "per_page": 1})
    rid = _booked(app, tenant_a, world, "smith", ["rex"], 1, 3, kennel="a02", confirm=True)
    _booked(app, tenant_b, world["b"], "jones", ["max"], 1, 3, kennel="a02")
    web_login(client, tenant_a, Role.STAFF)
    first = client.get(f"/kennels/grid?start={_day(0)}", base_url=tenant_a.base_url).get_data(as_text=True)
    assert "Kennels 1–1 of 2" in first and f'href="/reservations/{rid}"' not in first
    assert f'href="/grid?start={_day(0)}&amp;page=2"' in first
    second = client.get(f"/kennels/grid?start={_day(0)}&page=2", base_url=tenant_a.base_url).get_data(as_text=True)
    assert "Kennels 2–2 of 2" in second and second.count(f'href="/reservations/{rid}"') == 2 and "Max" not in second
    assert f"start={_day(7)}&amp;page=2" in second  # the next week keeps the page
    odd = client.get(f"/kennels/grid?start={_day(0)}&page=x", base_url=tenant_a.base_url)
    assert odd.status_code == 200 and "Kennels 1–1 of 2" in odd.get_data(as_text=True)


def test_kennel_cards_show_care_details_for_pets_in_house(app, client, world, tenant_a, tenant_b):
    from app.services import customers

    with as_tenant(app, tenant_a):
        customers.update_customer(customer_id=world["smith"], emergency_name="Cara Smith", emergency_phone="5551234567")
        pets.update_pet(pet_id=world["rex"], feeding_instructions="Two cups, twice a day", alert_flags=["ESCAPE_RISK"])
    _booked(app, tenant_a, world, "smith", ["rex"], 0, 2, kennel="a01", check_in=True)
    _booked(app, tenant_b, world["b"], "jones", ["max"], 0, 2, kennel="a01", check_in=True)
    web_login(client, tenant_a, Role.STAFF)
    html = client.get(f"/kennel-cards?date={_day(0)}", base_url=tenant_a.base_url).get_data(as_text=True)
    assert html.count('class="kennel-print-card"') == 1 and "Rex" in html and "A01" in html
    assert "Cara Smith" in html and "Two cups, twice a day" in html and "Escape Risk" in html
    assert "Max" not in html and "Jones" not in html


# --- constant SQL statements ---------------------------------------------------------------------


def test_the_today_board_and_grid_run_constant_statements(app, client, world, tenant_a, count_queries):
    web_login(client, tenant_a, Role.STAFF)

    def measure():
        client.get("/", base_url=tenant_a.base_url)  # warm the cached vaccine requirements and the tenant
        with count_queries() as board:
            assert client.get("/", base_url=tenant_a.base_url).status_code == 200
        with count_queries() as grid:
            assert client.get(f"/kennels/grid?start={_day(0)}", base_url=tenant_a.base_url).status_code == 200
        return board.count, grid.count

    _booked(app, tenant_a, world, "smith", ["rex"], 0, 2, kennel="a01", confirm=True)
    few = measure()
    for n in range(2, 12, 2):
        _booked(app, tenant_a, world, "smith", ["rex", "bella"], n - 2 if n == 2 else n, n + 1, kennel="a02",
                check_in=n == 2)
        _booked(app, tenant_a, world, "jones", ["max"], n, n + 1, kennel="a01")
    _booked(app, tenant_a, world, "jones", ["max"], 0, 0, service="daycare", confirm=True)
    assert measure() == few


def test_the_timeline_reads_in_the_resorts_timezone(app, client, world, tenant_a):
    tag = client.get("/api/v1/tenant", headers=tenant_a.headers(Role.ADMIN)).headers["ETag"]
    assert client.patch("/api/v1/tenant", headers=tenant_a.headers(Role.ADMIN, **{"If-Match": tag}),
                        json={"timezone": "Asia/Tokyo"}).status_code == 200
    rid = _booked(app, tenant_a, world, "smith", ["rex"], 1, 3, kennel="a01")
    _signed_in(client, tenant_a)
    html = client.get(f"/reservations/{rid}", base_url=tenant_a.base_url).get_data(as_text=True)
    created = re.search(r"<strong>Created</strong> (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (\w+)", html)
    assert created and created.group(2) == "JST", html
