"""Users API: admins invite, change roles and deactivate; ETags stop silent overwrites."""
from app.models import Role


def test_admin_invites_a_user_who_is_emailed_a_link(app, client, tenant_a):
    r = client.post("/api/v1/users", headers=tenant_a.headers(), json={"email": "New@Alpha.Example", "name": "New"})
    assert r.status_code == 201, r.json
    assert r.json["email"] == "new@alpha.example" and r.json["role"] == "STAFF"
    from app.core.extensions import db
    from app.models import OutboxMessage
    from app.tenancy import unscoped

    with app.app_context(), unscoped():
        mails = db.session.execute(db.select(OutboxMessage)).scalars().all()
    assert [(m.recipient, m.tenant_id) for m in mails] == [("new@alpha.example", tenant_a.id)]
    assert "reset-password?token=" in mails[0].rendered_body()


def test_duplicate_email_is_409_within_a_tenant_but_fine_in_another(client, tenant_a, tenant_b):
    email = tenant_a.email(Role.STAFF)
    dup = client.post("/api/v1/users", headers=tenant_a.headers(), json={"email": email, "name": "Dup"})
    assert dup.status_code == 409 and "email" in dup.json["errors"]
    other = client.post("/api/v1/users", headers=tenant_b.headers(), json={"email": email, "name": "Same"})
    assert other.status_code == 201


def test_bad_input_names_the_field(client, tenant_a):
    r = client.post("/api/v1/users", headers=tenant_a.headers(), json={"email": "not-an-email", "name": "", "role": "GOD"})
    assert r.status_code == 422
    assert {"email", "name", "role"} <= set(r.json["errors"])


def test_update_needs_if_match_and_refuses_a_stale_one(client, tenant_a):
    path = f"/api/v1/users/{tenant_a.users[Role.STAFF]}"
    read = client.get(path, headers=tenant_a.headers())
    etag = read.headers["ETag"]
    assert client.patch(path, headers=tenant_a.headers(), json={"role": "MANAGER"}).status_code == 428
    ok = client.patch(path, headers=tenant_a.headers(**{"If-Match": etag}), json={"role": "MANAGER"})
    assert ok.status_code == 200 and ok.json["role"] == "MANAGER"
    stale = client.patch(path, headers=tenant_a.headers(**{"If-Match": etag}), json={"name": "Overwrite"})
    assert stale.status_code == 412


def _patch(client, fx, user_id, body):
    path = f"/api/v1/users/{user_id}"
    etag = client.get(path, headers=fx.headers()).headers["ETag"]
    return client.patch(path, headers=fx.headers(**{"If-Match": etag}), json=body)


def test_the_last_admin_cannot_be_demoted_or_deactivated(client, tenant_a):
    admin = tenant_a.users[Role.ADMIN]
    demote = _patch(client, tenant_a, admin, {"role": "STAFF"})
    assert demote.status_code == 422 and "role" in demote.json["errors"]
    deactivate = _patch(client, tenant_a, admin, {"active": False})
    assert deactivate.status_code == 422 and "active" in deactivate.json["errors"]
    # With a second admin, the first may step down.
    assert _patch(client, tenant_a, tenant_a.users[Role.MANAGER], {"role": "ADMIN"}).status_code == 200
    assert _patch(client, tenant_a, admin, {"role": "STAFF"}).status_code == 200


def test_staff_and_managers_cannot_manage_users(client, tenant_a):
    for role in (Role.STAFF, Role.MANAGER):
        assert client.get("/api/v1/users", headers=tenant_a.headers(role)).status_code == 403
        r = client.post("/api/v1/users", headers=tenant_a.headers(role), json={"email": "x@y.example", "name": "X"})
        assert r.status_code == 403


def test_role_change_is_audited_with_old_and_new(client, tenant_a):
    _patch(client, tenant_a, tenant_a.users[Role.STAFF], {"role": "MANAGER"})
    events = client.get("/api/v1/audit-events?action=user.role_changed", headers=tenant_a.headers()).json
    assert events[0]["changes"] == {"role": {"old": "STAFF", "new": "MANAGER"}}
    assert events[0]["actor_type"] == "api_key" and events[0]["resource_id"] == str(tenant_a.users[Role.STAFF])


def test_user_list_is_a_constant_number_of_queries(client, tenant_a, count_queries):
    client.get("/api/v1/me", headers=tenant_a.headers())  # warm the tenant cache and key last-used
    with count_queries() as few:
        client.get("/api/v1/users", headers=tenant_a.headers())
    for i in range(10):
        client.post("/api/v1/users", headers=tenant_a.headers(), json={"email": f"u{i}@alpha.example", "name": f"U{i}"})
    with count_queries() as many:
        assert len(client.get("/api/v1/users", headers=tenant_a.headers()).json) == 13
    assert few.count == many.count
