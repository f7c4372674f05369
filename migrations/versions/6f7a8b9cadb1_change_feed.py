"""change feed: tombstones of deleted rows, and (tenant_id, updated_at, id) indexes for keyset pages

Revision ID: 6f7a8b9cadb1
Revises: 1a2b3c4d5e60
Create Date: 2026-12-03 06:40:00

Every synced table already has an `updated_at` that every ORM write moves (Timestamps' onupdate, and
app/services/rows.expect_version touches rows whose children changed), so no column is added. The
`deletions` table is a tenant table: it gets the same row-level policy as every other.
"""
import sqlalchemy as sa
from alembic import op

revision = "6f7a8b9cadb1"
down_revision = "1a2b3c4d5e60"
branch_labels = None
depends_on = None

SYNCED = ("customers", "pets", "vaccinations", "vaccine_requirements", "reservations", "invoices", "payments",
          "services", "addons", "price_rules", "kennels", "users", "api_keys", "webhook_endpoints")
TENANT_MATCHES = (
    "tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)"
    " OR (SELECT current_setting('app.bypass', true)) = 'on'"
)


def upgrade():
    op.create_table(
        "deletions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("entity_type", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_deletions_tenant_id_tenants"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deletions")),
    )
    op.create_index("ix_deletions_tenant_updated", "deletions", ["tenant_id", "deleted_at", "id"])
    op.create_index("ix_deletions_tenant_type_updated", "deletions", ["tenant_id", "entity_type", "deleted_at", "id"])
    for table in SYNCED:
        op.create_index(f"ix_{table}_tenant_updated", table, ["tenant_id", "updated_at", "id"])
    op.drop_index("ix_api_keys_tenant_id", table_name="api_keys")  # the new one serves tenant_id alone too
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE deletions ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE deletions FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY tenant_isolation ON deletions USING ({TENANT_MATCHES}) WITH CHECK ({TENANT_MATCHES})")


def downgrade():
    op.create_index("ix_api_keys_tenant_id", "api_keys", ["tenant_id"])
    for table in SYNCED:
        op.drop_index(f"ix_{table}_tenant_updated", table_name=table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP POLICY IF EXISTS tenant_isolation ON deletions")
    op.drop_table("deletions")
