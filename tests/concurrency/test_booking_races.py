"""Booking races through the HTTP API of a live gunicorn (2 workers x 16 threads) on PostgreSQL.

Every race fires its requests from threads released by one barrier, each on its own connection
(opened before the signal), in two tenants at once with the same kennel codes. Afterwards SQL run
as the owner proves the database held (world.problems: no kennel-night over capacity or with two
households, no service day over its daily capacity, every live stay holding its nights), and no
request got a 5xx. The same races at the service layer, on both backends: test_service_races.py.
"""
import pytest

from app.models import Role
from tests.concurrency.world import (
    book,
    booking_body,
    build_stage,
    http_job,
    kennels_of,
    movers_and_bookers,
    problems,
    race,
    reservation_count,
    stay,
)
from tests.faults.harness import Reply

pytestmark = pytest.mark.postgres

RACERS = 30  # per tenant: 60 requests in flight against 32 server threads


def _booking(server, stage, household, start, end, **kw):
    return http_job(server.port, "POST", "/api/v1/reservations", headers=stage.fx.headers(Role.STAFF),
                    body=booking_body(stage, household, start, end, **kw))


def _move(server, stage, reservation_id, pet_id, kennel):
    return http_job(server.port, "POST", f"/api/v1/reservations/{reservation_id}/move",
                    headers=stage.fx.headers(Role.STAFF),
                    body={"pet_id": str(pet_id), "kennel_id": str(stage.kennels[kennel])})


def _split(replies, stages, per_stage) -> list[list[Reply]]:
    """Replies in job order -> one list per stage; a failed connection, a 5xx or anything but 2xx/409 fails."""
    odd = [r if not isinstance(r, Reply) else (r.status, r.body) for r in replies
           if not isinstance(r, Reply) or r.status not in (200, 201, 409)]
    assert odd == [], f"racers got something other than a success or a 409: {odd[:3]!r}"
    return [replies[i * per_stage:(i + 1) * per_stage] for i in range(len(stages))]


def _held(stage, reply: Reply) -> dict[str, int]:
    """{kennel code: pets} a 201 says it holds."""
    codes: dict[str, int] = {}
    for line in reply.body["pets"]:
        codes[line["kennel_code"]] = codes.get(line["kennel_code"], 0) + 1
    return codes


def test_thirty_households_racing_for_the_last_free_kennel_over_http_exactly_one_wins(
        app, race_server, tenant_a, tenant_b):
    start, end, nights = stay(app, tenant_a)
    stages = [build_stage(app, fx, kennel_capacities={"A01": 1, "A02": 1}, households=RACERS + 1)
              for fx in (tenant_a, tenant_b)]
    for stage in stages:  # A01 is taken for these nights: A02 is the last free kennel
        book(app, stage, stage.households[0], start, end, kennel="A01")

    replies = race([_booking(race_server, s, h, start, end, kennel="A02") for s in stages for h in s.households[1:]])

    for stage, mine in zip(stages, _split(replies, stages, RACERS), strict=True):
        wins = [r for r in mine if r.status == 201]
        assert len(wins) == 1
        won = wins[0]
        assert won.headers["location"].endswith(f"/api/v1/reservations/{won.body['id']}") and won.headers["etag"]
        assert _held(stage, won) == {"A02": 1} and won.body["confirmation_code"]
        for lost in (r for r in mine if r.status == 409):
            assert lost.body["kennel"] == "A02" and lost.body["nights"] == [n.isoformat() for n in nights]
            assert "A02" in lost.body["message"]
        assert problems(app, stage) == {}
        assert reservation_count(app, stage) == 2
        assert kennels_of(app, stage, _uuid(won.body["id"])) == {"A02": len(nights)}


def test_two_households_racing_for_a_two_place_kennel_over_http_only_one_gets_in(
        app, race_server, tenant_a, tenant_b):
    start, end, nights = stay(app, tenant_a)
    stages = [build_stage(app, fx, kennel_capacities={"B01": 2}, households=2, pets_each=RACERS // 2)
              for fx in (tenant_a, tenant_b)]

    # Each household sends one request per dog: 15 each, all for the same two places.
    replies = race([_booking(race_server, s, h, start, end, kennel="B01", pet_ids=[p])
                    for s in stages for h in s.households for p in h.pet_ids])

    for stage, mine in zip(stages, _split(replies, stages, RACERS), strict=True):
        by_household = [mine[:RACERS // 2], mine[RACERS // 2:]]
        winners = [n for n, theirs in enumerate(by_household) if any(r.status == 201 for r in theirs)]
        assert len(winners) == 1
        wins = [r for r in by_household[winners[0]] if r.status == 201]
        assert len(wins) == 2  # the winning household fills both places; its other requests queue and lose
        assert all(r.status == 409 for r in by_household[1 - winners[0]])
        for lost in (r for r in mine if r.status == 409):
            assert lost.body["kennel"] == "B01" and lost.body["nights"] == [n.isoformat() for n in nights]
        assert problems(app, stage) == {}
        assert reservation_count(app, stage) == 2


def test_thirty_households_racing_for_the_last_daycare_places_over_http_exactly_three_get_them(
        app, race_server, tenant_a, tenant_b):
    day, _, _ = stay(app, tenant_a)
    stages = [build_stage(app, fx, kennel_capacities={}, households=RACERS + 2, daycare_places=5)
              for fx in (tenant_a, tenant_b)]
    for stage in stages:  # two of the five places are already sold: three are left
        for household in stage.households[:2]:
            book(app, stage, household, day, day, service="daycare")

    replies = race([_booking(race_server, s, h, day, day, service="daycare") for s in stages for h in s.households[2:]])

    for stage, mine in zip(stages, _split(replies, stages, RACERS), strict=True):
        assert sum(r.status == 201 for r in mine) == 3
        for lost in (r for r in mine if r.status == 409):
            assert lost.body["days"] == [day.isoformat()]
        assert problems(app, stage) == {}
        assert reservation_count(app, stage) == 2 + 3


def test_moves_racing_new_bookings_into_one_kennel_over_http_never_exceed_its_capacity(
        app, race_server, tenant_a, tenant_b):
    start, end, nights = stay(app, tenant_a)
    movers = RACERS // 2
    stages, moving = movers_and_bookers(app, (tenant_a, tenant_b), start, end, racers=RACERS)

    jobs = []
    for stage in stages:
        jobs += [_move(race_server, stage, rid, pet, "K01") for rid, pet in moving[stage.tenant_id]]
        jobs += [_booking(race_server, stage, h, start, end, kennel="K01") for h in stage.households[:RACERS - movers]]
    replies = race(jobs)

    for stage, mine in zip(stages, _split(replies, stages, RACERS), strict=True):
        moves, bookings = mine[:movers], mine[movers:]
        holders = sum(r.status == 200 for r in moves) + sum(r.status == 201 for r in bookings)
        assert holders == 1  # K01 has one place: the first to lock it wins, everyone else is told why
        for lost in (r for r in mine if r.status == 409):
            assert lost.body["kennel"] == "K01" and lost.body["nights"] == [n.isoformat() for n in nights]
        for n, ((rid, _), reply) in enumerate(zip(moving[stage.tenant_id], moves, strict=True), start=1):
            # A stay that moved holds K01 now; one that lost the race still holds every night at home.
            expected = {"K01": len(nights)} if reply.status == 200 else {f"J{n:02d}": len(nights)}
            assert kennels_of(app, stage, rid) == expected
        assert problems(app, stage) == {}
        assert reservation_count(app, stage) == movers + sum(r.status == 201 for r in bookings)


def _uuid(value: str):
    import uuid

    return uuid.UUID(value)
