"""In-process probe: what one request costs in SQL, PostgreSQL round trips and Redis round trips.

Run by bench/run.py with the bench environment (TAILTOWN_ENV=production, DATABASE_URL, REDIS_URL)
plus BENCH_TENANT, BENCH_KEY, BENCH_EMAIL, BENCH_PASSWORD (and BENCH_CUSTOMER, a customer id of
BENCH_TENANT, to probe its detail read too); prints one JSON object on stdout. Uses
the Flask test client, so no HTTP server is involved: the figures are the app's own work.

Two passes, one process each: `count` (default) goes through the counting relay and patched
redis-py, so its timings are inflated; `BENCH_PROBE_MODE=time` talks to PostgreSQL directly and
only times requests.
"""
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from pgwire import PgWireCounter  # noqa: E402
from sqlalchemy import event  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

WARM = 3  # the first requests fill the tenant cache, open the pool and stamp the key's last_used_at
COUNT_SAMPLES = 20
TIME_SAMPLES = 100


class RedisCounter:
    """Count Redis round trips (one packed send each, pipelines included) and command names."""

    def __init__(self) -> None:
        from redis.connection import AbstractConnection

        self.trips = 0
        self.commands: list[str] = []
        original_packed, original_command = AbstractConnection.send_packed_command, AbstractConnection.send_command
        counter = self

        def send_packed_command(conn, command, check_health=True):
            counter.trips += 1
            return original_packed(conn, command, check_health)

        def send_command(conn, *args, **kwargs):
            counter.commands.append(str(args[0]) if args else "?")
            return original_command(conn, *args, **kwargs)

        AbstractConnection.send_packed_command = send_packed_command
        AbstractConnection.send_command = send_command

    def reset(self) -> None:
        self.trips, self.commands = 0, []


def spend_api_buckets() -> None:
    """Fill every tenant's API rate-limit counter, so the next API requests get 429."""
    from redis import Redis

    client = Redis.from_url(os.environ["REDIS_URL"])
    for key in client.scan_iter("*LIMITER/tenant:*/api/*"):
        client.set(key, 10**9, keepttl=True)


class NoRelay:
    """Stands in for PgWireCounter in the timing pass."""

    recording = False

    def take(self) -> list[str]:
        return []


class NoRedisCounter:
    """Stands in for RedisCounter in the timing pass."""

    trips = 0
    commands: list[str] = []

    def reset(self) -> None:
        pass


def main() -> None:
    timing = os.environ.get("BENCH_PROBE_MODE") == "time"
    samples = TIME_SAMPLES if timing else COUNT_SAMPLES
    if timing:
        wire, redis_counter = NoRelay(), NoRedisCounter()
    else:
        url = make_url(os.environ["DATABASE_URL"])
        wire = PgWireCounter(url.host or "127.0.0.1", url.port or 5432)
        proxied = url.set(host="127.0.0.1", port=wire.port, query={"sslmode": "disable", "gssencmode": "disable"})
        os.environ["DATABASE_URL"] = proxied.render_as_string(hide_password=False)
        redis_counter = RedisCounter()

    from app import create_app
    from app.core.extensions import db

    app = create_app()
    with app.app_context():
        engine = db.engine
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda conn, cursor, statement, *a: statements.append(statement))

    tenant, key = os.environ["BENCH_TENANT"], os.environ["BENCH_KEY"]
    api_headers = {"X-Tenant": tenant, "Authorization": f"Bearer {key}"}
    site = f"https://{tenant}.localhost"  # https: production session cookies are Secure
    client = app.test_client()
    staff = app.test_client()
    page = staff.get("/login", base_url=site).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    signed_in = staff.post("/login", base_url=site, headers={"Referer": f"{site}/login"}, data={
        "email": os.environ["BENCH_EMAIL"], "password": os.environ["BENCH_PASSWORD"], "csrf_token": token})
    if signed_in.status_code != 302:
        sys.exit(f"probe: sign-in failed with {signed_in.status_code}")
    endpoints = {
        "GET /api/v1/me": dict(path="/api/v1/me", headers=api_headers),
        "GET /api/v1/me (429)": dict(path="/api/v1/me", headers=api_headers, before=spend_api_buckets),
        "GET /login": dict(path="/login", base_url=site),
        "GET / (signed in)": dict(path="/", base_url=site, client=staff),
        "GET /healthz": dict(path="/healthz"),
    }
    if os.environ.get("BENCH_CUSTOMER"):  # bench/ratio.py: the warm customer read, first (before the 429 probe)
        endpoints = {"GET /api/v1/customers/{id}": dict(path=f"/api/v1/customers/{os.environ['BENCH_CUSTOMER']}",
                                                        headers=api_headers), **endpoints}
    out: dict = {}
    for label, request in endpoints.items():
        path, who = request.pop("path"), request.pop("client", client)
        request.pop("before", lambda: None)()
        per_request = []
        statuses = set()
        wire.recording = True
        for _ in range(WARM + samples):
            statements.clear()
            wire.take()
            redis_counter.reset()
            started = time.perf_counter()
            response = who.get(path, **request)
            elapsed = time.perf_counter() - started
            if not timing:
                time.sleep(0.02)  # let the relay thread record the request's last messages before counting
            statuses.add(response.status_code)
            per_request.append({"sql": list(statements), "wire": wire.take(), "redis_trips": redis_counter.trips,
                                "redis_commands": list(redis_counter.commands), "ms": elapsed * 1000})
        wire.recording = False
        cold, warm = per_request[0], per_request[WARM:]
        out[label] = {
            "statuses": sorted(statuses),
            "cold": {"sql": len(cold["sql"]), "wire": len(cold["wire"]), "redis_trips": cold["redis_trips"],
                     "wire_queries": [q[:80] for q in cold["wire"]]},
            "sql_per_request": statistics.mean(len(r["sql"]) for r in warm),
            "wire_per_request": statistics.mean(len(r["wire"]) for r in warm),
            "redis_trips_per_request": statistics.mean(r["redis_trips"] for r in warm),
            "ms_median": statistics.median(r["ms"] for r in warm),
            "sql": [" ".join(s.split())[:160] for s in warm[-1]["sql"]],
            "wire_queries": [" ".join(q.split())[:80] for q in warm[-1]["wire"]],
            "redis_commands": warm[-1]["redis_commands"],
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
