"""How the job queue and the outbox are doing, for /readyz (every tenant, counts only)."""
from loguru import logger
from sqlalchemy.exc import SQLAlchemyError

from app.core.extensions import db
from app.jobs import mode


def job_details(*, redis_up: bool) -> dict:
    """Queue depth and failed jobs (RQ), and the outbox's undelivered and dead counts and oldest message."""
    from app.services.outbox import outbox_stats, queue_overview

    details: dict = {"jobs": queue_overview() if redis_up or mode() != "rq" else {"mode": mode(), "error": "redis down"}}
    try:
        stats = outbox_stats(every_tenant=True)
    except SQLAlchemyError as exc:
        db.session.rollback()
        logger.warning("readyz: outbox figures unavailable: {}", type(exc).__name__)
        details["outbox"] = {"error": type(exc).__name__}
        return details
    details["outbox"] = {"undelivered": stats.undelivered, "dead": stats.dead,
                         "oldest_undelivered_age_seconds": stats.oldest_age_seconds()}
    return details
