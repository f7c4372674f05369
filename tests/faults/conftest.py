"""Fixtures for the fault tests: our own Redis, PostgreSQL cluster and gunicorn, two seeded tenants.

They run in the PostgreSQL pass of `make test` (marked `postgres`) and can be selected or left out
with `-m faults` / `-m "not faults"`. Nothing here uses the shared test database.
"""
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.faults import harness


def pytest_configure(config):
    config.addinivalue_line("markers", "faults: starts its own Redis/PostgreSQL/gunicorn and injects faults")


def pytest_terminal_summary(terminalreporter):
    if harness.REPORT:
        terminalreporter.section("fault test timings (reported, not asserted)")
        for line in harness.REPORT:
            terminalreporter.write_line(line)


@pytest.fixture(autouse=True)
def clean_state():
    """The fault tests own their database; the shared one needs no cleaning (overrides tests/conftest.py)."""
    yield


@pytest.fixture(scope="session")
def faults_workdir():
    path = Path(tempfile.mkdtemp(prefix="tailtown-faults-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def own_redis(faults_workdir):
    """A redis-server of our own; the tests kill and pause it by its pid."""
    if not shutil.which("redis-server"):
        pytest.skip("redis-server not found on PATH; the fault tests start their own Redis")
    server = harness.OwnRedis(faults_workdir)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def own_postgres():
    """A PostgreSQL cluster of our own (initdb in a temp dir), restartable by the tests."""
    reason = harness.postgres_unavailable_reason()
    if reason:
        pytest.skip(reason)
    server = harness.OwnPostgres()
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def stack_env(own_postgres, own_redis):
    """Production settings pointed at our own servers."""
    return harness.app_env(database_url=own_postgres.url, redis_url=own_redis.url)


@pytest.fixture(scope="session")
def fault_tenants(stack_env):
    """Schema from the migrations, then two tenants with an API key each."""
    return harness.migrate_and_seed(stack_env, ["alpha-faults", "bravo-faults"])


@pytest.fixture(scope="session")
def live_gunicorn(stack_env, fault_tenants, faults_workdir):
    """gunicorn -c gunicorn.conf.py with 2 workers against our servers."""
    server = harness.LiveGunicorn(stack_env, faults_workdir)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def stack(own_redis, own_postgres, live_gunicorn, fault_tenants):
    """Everything healthy before the test and again after it, whatever the test broke."""

    def heal():
        own_redis.ensure_running()
        own_postgres.ensure_running()
        live_gunicorn.wait_ready()
        api = harness.Api(live_gunicorn.port, timeout=10)
        harness.wait_until(lambda: api.get("/readyz").body["status"] == "ok", timeout=30, what="/readyz ok")

    heal()
    yield Stack(own_redis, own_postgres, live_gunicorn, fault_tenants)
    heal()


class Stack:
    """The running servers and tenants, handed to a test."""

    def __init__(self, redis, postgres, gunicorn, tenants) -> None:
        self.redis = redis
        self.postgres = postgres
        self.gunicorn = gunicorn
        self.tenants = tenants

    def api(self, timeout: float = 20.0) -> harness.Api:
        return harness.Api(self.gunicorn.port, timeout=timeout)

    def load(self, **kw) -> harness.LoadDriver:
        return harness.LoadDriver(self.gunicorn.port, self.tenants, **kw)
