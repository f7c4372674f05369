"""`flask --app wsgi worker`: an RQ worker inside the app, with RQ's scheduler and the periodic ticker."""
import threading

import click
from flask import current_app
from flask.cli import with_appcontext
from loguru import logger
from rq import Worker

from app.core.extensions import db
from app.jobs import schedule
from app.jobs.queues import job_queue, worker_connection


class AppWorker(Worker):
    """RQ's forking worker; each work horse drops the database connections it inherited from the parent."""

    def main_work_horse(self, job, queue):
        db.engine.dispose(close=False)  # a forked child must never share the parent's sockets (SQLAlchemy docs)
        super().main_work_horse(job, queue)


@click.command("worker")
@click.option("--no-scheduler", is_flag=True, help="Run jobs only: no delayed-job scheduler, no periodic jobs.")
@click.option("--burst", is_flag=True, help="Quit once the queue is empty (tests, one-off catch-up).")
@with_appcontext
def worker_command(no_scheduler: bool, burst: bool) -> None:
    """Run background jobs: RQ on REDIS_URL, or (no Redis) the periodic jobs inline in this process."""
    app = current_app._get_current_object()
    if app.config.get("JOBS_MODE") != "rq":
        if no_scheduler:
            raise click.ClickException("JOBS_MODE is inline: jobs run where they are enqueued; nothing to do.")
        logger.info("worker: embedded mode (no Redis): running the periodic jobs inline")
        schedule.run_embedded(app, once=burst)
        return
    connection = worker_connection()
    queue = job_queue(connection)
    stop = threading.Event()
    if not no_scheduler:
        schedule.start_ticker(app, connection, stop)
    logger.info("worker: queue {} (scheduler {})", queue.name, "off" if no_scheduler else "on")
    try:
        AppWorker([queue], connection=connection).work(with_scheduler=not no_scheduler, burst=burst,
                                                       logging_level=app.config.get("LOG_LEVEL", "INFO"))
    finally:
        stop.set()
