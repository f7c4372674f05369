"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app`."""
import multiprocessing
import os

bind = os.environ.get("BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = 30
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so slow leaks never become outages; jitter avoids all at once.
max_requests = 2000
max_requests_jitter = 200
# The app writes one access line per request through loguru (with request id and tenant).
accesslog = None
errorlog = "-"
preload_app = False


def post_fork(server, worker):
    """Never share database connections across processes."""
    from app.extensions import db

    app = getattr(worker, "wsgi", None)
    if app is not None:
        with app.app_context():
            db.engine.dispose(close=False)
