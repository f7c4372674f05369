"""gthread against sync workers for the warm customer read: `python bench/workers.py`.

    python bench/workers.py [--duration 10] [--workers 2] [--connections 32,128]

Reuses bench/ratio.py's set-up (throwaway database `tailtown_bench_workers`, Redis db 14, the CLI
tenants, booking.py's resort for a customer) and starts two Tailtown gunicorns side by side with
the repo's gunicorn.conf.py (`bench.raised_limits:app`), one as configured (gthread) and one with
`--worker-class sync` on the command line. For each connection count it runs wrk on
`GET /api/v1/customers/{id}` against both, alternately (the order flips at each count), and
prints req/s, p50/p95/p99, errors and gunicorn's cpu ms/req of each.
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import booking  # noqa: E402
import ratio  # noqa: E402
import run  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", default="32,128")
    opts = parser.parse_args()
    run.check_tools()
    run.RESULTS.mkdir(parents=True, exist_ok=True)
    run.DB_NAME = "tailtown_bench_workers"
    run.ENV.update(DATABASE_URL=run.PG_SERVER.rstrip("/") + "/" + run.DB_NAME)
    servers: list[run.Server] = []
    rows = []
    try:
        keys, _ = run.setup_data()
        headers = run.api_headers(run.TENANTS[0], keys)
        gthread = run.Server("workers-gthread", "bench.raised_limits:app", opts.workers, run.HIGH_WEB_ENV)
        servers.append(gthread.start())
        sync = run.Server("workers-sync", "bench.raised_limits:app", opts.workers, run.HIGH_WEB_ENV,
                          ("--worker-class", "sync"))
        servers.append(sync.start())
        customer = booking.build_resort(gthread.port, headers, 1)["homes"][0][0]
        path = f"/api/v1/customers/{customer}"
        for n, connections in enumerate(int(c) for c in opts.connections.split(",")):
            order = [("gthread", gthread), ("sync", sync)]
            for label, server in order if n % 2 == 0 else order[::-1]:
                wrk_opts = argparse.Namespace(threads=opts.threads, connections=connections, duration=opts.duration)
                row = ratio.measured(server, lambda s=server, o=wrk_opts, lb=label: ratio.wrk_row(
                    ratio.start_wrk(f"http://127.0.0.1:{s.port}{path}", headers, o), f"workers-{lb}-{o.connections}"))
                run.log(f"  {label} x {connections} connections: {row['rps']:.0f} req/s, p99 {row['p99']:.1f} ms")
                rows.append((connections, label, row))
    except run.BenchError as exc:
        print(f"workers bench failed: {exc}", file=sys.stderr)
        return 1
    finally:
        for server in servers:
            server.stop()
        run.drop_database()
        run.flush_redis()
    print(f"\nGET /api/v1/customers/{{id}}, {opts.workers} workers (gthread: gunicorn.conf.py threads), rev "
          f"{run.git_revision()}, {opts.duration} s per run, alternately")
    print(f"{'conns':>5} {'worker':<8} {'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7} {'errors':>6} {'cpu ms/req':>10}")
    for connections, label, row in rows:
        print(f"{connections:>5} {label:<8} {row['rps']:>7.0f} {row['p50']:>7.1f} {row['p95']:>7.1f} {row['p99']:>7.1f} "
              f"{ratio.errors_of(row, {200}):>6} {row['cpu_ms']:>10.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
