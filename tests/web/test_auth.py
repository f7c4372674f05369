"""Sign-in, throttling, sessions, CSRF and password reset on the web pages."""
import re
from datetime import timedelta

from app.core.extensions import db
from app.models import OutboxMessage, PasswordResetToken, Role
from app.models.base import utcnow
from app.tenancy import unscoped
from tests.conftest import PASSWORD, csrf_from, web_login


def _login_form(client, fx, email, password):
    page = client.get("/login", base_url=fx.base_url)
    return client.post("/login", base_url=fx.base_url, data={
        "email": email, "password": password, "csrf_token": csrf_from(page.get_data(as_text=True))})


def test_signing_in_lands_on_the_resorts_start_page(client, tenant_a):
    r = web_login(client, tenant_a)
    assert r.status_code == 302 and r.headers["Location"] == "/"
    home = client.get("/", base_url=tenant_a.base_url).get_data(as_text=True)
    assert tenant_a.name in home and "Admin alpha-paws" in home


def test_pages_need_a_signed_in_user(client, tenant_a):
    r = client.get("/admin/users", base_url=tenant_a.base_url)
    assert r.status_code == 302 and r.headers["Location"].startswith("/login?next=/admin/users")
    hx = client.get("/admin/users", base_url=tenant_a.base_url, headers={"HX-Request": "true"})
    assert hx.status_code == 401 and hx.headers["HX-Redirect"].startswith("/login")


def test_wrong_password_and_unknown_email_get_the_same_answer(client, tenant_a):
    wrong = _login_form(client, tenant_a, tenant_a.email(Role.ADMIN), "nope-nope-nope")
    unknown = _login_form(client, tenant_a, "ghost@alpha.example", "nope-nope-nope")
    assert wrong.status_code == unknown.status_code == 401
    assert "Invalid email or password." in wrong.get_data(as_text=True)
    assert "Invalid email or password." in unknown.get_data(as_text=True)


def test_an_account_is_locked_after_five_failures_even_for_the_right_password(client, tenant_a, tenant_b):
    for _ in range(5):
        assert _login_form(client, tenant_a, tenant_a.email(Role.STAFF), "wrong-password").status_code == 401
    locked = _login_form(client, tenant_a, tenant_a.email(Role.STAFF), PASSWORD)
    assert locked.status_code == 429 and "Too many sign-in attempts" in locked.get_data(as_text=True)
    # The same address on another tenant is another account, and is not locked.
    assert _login_form(client, tenant_b, tenant_b.email(Role.STAFF), PASSWORD).status_code == 302


def test_an_unknown_email_locks_the_same_way(client, tenant_a):
    for _ in range(5):
        _login_form(client, tenant_a, "ghost@alpha.example", "wrong-password")
    assert _login_form(client, tenant_a, "ghost@alpha.example", "wrong-password").status_code == 429


def test_a_lockout_is_audited(client, tenant_a):
    for _ in range(6):
        _login_form(client, tenant_a, tenant_a.email(Role.STAFF), "wrong-password")
    events = client.get("/api/v1/audit-events?action=auth.lockout", headers=tenant_a.headers()).json
    assert events and events[0]["resource_id"] == str(tenant_a.users[Role.STAFF])
    failed = client.get("/api/v1/audit-events?action=auth.login_failed", headers=tenant_a.headers()).json
    assert len(failed) == 5


def test_one_ip_is_throttled_across_accounts(client, tenant_a):
    for i in range(20):
        _login_form(client, tenant_a, f"guess{i}@alpha.example", "wrong-password")
    assert _login_form(client, tenant_a, tenant_a.email(Role.ADMIN), PASSWORD).status_code == 429


def test_the_session_is_renewed_at_sign_in(client, tenant_a):
    client.get("/login", base_url=tenant_a.base_url)
    with client.session_transaction(base_url=tenant_a.base_url) as session:
        session["planted"] = "by-an-attacker"
    before = client.get_cookie("session", domain=tenant_a.host).value
    web_login(client, tenant_a)
    after = client.get_cookie("session", domain=tenant_a.host)
    assert after.value != before and after.http_only and after.same_site == "Lax"
    with client.session_transaction(base_url=tenant_a.base_url) as session:
        assert "planted" not in session and session["tenant_id"] == str(tenant_a.id)


def test_a_cookie_from_one_tenant_does_not_sign_in_on_another(client, tenant_a, tenant_b):
    web_login(client, tenant_a)
    cookie = client.get_cookie("session", domain=tenant_a.host).value
    client.set_cookie("session", cookie, domain=tenant_b.host)
    r = client.get("/admin/users", base_url=tenant_b.base_url)
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_a_deactivated_user_cannot_sign_in(client, tenant_a):
    path = f"/api/v1/users/{tenant_a.users[Role.STAFF]}"
    etag = client.get(path, headers=tenant_a.headers()).headers["ETag"]
    client.patch(path, headers=tenant_a.headers(**{"If-Match": etag}), json={"active": False})
    assert web_login(client, tenant_a, Role.STAFF).status_code == 401


def test_state_changes_without_a_csrf_token_are_refused(client, tenant_a):
    no_token = client.post("/login", base_url=tenant_a.base_url,
                           data={"email": tenant_a.email(Role.ADMIN), "password": PASSWORD})
    assert no_token.status_code == 400
    web_login(client, tenant_a)
    r = client.post("/admin/api-keys", base_url=tenant_a.base_url, data={"name": "x"}, headers={"HX-Request": "true"})
    assert r.status_code == 400 and "CSRF" in r.get_data(as_text=True)


def test_signing_out_ends_the_session(client, tenant_a):
    web_login(client, tenant_a)
    page = client.get("/", base_url=tenant_a.base_url).get_data(as_text=True)
    client.post("/logout", base_url=tenant_a.base_url, data={"csrf_token": csrf_from(page)})
    assert client.get("/", base_url=tenant_a.base_url).status_code == 302


def _request_reset(client, fx, email):
    page = client.get("/forgot-password", base_url=fx.base_url)
    return client.post("/forgot-password", base_url=fx.base_url,
                       data={"email": email, "csrf_token": csrf_from(page.get_data(as_text=True))})


def _reset_link(app, fx) -> str:
    with app.app_context(), unscoped():
        mail = db.session.execute(db.select(OutboxMessage).where(OutboxMessage.tenant_id == fx.id)
                                  .order_by(OutboxMessage.created_at.desc())).scalars().first()
    return re.search(r"(/reset-password\?token=\S+)", mail.rendered_body()).group(1)


def _use_link(client, fx, link, password):
    page = client.get(link, base_url=fx.base_url)
    return client.post(link, base_url=fx.base_url,
                       data={"password": password, "csrf_token": csrf_from(page.get_data(as_text=True))})


def test_password_reset_works_once_and_the_token_never_reaches_the_logs(app, client, tenant_a, captured_logs):
    r = _request_reset(client, tenant_a, tenant_a.email(Role.STAFF))
    assert r.status_code == 302
    link = _reset_link(app, tenant_a)
    token = link.split("token=")[1]
    assert _use_link(client, tenant_a, link, "a-brand-new-password").status_code == 302
    assert web_login(client, tenant_a, Role.STAFF, "a-brand-new-password").status_code == 302
    again = _use_link(client, tenant_a, link, "another-new-password")
    assert again.status_code == 422 and "invalid or has expired" in again.get_data(as_text=True)
    assert token not in "\n".join(captured_logs)
    with app.app_context(), unscoped():
        stored = db.session.execute(db.select(PasswordResetToken.token_hash)).scalars().all()
    assert token not in stored


def test_an_expired_reset_token_is_refused_and_the_password_is_unchanged(app, client, tenant_a, tenant_b):
    _request_reset(client, tenant_a, tenant_a.email(Role.STAFF))
    link = _reset_link(app, tenant_a)
    with app.app_context(), unscoped():
        db.session.execute(db.update(PasswordResetToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    refused = _use_link(client, tenant_a, link, "a-brand-new-password")
    assert refused.status_code == 422 and "invalid or has expired" in refused.get_data(as_text=True)
    assert web_login(client, tenant_a, Role.STAFF, "a-brand-new-password").status_code != 302
    assert web_login(client, tenant_a, Role.STAFF).status_code == 302  # the old password still signs in
    assert web_login(client, tenant_b, Role.STAFF).status_code == 302  # and nothing touched the other tenant


def test_reset_for_an_unknown_email_says_the_same_and_sends_nothing(app, client, tenant_a):
    r = _request_reset(client, tenant_a, "ghost@alpha.example")
    assert r.status_code == 302
    flashed = client.get("/login", base_url=tenant_a.base_url).get_data(as_text=True)
    assert "If that address has an account" in flashed
    with app.app_context(), unscoped():
        assert db.session.execute(db.select(OutboxMessage)).first() is None


def test_a_reset_token_from_one_tenant_is_useless_on_another(app, client, tenant_a, tenant_b):
    _request_reset(client, tenant_a, tenant_a.email(Role.STAFF))
    link = _reset_link(app, tenant_a)
    assert _use_link(client, tenant_b, link, "a-brand-new-password").status_code == 422


def test_an_expired_session_under_an_htmx_action_is_sent_to_sign_in(client, tenant_a):
    r = client.post(f"/admin/users/{tenant_a.users[Role.STAFF]}", base_url=tenant_a.base_url, data={"role": "ADMIN"},
                    headers={"HX-Request": "true", "HX-Current-URL": f"{tenant_a.base_url}/admin/users"})
    assert r.status_code == 401 and r.headers["HX-Redirect"] == "/login?next=/admin/users"


def test_htmx_errors_go_to_the_notice_area_not_the_target(client, tenant_a):
    web_login(client, tenant_a, Role.STAFF)
    page = client.get("/", base_url=tenant_a.base_url).get_data(as_text=True)
    r = client.get("/admin/users", base_url=tenant_a.base_url,
                   headers={"HX-Request": "true", "X-CSRFToken": csrf_from(page)})
    assert r.status_code == 403 and r.headers["HX-Retarget"] == "#notices"


def test_the_sign_in_page_is_also_under_the_web_limits(app, client, tenant_a):
    allowed = int(app.config["ANONYMOUS_WEB_RATE_LIMIT"].split()[0])
    statuses = {client.get("/login", base_url=tenant_a.base_url).status_code for _ in range(allowed)}
    assert statuses == {200}
    assert client.get("/login", base_url=tenant_a.base_url).status_code == 429
