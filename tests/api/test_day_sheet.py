"""Day-sheet API: the right stays in the right lists for a tenant-local day, in constant queries; tenants apart.

Also the tenant's "today": with one resort in Pacific/Honolulu and one in Asia/Tokyo, the clock is stopped at
20:00 UTC, when Honolulu is still on the UTC date (10:00) and Tokyo already on the next one (05:00).
"""
from datetime import UTC, datetime

import pytest

from app.models import Role
from app.services import compliance, reservations
from tests.api.test_reservations import _ok, act, book, booking, day, make_world, world  # noqa: F401


def _sheet(client, fx, date=None):
    return client.get("/api/v1/day-sheet" + (f"?date={date}" if date else ""), headers=fx.headers())


def _ids(entries) -> list[str]:
    return [e["reservation_id"] for e in entries]


def test_the_day_sheet_sorts_arrivals_departures_in_house_daycare_and_grooming(client, world, tenant_a):  # noqa: F811
    leaving = _ok(book(client, tenant_a, booking(world, start=-1, end=0, kennel="a01", confirm=True)))
    _ok(act(client, tenant_a, leaving["id"], "check-in"), 200)
    staying = _ok(book(client, tenant_a, booking(world, pets=("bella",), start=-1, end=2, kennel="a02",
                                                 confirm=True)))
    _ok(act(client, tenant_a, staying["id"], "check-in"), 200)
    arriving = _ok(book(client, tenant_a, booking(world, customer="jones", pets=("max",), start=0, end=2,
                                                  kennel="a01", confirm=True)))
    care = _ok(book(client, tenant_a, booking(world, customer="jones", pets=("max",), start=0, end=0,
                                              service="daycare")))
    groom = _ok(book(client, tenant_a, booking(world, start=0, end=None, service="grooming")))
    cancelled = _ok(book(client, tenant_a, booking(world, pets=("tom",), start=0, end=None, service="grooming")))
    _ok(act(client, tenant_a, cancelled["id"], "cancel", {"reason": "Ill"}), 200)
    sheet = _ok(_sheet(client, tenant_a), 200)
    assert sheet["date"] == day(0)
    assert _ids(sheet["arrivals"]) == [arriving["id"]] and _ids(sheet["departures"]) == [leaving["id"]]
    assert _ids(sheet["in_house"]) == [staying["id"]]
    assert _ids(sheet["daycare"]) == [care["id"]] and _ids(sheet["grooming"]) == [groom["id"]]
    assert sheet["counts"] == {"arrivals": 1, "departures": 1, "in_house": 1, "daycare": 1, "grooming": 1}
    assert sheet["occupancy"] == {"pets_tonight": 2, "capacity_tonight": 4}  # Bella and Max; A01 + A02 + C01
    entry = sheet["arrivals"][0]
    assert entry["pets"][0]["pet_name"] == "Max" and entry["pets"][0]["kennel_code"] == "A01"
    assert entry["customer_name"] == "Bob Jones" and "CHECKED_IN" in entry["allowed_actions"]
    assert _ok(_sheet(client, tenant_a, day(2)), 200)["departures"][0]["reservation_id"] in (staying["id"],
                                                                                               arriving["id"])


def test_a_pet_with_vaccine_problems_is_flagged(client, world, tenant_a):  # noqa: F811
    _ok(book(client, tenant_a, booking(world, customer="jones", pets=("nova",), start=0, end=1,
                                       vaccine_override_reason="Paper copy"), role=Role.MANAGER))
    pet = _ok(_sheet(client, tenant_a), 200)["arrivals"][0]["pets"][0]
    assert pet["pet_name"] == "Nova" and "Rabies missing" in pet["vaccine_problems"]


def test_a_malformed_date_is_a_422_naming_it(client, tenant_a):
    r = _sheet(client, tenant_a, "2026-02-30")
    assert r.status_code == 422 and "date" in r.json["errors"]


def test_the_day_sheet_runs_the_same_statements_for_one_stay_or_many(client, world, tenant_a,  # noqa: F811
                                                                      count_queries):
    def measure() -> int:
        _sheet(client, tenant_a)  # warm the tenant, key and vaccine-requirement caches
        with count_queries() as n:
            assert _sheet(client, tenant_a).status_code == 200
        return n.count

    _ok(book(client, tenant_a, booking(world, start=0, end=2, kennel="a01")))
    few = measure()
    _ok(book(client, tenant_a, booking(world, pets=("bella",), start=0, end=3, kennel="a02")))
    _ok(book(client, tenant_a, booking(world, customer="jones", pets=("max",), start=0, end=0, service="daycare")))
    _ok(book(client, tenant_a, booking(world, customer="jones", pets=("nova",), start=0, end=None,
                                       service="grooming", vaccine_override_reason="Paper"), role=Role.MANAGER))
    _ok(book(client, tenant_a, booking(world, pets=("rex",), start=0, end=0, service="daycare")))
    assert _ok(_sheet(client, tenant_a), 200)["counts"]["arrivals"] == 2
    assert measure() == few


def test_another_tenants_stays_never_appear(client, world, tenant_a, tenant_b):  # noqa: F811
    _ok(book(client, tenant_b, booking(world["b"], start=0, end=2, kennel="a01")))
    _ok(book(client, tenant_b, booking(world["b"], customer="jones", pets=("max",), start=0, end=0,
                                       service="daycare")))
    sheet = _ok(_sheet(client, tenant_a), 200)
    assert not any(sheet[k] for k in ("arrivals", "departures", "in_house", "daycare", "grooming"))
    assert sheet["occupancy"]["pets_tonight"] == 0
    theirs = _ok(_sheet(client, tenant_b), 200)
    assert theirs["counts"]["arrivals"] == 1 and theirs["counts"]["daycare"] == 1


# --- the tenant's today -----------------------------------------------------------------------


@pytest.fixture
def evening_utc(monkeypatch):
    """Stop the services' clock at 20:00 UTC today (the tenant's today and now are read from it)."""
    instant = datetime.now(UTC).replace(hour=20, minute=0, second=0, microsecond=0)

    class Stopped(datetime):
        @classmethod
        def now(cls, tz=None):
            return instant.astimezone(tz) if tz else instant.replace(tzinfo=None)

    for module in (compliance, reservations):
        monkeypatch.setattr(module, "datetime", Stopped)
    return instant


def _move_to(client, fx, timezone):
    tag = client.get("/api/v1/tenant", headers=fx.headers()).headers["ETag"]
    _ok(client.patch("/api/v1/tenant", headers=fx.headers(**{"If-Match": tag}), json={"timezone": timezone}), 200)


@pytest.fixture
def honolulu_and_tokyo(client, tenant_a, tenant_b, evening_utc):
    _move_to(client, tenant_a, "Pacific/Honolulu")
    _move_to(client, tenant_b, "Asia/Tokyo")
    return {"honolulu": (tenant_a, make_world(client, tenant_a)), "tokyo": (tenant_b, make_world(client, tenant_b))}


def test_the_day_sheet_defaults_to_each_resorts_own_today(client, honolulu_and_tokyo):
    (hnl, hw), (tyo, tw) = honolulu_and_tokyo["honolulu"], honolulu_and_tokyo["tokyo"]
    assert _ok(_sheet(client, hnl), 200)["date"] == day(0)  # 10:00 in Honolulu
    assert _ok(_sheet(client, tyo), 200)["date"] == day(1)  # 05:00 the next day in Tokyo
    # A stay arriving on the UTC date + 1 is tomorrow's arrival in Honolulu, today's in Tokyo.
    _ok(book(client, hnl, booking(hw, start=1, end=3)))
    _ok(book(client, tyo, booking(tw, start=1, end=3)))
    assert _ok(_sheet(client, hnl), 200)["arrivals"] == []
    assert len(_ok(_sheet(client, tyo), 200)["arrivals"]) == 1


def test_an_arrival_in_the_past_is_judged_by_the_resorts_own_today(app, client, honolulu_and_tokyo):
    from tests.api.test_reservations import counts

    (hnl, hw), (tyo, tw) = honolulu_and_tokyo["honolulu"], honolulu_and_tokyo["tokyo"]
    # The UTC date - 1 is yesterday in Honolulu (a late walk-in may still be entered) but two days ago in Tokyo.
    _ok(book(client, hnl, booking(hw, start=-1, end=1)))
    late = book(client, tyo, booking(tw, start=-1, end=1))
    assert late.status_code == 422 and "start_date" in late.json["errors"]
    assert counts(app, tyo) == (0, 0, 0) and counts(app, hnl)[0] == 1


def test_check_in_opens_on_each_resorts_own_arrival_day(client, honolulu_and_tokyo):
    (hnl, hw), (tyo, tw) = honolulu_and_tokyo["honolulu"], honolulu_and_tokyo["tokyo"]
    h = _ok(book(client, hnl, booking(hw, start=1, end=3, confirm=True)))
    t = _ok(book(client, tyo, booking(tw, start=1, end=3, confirm=True)))
    assert act(client, hnl, h["id"], "check-in").status_code == 409  # tomorrow in Honolulu
    assert _ok(act(client, tyo, t["id"], "check-in"), 200)["status"] == "CHECKED_IN"  # today in Tokyo
