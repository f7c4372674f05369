"""Servers the fault tests own (Redis, a PostgreSQL cluster, gunicorn), a load driver and checks.

Every process here is started by the harness, on a free port, and stopped by the pid it got;
the machine's shared PostgreSQL and Redis are never touched.
"""
import contextlib
import http.client
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

import psycopg2

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
PG_BIN = Path(os.environ.get("FAULTS_PG_BIN", "/usr/lib/postgresql/15/bin"))
REPORT: list[str] = []  # timing lines, printed in the terminal summary (tests/faults/conftest.py)


def report(line: str) -> None:
    """Keep a timing line for the end-of-run summary (timings are reported, never asserted)."""
    REPORT.append(line)
    print(line)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, *, timeout: float, interval: float = 0.1, what: str = "condition"):
    """Poll predicate until it returns something truthy; raise after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = predicate()
        except Exception:  # noqa: BLE001 - a server that is still starting raises; keep polling
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def signal_pid(pid: int | None, sig: int) -> None:
    """Send a signal to one pid we started; a pid that is already gone is fine."""
    if pid:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def _children(pid: int) -> list[int]:
    """Pids whose parent is pid (gunicorn workers of our master)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry))
    return sorted(found)


class OwnRedis:
    """A redis-server on a free port that the tests may kill, pause and restart."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None
        self.paused = False

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start (or restart after a kill) on the same port and wait for PING."""
        binary = shutil.which("redis-server")
        with open(self.workdir / "redis.log", "ab") as log:
            self.proc = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                          "--appendonly", "no", "--dir", str(self.workdir)],
                                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.paused = False
        wait_until(self.ping, timeout=15, what=f"redis on port {self.port}")

    def ping(self) -> bool:
        from redis import Redis

        client = Redis(port=self.port, socket_timeout=0.5, socket_connect_timeout=0.5)
        try:
            return bool(client.ping())
        finally:
            client.close()

    def kill(self) -> None:
        """SIGKILL the server (a crash, not a shutdown)."""
        signal_pid(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def pause(self) -> None:
        """SIGSTOP: connections stay open and nothing answers (a hung server)."""
        signal_pid(self.proc.pid, signal.SIGSTOP)
        self.paused = True

    def resume(self) -> None:
        signal_pid(self.proc.pid, signal.SIGCONT)
        self.paused = False

    def ensure_running(self) -> None:
        """Back to healthy whatever a test did to it."""
        if self.paused:
            self.resume()
        if self.proc is None or self.proc.poll() is not None:
            self.start()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            signal_pid(self.proc.pid, signal.SIGCONT)
            signal_pid(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


def postgres_unavailable_reason() -> str | None:
    """Why this machine cannot run a private PostgreSQL cluster, or None when it can."""
    missing = [name for name in ("initdb", "pg_ctl", "postgres") if not (PG_BIN / name).exists()]
    if missing:
        return f"PostgreSQL server binaries {', '.join(missing)} not found in {PG_BIN} (set FAULTS_PG_BIN)"
    if os.geteuid() == 0:
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to run initdb as"
    return None


class OwnPostgres:
    """A throwaway PostgreSQL cluster (initdb in a temp dir) on a free port, restartable by the tests."""

    def __init__(self) -> None:
        self.port = free_port()
        # initdb refuses to run as root: run the cluster as the postgres user in a dir it owns.
        self.user = "postgres" if os.geteuid() == 0 else None
        self.dir = Path(tempfile.mkdtemp(prefix="tailtown-faults-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"
        if self.user:
            os.chmod(self.dir, 0o755)
            shutil.chown(self.dir, self.user, self.user)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/tailtown"

    def _run(self, *args: str, timeout: float = 60) -> None:
        # stdout to a file, not a pipe: a postmaster started by pg_ctl inherits it and never closes it.
        with open(self.dir / "pg_ctl.out", "ab") as out:
            subprocess.run([str(PG_BIN / args[0]), *args[1:]], user=self.user, check=True, timeout=timeout,
                           stdout=out, stderr=subprocess.STDOUT, cwd=self.dir)

    def start(self) -> None:
        """initdb, start, and create the tailtown database."""
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        self._start()
        self.sql("CREATE DATABASE tailtown", database="postgres")

    def restart(self) -> None:
        """pg_ctl restart -m fast: every backend is disconnected, the server is back when this returns."""
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-m", "fast", "restart")

    def running(self) -> bool:
        return self.sql("SELECT 1", database="postgres") == [(1,)]

    def ensure_running(self) -> None:
        try:
            if self.running():
                return
        except psycopg2.Error:
            pass
        self._start()

    def _start(self) -> None:
        # Always our port and socket dir: without -o, pg_ctl start would try the default port 5432.
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o", options, "start")

    def sql(self, statement: str, params: tuple = (), *, database: str = "tailtown") -> list[tuple]:
        """Run one statement as the superuser on our own cluster (sees every tenant's rows)."""
        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=database, connect_timeout=5)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(statement, params)
                return cur.fetchall() if cur.description else []
        finally:
            conn.close()

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                self._run("pg_ctl", "-D", str(self.data), "-w", "-t", "30", "-m", "immediate", "stop")
            except (subprocess.SubprocessError, OSError):
                pid = int((self.data / "postmaster.pid").read_text().split()[0])
                signal_pid(pid, signal.SIGKILL)
        shutil.rmtree(self.dir, ignore_errors=True)


@dataclass
class Tenant:
    """A seeded tenant and its API key."""

    subdomain: str
    id: str
    key: str

    def headers(self) -> dict:
        return {"X-Tenant": self.subdomain, "Authorization": f"Bearer {self.key}"}


# The operator CLI (`flask --app wsgi db upgrade`, `tenants create`, `api-keys create`), run in one
# process through Flask's CLI runner: the same commands, without paying the app's start-up five times.
SEED = """
import json, sys
from wsgi import app

runner = app.test_cli_runner()


def run(*args):
    result = runner.invoke(args=list(args))
    if result.exit_code != 0:
        sys.exit(f"flask {' '.join(args[:2])} failed: {result.output}")
    return result.output.strip().splitlines()


run("db", "upgrade")
out = []
for subdomain in sys.argv[1:]:
    created = run("tenants", "create", subdomain, "--name", subdomain.title(), "--plan", "ENTERPRISE")
    secret = run("api-keys", "create", "--tenant", subdomain, "--name", "fault load", "--role", "ADMIN")[-1]
    out.append({"subdomain": subdomain, "id": created[-1].split()[-1], "key": secret})
print(json.dumps(out))
"""


def app_env(*, database_url: str, redis_url: str, **extra: str) -> dict:
    """Environment for the app's processes: production settings pointed at our own servers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "TAILTOWN_", "PYTEST"))}
    env.update(TAILTOWN_ENV="production", DATABASE_URL=database_url, REDIS_URL=redis_url,
               SECRET_KEY=uuid.uuid4().hex + uuid.uuid4().hex, LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT), **extra)
    return env


def migrate_and_seed(env: dict, subdomains: list[str]) -> list[Tenant]:
    """Create the schema with the app's migrations, then tenants and their keys with the operator CLI."""
    result = subprocess.run([sys.executable, "-c", SEED, *subdomains], check=False, cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=180)
    if result.returncode != 0:
        raise RuntimeError(f"migrating/seeding failed:\n{result.stderr[-3000:]}")
    return [Tenant(**t) for t in json.loads(result.stdout.strip().splitlines()[-1])]


class LiveGunicorn:
    """`gunicorn -c gunicorn.conf.py wsgi:app` with 2 workers on a free port.

    `target` names another WSGI app (the race tests' app with the test run's Redis key prefixes);
    `--no-control-socket` keeps gunicorn >= 25.1 off ~/.gunicorn/gunicorn.ctl, which any other
    gunicorn of this user (another test run, the bench) would claim too.
    """

    def __init__(self, env: dict, workdir: Path, workers: int = 2, target: str = "wsgi:app") -> None:
        self.port = free_port()
        self.workers = workers
        self.target = target
        self.env = {**env, "BIND": f"127.0.0.1:{self.port}", "WEB_CONCURRENCY": str(workers)}
        self.log = workdir / "gunicorn.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([str(VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--no-control-socket",
                                          self.target],
                                         cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        self.wait_ready()

    def worker_pids(self) -> list[int]:
        return _children(self.proc.pid)

    def wait_ready(self, timeout: float = 60) -> None:
        """All workers up and /healthz answering."""
        if self.proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({self.proc.returncode}); see {self.log}:\n{self.log_tail()}")
        wait_until(lambda: len(self.worker_pids()) == self.workers, timeout=timeout, what="gunicorn workers")
        api = Api(self.port, timeout=5)
        wait_until(lambda: api.get("/healthz").status == 200, timeout=timeout, what="/healthz")

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def stop(self) -> None:
        """SIGQUIT the master (quick shutdown), then SIGKILL it and its workers if they linger."""
        if not self.proc:
            return
        workers = self.worker_pids()
        for pid in workers:
            signal_pid(pid, signal.SIGCONT)  # a test may have paused one
        signal_pid(self.proc.pid, signal.SIGQUIT)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            signal_pid(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        for pid in workers:
            signal_pid(pid, signal.SIGKILL)


@dataclass
class Reply:
    """What one HTTP request got: a status (None when the connection failed) or the error."""

    status: int | None
    headers: dict = field(default_factory=dict)
    body: object = None
    error: str | None = None


class Api:
    """A tiny stdlib HTTP client: one connection per request, a hard client timeout."""

    def __init__(self, port: int, *, timeout: float) -> None:
        self.port = port
        self.timeout = timeout

    def request(self, method: str, path: str, *, headers: dict | None = None, json_body=None) -> Reply:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        body = None
        headers = dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body)
            headers["Content-Type"] = "application/json"
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
            try:
                parsed = json.loads(raw) if raw else None
            except ValueError:
                parsed = raw[:200]
            return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, parsed)
        except (OSError, http.client.HTTPException) as exc:
            return Reply(None, error=type(exc).__name__)
        finally:
            conn.close()

    def get(self, path: str, **kw) -> Reply:
        return self.request("GET", path, **kw)


@dataclass
class Outcome:
    """One request of the load: when it started, how long it took, what came back."""

    op: str
    tenant: str
    started: float
    elapsed: float
    status: int | None
    error: str | None = None
    retry_after: str | None = None

    @property
    def ended(self) -> float:
        return self.started + self.elapsed


@dataclass
class Ledger:
    """Every write the load attempted and what the client was told, to compare with the database."""

    customers: list[dict] = field(default_factory=list)   # tenant, email, tags, status, id
    patches: list[dict] = field(default_factory=list)     # tenant, customer_id, seq, status
    pets: list[dict] = field(default_factory=list)        # tenant, customer_id, name, status


class LoadDriver:
    """Mixed read/write API traffic from threads, with both tenants' keys."""

    OPS = ["list"] * 3 + ["detail"] * 3 + ["create"] * 2 + ["patch"] * 2 + ["pet"]

    def __init__(self, port: int, tenants: list[Tenant], *, threads: int = 4, timeout: float = 20.0,
                 pause: float = 0.02) -> None:
        self.api = Api(port, timeout=timeout)
        self.tenants = tenants
        self.threads = threads
        self.pause = pause
        self.run_id = uuid.uuid4().hex[:8]
        self.outcomes: list[Outcome] = []
        self.ledger = Ledger()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._workers: list[threading.Thread] = []
        self._seq = 0

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        for n in range(self.threads):
            t = threading.Thread(target=self._loop, args=(n,), daemon=True, name=f"load-{n}")
            t.start()
            self._workers.append(t)

    def stop(self) -> None:
        self._stop.set()
        for t in self._workers:
            t.join(timeout=self.api.timeout + 10)
        assert not any(t.is_alive() for t in self._workers), "load threads did not finish"

    def _next_seq(self) -> int:
        with self._lock:
            self._seq += 1
            return self._seq

    def _record(self, op: str, tenant: Tenant, started: float, reply: Reply) -> Reply:
        outcome = Outcome(op, tenant.subdomain, started, time.monotonic() - started, reply.status, reply.error,
                          reply.headers.get("retry-after"))
        with self._lock:
            self.outcomes.append(outcome)
        return reply

    def _call(self, op: str, tenant: Tenant, method: str, path: str, body=None, extra: dict | None = None) -> Reply:
        started = time.monotonic()
        reply = self.api.request(method, path, headers={**tenant.headers(), **(extra or {})}, json_body=body)
        return self._record(op, tenant, started, reply)

    def _loop(self, n: int) -> None:
        rng = random.Random(f"{self.run_id}-{n}")
        mine: dict[str, list[str]] = {t.subdomain: [] for t in self.tenants}  # customers this thread created
        while not self._stop.is_set():
            tenant = rng.choice(self.tenants)
            own = mine[tenant.subdomain]
            op = rng.choice(self.OPS)
            if op in ("detail", "patch", "pet") and not own:
                op = "create"
            if op == "list":
                self._call(op, tenant, "GET", "/api/v1/customers?page_size=20")
            elif op == "detail":
                self._call(op, tenant, "GET", f"/api/v1/customers/{rng.choice(own)}")
            elif op == "create":
                customer_id = self.create_customer(tenant)
                if customer_id:
                    own.append(customer_id)
            elif op == "patch":
                self.patch_customer(tenant, rng.choice(own))
            else:
                self.add_pet(tenant, rng.choice(own))
            time.sleep(self.pause)

    def create_customer(self, tenant: Tenant) -> str | None:
        seq = self._next_seq()
        email = f"load-{self.run_id}-{seq}@{tenant.subdomain}.example"
        tags = [f"k{seq}", "load"]
        reply = self._call("create", tenant, "POST", "/api/v1/customers",
                           {"first_name": "Load", "last_name": f"Client {seq}", "email": email, "tags": tags})
        customer_id = reply.body.get("id") if reply.status == 201 and isinstance(reply.body, dict) else None
        with self._lock:
            self.ledger.customers.append({"tenant": tenant.subdomain, "email": email, "tags": tags,
                                          "status": reply.status, "id": customer_id})
        return customer_id

    def patch_customer(self, tenant: Tenant, customer_id: str) -> None:
        current = self._call("patch", tenant, "GET", f"/api/v1/customers/{customer_id}")
        etag = current.headers.get("etag")
        if current.status != 200 or not etag:
            return
        seq = self._next_seq()
        reply = self._call("patch", tenant, "PATCH", f"/api/v1/customers/{customer_id}",
                           {"notes": f"seq {seq}", "tags": [f"s{seq}"]}, {"If-Match": etag})
        with self._lock:
            self.ledger.patches.append({"tenant": tenant.subdomain, "customer_id": customer_id, "seq": seq,
                                        "status": reply.status})

    def add_pet(self, tenant: Tenant, customer_id: str) -> None:
        name = f"Pet {self._next_seq()}"
        reply = self._call("pet", tenant, "POST", f"/api/v1/customers/{customer_id}/pets",
                           {"name": name, "species": "DOG"})
        with self._lock:
            self.ledger.pets.append({"tenant": tenant.subdomain, "customer_id": customer_id, "name": name,
                                     "status": reply.status})

    def between(self, start: float, end: float) -> list[Outcome]:
        """Requests in flight at any moment of [start, end]."""
        return [o for o in self.outcomes if o.started <= end and o.ended >= start]

    def after(self, moment: float) -> list[Outcome]:
        return [o for o in self.outcomes if o.started >= moment]

    def before(self, moment: float) -> list[Outcome]:
        return [o for o in self.outcomes if o.ended < moment]


def is_5xx(o: Outcome) -> bool:
    return o.status is not None and o.status >= 500


def is_2xx(o: Outcome) -> bool:
    """Served: the load only sends valid requests, so anything else is a failure."""
    return o.status is not None and 200 <= o.status < 300


def summary(label: str, outcomes: list[Outcome]) -> str:
    """One report line: counts by status and latency percentiles."""
    statuses = Counter(str(o.status) if o.status else o.error for o in outcomes)
    times = sorted(o.elapsed for o in outcomes) or [0.0]
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    counts = " ".join(f"{k}={v}" for k, v in sorted(statuses.items()))
    return (f"{label}: n={len(outcomes)} [{counts}] p50={statistics.median(times) * 1000:.0f}ms "
            f"p95={p95 * 1000:.0f}ms max={times[-1] * 1000:.0f}ms")


def failures(label: str, outcomes: list[Outcome]) -> str:
    """An assertion message: the counts, then the first few failed requests."""
    first = ", ".join(f"{o.op} {o.tenant} -> {o.status or o.error} after {o.elapsed:.1f}s" for o in outcomes[:5])
    return f"{summary(label, outcomes)}; first: {first}"


def check_writes(pg: OwnPostgres, tenants: list[Tenant], ledger: Ledger) -> list[str]:
    """Compare the ledger with the database: acknowledged writes complete, failed ones all-or-nothing,
    every row in the tenant whose key wrote it. Returns the problems found."""
    problems: list[str] = []
    tenant_ids = {t.subdomain: t.id for t in tenants}
    for c in ledger.customers:
        rows = pg.sql("SELECT id::text, tenant_id::text FROM customers WHERE email = %s", (c["email"],))
        acknowledged = c["status"] is not None and 200 <= c["status"] < 300
        if not rows:
            if acknowledged:
                problems.append(f"customer {c['email']} got {c['status']} but is missing")
            continue
        (customer_id, tenant_id), = rows
        if tenant_id != tenant_ids[c["tenant"]]:
            problems.append(f"customer {c['email']} written by {c['tenant']} landed in tenant {tenant_id}")
        tags = {r[0] for r in pg.sql("SELECT tag FROM customer_tags WHERE customer_id = %s", (customer_id,))}
        created = pg.sql("SELECT count(*) FROM audit_events WHERE action = 'customer.created' AND resource_id = %s "
                         "AND tenant_id = %s", (customer_id, tenant_id))[0][0]
        patched = len(tags) == 1 and next(iter(tags)).startswith("s")  # a later PATCH replaced the tags
        if created != 1 or not (tags == set(c["tags"]) or patched):
            problems.append(f"customer {c['email']} ({c['status']}) is half-present: tags {sorted(tags)}, "
                            f"{created} creation audit events")
    for customer_id in {p["customer_id"] for p in ledger.patches}:
        patches = [p for p in ledger.patches if p["customer_id"] == customer_id]
        acked = [p["seq"] for p in patches if p["status"] == 200]
        rows = pg.sql("SELECT notes, tenant_id::text FROM customers WHERE id = %s", (customer_id,))
        notes, tenant_id = rows[0]
        if tenant_id != tenant_ids[patches[0]["tenant"]]:
            problems.append(f"customer {customer_id} moved to tenant {tenant_id}")
        tags = sorted(r[0] for r in pg.sql("SELECT tag FROM customer_tags WHERE customer_id = %s", (customer_id,)))
        if not notes or not notes.startswith("seq "):
            if acked:
                problems.append(f"customer {customer_id}: PATCH seq {max(acked)} got 200 but notes are {notes!r}")
            continue
        seq = int(notes.split()[1])
        if tags != [f"s{seq}"]:
            problems.append(f"customer {customer_id}: notes from seq {seq} but tags {tags} (half-applied PATCH)")
        if acked and seq < max(acked):
            problems.append(f"customer {customer_id}: PATCH seq {max(acked)} got 200 but the row holds seq {seq}")
        audited = pg.sql("SELECT count(*) FROM audit_events WHERE resource_id = %s AND changes->'notes'->>'new' = %s",
                         (customer_id, notes))[0][0]
        if audited != 1:
            problems.append(f"customer {customer_id}: PATCH seq {seq} applied with {audited} audit events")
    for p in ledger.pets:
        rows = pg.sql("SELECT tenant_id::text FROM pets WHERE customer_id = %s AND name = %s",
                      (p["customer_id"], p["name"]))
        if p["status"] == 201 and len(rows) != 1:
            problems.append(f"pet {p['name']} got 201 but {len(rows)} rows exist")
        if rows and rows[0][0] != tenant_ids[p["tenant"]]:
            problems.append(f"pet {p['name']} landed in tenant {rows[0][0]}")
    return problems


def check_isolation(api: Api, tenants: list[Tenant], ledger: Ledger) -> list[str]:
    """Each tenant's customers are 404 with the other tenant's key."""
    problems = []
    a, b = tenants
    for owner, other in ((a, b), (b, a)):
        ids = [c["id"] for c in ledger.customers if c["tenant"] == owner.subdomain and c["id"]][:5]
        for customer_id in ids:
            reply = api.get(f"/api/v1/customers/{customer_id}", headers=other.headers())
            if reply.status != 404:
                problems.append(f"{other.subdomain} read {owner.subdomain}'s customer {customer_id}: {reply.status}")
    return problems
