"""Ways tenant A's code could reach tenant B's rows without going through ORM entity queries (issue 8.1).

Each attack runs inside A's tenant context and returns the tenant ids it read (or None). The ORM guard
must refuse every one (tests/test_tenancy.py); on PostgreSQL row-level security alone must stop those
that reach the database (tests/test_rls.py, with the ORM guard switched off).
"""
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select, text, true, update

from app.core.extensions import db
from app.models import Customer, CustomerTag, Kennel
from app.tenancy import tenant_context, unscoped
from tests.factories import give_every_scoped_model_rows


@dataclass
class World:
    """Two tenants with rows of every scoped model, and the ids the attacks aim at."""

    a: uuid.UUID
    b: uuid.UUID
    a_tenant: object
    b_customer: uuid.UUID
    b_kennel: uuid.UUID


def build_world(app, tenant_a, tenant_b) -> World:
    """Seed both tenants and look up B's targets (as operator code would)."""
    from app.models import Tenant

    give_every_scoped_model_rows(app, tenant_a)
    give_every_scoped_model_rows(app, tenant_b)
    with app.app_context(), unscoped():
        b_customer = db.session.execute(select(Customer.id).where(Customer.tenant_id == tenant_b.id)).scalar_one()
        b_kennel = db.session.execute(select(Kennel.id).where(Kennel.tenant_id == tenant_b.id)).scalar_one()
        a_tenant = db.session.get(Tenant, tenant_a.id)
        db.session.expunge(a_tenant)
    return World(a=tenant_a.id, b=tenant_b.id, a_tenant=a_tenant, b_customer=b_customer, b_kennel=b_kennel)


def _text_select(w):
    return db.session.execute(text("SELECT tenant_id FROM customers")).scalars().all()


def _text_count(w):
    """The issue's example: a raw count as A."""
    return db.session.execute(text("SELECT tenant_id, count(*) FROM customers GROUP BY tenant_id")).scalars().all()


def _text_update(w):
    db.session.execute(text("UPDATE customers SET notes = 'pwned'"))


def _core_select(w):
    return db.session.execute(select(Customer.__table__.c.tenant_id)).scalars().all()


def _core_table_joined_in_orm(w):
    customers = Customer.__table__
    rows = db.session.execute(select(Kennel.id, customers.c.tenant_id).join_from(Kennel, customers, true())).all()
    return [row.tenant_id for row in rows]


def _core_subquery_in_orm(w):
    customers = Customer.__table__
    other = select(customers.c.tenant_id).where(customers.c.tenant_id != w.a).limit(1).scalar_subquery()
    rows = db.session.execute(select(Kennel.id, other.label("other"))).all()
    return [row.other for row in rows if row.other is not None]


def _core_update(w):
    db.session.execute(update(Kennel.__table__).values(name="pwned"))


def _core_delete(w):
    db.session.execute(delete(CustomerTag.__table__))


def _insert_for_b(w):
    db.session.execute(insert(CustomerTag).values(tenant_id=w.b, customer_id=w.b_customer, tag="pwned"))


def _bulk_insert_for_b(w):
    db.session.execute(insert(Customer), [{"tenant_id": w.b, "first_name": "Pw", "last_name": "Ned", "notes": "pwned"}])


def _move_to_b(w):
    db.session.execute(update(Kennel).values(tenant_id=w.b))


def _delete_loaded_b_row(w):
    with unscoped():
        victim = db.session.get(Customer, w.b_customer)
    db.session.delete(victim)
    db.session.flush()


def _get_b_row_from_identity_map(w):
    with unscoped():
        held = db.session.get(Kennel, w.b_kennel)  # held, so it stays in the (weak) identity map
    found = db.session.get(Kennel, w.b_kennel)
    assert held is not None
    return [found.tenant_id] if found is not None else []


# name -> (attack, reaches the database: RLS can stop it; False = answered from the identity map)
ATTACKS: dict[str, tuple[Callable, bool]] = {
    "text select": (_text_select, True),
    "text count": (_text_count, True),
    "text update": (_text_update, True),
    "core select of table columns": (_core_select, True),
    "core table joined in an ORM statement": (_core_table_joined_in_orm, True),
    "core subquery inside an ORM statement": (_core_subquery_in_orm, True),
    "core update": (_core_update, True),
    "core delete": (_core_delete, True),
    "insert values for another tenant": (_insert_for_b, True),
    "bulk insert for another tenant": (_bulk_insert_for_b, True),
    "update moving a row to another tenant": (_move_to_b, True),
    "session.delete of another tenant's loaded row": (_delete_loaded_b_row, True),
    "session.get from the identity map": (_get_b_row_from_identity_map, False),
}


def as_tenant_a(w: World, attack: Callable):
    """Run one attack in A's context (the caller decides what counts as stopped)."""
    with tenant_context(w.a_tenant):
        return attack(w)


def assert_nothing_crossed(app, w: World, seen=None) -> None:
    """A read only A's rows, and B's rows (and which tenant owns each kennel) are as seeded."""
    assert {uuid.UUID(str(t)) for t in seen or []} <= {w.a}, f"A read another tenant's rows: {seen}"
    with app.app_context(), unscoped():
        def count(model, *where):
            return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()

        assert count(Customer, Customer.tenant_id == w.b) == 1
        assert count(Customer, Customer.tenant_id == w.b, Customer.notes == "pwned") == 0
        assert db.session.execute(select(CustomerTag.tag).where(CustomerTag.tenant_id == w.b)).scalars().all() == ["vip"]
        assert count(CustomerTag, CustomerTag.tag == "pwned") == 0
        assert count(Kennel, Kennel.tenant_id == w.b, Kennel.name == "pwned") == 0
        assert count(Kennel, Kennel.tenant_id == w.a) == 1 and count(Kennel, Kennel.tenant_id == w.b) == 1
