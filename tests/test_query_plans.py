"""The boards, the reservation list and availability use indexes with 100,000 reservations in a tenant.

PostgreSQL only. The data is bulk SQL through the real tables (run as the owner, so every row is
written with its tenant_id and row-level security stays on for the reads): one template of each
row is made by the services, then cloned with INSERT ... SELECT generate_series. The statements
explained are the ones the real service functions send, captured with a before_cursor_execute
listener, and explained on the app's own connection (the app role, the tenant set, RLS applied).
EXPLAIN ANALYZE runs them (they are SELECTs), so besides the plan's shape the test can assert how
many rows a date-range scan fetched only to throw away. Chosen indexes, row counts and times are
printed (`pytest -s`); no time is asserted.
"""
import json
from datetime import date, timedelta

import pytest
from sqlalchemy import event, text

from app.core.extensions import db
from app.core.pagination import MAX_DEPTH, counted_up_to
from app.core.rls import OWNER
from app.services import availability, boards, reservations
from app.services.compliance import tenant_today
from tests.concurrency.world import as_tenant, book, build_stage

pytestmark = pytest.mark.postgres

WATCHED = {"reservations", "reservation_pets", "kennel_nights", "service_days"}
LIVE = "('PENDING', 'CONFIRMED', 'CHECKED_IN')"
STAY = 3  # nights; every kennel holds back-to-back stays, so no kennel-night is ever over capacity
DAYCARE_PER_DAY = 10
DATE_RANGE_CALLS = {"day_sheet", "kennel_grid", "list by dates"}


def _owner(app):
    with app.app_context():
        return db.engine.execution_options(**{OWNER: True})


def _clone(conn, table: str, key: str, template, series: str, overrides: dict[str, str], **params) -> int:
    """Copy one template row once per row of `series` (aliased x), with some columns computed."""
    columns = [c.name for c in db.metadata.tables[table].c]
    exprs = [overrides.get(c, f"t.{c}") for c in columns]
    sql = (f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(exprs)} "
           f"FROM {table} t, ({series}) x WHERE t.{key} = :template")
    return conn.execute(text(sql), {"template": str(template), **params}).rowcount


def _analyze(conn, *tables: str) -> None:
    conn.execute(text(f"ANALYZE {', '.join(tables)}"))


def seed(app, fx, *, kennels: int, households: int, boarding: int, daycare: int) -> dict:
    """A resort with `boarding` back-to-back stays (10 years, the last year still ahead) and `daycare` days."""
    codes = {f"K{n:03d}": 2 for n in range(1, kennels + 1)}
    stage = build_stage(app, fx, kennel_capacities=codes, households=1, pets_each=2, daycare_places=DAYCARE_PER_DAY + 2)
    home = stage.households[0]
    with as_tenant(app, fx):
        today = tenant_today()
    template = book(app, stage, home, today + timedelta(days=4000), today + timedelta(days=4001), kennel="K001",
                    pet_ids=home.pet_ids[:1])
    per_kennel = boarding // kennels
    # About a ninth of the stays (300 days in the big resort) and a fifth of the daycare days are still ahead.
    base = today - timedelta(days=STAY * per_kennel - max(30, STAY * per_kennel // 9))
    day_base = today - timedelta(days=daycare // DAYCARE_PER_DAY - max(3, daycare // DAYCARE_PER_DAY // 5))
    salt = str(fx.id)
    rid = "md5(:salt || 'r' || x.g)::uuid"
    did = "md5(:salt || 'd' || x.g)::uuid"
    cid = "md5(:salt || 'c' || x.c)::uuid"
    status = ("CASE WHEN x.s > :today THEN (CASE WHEN x.g % 7 = 0 THEN 'PENDING' ELSE 'CONFIRMED' END) "
              "WHEN x.e > :today THEN 'CHECKED_IN' WHEN x.g % 20 = 0 THEN 'CANCELLED' ELSE 'CHECKED_OUT' END")
    with _owner(app).begin() as conn:
        p = {"salt": salt, "today": today}
        conn.execute(text("SET LOCAL statement_timeout = 0"))
        _clone(conn, "customers", "id", home.customer_id,
               "SELECT c FROM generate_series(0, :n - 1) c",
               {"id": cid, "last_name": "'Family ' || x.c", "email": "'family' || x.c || '@example.test'",
                "search_text": "' family ' || x.c"}, n=households, **p)
        _analyze(conn, "customers")  # the foreign-key checks of the rows below plan with fresh statistics
        pet_series = "SELECT c, j FROM generate_series(0, :n - 1) c, generate_series(0, 1) j"
        _clone(conn, "pets", "id", home.pet_ids[0], pet_series,
               {"id": "md5(:salt || 'p' || x.c || '-' || x.j)::uuid", "customer_id": cid,
                "name": "'Dog ' || x.c || '-' || x.j"}, n=households, **p)
        # Boarding: stay g sleeps in kennel g % K, the (g / K)-th stay there; every 4th brings both dogs.
        stays = ("SELECT g, g % :hh AS c, :base + (g / :k) * :stay AS s, :base + (g / :k) * :stay + :stay AS e "
                 "FROM generate_series(0, :n - 1) g")
        reservation = {"id": rid, "customer_id": cid, "confirmation_code": "'B' || x.g", "start_date": "x.s",
                       "end_date": "x.e", "status": status,
                       "created_at": "(x.s - 30)::timestamptz", "updated_at": "(x.s - 30)::timestamptz"}
        stay_params = {"hh": households, "base": base, "k": kennels, "stay": STAY, "n": boarding, **p}
        _clone(conn, "reservations", "id", template, stays, reservation, **stay_params)
        _analyze(conn, "pets", "reservations")
        kennel_ids = [str(stage.kennels[c]) for c in codes]
        line = {"reservation_id": rid, "pet_id": "md5(:salt || 'p' || x.c || '-0')::uuid",
                "kennel_id": "(CAST(:kennels AS uuid[]))[x.g % :k + 1]", "position": "0"}
        _clone(conn, "reservation_pets", "reservation_id", template, stays, line, kennels=kennel_ids, **stay_params)
        second = line | {"pet_id": "md5(:salt || 'p' || x.c || '-1')::uuid", "position": "1"}
        _clone(conn, "reservation_pets", "reservation_id", template, stays + " WHERE g % 4 = 0", second,
               kennels=kennel_ids, **stay_params)
        # Daycare: DAYCARE_PER_DAY households a day, one dog each.
        days = ("SELECT g, (g * 7) % :hh AS c, :base + g / :per AS s, :base + g / :per AS e "
                "FROM generate_series(0, :n - 1) g")
        day_params = {"hh": households, "base": day_base, "per": DAYCARE_PER_DAY, "n": daycare, **p}
        _clone(conn, "reservations", "id", template, days,
               reservation | {"id": did, "service_id": ":daycare", "confirmation_code": "'D' || x.g",
                              "status": status.replace("x.e > :today", "x.e >= :today")},
               daycare=str(stage.daycare), **day_params)
        _clone(conn, "reservation_pets", "reservation_id", template, days,
               {"reservation_id": did, "pet_id": "md5(:salt || 'p' || x.c || '-0')::uuid", "kennel_id": "NULL",
                "position": "0"}, **day_params)
        conn.execute(text("DELETE FROM reservations WHERE id = :template"), {"template": str(template)})
        _analyze(conn, "reservations", "reservation_pets")
        # Only live bookings hold places (app/models/reservations.py).
        nights = conn.execute(text(
            "INSERT INTO kennel_nights (tenant_id, kennel_id, night, slot, capacity, reservation_id, pet_id, "
            "customer_id) SELECT r.tenant_id, p.kennel_id, n::date, p.position + 1, k.capacity, r.id, p.pet_id, "
            "r.customer_id FROM reservations r JOIN reservation_pets p ON p.reservation_id = r.id "
            "JOIN kennels k ON k.id = p.kennel_id "
            "CROSS JOIN generate_series(r.start_date, r.end_date - 1, interval '1 day') n "
            f"WHERE r.tenant_id = :tenant AND r.status IN {LIVE}"), {"tenant": salt}).rowcount
        places = conn.execute(text(
            "INSERT INTO service_days (tenant_id, service_id, day, slot, capacity, reservation_id, pet_id) "
            "SELECT r.tenant_id, r.service_id, r.start_date, "
            "row_number() OVER (PARTITION BY r.start_date ORDER BY r.id), s.daily_capacity, r.id, p.pet_id "
            "FROM reservations r JOIN reservation_pets p ON p.reservation_id = r.id "
            "JOIN services s ON s.id = r.service_id "
            f"WHERE r.tenant_id = :tenant AND r.service_id = :daycare AND r.status IN {LIVE}"),
            {"tenant": salt, "daycare": str(stage.daycare)}).rowcount
    return {"stage": stage, "today": today, "nights": nights, "places": places,
            "customer": f"{salt}c7", "pet": f"{salt}p7-0", "kennel": stage.kennels["K007"]}


def _capture(app):
    """(statement, parameters) of every statement the engine sends while the context is open."""
    with app.app_context():
        engine = db.engine
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    class Capture:
        def __enter__(self):
            event.listen(engine, "before_cursor_execute", record)
            return seen

        def __exit__(self, *exc):
            event.remove(engine, "before_cursor_execute", record)

    return Capture()


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


def explain(app, fx, name: str, call) -> list[dict]:
    """Run call() as the tenant, then EXPLAIN each statement it sent on the same connection (RLS on)."""
    with as_tenant(app, fx):
        with _capture(app) as seen:
            call()
        plans = []
        conn = db.session.connection()
        for statement, parameters in seen:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            raw = conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters).scalar()
            plan = (raw if isinstance(raw, list) else json.loads(raw))[0]["Plan"]
            plans.append({"call": name, "sql": " ".join(statement.split())[:160], "nodes": list(_nodes(plan))})
        assert plans, f"{name} sent no SELECT"
        return plans


def _describe(node: dict) -> str:
    where = node.get("Index Name") or node.get("Relation Name") or ""
    return (f"{node['Node Type']}{' ' + where if where else ''} (~{node.get('Plan Rows')} rows, actual "
            f"{node.get('Actual Rows')}, filtered out {node.get('Rows Removed by Filter', 0)}, "
            f"{node.get('Actual Total Time')} ms)")


@pytest.fixture(scope="module")
def resort(app, tenant_a_module, tenant_b_module):
    big = seed(app, tenant_a_module, kennels=100, households=5000, boarding=90_000, daycare=10_000)
    small = seed(app, tenant_b_module, kennels=10, households=50, boarding=900, daycare=100)
    with _owner(app).connect() as conn:
        conn.execute(text("ANALYZE customers, pets, kennels, services, reservations, reservation_pets, "
                          "kennel_nights, service_days"))
        conn.commit()
    return big, small


@pytest.fixture(scope="module")
def tenant_a_module(app):
    from tests.conftest import _clean, make_tenant

    _clean(app)
    yield make_tenant(app, "alpha-paws")
    _clean(app)


@pytest.fixture(scope="module")
def tenant_b_module(app, tenant_a_module):
    from tests.conftest import make_tenant

    return make_tenant(app, "bravo-barks")


@pytest.fixture(autouse=True)
def clean_state():
    """The module shares one seeded resort (seeding is the slow part); tenant_a_module cleans around it."""
    yield


def test_the_seed_is_at_scale_in_one_tenant_and_small_in_the_other(app, resort, tenant_a_module, tenant_b_module):
    big, small = resort
    with _owner(app).connect() as conn:
        counts = dict(conn.execute(text("SELECT tenant_id::text, count(*) FROM reservations GROUP BY 1")).all())
    assert counts == {str(tenant_a_module.id): 100_000, str(tenant_b_module.id): 1_000}
    assert big["nights"] > 30_000 and big["places"] > 1_000 and small["nights"] > 0
    # The seed itself respects the occupancy rules (the constraints would have refused it otherwise).
    with as_tenant(app, tenant_b_module):
        sheet = boards.day_sheet(day=small["today"])
    assert sheet.in_house and sheet.pets_tonight > 0  # a tenant sees its own stays only


def test_boards_reservation_list_and_availability_never_seq_scan_the_booking_tables(app, resort, tenant_a_module):
    big, _ = resort
    today: date = big["today"]
    stage = big["stage"]
    import uuid

    customer, pet = uuid.UUID(hex=_md5(big["customer"])), uuid.UUID(hex=_md5(big["pet"]))
    calls = {
        "day_sheet": lambda: boards.day_sheet(day=today),
        "kennel_grid": lambda: boards.kennel_grid(start=today, days=14),
        "list by dates": lambda: reservations.list_reservations(start_date=today, end_date=today + timedelta(days=13),
                                                                page=1, page_size=50),
        "list by customer": lambda: reservations.list_reservations(customer_id=customer, page=1, page_size=50),
        "list by customer and dates": lambda: reservations.list_reservations(
            customer_id=customer, start_date=today, end_date=today + timedelta(days=60), page=1, page_size=50),
        "list by pet": lambda: reservations.list_reservations(pet_id=pet, page=1, page_size=50),
        "list by kennel and dates": lambda: reservations.list_reservations(
            kennel_id=big["kennel"], start_date=today, end_date=today + timedelta(days=13), page=1, page_size=50),
        "availability boarding": lambda: availability.check_availability(
            service_id=stage.boarding, start_date=today + timedelta(days=30), end_date=today + timedelta(days=33)),
        "availability daycare": lambda: availability.check_availability(
            service_id=stage.daycare, start_date=today + timedelta(days=30), end_date=today + timedelta(days=34)),
    }
    seq_scans, wasted = [], []
    for name, call in calls.items():
        for plan in explain(app, tenant_a_module, name, call):
            nodes = plan["nodes"]
            print(f"\n{name}: {plan['sql']}\n    " + "; ".join(_describe(n) for n in nodes if "Relation Name" in n
                                                            or "Index Name" in n))
            seq_scans += [(name, n["Relation Name"], plan["sql"]) for n in nodes
                          if n["Node Type"] == "Seq Scan" and n.get("Relation Name") in WATCHED]
            # A date range is tested inside the index (both dates in it): the scan fetches only stays that
            # touch the range, never the booked future or the whole history to throw it away. (A status
            # filter on the stays that touch it is bounded by the range's volume: the grid's checked-out.)
            if name in DATE_RANGE_CALLS:
                wasted += [(name, n.get("Index Name"), n["Rows Removed by Filter"]) for n in nodes
                           if n.get("Relation Name") == "reservations" and n.get("Rows Removed by Filter", 0) > 100
                           and ("start_date" in n.get("Filter", "") or "end_date" in n.get("Filter", ""))]
    assert seq_scans == []
    assert wasted == []


def _md5(value: str) -> str:
    import hashlib

    return hashlib.md5(value.encode()).hexdigest()


def test_a_change_feed_page_is_read_in_updated_at_order_from_its_index(app, resort, tenant_a_module):
    """`sort=updated_at` pages, first and by cursor, walk (tenant_id, updated_at, id): no sort, no seq scan."""
    from sqlalchemy import select

    from app.core.pagination import Feed, feed_scope
    from app.models import Customer, Reservation
    from app.services import customers

    with as_tenant(app, tenant_a_module):
        marks = {model: db.session.execute(select(model.updated_at, model.id).order_by(model.updated_at, model.id)
                                           .offset(500).limit(1)).one() for model in (Reservation, Customer)}

    def page(list_fn, model, after: bool):
        def call():
            when, row_id = marks[model]
            feed = Feed(by_updated=True, updated_since=when)
            if after:
                feed.after_sort, feed.after = "updated_at,id", [when.isoformat(), str(row_id)]
            with feed_scope(feed):
                list_fn(page=1, page_size=50)
        return call

    calls = {f"{name}{' after a cursor' if after else ''}": page(fn, model, after)
             for name, fn, model in (("reservations feed", reservations.list_reservations, Reservation),
                                     ("customers feed", customers.list_customers, Customer))
             for after in (False, True)}
    unordered = []
    for name, call in calls.items():
        for plan in explain(app, tenant_a_module, name, call):
            nodes = plan["nodes"]
            table = "reservations" if name.startswith("reservations") else "customers"
            # The page itself (a LIMIT over the listed table), not its count or the rows loaded beside it.
            if nodes[0]["Node Type"] != "Limit" or table not in {n.get("Relation Name") for n in nodes}:
                continue
            print(f"\n{name}: {plan['sql']}\n    " + "; ".join(_describe(n) for n in nodes))
            uses = {n.get("Index Name") for n in nodes}
            if f"ix_{table}_tenant_updated" not in uses or any(n["Node Type"] in ("Sort", "Seq Scan") for n in nodes
                                                               if n.get("Relation Name", table) == table):
                unordered.append((name, [_describe(n) for n in nodes]))
    assert unordered == []



def test_a_reservation_page_first_or_deep_is_read_in_index_order_and_the_count_stops_past_it(
        app, resort, tenant_a_module):
    """100,000 reservations, no filter: a page's ids come in order from ix_reservations_tenant_list (no sort of the
    tenant's history, even on the deepest page a page number reaches: MAX_DEPTH rows), and the count reads no more
    than the cap past the page.

    VACUUM first, as autovacuum would have long since done to a table this size: the deep page is an
    index-only scan, which PostgreSQL prices by the visibility map a freshly bulk-loaded table lacks.
    """
    with _owner(app).connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE reservations"))
    for page in (1, MAX_DEPTH // 25 + 1):
        plans = explain(app, tenant_a_module, f"list page {page}",
                        lambda page=page: reservations.list_reservations(page=page, page_size=25))
        count, ids = plans[0], plans[1]
        for plan in plans[:3]:
            print(f"\npage {page}: {plan['sql']}\n    " + "; ".join(_describe(n) for n in plan["nodes"]))
        cap = counted_up_to(page, 25, reservations.COUNT_BEYOND)
        read = [n.get("Actual Rows", 0) for n in count["nodes"] if n.get("Relation Name") == "reservations"]
        assert read and max(read) <= cap
        assert "ix_reservations_tenant_list" in {n.get("Index Name") for n in ids["nodes"]}
        assert not [n for n in ids["nodes"] if n["Node Type"] in ("Sort", "Incremental Sort")]
        # The page plus one row, which says whether another page follows (pagination.paginate).
        assert sum(n.get("Actual Rows", 0) for n in ids["nodes"] if n["Node Type"] == "Limit") == 26


def test_a_search_is_found_by_its_matches_then_sorted_never_by_walking_the_name_order(app, resort, tenant_a_module):
    """With LIMIT, PostgreSQL expects matches spread evenly over the name order and walks ix_customers_tenant_name
    until a page is found; a search for the Youngs then read almost every household of a large resort. The
    matches sit behind an OFFSET 0 (planned on their own), so the name index never serves a search's page,
    while the list without a search (and a one-letter search) still pages on it."""
    from app.services import customers

    searched = explain(app, tenant_a_module, "search", lambda: customers.list_customers(q="family", page=1,
                                                                                        page_size=25))
    listed = explain(app, tenant_a_module, "list", lambda: customers.list_customers(page=1, page_size=25))
    letter = explain(app, tenant_a_module, "one letter", lambda: customers.list_customers(q="f", page=1,
                                                                                          page_size=25))

    def page_plan(plans):
        return next(p for p in plans if p["nodes"][0]["Node Type"] == "Limit" and "count(" not in p["sql"])

    for name, plans in (("search", searched), ("list", listed)):
        print(f"\n{name}: " + "; ".join(_describe(n) for n in page_plan(plans)["nodes"]))
    assert "ix_customers_tenant_name" not in {n.get("Index Name") for n in page_plan(searched)["nodes"]}
    # A single letter matches a good part of the resort (no trigram narrows it): the name order finds its page.
    for plans in (listed, letter):
        assert "ix_customers_tenant_name" in {n.get("Index Name") for n in page_plan(plans)["nodes"]}
