"""Availability API: kennels that fit with places left, refusals with reasons, daily places; one tenant's only."""
from app.models import Role
from tests.api.test_reservations import _ok, book, booking, day, world  # noqa: F401


def _available(client, fx, w, service="boarding", start=1, end=3, pets=("rex",), role=Role.STAFF):
    query = f"service_id={w[service]}&start_date={day(start)}" + (f"&end_date={day(end)}" if end is not None else "")
    query += "".join(f"&pet_id={w[p]}" for p in pets)
    return client.get(f"/api/v1/availability?{query}", headers=fx.headers(role))


def test_kennels_that_fit_come_smallest_first_with_places_left(client, world, tenant_a):  # noqa: F811
    a = _ok(_available(client, tenant_a, world), 200)
    assert [k["code"] for k in a["kennels"]] == ["A01", "A02"] and [k["places_left"] for k in a["kennels"]] == [1, 2]
    assert a["kennels"][0]["fits"] == [world["rex"]] and a["nights"] == [day(1), day(2)]
    assert a["unavailable"] == []  # the cat condo is not a type boarding uses: not a candidate at all
    assert a["days"] == []


def test_booked_nights_refuse_other_households_and_half_open_nights_do_not(client, world, tenant_a):  # noqa: F811
    _ok(book(client, tenant_a, booking(world, customer="jones", pets=("max",), start=1, end=3, kennel="a01")))
    _ok(book(client, tenant_a, booking(world, customer="jones", pets=("max",), start=3, end=4, kennel="a02")))
    during = _ok(_available(client, tenant_a, world, start=2, end=4), 200)
    assert during["kennels"] == []
    reasons = {u["code"]: u["reason"] for u in during["unavailable"]}
    assert "full" in reasons["A01"] and "full" in reasons["A02"]
    after = _ok(_available(client, tenant_a, world, start=4, end=6), 200)  # the Joneses leave the morning of day 4
    assert [k["code"] for k in after["kennels"]] == ["A01", "A02"]


def test_a_pet_too_heavy_is_told_why(client, world, tenant_a):  # noqa: F811
    tag = client.get(f"/api/v1/pets/{world['rex']}", headers=tenant_a.headers()).headers["ETag"]
    _ok(client.patch(f"/api/v1/pets/{world['rex']}", headers=tenant_a.headers(**{"If-Match": tag}),
                     json={"weight_lbs": "80"}), 200)
    a = _ok(_available(client, tenant_a, world), 200)
    assert [k["code"] for k in a["kennels"]] == ["A02"]
    assert "limit" in {u["code"]: u["reason"] for u in a["unavailable"]}["A01"]


def test_a_capacity_service_reports_places_left_per_day(client, world, tenant_a):  # noqa: F811
    _ok(book(client, tenant_a, booking(world, pets=("rex",), start=1, end=1, service="daycare")))
    _ok(book(client, tenant_a, booking(world, customer="jones", pets=("max",), start=2, end=2, service="daycare")))
    _ok(book(client, tenant_a, booking(world, pets=("bella",), start=2, end=2, service="daycare")))
    a = _ok(_available(client, tenant_a, world, service="daycare", start=1, end=3, pets=()), 200)
    assert [(d["date"], d["booked"], d["left"]) for d in a["days"]] == [(day(1), 1, 1), (day(2), 2, 0),
                                                                         (day(3), 0, 2)]
    assert a["kennels"] == [] and a["unavailable"] == []


def test_bad_queries_are_a_422_naming_the_parameter(client, world, tenant_a):  # noqa: F811
    for query, field in ((f"start_date={day(1)}", "service_id"), (f"service_id={world['boarding']}", "start_date"),
                         (f"service_id={world['boarding']}&start_date=2026-13-01", "start_date"),
                         (f"service_id={world['boarding']}&start_date={day(1)}&pet_id=x", "pet_id")):
        r = client.get(f"/api/v1/availability?{query}", headers=tenant_a.headers())
        assert r.status_code == 422 and field in r.json["errors"], r.json
    no_nights = _available(client, tenant_a, world, start=2, end=2)
    assert no_nights.status_code == 422 and "end_date" in no_nights.json["errors"]
    mixed = _available(client, tenant_a, world, pets=("rex", "max"))
    assert mixed.status_code == 422 and "pet_id" in mixed.json["errors"]


def test_another_tenants_service_or_pet_is_404_and_their_bookings_never_count(client, world, tenant_a,  # noqa: F811
                                                                              tenant_b):
    other_service = _available(client, tenant_a, {**world, "boarding": world["b"]["boarding"]})
    assert other_service.status_code == 404 and "service_id" in other_service.json["errors"]
    other_pet = _available(client, tenant_a, {**world, "rex": world["b"]["rex"]})
    assert other_pet.status_code == 404 and "pet_id" in other_pet.json["errors"]
    _ok(book(client, tenant_b, booking(world["b"], start=1, end=3, kennel="a01")))
    a = _ok(_available(client, tenant_a, world), 200)
    assert [k["places_left"] for k in a["kennels"]] == [1, 2]
    assert world["b"]["a01"] not in str(a)
