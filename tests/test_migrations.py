"""The schema comes from the migrations, and the models never drift from them."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.core.extensions import db


@pytest.mark.postgres
def test_models_and_migrations_do_not_drift(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_every_model_table_exists_after_upgrade(app):
    from sqlalchemy import inspect

    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
    assert {t.name for t in db.metadata.sorted_tables} <= tables
