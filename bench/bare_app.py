"""The bare reference app: Flask + psycopg2, one primary-key SELECT on `customers`, as JSON.

    gunicorn -c gunicorn.conf.py bench.bare_app:app      (DATABASE_URL = the bench database)

The ceiling Tailtown's hot path is measured against (bench/ratio.py): the same gunicorn settings
and database, none of the app's work (no tenant, key, limiter, ORM, schema or cache). One pooled
connection per gunicorn thread, autocommit, so a request is exactly one round trip to PostgreSQL.
"""
import os
import threading
import uuid

import psycopg2
import psycopg2.pool
from flask import Flask, abort, jsonify

app = Flask(__name__)
_pool: psycopg2.pool.ThreadedConnectionPool | None = None
_pool_lock = threading.Lock()
SQL = "SELECT id, first_name, last_name, email FROM customers WHERE id = %s"


def pool() -> psycopg2.pool.ThreadedConnectionPool:
    """Opened lazily, in the worker (never inherited from gunicorn's master)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            size = int(os.environ.get("GUNICORN_THREADS", "4")) + 1
            _pool = psycopg2.pool.ThreadedConnectionPool(1, size, os.environ["DATABASE_URL"])
        return _pool


@app.get("/readyz")
def ready():
    return {"status": "ok"}


@app.get("/customers/<customer_id>")
def customer(customer_id: str):
    try:
        uuid.UUID(customer_id)
    except ValueError:
        abort(404)
    connections = pool()
    conn = connections.getconn()
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(SQL, (customer_id,))
            row = cur.fetchone()
    finally:
        connections.putconn(conn)
    if row is None:
        abort(404)
    return jsonify(id=str(row[0]), first_name=row[1], last_name=row[2], email=row[3])
