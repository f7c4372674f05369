"""Automatic tenant scoping, tenant resolution and its cache, paused tenants."""
import uuid

import pytest
from sqlalchemy import event, func, insert, select, text, update
from sqlalchemy.engine.interfaces import CacheStats
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.core.extensions import db
from app.models import (
    AddOnService,
    Customer,
    CustomerTag,
    Kennel,
    PasswordResetToken,
    PriceRuleService,
    Role,
    Tenant,
    TenantScoped,
    User,
    UserSession,
)
from app.models.base import utcnow
from app.services import accounts
from app.tenancy import TenantScopeError, tenant_context, tenant_free, unscoped
from tests.attacks import ATTACKS, as_tenant_a, assert_nothing_crossed
from tests.factories import give_every_scoped_model_rows


def _tenant(app, fx) -> Tenant:
    with unscoped():
        return db.session.get(Tenant, fx.id)


def test_a_scoped_query_without_a_tenant_raises(app, tenant_a):
    with app.app_context(), pytest.raises(TenantScopeError):
        db.session.execute(select(User)).all()


def test_a_scoped_count_without_a_tenant_raises(app, tenant_a):
    with app.app_context(), pytest.raises(TenantScopeError):
        db.session.execute(select(func.count()).select_from(User)).scalar_one()


def test_queries_only_see_the_current_tenant(app, tenant_a, tenant_b):
    with app.app_context(), tenant_context(_tenant(app, tenant_a)):
        emails = db.session.execute(select(User.email)).scalars().all()
    assert sorted(emails) == sorted(tenant_a.email(r) for r in Role)


def test_counts_and_subqueries_only_see_the_current_tenant(app, tenant_a, tenant_b):
    with app.app_context(), tenant_context(_tenant(app, tenant_a)):
        count = db.session.execute(select(func.count()).select_from(User)).scalar_one()
        sub = db.session.execute(select(func.count()).select_from(select(User.id).subquery())).scalar_one()
    assert count == sub == len(Role)


def test_get_by_another_tenants_id_finds_nothing(app, tenant_a, tenant_b):
    with app.app_context(), tenant_context(_tenant(app, tenant_b)):
        found = db.session.execute(select(User).where(User.id == tenant_a.users[Role.ADMIN])).scalar_one_or_none()
    assert found is None


def _counts(app, fx, models) -> dict:
    with app.app_context(), unscoped():
        return {m.__name__: db.session.execute(select(func.count()).select_from(m).where(m.tenant_id == fx.id))
                .scalar_one() for m in models}


def test_bulk_update_and_delete_are_scoped(app, tenant_a, tenant_b):
    """A's bulk statements change all of A's rows and none of B's, which exist."""
    give_every_scoped_model_rows(app, tenant_a)
    give_every_scoped_model_rows(app, tenant_b)
    # Synced tables (vaccinations ...) refuse bulk deletes, which would leave no tombstone (app/models/deletions.py).
    deleted = [PasswordResetToken, CustomerTag, UserSession, AddOnService, PriceRuleService]
    b_before = _counts(app, tenant_b, deleted)
    assert all(b_before.values()), b_before
    with app.app_context(), tenant_context(_tenant(app, tenant_a)):
        assert db.session.execute(db.update(User).values(name="renamed")).rowcount == len(Role)
        assert db.session.execute(db.update(Kennel).values(name="renamed")).rowcount == 1
        for model in deleted:
            db.session.execute(db.delete(model))
        db.session.commit()
    assert not any(_counts(app, tenant_a, deleted).values())
    assert _counts(app, tenant_b, deleted) == b_before
    with app.app_context(), unscoped():
        b_names = db.session.execute(select(User.name).where(User.tenant_id == tenant_b.id)).scalars().all()
        b_kennels = db.session.execute(select(Kennel.name).where(Kennel.tenant_id == tenant_b.id)).scalars().all()
    assert len(b_names) == len(Role) and "renamed" not in b_names
    assert b_kennels and "renamed" not in b_kennels


def test_inserts_are_stamped_with_the_current_tenant(app, tenant_a):
    with app.app_context(), tenant_context(_tenant(app, tenant_a)):
        user = User(email="new@alpha.example", name="New", role=Role.STAFF)
        db.session.add(user)
        db.session.commit()
        assert user.tenant_id == tenant_a.id


def test_an_insert_for_another_tenant_is_refused(app, tenant_a, tenant_b):
    with app.app_context(), tenant_context(_tenant(app, tenant_a)):
        db.session.add(User(email="x@x.example", name="X", tenant_id=tenant_b.id))
        with pytest.raises(TenantScopeError):
            db.session.flush()
        db.session.rollback()


def test_moving_a_row_to_another_tenant_is_refused(app, tenant_a, tenant_b):
    with app.app_context(), tenant_context(_tenant(app, tenant_a)):
        user = accounts.get_user(user_id=tenant_a.users[Role.STAFF])
        user.tenant_id = tenant_b.id
        with pytest.raises(TenantScopeError):
            db.session.flush()
        db.session.rollback()


def test_the_database_refuses_a_reference_to_another_tenants_row(app, tenant_a, tenant_b):
    # Even with the Python guard bypassed, the composite foreign key stops the write.
    with app.app_context(), unscoped():
        db.session.add(PasswordResetToken(tenant_id=tenant_b.id, user_id=tenant_a.users[Role.ADMIN],
                                          token_hash="f" * 64, expires_at=utcnow()))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_every_scoped_model_is_isolated(app, tenant_a, tenant_b):
    """Each tenant-scoped table has rows for A, and B's queries never return them."""
    give_every_scoped_model_rows(app, tenant_a)
    models = [m.class_ for m in db.Model.registry.mappers if issubclass(m.class_, TenantScoped)]
    assert models
    with app.app_context():
        for model in models:
            with unscoped():
                a_rows = db.session.execute(select(func.count()).select_from(model)
                                            .where(model.tenant_id == tenant_a.id)).scalar_one()
            assert a_rows > 0, f"register a row maker in tests/factories.py giving A a {model.__name__} row"
            with tenant_context(_tenant(app, tenant_b)):
                tenants_seen = set(db.session.execute(select(model.tenant_id)).scalars())
            assert tenants_seen <= {tenant_b.id}, model.__name__


def test_host_subdomain_selects_the_tenant(client, tenant_a):
    r = client.get("/login", headers={"Host": f"{tenant_a.subdomain}.localhost:5000"})
    assert r.status_code == 200
    assert tenant_a.name in r.get_data(as_text=True)


def test_unknown_tenant_is_404(client):
    assert client.get("/api/v1/me", headers={"X-Tenant": "nobody"}).status_code == 404
    assert client.get("/login", base_url="http://nobody.localhost").status_code == 404


def test_a_warm_request_resolves_its_tenant_without_sql(client, tenant_a, count_queries):
    client.get("/login", base_url=tenant_a.base_url)  # warms the cache
    with count_queries() as counter:
        r = client.get("/login", base_url=tenant_a.base_url)
    assert r.status_code == 200
    assert counter.count == 0, counter.statements


def _pause(client, fx, status="PAUSED"):
    r = client.patch(f"/api/v1/platform/tenants/{fx.subdomain}", json={"status": status},
                     headers={"Authorization": "Bearer test-operator-token"})
    assert r.status_code == 200, r.json


def test_pausing_refuses_the_next_api_and_web_request_on_a_warm_cache(client, tenant_a, tenant_b):
    assert client.get("/api/v1/me", headers=tenant_a.headers()).status_code == 200
    assert client.get("/login", base_url=tenant_a.base_url).status_code == 200
    _pause(client, tenant_a)
    api = client.get("/api/v1/me", headers=tenant_a.headers())
    assert api.status_code == 403 and "paused" in api.json["message"]
    web = client.get("/login", base_url=tenant_a.base_url)
    assert web.status_code == 403 and "paused" in web.get_data(as_text=True) and web.mimetype == "text/html"
    assert client.get("/api/v1/me", headers=tenant_b.headers()).status_code == 200
    _pause(client, tenant_a, "ACTIVE")
    assert client.get("/api/v1/me", headers=tenant_a.headers()).status_code == 200


# --- the ORM guard refuses what its criteria cannot scope (issue 8.1; SQLite has nothing else) --------


@pytest.fixture
def world(app, tenant_a, tenant_b):
    from tests.attacks import build_world

    return build_world(app, tenant_a, tenant_b)


@pytest.mark.parametrize("name", list(ATTACKS))
def test_the_orm_guard_refuses_each_way_around_the_criteria(app, world, name):
    attack, _reaches_db = ATTACKS[name]
    seen = None
    with app.app_context():
        try:
            seen = as_tenant_a(world, attack)
        except TenantScopeError:
            pass
        else:
            assert name == "session.get from the identity map", f"{name} was not refused"
            assert seen == []
        db.session.rollback()
    assert_nothing_crossed(app, world, seen)


def test_text_and_core_statements_with_no_tenant_are_refused(app, world):
    with app.app_context():
        for statement in (text("SELECT 1 FROM customers"), select(Customer.__table__.c.id)):
            with pytest.raises(TenantScopeError):
                db.session.execute(statement)


def test_a_text_statement_marked_tenant_free_runs(app, world):
    with app.app_context(), tenant_context(world.a_tenant):
        assert db.session.execute(tenant_free(text("SELECT 1"))).scalar_one() == 1
        with pytest.raises(TenantScopeError):
            db.session.execute(text("SELECT 1"))  # unmarked text is refused even when harmless


def test_operator_code_may_run_text_and_core_statements_unscoped(app, world):
    with app.app_context(), unscoped():
        tenants = set(db.session.execute(text("SELECT tenant_id FROM customers")).scalars())
        core = set(db.session.execute(select(Customer.__table__.c.tenant_id)).scalars())
    assert {uuid.UUID(str(t)) for t in tenants} == core == {world.a, world.b}


def test_inserts_without_a_tenant_id_are_stamped_with_the_current_tenant(app, world):
    with app.app_context(), tenant_context(world.a_tenant):
        a_customer = db.session.execute(select(Customer.id)).scalar_one()
        db.session.execute(insert(CustomerTag).values(customer_id=a_customer, tag="stamped"))
        db.session.execute(insert(Customer), [{"first_name": "Bulk", "last_name": "One"},
                                              {"first_name": "Bulk", "last_name": "Two", "tenant_id": world.a}])
        db.session.commit()
    with app.app_context(), unscoped():
        assert db.session.execute(select(CustomerTag.tenant_id).where(CustomerTag.tag == "stamped")).scalar_one() == world.a
        owners = db.session.execute(select(Customer.tenant_id).where(Customer.first_name == "Bulk")).scalars().all()
    assert owners == [world.a, world.a]


def test_an_update_may_not_set_tenant_id_even_to_the_current_tenant(app, world):
    with app.app_context(), tenant_context(world.a_tenant), pytest.raises(TenantScopeError):
        db.session.execute(update(Kennel).values(tenant_id=world.a))


def test_a_bulk_update_by_primary_key_cannot_reach_another_tenants_row(app, world):
    with app.app_context(), tenant_context(world.a_tenant):
        try:
            db.session.execute(update(Customer), [{"id": world.b_customer, "notes": "pwned"}])
            db.session.commit()
        except (TenantScopeError, StaleDataError):
            db.session.rollback()
    assert_nothing_crossed(app, world)


def test_another_tenants_row_in_the_identity_map_is_not_returned_and_its_own_still_is(app, world):
    with app.app_context():
        with unscoped():
            b_kennel = db.session.get(Kennel, world.b_kennel)
        with tenant_context(world.a_tenant):
            assert db.session.get(Kennel, world.b_kennel) is None
            a_kennel = db.session.execute(select(Kennel)).scalar_one()
            assert db.session.get(Kennel, a_kennel.id) is a_kennel
        assert b_kennel.tenant_id == world.b  # operator code still holds it


def test_tenants_share_one_compiled_statement_with_the_tenant_as_a_bound_parameter(app, tenant_a, tenant_b):
    """The scoping hook's criteria must not be baked into the SQL: then every tenant would compile its own copy."""
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "FROM customers" in statement:
            seen.append((context.compiled, context.cache_hit, str(parameters)))

    with app.app_context():
        event.listen(db.engine, "after_cursor_execute", record)
        try:
            for fx in (tenant_a, tenant_b):
                with tenant_context(_tenant(app, fx)):
                    db.session.execute(select(Customer).where(Customer.last_name == "Nobody")).all()
        finally:
            event.remove(db.engine, "after_cursor_execute", record)
    (compiled_a, _, params_a), (compiled_b, hit_b, params_b) = seen
    assert compiled_b is compiled_a and hit_b is CacheStats.CACHE_HIT
    assert tenant_a.id.hex in params_a.replace("-", "") and tenant_b.id.hex in params_b.replace("-", "")
    assert tenant_a.id.hex not in params_b.replace("-", "")
