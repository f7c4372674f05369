"""Automatic tenant scoping, tenant resolution and its cache, paused tenants."""
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.core.extensions import db
from app.models import PasswordResetToken, Role, Tenant, TenantScoped, User
from app.models.base import utcnow
from app.services import accounts
from app.tenancy import TenantScopeError, tenant_context, unscoped
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


def test_bulk_update_and_delete_are_scoped(app, tenant_a, tenant_b):
    with app.app_context(), tenant_context(_tenant(app, tenant_b)):
        db.session.execute(db.update(User).values(name="renamed"))
        db.session.execute(db.delete(PasswordResetToken))
        db.session.commit()
    with app.app_context(), tenant_context(_tenant(app, tenant_a)):
        names = db.session.execute(select(User.name)).scalars().all()
    assert "renamed" not in names


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
