"""PostgreSQL row-level security is the backstop: with the ORM guard switched off, raw SQL and Core
statements run through the app's session as tenant A still never read, change, move, insert into or
delete tenant B's rows (issue 8.1)."""
import pytest
from sqlalchemy import event, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app import tenancy
from app.core.extensions import db
from app.core.rls import OWNER, RowSecurityError
from app.models import Customer, TenantScoped
from app.tenancy import tenant_context, unscoped
from tests.attacks import ATTACKS, as_tenant_a, assert_nothing_crossed, build_world

pytestmark = pytest.mark.postgres


@pytest.fixture
def world(app, tenant_a, tenant_b):
    return build_world(app, tenant_a, tenant_b)


@pytest.fixture
def orm_guard_off():
    """Remove the ORM hooks (criteria, statement checks, flush checks) so only the database decides."""
    hooks = [("do_orm_execute", tenancy._scope_queries), ("before_flush", tenancy._stamp_tenant)]
    for name, fn in hooks:
        event.remove(Session, name, fn)
    yield
    for name, fn in hooks:
        event.listen(Session, name, fn)


def _raw(sql: str, **params):
    """SQL straight to the driver on the session's connection: no ORM hook sees it."""
    return db.session.connection().exec_driver_sql(sql, params or None)


# A DELETE the policy hides matches 0 rows: SQLAlchemy warns, the row stays (asserted below).
@pytest.mark.filterwarnings("ignore:DELETE statement on table")
@pytest.mark.parametrize("name", [n for n, (_, reaches_db) in ATTACKS.items() if reaches_db])
def test_row_level_security_alone_stops_each_attack(app, world, orm_guard_off, name):
    attack, _ = ATTACKS[name]
    seen = None
    with app.app_context():
        try:
            seen = as_tenant_a(world, attack)
            db.session.commit()
        except DBAPIError as exc:  # "new row violates row-level security policy"
            assert "row-level security" in str(exc.orig), exc
            db.session.rollback()
        except StaleDataError:  # a versioned row the policy hides: its DELETE matched 0 rows
            db.session.rollback()
    assert_nothing_crossed(app, world, seen)


def test_a_raw_count_as_a_counts_only_as_rows_on_every_scoped_table(app, world, orm_guard_off):
    tables = sorted({m.local_table.name for m in db.Model.registry.mappers if issubclass(m.class_, TenantScoped)})
    with app.app_context():
        with unscoped():
            everyone = {t: _raw(f"SELECT count(*) FROM {t}").scalar_one() for t in tables}
            own = {t: _raw(f"SELECT count(*) FROM {t} WHERE tenant_id = %(a)s", a=str(world.a)).scalar_one()
                   for t in tables}
        with tenant_context(world.a_tenant):
            seen = {t: _raw(f"SELECT count(*) FROM {t}").scalar_one() for t in tables}
    assert all(everyone[t] > own[t] > 0 for t in tables), (everyone, own)  # B has rows everywhere too
    assert seen == own


def test_raw_sql_with_no_tenant_sees_nothing(app, world):
    with app.app_context():
        assert _raw("SELECT count(*) FROM customers").scalar_one() == 0
        assert _raw("UPDATE customers SET notes = 'pwned'").rowcount == 0
    assert_nothing_crossed(app, world)


def test_the_app_runs_as_a_role_that_cannot_bypass_the_policies(app, world):
    with app.app_context(), tenant_context(world.a_tenant):
        user, session_user = _raw("SELECT current_user, session_user").one()
        superuser, bypass = _raw("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user").one()
        owned = _raw("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user")
        assert (user, superuser, bypass, owned.scalar_one()) == ("tailtown_app", False, False, 0)
    assert session_user != "tailtown_app"  # the test server's login role is a superuser, as in CI


# Each role sees through its own policy only: the app its tenant's rows, the operator role (inside
# unscoped()) every row, the owner every row when migrations/env.py turns app.bypass on.
POLICIES = {("tenant_isolation", "tailtown_app"), ("operator_access", "tailtown_operator"),
            ("owner_maintenance", None)}  # None: the role that ran the migrations


def test_every_scoped_table_forces_its_tenant_policy(app):
    scoped = {m.local_table.name for m in db.Model.registry.mappers if issubclass(m.class_, TenantScoped)}
    with app.app_context(), db.engine.connect() as conn:
        owner = conn.exec_driver_sql("SELECT tableowner FROM pg_tables WHERE tablename = 'customers'").scalar_one()
        rows = conn.exec_driver_sql(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,"
            " array_agg(p.policyname || ':' || array_to_string(p.roles, ',') ORDER BY p.policyname)"
            " FROM pg_class c LEFT JOIN pg_policies p ON p.tablename = c.relname WHERE c.relname = ANY(%(t)s)"
            " GROUP BY c.relname, c.relrowsecurity, c.relforcerowsecurity", {"t": sorted(scoped)}).all()
    wanted = sorted(f"{name}:{role or owner}" for name, role in POLICIES)
    assert {r[0] for r in rows} == scoped
    unprotected = [r[0] for r in rows if not (r[1] and r[2] and sorted(r[3]) == wanted)]
    assert not unprotected, f"add ENABLE/FORCE ROW LEVEL SECURITY and the policies {wanted} for {unprotected}"


def test_the_tenant_policy_costs_nothing_per_row_and_hides_nothing_from_the_planner(app, world):
    """Beside the query's own tenant condition the policy becomes one check per statement: no filter of its
    own on the rows and no InitPlan whose value the planner cannot see (which made it guess a tenant's share
    at 1% and pick sequential scans and on-disk sorts for a large resort, bench/scale.py)."""
    with app.app_context(), tenant_context(world.a_tenant):
        plan = _raw("EXPLAIN (FORMAT JSON) SELECT id FROM reservations WHERE tenant_id = %(a)s ORDER BY start_date",
                    a=str(world.a)).scalar_one()[0]["Plan"]
    nodes, checks = [plan], []
    while nodes:
        node = nodes.pop()
        nodes.extend(node.get("Plans", []))
        assert node.get("Subplan Name") is None and "current_setting" not in node.get("Filter", ""), node
        checks.append(node.get("One-Time Filter", ""))
    assert any("current_setting('app.tenant_id'" in check for check in checks), plan


def test_operator_code_bypasses_only_inside_unscoped(app, world):
    with app.app_context(), tenant_context(world.a_tenant):
        assert _raw("SELECT count(*) FROM customers").scalar_one() == 1
        with unscoped():  # within the same transaction: the operator role is applied before the next statement
            assert _raw("SELECT count(*) FROM customers").scalar_one() == 2
            assert _raw("SELECT current_user").scalar_one() == "tailtown_operator"
        assert _raw("SELECT current_user").scalar_one() == "tailtown_app"
        assert _raw("SELECT count(*) FROM customers").scalar_one() == 1


def test_the_operator_role_sees_every_tenant_by_its_policy_alone(app, world):
    """Not a superuser, no BYPASSRLS, owns nothing: only its policy opens the rows, and the bypass setting
    (the owner's, for migrations) gives the app role nothing."""
    with app.app_context():
        with unscoped():
            superuser, bypass = _raw("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user").one()
            owned = _raw("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user")
            assert (superuser, bypass, owned.scalar_one()) == (False, False, 0)
        with tenant_context(world.a_tenant):
            _raw("SELECT set_config('app.bypass', 'on', true)")
            assert _raw("SELECT count(*) FROM customers").scalar_one() == 1


def test_switching_tenant_inside_one_transaction_switches_the_policy(app, world, tenant_b):
    from app.models import Tenant

    with app.app_context():
        with unscoped():
            b = db.session.get(Tenant, tenant_b.id)
        with tenant_context(world.a_tenant):
            first = _raw("SELECT tenant_id FROM customers").scalars().all()
        with tenant_context(b):
            second = _raw("SELECT tenant_id FROM customers").scalars().all()
    assert [str(t) for t in first] == [str(world.a)] and [str(t) for t in second] == [str(world.b)]


def test_a_rolled_back_savepoint_cannot_leave_the_bypass_on(app, world):
    with app.app_context():
        with unscoped():
            assert _raw("SELECT count(*) FROM customers").scalar_one() == 2
            savepoint = db.session.begin_nested()
            _raw("SELECT 1")  # the session emits SAVEPOINT lazily, with the next statement
        with tenant_context(world.a_tenant):
            assert _raw("SELECT count(*) FROM customers").scalar_one() == 1  # A's settings, made in the savepoint
            savepoint.rollback()  # ... are undone by ROLLBACK TO: the bypass is on again in the database
            assert _raw("SELECT count(*) FROM customers").scalar_one() == 1
            assert _raw("SELECT current_user").scalar_one() == "tailtown_app"


def test_every_transaction_is_set_again(app, world):
    """A pooled connection's next transaction starts as the login role: the settings are applied anew."""
    with app.app_context(), tenant_context(world.a_tenant):
        for end in (db.session.commit, db.session.rollback, db.session.commit):
            assert _raw("SELECT count(*) FROM customers").scalar_one() == 1
            end()


def test_the_settings_end_with_the_transaction(app, world):
    """SET LOCAL semantics: a pooled connection never carries a tenant or the app role into the next use."""
    with app.app_context(), tenant_context(world.a_tenant), db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT current_user").scalar_one() == "tailtown_app"
        conn.commit()
        cursor = conn.connection.dbapi_connection.cursor()  # below SQLAlchemy: no settings applied
        cursor.execute("SELECT current_user, current_setting('app.tenant_id', true)")
        user, tenant = cursor.fetchone()
        cursor.close()
    assert user != "tailtown_app" and tenant in ("", None)


def test_migrations_and_cleanup_connections_run_as_the_owner(app):
    with app.app_context(), db.engine.execution_options(**{OWNER: True}).connect() as conn:
        assert conn.exec_driver_sql("SELECT current_user").scalar_one() != "tailtown_app"


def test_orm_queries_through_the_app_see_only_the_tenant(app, world):
    """The ordinary path: ORM criteria and policy agree."""
    with app.app_context(), tenant_context(world.a_tenant):
        assert db.session.execute(select(Customer.tenant_id)).scalars().all() == [world.a]
        assert db.session.execute(tenancy.tenant_free(text("SELECT current_user"))).scalar_one() == "tailtown_app"


def test_customer_search_can_still_use_its_trigram_index_under_the_policy(app, world):
    """LIKE is marked LEAKPROOF by the migration; otherwise RLS keeps it out of index scans (a seq scan).

    The policy's own condition can use the tenant indexes, which win on a few rows: inside a transaction
    that is rolled back, the customers' other indexes are dropped, leaving the trigram index or nothing."""
    with app.app_context(), db.engine.execution_options(**{OWNER: True}).connect() as conn:
        others = conn.exec_driver_sql("SELECT i.indexrelid::regclass::text, c.conname FROM pg_index i"
                                      " LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid"
                                      " WHERE i.indrelid = 'customers'::regclass"
                                      " AND i.indexrelid::regclass::text <> 'ix_customers_search'").all()
        for index, constraint in others:
            conn.exec_driver_sql(f"ALTER TABLE customers DROP CONSTRAINT {constraint} CASCADE" if constraint
                                 else f"DROP INDEX {index}")
        conn.exec_driver_sql("SELECT set_config('role', 'tailtown_app', true),"
                             " set_config('app.tenant_id', %(a)s, true)", {"a": str(world.a)})
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        plan = "\n".join(conn.exec_driver_sql("EXPLAIN SELECT id FROM customers WHERE search_text LIKE %(q)s",
                                               {"q": "% row%"}).scalars())
        conn.rollback()
    assert "ix_customers_search" in plan and "search_text ~~" in plan.split("Index Cond")[1], plan


def test_an_autocommit_connection_is_refused_rather_than_run_unprotected(app, world):
    """Transaction-local settings would not outlive the statement: refuse instead of running as the owner."""
    with app.app_context(), tenant_context(world.a_tenant), \
            db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn, \
            pytest.raises(RowSecurityError):
        conn.exec_driver_sql("SELECT count(*) FROM customers")


def test_a_connection_lost_mid_transaction_rolls_back_cleanly(app, world):
    """A server restart invalidates the connection; the rollback that follows must not fail on our settings."""
    with app.app_context(), tenant_context(world.a_tenant):
        assert db.session.execute(select(Customer.id)).all()  # a transaction under A's settings
        db.session.connection().invalidate()  # what a lost server connection does
        db.session.rollback()  # raised PendingRollbackError from the settings bookkeeping (a 500 in a restart)
        assert [c.tenant_id for c in db.session.execute(select(Customer)).scalars()] == [world.a]
