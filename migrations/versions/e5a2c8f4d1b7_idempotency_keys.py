"""idempotency keys of creating POSTs, with their tenant policy

Revision ID: e5a2c8f4d1b7
Revises: c7e1a9d4b2f0
Create Date: 2026-12-02 10:30:00.000000

One row per (tenant, Idempotency-Key): the request's hash and, once answered, the response
(app/core/idempotency.py). Tenant-scoped, so on PostgreSQL it gets the same forced row-level
security policy as every other tenant table (c7e1a9d4b2f0_row_level_security.py).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e5a2c8f4d1b7'
down_revision = 'c7e1a9d4b2f0'
branch_labels = None
depends_on = None

APP_ROLE = "tailtown_app"
TABLE = "idempotency_keys"
# As in c7e1a9d4b2f0 (copied: a migration never changes with the code it was written beside).
TENANT_MATCHES = (
    "tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)"
    " OR (SELECT current_setting('app.bypass', true)) = 'on'"
)


def upgrade():
    op.create_table(TABLE,
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('response_status', sa.Integer(), nullable=True),
    sa.Column('response_body', sa.Text(), nullable=True),
    sa.Column('response_headers', sa.JSON(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_idempotency_keys_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_keys')),
    sa.UniqueConstraint('tenant_id', 'key', name=op.f('uq_idempotency_keys_tenant_id_key'))
    )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index('ix_idempotency_keys_created_at', ['created_at'], unique=False)

    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite has no roles or policies; the ORM guard in app/tenancy.py is all there is
    # The default privileges of c7e1a9d4b2f0 cover a table made by the same role; say it anyway, in
    # case a different role runs this migration.
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {TABLE} TO {APP_ROLE}")
    op.execute(f"ALTER TABLE {TABLE} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {TABLE} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY tenant_isolation ON {TABLE} USING ({TENANT_MATCHES}) WITH CHECK ({TENANT_MATCHES})")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {TABLE}")
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index('ix_idempotency_keys_created_at')

    op.drop_table(TABLE)
