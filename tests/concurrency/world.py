"""What the race tests share: a resort to fight over, a barrier that starts every request at once,
and the SQL that proves the database held (run as the owner, so it sees every tenant's rows).

A stage is one tenant's resort, built through the services: a boarding service in RUN kennels, a
daycare with a few places a day, kennels by code, and households (each a customer with dogs). The
resort checks vaccination papers at the door rather than at booking (its dog boarding and daycare
requirements are removed), so front-desk staff book without a manager's override.
Every race runs in two tenants at once with the same kennel codes; each must get its own winner.
"""
import http.client
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import g
from sqlalchemy import text

from app.core.extensions import db
from app.core.rls import OWNER
from app.models import Role
from app.services import catalog, compliance, customers, kennels, pets, reservations
from app.services.compliance import tenant_today
from app.tenancy import TenantInfo, lookup_tenant, tenant_context
from tests.faults.harness import Reply

RACE_TIMEOUT = 120  # seconds a racer may wait at the barrier or for its answer before the test fails


@contextmanager
def as_tenant(app, fx, role: Role = Role.STAFF) -> Iterator[TenantInfo]:
    """Service calls as one tenant with a principal of the given role (its own app context and session)."""
    with app.test_request_context(base_url=fx.base_url), tenant_context(lookup_tenant(fx.subdomain)) as info:
        g.principal_role = role
        try:
            yield info
        finally:
            db.session.rollback()


@dataclass
class Household:
    customer_id: uuid.UUID
    name: str
    pet_ids: list[uuid.UUID]


@dataclass
class Stage:
    """One tenant's resort, ready for a race."""

    fx: object  # tests.conftest.TenantFixture
    boarding: uuid.UUID
    daycare: uuid.UUID
    daycare_places: int
    kennels: dict[str, uuid.UUID]
    households: list[Household] = field(default_factory=list)

    @property
    def tenant_id(self) -> uuid.UUID:
        return self.fx.id


def build_stage(app, fx, *, kennel_capacities: dict[str, int], households: int = 0, pets_each: int = 1,
                daycare_places: int = 3, prefix: str = "Guest") -> Stage:
    """A tenant's services, kennels (code -> capacity) and `households` households of `pets_each` dogs."""
    with as_tenant(app, fx):
        for requirement in compliance.list_requirements():
            if requirement.species.value == "DOG" and requirement.category.value in ("BOARDING", "DAYCARE"):
                compliance.remove_requirement(requirement_id=requirement.id)
        boarding = catalog.create_service(name="Boarding", category="BOARDING", price_cents=5000,
                                          price_unit="PER_NIGHT", kennel_types=["RUN"], allowed_species=["DOG"])
        daycare = catalog.create_service(name="Daycare", category="DAYCARE", price_cents=3000, price_unit="PER_DAY",
                                         allowed_species=["DOG"], daily_capacity=daycare_places)
        codes = {}
        for n, (code, capacity) in enumerate(kennel_capacities.items()):
            codes[code] = kennels.create_kennel(code=code, type="RUN", size="L" if capacity > 1 else "M",
                                                capacity=capacity, sort_order=n).id
        stage = Stage(fx=fx, boarding=boarding.id, daycare=daycare.id, daycare_places=daycare_places, kennels=codes)
    add_households(app, stage, households, pets_each=pets_each, prefix=prefix)
    return stage


def add_households(app, stage: Stage, count: int, *, pets_each: int = 1, prefix: str = "Guest") -> list[Household]:
    """Add households of dogs to a stage; returns the new ones."""
    added = []
    with as_tenant(app, stage.fx):
        for n in range(1, count + 1):
            customer = customers.create_customer(first_name=prefix, last_name=f"Family {n:02d}")
            ids = [pets.create_pet(customer_id=customer.id, name=f"{prefix} dog {n}.{m}", species="DOG").id
                   for m in range(1, pets_each + 1)]
            added.append(Household(customer.id, customer.full_name, ids))
    stage.households += added
    return added


def stay(app, fx, first: int = 20, nights: int = 3) -> tuple[date, date, list[date]]:
    """(arrival, departure, nights) of a stay starting `first` days from the tenant's today."""
    with as_tenant(app, fx):
        start = tenant_today() + timedelta(days=first)
    return start, start + timedelta(days=nights), [start + timedelta(days=i) for i in range(nights)]


def book(app, stage: Stage, household: Household, start: date, end: date | None, *, kennel: str | None = None,
         pet_ids: list[uuid.UUID] | None = None, service: str = "boarding"):
    """Book through the service (set-up and thread-level races); returns the reservation id."""
    with as_tenant(app, stage.fx):
        booked = reservations.book_stay(
            customer_id=household.customer_id, service_id=getattr(stage, service), start_date=start, end_date=end,
            pets=[{"pet_id": p, "kennel_id": stage.kennels[kennel] if kennel else None}
                  for p in (pet_ids or household.pet_ids)])
        return booked.reservation.id


# --- the start line ------------------------------------------------------------------------------


def movers_and_bookers(app, tenants, start: date, end: date, *, racers: int):
    """Per tenant, a stage where half the racers are stays in J01.. (to move to K01), half households to book K01.

    Returns the stages and, per tenant id, the movers' (reservation id, pet id).
    """
    movers = racers // 2
    capacities = {"K01": 1} | {f"J{n:02d}": 1 for n in range(1, movers + 1)}
    stages = [build_stage(app, fx, kennel_capacities=capacities, households=racers - movers) for fx in tenants]
    moving = {}
    for stage in stages:
        homes = add_households(app, stage, movers, prefix="Mover")
        moving[stage.tenant_id] = [(book(app, stage, h, start, end, kennel=f"J{n:02d}"), h.pet_ids[0])
                                   for n, h in enumerate(homes, start=1)]
    return stages, moving


def race(jobs: list[Callable[[Callable[[], None]], object]]) -> list[object]:
    """Run every job on its own thread; each calls the `go()` it is given right before its racing call.

    All jobs pass `go()` together (a barrier), so their requests reach the server at the same moment.
    Returns each job's result, or the exception it raised, in order.
    """
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def go() -> None:
        barrier.wait(timeout=RACE_TIMEOUT)

    def run(i: int, job) -> None:
        try:
            results[i] = job(go)
        except BaseException as exc:  # noqa: BLE001 - the test inspects every outcome
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, job), name=f"racer-{i}") for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=RACE_TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a racer never finished"
    return results


# --- what the database holds afterwards ----------------------------------------------------------

OVER_CAPACITY = """
SELECT k.code, n.night, count(*), k.capacity FROM kennel_nights n
JOIN kennels k ON k.tenant_id = n.tenant_id AND k.id = n.kennel_id
WHERE n.tenant_id = :tenant GROUP BY k.code, n.night, k.capacity HAVING count(*) > k.capacity
"""
TWO_HOUSEHOLDS = """
SELECT k.code, n.night, count(DISTINCT n.customer_id) FROM kennel_nights n
JOIN kennels k ON k.tenant_id = n.tenant_id AND k.id = n.kennel_id
WHERE n.tenant_id = :tenant GROUP BY k.code, n.night HAVING count(DISTINCT n.customer_id) > 1
"""
# Counted from the reservations themselves, not the occupancy table: live stays' pets per kennel-night.
LIVE_PETS_OVER_CAPACITY = """
SELECT k.code, n.night, count(*), k.capacity FROM reservations r
JOIN kennel_nights n ON n.tenant_id = r.tenant_id AND n.reservation_id = r.id
JOIN kennels k ON k.tenant_id = n.tenant_id AND k.id = n.kennel_id
WHERE r.tenant_id = :tenant AND r.status IN ('PENDING', 'CONFIRMED', 'CHECKED_IN')
GROUP BY k.code, n.night, k.capacity HAVING count(*) > k.capacity
"""
# A live kennel booking holds one place per pet per night (compared in Python: date arithmetic differs by backend).
LIVE_STAYS = """
SELECT r.confirmation_code, r.start_date, r.end_date, count(DISTINCT p.pet_id),
       (SELECT count(*) FROM kennel_nights n WHERE n.tenant_id = r.tenant_id AND n.reservation_id = r.id)
FROM reservations r
JOIN services s ON s.tenant_id = r.tenant_id AND s.id = r.service_id
JOIN reservation_pets p ON p.tenant_id = r.tenant_id AND p.reservation_id = r.id
WHERE r.tenant_id = :tenant AND s.needs_kennel AND r.status IN ('PENDING', 'CONFIRMED', 'CHECKED_IN')
GROUP BY r.id, r.tenant_id, r.confirmation_code, r.start_date, r.end_date
"""
DAY_OVER_CAPACITY = """
SELECT s.name, d.day, count(*), s.daily_capacity FROM service_days d
JOIN services s ON s.tenant_id = d.tenant_id AND s.id = d.service_id
WHERE d.tenant_id = :tenant GROUP BY s.name, d.day, s.daily_capacity HAVING count(*) > s.daily_capacity
"""
# Daycare bookings hold one place per pet per day; count them from the reservations too.
DAY_BOOKINGS_OVER_CAPACITY = """
SELECT r.start_date, count(*), s.daily_capacity FROM reservations r
JOIN services s ON s.tenant_id = r.tenant_id AND s.id = r.service_id
JOIN reservation_pets p ON p.tenant_id = r.tenant_id AND p.reservation_id = r.id
WHERE r.tenant_id = :tenant AND s.daily_capacity IS NOT NULL AND r.status IN ('PENDING', 'CONFIRMED', 'CHECKED_IN')
GROUP BY r.start_date, s.daily_capacity HAVING count(*) > s.daily_capacity
"""


def owner_sql(app, statement: str, **params) -> list[tuple]:
    """One statement as the table owner (no row-level security: it sees every tenant)."""
    with app.app_context(), db.engine.execution_options(**{OWNER: True}).connect() as conn:
        return [tuple(row) for row in conn.execute(text(statement), params)]


def problems(app, stage: Stage) -> dict[str, list[tuple]]:
    """Every way this tenant's resort could be overbooked, as found by SQL; all empty when it held."""
    tenant = str(stage.tenant_id) if db_is_postgres(app) else stage.tenant_id.hex
    found = {name: owner_sql(app, sql, tenant=tenant) for name, sql in (
        ("kennel-night over capacity", OVER_CAPACITY), ("kennel-night with two households", TWO_HOUSEHOLDS),
        ("live pets over capacity", LIVE_PETS_OVER_CAPACITY), ("service-day over capacity", DAY_OVER_CAPACITY),
        ("daycare bookings over capacity", DAY_BOOKINGS_OVER_CAPACITY))}
    found["booking without its nights"] = [
        (code, held, pets * (_date(end) - _date(start)).days)
        for code, start, end, pets, held in owner_sql(app, LIVE_STAYS, tenant=tenant)
        if held != pets * (_date(end) - _date(start)).days]
    return {name: rows for name, rows in found.items() if rows}


def reservation_count(app, stage: Stage) -> int:
    tenant = str(stage.tenant_id) if db_is_postgres(app) else stage.tenant_id.hex
    return owner_sql(app, "SELECT count(*) FROM reservations WHERE tenant_id = :tenant", tenant=tenant)[0][0]


def kennels_of(app, stage: Stage, reservation_id: uuid.UUID) -> dict[str, int]:
    """{kennel code: nights held} of one reservation, read as the owner."""
    rid = str(reservation_id) if db_is_postgres(app) else reservation_id.hex
    rows = owner_sql(app, "SELECT k.code, count(*) FROM kennel_nights n JOIN kennels k ON k.id = n.kennel_id "
                          "WHERE n.reservation_id = :rid GROUP BY k.code", rid=rid)
    return dict(rows)


def _date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)  # SQLite returns ISO text


def db_is_postgres(app) -> bool:
    with app.app_context():
        return db.engine.dialect.name == "postgresql"


# --- racing over HTTP ----------------------------------------------------------------------------


def http_job(port: int, method: str, path: str, *, headers: dict, body: dict | None = None):
    """A job that sends one request on its own connection at the start signal; returns a harness.Reply.

    The connection is opened before the signal, so only the requests themselves race.
    """
    def job(go):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=RACE_TIMEOUT)
        conn.connect()
        try:
            go()
            conn.request(method, path, body=None if body is None else json.dumps(body),
                         headers={**headers, "Content-Type": "application/json"})
            response = conn.getresponse()
            raw = response.read()
            try:
                parsed = json.loads(raw) if raw else None
            except ValueError:
                parsed = raw[:300]
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, parsed)
        finally:
            conn.close()
    return job


def booking_body(stage: Stage, household: Household, start: date, end: date | None, *, kennel: str | None = None,
                 pet_ids: list[uuid.UUID] | None = None, service: str = "boarding") -> dict:
    """POST /api/v1/reservations body (it mirrors the quote body)."""
    return {"customer_id": str(household.customer_id), "service_id": str(getattr(stage, service)),
            "start_date": start.isoformat(), "end_date": end.isoformat() if end else None,
            "pets": [{"pet_id": str(p), **({"kennel_id": str(stage.kennels[kennel])} if kennel else {})}
                     for p in (pet_ids or household.pet_ids)]}
