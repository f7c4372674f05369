"""Cache entries cannot outlive the truth: generation tokens, invalidation before and after commit."""
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.core import cache as cache_module
from app.core.cache import cached, invalidate

OPERATOR = {"Authorization": "Bearer test-operator-token"}


def _customer(client, fx, **fields):
    r = client.post("/api/v1/customers", headers=fx.headers(), json={"first_name": "Jane", "last_name": "Doe", **fields})
    assert r.status_code == 201, r.json
    return r.json


def test_a_worker_dying_between_commit_and_invalidation_leaves_nothing_stale(client, tenant_a, tenant_b):
    a = _customer(client, tenant_a, notes="before")
    b = _customer(client, tenant_b, notes="b")
    path = f"/api/v1/customers/{a['id']}"
    etag = client.get(path, headers=tenant_a.headers()).headers["ETag"]  # cached
    client.get(f"/api/v1/customers/{b['id']}", headers=tenant_b.headers())
    assert client.get("/api/v1/me", headers=tenant_a.headers()).status_code == 200  # tenant cached
    # Simulate the worker dying right after each commit: the after-commit invalidation never runs.
    event.remove(Session, "after_commit", cache_module._invalidate_after_commit)
    try:
        assert client.patch(path, headers=tenant_a.headers(**{"If-Match": etag}), json={"notes": "after"}).status_code == 200
        assert client.patch(f"/api/v1/platform/tenants/{tenant_a.subdomain}", json={"status": "PAUSED"},
                            headers=OPERATOR).status_code == 200
        assert client.get("/api/v1/me", headers=tenant_a.headers()).status_code == 403
    finally:
        event.listen(Session, "after_commit", cache_module._invalidate_after_commit)
    client.patch(f"/api/v1/platform/tenants/{tenant_a.subdomain}", json={"status": "ACTIVE"}, headers=OPERATOR)
    assert client.get(path, headers=tenant_a.headers()).json["notes"] == "after"
    assert client.get(f"/api/v1/customers/{b['id']}", headers=tenant_b.headers()).json["notes"] == "b"


def test_a_read_that_began_before_a_write_is_never_served(app, tenant_a, tenant_b):
    key_a, key_b = f"probe:{tenant_a.id}", f"probe:{tenant_b.id}"
    with app.app_context():
        assert cached(key_b, lambda: "b", timeout=60) == "b"

        def read_then_write_lands():
            value = "old"  # read from the database...
            invalidate(key_a)  # ...then a writer commits before this read stores its result
            return value

        assert cached(key_a, read_then_write_lands, timeout=60) == "old"
        assert cached(key_a, lambda: "new", timeout=60) == "new"  # the late "old" entry is not served
        assert cached(key_a, lambda: "newer", timeout=60) == "new"  # but a clean read is
        assert cached(key_b, lambda: "other", timeout=60) == "b"  # B's entry was never touched


def test_an_invalidation_inside_a_transaction_is_repeated_after_the_commit(app, tenant_a, tenant_b):
    from app.core.extensions import db
    from app.tenancy import tenant_free

    key = f"probe:{tenant_a.id}"
    with app.app_context():
        db.session.execute(tenant_free(db.text("SELECT 1")))  # a transaction is open
        invalidate(key)
        assert cached(key, lambda: "read before the commit", timeout=60) == "read before the commit"
        db.session.commit()
        assert cached(key, lambda: "after", timeout=60) == "after"
