"""The migrated schema has the indexes the lists need, and no tenant_id index another one makes redundant."""
import pytest
from sqlalchemy import inspect

from app.core.extensions import db


def _keys(inspector, table: str) -> list[tuple[str, tuple[str, ...]]]:
    """(name, columns) of every index, unique constraint and primary key of a table, as migrated."""
    keys = [(ix["name"], tuple(ix["column_names"])) for ix in inspector.get_indexes(table)]
    keys += [(uq["name"], tuple(uq["column_names"])) for uq in inspector.get_unique_constraints(table)]
    pk = inspector.get_pk_constraint(table)
    keys.append((pk["name"] or "primary key", tuple(pk["constrained_columns"])))
    return keys


@pytest.fixture
def schema(app) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    with app.app_context():
        inspector = inspect(db.engine)
        return {t: _keys(inspector, t) for t in inspector.get_table_names() if t != "alembic_version"}


def _scoped() -> list[str]:
    """Every table that carries tenant_id."""
    return sorted(t.name for t in db.metadata.sorted_tables if "tenant_id" in t.c)


def test_no_tenant_table_keeps_a_lone_tenant_id_index_another_key_already_serves(schema):
    redundant = {}
    for table in _scoped():
        keys = schema[table]
        lone = [name for name, cols in keys if cols == ("tenant_id",)]
        led = [name for name, cols in keys if len(cols) > 1 and cols[0] == "tenant_id"]
        if lone and led:
            redundant[table] = (lone, led)
    assert redundant == {}


def test_every_tenant_table_has_a_key_led_by_tenant_id(schema):
    assert [t for t in _scoped() if not any(cols[0] == "tenant_id" for _, cols in schema[t])] == []


@pytest.mark.parametrize(("table", "columns"), [
    ("customers", ("tenant_id", "created_at")),  # the customer list, newest first
    ("pets", ("tenant_id", "name")),  # the pet list by name, and name-prefix search
    ("password_reset_tokens", ("tenant_id", "user_id")),  # spending a user's other tokens on reset
    ("audit_events", ("tenant_id", "created_at")),  # the audit trail, newest first
    ("audit_events", ("tenant_id", "resource_type", "resource_id", "created_at")),  # filtered by resource
    ("audit_events", ("tenant_id", "actor_id", "created_at")),  # filtered by actor
    ("audit_events", ("tenant_id", "action", "created_at")),  # filtered by action
    # "Stays touching first..last" tests the other date inside the index (tests/test_query_plans.py).
    ("reservations", ("tenant_id", "end_date", "start_date")),  # the boards and the list by dates
    ("reservations", ("tenant_id", "start_date", "end_date")),  # a list page sorted by arrival
])
def test_the_lists_have_their_index(schema, table, columns):
    assert columns in [cols for _, cols in schema[table]]
