"""Large tenant vs small tenant on one seeded PostgreSQL database: `python bench/scale.py` (`make bench-scale`).

    python bench/scale.py [--scale 1.0] [--repeat 40] [--small scale-new] [--only 'day sheet'] [--explain]
                          [--record LABEL]

Uses the database `BENCH_SCALE_DATABASE_URL` (default postgresql://postgres@127.0.0.1:5432/tailtown_bench_scale);
when it has no `scale-large` tenant yet it is created, migrated and seeded with `seed-scale --scale S`
(which takes minutes at full size). Runs **in process** with Flask's test client (no gunicorn, no
network): each request goes through the whole app (tenant, auth, limiter, view, schema or template)
with Redis from `BENCH_REDIS_URL` (default redis://127.0.0.1:6379/13; none: in-process cache). The
API calls use a Bearer key made for the run (MANAGER); the kennel grid is the web page, signed in.

The large tenant is compared with two others, one table each: `scale-small-001` (250 households, the
issue's "small one") and `scale-new` (the large one's building and daily volume, one month of history):
against the first a page that shows more (a busier day) costs more; against the second only what two
years of history cost is left. Per request kind it alternates the two tenants (so both see the same
noise), after two warm-up rounds, and prints p50 / p95 in ms for each and the ratio of the p95s (target
<= 1.5), with the rows each answer carried, so a ratio can be read against what the page shows:

  search name    GET /api/v1/customers?q=gar&page_size=25
  search phone   GET /api/v1/customers?q=2345&page_size=25
  day sheet      GET /api/v1/day-sheet (today)
  kennel grid    GET /kennels/grid (14 nights, the first page of kennels, signed in)
  list first     GET /api/v1/reservations?page=1&page_size=25
  list deep page the same at the middle page, or as deep as page numbers reach (MAX_DEPTH rows)
  list middle    the page at the middle of the list, by the cursor a client following next_cursor holds there
  close-out      GET /api/v1/reports/close-out?date=<yesterday>

`--explain` prints EXPLAIN (ANALYZE, BUFFERS) of every SELECT the large tenant's requests send, on the
app's own connection (app role, tenant set, RLS on). `--record LABEL` appends the table to
bench/RESULTS.md. Times are wall clock on a shared machine: the load average is printed with them.
"""
import argparse
import gc
import os
import re
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, event, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/tailtown_bench_scale"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TARGET = 1.5
PAGE = 25


def ensure_database(url: str, scale: float, small: int) -> None:
    """Create, migrate and seed the database unless it holds the large tenant already."""
    from config import normalize_database_url

    url = normalize_database_url(url)
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}).first()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    env = os.environ | {"DATABASE_URL": url, "LOG_LEVEL": "WARNING"}
    flask = [str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    engine = create_engine(url)
    with engine.connect() as conn:
        seeded = conn.execute(text("SELECT 1 FROM tenants WHERE subdomain = 'scale-large'")).first()
    engine.dispose()
    if not seeded:
        print(f"seeding at --scale {scale} (one-off) ...", flush=True)
        subprocess.run([*flask, "seed-scale", "--scale", str(scale), "--small-tenants", str(small)],
                       cwd=ROOT, env=env, check=True)
        # VACUUM too, not only ANALYZE: until the visibility map is set an index-only scan is a heap fetch a
        # row, and the planner picks a sequential scan and a sort for the large tenant's deep pages.
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE)")
        engine.dispose()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


class Tenant:
    """One side of the comparison: its key, a signed-in web client and what its lists hold."""

    def __init__(self, app, subdomain: str) -> None:
        from app.core.extensions import db
        from app.models import Reservation, Role
        from app.services import api_keys, tenants
        from app.services.compliance import tenant_today
        from app.tenancy import tenant_context

        self.subdomain = subdomain
        with app.app_context():
            tenant = tenants.get_tenant(subdomain=subdomain)
            with tenant_context(tenant):
                key, self.secret = api_keys.create_api_key(name="bench/scale.py", role=Role.MANAGER)
                self.key_id = key.id
                self.today = tenant_today()
                self.reservations = db.session.scalar(db.select(db.func.count()).select_from(Reservation))
                middle = db.session.execute(db.select(Reservation.start_date, Reservation.created_at, Reservation.id)
                                            .order_by(Reservation.start_date, Reservation.created_at, Reservation.id)
                                            .offset(self.reservations // 2).limit(1)).one()
            # The cursor a client following next_cursor holds at the middle of the list (not timed).
            from app.api.paging import encode_cursor
            from app.core.pagination import Feed

            with app.test_request_context("/api/v1/reservations", base_url=f"http://{subdomain}.localhost"), \
                    tenant_context(tenant):
                feed = Feed(sort_key="start_date,created_at,id")
                feed.next_key = [middle[0].isoformat(), middle[1].isoformat(), str(middle[2])]
                self.middle_cursor = encode_cursor(feed)
        self.api = app.test_client()
        self.web = app.test_client()
        base = f"http://{subdomain}.localhost"
        page = self.web.get("/login", base_url=base).get_data(as_text=True)
        answer = self.web.post("/login", base_url=base, data={
            "email": f"manager@{subdomain}.example", "password": "tailtown-scale", "csrf_token": CSRF.search(page)[1]})
        if answer.status_code not in (302, 303):
            raise SystemExit(f"could not sign in to {subdomain}: {answer.status_code}")
        self.base = base

    def headers(self) -> dict:
        return {"X-Tenant": self.subdomain, "Authorization": f"Bearer {self.secret}"}

    def requests(self) -> dict:
        """name -> (client, path, headers)."""
        from app.core.pagination import MAX_DEPTH

        # The middle of the list by page number, or as deep as page numbers reach (MAX_DEPTH rows).
        deep = max(1, min((self.reservations // PAGE) // 2, MAX_DEPTH // PAGE + 1))
        yesterday = (self.today - timedelta(days=1)).isoformat()
        h = self.headers()
        return {
            "search name": (self.api, "/api/v1/customers?q=gar&page_size=25", h),
            "search phone": (self.api, "/api/v1/customers?q=2345&page_size=25", h),
            "day sheet": (self.api, "/api/v1/day-sheet", h),
            "kennel grid": (self.web, "/kennels/grid", {}),
            "list first": (self.api, f"/api/v1/reservations?page=1&page_size={PAGE}", h),
            "list deep page": (self.api, f"/api/v1/reservations?page={deep}&page_size={PAGE}", h),
            "list middle": (self.api, f"/api/v1/reservations?page_size={PAGE}&cursor={self.middle_cursor}", h),
            "close-out": (self.api, f"/api/v1/reports/close-out?date={yesterday}", h),
        }

    def call(self, client, path: str, headers: dict) -> tuple[float, int]:
        started = time.perf_counter()
        answer = client.get(path, base_url=self.base, headers=headers)
        took = (time.perf_counter() - started) * 1000
        if answer.status_code != 200:
            raise SystemExit(f"{self.subdomain} {path}: {answer.status_code} {answer.get_data(as_text=True)[:300]}")
        return took, _size(answer)


def _size(answer) -> int:
    """Rows an answer carried: items of a JSON list, entries of a day sheet, cells of the grid."""
    if answer.mimetype == "application/json":
        body = answer.get_json()
        if isinstance(body, list):
            return len(body)
        if isinstance(body, dict) and "arrivals" in body:
            return sum(len(body.get(k) or []) for k in ("arrivals", "departures", "in_house", "daycare",
                                                         "appointments"))
        return len(body.get("payments", [])) if isinstance(body, dict) else 1
    return answer.get_data(as_text=True).count("<td")


def explain(app, tenant: Tenant) -> None:
    """EXPLAIN ANALYZE each SELECT the large tenant's requests send, as the app runs it."""
    from app.core.extensions import db

    for name, (client, path, headers) in tenant.requests().items():
        seen: list[tuple[str, object]] = []
        with app.app_context():
            def capture(conn, cursor, statement, parameters, context, executemany, seen=seen):
                if statement.lstrip().upper().startswith("SELECT") and "set_config" not in statement:
                    seen.append((statement, parameters))
            event.listen(db.engine, "before_cursor_execute", capture)
            try:
                client.get(path, base_url=tenant.base, headers=headers)
            finally:
                event.remove(db.engine, "before_cursor_execute", capture)
        print(f"\n=== {name}: {path} ({len(seen)} SELECTs)")
        with app.app_context(), app.test_request_context():
            from app.services import tenants
            from app.tenancy import tenant_context

            with tenant_context(tenants.get_tenant(subdomain=tenant.subdomain)):
                conn = db.session.connection()
                for statement, parameters in seen:
                    plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).scalars().all()
                    took = next((ln for ln in plan if ln.startswith("Execution Time")), "")
                    print(f"\n-- {statement[:160].replace(chr(10), ' ')}... [{took}]")
                    for line in plan:
                        print("   " + line)
                db.session.rollback()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="seed at this scale if the database is empty")
    parser.add_argument("--small-tenants", type=int, default=199)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--small", action="append", metavar="SUBDOMAIN",
                        help="compare the large tenant with this one (repeatable; default: scale-small-001, then "
                             "scale-new, the large one's building and daily volume with a month of history)")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--only", action="append", metavar="REQUEST", help="time only this request kind (repeatable)")
    parser.add_argument("--record", metavar="LABEL")
    args = parser.parse_args()
    url = os.environ.get("BENCH_SCALE_DATABASE_URL", DEFAULT_URL)
    ensure_database(url, args.scale, args.small_tenants)

    os.environ.setdefault("LOG_LEVEL", "WARNING")
    from app import create_app
    from app.limits import PLAN_LIMITS
    from config import TestConfig

    for plan in PLAN_LIMITS:  # the limiter still counts every request; it never says no (as bench/raised_limits.py)
        PLAN_LIMITS[plan] = 1_000_000_000
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13") or None
    run = f"bench-scale-{make_url(url).database}-{os.getpid()}"  # cached tenants never cross databases or runs
    app = create_app(TestConfig(database_url=url, redis_url=redis_url, CACHE_KEY_PREFIX=f"{run}:",
                                RATELIMIT_KEY_PREFIX=run, LOG_LEVEL=os.environ.get("LOG_LEVEL", "WARNING")))
    large = Tenant(app, "scale-large")
    others = [Tenant(app, subdomain) for subdomain in args.small or ("scale-small-001", "scale-new")]
    gc.freeze()  # as gunicorn.conf.py does once a worker has loaded the app
    if args.explain:
        explain(app, large)
        return
    tables = []
    for small in others:
        times: dict[tuple[str, str], list[float]] = {}
        sizes: dict[tuple[str, str], int] = {}
        plan = {t.subdomain: t.requests() for t in (large, small)}
        for name in [n for n in plan[large.subdomain] if not args.only or n in args.only]:
            for round_ in range(args.repeat + 2):
                for tenant in (large, small) if round_ % 2 == 0 else (small, large):
                    took, size = tenant.call(*plan[tenant.subdomain][name])
                    if round_ >= 2:
                        times.setdefault((name, tenant.subdomain), []).append(took)
                        sizes[(name, tenant.subdomain)] = size
        tables.append(render(times, sizes, large, small, args))
        print(tables[-1] + "\n", flush=True)
    if args.record:
        with (ROOT / "bench" / "RESULTS.md").open("a") as out:
            out.write(f"\n#### {args.record}\n\n```\n" + "\n\n".join(tables) + "\n```\n")
    with app.app_context():
        from app.services import api_keys, tenants as tenant_service
        from app.tenancy import tenant_context

        for tenant in (large, *others):
            with tenant_context(tenant_service.get_tenant(subdomain=tenant.subdomain)):
                api_keys.revoke_api_key(key_id=tenant.key_id)


def render(times, sizes, large: Tenant, small: Tenant, args) -> str:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    load = os.getloadavg()
    lines = [f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit}, {os.cpu_count()} cores, load "
             f"{load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}; in-process test client, PostgreSQL + Redis local; "
             f"{args.repeat} timed requests per cell",
             f"large = {large.subdomain} ({large.reservations:,} reservations), small = {small.subdomain} "
             f"({small.reservations:,} reservations)", "",
             "| request | large p50 | large p95 | small p50 | small p95 | p95 ratio | rows large / small |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    over = []
    for name in dict.fromkeys(n for n, _ in times):
        big, little = times[(name, large.subdomain)], times[(name, small.subdomain)]
        ratio = percentile(big, 0.95) / percentile(little, 0.95)
        if ratio > TARGET:
            over.append(name)
        lines.append(f"| {name} | {statistics.median(big):.1f} | {percentile(big, 0.95):.1f} | "
                     f"{statistics.median(little):.1f} | {percentile(little, 0.95):.1f} | {ratio:.2f} | "
                     f"{sizes[(name, large.subdomain)]} / {sizes[(name, small.subdomain)]} |")
    lines += ["", f"ms; target p95 ratio <= {TARGET}: " + (f"over for {', '.join(over)}" if over else "all within")]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
