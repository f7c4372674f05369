"""Customer search at scale: 50,000 households in one tenant on PostgreSQL.

    python bench/search.py [--households 50000]

Creates a scratch database, imports the households through the real CSV import, then times the
search the front desk uses (service call, warm) for name, phone, email and pet-name queries,
prints the median and p95 in ms and the PostgreSQL plan of one query, and drops the database.
"""
import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

SERVER = os.environ.get("BENCH_DATABASE_SERVER", "postgresql+psycopg2://postgres@127.0.0.1:5432/")
QUERIES = ["gar", "olivia garcia", "smi li", "555 234", "(555) 987-12", "olivia.garcia", "biscuit", "zoe",
           "nonexistentname"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    name = f"tailtown_bench_search_{uuid.uuid4().hex[:6]}"
    admin = create_engine(SERVER + "postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        run(SERVER + name, args)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def run(url: str, args) -> None:
    os.environ["LOG_LEVEL"] = "WARNING"
    from flask_migrate import upgrade

    import app.demo.customers as demo
    from app import create_app
    from app.core.extensions import db
    from app.core.rls import OWNER
    from app.demo.customers import demo_csv
    from app.services import customers, tenants
    from app.services.compliance import tenant_today
    from app.services.customer_csv import import_customers
    from app.tenancy import tenant_context
    from config import TestConfig

    app = create_app(TestConfig(database_url=url))
    with app.app_context(), app.test_request_context():
        upgrade()
        big = tenants.create_tenant(subdomain="big-resort", name="Big Resort")
        small = tenants.create_tenant(subdomain="small-resort", name="Small Resort")
        demo.HOUSEHOLDS = 2_000
        with tenant_context(small):
            import_customers(text=demo_csv("small", tenant_today()), dry_run=False)
        demo.HOUSEHOLDS = args.households
        with tenant_context(big):
            started = time.perf_counter()
            report = import_customers(text=demo_csv("big", tenant_today()), dry_run=False)
            took = time.perf_counter() - started
            print(f"imported {report.customers:,} households, {report.pets:,} pets, "
                  f"{report.vaccinations:,} vaccinations in {took:.1f} s "
                  f"({report.rows / took:,.0f} rows/s)")
            db.session.commit()
            with db.engine.execution_options(**{OWNER: True}).begin() as conn:  # only the owner may ANALYZE
                conn.exec_driver_sql("ANALYZE")
            print(f"\n{'query':<18} {'hits':>6} {'median ms':>10} {'p95 ms':>8}")
            for q in QUERIES:
                times, hits = [], 0
                for _ in range(args.repeat):
                    started = time.perf_counter()
                    items, hits = customers.list_customers(page=1, page_size=25, q=q)
                    times.append((time.perf_counter() - started) * 1000)
                times.sort()
                p95 = times[int(len(times) * 0.95) - 1]
                print(f"{q!r:<18} {hits:>6} {statistics.median(times):>10.1f} {p95:>8.1f}")
            for q in ("olivia gar", "(555) 987-12"):
                stmt = (db.select(customers.Customer.id).where(customers.search_condition(q))
                        .order_by(customers.Customer.last_name, customers.Customer.first_name).limit(25))
                compiled = stmt.compile(db.engine)
                params = {**compiled.params, "tenant": str(big.id)}
                sql = str(compiled).replace(" ORDER BY", " AND customers.tenant_id = %(tenant)s ORDER BY")
                plan = db.session.connection().exec_driver_sql("EXPLAIN ANALYZE " + sql, params).scalars().all()
                print(f"\nplan for {q!r}:")
                for line in plan:
                    print("  " + line)


if __name__ == "__main__":
    main()
