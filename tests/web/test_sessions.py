"""Sessions end server-side: a copied cookie is worthless after sign-out, a password reset or change,
deactivation, or "sign out everywhere"."""
import re

from app.core.extensions import db
from app.models import OutboxMessage, Role
from app.tenancy import unscoped
from tests.conftest import PASSWORD, csrf_from, web_login


def _signed_in(client, fx) -> str:
    """Sign in (as the staff user) with a fresh browser; returns its session cookie."""
    assert web_login(client, fx, Role.STAFF).status_code == 302
    return client.get_cookie("session", domain=fx.host).value


def _replay(app, fx, cookie) -> bool:
    """Does a copy of cookie, in another browser, still sign anyone in?"""
    thief = app.test_client()
    thief.set_cookie("session", cookie, domain=fx.host)
    return thief.get("/account", base_url=fx.base_url).status_code == 200


def _post(client, fx, path, data=None):
    page = client.get("/account", base_url=fx.base_url).get_data(as_text=True)
    return client.post(path, base_url=fx.base_url, data={**(data or {}), "csrf_token": csrf_from(page)})


def test_a_cookie_is_replayable_while_its_session_lives(app, client, tenant_a):
    cookie = _signed_in(client, tenant_a)
    assert _replay(app, tenant_a, cookie)  # the premise of every test below


def test_signing_out_ends_that_session_but_not_the_users_others(app, client, tenant_a):
    cookie = _signed_in(client, tenant_a)
    other = app.test_client()
    other_cookie = _signed_in(other, tenant_a)
    _post(client, tenant_a, "/logout")
    assert not _replay(app, tenant_a, cookie)
    assert _replay(app, tenant_a, other_cookie)


def test_a_password_reset_ends_every_session_of_the_user(app, client, tenant_a, tenant_b):
    cookie = _signed_in(client, tenant_a)
    b_cookie = _signed_in(app.test_client(), tenant_b)
    browser = app.test_client()
    page = browser.get("/forgot-password", base_url=tenant_a.base_url).get_data(as_text=True)
    browser.post("/forgot-password", base_url=tenant_a.base_url,
                 data={"email": tenant_a.email(Role.STAFF), "csrf_token": csrf_from(page)})
    with app.app_context(), unscoped():
        mail = db.session.execute(db.select(OutboxMessage).where(OutboxMessage.tenant_id == tenant_a.id)).scalar_one()
        link = re.search(r"(/reset-password\?token=\S+)", mail.rendered_body()).group(1)
    page = browser.get(link, base_url=tenant_a.base_url).get_data(as_text=True)
    r = browser.post(link, base_url=tenant_a.base_url, data={"password": "a-brand-new-password",
                                                             "csrf_token": csrf_from(page)})
    assert r.status_code == 302
    assert not _replay(app, tenant_a, cookie)
    assert _replay(app, tenant_b, b_cookie)  # the same address on another tenant is another person


def test_a_password_change_ends_the_old_cookie_and_keeps_this_browser_signed_in(app, client, tenant_a):
    cookie = _signed_in(client, tenant_a)
    other_cookie = _signed_in(app.test_client(), tenant_a)
    r = _post(client, tenant_a, "/account/password", {"current_password": PASSWORD,
                                                       "new_password": "a-brand-new-password"})
    assert r.status_code == 303
    assert not _replay(app, tenant_a, cookie) and not _replay(app, tenant_a, other_cookie)
    assert client.get("/account", base_url=tenant_a.base_url).status_code == 200  # a fresh session here
    assert web_login(app.test_client(), tenant_a, Role.STAFF, "a-brand-new-password").status_code == 302


def test_a_password_change_needs_the_current_password(app, client, tenant_a):
    cookie = _signed_in(client, tenant_a)
    r = _post(client, tenant_a, "/account/password", {"current_password": "not-my-password",
                                                       "new_password": "a-brand-new-password"})
    assert r.status_code == 422 and "current_password" in r.get_data(as_text=True)
    short = _post(client, tenant_a, "/account/password", {"current_password": PASSWORD, "new_password": "short"})
    assert short.status_code == 422 and "at least 10 characters" in short.get_data(as_text=True)
    assert _replay(app, tenant_a, cookie)  # nothing changed, nothing ended


def test_deactivation_ends_every_session_for_good(app, client, tenant_a):
    cookie = _signed_in(client, tenant_a)
    path = f"/api/v1/users/{tenant_a.users[Role.STAFF]}"
    for active in (False, True):
        etag = client.get(path, headers=tenant_a.headers()).headers["ETag"]
        assert client.patch(path, headers=tenant_a.headers(**{"If-Match": etag}),
                            json={"active": active}).status_code == 200
        assert not _replay(app, tenant_a, cookie)  # reactivating does not revive the old session


def test_sign_out_everywhere_ends_every_session_of_the_user_only(app, client, tenant_a, tenant_b):
    cookie = _signed_in(client, tenant_a)
    other_cookie = _signed_in(app.test_client(), tenant_a)
    admin = app.test_client()
    web_login(admin, tenant_a, Role.ADMIN)
    admin_cookie = admin.get_cookie("session", domain=tenant_a.host).value
    b_cookie = _signed_in(app.test_client(), tenant_b)
    page = client.get("/account", base_url=tenant_a.base_url).get_data(as_text=True)
    assert "Sign out everywhere" in page
    r = _post(client, tenant_a, "/account/sign-out-everywhere")
    assert r.status_code == 303 and r.headers["Location"] == "/login"
    assert not _replay(app, tenant_a, cookie) and not _replay(app, tenant_a, other_cookie)
    assert _replay(app, tenant_a, admin_cookie) and _replay(app, tenant_b, b_cookie)
