"""Tailtown load benchmarks: `python bench/run.py` from the repo root (or `make bench`).

Builds a throwaway PostgreSQL database and uses Redis db 14, creates two ENTERPRISE tenants (an
API key each, a staff user on bench-a) through the real CLI, probes single requests in-process
(SQL, PostgreSQL and Redis round trips), then drives gunicorn with wrk: first with the stock
limits, then with the limits raised. Prints a table and writes it to bench/results/latest.txt.
Stops gunicorn and drops the database at the end, even on failure. See bench/README.md.
"""
import argparse
import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = Path(os.environ.get("BENCH_RESULTS_DIR", BENCH / "results"))
LUA = BENCH / "lua" / "report.lua"

PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgresql://postgres@127.0.0.1:5432/")
DB_NAME = "tailtown_bench"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
TENANTS = ("bench-a", "bench-b")
PLAN = "enterprise"
PLAN_LIMIT = 5_000  # ENTERPRISE API requests per 15 minutes (app/limits.py PLAN_LIMITS)
HIGH_WEB_LIMIT = "1000000000 per 15 minutes"
HIGH_WEB_ENV = {"WEB_RATE_LIMIT": HIGH_WEB_LIMIT, "ANONYMOUS_WEB_RATE_LIMIT": HIGH_WEB_LIMIT}
STAFF_EMAIL, STAFF_PASSWORD = "admin@bench-a.example", "bench-password-not-for-prod"

ENV = {
    "TAILTOWN_ENV": "production",
    "SECRET_KEY": "bench-secret-not-for-production-use-0123456789",  # production needs 32+ characters
    "DATABASE_URL": PG_SERVER.rstrip("/") + "/" + DB_NAME,
    "REDIS_URL": REDIS_URL,
    "LOG_LEVEL": "WARNING",  # the per-request access line is INFO: keep logging out of the figures
    "PYTHONUNBUFFERED": "1",
}
CLK_TCK = os.sysconf("SC_CLK_TCK")
BUSY_WARNING = 0.15  # CPU share used by other work before the start that makes the report warn


class BenchError(RuntimeError):
    """A step failed; the message says which and why."""


def shown(path: Path) -> str:
    """A path relative to the repo when it is inside it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- environment ---------------------------------------------------------------------------------


def check_tools() -> None:
    """wrk on PATH, and the Python packages of the project's virtualenv."""
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed. Install it with `apt-get install -y wrk` (Debian/Ubuntu) "
                 "or `brew install wrk` (macOS), then run `python bench/run.py` again.")
    try:
        import gunicorn  # noqa: F401
        import psycopg2  # noqa: F401
        import redis  # noqa: F401
    except ImportError as exc:
        sys.exit(f"{exc.name} is missing: activate the project's virtualenv (pip install -r requirements.txt).")


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat (zeros when unknown)."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0, 0.0
    total = sum(values[:8])  # user nice system idle iowait irq softirq steal (guest is inside user)
    return (total - values[3] - values[4]) / CLK_TCK, total / CLK_TCK


def cpu_busy(seconds: float = 1.0) -> float:
    """Fraction of all CPUs busy over the next `seconds`."""
    busy0, total0 = machine_cpu()
    time.sleep(seconds)
    busy1, total1 = machine_cpu()
    return (busy1 - busy0) / max(1e-9, total1 - total0)


def children_cpu() -> float:
    """CPU seconds of this process's reaped children (wrk runs)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def admin_connection():
    import psycopg2

    conn = psycopg2.connect(PG_SERVER.rstrip("/") + "/postgres", connect_timeout=3)
    conn.autocommit = True
    return conn


def recreate_database() -> None:
    try:
        conn = admin_connection()
    except Exception as exc:  # noqa: BLE001
        raise BenchError(f"PostgreSQL is not reachable at {PG_SERVER}: {exc}") from None
    try:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
            cur.execute(f'CREATE DATABASE "{DB_NAME}"')
    finally:
        conn.close()


def drop_database() -> None:
    try:
        conn = admin_connection()
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.close()
        log(f"dropped database {DB_NAME}")
    except Exception as exc:  # noqa: BLE001
        log(f"could not drop database {DB_NAME}: {exc}")


def redis_client():
    import redis

    return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)


def flush_redis() -> None:
    try:
        redis_client().flushdb()
    except Exception as exc:  # noqa: BLE001
        raise BenchError(f"Redis is not reachable at {REDIS_URL}: {exc}") from None


def reset_rate_limits() -> None:
    """Forget every rate-limit counter (keys `LIMITS:LIMITER/...`); keep the tenant cache."""
    client = redis_client()
    keys = list(client.scan_iter("*LIMITER/*"))
    if keys:
        client.delete(*keys)


def spend_api_bucket(tenant_id: str) -> str:
    """Fill a tenant's API bucket to the plan limit, so the next scenario sees a spent tenant.

    Writes the limiter's own Redis counter (kept TTL); found by tenant id and the `api` scope.
    """
    client = redis_client()
    keys = [k.decode() for k in client.scan_iter(f"*LIMITER/tenant:{tenant_id}/api/*")]
    for key in keys:
        used = int(client.get(key) or 0)
        if used < PLAN_LIMIT:
            client.set(key, PLAN_LIMIT, keepttl=True)
    return ", ".join(keys) or "no counter found"


def flask(*args: str) -> str:
    """Run one `flask --app wsgi ...` command with the bench environment; return its stdout."""
    cmd = [sys.executable, "-m", "flask", "--app", "wsgi", *args]
    done = subprocess.run(cmd, cwd=ROOT, env=os.environ | ENV, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise BenchError(f"`flask {' '.join(args[:3])}` failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return done.stdout


def setup_data() -> tuple[dict[str, str], dict[str, str]]:
    """Schema from the migrations, two tenants, one ADMIN key each, one staff user on bench-a.

    Returns (subdomain -> API key secret, subdomain -> tenant id).
    """
    log(f"database {DB_NAME}: drop/create; Redis {REDIS_URL}: flush")
    recreate_database()
    flush_redis()
    log("flask db upgrade")
    flask("db", "upgrade")
    keys, ids = {}, {}
    for subdomain in TENANTS:
        out = flask("tenants", "create", subdomain, "--name", subdomain.replace("-", " ").title(), "--plan", PLAN)
        ids[subdomain] = out.split()[-1]
        out = flask("api-keys", "create", "--tenant", subdomain, "--name", "bench", "--role", "ADMIN")
        keys[subdomain] = [line for line in out.splitlines() if line.strip()][-1].strip()
        if not keys[subdomain].startswith("tt_"):
            raise BenchError(f"unexpected api-keys output: {out!r}")
    flask("users", "create", "--tenant", TENANTS[0], "--email", STAFF_EMAIL, "--role", "ADMIN",
          "--password", STAFF_PASSWORD)
    log(f"tenants {', '.join(TENANTS)} ({PLAN.upper()}), one ADMIN API key each; staff user {STAFF_EMAIL}")
    return keys, ids


# --- gunicorn ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_request(port: int, method: str, path: str, headers: dict | None = None, body: str | None = None):
    """One request on a fresh connection: (status, headers as a message object, body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.msg, response.read()
    finally:
        conn.close()


def proc_stat(pid: int) -> tuple[int, int, int]:
    """(ppid, own cpu ticks, reaped children's cpu ticks) from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])


class Server:
    """gunicorn with the repo's gunicorn.conf.py, on a free local port.

    `--no-control-socket`: gunicorn >= 25.1 otherwise claims ~/.gunicorn/gunicorn.ctl, shared with
    any other gunicorn of this user (e.g. a dev server running next to the bench).
    """

    def __init__(self, label: str, target: str, workers: int, extra_env: dict | None = None,
                 extra_args: tuple[str, ...] = ()) -> None:
        self.label, self.target, self.extra_args = label, target, extra_args
        self.port = free_port()
        self.log_path = RESULTS / f"gunicorn-{label}.log"
        self.env = os.environ | ENV | {"WEB_CONCURRENCY": str(workers), "BIND": f"127.0.0.1:{self.port}"} | (extra_env or {})
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Server":
        log(f"gunicorn [{self.label}] {' '.join(self.extra_args)} {self.target} on 127.0.0.1:{self.port}")
        self._log = open(self.log_path, "w")  # noqa: SIM115  (kept open for the server's lifetime; closed in stop())
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--no-control-socket", *self.extra_args, self.target],
            cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"gunicorn exited ({self.proc.returncode}):\n{self.log_tail()}")
            try:
                if http_request(self.port, "GET", "/readyz")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        else:
            raise BenchError(f"gunicorn not ready after 30 s:\n{self.log_tail()}")
        for _ in range(10):  # let every worker open its database connection before timing anything
            http_request(self.port, "GET", "/readyz")
        self.start_cpu = self.cpu_seconds()  # master start + the first workers' boots (app import, create_app)
        return self

    def cpu_seconds(self) -> float:
        """CPU used so far by the master and every worker, live or already reaped."""
        _, own, reaped = proc_stat(self.proc.pid)
        live = 0
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    ppid, ticks, _ = proc_stat(int(entry.name))
                except (OSError, ValueError, IndexError):
                    continue
                if ppid == self.proc.pid:
                    live += ticks
        return (own + reaped + live) / CLK_TCK

    def log_text(self) -> str:
        try:
            return self.log_path.read_text()
        except OSError:
            return ""

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def worker_boots(self) -> int:
        return self.log_text().count("Booting worker")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()  # graceful: the master stops its workers
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)  # the group this run started (start_new_session)
            self.proc.wait(timeout=5)
        self._log.close()
        log(f"gunicorn [{self.label}] stopped")


def sign_in(server: Server, host: str) -> str:
    """Sign in through the real form (CSRF included); returns the session cookie for wrk."""
    status, headers, body = http_request(server.port, "GET", "/login", {"Host": host})
    match = re.search(r'name="csrf_token" value="([^"]+)"', body.decode())
    if status != 200 or not match:
        raise BenchError(f"GET /login on {host}: {status}, no CSRF token")
    cookie = "; ".join(c.split(";", 1)[0] for c in headers.get_all("Set-Cookie") or [])
    form = urlencode({"email": STAFF_EMAIL, "password": STAFF_PASSWORD, "csrf_token": match.group(1)})
    status, headers, body = http_request(server.port, "POST", "/login", {
        "Host": host, "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}, form)
    session = "; ".join(c.split(";", 1)[0] for c in headers.get_all("Set-Cookie") or [])
    if status != 302 or not session:
        raise BenchError(f"POST /login on {host}: {status} {body[:200]!r}")
    status, _, body = http_request(server.port, "GET", "/", {"Host": host, "Cookie": session})
    if status != 200 or b"Signed in as" not in body:
        raise BenchError(f"GET / signed in on {host}: {status}")
    return session


# --- wrk -----------------------------------------------------------------------------------------


def start_wrk(url: str, headers: dict, *, threads: int, connections: int, duration: int) -> subprocess.Popen:
    env = os.environ | {"BENCH_HEADERS": "\n".join(f"{k}: {v}" for k, v in headers.items())}
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "5s", "-s", str(LUA), url]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish_wrk(proc: subprocess.Popen, label: str) -> dict:
    out, _ = proc.communicate(timeout=120)
    (RESULTS / f"wrk-{label}.txt").write_text(out)
    line = next((ln for ln in out.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if proc.returncode != 0 or line is None:
        raise BenchError(f"wrk [{label}] failed ({proc.returncode}):\n{out[-2000:]}")
    data = json.loads(line[len("BENCH_JSON "):])
    seconds = data["duration_us"] / 1e6
    statuses = {int(k): v for k, v in data["statuses"].items()}
    return {
        "requests": data["requests"],
        "rps": data["requests"] / seconds,
        "ok_rps": sum(v for k, v in statuses.items() if 200 <= k < 400) / seconds,
        "p50": data["p50_us"] / 1000, "p90": data["p90_us"] / 1000, "p99": data["p99_us"] / 1000,
        "max": data["max_us"] / 1000,
        "statuses": dict(sorted(statuses.items())),
        "socket_errors": {k: v for k, v in data["errors"].items() if v and k != "status"},
    }


def scenario(results: list, key: str, title: str, server: Server, runs: list[tuple[str, str, dict]], opts) -> None:
    """Run one wrk per (label, path, headers), in parallel; threads and connections are split between them."""
    log(f"scenario {key}: {title}")
    n = len(runs)
    boots_before, cpu_before = server.worker_boots(), server.cpu_seconds()
    machine_before, wrk_before = machine_cpu(), children_cpu()
    procs = [
        (label, start_wrk(f"http://127.0.0.1:{server.port}{path}", headers, threads=max(1, opts.threads // n),
                          connections=max(1, opts.connections // n), duration=opts.duration))
        for label, path, headers in runs
    ]
    rows = [finish_wrk(proc, f"{key}-{label}") | {"label": label} for label, proc in procs]
    if server.proc.poll() is not None:
        raise BenchError(f"gunicorn [{server.label}] died during scenario {key} (exit {server.proc.returncode}); "
                         f"a recycled worker re-imports the app from disk. Log tail:\n{server.log_tail(8)}")
    cpu = server.cpu_seconds() - cpu_before
    machine_after, wrk_cpu = machine_cpu(), children_cpu() - wrk_before
    capacity = machine_after[1] - machine_before[1]
    others = max(0.0, (machine_after[0] - machine_before[0]) - cpu - wrk_cpu) / capacity if capacity else 0.0
    total = sum(r["requests"] for r in rows)
    for row in rows:
        row.update(key=key, title=title, server=server.label, worker_reboots=server.worker_boots() - boots_before,
                   cpu_ms=cpu * 1000 / total if total else 0.0, others=others,
                   gunicorn_share=cpu / capacity if capacity else 0.0, wrk_share=wrk_cpu / capacity if capacity else 0.0)
        results.append(row)
        log(f"  {row['label']}: {row['rps']:.0f} req/s, p50 {row['p50']:.1f} ms, p99 {row['p99']:.1f} ms, "
            f"statuses {row['statuses']}" + (f", socket errors {row['socket_errors']}" if row["socket_errors"] else ""))
    log(f"  gunicorn CPU {cpu:.1f} s = {cpu * 1000 / max(total, 1):.2f} ms per request; machine CPU: gunicorn "
        f"{rows[0]['gunicorn_share']:.0%}, wrk {rows[0]['wrk_share']:.0%}, the rest {others:.0%}; "
        f"{rows[0]['worker_reboots']} worker restarts" + (f"; combined {sum(r['rps'] for r in rows):.0f} req/s" if n > 1 else ""))


def api_headers(subdomain: str, keys: dict) -> dict:
    return {"X-Tenant": subdomain, "Authorization": f"Bearer {keys[subdomain]}"}


# --- in-process probe ----------------------------------------------------------------------------


def run_probe(keys: dict) -> dict:
    """Two in-process passes (bench/probe.py): counts through the relay, then timings direct."""
    log("in-process probe (Flask test client): SQL, PostgreSQL and Redis round trips per request, then timings")
    env = os.environ | ENV | {"BENCH_TENANT": TENANTS[0], "BENCH_KEY": keys[TENANTS[0]],
                              "BENCH_EMAIL": STAFF_EMAIL, "BENCH_PASSWORD": STAFF_PASSWORD}
    passes = {}
    for mode in ("count", "time"):
        reset_rate_limits()  # each pass fills the API bucket for its 429 probe
        done = subprocess.run([sys.executable, str(BENCH / "probe.py")], cwd=ROOT, env=env | {"BENCH_PROBE_MODE": mode},
                              capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise BenchError(f"probe ({mode}) failed ({done.returncode}):\n{done.stderr[-3000:]}")
        passes[mode] = json.loads(done.stdout.strip().splitlines()[-1])
    probe = passes["count"]
    for label, p in probe.items():
        p["ms_median"] = passes["time"][label]["ms_median"]
        log(f"  {label}: status {p['statuses']}; warm: {p['sql_per_request']:g} SQL, {p['wire_per_request']:g} PG "
            f"round trips, {p['redis_trips_per_request']:g} Redis round trips, {p['ms_median']:.2f} ms; "
            f"first request: {p['cold']['sql']} SQL, {p['cold']['wire']} PG, {p['cold']['redis_trips']} Redis")
    return probe


# --- report --------------------------------------------------------------------------------------


def git_revision() -> str:
    if os.environ.get("BENCH_REV_LABEL"):
        return os.environ["BENCH_REV_LABEL"]
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "app", "templates", "config.py", "wsgi.py",
                                "gunicorn.conf.py"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        return rev + (" + uncommitted app changes" if dirty else "")
    except OSError:
        return "unknown"


def fmt_statuses(statuses: dict) -> str:
    return " ".join(f"{code}:{n}" for code, n in statuses.items()) or "-"


def report(results: list, probe: dict | None, opts, notes: list[str], busy: float) -> str:
    lines = [
        f"Tailtown bench {datetime.now(UTC):%Y-%m-%d %H:%M:%SZ}, rev {git_revision()}",
        f"{os.cpu_count()} CPUs (wrk and gunicorn share them), {busy:.0%} busy with other work at the start; "
        f"gunicorn {opts.workers} sync workers; wrk {opts.threads} threads, {opts.connections} connections, "
        f"{opts.duration} s per scenario (split between parallel wrk runs)",
    ]
    if busy > BUSY_WARNING:
        lines.append("WARNING: the machine was busy before the bench started: req/s and latencies are low and "
                     "noisy; 'cpu ms/req' (gunicorn's own CPU per request) is the comparable figure.")
    noisy = [r for r in results if r["label"] == "healthz" and r["others"] > BUSY_WARNING]
    if noisy:
        lines.append(f"WARNING: other work ran during the bench: /healthz uses neither PostgreSQL nor Redis, yet "
                     f"{max(r['others'] for r in noisy):.0%} of the machine's CPU went elsewhere during it. Compare "
                     f"cpu ms/req rather than req/s or latency, or run again on a quiet machine.")
    lines.append("")
    if probe:
        lines.append("In-process, warm request (Flask test client, no HTTP server; median ms of 100, one at a time):")
        lines.append(f"  {'request':<22} {'status':>6} {'SQL':>4} {'PG trips':>8} {'Redis trips':>11} {'median ms':>9}")
        for label, p in probe.items():
            lines.append(f"  {label:<22} {','.join(map(str, p['statuses'])):>6} {p['sql_per_request']:>4g} "
                         f"{p['wire_per_request']:>8g} {p['redis_trips_per_request']:>11g} {p['ms_median']:>9.2f}")
        me = probe.get("GET /api/v1/me")
        if me:
            lines.append(f"  /api/v1/me SQL: {' | '.join(me['sql'])}")
            lines.append(f"  /api/v1/me on the wire: {' | '.join(me['wire_queries'])}")
            lines.append(f"  /api/v1/me Redis commands: {' '.join(me['redis_commands'])}")
        lines.append("")
    header = (f"{'scn':<4} {'run':<10} {'server':<7} {'req/s':>7} {'2xx3xx/s':>8} {'p50 ms':>7} {'p90 ms':>7} "
              f"{'p99 ms':>7} {'max ms':>7} {'cpu ms/req':>10} {'rest%':>5}  statuses (errors) [worker restarts]")
    lines += [header, "-" * len(header)]
    for r in results:
        errs = f" ({r['socket_errors']})" if r["socket_errors"] else ""
        reboot = f" [{r['worker_reboots']}]" if r["worker_reboots"] else ""
        lines.append(f"{r['key']:<4} {r['label']:<10} {r['server']:<7} {r['rps']:>7.0f} {r['ok_rps']:>8.0f} "
                     f"{r['p50']:>7.1f} {r['p90']:>7.1f} {r['p99']:>7.1f} {r['max']:>7.1f} {r['cpu_ms']:>10.2f} {r['others']:>5.0%}  "
                     f"{fmt_statuses(r['statuses'])}{errs}{reboot}")
    lines.append("cpu ms/req: gunicorn's own CPU (master + workers, boots included) per response. rest%: share of "
                 "the machine's CPU used by neither gunicorn nor wrk (PostgreSQL, Redis, kernel, anything else).")
    lines.append("")
    for key, title in dict((r["key"], r["title"]) for r in results).items():
        lines.append(f"  {key:<3} {title}")
    if notes:
        lines += ["", *notes]
    return "\n".join(lines) + "\n"


# --- main ----------------------------------------------------------------------------------------


def run_scenarios(opts, results: list, notes: list, servers: list) -> dict:
    """Set up, probe, then every wrk scenario; returns the probe's figures."""
    keys, ids = setup_data()
    probe = run_probe(keys)
    reset_rate_limits()  # the probe's requests do not count against the scenarios below
    a, b = TENANTS

    # Stock limits: ENTERPRISE = 5,000 API requests / 15 min per tenant, web 20,000 / 15 min.
    server = Server("stock", "wsgi:app", opts.workers)
    servers.append(server)
    server.start()
    scenario(results, "a", "GET /healthz: no I/O; the Flask + gunicorn floor", server,
             [("healthz", "/healthz", {})], opts)
    scenario(results, "b", f"GET /api/v1/me as {a}, stock limits (5,000 / 15 min)", server,
             [(a, "/api/v1/me", api_headers(a, keys))], opts)
    status, headers, body = http_request(server.port, "GET", "/api/v1/me", api_headers(a, keys))
    after_b = (f"one more {a} request after (b): {status}, X-RateLimit-Remaining={headers.get('X-RateLimit-Remaining')}, "
               f"Retry-After={headers.get('Retry-After')}, body {body.decode()[:160]}")
    log(f"  {after_b}")
    spent = spend_api_bucket(ids[a])
    log(f"  {a}'s API bucket filled to {PLAN_LIMIT} ({spent}) so (c) shows a spent tenant beside a fresh one")
    scenario(results, "c", f"GET /api/v1/me, {a} (bucket spent) and {b} (fresh) in parallel, stock limits", server,
             [(t, "/api/v1/me", api_headers(t, keys)) for t in TENANTS], opts)
    server.stop()
    notes.append(f"Limiter, stock limits ({PLAN.upper()} = {PLAN_LIMIT} API requests per 15 min, one bucket per tenant):")
    for r in results:
        if r["key"] in ("b", "c"):
            st = r["statuses"]
            other = {k: v for k, v in st.items() if k not in (200, 429)}
            notes.append(f"  ({r['key']}) {r['label']}: {st.get(200, 0)} x 200, {st.get(429, 0)} x 429"
                         + (f", other {other}" if other else ""))
    notes.append(f"  {after_b}")

    # Raised limits: the API plan limits have no setting, so bench/raised_limits.py raises them.
    reset_rate_limits()
    server = Server("raised", "bench.raised_limits:app", opts.workers, HIGH_WEB_ENV)
    servers.append(server)
    server.start()
    scenario(results, "b'", f"GET /api/v1/me as {a}, API limits raised", server,
             [(a, "/api/v1/me", api_headers(a, keys))], opts)
    scenario(results, "c'", f"GET /api/v1/me, {a} and {b} in parallel, API limits raised", server,
             [(t, "/api/v1/me", api_headers(t, keys)) for t in TENANTS], opts)
    scenario(results, "d", f"GET /login on {a}.localhost (page render), WEB_RATE_LIMIT={HIGH_WEB_LIMIT}", server,
             [("login", "/login", {"Host": f"{a}.localhost"})], opts)
    session = sign_in(server, f"{a}.localhost")
    scenario(results, "e", f"GET / signed in on {a}.localhost (dashboard), WEB_RATE_LIMIT={HIGH_WEB_LIMIT}", server,
             [("dashboard", "/", {"Host": f"{a}.localhost", "Cookie": session})], opts)
    server.stop()

    # Control: the same raised-limits server without worker recycling (command line beats the config file).
    server = Server("norecyc", "bench.raised_limits:app", opts.workers, HIGH_WEB_ENV,
                    ("--max-requests", "0"))
    servers.append(server)
    server.start()
    scenario(results, "a0", "as a, gunicorn --max-requests 0 (no worker recycling)", server,
             [("healthz", "/healthz", {})], opts)
    scenario(results, "b0", "as b', gunicorn --max-requests 0 (no worker recycling)", server,
             [(a, "/api/v1/me", api_headers(a, keys))], opts)
    server.stop()
    for s in servers:
        text = s.log_text()
        notes.append(f"gunicorn [{s.label}]: {text.count('Booting worker')} worker boots ({opts.workers} at start, the "
                     f"rest max_requests recycling), {text.count('WORKER TIMEOUT')} worker timeouts, "
                     f"{text.count('Traceback')} tracebacks in {shown(s.log_path)}; start-up CPU "
                     f"{s.start_cpu:.2f} s for {opts.workers} workers (a worker boot is roughly "
                     f"{s.start_cpu / opts.workers:.2f} CPU s, counted in 'cpu ms/req' when it happens mid-scenario)")
        boots = re.findall(r"^\[[\d-]+ ([\d:]+) [^]]*\] \[\d+\] \[INFO\] Booting worker", text, re.M)[opts.workers:]
        if boots:
            per_second = {t: boots.count(t) for t in dict.fromkeys(boots)}
            notes.append("  restarts at (count per second): " + ", ".join(f"{t} x{n}" for t, n in per_second.items()))
    return probe


def run_revision(rev: str, args: list[str]) -> int:
    """Export rev with `git archive` (read-only for the repo), add this bench/, and run there."""
    import tempfile

    commit = subprocess.run(["git", "rev-parse", "--short", rev], cwd=ROOT, capture_output=True, text=True)
    if commit.returncode != 0:
        sys.exit(f"unknown revision {rev!r}: {commit.stderr.strip()}")
    with tempfile.TemporaryDirectory(prefix="tailtown-bench-") as tmp:
        archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        shutil.rmtree(Path(tmp) / "bench", ignore_errors=True)
        shutil.copytree(BENCH, Path(tmp) / "bench", ignore=shutil.ignore_patterns("results", "__pycache__"))
        log(f"benching {rev} ({commit.stdout.strip()}) from {tmp}")
        env = os.environ | {"BENCH_RESULTS_DIR": str(RESULTS), "BENCH_REV_LABEL": f"{commit.stdout.strip()} ({rev})"}
        child = subprocess.Popen([sys.executable, str(Path(tmp) / "bench" / "run.py"), *args], cwd=tmp, env=env)
        signal.signal(signal.SIGTERM, lambda *_: child.terminate())  # the child cleans up, then we remove tmp
        while True:
            try:
                return child.wait()
            except KeyboardInterrupt:
                continue  # the child got the same Ctrl-C and is cleaning up


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario (default 10)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers, WEB_CONCURRENCY (default 2)")
    parser.add_argument("--rev", help="bench a committed revision (git archive to a temp dir) instead of the working "
                                      "tree, e.g. HEAD while the tree is mid-edit")
    opts = parser.parse_args()
    check_tools()
    if opts.rev:
        return run_revision(opts.rev, [a for a in sys.argv[1:] if a != "--rev" and a != opts.rev
                                       and not a.startswith("--rev=")])
    RESULTS.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the cleanup below on `kill`
    busy = cpu_busy()
    if busy > BUSY_WARNING:
        log(f"warning: the CPUs are {busy:.0%} busy before the bench starts; other work will skew the figures")

    results: list[dict] = []
    notes: list[str] = []
    servers: list[Server] = []
    probe = None
    failed = False
    try:
        probe = run_scenarios(opts, results, notes, servers)
    except BenchError as exc:
        failed = True
        log(f"FAILED: {exc}")
    except KeyboardInterrupt:
        failed = True
        log("interrupted")
    except Exception:  # noqa: BLE001  (report what we have, then clean up)
        failed = True
        import traceback

        log(f"FAILED with an unexpected error:\n{traceback.format_exc()}")
    finally:
        for server in servers:
            server.stop()
        drop_database()
        with contextlib.suppress(BenchError):
            flush_redis()

    text = report(results, probe, opts, notes, busy)
    if failed:
        text += "\nINCOMPLETE: the run failed; see the log above.\n"
    print("\n" + text, end="")
    (RESULTS / "latest.txt").write_text(text)
    log(f"written to {shown(RESULTS / 'latest.txt')}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
