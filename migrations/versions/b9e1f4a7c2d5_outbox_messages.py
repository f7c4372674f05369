"""outbox messages: email and SMS, with delivery state, attempts, backoff and a lease

Revision ID: b9e1f4a7c2d5
Revises: f3b8c2d1a9e4
Create Date: 2026-12-03 09:00:00.000000

Replaces outbound_emails (email only, sent inside the request) with outbox_messages, delivered by
jobs after the commit (app/services/outbox.py). Existing rows are copied: sent ones as SENT, the
others as PENDING and due now, so the first sweep delivers them. Tenant-scoped, so on PostgreSQL it
gets the same forced row-level security policy as every other tenant table.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b9e1f4a7c2d5'
down_revision = "f3b8c2d1a9e4"
branch_labels = None
depends_on = None

APP_ROLE = "tailtown_app"
TABLE = "outbox_messages"
# As in c7e1a9d4b2f0 (copied: a migration never changes with the code it was written beside).
TENANT_MATCHES = (
    "tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)"
    " OR (SELECT current_setting('app.bypass', true)) = 'on'"
)
COPY = """
INSERT INTO outbox_messages (id, tenant_id, created_at, channel, kind, recipient, subject, body, secret,
                             state, attempts, next_attempt_at, sent_at)
SELECT id, tenant_id, created_at, 'EMAIL', 'notice', to_address, subject, body, secret,
       CASE WHEN sent_at IS NULL THEN 'PENDING' ELSE 'SENT' END, 0, created_at, sent_at
FROM outbound_emails
"""
COPY_BACK = """
INSERT INTO outbound_emails (id, tenant_id, created_at, to_address, subject, body, secret, sent_at)
SELECT id, tenant_id, created_at, recipient, subject, body, secret, sent_at FROM outbox_messages WHERE channel = 'EMAIL'
"""
BYPASS = "SELECT set_config('app.bypass', 'on', true)"  # the tables force row security on their owner too


def _policy(table: str) -> None:
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {APP_ROLE}")
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY tenant_isolation ON {table} USING ({TENANT_MATCHES}) WITH CHECK ({TENANT_MATCHES})")


def upgrade():
    op.create_table(TABLE,
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('channel', sa.Enum('EMAIL', 'SMS', name='channel', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('secret', sa.String(length=200), nullable=True),
    sa.Column('customer_id', sa.Uuid(), nullable=True),
    sa.Column('dedupe_key', sa.String(length=120), nullable=True),
    sa.Column('state', sa.Enum('PENDING', 'SENDING', 'SENT', 'DEAD', 'SUPPRESSED', name='messagestate', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('provider', sa.String(length=40), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'customer_id'], ['customers.tenant_id', 'customers.id'], name=op.f('fk_outbox_messages_tenant_id_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_outbox_messages_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages')),
    sa.UniqueConstraint('tenant_id', 'dedupe_key', name=op.f('uq_outbox_messages_tenant_id_dedupe_key'))
    )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index('ix_outbox_messages_state_due', ['state', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_outbox_messages_tenant_created', ['tenant_id', 'created_at'], unique=False)

    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute(BYPASS)
    op.execute(COPY)
    if postgres:
        op.execute("DROP POLICY IF EXISTS tenant_isolation ON outbound_emails")
    with op.batch_alter_table('outbound_emails', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbound_emails_tenant_id'))
    op.drop_table('outbound_emails')
    if postgres:  # SQLite has no roles or policies; the ORM guard in app/tenancy.py is all there is
        _policy(TABLE)


def downgrade():
    op.create_table('outbound_emails',
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('to_address', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('secret', sa.String(length=200), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_outbound_emails_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbound_emails'))
    )
    with op.batch_alter_table('outbound_emails', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbound_emails_tenant_id'), ['tenant_id'], unique=False)
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute(BYPASS)
    op.execute(COPY_BACK)
    if postgres:
        _policy('outbound_emails')
        op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {TABLE}")
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_messages_tenant_created')
        batch_op.drop_index('ix_outbox_messages_state_due')
    op.drop_table(TABLE)
