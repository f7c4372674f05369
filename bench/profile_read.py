"""Profile the warm customer read in-process: `python bench/profile_read.py [--requests 2000]`.

Builds bench/run.py's throwaway database (`tailtown_bench_profile`) and tenants through the CLI,
creates one customer through the API, warms the caches, then runs cProfile over `--requests`
GET /api/v1/customers/{id} with the Flask test client (no HTTP server) and prints the top
cumulative and own-time entries. Drops the database at the end.
"""
import argparse
import cProfile
import os
import pstats
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402

DB_NAME = "tailtown_bench_profile"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--top", type=int, default=30)
    opts = parser.parse_args()
    run.DB_NAME = DB_NAME
    run.ENV.update(DATABASE_URL=run.PG_SERVER.rstrip("/") + "/" + DB_NAME)
    try:
        keys, _ = run.setup_data()
        os.environ.update(run.ENV)
        sys.path.insert(0, str(run.ROOT))
        from app import create_app
        from bench import raised_limits  # noqa: F401  (limits raised before the app is built)

        app = create_app()
        client = app.test_client()
        headers = run.api_headers(run.TENANTS[0], keys)
        made = client.post("/api/v1/customers", headers=headers, json={"first_name": "Pro", "last_name": "File"})
        path = f"/api/v1/customers/{made.get_json()['id']}"
        for _ in range(20):
            assert client.get(path, headers=headers).status_code == 200
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(opts.requests):
            client.get(path, headers=headers)
        profiler.disable()
        stats = pstats.Stats(profiler).strip_dirs()
        stats.sort_stats("cumulative").print_stats(opts.top)
        stats.sort_stats("tottime").print_stats(opts.top)
        return 0
    finally:
        run.drop_database()
        run.flush_redis()


if __name__ == "__main__":
    sys.exit(main())
