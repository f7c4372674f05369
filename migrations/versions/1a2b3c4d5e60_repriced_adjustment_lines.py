"""re-priced adjustment lines: an adjustment line on an issued invoice may carry either sign

Revision ID: 1a2b3c4d5e60
Revises: 3c4d5e6f7a82
Create Date: 2026-12-02 22:30:00

When a booking is re-priced after its invoice was issued, the invoice keeps its lines and gets
adjustment lines for the difference, kind by kind: a shorter stay is a negative SERVICE adjustment
and a negative TAX adjustment, so revenue by kind and tax collected stay exact. Lines taken from the
price snapshot keep the sign of their kind (discounts negative, everything else not negative).

SQLite: the CHECK is rewritten in the stored schema (the procedure SQLite documents for changing a
constraint that stored rows already satisfy, https://sqlite.org/lang_altertable.html, section 7),
as f3b8c2d1a9e4 does; every existing row satisfies the wider rule, and the narrower one on the way
down is checked first.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "1a2b3c4d5e60"
down_revision = "3c4d5e6f7a82"
branch_labels = None
depends_on = None

NAME = "ck_invoice_lines_sign_follows_kind"
OLD = "(kind = 'DISCOUNT' AND amount_cents <= 0) OR (kind <> 'DISCOUNT' AND amount_cents >= 0)"
NEW = f"adjustment OR {OLD}"


def _sqlite_replace_in_schema(table, old, new):
    """Edit a CHECK in SQLite's stored CREATE TABLE text (stored rows are not touched)."""
    conn = op.get_bind()
    sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).scalar()
    if old not in sql:
        raise RuntimeError(f"{table}: expected {old!r} in its schema")
    version = conn.exec_driver_sql("PRAGMA schema_version").scalar()
    conn.exec_driver_sql("PRAGMA writable_schema = ON")
    conn.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
                         (sql.replace(old, new, 1), table))
    conn.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    conn.exec_driver_sql("PRAGMA writable_schema = OFF")


def _swap(old, new):
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_replace_in_schema("invoice_lines", f"CHECK ({old})", f"CHECK ({new})")
        return
    op.drop_constraint(op.f(NAME), "invoice_lines", type_="check")
    op.create_check_constraint(op.f(NAME), "invoice_lines", new)


def upgrade():
    _swap(OLD, NEW)


def downgrade():
    wrong = op.get_bind().execute(sa.text(f"SELECT count(*) FROM invoice_lines WHERE NOT ({OLD})")).scalar()
    if wrong:
        raise RuntimeError(f"{wrong} re-priced adjustment lines carry the other sign; they cannot go back")
    _swap(NEW, OLD)
