"""Tailtown's hot paths against a bare Flask ceiling: `python bench/ratio.py` (`make bench`).

    python bench/ratio.py [--duration 10] [--connections 32] [--workers 2] [--record "label"]

Reuses bench/run.py's throwaway database (`tailtown_bench_ratio`), Redis db 14 (flushed), CLI
set-up and gunicorn; bench/booking.py's resort (a boarding service, one capacity-1 run and one
household per booking client) and its booking load generator. Two servers with the repo's
gunicorn.conf.py, up side by side: Tailtown (`bench.raised_limits:app`, so the limiter counts
every request but never says no) and the bare app (`bench.bare_app:app`, one psycopg2 SELECT of a
customer by primary key). Every scenario runs the bare app, then Tailtown, back to back, so both
see the same machine; the ratio is Tailtown's successful req/s over the bare app's req/s:

  a  GET /api/v1/customers/{id} with a Bearer key (warm: detail from the cache)
  b  GET /api/v1/day-sheet
  c  POST /api/v1/quotes (two nights, one dog)
  d  POST /api/v1/reservations, each client thread on its own free kennel (booking.py's generator;
     its bare run is the same generator doing GETs, one fresh connection per request)
  e  GET / on the tenant host, signed in (the today board)

a, b, c and e use wrk; cpu ms/req is gunicorn's own CPU (master and workers, from /proc) per
response. Before the load, bench/probe.py counts SQL statements and Redis round trips of one warm
request of each kind it knows, the customer read included. Prints the table and writes it to
bench/results/ratio.txt; `--record LABEL` also appends it to bench/RESULTS.md.
"""
import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import booking  # noqa: E402
import run  # noqa: E402

DB_NAME = "tailtown_bench_ratio"
RESULTS_MD = run.BENCH / "RESULTS.md"


def start_wrk(url: str, headers: dict, opts, method: str | None = None, body: str | None = None):
    env = os.environ | {"BENCH_HEADERS": "\n".join(f"{k}: {v}" for k, v in headers.items())}
    if method:
        env |= {"BENCH_METHOD": method, "BENCH_BODY": body or ""}
    cmd = ["wrk", f"-t{opts.threads}", f"-c{opts.connections}", f"-d{opts.duration}s", "--timeout", "5s",
           "-s", str(run.LUA), url]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wrk_row(proc, label: str) -> dict:
    out, _ = proc.communicate(timeout=300)
    (run.RESULTS / f"ratio-wrk-{label}.txt").write_text(out)
    line = next((ln for ln in out.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if proc.returncode != 0 or line is None:
        raise run.BenchError(f"wrk [{label}] failed ({proc.returncode}):\n{out[-2000:]}")
    data = json.loads(line[len("BENCH_JSON "):])
    seconds = data["duration_us"] / 1e6
    statuses = {int(k): v for k, v in data["statuses"].items()}
    socket_errors = sum(v for k, v in data["errors"].items() if k != "status")
    return {"requests": data["requests"], "rps": data["requests"] / seconds,
            "ok_rps": sum(v for k, v in statuses.items() if 200 <= k < 400) / seconds,
            "p50": data["p50_us"] / 1000, "p95": data["p95_us"] / 1000, "p99": data["p99_us"] / 1000,
            "statuses": dict(sorted(statuses.items())), "socket_errors": socket_errors}


def measured(server: run.Server, work) -> dict:
    """Run work() (returns a row with `requests`) and add gunicorn's CPU per request."""
    cpu_before = server.cpu_seconds()
    row = work()
    if server.proc.poll() is not None:
        raise run.BenchError(f"gunicorn [{server.label}] died:\n{server.log_tail(8)}")
    cpu = server.cpu_seconds() - cpu_before
    row["cpu_ms"] = cpu * 1000 / row["requests"] if row["requests"] else 0.0
    return row


def errors_of(row: dict, ok: set[int]) -> int:
    return sum(n for status, n in row["statuses"].items() if status not in ok) + row.get("socket_errors", 0)


def threaded_row(result: dict) -> dict:
    return {"requests": result["requests"], "rps": result["rps"], "p50": result["p50"], "p95": result["p95"],
            "p99": result["p99"], "statuses": result["statuses"], "socket_errors": 0,
            "ok_rps": result["rps"] * sum(n for s, n in result["statuses"].items() if s < 400)
            / max(1, result["requests"])}


def bench(opts) -> str:
    run.RESULTS.mkdir(parents=True, exist_ok=True)
    run.DB_NAME = DB_NAME
    run.ENV.update(DATABASE_URL=run.PG_SERVER.rstrip("/") + "/" + DB_NAME)
    servers: list[run.Server] = []
    try:
        keys, _ = run.setup_data()
        tenant = run.TENANTS[0]
        headers = run.api_headers(tenant, keys)
        app = run.Server("ratio-tailtown", "bench.raised_limits:app", opts.workers, run.HIGH_WEB_ENV)
        servers.append(app.start())
        resort = booking.build_resort(app.port, headers, opts.booking_threads)
        customer_id = resort["homes"][0][0]
        bare = run.Server("ratio-bare", "bench.bare_app:app", opts.workers)
        servers.append(bare.start())

        os.environ["BENCH_CUSTOMER"] = customer_id
        probe = run.run_probe(keys)
        run.reset_rate_limits()
        session = run.sign_in(app, f"{tenant}.localhost")
        first = date.today() + timedelta(days=30)
        quote = json.dumps({"service_id": resort["service"], "start_date": first.isoformat(),
                            "end_date": (first + timedelta(days=2)).isoformat(), "pets": [{"species": "DOG"}]})
        json_headers = headers | {"Content-Type": "application/json"}
        bare_url = f"http://127.0.0.1:{bare.port}/customers/{customer_id}"
        wrk_scenarios = [
            ("a", "GET /api/v1/customers/{id}, Bearer key", f"/api/v1/customers/{customer_id}", headers, None, None),
            ("b", "GET /api/v1/day-sheet", "/api/v1/day-sheet", headers, None, None),
            ("c", "POST /api/v1/quotes", "/api/v1/quotes", json_headers, "POST", quote),
            ("e", "GET / signed in (today board)", "/", {"Host": f"{tenant}.localhost", "Cookie": session}, None, None),
        ]
        rows = []
        for key, title, path, hdrs, method, body in wrk_scenarios[:3]:
            rows.append(wrk_pair(opts, key, title, app, bare, bare_url, path, hdrs, method, body))
        rows.append(booking_pair(opts, app, bare, headers, resort, customer_id, first))
        key, title, path, hdrs, method, body = wrk_scenarios[3]
        rows.append(wrk_pair(opts, key, title, app, bare, bare_url, path, hdrs, method, body))
        return report(opts, rows, probe)
    finally:
        for server in servers:
            server.stop()
        run.drop_database()
        run.flush_redis()


def wrk_pair(opts, key, title, app, bare, bare_url, path, headers, method, body) -> dict:
    run.log(f"scenario {key}: bare, then {title}")
    bare_row = measured(bare, lambda: wrk_row(start_wrk(bare_url, {}, opts), f"{key}-bare"))
    row = measured(app, lambda: wrk_row(start_wrk(f"http://127.0.0.1:{app.port}{path}", headers, opts, method, body),
                                        f"{key}-tailtown"))
    run.log(f"  bare {bare_row['rps']:.0f} req/s; tailtown {row['rps']:.0f} req/s {row['statuses']}")
    return {"key": key, "title": title, "bare": bare_row, "app": row, "ok": {200}}


def booking_pair(opts, app, bare, headers, resort, customer_id, first) -> dict:
    title = f"POST /api/v1/reservations, distinct free kennels ({opts.booking_threads} client threads)"
    run.log(f"scenario d: bare (same generator, GET), then {title}")
    threads, seconds = opts.booking_threads, opts.duration
    bare_row = measured(bare, lambda: threaded_row(booking.drive(
        bare.port, {}, threads, seconds, lambda t, n: None, method="GET", path=f"/customers/{customer_id}")))

    def body(t: int, n: int) -> dict:
        owner, pet = resort["homes"][t]
        start = first + timedelta(days=2 * n)
        return {"customer_id": owner, "service_id": resort["service"], "start_date": start.isoformat(),
                "end_date": (start + timedelta(days=2)).isoformat(),
                "pets": [{"pet_id": pet, "kennel_id": resort["kennels"][f"R{t + 1:02d}"]}]}

    row = measured(app, lambda: threaded_row(booking.drive(app.port, headers, threads, seconds, body)))
    run.log(f"  bare {bare_row['rps']:.0f} req/s; tailtown {row['rps']:.0f} req/s {row['statuses']}")
    return {"key": "d", "title": title, "bare": bare_row, "app": row, "ok": {201}}


def report(opts, rows: list[dict], probe: dict) -> str:
    lines = [f"Tailtown vs bare Flask, {datetime.now(UTC):%Y-%m-%d %H:%M}Z, rev {run.git_revision()}, "
             f"{os.cpu_count()} cores (shared with wrk and anything else running)",
             f"gunicorn.conf.py ({opts.workers} workers), wrk {opts.threads} threads x {opts.connections} connections, "
             f"{opts.duration} s per run, bare and Tailtown alternately",
             "",
             f"{'':3} {'server':<9} {'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7} {'errors':>6} {'cpu ms/req':>10} "
             f"{'ratio':>6}  statuses"]
    for r in rows:
        bare, app = r["bare"], r["app"]
        ratio = app["ok_rps"] / bare["rps"] if bare["rps"] else 0.0
        for who, row, shown_ratio in (("bare", bare, ""), ("tailtown", app, f"{ratio:.2f}")):
            errors = errors_of(row, {200} if who == "bare" else r["ok"])
            lines.append(f"{r['key'] if who == 'bare' else '':3} {who:<9} {row['rps']:>7.0f} {row['p50']:>7.1f} "
                         f"{row['p95']:>7.1f} {row['p99']:>7.1f} {errors:>6} {row['cpu_ms']:>10.2f} {shown_ratio:>6}  "
                         f"{run.fmt_statuses(row['statuses'])}")
    lines.append("latencies in ms; ratio = Tailtown's 2xx req/s / the bare app's req/s in the run just before it")
    lines += ["", *(f"  {r['key']}  {r['title']}" for r in rows), ""]
    lines.append("In-process, one warm request (bench/probe.py): SQL statements, PostgreSQL and Redis round trips")
    for label, p in probe.items():
        lines.append(f"  {label:<28} {p['sql_per_request']:>4g} SQL {p['wire_per_request']:>4g} PG "
                     f"{p['redis_trips_per_request']:>4g} Redis  {p['ms_median']:.2f} ms median")
    customer = probe.get("GET /api/v1/customers/{id}")
    if customer:
        lines.append(f"  customer read SQL: {' | '.join(customer['sql']) or '(none)'}")
        lines.append(f"  customer read on the wire: {' | '.join(customer['wire_queries']) or '(none)'}")
        lines.append(f"  customer read Redis commands: {' '.join(customer['redis_commands'])}")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per run (default 10)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers, WEB_CONCURRENCY (default 2)")
    parser.add_argument("--booking-threads", type=int, default=16, help="client threads of scenario d (default 16)")
    parser.add_argument("--record", help="append the table to bench/RESULTS.md under this label")
    opts = parser.parse_args()
    run.check_tools()
    started = time.monotonic()
    try:
        text = bench(opts)
    except run.BenchError as exc:
        print(f"ratio bench failed: {exc}", file=sys.stderr)
        return 1
    print("\n" + text, end="")
    (run.RESULTS / "ratio.txt").write_text(text)
    if opts.record:
        with RESULTS_MD.open("a") as out:
            out.write(f"\n## {opts.record}\n\n```\n{text}```\n")
        run.log(f"appended to {run.shown(RESULTS_MD)}")
    run.log(f"done in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
