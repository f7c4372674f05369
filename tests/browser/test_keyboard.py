"""Keyboard and errors in a real browser: the skip link, focus after an in-place Edit, and a failed submit
moving focus to the first invalid field, marked aria-invalid, described by its error and read out."""
import re

import pytest
from playwright.sync_api import expect

from app.models import Role

pytestmark = pytest.mark.browser


def _customer(client, fx, **fields):
    body = {"first_name": "Jane", "last_name": "Doe", "phone": "5551234567", **fields}
    return client.post("/api/v1/customers", headers=fx.headers(), json=body).json


def test_the_first_tab_reaches_the_skip_link_which_jumps_to_the_page_content(page, url, sign_in, tenant_a):
    sign_in(tenant_a, Role.ADMIN)
    page.goto(url("/kennels/board", tenant_a))
    page.locator("body").focus()
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    page.keyboard.press("Tab")  # the next stop is inside the page, not the nav
    assert page.evaluate("document.getElementById('main').contains(document.activeElement)")


def test_edit_on_a_household_puts_focus_in_the_form_and_cancel_brings_it_back(page, url, sign_in, client,
                                                                               tenant_a, tenant_b):
    jane = _customer(client, tenant_a, email="jane.with.a.rather.long.address@example-pet-resort.com")
    _customer(client, tenant_b, first_name="Janet")
    sign_in(tenant_a, Role.STAFF)
    page.goto(url(f"/customers/{jane['id']}", tenant_a))
    page.locator("#contact").get_by_role("button", name="Edit").click()
    expect(page.get_by_label("First name")).to_be_focused()
    email = page.get_by_label("Email")
    # The whole address is visible in its box (not cut off by a narrow column).
    assert email.evaluate("el => el.scrollWidth <= el.clientWidth"), email.evaluate("el => [el.scrollWidth, el.clientWidth, el.closest('section').clientWidth]")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Last name")).to_be_focused()
    page.locator("#contact").get_by_role("button", name="Cancel").click()
    expect(page.locator("#contact").get_by_role("button", name="Edit")).to_be_focused()


def test_a_failed_submit_focuses_the_first_invalid_field_and_announces_the_errors(page, url, sign_in, client,
                                                                                 tenant_a, tenant_b):
    sign_in(tenant_a, Role.STAFF)
    page.goto(url("/customers/new", tenant_a))
    page.get_by_label("First name").fill("   ")
    page.get_by_label("Last name").fill("Doe")
    page.get_by_label("Email").fill("jane@example")  # the browser accepts it; the server does not
    with page.expect_response(lambda r: r.url.endswith("/customers") and r.request.method == "POST") as posted:
        page.get_by_role("button", name="Create customer").click()
    assert posted.value.status == 422
    first, email = page.get_by_label("First name"), page.get_by_label("Email")
    expect(first).to_be_focused()  # both problems at once, focus on the first
    for field in (first, email):
        expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#" + email.get_attribute("aria-describedby"))).to_contain_text("email")
    expect(page.locator("#announcer")).to_contain_text(re.compile(r"First name: .*Email: ", re.S))
    assert not client.get("/api/v1/customers", headers=tenant_a.headers()).json
    assert not client.get("/api/v1/customers", headers=tenant_b.headers()).json


def test_an_inline_save_that_fails_focuses_the_bad_field(page, url, sign_in, client, tenant_a):
    jane = _customer(client, tenant_a)
    sign_in(tenant_a, Role.STAFF)
    page.goto(url(f"/customers/{jane['id']}", tenant_a))
    page.locator("#contact").get_by_role("button", name="Edit").click()
    # The opened form takes focus once htmx settles; typing before that would race the focus move.
    expect(page.get_by_label("First name")).to_be_focused()
    page.get_by_label("Phone", exact=True).fill("12")
    page.get_by_role("button", name="Save").click()
    phone = page.get_by_label("Phone", exact=True)
    expect(phone).to_be_focused()
    expect(phone).to_have_attribute("aria-describedby", "e-phone")
    expect(page.locator("#announcer")).to_contain_text("Phone: Not a valid phone number.")


def test_a_refused_photo_stays_on_the_pet_page_with_focus_on_the_file_input(page, url, sign_in, client, tenant_a):
    jane = _customer(client, tenant_a)
    pet = client.post(f"/api/v1/customers/{jane['id']}/pets", headers=tenant_a.headers(),
                      json={"name": "Rex", "species": "DOG"}).json
    sign_in(tenant_a, Role.STAFF)
    page.goto(url(f"/pets/{pet['id']}", tenant_a))
    page.get_by_label(re.compile("Add a photo")).set_input_files(
        files=[{"name": "virus.png", "mimeType": "image/png", "buffer": b"MZ not an image"}])
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#e-photo")).to_have_text("Upload a PNG, JPEG, GIF or WebP image.")
    expect(page).to_have_url(url(f"/pets/{pet['id']}", tenant_a))
    expect(page.locator("#f-photo")).to_be_focused()  # waits: focus moves when htmx settles, after the text
