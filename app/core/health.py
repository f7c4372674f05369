"""Liveness and readiness probes for load balancers and orchestrators."""
from flask import Blueprint, current_app, jsonify
from loguru import logger
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.core.extensions import db
from app.tenancy import tenant_free

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """The process is alive; touches nothing else."""
    return jsonify(status="ok")


def _redis_ok() -> bool:
    """A PING through the app's Redis breaker: while it is open Redis counts as down, without trying it."""
    try:
        return bool(current_app.extensions["redis_health_client"].ping())
    except RedisError as exc:
        logger.warning("readyz: redis unreachable: {}", type(exc).__name__)
        return False


@bp.get("/readyz")
def readyz():
    """Ready when the database answers; degraded (still 200) when only Redis is down."""
    checks = {}
    try:
        db.session.execute(tenant_free(text("SELECT 1")))
        checks["database"] = "ok"
    except SQLAlchemyError as exc:
        db.session.rollback()
        logger.error("readyz: database unreachable: {}", type(exc).__name__)
        checks["database"] = "down"
    if current_app.config.get("REDIS_URL"):
        checks["redis"] = "ok" if _redis_ok() else "down"
    if checks["database"] == "down":
        return jsonify(status="down", checks=checks), 503
    status = "degraded" if "down" in checks.values() else "ok"
    return jsonify(status=status, checks=checks, details=_job_details(checks.get("redis") != "down")), 200


def _job_details(redis_up: bool) -> dict:
    """Queue depth and failed jobs (RQ), and how far the outbox is behind (every tenant, counts only)."""
    from app.jobs import mode
    from app.services.outbox import outbox_stats, queue_overview

    details: dict = {"jobs": queue_overview() if redis_up or mode() != "rq" else {"mode": mode(), "error": "redis down"}}
    try:
        stats = outbox_stats(every_tenant=True)
        details["outbox"] = {"undelivered": stats.undelivered, "dead": stats.dead,
                             "oldest_undelivered_age_seconds": stats.oldest_age_seconds()}
    except SQLAlchemyError as exc:
        db.session.rollback()
        details["outbox"] = {"error": type(exc).__name__}
    return details
