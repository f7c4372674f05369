"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app`."""
import gc
import multiprocessing
import os

bind = os.environ.get("BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
# Threads, not sync workers: a slow client (slow body, slow reader) holds one thread, not the
# whole worker. Production still puts a buffering proxy in front (deploy/nginx.conf), which
# reads whole requests before passing them on. Keep DB_POOL_SIZE >= threads.
# Measured against sync workers (bench/workers.py, warm customer read, 2 workers, bench/RESULTS.md):
# within the noise of each other at 32 and 128 connections, in req/s, p99 and cpu ms/req, so the
# slow-client protection decides.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
keepalive = 5  # seconds an idle keep-alive connection may hold a thread
timeout = 30
graceful_timeout = 30
# Recycle workers now and then so slow leaks never become outages. A restart costs ~0.7 s of CPU
# (bench/README.md), so rarely, with wide jitter so workers never restart together.
max_requests = 20000
max_requests_jitter = 5000
# The app writes one access line per request through loguru (with request id and tenant).
accesslog = None
errorlog = "-"
preload_app = False


def post_worker_init(worker):
    """Never share database connections across processes: drop any pool inherited from the master.

    Runs in the worker once the app is loaded (worker.wsgi exists only from here on); with
    preload_app the master's connections would otherwise be reused by every worker.
    """
    from app.core.extensions import db

    # The loaded app (modules, mappers, schemas, templates: ~250,000 objects) lives as long as the worker:
    # out of the collector's sight, a full collection takes 0.1 ms instead of ~85 ms, which landed on
    # every request that triggered one (a large resort's kennel grid: p50 52 ms, p95 143 ms; bench/scale.py).
    gc.freeze()
    if "sqlalchemy" not in worker.wsgi.extensions:  # bench/bare_app.py runs with these settings too
        return
    with worker.wsgi.app_context():
        db.engine.dispose(close=False)
