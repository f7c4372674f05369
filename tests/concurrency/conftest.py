"""The race tests' live server: gunicorn (the repo's gunicorn.conf.py) on a free port, against the
session's test database and the shared Redis db 15 under this run's key prefixes.

Started once per run, only when a PostgreSQL race test asks for it (tests/faults/harness.py starts
and stops it, by its pid). Unlike the fault tests, nothing private is started: the tables are the
ones the `app` fixture migrated and truncates between tests, which the server simply reads.
"""
import pytest

from tests.faults import harness

WORKERS = 2
THREADS = 16  # 32 requests in the server at once: every racer of one tenant is inside a worker together


@pytest.fixture(scope="session")
def race_server(app, database_url, redis_url, tmp_path_factory):
    """gunicorn -c gunicorn.conf.py, 2 workers x 16 threads, production settings, this run's database."""
    env = harness.app_env(database_url=database_url, redis_url=redis_url,
                          RACE_CACHE_KEY_PREFIX=app.config["CACHE_KEY_PREFIX"],
                          RACE_RATELIMIT_KEY_PREFIX=app.config["RATELIMIT_KEY_PREFIX"],
                          GUNICORN_THREADS=str(THREADS), DB_POOL_SIZE=str(THREADS))
    server = harness.LiveGunicorn(env, tmp_path_factory.mktemp("race-gunicorn"), workers=WORKERS,
                                  target="tests.concurrency.live_wsgi:app")
    try:
        server.start()
        yield server
    finally:
        server.stop()
