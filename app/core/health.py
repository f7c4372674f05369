"""Liveness and readiness probes for load balancers and orchestrators."""
from flask import Blueprint, current_app, jsonify
from loguru import logger
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.core.extensions import db
from app.jobs.status import job_details
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
    return jsonify(status=status, checks=checks, details=job_details(redis_up=checks.get("redis") != "down")), 200

