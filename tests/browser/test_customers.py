"""The front desk in a real browser: live search with the keyboard, inline edit, vaccinations."""
import re

import pytest
from playwright.sync_api import expect

from app.models import Role

pytestmark = pytest.mark.browser


def _customer(client, fx, **fields):
    body = {"first_name": "Jane", "last_name": "Doe", "phone": "5551234567", **fields}
    return client.post("/api/v1/customers", headers=fx.headers(), json=body).json


def test_live_search_as_you_type_and_open_a_result_with_the_keyboard(page, url, sign_in, client, tenant_a, tenant_b):
    jane = _customer(client, tenant_a)
    _customer(client, tenant_a, first_name="Sam", last_name="Smith", phone="5559990000")
    _customer(client, tenant_b, first_name="Janet", last_name="Bravo")
    sign_in(tenant_a, Role.STAFF)
    page.goto(url("/customers", tenant_a))
    search = page.get_by_label("Search by name, email, phone or pet")
    expect(search).to_be_focused()
    search.press_sequentially("jan")
    results = page.locator("#customer-results a.result")
    expect(results).to_have_count(1)
    expect(results.first).to_have_text("Doe, Jane")
    expect(page).to_have_url(re.compile(r"q=jan"))
    search.fill("")
    search.press_sequentially("(555) 999")
    expect(results).to_have_count(1)
    expect(results.first).to_have_text("Smith, Sam")
    search.fill("")
    search.press_sequentially("jane")
    expect(results).to_have_count(1)
    expect(results.first).to_have_text("Doe, Jane")
    search.press("ArrowDown")
    expect(results.first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(url(f"/customers/{jane['id']}", tenant_a))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Jane Doe")


def test_inline_contact_edit_shows_errors_next_to_fields_then_saves(page, url, sign_in, client, tenant_a):
    jane = _customer(client, tenant_a)
    sign_in(tenant_a, Role.STAFF)
    page.goto(url(f"/customers/{jane['id']}", tenant_a))
    page.locator("#contact").get_by_role("button", name="Edit").click()
    # The opened form takes focus once htmx settles; typing before that would race the focus move.
    expect(page.get_by_label("First name")).to_be_focused()
    page.get_by_label("Phone", exact=True).fill("12")
    page.get_by_label("City").fill("Boulder")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#e-phone")).to_have_text("Not a valid phone number.")
    expect(page.get_by_label("City")).to_have_value("Boulder")
    page.get_by_label("Phone", exact=True).fill("555.222.3333")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#contact")).to_contain_text("(555) 222-3333")
    expect(page.locator("#contact")).to_contain_text("Boulder")
    page.reload()
    expect(page.locator("#contact")).to_contain_text("(555) 222-3333")


def test_adding_a_vaccination_updates_the_table_and_compliance(page, url, sign_in, client, tenant_a):
    jane = _customer(client, tenant_a)
    pet = client.post(f"/api/v1/customers/{jane['id']}/pets", headers=tenant_a.headers(),
                      json={"name": "Rex", "species": "DOG", "alert_flags": ["ESCAPE_RISK"]}).json
    sign_in(tenant_a, Role.STAFF)
    page.goto(url(f"/pets/{pet['id']}", tenant_a))
    expect(page.locator(".badge-escape-risk")).to_have_text("Escape Risk")
    boarding = page.locator("table.compliance tr", has_text="Boarding")
    expect(boarding).to_contain_text("Rabies: missing")
    page.get_by_label("Vaccine", exact=True).fill("Rabies")
    page.get_by_label("Given on").fill("2026-01-01")
    page.get_by_label("Expires on").fill("2025-01-01")
    page.get_by_role("button", name="Add vaccination").click()
    expect(page.locator("#e-expires_on")).to_have_text("Must be after the date given.")
    page.get_by_label("Expires on").fill("2029-01-01")
    page.get_by_role("button", name="Add vaccination").click()
    expect(page.locator("#vaccinations tbody tr").first).to_contain_text("2029-01-01")
    expect(page.locator("table.compliance tr", has_text="Boarding")).to_contain_text("Rabies: current")
    page.set_viewport_size({"width": 390, "height": 800})
    # On a phone each date stays on one line ("2026-01- / 01" was the bug).
    lines = page.locator("#vaccinations td.date").evaluate_all(
        "cells => cells.map(td => { const r = document.createRange(); r.selectNodeContents(td);"
        " return new Set(Array.from(r.getClientRects()).map(x => Math.round(x.top))).size; })")
    assert lines == [1, 1], lines
