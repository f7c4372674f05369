"""Hung-Redis benchmark: `python bench/hung_redis.py` from the repo root (`--rev REV` for a commit).

Starts its own redis-server on a free port (no persistence), a throwaway PostgreSQL database, two
ENTERPRISE tenants and one customer, and serves `bench.raised_limits:app` with gunicorn against
them. wrk then drives `GET /api/v1/customers/<id>` (tenant lookup, key check, rate limit, cached
customer detail: every Redis use of a request) twice: with Redis healthy, then with Redis hung
(SIGSTOP: connections are accepted, nothing answers). Prints req/s, p50/p99 and 5xx count of each.
Only the Redis pid started here is ever signalled or killed; the database is dropped at the end.
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run  # the load bench's gunicorn, wrk and database helpers)

DB_NAME = "tailtown_bench_hung_redis"


def start_redis() -> tuple[subprocess.Popen, str]:
    """A private redis-server on a free port."""
    port = run.free_port()
    proc = subprocess.Popen([shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    import redis

    while True:
        try:
            redis.Redis.from_url(url, socket_timeout=0.2).ping()
            return proc, url
        except redis.RedisError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise run.BenchError("private redis-server did not start") from None
            time.sleep(0.05)


def stop_redis(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGCONT)
        proc.kill()
    proc.wait(timeout=10)


def create_customer(port: int, headers: dict) -> str:
    import json

    status, _, body = run.http_request(port, "POST", "/api/v1/customers", headers | {"Content-Type": "application/json"},
                                       json.dumps({"first_name": "Bench", "last_name": "Customer"}))
    if status != 201:
        raise run.BenchError(f"POST /api/v1/customers: {status} {body[:200]!r}")
    return json.loads(body)["id"]


def measure(server, path: str, headers: dict, opts, label: str) -> dict:
    proc = run.start_wrk(f"http://127.0.0.1:{server.port}{path}", headers, threads=opts.threads,
                         connections=opts.connections, duration=opts.duration)
    row = run.finish_wrk(proc, f"hung-redis-{label}")
    row["5xx"] = sum(n for status, n in row["statuses"].items() if status >= 500)
    run.log(f"  {label}: {row['rps']:.0f} req/s, p50 {row['p50']:.1f} ms, p99 {row['p99']:.1f} ms, "
            f"5xx {row['5xx']}, statuses {row['statuses']}"
            + (f", socket errors {row['socket_errors']}" if row["socket_errors"] else ""))
    return row


def bench(opts) -> int:
    run.check_tools()
    run.RESULTS.mkdir(parents=True, exist_ok=True)
    redis_proc, redis_url = start_redis()
    run.DB_NAME = DB_NAME
    run.REDIS_URL = redis_url
    run.ENV.update(DATABASE_URL=run.PG_SERVER.rstrip("/") + "/" + DB_NAME, REDIS_URL=redis_url)
    server = None
    try:
        keys, _ = run.setup_data()
        server = run.Server("hung-redis", "bench.raised_limits:app", opts.workers, run.HIGH_WEB_ENV).start()
        headers = run.api_headers(run.TENANTS[0], keys)
        path = f"/api/v1/customers/{create_customer(server.port, headers)}"
        for _ in range(20):
            run.http_request(server.port, "GET", path, headers)  # warm every worker's pool and the cache
        run.log(f"healthy Redis ({redis_url}): wrk {opts.duration} s, {opts.connections} connections on GET {path}")
        healthy = measure(server, path, headers, opts, "healthy")
        os.kill(redis_proc.pid, signal.SIGSTOP)
        run.log(f"Redis hung (SIGSTOP pid {redis_proc.pid})")
        hung = measure(server, path, headers, opts, "hung")
        os.kill(redis_proc.pid, signal.SIGCONT)
        print()
        print(f"hung Redis bench ({os.environ.get('BENCH_REV_LABEL', 'working tree')}; {opts.workers} sync workers, "
              f"{opts.connections} connections, {opts.duration} s each)")
        print(f"{'':8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'5xx':>6}  statuses / socket errors")
        for label, row in (("healthy", healthy), ("hung", hung)):
            # wrk leaves requests that hit its 5 s timeout out of the percentiles: say so instead of a bogus p50.
            slow = row["socket_errors"].get("timeout", 0) * 2 >= max(row["requests"], 1)
            p50, p99 = (">5000", ">5000") if slow else (f"{row['p50']:.1f}", f"{row['p99']:.1f}")
            print(f"{label:8} {row['rps']:8.0f} {p50:>8} {p99:>8} {row['5xx']:6d}  {row['statuses']}"
                  f" {row['socket_errors'] or ''}")
        slow = hung["socket_errors"].get("timeout", 0) * 2 >= max(hung["requests"], 1)
        ratio = float("inf") if slow or not healthy["p50"] else hung["p50"] / healthy["p50"]
        print(f"p50 hung / healthy: {ratio:.2f}x (target within 2x, zero 5xx)")
        return 0
    except run.BenchError as exc:
        print(f"hung-redis bench failed: {exc}", file=sys.stderr)
        return 1
    finally:
        if server is not None:
            server.stop()
        stop_redis(redis_proc)
        run.drop_database()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per run (default 10)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--rev", help="bench a committed revision (git archive to a temp dir), e.g. main")
    opts = parser.parse_args()
    if opts.rev:
        commit = subprocess.run(["git", "rev-parse", "--short", opts.rev], cwd=run.ROOT, capture_output=True, text=True,
                                check=False)
        if commit.returncode != 0:
            sys.exit(f"unknown revision {opts.rev!r}")
        with tempfile.TemporaryDirectory(prefix="tailtown-hung-redis-") as tmp:
            archive = subprocess.run(["git", "archive", opts.rev], cwd=run.ROOT, capture_output=True, check=True).stdout
            subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
            shutil.rmtree(Path(tmp) / "bench", ignore_errors=True)
            shutil.copytree(run.BENCH, Path(tmp) / "bench", ignore=shutil.ignore_patterns("results", "__pycache__"))
            args = [a for a in sys.argv[1:] if a not in ("--rev", opts.rev)]
            env = os.environ | {"BENCH_RESULTS_DIR": str(run.RESULTS),
                                "BENCH_REV_LABEL": f"{commit.stdout.strip()} ({opts.rev})"}
            return subprocess.call([sys.executable, str(Path(tmp) / "bench" / "hung_redis.py"), *args], cwd=tmp, env=env)
    return bench(opts)


if __name__ == "__main__":
    sys.exit(main())
