"""webhooks: endpoints, each delivery attempt, and outbox messages on the WEBHOOK channel

Revision ID: 3c4d5e6f7a82
Revises: 5e6f7a8b9ca4
Create Date: 2026-12-02 23:20:00

A webhook delivery is an outbox message (channel WEBHOOK, naming its endpoint), so it gets the
outbox's transaction, lease, retries, dead letters and sweep. Both new tables get the same
row-level policy as every tenant table.
"""
import sqlalchemy as sa
from alembic import op

revision = "3c4d5e6f7a82"
down_revision = "5e6f7a8b9ca4"
branch_labels = None
depends_on = None

TABLES = ("webhook_endpoints", "webhook_attempts")
TENANT_MATCHES = (
    "tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)"
    " OR (SELECT current_setting('app.bypass', true)) = 'on'"
)
CHANNELS_BEFORE = "channel IN ('EMAIL', 'SMS')"
CHANNELS_AFTER = "channel IN ('EMAIL', 'SMS', 'WEBHOOK')"


def upgrade():
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("url", sa.String(length=254), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False, server_default=""),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("secret", sa.String(length=80), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("disabled_reason", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint("consecutive_failures >= 0", name=op.f("ck_webhook_endpoints_failures_not_negative")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_webhook_endpoints_tenant_id_tenants"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_webhook_endpoints_tenant_id_id")),
    )
    op.create_table(
        "webhook_attempts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("message_id", sa.Uuid(), nullable=False),
        sa.Column("endpoint_id", sa.Uuid(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id", "endpoint_id"], ["webhook_endpoints.tenant_id", "webhook_endpoints.id"],
                                name=op.f("fk_webhook_attempts_tenant_id_endpoint_id_webhook_endpoints"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_webhook_attempts_tenant_id_tenants"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_attempts")),
    )
    op.create_index("ix_webhook_attempts_endpoint", "webhook_attempts", ["tenant_id", "endpoint_id", "attempted_at"])
    op.create_index("ix_webhook_attempts_message", "webhook_attempts", ["message_id"])
    with op.batch_alter_table("outbox_messages") as batch:
        batch.add_column(sa.Column("webhook_endpoint_id", sa.Uuid(), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot swap a CHECK in place; a batch rebuild would recreate the table, so the
        # channel list is widened by rebuilding only this one constraint the batch way.
        with op.batch_alter_table("outbox_messages", recreate="always") as batch:
            batch.drop_constraint(op.f("ck_outbox_messages_channel"), type_="check")
            batch.create_check_constraint(op.f("ck_outbox_messages_channel"), CHANNELS_AFTER)
        return
    op.drop_constraint(op.f("ck_outbox_messages_channel"), "outbox_messages", type_="check")
    op.create_check_constraint(op.f("ck_outbox_messages_channel"), "outbox_messages", CHANNELS_AFTER)
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY tenant_isolation ON {table} USING ({TENANT_MATCHES}) WITH CHECK ({TENANT_MATCHES})")


def downgrade():
    op.execute("DELETE FROM outbox_messages WHERE channel = 'WEBHOOK'")
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("outbox_messages", recreate="always") as batch:
            batch.drop_constraint(op.f("ck_outbox_messages_channel"), type_="check")
            batch.create_check_constraint(op.f("ck_outbox_messages_channel"), CHANNELS_BEFORE)
            batch.drop_column("webhook_endpoint_id")
    else:
        op.drop_constraint(op.f("ck_outbox_messages_channel"), "outbox_messages", type_="check")
        op.create_check_constraint(op.f("ck_outbox_messages_channel"), "outbox_messages", CHANNELS_BEFORE)
        op.drop_column("outbox_messages", "webhook_endpoint_id")
        for table in TABLES:
            op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
    op.drop_table("webhook_attempts")
    op.drop_table("webhook_endpoints")
