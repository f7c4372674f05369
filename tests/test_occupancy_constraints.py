"""The database itself refuses overbooking: rows written past the service layer still cannot break the rules."""
from collections import defaultdict

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.core.extensions import db
from app.models import KennelNight, Reservation, ReservationPet, ServiceDay
from tests.services.test_booking import _book, _day, as_tenant, world  # noqa: F401


def _held(reservation_id):
    return db.session.execute(select(KennelNight).where(KennelNight.reservation_id == reservation_id)).scalars().first()


def _second_household_stay(w, kennel="a02"):
    """Jones's stay in another kennel, whose night row we then try to push into the first kennel."""
    return _book(w, "jones", ["max"], 4, 5, kennel="a01" if kennel == "a02" else "a02").reservation


def _insert(row) -> None:
    db.session.add(row)
    with pytest.raises(IntegrityError) as exc:
        db.session.flush()
    db.session.rollback()
    return str(exc.value.orig)


def test_two_households_in_one_kennel_night_are_refused_by_the_database(app, world, tenant_a):  # noqa: F811
    with as_tenant(app, tenant_a):
        smith = _book(world, "smith", ["rex"], 1, 2, kennel="a02").reservation
        jones = _second_household_stay(world)
        night = _held(smith.id)
        error = _insert(KennelNight(tenant_id=tenant_a.id, kennel_id=world["a02"], night=night.night, slot=2,
                                    capacity=2, reservation_id=jones.id, pet_id=world["max"],
                                    customer_id=world["jones"]))
        assert "one_household" in error


@pytest.mark.filterwarnings("ignore:New instance")  # the duplicate slot is the point
def test_more_pets_than_places_are_refused_by_the_database(app, world, tenant_a):  # noqa: F811
    with as_tenant(app, tenant_a):
        smith = _book(world, "smith", ["rex"], 1, 2, kennel="a01").reservation
        other = _book(world, "smith", ["bella"], 1, 2, kennel="a02").reservation
        night = _held(smith.id)
        # A01 has one place: slot 1 is taken (primary key), slot 2 does not exist (check against capacity).
        for slot in (1, 2):
            _insert(KennelNight(tenant_id=tenant_a.id, kennel_id=world["a01"], night=night.night, slot=slot,
                                capacity=1, reservation_id=other.id, pet_id=world["bella"],
                                customer_id=world["smith"]))
        # Claiming a bigger capacity than the kennel has breaks the composite key to the kennel.
        _insert(KennelNight(tenant_id=tenant_a.id, kennel_id=world["a01"], night=night.night, slot=2, capacity=2,
                            reservation_id=other.id, pet_id=world["bella"], customer_id=world["smith"]))


def test_a_night_cannot_claim_another_household_than_its_reservation(app, world, tenant_a):  # noqa: F811
    with as_tenant(app, tenant_a):
        smith = _book(world, "smith", ["rex"], 1, 2, kennel="a02").reservation
        _insert(KennelNight(tenant_id=tenant_a.id, kennel_id=world["a02"], night=_day(5), slot=1, capacity=2,
                            reservation_id=smith.id, pet_id=world["rex"], customer_id=world["jones"]))


def test_a_daily_capacity_cannot_be_exceeded_in_the_database(app, world, tenant_a):  # noqa: F811
    with as_tenant(app, tenant_a):
        r = _book(world, "smith", ["rex", "bella"], 1, 1, service="daycare").reservation
        jones = _book(world, "jones", ["max"], 2, 2, service="daycare").reservation
        line = db.session.execute(select(ReservationPet).where(ReservationPet.reservation_id == jones.id)).scalar_one()
        _insert(ServiceDay(tenant_id=tenant_a.id, service_id=world["daycare"], day=_day(1), slot=3, capacity=2,
                           reservation_id=jones.id, pet_id=line.pet_id))
        assert db.session.get(Reservation, r.id) is not None


@pytest.mark.parametrize("kennel", ["a01", "a02"])  # a full kennel (primary key), another household (exclusion)
def test_a_booking_stopped_by_the_database_names_the_kennel_and_night(app, world, tenant_a, monkeypatch, kennel):  # noqa: F811
    from app.core.errors import Conflict
    from app.services import availability

    real = availability.kennel_usage
    with as_tenant(app, tenant_a):
        _book(world, "smith", ["rex"], 1, 2, kennel=kennel)
        before = db.session.execute(select(db.func.count()).select_from(Reservation)).scalar_one()
        # Blind the service to what is booked, as a racer that read before the winner committed would be.
        monkeypatch.setattr(availability, "kennel_usage", lambda ids, nights: defaultdict(availability.NightUse))
        with pytest.raises(Conflict) as exc:
            _book(world, "jones", ["max"], 1, 2, kennel=kennel)
        monkeypatch.setattr(availability, "kennel_usage", real)
        code = kennel.upper()
        assert f"kennel {code} on " in exc.value.message and _day(1).isoformat() in exc.value.message
        assert exc.value.extra == {"kennel_id": str(world[kennel]), "kennel": code, "nights": [_day(1).isoformat()]}
        assert db.session.execute(select(db.func.count()).select_from(Reservation)).scalar_one() == before


def test_a_place_number_beyond_the_kennels_capacity_is_refused_by_its_check(app, world, tenant_a):  # noqa: F811
    with as_tenant(app, tenant_a):
        smith = _book(world, "smith", ["rex"], 1, 2, kennel="a01").reservation
        # Bella holds no night on day 1, so only the place-number check can refuse this row (no key clashes).
        other = _book(world, "smith", ["bella"], 3, 4, kennel="a02").reservation
        night = _held(smith.id).night
        error = _insert(KennelNight(tenant_id=tenant_a.id, kennel_id=world["a01"], night=night, slot=2, capacity=1,
                                    reservation_id=other.id, pet_id=world["bella"], customer_id=world["smith"]))
        assert "slot_within_capacity" in error or "CHECK constraint failed" in error
