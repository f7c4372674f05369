"""Test harness: a fresh PostgreSQL database (or SQLite file) upgraded by the migrations, a
dedicated Redis database, truncation between tests, and two tenants for every data test.

TAILTOWN_TEST_BACKEND=postgres (default) uses TEST_DATABASE_URL + TEST_REDIS_URL;
TAILTOWN_TEST_BACKEND=sqlite uses the embedded default (SQLite + in-process cache/limiter).
"""
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from app import create_app
from app.core.extensions import cache, db, limiter
from app.core.rls import OWNER
from app.models import Plan, Role
from config import TestConfig, normalize_database_url

BACKEND = os.environ.get("TAILTOWN_TEST_BACKEND", "postgres")
SERVER_URL = normalize_database_url(os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/"))
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
START_POSTGRES = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
START_REDIS = 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no'
PASSWORD = "correct-horse-battery"


def pytest_configure(config):
    config.addinivalue_line("markers", "postgres: needs PostgreSQL-only behaviour (row locks, concurrency)")
    config.addinivalue_line("markers", "browser: drives headless Chromium")
    config.addinivalue_line("markers", "generators: runs OpenAPI code generators (openapi-typescript needs node)")


def pytest_collection_modifyitems(config, items):
    if BACKEND != "postgres":
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(pytest.mark.skip(reason="PostgreSQL-only; covered by the PostgreSQL pass of `make test`"))


def _create_postgres_database() -> str:
    server = make_url(SERVER_URL)
    admin = create_engine(server.set(database=server.database or "postgres"), isolation_level="AUTOCOMMIT")
    name = f"tailtown_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001
        pytest.exit(f"PostgreSQL is not reachable at {SERVER_URL} ({type(exc).__name__}: {exc}).\n"
                    f"Start it with: {START_POSTGRES}", returncode=3)
    finally:
        admin.dispose()
    return server.set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(url: str) -> None:
    server = make_url(SERVER_URL)
    admin = create_engine(server.set(database=server.database or "postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def _check_redis() -> None:
    from redis import Redis

    try:
        Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception as exc:  # noqa: BLE001
        pytest.exit(f"Redis is not reachable at {REDIS_URL} ({type(exc).__name__}).\nStart it with: {START_REDIS}",
                    returncode=3)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str | None]:
    if BACKEND == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'tailtown.db'}"
        return
    url = _create_postgres_database()
    yield url
    _drop_postgres_database(url)


@pytest.fixture(scope="session")
def redis_url() -> str | None:
    if BACKEND == "sqlite":
        return None
    _check_redis()
    return REDIS_URL


@pytest.fixture(scope="session")
def app(database_url, redis_url):
    """One app per run; the schema comes only from the migrations."""
    from flask_migrate import upgrade

    # A run-specific key prefix keeps concurrent test runs from sharing cache entries or counters.
    run = uuid.uuid4().hex[:8]
    application = create_app(TestConfig(database_url=database_url, redis_url=redis_url,
                                        CACHE_KEY_PREFIX=f"tailtown-test-{run}:", RATELIMIT_KEY_PREFIX=f"tt{run}"))
    with application.app_context():
        upgrade()
    return application


def _clean(app) -> None:
    with app.app_context():
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.execution_options(**{OWNER: True}).begin() as conn:  # TRUNCATE needs the owner
            if db.engine.dialect.name == "postgresql":
                conn.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
            else:
                for table in tables:
                    conn.execute(text(f"DELETE FROM {table}"))
        cache.clear()
        _reset_limits(app)


def _reset_limits(app) -> None:
    """Forget this run's rate-limit counters (only ours: other runs may share the Redis)."""
    if not app.config.get("REDIS_URL"):
        limiter.reset()
        return
    from redis import Redis

    client = Redis.from_url(app.config["REDIS_URL"])
    keys = list(client.scan_iter(f"*{app.config['RATELIMIT_KEY_PREFIX']}*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture(autouse=True)
def clean_state(app):
    """Every test starts with empty tables, cache and rate-limit counters."""
    _clean(app)
    yield
    _clean(app)


@pytest.fixture
def client(app):
    return app.test_client()


@dataclass
class TenantFixture:
    """A tenant with an admin, a manager and a staff user, and one API key per role."""

    id: uuid.UUID
    subdomain: str
    name: str
    users: dict[Role, object] = field(default_factory=dict)
    keys: dict[Role, str] = field(default_factory=dict)
    key_ids: dict[Role, uuid.UUID] = field(default_factory=dict)

    @property
    def host(self) -> str:
        return f"{self.subdomain}.localhost"

    @property
    def base_url(self) -> str:
        return f"http://{self.host}"

    def headers(self, role: Role = Role.ADMIN, **extra) -> dict:
        return {"X-Tenant": self.subdomain, "Authorization": f"Bearer {self.keys[role]}", **extra}

    def email(self, role: Role) -> str:
        return f"{role.value.lower()}@{self.subdomain}.example"


def make_tenant(app, subdomain: str, plan: Plan = Plan.PRO) -> TenantFixture:
    """Create a tenant with one user and one key per role, through the services."""
    from app.services import accounts, api_keys, tenants
    from app.tenancy import tenant_context

    with app.app_context(), app.test_request_context(base_url=f"http://{subdomain}.localhost"):
        tenant = tenants.create_tenant(subdomain=subdomain, name=subdomain.replace("-", " ").title(), plan=plan)
        fx = TenantFixture(id=tenant.id, subdomain=subdomain, name=tenant.name)
        with tenant_context(tenant):
            for role in Role:
                user = accounts.create_user(email=fx.email(role), name=f"{role.value.title()} {subdomain}",
                                            role=role, password=PASSWORD)
                fx.users[role] = user.id
                key, secret = api_keys.create_api_key(name=f"{role.value} key", role=role)
                fx.keys[role] = secret
                fx.key_ids[role] = key.id
    return fx


@pytest.fixture
def tenant_a(app) -> TenantFixture:
    return make_tenant(app, "alpha-paws")


@pytest.fixture
def tenant_b(app) -> TenantFixture:
    return make_tenant(app, "bravo-barks")


@pytest.fixture
def count_queries(app):
    """Count SQL statements run inside the `with` block: `with count_queries() as n: ...; n.count`."""
    from contextlib import contextmanager

    class Counter:
        count = 0
        statements: list[str] = []

    @contextmanager
    def counting():
        counter = Counter()
        counter.statements = []
        with app.app_context():
            engine = db.engine

        def on_execute(conn, cursor, statement, *args):
            counter.count += 1
            counter.statements.append(statement)

        event.listen(engine, "before_cursor_execute", on_execute)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", on_execute)

    return counting


@pytest.fixture
def count_redis_trips(monkeypatch):
    """Record Redis round trips inside the `with` block: `with count_redis_trips() as trips: ...; len(trips)`."""
    from contextlib import contextmanager

    from redis.connection import AbstractConnection

    send = AbstractConnection.send_packed_command

    @contextmanager
    def counting():
        trips: list = []

        def counted(conn, command, check_health=True):  # one packed send = one round trip (pipelines too)
            trips.append(command)
            return send(conn, command, check_health)

        monkeypatch.setattr(AbstractConnection, "send_packed_command", counted)
        try:
            yield trips
        finally:
            monkeypatch.setattr(AbstractConnection, "send_packed_command", send)

    return counting


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = CSRF_RE.search(html) or re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def web_login(client, tenant: TenantFixture, role: Role = Role.ADMIN, password: str = PASSWORD):
    """Sign in through the real login form; returns the POST response."""
    page = client.get("/login", base_url=tenant.base_url)
    return client.post("/login", base_url=tenant.base_url, data={
        "email": tenant.email(role), "password": password, "csrf_token": csrf_from(page.get_data(as_text=True)),
    })


def hx_headers(client, tenant: TenantFixture, path: str = "/") -> dict:
    """Headers an htmx request from a signed-in page sends (CSRF token in a header)."""
    page = client.get(path, base_url=tenant.base_url)
    return {"HX-Request": "true", "X-CSRFToken": csrf_from(page.get_data(as_text=True))}


@pytest.fixture
def captured_logs():
    """Every formatted log line (message + bound extra) written while the test runs."""
    from loguru import logger

    lines: list[str] = []
    handler = logger.add(lambda msg: lines.append(str(msg)), format="{level} {message} | {extra} | {exception}",
                         level="DEBUG")
    yield lines
    logger.remove(handler)
