"""Booking POST under concurrent load: p50/p95/p99 and req/s against gunicorn on PostgreSQL.

    python bench/booking.py [--threads 16] [--duration 10] [--workers 2] [--server-threads 16]

Reuses bench/run.py's throwaway database (`tailtown_bench_booking`), Redis db 14, CLI set-up and
gunicorn (`bench.raised_limits:app`, so the plan limit does not turn the load into 429s). Through
the API it builds a boarding service, one capacity-1 run and one household per client thread,
and drops the tenant's vaccine requirements (the desk checks papers at the door, so no override).
Then two runs of `--duration` seconds, each client thread on its own keep-alive-free connection
per request, as the race tests do:

- distinct: thread t books only kennel R<t>, consecutive 2-night stays, so no two requests
  conflict and every answer should be a 201 (a booking that names its kennels locks just those,
  so these do not queue behind each other; an auto-assigned one would lock every candidate);
- contended: every thread books one of 2 kennels for the same rolling dates, so most answers are
  409s naming the kennel: the cost of losing a race, and of the queue on the locks.

Prints statuses, req/s and p50/p95/p99 per run; the database is dropped at the end.
"""
import argparse
import http.client
import itertools
import json
import statistics
import sys
import threading
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402  (the load bench's gunicorn, database and CLI helpers)

DB_NAME = "tailtown_bench_booking"


def call(port: int, method: str, path: str, headers: dict, body: dict | None = None) -> tuple[int, object]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=None if body is None else json.dumps(body),
                     headers={**headers, "Content-Type": "application/json"})
        response = conn.getresponse()
        raw = response.read()
        return response.status, (json.loads(raw) if raw else None)
    finally:
        conn.close()


def created(port: int, path: str, headers: dict, body: dict) -> dict:
    status, answer = call(port, "POST", path, headers, body)
    if status != 201:
        raise run.BenchError(f"POST {path} -> {status}: {answer}")
    return answer


def build_resort(port: int, headers: dict, households: int) -> dict:
    """A boarding service, kennels R01.. and C01..C02, one household (one dog) per client thread."""
    status, requirements = call(port, "GET", "/api/v1/vaccine-requirements?page_size=100", headers)
    for requirement in requirements if status == 200 else []:
        call(port, "DELETE", f"/api/v1/vaccine-requirements/{requirement['id']}", headers)
    service = created(port, "/api/v1/services", headers, {
        "name": "Boarding", "category": "BOARDING", "price_cents": 5000, "price_unit": "PER_NIGHT",
        "kennel_types": ["RUN"], "allowed_species": ["DOG"]})
    kennels = {}
    for n, code in enumerate([f"R{i:02d}" for i in range(1, households + 1)] + ["C01", "C02"]):
        kennels[code] = created(port, "/api/v1/kennels", headers,
                                {"code": code, "type": "RUN", "size": "M", "capacity": 1, "sort_order": n})["id"]
    homes = []
    for i in range(households):
        customer = created(port, "/api/v1/customers", headers,
                           {"first_name": "Bench", "last_name": f"Household {i}", "email": f"bench{i}@example.test"})
        pet = created(port, f"/api/v1/customers/{customer['id']}/pets", headers, {"name": f"Dog {i}", "species": "DOG"})
        homes.append((customer["id"], pet["id"]))
    return {"service": service["id"], "kennels": kennels, "homes": homes}


def drive(port: int, headers: dict, threads: int, duration: float, body_for, *,
          method: str = "POST", path: str = "/api/v1/reservations") -> dict:
    """`threads` clients POSTing bookings for `duration` seconds; body_for(thread, n) gives each body.

    bench/ratio.py also drives the bare app with it (`method="GET"`, body None), so both sides of
    the booking ratio share one load generator.
    """
    samples: list[list[tuple[float, int]]] = [[] for _ in range(threads)]
    barrier = threading.Barrier(threads)
    stop_at = [0.0]

    def client(t: int) -> None:
        barrier.wait()
        for n in itertools.count():
            if time.monotonic() >= stop_at[0]:
                return
            began = time.monotonic()
            status, _ = call(port, method, path, headers, body_for(t, n))
            samples[t].append((time.monotonic() - began, status))

    workers = [threading.Thread(target=client, args=(t,)) for t in range(threads)]
    started = time.monotonic()
    stop_at[0] = started + duration
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.monotonic() - started
    flat = [s for per in samples for s in per]
    times = sorted(s[0] * 1000 for s in flat) or [0.0]

    def pct(p: float) -> float:
        return times[min(len(times) - 1, int(len(times) * p))]

    return {"requests": len(flat), "rps": len(flat) / elapsed, "statuses": dict(Counter(s[1] for s in flat)),
            "p50": statistics.median(times), "p95": pct(0.95), "p99": pct(0.99), "max": times[-1]}


def bench(opts) -> int:
    run.RESULTS.mkdir(parents=True, exist_ok=True)
    run.DB_NAME = DB_NAME
    run.ENV.update(DATABASE_URL=run.PG_SERVER.rstrip("/") + "/" + DB_NAME)
    server = None
    try:
        keys, _ = run.setup_data()
        env = run.HIGH_WEB_ENV | {"GUNICORN_THREADS": str(opts.server_threads), "DB_POOL_SIZE": str(opts.server_threads)}
        server = run.Server("booking", "bench.raised_limits:app", opts.workers, env).start()
        headers = run.api_headers(run.TENANTS[0], keys)
        resort = build_resort(server.port, headers, opts.threads)
        first = date.today() + timedelta(days=30)

        def body(t: int, kennel: str, start: date) -> dict:
            customer, pet = resort["homes"][t]
            return {"customer_id": customer, "service_id": resort["service"], "start_date": start.isoformat(),
                    "end_date": (start + timedelta(days=2)).isoformat(),
                    "pets": [{"pet_id": pet, "kennel_id": resort["kennels"][kennel]}]}

        distinct = drive(server.port, headers, opts.threads, opts.duration,
                         lambda t, n: body(t, f"R{t + 1:02d}", first + timedelta(days=2 * n)))
        later = first + timedelta(days=2000)  # past every distinct stay
        contended = drive(server.port, headers, opts.threads, opts.duration,
                          lambda t, n: body(t, f"C0{t % 2 + 1}", later + timedelta(days=2 * n)))
        print()
        print(f"booking POST bench ({run.git_revision()}; {opts.workers} gthread workers x {opts.server_threads} "
              f"threads, {opts.threads} client threads, {opts.duration} s each)")
        print(f"{'':10} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7}  statuses")
        for label, row in (("distinct", distinct), ("contended", contended)):
            print(f"{label:10} {row['requests']:8d} {row['rps']:7.1f} {row['p50']:7.1f} {row['p95']:7.1f} "
                  f"{row['p99']:7.1f} {row['max']:7.1f}  {row['statuses']}")
        bad = {s: n for row in (distinct, contended) for s, n in row["statuses"].items() if s >= 500}
        if bad or set(distinct["statuses"]) != {201}:
            print(f"unexpected answers: distinct {distinct['statuses']}, 5xx {bad}", file=sys.stderr)
            return 1
        return 0
    except run.BenchError as exc:
        print(f"booking bench failed: {exc}", file=sys.stderr)
        return 1
    finally:
        if server is not None:
            server.stop()
        run.drop_database()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=16, help="client threads (default 16)")
    parser.add_argument("--duration", type=float, default=10, help="seconds per run (default 10)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--server-threads", type=int, default=16, help="threads per gunicorn worker (default 16)")
    return bench(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
