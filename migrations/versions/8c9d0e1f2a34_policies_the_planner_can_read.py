"""policies the planner can read: the tenant policy without an OR, operator access by role

The policy was `tenant_id = (SELECT <app.tenant_id>) OR (SELECT <app.bypass>) = 'on'`. The scalar
subqueries are InitPlans whose values the planner cannot see, so it took the policy for a 1%
filter on top of the query's own `tenant_id = <tenant>`: the large resort of bench/scale.py
(199,999 reservations) was estimated at 2,021, and its deep list page went to a sequential scan
and an on-disk sort. Without the subqueries but with the OR, the estimate is right but the
setting is read and cast on every row (a 200,000-row count: 15 ms -> 60 ms).

Now each role gets its own policy, and only the policies of the current role apply:

- `tenant_isolation` TO tailtown_app: `tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid`.
  Beside the query's `tenant_id = <tenant>` the planner derives a one-time check that the two match
  and scans with the literal tenant: exact estimates, nothing evaluated per row.
- `operator_access` TO tailtown_operator (NOLOGIN, owns nothing, no BYPASSRLS): every row. The app
  switches to it inside `with unscoped():` instead of setting `app.bypass`.
- `owner_maintenance` TO the owner (the role running this): every row when `app.bypass` is on, as
  migrations/env.py sets it, so data migrations work when the owner is not a superuser.

Revision ID: 8c9d0e1f2a34
Revises: 7b8c9d0e1f23
Create Date: 2026-12-04 20:15:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '8c9d0e1f2a34'
down_revision = '7b8c9d0e1f23'
branch_labels = None
depends_on = None

APP_ROLE = "tailtown_app"
OPERATOR_ROLE = "tailtown_operator"
TENANT = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid"
OWNER_BYPASS = "(SELECT current_setting('app.bypass', true)) = 'on'"
OLD = ("tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)"
       " OR (SELECT current_setting('app.bypass', true)) = 'on'")
TABLES_WITH = "SELECT tablename FROM pg_policies WHERE schemaname = 'public' AND policyname = '{}' ORDER BY 1"


def _tables(policy: str) -> list[str]:
    return [row[0] for row in op.get_bind().exec_driver_sql(TABLES_WITH.format(policy))]


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{OPERATOR_ROLE}') THEN
                CREATE ROLE {OPERATOR_ROLE} NOLOGIN NOBYPASSRLS;
            END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;  -- created by a concurrent migration of another database
        END
        $$
    """)
    op.execute(f"GRANT USAGE ON SCHEMA public TO {OPERATOR_ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {OPERATOR_ROLE}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {OPERATOR_ROLE}")
    op.execute(f"REVOKE ALL ON alembic_version FROM {OPERATOR_ROLE}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {OPERATOR_ROLE}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {OPERATOR_ROLE}")
    for table in _tables("tenant_isolation"):
        op.execute(f"DROP POLICY tenant_isolation ON {table}")
        op.execute(f"CREATE POLICY tenant_isolation ON {table} TO {APP_ROLE} USING ({TENANT}) WITH CHECK ({TENANT})")
        op.execute(f"CREATE POLICY operator_access ON {table} TO {OPERATOR_ROLE} USING (true) WITH CHECK (true)")
        op.execute(f"CREATE POLICY owner_maintenance ON {table} TO CURRENT_USER"
                   f" USING ({OWNER_BYPASS}) WITH CHECK ({OWNER_BYPASS})")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _tables("tenant_isolation"):
        op.execute(f"DROP POLICY IF EXISTS owner_maintenance ON {table}")
        op.execute(f"DROP POLICY IF EXISTS operator_access ON {table}")
        op.execute(f"DROP POLICY tenant_isolation ON {table}")
        op.execute(f"CREATE POLICY tenant_isolation ON {table} USING ({OLD}) WITH CHECK ({OLD})")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE, SELECT ON SEQUENCES FROM {OPERATOR_ROLE}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM {OPERATOR_ROLE}")
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {OPERATOR_ROLE}")
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {OPERATOR_ROLE}")
    op.execute(f"REVOKE USAGE ON SCHEMA public FROM {OPERATOR_ROLE}")
