"""The RQ queue on the app's Redis, and the counts /readyz and the Outbox page show."""
import redis
from flask import current_app
from rq import Queue

from app.core.breaker import breaker_client


def _enqueue_connection() -> redis.Redis:
    """For request processes: the app's breaker and short timeouts, so a dead Redis costs milliseconds."""
    app = current_app._get_current_object()
    client = app.extensions.get("jobs_redis")
    if client is None:
        breaker = app.extensions.get("redis_breaker")
        # The cache's socket timeouts (REDIS_TIMEOUT), without its breaker entry.
        options = {k: v for k, v in (app.config.get("CACHE_OPTIONS") or {}).items() if k != "breaker"}
        url = app.config["REDIS_URL"]
        client = breaker_client(url, breaker=breaker, **options) if breaker else redis.Redis.from_url(url, **options)
        app.extensions["jobs_redis"] = client
    return client


def worker_connection() -> redis.Redis:
    """For workers: no short socket timeout (RQ blocks on the queue for seconds at a time)."""
    return redis.Redis.from_url(current_app.config["REDIS_URL"], socket_connect_timeout=5, health_check_interval=30)


def job_queue(connection: redis.Redis | None = None) -> Queue:
    """The one queue every Tailtown job goes to (JOBS_QUEUE)."""
    return Queue(current_app.config["JOBS_QUEUE"], connection=connection or _enqueue_connection())


def queue_stats() -> dict:
    """Jobs waiting, running, scheduled and failed on the queue; raises RedisError when Redis is down."""
    queue = job_queue()
    return {"queued": queue.count, "started": queue.started_job_registry.count,
            "scheduled": queue.scheduled_job_registry.count, "failed": queue.failed_job_registry.count}
