"""Booking rules at the service layer: places, households, half-open nights, the lifecycle, vaccines."""
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask import g
from sqlalchemy import func, select

from app.core.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from app.core.extensions import db
from app.models import KennelNight, Reservation, Role, ServiceDay, VaccineRequirement
from app.services import catalog, customers, kennels, pets, reservations
from app.services.compliance import tenant_today
from app.tenancy import lookup_tenant, tenant_context


@contextmanager
def as_tenant(app, fx, role=Role.MANAGER):
    """Run service calls as one tenant, with a principal of the given role."""
    with app.test_request_context(base_url=fx.base_url), tenant_context(lookup_tenant(fx.subdomain)):
        g.principal_role = role
        yield
        db.session.rollback()


def _world(app, fx):
    """Boarding in runs, daycare with 2 places a day, kennels A01 (1 place) and A02 (2), two households."""
    with as_tenant(app, fx):
        boarding = catalog.create_service(name="Boarding", category="BOARDING", price_cents=5000,
                                          price_unit="PER_NIGHT", kennel_types=["RUN"], allowed_species=["DOG"])
        daycare = catalog.create_service(name="Daycare", category="DAYCARE", price_cents=3000, price_unit="PER_DAY",
                                         allowed_species=["DOG"], daily_capacity=2)
        a01 = kennels.create_kennel(code="A01", type="RUN", size="M", capacity=1, max_weight_kg=Decimal("20"))
        a02 = kennels.create_kennel(code="A02", type="RUN", size="L", capacity=2)
        smith = customers.create_customer(first_name="Ann", last_name="Smith")
        jones = customers.create_customer(first_name="Bob", last_name="Jones")
        rex = pets.create_pet(customer_id=smith.id, name="Rex", species="DOG")
        bella = pets.create_pet(customer_id=smith.id, name="Bella", species="DOG")
        max_ = pets.create_pet(customer_id=jones.id, name="Max", species="DOG")
        return {"boarding": boarding.id, "daycare": daycare.id, "a01": a01.id, "a02": a02.id, "smith": smith.id,
                "jones": jones.id, "rex": rex.id, "bella": bella.id, "max": max_.id}


@pytest.fixture
def world(app, tenant_a, tenant_b):
    w = _world(app, tenant_a)
    w["b"] = _world(app, tenant_b)
    return w


def _day(offset: int) -> date:
    return tenant_today() + timedelta(days=offset)


def _book(w, customer, pet_ids, start, end, *, kennel=None, service="boarding", **kw):
    return reservations.book_stay(customer_id=w[customer], service_id=w[service], start_date=_day(start),
                                  end_date=None if end is None else _day(end),
                                  pets=[{"pet_id": w[p], "kennel_id": w[kennel] if kennel else None} for p in pet_ids],
                                  vaccine_override_reason="test: records on paper", **kw)


def test_a_stay_ending_the_morning_another_begins_does_not_conflict(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        _book(world, "smith", ["rex"], 1, 3, kennel="a01")
        second = _book(world, "jones", ["max"], 3, 5, kennel="a01")
        assert second.placements[0].kennel.code == "A01"


def test_an_overlapping_night_in_a_full_kennel_is_a_409_naming_kennel_and_night(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        _book(world, "smith", ["rex"], 1, 3, kennel="a01")
        with pytest.raises(Conflict) as exc:
            _book(world, "jones", ["max"], 2, 4, kennel="a01")
        assert "A01" in exc.value.message and _day(2).isoformat() in exc.value.message
        assert db.session.scalar(select(func.count()).select_from(Reservation)) == 1


def test_pets_of_two_households_never_share_a_kennel(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        _book(world, "smith", ["rex"], 1, 3, kennel="a02")
        with pytest.raises(Conflict):
            _book(world, "jones", ["max"], 1, 2, kennel="a02")
        together = _book(world, "smith", ["bella"], 1, 3, kennel="a02")  # same household: shares
        assert together.placements[0].kennel.code == "A02"


def test_auto_assignment_takes_the_smallest_fitting_kennel_and_explains(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        booked = _book(world, "smith", ["rex"], 1, 2)
        assert booked.placements[0].kennel.code == "A01"
        assert "smallest" in booked.placements[0].explanation
        both = _book(world, "smith", ["rex", "bella"], 5, 7, together=True)
        assert {p.kennel.code for p in both.placements} == {"A02"}


def test_a_pet_too_heavy_for_the_kennel_is_refused(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        pets.update_pet(pet_id=world["rex"], weight_lbs=Decimal("80"))
        with pytest.raises(RuleViolation) as exc:
            _book(world, "smith", ["rex"], 1, 2, kennel="a01")
        assert "limit" in str(exc.value.errors)


def test_daily_capacity_counts_pets_across_bookings(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        _book(world, "smith", ["rex", "bella"], 1, 1, service="daycare")
        with pytest.raises(Conflict) as exc:
            _book(world, "jones", ["max"], 1, 1, service="daycare")
        assert "full" in exc.value.message
        _book(world, "jones", ["max"], 2, 2, service="daycare")
        assert db.session.scalar(select(func.count()).select_from(ServiceDay)) == 3


def test_the_lifecycle_refuses_any_other_transition_naming_both_statuses(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        r = _book(world, "smith", ["rex"], 0, 2).reservation
        with pytest.raises(Conflict) as exc:
            reservations.check_out(reservation_id=r.id)
        assert "PENDING" in exc.value.message and "CHECKED_OUT" in exc.value.message
        reservations.confirm(reservation_id=r.id)
        reservations.check_in(reservation_id=r.id, belongings=["Blanket"], vaccine_override_reason="paper copy")
        with pytest.raises(RuleViolation):
            reservations.check_out(reservation_id=r.id)  # belongings not confirmed returned
        reservations.check_out(reservation_id=r.id, belongings_returned=True)
        assert db.session.scalar(select(func.count()).select_from(KennelNight)) == 0  # places released


def test_cancel_needs_a_reason_and_frees_the_kennel(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        r = _book(world, "smith", ["rex"], 1, 3, kennel="a01").reservation
        with pytest.raises(RuleViolation):
            reservations.cancel(reservation_id=r.id, reason=" ")
        reservations.cancel(reservation_id=r.id, reason="Owner ill")
        _book(world, "jones", ["max"], 1, 3, kennel="a01")


def test_missing_vaccines_need_a_manager_override(app, world, tenant_a):
    with as_tenant(app, tenant_a, role=Role.STAFF):
        with pytest.raises(RuleViolation) as exc:
            reservations.book_stay(customer_id=world["smith"], service_id=world["boarding"], start_date=_day(1),
                                   end_date=_day(2), pets=[{"pet_id": world["rex"]}])
        assert "vaccine_override_reason" in exc.value.errors
        with pytest.raises(PermissionDenied):
            _book(world, "smith", ["rex"], 1, 2)


def test_another_tenants_pet_or_kennel_is_not_found(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        with pytest.raises(NotFound):
            reservations.book_stay(customer_id=world["smith"], service_id=world["boarding"], start_date=_day(1),
                                   end_date=_day(2), pets=[{"pet_id": world["b"]["rex"]}])
        with pytest.raises(NotFound):
            reservations.book_stay(customer_id=world["smith"], service_id=world["boarding"], start_date=_day(1),
                                   end_date=_day(2), pets=[{"pet_id": world["rex"], "kennel_id": world["b"]["a01"]}],
                                   vaccine_override_reason="x")


def test_editing_dates_rechecks_and_reprices(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        r = _book(world, "smith", ["rex"], 1, 3, kennel="a01").reservation
        _book(world, "jones", ["max"], 5, 6, kennel="a01")
        preview = reservations.preview_update(reservation_id=r.id, end_date=_day(4))
        assert preview["difference_cents"] == 5000
        assert reservations.get_reservation(reservation_id=r.id).total_cents == 10000  # preview saved nothing
        with pytest.raises(Conflict):
            reservations.update_reservation(reservation_id=r.id, end_date=_day(6), vaccine_override_reason="x")
        booked = reservations.update_reservation(reservation_id=r.id, end_date=_day(5), vaccine_override_reason="x")
        assert booked.reservation.total_cents == 20000


def test_a_move_from_a_night_splits_the_stay(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        r = _book(world, "smith", ["rex"], 1, 4, kennel="a01").reservation
        reservations.move_pet(reservation_id=r.id, pet_id=world["rex"], kennel_id=world["a02"], from_date=_day(2))
        segments = reservations.kennel_segments(reservations.get_reservation(reservation_id=r.id))[world["rex"]]
        assert [(s["code"], s["from"], s["to"]) for s in segments] == [("A01", _day(1), _day(2)),
                                                                      ("A02", _day(2), _day(4))]


def test_lowering_a_kennels_capacity_below_its_bookings_is_a_409(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        _book(world, "smith", ["rex", "bella"], 1, 3, kennel="a02")
        with pytest.raises(Conflict) as exc:
            kennels.update_kennel(kennel_id=world["a02"], capacity=1)
        assert "capacity" in exc.value.errors


def test_history_keeps_customers_pets_kennels_services_and_addons(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        walk = catalog.create_addon(name="Walk", price_cents=500, unit="PER_STAY", service_ids=[world["boarding"]])
        _book(world, "smith", ["rex"], 1, 2, kennel="a01", addons=[{"addon_id": walk.id, "quantity": 1}])
        with pytest.raises(Conflict):
            customers.delete_customer(customer_id=world["smith"])
        with pytest.raises(Conflict):
            pets.delete_pet(pet_id=world["rex"])
        assert kennels.delete_kennel(kennel_id=world["a01"]).active is False
        assert catalog.delete_service(service_id=world["boarding"]).active is False
        assert catalog.delete_addon(addon_id=walk.id).active is False
        customers.delete_customer(customer_id=world["jones"])  # no history: really deleted


def test_the_vaccine_gate_reads_requirements_from_the_database_not_the_cache(app, world, tenant_a):
    from app.core.rls import OWNER
    from app.services import compliance

    with as_tenant(app, tenant_a, role=Role.STAFF):
        assert compliance.requirement_map()  # warm: the defaults require Rabies and more
        with db.engine.execution_options(**{OWNER: True}).begin() as conn:  # behind the cache's back
            table = VaccineRequirement.__table__
            conn.execute(table.delete().where(table.c.tenant_id == tenant_a.id))
        assert compliance.requirement_map()  # the cached copy is stale now
        booked = reservations.book_stay(customer_id=world["smith"], service_id=world["boarding"],
                                        start_date=_day(1), end_date=_day(2), pets=[{"pet_id": world["rex"]}])
        assert booked.warnings == []
