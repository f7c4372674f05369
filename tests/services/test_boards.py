"""The day sheet, kennel grid and kennel cards: the right stays in the right place, in constant queries."""
from datetime import timedelta

import pytest

from app.models import Role
from app.services import boards, reservations
from tests.conftest import BACKEND
from tests.services.test_booking import _book, _day, as_tenant, world  # noqa: F401


def test_the_day_sheet_sorts_arrivals_departures_and_in_house(app, world, tenant_a):  # noqa: F811
    with as_tenant(app, tenant_a):
        leaving = _book(world, "smith", ["rex"], -1, 0, kennel="a01").reservation
        reservations.confirm(reservation_id=leaving.id)
        reservations.check_in(reservation_id=leaving.id, vaccine_override_reason="paper")
        arriving = _book(world, "jones", ["max"], 0, 2, kennel="a01").reservation
        staying = _book(world, "smith", ["bella"], -1, 3, kennel="a02").reservation
        reservations.confirm(reservation_id=staying.id)
        reservations.check_in(reservation_id=staying.id, vaccine_override_reason="paper")
        sheet = boards.day_sheet(day=_day(0))
        assert [e.reservation.id for e in sheet.arrivals] == [arriving.id]
        assert [e.reservation.id for e in sheet.departures] == [leaving.id]
        assert [e.reservation.id for e in sheet.in_house] == [staying.id]
        assert sheet.pets_tonight == 2 and sheet.capacity_tonight == 3
        assert all(e.has_vaccine_problem for e in sheet.arrivals)


def test_the_day_sheet_and_grid_run_constant_queries(app, world, tenant_a, count_queries):  # noqa: F811
    def measure():
        with as_tenant(app, tenant_a):
            boards.day_sheet(day=_day(1))  # warm the cached vaccine requirements (bookings read them fresh)
            with count_queries() as sheet:
                boards.day_sheet(day=_day(1))
            with count_queries() as grid:
                boards.kennel_grid(start=_day(0))
        return sheet.count, grid.count

    with as_tenant(app, tenant_a):
        _book(world, "smith", ["rex"], 1, 2, kennel="a01")
    few = measure()
    with as_tenant(app, tenant_a):
        for n in range(3, 12, 2):
            _book(world, "smith", ["rex", "bella"], n, n + 2, kennel="a02")
            _book(world, "jones", ["max"], n, n + 1, kennel="a01")
    assert measure() == few


@pytest.mark.skipif(BACKEND != "postgres", reason="counts round trips to Redis, which the embedded default has not")
def test_the_day_sheet_reads_the_cached_requirements_once_however_many_pets(app, world, tenant_a,  # noqa: F811
                                                                             count_redis_trips):
    def trips() -> int:
        with as_tenant(app, tenant_a):
            boards.day_sheet(day=_day(1))  # warm
            with count_redis_trips() as sent:
                boards.day_sheet(day=_day(1))
        return len(sent)

    with as_tenant(app, tenant_a):
        _book(world, "smith", ["rex"], 1, 2, kennel="a01")
    few = trips()
    with as_tenant(app, tenant_a):
        _book(world, "jones", ["max"], 1, 3, kennel="a02")
        _book(world, "smith", ["bella"], 1, 2, service="daycare")
    assert trips() == few == 1  # the vaccine requirements: one cache read for the whole sheet


def test_the_grid_shows_a_moved_pet_in_both_kennels(app, world, tenant_a):  # noqa: F811
    with as_tenant(app, tenant_a):
        r = _book(world, "smith", ["rex"], 1, 4, kennel="a01").reservation
        reservations.move_pet(reservation_id=r.id, pet_id=world["rex"], kennel_id=world["a02"], from_date=_day(2))
        grid = boards.kennel_grid(start=_day(0), days=5)
        rows = {k.code: cells for k, cells in grid.rows}
        assert [bool(c) for c in rows["A01"]] == [False, True, False, False, False]
        assert [bool(c) for c in rows["A02"]] == [False, False, True, True, False]
        assert rows["A02"][1] == [] and rows["A02"][2][0].starts


def test_other_tenants_stays_never_appear(app, world, tenant_a, tenant_b):  # noqa: F811
    with as_tenant(app, tenant_b, role=Role.MANAGER):
        _book(world["b"], "smith", ["rex"], 0, 2, kennel="a01")
    with as_tenant(app, tenant_a):
        sheet = boards.day_sheet(day=_day(0))
        assert not sheet.arrivals and sheet.pets_tonight == 0
        assert all(not any(cells) for _, cells in boards.kennel_grid(start=_day(0)).rows)
        assert boards.kennel_cards(day=_day(0) + timedelta(days=1)) == []


def test_the_grid_and_cards_load_only_stays_that_need_a_kennel(app, world, tenant_a):  # noqa: F811
    """A large resort's daycare days are not loaded (with their households and pets) only to be dropped."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from app.core.extensions import db
    from app.models import Reservation

    loaded: set = set()

    def note(session, instance):
        if isinstance(instance, Reservation):
            loaded.add(instance.id)

    with as_tenant(app, tenant_a):
        stay = _book(world, "smith", ["rex"], 1, 3, kennel="a01").reservation
        reservations.confirm(reservation_id=stay.id)
        daycare = _book(world, "jones", ["max"], 1, 1, service="daycare").reservation
        reservations.confirm(reservation_id=daycare.id)
        stay_id, daycare_id = stay.id, daycare.id
        for call in (lambda: boards.kennel_grid(start=_day(0), days=5), lambda: boards.kennel_cards(day=_day(1))):
            db.session.expunge_all()
            loaded.clear()
            event.listen(Session, "loaded_as_persistent", note)
            try:
                call()
            finally:
                event.remove(Session, "loaded_as_persistent", note)
            assert loaded == {stay_id}
        db.session.expunge_all()
        sheet = boards.day_sheet(day=_day(1))  # the day sheet still lists the daycare
        assert [e.reservation.id for e in sheet.daycare] == [daycare_id]


def test_the_grid_pages_kennels_and_loads_only_the_pages_stays(app, world, tenant_a, tenant_b, count_queries):  # noqa: F811
    """A page is `per_page` kennels in board order; stays in another page's kennels are not loaded, and a page
    costs the same queries however many kennels and stays the resort has."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from app.core.extensions import db
    from app.models import Reservation

    loaded: set = set()

    def note(session, instance):
        if isinstance(instance, Reservation):
            loaded.add(instance.id)

    with as_tenant(app, tenant_b, role=Role.MANAGER):
        _book(world["b"], "smith", ["rex"], 0, 2, kennel="a01")
    with as_tenant(app, tenant_a):
        first = _book(world, "smith", ["rex"], 1, 3, kennel="a01").reservation
        second = _book(world, "jones", ["max"], 1, 2, kennel="a02").reservation
        gone = _book(world, "smith", ["bella"], 0, 1, kennel="a02").reservation
        reservations.confirm(reservation_id=gone.id)
        reservations.check_in(reservation_id=gone.id, vaccine_override_reason="paper")
        reservations.check_out(reservation_id=gone.id)
        ids = {"a01": first.id, "a02": second.id, "gone": gone.id}
        pages = {}
        for page in (1, 2, 3):
            db.session.expunge_all()
            loaded.clear()
            event.listen(Session, "loaded_as_persistent", note)
            try:
                with count_queries() as queries:
                    grid = boards.kennel_grid(start=_day(0), days=4, page=page, per_page=1)
            finally:
                event.remove(Session, "loaded_as_persistent", note)
            pages[page] = (grid, set(loaded), queries.count)
    one, two, beyond = pages[1], pages[2], pages[3]
    assert [k.code for k, _ in one[0].rows] == ["A01"] and (one[0].page, one[0].pages, one[0].kennels) == (1, 2, 2)
    assert one[1] == {ids["a01"]}  # A02's stays (the live one and the one checked out) are not loaded
    assert [k.code for k, _ in two[0].rows] == ["A02"] and two[0].first == 2
    assert two[1] == {ids["a02"], ids["gone"]}
    cells = dict(two[0].rows)[next(k for k, _ in two[0].rows)]
    assert [c[0].reservation_id if c else None for c in cells] == [ids["gone"], ids["a02"], None, None]
    assert beyond[0].page == 2  # past the last page: the last page
    assert one[2] == two[2]
