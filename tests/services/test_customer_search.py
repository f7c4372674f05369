"""Forgiving search words, and the migration that rewrites existing customers' search text."""
import importlib.util
from pathlib import Path

from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import select

from app.core.extensions import db
from app.models import Customer, Tenant
from app.services.contact import search_terms, search_words
from app.services.customers import create_customer, list_customers
from app.services.pets import create_pet
from app.tenancy import tenant_context, unscoped

MIGRATION = Path(__file__).parents[2] / "migrations/versions/c4f1e2a9d7b3_forgiving_search_words.py"


def _migration():
    spec = importlib.util.spec_from_file_location("forgiving_search_words", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tenant(fx):
    with unscoped():
        return db.session.get(Tenant, fx.id)


def _run(step):
    # As migrations run (migrations/env.py): the owner, with the row-security bypass on.
    with db.engine.connect().execution_options(tailtown_owner=True) as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT set_config('app.bypass', 'on', true)")
        with Operations.context(MigrationContext.configure(conn)):
            step()
    db.session.expire_all()


def test_search_words_cover_the_spellings_a_clerk_may_type():
    assert search_words("O'Brien") == ["obrien", "o", "brien"]
    assert search_words("Müller") == ["muller", "mueller"]
    assert search_words("Zoë Smith-Jones") == ["zoe", "smithjones", "smith", "jones"]
    assert search_terms("O’Brien  MUELLER jane@example.com -") == ["obrien", "mueller", "jane@example.com"]


def test_the_migration_rewrites_existing_search_text_in_every_tenant(app, tenant_a, tenant_b):
    module = _migration()
    with app.app_context():
        with tenant_context(_tenant(tenant_a)):
            a = create_customer(first_name="Seán", last_name="O'Brien", phone="5551234567", email="s@x.example")
            create_pet(customer_id=a.id, name="Jürgen", species="DOG")
        with tenant_context(_tenant(tenant_b)):
            create_customer(first_name="Uli", last_name="Müller")
        _run(module.downgrade)  # existing rows as the previous release wrote them
        with tenant_context(_tenant(tenant_a)):
            assert list_customers(page=1, page_size=10, q="obrien")[1] == 0
        _run(module.upgrade)
        with tenant_context(_tenant(tenant_a)):
            found, _ = list_customers(page=1, page_size=10, q="obrien juergen")
            assert [c.last_name for c in found] == ["O'Brien"]
            assert list_customers(page=1, page_size=10, q="mueller")[1] == 0
            assert db.session.execute(select(Customer.search_text)).scalar_one() == \
                " sean obrien o brien jurgen juergen s@x.example 15551234567 "
        with tenant_context(_tenant(tenant_b)):
            assert [c.first_name for c in list_customers(page=1, page_size=10, q="mueller")[0]] == ["Uli"]
            assert list_customers(page=1, page_size=10, q="obrien")[1] == 0
