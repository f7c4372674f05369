"""weights in kilograms: pets.weight_lbs becomes pets.weight_kg; tenants.weight_unit (kg or lb, default lb)

Revision ID: f3b8c2d1a9e4
Revises: a6d4e2f8c1b3
Create Date: 2026-12-03 09:00:00

Existing weights were typed in pounds by US resorts, so every existing tenant gets weight_unit 'lb'
and sees the same figures (to 0.1 lb) after the upgrade. Rows are converted in Python with exact
decimals (lb x 0.45359237, rounded half-even to 0.01 kg): PostgreSQL's round() rounds halves away
from zero and SQLite would multiply floats. A weight under 0.0111 lb rounds to 0.00 kg, which the
range forbids; it is kept as 0.01 kg, the smallest weight the column holds. The range keeps its
meaning: below 1000 lb is below 453.59237 kg.

The downgrade converts back to pounds (kg / 0.45359237, half-even to 0.01 lb). 0.01 kg is 0.022 lb,
so a pound figure can come back 0.01 lb off the one first typed.

SQLite: the column is renamed in place (RENAME COLUMN rewrites the CHECK's column name too) and the
CHECK's bound is rewritten in the stored schema, the procedure SQLite documents for changing a
constraint that does not touch stored rows (https://sqlite.org/lang_altertable.html, section 7).
Rebuilding the table instead would drop it with foreign keys on, cascading to vaccinations.
"""
from decimal import ROUND_HALF_EVEN, Decimal

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f3b8c2d1a9e4'
down_revision = "a6d4e2f8c1b3"
branch_labels = None
depends_on = None

LB_IN_KG = Decimal("0.45359237")
CENT = Decimal("0.01")
LB_RANGE = "weight_lbs IS NULL OR (weight_lbs > 0 AND weight_lbs < 1000)"
KG_RANGE = "weight_kg IS NULL OR (weight_kg > 0 AND weight_kg < 453.59237)"
UNIT_KNOWN = "weight_unit IN ('kg', 'lb')"


def _to_kg(lbs):
    return max(CENT, (lbs * LB_IN_KG).quantize(CENT, rounding=ROUND_HALF_EVEN))


def _to_lb(kg):
    return max(CENT, (kg / LB_IN_KG).quantize(CENT, rounding=ROUND_HALF_EVEN))


def _convert(column, convert):
    """Rewrite every pet's weight in `column` with `convert`, exactly, in every tenant."""
    pets = sa.table("pets", sa.column("id", sa.Uuid), sa.column(column, sa.Numeric(6, 2)))
    conn = op.get_bind()
    rows = conn.execute(sa.select(pets.c.id, pets.c[column]).where(pets.c[column].isnot(None))).all()
    if rows:
        conn.execute(pets.update().where(pets.c.id == sa.bindparam("pet_id")).values({column: sa.bindparam("w")}),
                     [{"pet_id": pet_id, "w": convert(Decimal(value))} for pet_id, value in rows])


def _sqlite_replace_in_schema(table, old, new):
    """Edit a CHECK in SQLite's stored CREATE TABLE text (stored rows are not touched)."""
    conn = op.get_bind()
    sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).scalar()
    if old not in sql:
        raise RuntimeError(f"{table}: expected {old!r} in its schema")
    version = conn.exec_driver_sql("PRAGMA schema_version").scalar()
    conn.exec_driver_sql("PRAGMA writable_schema = ON")
    conn.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
                         (sql.replace(old, new), table))
    conn.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    conn.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("ALTER TABLE tenants ADD COLUMN weight_unit VARCHAR(2) DEFAULT 'lb' NOT NULL "
                   f"CONSTRAINT ck_tenants_weight_unit_known CHECK ({UNIT_KNOWN})")
        op.execute("ALTER TABLE pets RENAME COLUMN weight_lbs TO weight_kg")
        _convert("weight_kg", _to_kg)
        _sqlite_replace_in_schema("pets", "weight_kg < 1000)", "weight_kg < 453.59237)")
        return
    op.add_column("tenants", sa.Column("weight_unit", sa.String(length=2), server_default="lb", nullable=False))
    op.create_check_constraint(op.f("ck_tenants_weight_unit_known"), "tenants", UNIT_KNOWN)
    op.drop_constraint(op.f("ck_pets_weight_range"), "pets", type_="check")
    op.alter_column("pets", "weight_lbs", new_column_name="weight_kg")
    _convert("weight_kg", _to_kg)
    op.create_check_constraint(op.f("ck_pets_weight_range"), "pets", KG_RANGE)


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        _sqlite_replace_in_schema("pets", "weight_kg < 453.59237)", "weight_kg < 1000)")
        _convert("weight_kg", _to_lb)
        op.execute("ALTER TABLE pets RENAME COLUMN weight_kg TO weight_lbs")
        op.execute("ALTER TABLE tenants DROP COLUMN weight_unit")
        return
    op.drop_constraint(op.f("ck_pets_weight_range"), "pets", type_="check")
    _convert("weight_kg", _to_lb)
    op.alter_column("pets", "weight_kg", new_column_name="weight_lbs")
    op.create_check_constraint(op.f("ck_pets_weight_range"), "pets", LB_RANGE)
    op.drop_constraint(op.f("ck_tenants_weight_unit_known"), "tenants", type_="check")
    op.drop_column("tenants", "weight_unit")
