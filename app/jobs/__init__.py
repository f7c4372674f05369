"""Background jobs: RQ queues on the app's Redis, or inline right after the commit (embedded default).

A job is a function registered with `@job(name)`. It is enqueued with the tenant it works for and
runs inside that tenant's context (app/jobs/runner.py); a job enqueued with no tenant runs with none,
so the ORM guard refuses every tenant table and PostgreSQL's row security shows it no rows.
Work caused by a change is enqueued with `after_commit`: it is sent only once the change is
committed, and dropped with it on rollback.
"""
import contextlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app, g, has_app_context
from loguru import logger
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session

JOBS: dict[str, Callable] = {}
RUNNER = "app.jobs.runner.run"  # what RQ imports and calls in the worker
_AFTER_COMMIT = "tailtown_after_commit_jobs"  # Session.info key: jobs waiting for this transaction's commit
INLINE_ROUNDS = 10  # inline jobs that enqueue jobs: at most this many rounds per app context


def job(name: str) -> Callable[[Callable], Callable]:
    """Register a function as the job `name` (its keyword arguments must be JSON-like)."""
    def register(func: Callable) -> Callable:
        JOBS[name] = func
        return func
    return register


@dataclass(frozen=True)
class JobCall:
    """One job to run: which, for which tenant (None: no tenant at all), with what arguments."""

    name: str
    tenant_id: str | None
    kwargs: dict = field(default_factory=dict)
    job_id: str | None = None


def _call(name: str, tenant_id, kwargs: dict, job_id: str | None) -> JobCall:
    if name not in JOBS:
        raise KeyError(f"unknown job {name!r}")
    return JobCall(name, str(tenant_id) if tenant_id else None, kwargs, job_id)


def after_commit(session: Session, name: str, *, tenant_id, job_id: str | None = None, **kwargs) -> None:
    """Enqueue a job once `session`'s transaction commits (nothing happens if it rolls back)."""
    session.info.setdefault(_AFTER_COMMIT, []).append(_call(name, tenant_id, kwargs, job_id))


def enqueue(name: str, *, tenant_id, job_id: str | None = None, delay: float = 0, **kwargs) -> bool:
    """Enqueue a job now (after `delay` seconds with RQ's scheduler); False when Redis refused it."""
    return dispatch(_call(name, tenant_id, kwargs, job_id), delay=delay)


def mode() -> str:
    """"rq" or "inline" (JOBS_MODE)."""
    return current_app.config.get("JOBS_MODE") or "inline"


def dispatch(call: JobCall, *, delay: float = 0) -> bool:
    """Hand a job to RQ, or (inline) run it when the current app context ends."""
    if mode() != "rq":
        if delay:
            return False  # no scheduler inline: the periodic sweep picks the work up when it is due
        g.setdefault("tailtown_inline_jobs", []).append(call)
        return True
    from app.jobs.queues import job_queue

    args = (call.name, call.tenant_id, call.kwargs)
    try:
        queue = job_queue()
        if delay:
            queue.enqueue_in(timedelta(seconds=delay), RUNNER, *args, job_id=call.job_id)
        else:
            queue.enqueue(RUNNER, *args, job_id=call.job_id)
    except (RedisError, OSError) as exc:
        # The work is not lost: whatever it was for is still in the database (e.g. an outbox row),
        # and the periodic sweep enqueues it again.
        logger.warning("job {} not enqueued ({}); the sweep will pick it up", call.name, type(exc).__name__)
        return False
    return True


def run_inline_jobs(_exc=None) -> None:
    """Run the inline jobs this app context collected (its teardown calls this, and tests may)."""
    if not has_app_context():
        return
    from app.jobs.runner import run

    for _ in range(INLINE_ROUNDS):
        pending = g.pop("tailtown_inline_jobs", [])
        if not pending:
            return
        for call in pending:
            # A failure is logged by run(); the request that caused the job has already committed.
            with contextlib.suppress(Exception):
                run(call.name, call.tenant_id, call.kwargs, job_id=call.job_id or f"inline-{uuid.uuid4().hex[:12]}")


@event.listens_for(Session, "after_commit")
def _dispatch_committed(session: Session) -> None:
    for call in session.info.pop(_AFTER_COMMIT, []):
        dispatch(call)


@event.listens_for(Session, "after_rollback")
def _drop_rolled_back(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT, None)


def register_jobs(app) -> None:
    """Inline jobs run as each app context ends: after the request's commit, before the session closes."""
    from app.jobs import notices, outbox  # noqa: F401  (registers the outbox and reminder jobs)

    app.teardown_appcontext(run_inline_jobs)
