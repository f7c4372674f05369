"""customer messages: per-tenant templates, opt-outs on customers, the vaccine reminder setting

Revision ID: d8f0a2c4e6b7
Revises: b9e1f4a7c2d5
Create Date: 2026-12-05 09:00:00.000000

message_templates holds a resort's edited subject and body per message kind and channel (the
defaults live in app/services/notices.py). Customers get email/SMS opt-out times (an unsubscribe
link, STOP); tenants get vaccine_reminder_days. The new table is tenant-scoped, so on PostgreSQL it
gets the same forced row-level security policy as every other tenant table.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd8f0a2c4e6b7'
down_revision = "b9e1f4a7c2d5"
branch_labels = None
depends_on = None

APP_ROLE = "tailtown_app"
TABLE = "message_templates"
# As in c7e1a9d4b2f0 (copied: a migration never changes with the code it was written beside).
TENANT_MATCHES = (
    "tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)"
    " OR (SELECT current_setting('app.bypass', true)) = 'on'"
)

REMINDER_RANGE = "vaccine_reminder_days >= 0 AND vaccine_reminder_days <= 365"


def upgrade():
    op.create_table(TABLE,
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('channel', sa.Enum('EMAIL', 'SMS', name='channel', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_message_templates_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_templates')),
    sa.UniqueConstraint('tenant_id', 'kind', 'channel', name=op.f('uq_message_templates_tenant_id_kind_channel'))
    )
    # Plain ADD COLUMN on both backends (a batch copy of tenants or customers would rebuild tables others point at).
    op.add_column('customers', sa.Column('email_opt_out_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('customers', sa.Column('sms_opt_out_at', sa.DateTime(timezone=True), nullable=True))
    if op.get_bind().dialect.name == "sqlite":  # SQLite adds a CHECK only with its column
        op.execute("ALTER TABLE tenants ADD COLUMN vaccine_reminder_days INTEGER DEFAULT '14' NOT NULL "
                   f"CONSTRAINT ck_tenants_vaccine_reminder_range CHECK ({REMINDER_RANGE})")
    else:
        op.add_column('tenants', sa.Column('vaccine_reminder_days', sa.Integer(), server_default='14', nullable=False))
        op.create_check_constraint(op.f('ck_tenants_vaccine_reminder_range'), 'tenants', REMINDER_RANGE)
    if op.get_bind().dialect.name == "postgresql":  # SQLite has no roles or policies: the ORM guard is all there is
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {TABLE} TO {APP_ROLE}")
        op.execute(f"ALTER TABLE {TABLE} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {TABLE} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY tenant_isolation ON {TABLE} USING ({TENANT_MATCHES}) WITH CHECK ({TENANT_MATCHES})")


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f('ck_tenants_vaccine_reminder_range'), 'tenants', type_='check')
    op.drop_column('tenants', 'vaccine_reminder_days')
    op.drop_column('customers', 'sms_opt_out_at')
    op.drop_column('customers', 'email_opt_out_at')
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {TABLE}")
    op.drop_table(TABLE)
