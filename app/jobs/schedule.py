"""The periodic jobs, in one table, and the ticker that enqueues each exactly once per period.

Every worker started with its scheduler runs a ticker; with many workers on many hosts, a Redis
`SET NX` per job and period lets one of them enqueue it. A periodic job runs with no tenant: one
that works per tenant (the outbox sweep) reads ids under `unscoped()` and enqueues a job per tenant.
"""
import threading
import time
from dataclasses import dataclass

from flask import Flask
from loguru import logger
from redis.exceptions import RedisError

from app import jobs


@dataclass(frozen=True)
class Periodic:
    """Run job `job` every `every` seconds (an int, or the name of the config setting that holds it)."""

    name: str
    job: str
    every: int | str

    def seconds(self, config) -> int:
        return max(1, int(config[self.every] if isinstance(self.every, str) else self.every))


SCHEDULE: tuple[Periodic, ...] = (
    # Undelivered outbox rows that are due: lost enqueues, Redis outages at commit, crashed workers, retries.
    Periodic("outbox-sweep", "outbox.sweep", "OUTBOX_SWEEP_SECONDS"),
    # Arrival (day before) and vaccine-expiry reminders: a job per tenant, in its timezone, once per record.
    Periodic("reminders", "notices.reminders", "REMINDER_SECONDS"),
)
TICK_SECONDS = 1.0


def due_now(app: Flask, connection, now: float | None = None) -> list[Periodic]:
    """The periodic jobs whose period has started and that no other ticker has claimed yet."""
    now = time.time() if now is None else now
    claimed = []
    for entry in SCHEDULE:
        every = entry.seconds(app.config)
        period = int(now // every)
        key = f"tailtown:periodic:{app.config['JOBS_QUEUE']}:{entry.name}:{period}"
        if connection.set(key, "1", nx=True, ex=every * 2):
            claimed.append(entry)
    return claimed


def tick(app: Flask, connection) -> None:
    """Enqueue every periodic job that is due (Redis mode)."""
    with app.app_context():
        for entry in due_now(app, connection):
            jobs.enqueue(entry.job, tenant_id=None, job_id=None)


def start_ticker(app: Flask, connection, stop: threading.Event) -> threading.Thread:
    """A daemon thread that ticks until `stop` is set; Redis errors are logged and the next tick tries again."""
    def loop() -> None:
        while not stop.is_set():
            try:
                tick(app, connection)
            except (RedisError, OSError) as exc:
                logger.warning("periodic ticker: Redis unreachable ({})", type(exc).__name__)
            stop.wait(TICK_SECONDS)

    thread = threading.Thread(target=loop, name="tailtown-periodic", daemon=True)
    thread.start()
    return thread


def run_embedded(app: Flask, *, once: bool = False) -> None:
    """No Redis: run each periodic job inline when its period comes round (its follow-up jobs run inline too)."""
    last: dict[str, int] = {}
    while True:
        now = time.time()
        for entry in SCHEDULE:
            period = int(now // entry.seconds(app.config))
            if last.get(entry.name) != period:
                last[entry.name] = period
                with app.app_context():
                    jobs.enqueue(entry.job, tenant_id=None)  # inline: runs as this app context ends
        if once:
            return
        time.sleep(TICK_SECONDS)
