"""Booking rules each pinned by a test that fails when the rule is broken (see tests/mutations.md)."""
import itertools

import pytest

from app.core.errors import Conflict, RuleViolation
from app.models import KennelStatus
from app.services import catalog, kennels, pets, reservations
from app.services.availability import check_availability
from tests.services.test_booking import _book, _day, as_tenant, world  # noqa: F401


def test_a_second_household_is_refused_by_the_rule_naming_kennel_and_nights_not_only_by_the_database(
        app, world, tenant_a, tenant_b):  # noqa: F811
    with as_tenant(app, tenant_a):
        _book(world, "smith", ["rex"], 1, 3, kennel="a02")
        with pytest.raises(Conflict) as exc:
            _book(world, "jones", ["max"], 2, 4, kennel="a02")
        assert "A02" in exc.value.message and _day(2).isoformat() in exc.value.message
        assert exc.value.extra["nights"] == [_day(2).isoformat()]
        listed = check_availability(service_id=world["boarding"], start_date=_day(1), end_date=_day(3),
                                    pet_ids=[world["max"]])
        assert "A02" not in [c.kennel.code for c in listed.kennels]  # another household is in
        mine = check_availability(service_id=world["boarding"], start_date=_day(1), end_date=_day(3),
                                  pet_ids=[world["bella"]])
        assert {c.kennel.code: c.places_left for c in mine.kennels}["A02"] == 1  # the same household shares
    with as_tenant(app, tenant_b):  # the other tenant's A02 is free
        assert _book(world["b"], "jones", ["max"], 2, 4, kennel="a02").placements[0].kennel.code == "A02"


def test_one_household_cannot_put_more_pets_in_a_kennel_than_its_places(app, world, tenant_a):  # noqa: F811
    with as_tenant(app, tenant_a):
        third = pets.create_pet(customer_id=world["smith"], name="Coco", species="DOG")
        _book(world, "smith", ["rex", "bella"], 1, 3, kennel="a02")
        with pytest.raises(Conflict) as exc:
            reservations.book_stay(customer_id=world["smith"], service_id=world["boarding"], start_date=_day(2),
                                   end_date=_day(3), pets=[{"pet_id": third.id, "kennel_id": world["a02"]}],
                                   vaccine_override_reason="test")
        assert "A02" in exc.value.message and _day(2).isoformat() in exc.value.message


def test_a_kennel_under_maintenance_takes_no_booking_and_no_check_in(app, world, tenant_a):  # noqa: F811
    with as_tenant(app, tenant_a):
        r = _book(world, "smith", ["rex"], 0, 2, kennel="a02", confirm=True).reservation
        kennels.change_kennel_status(kennel_id=world["a02"], status=KennelStatus.MAINTENANCE, note="leak")
        with pytest.raises(RuleViolation) as exc:
            _book(world, "jones", ["max"], 5, 6, kennel="a02")
        assert "maintenance" in str(exc.value.errors)
        with pytest.raises(Conflict) as exc:
            reservations.check_in(reservation_id=r.id, vaccine_override_reason="paper")
        assert "maintenance" in exc.value.message
        listed = check_availability(service_id=world["boarding"], start_date=_day(5), end_date=_day(6))
        assert "A02" not in [c.kennel.code for c in listed.kennels]


def test_a_cat_is_refused_a_dog_run(app, world, tenant_a):  # noqa: F811
    with as_tenant(app, tenant_a):
        mixed = catalog.create_service(name="Boarding (all)", category="BOARDING", price_cents=5000,
                                       price_unit="PER_NIGHT", kennel_types=["RUN", "CAT_CONDO"],
                                       allowed_species=["DOG", "CAT"])
        tom = pets.create_pet(customer_id=world["smith"], name="Tom", species="CAT")
        with pytest.raises(RuleViolation) as exc:
            reservations.book_stay(customer_id=world["smith"], service_id=mixed.id, start_date=_day(1),
                                   end_date=_day(2), pets=[{"pet_id": tom.id, "kennel_id": world["a02"]}],
                                   vaccine_override_reason="test")
        assert "CAT" in str(exc.value.errors)


def test_a_flat_appointment_with_an_end_date_is_refused_naming_it_and_nothing_is_saved(app, world, tenant_a):  # noqa: F811
    with as_tenant(app, tenant_a):
        bath = catalog.create_service(name="Bath", category="GROOMING", price_cents=4000, price_unit="FLAT")
        with pytest.raises(RuleViolation) as exc:
            reservations.book_stay(customer_id=world["smith"], service_id=bath.id, start_date=_day(1),
                                   end_date=_day(3), pets=[{"pet_id": world["rex"]}], vaccine_override_reason="x")
        assert "end_date" in exc.value.errors
        assert reservations.list_reservations(page=1, page_size=10)[1] == 0


def test_only_the_listed_transitions_happen(app, world, tenant_a):  # noqa: F811
    with as_tenant(app, tenant_a):
        r = _book(world, "smith", ["rex"], 0, 2).reservation
        with pytest.raises(Conflict) as exc:  # PENDING cannot skip confirmation
            reservations.check_in(reservation_id=r.id, vaccine_override_reason="paper")
        assert exc.value.extra == {"current_status": "PENDING", "requested_status": "CHECKED_IN"}
        reservations.confirm(reservation_id=r.id)
        reservations.check_in(reservation_id=r.id, vaccine_override_reason="paper")
        for action, kwargs in ((reservations.cancel, {"reason": "changed mind"}), (reservations.no_show, {}),
                               (reservations.confirm, {})):
            with pytest.raises(Conflict) as exc:
                action(reservation_id=r.id, **kwargs)
            assert exc.value.extra["current_status"] == "CHECKED_IN"
        assert reservations.allowed_actions(reservations.get_reservation(reservation_id=r.id)) == ["CHECKED_OUT"]


def test_a_no_show_only_after_the_arrival_time_has_passed(app, world, tenant_a):  # noqa: F811
    with as_tenant(app, tenant_a):
        today = _book(world, "smith", ["rex"], 0, 2, kennel="a02").reservation
        with pytest.raises(Conflict) as exc:
            reservations.no_show(reservation_id=today.id)
        assert "has not passed" in exc.value.message
        assert reservations.get_reservation(reservation_id=today.id).status == "PENDING"  # nothing half-written
        yesterday = _book(world, "jones", ["max"], -1, 1, kennel="a01").reservation
        assert reservations.no_show(reservation_id=yesterday.id).status == "NO_SHOW"


def test_check_in_opens_on_the_arrival_date(app, world, tenant_a):  # noqa: F811
    with as_tenant(app, tenant_a):
        r = _book(world, "smith", ["rex"], 1, 3, kennel="a01", confirm=True).reservation
        with pytest.raises(Conflict) as exc:
            reservations.check_in(reservation_id=r.id, vaccine_override_reason="paper")
        assert "opens on the arrival date" in exc.value.message
        assert reservations.get_reservation(reservation_id=r.id).status == "CONFIRMED"


def test_a_move_is_rechecked_on_every_night_it_covers(app, world, tenant_a):  # noqa: F811
    with as_tenant(app, tenant_a):
        r = _book(world, "smith", ["rex"], 1, 4, kennel="a01").reservation
        _book(world, "jones", ["max"], 3, 4, kennel="a02")
        with pytest.raises(Conflict) as exc:
            reservations.move_pet(reservation_id=r.id, pet_id=world["rex"], kennel_id=world["a02"])
        assert "A02" in exc.value.message and _day(3).isoformat() in exc.value.message
        assert [s["code"] for s in reservations.kennel_segments(
            reservations.get_reservation(reservation_id=r.id))[world["rex"]]] == ["A01"]  # nothing moved


def test_a_confirmation_code_already_used_in_the_tenant_is_never_given_again(app, world, tenant_a, tenant_b,  # noqa: F811
                                                                          monkeypatch):
    letters = itertools.chain("AAAAAA", "AAAAAA", "CCCCCC", "AAAAAA")
    monkeypatch.setattr(reservations.secrets, "choice", lambda alphabet: next(letters))
    with as_tenant(app, tenant_a):
        first = _book(world, "smith", ["rex"], 1, 2, kennel="a01").reservation
        second = _book(world, "jones", ["max"], 1, 2, kennel="a02").reservation
        assert (first.confirmation_code, second.confirmation_code) == ("AAAAAA", "CCCCCC")
    with as_tenant(app, tenant_b):  # unique per tenant: another resort may hold the same code
        assert _book(world["b"], "smith", ["rex"], 1, 2, kennel="a01").reservation.confirmation_code == "AAAAAA"
