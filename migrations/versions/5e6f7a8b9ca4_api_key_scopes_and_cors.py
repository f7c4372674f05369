"""API key scopes, expiry, per-key rate limit and row version; tenants' CORS origins

Revision ID: 5e6f7a8b9ca4
Revises: c5d7e9f1a3b6
Create Date: 2026-12-02 22:30:00

Existing keys get the scope "*" (every scope), so every integration keeps working; new keys name
theirs. No new table, so no new row-level policy: api_keys keeps its own.

SQLite: columns are added with ALTER TABLE ADD COLUMN (the CHECK inline), not a batch rebuild,
which would drop and recreate api_keys.
"""
import sqlalchemy as sa
from alembic import op

revision = "5e6f7a8b9ca4"
down_revision = "c5d7e9f1a3b6"
branch_labels = None
depends_on = None

RATE_LIMIT_POSITIVE = "rate_limit IS NULL OR rate_limit > 0"


def upgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.add_column("api_keys", sa.Column("scopes", sa.JSON(), server_default='["*"]', nullable=False))
    op.add_column("api_keys", sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("api_keys", sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False))
    op.add_column("tenants", sa.Column("cors_origins", sa.JSON(), server_default="[]", nullable=False))
    if sqlite:
        op.execute("ALTER TABLE api_keys ADD COLUMN rate_limit INTEGER "
                   f"CONSTRAINT ck_api_keys_rate_limit_positive CHECK ({RATE_LIMIT_POSITIVE})")
        return
    op.add_column("api_keys", sa.Column("rate_limit", sa.Integer(), nullable=True))
    op.create_check_constraint(op.f("ck_api_keys_rate_limit_positive"), "api_keys", RATE_LIMIT_POSITIVE)


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_api_keys_rate_limit_positive"), "api_keys", type_="check")
    for column in ("rate_limit", "version", "expires_at", "scopes"):
        op.drop_column("api_keys", column)
    op.drop_column("tenants", "cors_origins")
