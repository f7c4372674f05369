"""row-level security: the tailtown_app role and one tenant policy per tenant-scoped table

Revision ID: c7e1a9d4b2f0
Revises: c4f1e2d9a7b3
Create Date: 2026-12-02 06:00:00.000000

The tables stay owned by the role that runs the migrations; the application switches to
`tailtown_app` (no BYPASSRLS, owns nothing) in every transaction, so the policies always apply.
`app.tenant_id` and `app.bypass` are set per transaction by app/core/rls.py.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c7e1a9d4b2f0'
down_revision = 'c4f1e2d9a7b3'
branch_labels = None
depends_on = None

APP_ROLE = "tailtown_app"
# Every TenantScoped table at this revision (tests/test_rls.py checks that none is missing later).
TABLES = (
    "users", "api_keys", "password_reset_tokens", "audit_events", "outbound_emails",
    "customers", "customer_tags", "pets", "vaccinations", "vaccine_requirements",
    "services", "addons", "addon_services", "price_rules", "price_rule_services", "kennels", "user_sessions",
)
# Wrapped in scalar subqueries so PostgreSQL evaluates each setting once per query, not per row.
TENANT_MATCHES = (
    "tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)"
    " OR (SELECT current_setting('app.bypass', true)) = 'on'"
)
# Under row-level security PostgreSQL only uses a query's condition inside an index scan when its
# function is LEAKPROOF; LIKE is not marked so, and customer search (a trigram GIN index on LIKE)
# would fall back to a sequential scan. LIKE reveals nothing but its result, so mark it (needs a
# superuser; otherwise a DBA runs these once per database, see README).
LEAKPROOF = ("textlike(text, text)", "texticlike(text, text)")
IF_SUPERUSER = "DO $$ BEGIN IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN {} END IF; END $$"


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite has no roles or policies; the ORM guard in app/tenancy.py is all there is
    # Roles are cluster-wide and several databases (e.g. parallel test runs) migrate at once.
    op.execute(f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                CREATE ROLE {APP_ROLE} NOLOGIN NOBYPASSRLS;
            END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;  -- created by a concurrent migration of another database
        END
        $$
    """)
    op.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}")
    op.execute(f"REVOKE ALL ON alembic_version FROM {APP_ROLE}")
    # Tables later migrations create are usable by the app too (their policies are still needed).
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE}")
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY tenant_isolation ON {table} USING ({TENANT_MATCHES}) WITH CHECK ({TENANT_MATCHES})")
    op.execute(IF_SUPERUSER.format(" ".join(f"ALTER FUNCTION {f} LEAKPROOF;" for f in LEAKPROOF)))


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(IF_SUPERUSER.format(" ".join(f"ALTER FUNCTION {f} NOT LEAKPROOF;" for f in LEAKPROOF)))
    for table in TABLES:
        op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE, SELECT ON SEQUENCES FROM {APP_ROLE}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM {APP_ROLE}")
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {APP_ROLE}")
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {APP_ROLE}")
    op.execute(f"REVOKE USAGE ON SCHEMA public FROM {APP_ROLE}")
    # The role itself stays: it is cluster-wide and other databases may still use it.
