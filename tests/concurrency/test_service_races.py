"""Booking races at the service layer: threads, each with its own app context, session and tenant.

These run on both backends. On PostgreSQL they prove the row locks and the occupancy constraints
(many sessions write at once); on SQLite, that booking writes are serialized (one winner, no
"database is locked"). The same races through the HTTP API of a live gunicorn are in
test_booking_races.py. Every race runs in two tenants at once, with the same kennel codes.
"""
from app.core.errors import Conflict
from app.services import reservations
from tests.concurrency.world import (
    as_tenant,
    book,
    build_stage,
    kennels_of,
    movers_and_bookers,
    problems,
    race,
    reservation_count,
    stay,
)

RACERS = 30  # per tenant


def _booker(app, stage, household, start, end, *, kennel=None, pet_ids=None, service="boarding"):
    """A job that books at the start signal: ("won", reservation id) or ("lost", Conflict)."""
    def job(go):
        with as_tenant(app, stage.fx):
            kennel_id = stage.kennels[kennel] if kennel else None
            lines = [{"pet_id": p, "kennel_id": kennel_id} for p in (pet_ids or household.pet_ids)]
            go()
            try:
                booked = reservations.book_stay(customer_id=household.customer_id,
                                                service_id=getattr(stage, service), start_date=start, end_date=end,
                                                pets=lines)
            except Conflict as exc:
                return "lost", exc
            return "won", booked.reservation.id
    return job


def _mover(app, stage, reservation_id, pet_id, kennel):
    def job(go):
        with as_tenant(app, stage.fx):
            go()
            try:
                reservations.move_pet(reservation_id=reservation_id, pet_id=pet_id, kennel_id=stage.kennels[kennel])
            except Conflict as exc:
                return "lost", exc
            return "moved", reservation_id
    return job


def _split(results, stages, per_stage):
    """Results in job order -> one list per stage; anything but a win or a 409 fails the test."""
    unexpected = [r for r in results if not isinstance(r, tuple)]
    assert unexpected == [], f"racers failed with something other than a 409: {unexpected[:3]!r}"
    return [results[i * per_stage:(i + 1) * per_stage] for i in range(len(stages))]


def test_thirty_households_racing_for_the_last_free_kennel_exactly_one_wins(app, tenant_a, tenant_b):
    start, end, nights = stay(app, tenant_a)
    stages = [build_stage(app, fx, kennel_capacities={"A01": 1, "A02": 1}, households=RACERS + 1)
              for fx in (tenant_a, tenant_b)]
    for stage in stages:  # A01 is taken for these nights: A02 is the last free kennel
        book(app, stage, stage.households[0], start, end, kennel="A01")

    results = race([_booker(app, s, h, start, end, kennel="A02") for s in stages for h in s.households[1:]])

    for stage, outcomes in zip(stages, _split(results, stages, RACERS), strict=True):
        wins = [o for o in outcomes if o[0] == "won"]
        assert len(wins) == 1
        for _, exc in (o for o in outcomes if o[0] == "lost"):
            assert exc.extra["kennel"] == "A02" and exc.extra["nights"] == [n.isoformat() for n in nights]
        assert problems(app, stage) == {}
        assert reservation_count(app, stage) == 1 + len(wins)
        assert kennels_of(app, stage, wins[0][1]) == {"A02": len(nights)}


def test_two_households_racing_for_a_two_place_kennel_only_one_gets_in(app, tenant_a, tenant_b):
    start, end, nights = stay(app, tenant_a)
    stages = [build_stage(app, fx, kennel_capacities={"B01": 2}, households=2, pets_each=RACERS // 2)
              for fx in (tenant_a, tenant_b)]

    # Each household sends one request per dog: 15 each, all for the same two places.
    results = race([_booker(app, s, h, start, end, kennel="B01", pet_ids=[p])
                    for s in stages for h in s.households for p in h.pet_ids])

    for stage, outcomes in zip(stages, _split(results, stages, RACERS), strict=True):
        by_household = [outcomes[:RACERS // 2], outcomes[RACERS // 2:]]
        winners = [n for n, mine in enumerate(by_household) if any(o[0] == "won" for o in mine)]
        assert len(winners) == 1
        wins = [o for o in by_household[winners[0]] if o[0] == "won"]
        assert len(wins) == 2  # the winning household fills both places; its other requests queue and lose
        assert all(o[0] == "lost" for o in by_household[1 - winners[0]])
        assert problems(app, stage) == {}
        assert reservation_count(app, stage) == len(wins)


def test_thirty_households_racing_for_the_last_daycare_places_exactly_three_get_them(app, tenant_a, tenant_b):
    day, _, _ = stay(app, tenant_a)
    stages = [build_stage(app, fx, kennel_capacities={}, households=RACERS, daycare_places=3)
              for fx in (tenant_a, tenant_b)]

    results = race([_booker(app, s, h, day, day, service="daycare") for s in stages for h in s.households])

    for stage, outcomes in zip(stages, _split(results, stages, RACERS), strict=True):
        assert sum(o[0] == "won" for o in outcomes) == 3
        for _, exc in (o for o in outcomes if o[0] == "lost"):
            assert exc.extra["days"] == [day.isoformat()]
        assert problems(app, stage) == {}
        assert reservation_count(app, stage) == 3


def test_moves_racing_new_bookings_into_one_kennel_never_both_win(app, tenant_a, tenant_b):
    start, end, nights = stay(app, tenant_a)
    movers = RACERS // 2
    stages, moving = movers_and_bookers(app, (tenant_a, tenant_b), start, end, racers=RACERS)

    jobs = []
    for stage in stages:
        jobs += [_mover(app, stage, rid, pet, "K01") for rid, pet in moving[stage.tenant_id]]
        jobs += [_booker(app, stage, h, start, end, kennel="K01") for h in stage.households[:RACERS - movers]]
    results = race(jobs)

    for stage, outcomes in zip(stages, _split(results, stages, RACERS), strict=True):
        won = [o for o in outcomes if o[0] in ("won", "moved")]
        assert len(won) == 1
        for n, (rid, _) in enumerate(moving[stage.tenant_id], start=1):
            moved = ("moved", rid) in won
            # A stay that moved holds K01 now; one that lost the race still holds every night at home.
            assert kennels_of(app, stage, rid) == ({"K01": len(nights)} if moved else {f"J{n:02d}": len(nights)})
        assert problems(app, stage) == {}
        assert reservation_count(app, stage) == movers + sum(o[0] == "won" for o in outcomes)


def test_a_stay_moving_out_of_a_shared_kennel_while_two_households_race_in_leaves_one_household(
        app, tenant_a, tenant_b):
    # The race the one-household exclusion constraint exists for: a place freed while others book.
    # Household Y has a dog in S01 (2 places) and moves it out to J01 while Y's other dogs and
    # household X's dogs race for S01. A Y booking that saw Y's dog takes place 2; an X booking that
    # saw S01 empty after the move takes place 1: without the lock or the constraint both would stay.
    start, end, nights = stay(app, tenant_a)
    stages = [build_stage(app, fx, kennel_capacities={"S01": 2, "J01": 1}, households=2, pets_each=RACERS // 2)
              for fx in (tenant_a, tenant_b)]
    staying = {}
    for stage in stages:
        y = stage.households[0]
        staying[stage.tenant_id] = book(app, stage, y, start, end, kennel="S01", pet_ids=y.pet_ids[:1])

    jobs = []
    for stage in stages:
        x, y = stage.households[1], stage.households[0]
        jobs.append(_mover(app, stage, staying[stage.tenant_id], y.pet_ids[0], "J01"))
        jobs += [_booker(app, stage, y, start, end, kennel="S01", pet_ids=[p]) for p in y.pet_ids[1:]]
        jobs += [_booker(app, stage, x, start, end, kennel="S01", pet_ids=[p]) for p in x.pet_ids]
    results = race(jobs)

    for stage, outcomes in zip(stages, _split(results, stages, RACERS), strict=True):
        assert outcomes[0] == ("moved", staying[stage.tenant_id]), getattr(outcomes[0][1], "message", "")  # J01 was free: the move itself always succeeds
        assert kennels_of(app, stage, staying[stage.tenant_id]) == {"J01": len(nights)}
        wins = sum(o[0] == "won" for o in outcomes[1:])
        assert 1 <= wins <= 2
        assert problems(app, stage) == {}
        assert reservation_count(app, stage) == 1 + wins
