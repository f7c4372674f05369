"""Signing in and out in a real browser: redirects, errors, tenant isolation, roles, keyboard use."""
import re

import pytest
from playwright.sync_api import expect

from app.models import Role
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _login_heading(page):
    return page.get_by_role("heading", level=1)


def test_sign_in_shows_errors_then_the_dashboard_then_signs_out(page, url, tenant_a, tenant_b):
    page.goto(url("/", tenant_a))
    expect(page).to_have_url(url("/login", tenant_a))
    expect(_login_heading(page)).to_have_text(f"Sign in to {tenant_a.name}")

    page.get_by_label("Email").fill(tenant_a.email(Role.ADMIN))
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Invalid email or password.")
    expect(page.get_by_label("Email")).to_have_value(tenant_a.email(Role.ADMIN))  # kept for a retry

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(url("/", tenant_a))
    expect(page.get_by_role("heading", level=1)).to_have_text(tenant_a.name)
    expect(page.locator("main")).not_to_contain_text(tenant_b.name)

    page.get_by_role("button", name=re.compile(r"^Sign out")).click()
    expect(page).to_have_url(url("/login", tenant_a))
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    page.goto(url("/", tenant_a))
    expect(page).to_have_url(url("/login", tenant_a))


def test_another_tenants_credentials_do_not_sign_in(page, url, tenant_a, tenant_b):
    page.goto(url("/login", tenant_a))
    page.get_by_label("Email").fill(tenant_b.email(Role.ADMIN))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("alert")).to_have_text("Invalid email or password.")
    expect(_login_heading(page)).to_have_text(f"Sign in to {tenant_a.name}")


def test_a_session_from_one_tenant_does_not_sign_in_on_another(page, url, sign_in, tenant_a, tenant_b):
    sign_in(tenant_a)

    page.goto(url("/", tenant_b))
    expect(page).to_have_url(url("/login", tenant_b))
    expect(_login_heading(page)).to_have_text(f"Sign in to {tenant_b.name}")

    # Even A's cookie replayed on B's host (e.g. a shared parent-domain cookie) signs nobody in.
    session = next(c for c in page.context.cookies(url("/", tenant_a)) if c["name"] == "session")
    page.context.add_cookies([{"name": "session", "value": session["value"], "url": url("/", tenant_b)}])
    with page.expect_request(url("/admin/users", tenant_b)) as replayed:
        page.goto(url("/admin/users", tenant_b))
    assert f"session={session['value']}" in replayed.value.all_headers().get("cookie", "")
    expect(page).to_have_url(re.compile(re.escape(url("/login", tenant_b)) + r"\?next="))
    expect(_login_heading(page)).to_have_text(f"Sign in to {tenant_b.name}")

    page.goto(url("/", tenant_a))  # and A's own session is untouched
    expect(page.get_by_role("heading", level=1)).to_have_text(tenant_a.name)


def test_staff_user_gets_the_forbidden_page_for_admin_pages(page, url, sign_in, tenant_a, tenant_b):
    sign_in(tenant_a, Role.STAFF)

    response = page.goto(url("/admin/users", tenant_a))

    assert response.status == 403
    expect(page.get_by_role("alert")).to_contain_text("403 · Forbidden")
    expect(page.get_by_role("alert")).to_contain_text("This needs the ADMIN role.")
    expect(page.locator("body")).not_to_contain_text("Traceback")
    expect(page.locator("main")).not_to_contain_text(tenant_a.email(Role.ADMIN))  # no user list leaked
    expect(page.get_by_role("link", name="Users")).to_have_count(0)  # and no admin links in the nav


def test_login_works_with_the_keyboard_alone(page, url, tenant_a):
    page.goto(url("/login", tenant_a))
    email, password = page.get_by_label("Email"), page.get_by_label("Password")
    sign_in_button = page.get_by_role("button", name="Sign in")

    expect(email).to_be_focused()  # autofocus
    page.keyboard.press("Shift+Tab")
    expect(email).not_to_be_focused()
    page.keyboard.press("Tab")
    expect(email).to_be_focused()
    page.keyboard.type(tenant_a.email(Role.ADMIN))
    page.keyboard.press("Tab")
    expect(password).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    expect(sign_in_button).to_be_focused()
    page.keyboard.press("Enter")

    expect(page).to_have_url(url("/", tenant_a))
    expect(page.get_by_role("heading", level=1)).to_have_text(tenant_a.name)
