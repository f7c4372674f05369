"""Catalog and kennel pages in a real browser: one-click status flips, the live try-it quote, the service form."""
import pytest
from playwright.sync_api import expect

from app.models import Role

pytestmark = pytest.mark.browser


def _run(client, fx, prefix="A", end=3):
    return client.post("/api/v1/kennels/bulk", headers=fx.headers(Role.MANAGER),
                       json={"prefix": prefix, "start": 1, "end": end, "type": "RUN", "size": "M",
                             "location": "Barn A"}).json


def test_staff_flip_a_kennel_to_cleaning_in_one_click(page, url, sign_in, client, tenant_a, tenant_b):
    kennel = _run(client, tenant_a)[0]
    other = _run(client, tenant_b)[0]
    sign_in(tenant_a, Role.STAFF)
    page.get_by_role("link", name="Kennel board").click()
    page.wait_for_load_state()
    card = page.locator(f"#card-{kennel['id']}")
    expect(card).to_contain_text("in service")
    card.get_by_role("button", name="Cleaning A01").click()
    expect(card).to_contain_text("cleaning")
    expect(card.get_by_role("button", name="Cleaning A01")).to_have_attribute("aria-pressed", "true")
    assert client.get(f"/api/v1/kennels/{kennel['id']}", headers=tenant_a.headers()).json["status"] == "CLEANING"
    assert client.get(f"/api/v1/kennels/{other['id']}", headers=tenant_b.headers()).json["status"] == "IN_SERVICE"


def test_maintenance_with_a_note_from_the_keyboard(page, url, sign_in, client, tenant_a):
    kennel = _run(client, tenant_a)[0]
    sign_in(tenant_a, Role.STAFF)
    page.goto(url("/kennels/board", tenant_a))
    page.get_by_label("Note for A01").fill("Drain blocked")
    page.get_by_role("button", name="Maintenance A01").focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"#card-{kennel['id']}")).to_contain_text("maintenance")
    body = client.get(f"/api/v1/kennels/{kennel['id']}", headers=tenant_a.headers()).json
    assert (body["status"], body["status_note"]) == ("MAINTENANCE", "Drain blocked")


def test_the_try_it_panel_reprices_as_dates_and_pets_change(page, url, sign_in, client, tenant_a):
    client.post("/api/v1/services", headers=tenant_a.headers(Role.MANAGER), json={
        "name": "Boarding", "category": "BOARDING", "price_cents": 5000, "price_unit": "PER_NIGHT"})
    sign_in(tenant_a, Role.MANAGER)
    page.goto(url("/catalog/price-rules", tenant_a))

    def enter(label, value):
        """Type a value and leave the field, as a person would (the change event asks the server)."""
        with page.expect_response(lambda r: r.url.endswith("/catalog/quote")):
            page.get_by_label(label).fill(value)
            page.get_by_label(label).press("Tab")

    with page.expect_response(lambda r: r.url.endswith("/catalog/quote")):
        page.get_by_label("Service").select_option(label="Boarding")
    enter("Arrives", "2027-01-04")
    enter("Departs", "2027-01-06")
    expect(page.locator("#quote-total")).to_have_text("100.00")
    enter("Dogs", "2")
    expect(page.locator("#quote-total")).to_have_text("200.00")
    enter("Departs", "2027-01-04")
    expect(page.locator("#q-end_date-error")).to_contain_text("at least one night")
    expect(page.get_by_label("Dogs")).to_have_value("2")
    expect(page.locator("#quote-total")).to_have_count(0)


def test_a_manager_adds_an_untaxed_service_through_the_form(page, url, sign_in, client, tenant_a):
    sign_in(tenant_a, Role.MANAGER)
    page.locator("#site-menu summary", has_text="Manage").click()
    page.get_by_role("link", name="Catalog").click()
    page.wait_for_load_state()
    form = page.locator("#new-service")
    form.get_by_label("Name").fill("Puppy class")
    form.get_by_label("Category").select_option("TRAINING")
    form.get_by_label("Price (USD)").fill("75")
    form.get_by_label("Priced").select_option("FLAT")
    form.get_by_label("Needs a kennel").uncheck()
    form.get_by_label("Taxable").uncheck()
    for kennel_type in ("Run", "Suite", "Luxury Suite", "Cat Condo"):
        form.get_by_label(kennel_type, exact=True).uncheck()
    form.get_by_role("button", name="Add service").click()
    expect(page.locator("#service-rows")).to_contain_text("Puppy class")
    service = client.get("/api/v1/services", headers=tenant_a.headers()).json[0]
    assert (service["price_cents"], service["taxable"], service["needs_kennel"]) == (7500, False, False)


def test_board_statuses_differ_by_colour_and_by_words(page, url, sign_in, client, tenant_a):
    kennels = _run(client, tenant_a)
    for kennel, status in zip(kennels, ("CLEANING", "MAINTENANCE"), strict=False):
        client.post(f"/api/v1/kennels/{kennel['id']}/status", headers=tenant_a.headers(), json={"status": status})
    sign_in(tenant_a, Role.STAFF)
    page.goto(url("/kennels/board", tenant_a))
    cards = [page.locator(f"#card-{k['id']}") for k in kennels]
    for card, words in zip(cards, ("cleaning", "maintenance", "in service"), strict=True):
        expect(card.locator(".kennel-status")).to_have_text(words)
    colours = [card.evaluate("el => getComputedStyle(el).borderLeftColor") for card in cards]
    badges = [card.locator(".kennel-status").evaluate("el => getComputedStyle(el).backgroundColor") for card in cards]
    assert len(set(colours)) == 3 and len(set(badges)) == 3, (colours, badges)
