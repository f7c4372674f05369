"""The whole front desk in a real browser (issue 10's story), on Debian Chromium.

Front-desk staff find a household by part of its phone number, add a pet with its vaccinations, book
a 3-night stay with an add-on and see its price, see it on the today board and the kennel grid,
check in, check out, take part by card and the rest in cash, print the invoice; cancel another
booking inside the deposit-forfeit window and see the outcome. A manager changes a price rule: the
next quote changes, the existing booking keeps its price. A user of another resort opens none of
these pages. When a step fails, the page fixture saves screenshots of every main page reached.
"""
import re
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from app.models import Role
from app.services import catalog, customers, kennels, pets, reservations
from app.services.compliance import tenant_today
from tests.services.test_booking import as_tenant

pytestmark = pytest.mark.browser
VACCINES = ("Rabies", "DHPP", "Bordetella")


def _resort(app, fx) -> dict:
    """Boarding $50/night with a 20% deposit, a $8/day walk, 10% off 3+ nights, two runs, two households."""
    with as_tenant(app, fx):
        boarding = catalog.create_service(name="Boarding", category="BOARDING", price_cents=5000,
                                          price_unit="PER_NIGHT", kennel_types=["RUN"], allowed_species=["DOG"],
                                          deposit_kind="PERCENT", deposit_percent=20)
        walk = catalog.create_addon(name="Walk", price_cents=800, unit="PER_DAY", service_ids=[boarding.id])
        rule = catalog.create_price_rule(name="Long stay", kind="LENGTH_OF_STAY", min_nights=3, effect="DISCOUNT",
                                         amount_type="PERCENT", percent=10, service_ids=[boarding.id])
        kennels.create_kennel(code="A01", type="RUN", size="L", capacity=1)
        kennels.create_kennel(code="A02", type="RUN", size="L", capacity=2)
        smith = customers.create_customer(first_name="Ann", last_name="Smith", phone="303-555-0142")
        jones = customers.create_customer(first_name="Bob", last_name="Jones", phone="720-555-9876")
        bella = pets.create_pet(customer_id=smith.id, name="Bella", species="DOG")
        max_ = pets.create_pet(customer_id=jones.id, name="Max", species="DOG")
        for pet in (bella, max_):
            for vaccine in VACCINES:
                pets.add_vaccination(pet_id=pet.id, vaccine=vaccine, given_on=date.today() - timedelta(days=30),
                                     expires_on=date.today() + timedelta(days=730))
        today = tenant_today()
        # Bella arrives tomorrow: inside the 48-hour forfeit window. Max comes in ten days (priced before the rule
        # changes, never invoiced).
        soon = reservations.book_stay(customer_id=smith.id, service_id=boarding.id, start_date=today + timedelta(1),
                                      end_date=today + timedelta(3), pets=[{"pet_id": bella.id}]).reservation
        later = reservations.book_stay(customer_id=jones.id, service_id=boarding.id, start_date=today + timedelta(10),
                                       end_date=today + timedelta(13), pets=[{"pet_id": max_.id}]).reservation
        return {"boarding": boarding.id, "walk": walk.id, "rule": rule.id, "smith": smith.id, "today": today,
                "soon": soon.id, "soon_deposit": soon.deposit_cents, "later": later.id,
                "later_total": later.total_cents}


def _money(text: str) -> Decimal:
    return Decimal(text.replace(",", "").strip())


def _cents(amount: Decimal) -> str:
    return f"{amount:.2f}"


# One rerun: the story's ~40 steps race htmx swaps on a loaded 2-core CI machine (it failed 1 in ~6 runs
# there, never alone). A real break fails both runs; the flake itself is still to be found and fixed.
@pytest.mark.flaky(reruns=1)
def test_the_whole_front_desk(app, page, url, sign_in, main_pages, tenant_a, tenant_b):
    w = _resort(app, tenant_a)
    _resort(app, tenant_b)  # the other resort has the same names and phone numbers: nothing may cross
    today = w["today"]
    visited: list[str] = []

    def reached(name: str) -> None:
        main_pages[name] = page.url
        visited.append(urlsplit(page.url).path)

    # --- find the household by part of its phone number -------------------------------------------------
    sign_in(tenant_a, Role.STAFF)
    page.goto(url("/customers", tenant_a))
    search = page.get_by_label("Search by name, email, phone or pet")
    search.press_sequentially("0142")
    results = page.locator("#customer-results a.result")
    expect(results).to_have_count(1)
    expect(results.first).to_have_text("Smith, Ann")
    results.first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ann Smith")
    reached("customer")

    # --- add a pet, then its vaccinations -----------------------------------------------------------------
    page.get_by_role("button", name="Add pet").click()  # a link styled as a button
    expect(page).to_have_url(re.compile(r"/pets/new$"))
    page.get_by_label("Name", exact=True).fill("Luna")
    page.get_by_role("button", name="Add pet").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Luna")
    boarding_row = page.locator("table.compliance tr", has_text="Boarding")
    expect(boarding_row).to_contain_text("Rabies: missing")
    for n, vaccine in enumerate(VACCINES, start=1):
        expect(page.get_by_label("Vaccine", exact=True)).to_have_value("")  # the form is back, empty
        page.get_by_label("Vaccine", exact=True).fill(vaccine)
        page.get_by_label("Given on").fill((today - timedelta(days=20)).isoformat())
        page.get_by_label("Expires on").fill((today + timedelta(days=365)).isoformat())
        page.get_by_role("button", name="Add vaccination").click()
        expect(page.locator("#vaccinations tr[id^=vaccination-]")).to_have_count(n)
        expect(page.locator("#vaccinations tr[id^=vaccination-]", has_text=vaccine)).to_have_count(1)
    expect(page.locator("table.compliance tr", has_text="Boarding")).to_contain_text("Rabies: current")
    expect(page.locator("table.compliance tr", has_text="Boarding")).not_to_contain_text("missing")
    reached("pet")

    # --- book three nights with the walk add-on and see the price -------------------------------------
    page.get_by_role("link", name="Book", exact=True).click()
    page.get_by_label("Customer: name, email, phone or pet").fill("smi")
    page.locator("a.pick-customer", has_text="Smith, Ann").click()
    page.get_by_label("Luna").check()
    page.get_by_label("Service").select_option(label="Boarding")
    page.get_by_label("Arrives").fill(today.isoformat())
    with page.expect_response(lambda r: r.url.endswith("/reservations/new/panel")):
        page.get_by_label("Departs").fill((today + timedelta(days=3)).isoformat())
        page.get_by_label("Departs").press("Tab")
    price = page.locator("#booking-price .price-total")
    expect(price).to_have_text("135.00")  # 3 x 50.00 less 10% for a long stay
    with page.expect_response(lambda r: r.url.endswith("/reservations/new/panel")):
        page.locator(".addon-row", has_text="Walk").locator("input[name=addon_id]").check()
    expect(price).not_to_have_text("135.00")
    expect(page.locator("#booking-price")).to_contain_text("Walk")
    expect(page.locator("#booking-price")).to_contain_text("Long stay")
    total = _money(price.inner_text())
    assert total > Decimal("135.00")
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Reservation")
    expect(page.locator(".billing-panel")).to_contain_text(_cents(total))
    reached("reservation")

    # --- the today board and the kennel grid --------------------------------------------------------------
    page.get_by_role("link", name="Tailtown").click()
    arrival = page.locator("#arrivals .board-entry", has_text="Luna")
    expect(arrival).to_be_visible()
    reached("today board")
    page.goto(url("/kennels/grid", tenant_a))
    expect(page.locator(".kennel-grid a.stay", has_text="Luna").first).to_be_visible()
    reached("kennel grid")

    # --- check in, check out, part by card and the rest in cash -----------------------------------------
    page.get_by_role("link", name="Tailtown").click()
    arrival = page.locator("#arrivals .board-entry", has_text="Luna")
    arrival.locator("summary", has_text="Check in").click()
    arrival.get_by_label("Feeding instructions confirmed with the owner").check()
    arrival.locator("button[type=submit]", has_text="Check in Luna").click()
    expect(page.locator("#today")).to_contain_text("Luna checked in")
    leaving = page.locator("#in-house .board-entry", has_text="Luna")
    leaving.locator("summary", has_text="Check out").click()
    leaving.locator("button[type=submit]", has_text="Check out Luna").click()
    expect(page.locator("#today")).to_contain_text("Luna checked out")
    settle = page.locator("#today .settle-up")
    expect(settle.locator(".invoice-balance")).to_have_text(_cents(total))
    settle.get_by_label("Amount").fill("50.00")
    settle.get_by_label("Method").select_option("CARD")
    settle.get_by_label("Approval code (card terminal)").fill("AP-7731")
    settle.get_by_role("button", name="Record payment").click()
    expect(page.locator("#today .settle-up")).to_contain_text("Payment of 50.00")
    expect(page.locator("#today .settle-up .invoice-status")).to_have_text("Partially Paid")
    rest = total - Decimal("50.00")
    expect(page.locator("#today .settle-up .invoice-balance")).to_have_text(_cents(rest))
    settle = page.locator("#today .settle-up")
    settle.get_by_label("Amount").fill(_cents(rest))
    settle.get_by_label("Method").select_option("CASH")
    settle.get_by_role("button", name="Record payment").click()
    expect(page.locator("#today .settle-up")).to_contain_text(f"Payment of {_cents(rest)}")
    expect(page.locator("#today .settle-up .invoice-status")).to_have_text("Paid")
    expect(page.locator("#today .settle-up .invoice-balance")).to_have_text("0.00")

    # --- print the invoice ----------------------------------------------------------------------------------
    page.locator("#today .settle-up a.code").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"Invoice INV-0+1"))
    doc = page.locator(".invoice-doc")
    expect(doc.locator(".invoice-status")).to_have_text("Paid")
    expect(doc.locator(".resort-name")).to_have_text(tenant_a.name)
    expect(doc).to_contain_text("Walk")
    expect(doc).to_contain_text("50.00 Card")
    expect(doc).to_contain_text(f"{_cents(rest)} Cash")
    reached("invoice")
    page.emulate_media(media="print")
    expect(page.locator("nav.site-nav")).to_be_hidden()
    page.emulate_media(media="screen")

    # --- cancel Bella's stay tomorrow, inside the forfeit window, with its deposit paid ---------------
    page.goto(url(f"/reservations/{w['soon']}", tenant_a))
    panel = page.locator(".billing-panel")
    panel.locator("summary", has_text="Take payment").click()
    deposit = _cents(Decimal(w["soon_deposit"]) / 100)
    panel.get_by_label("Amount").fill(deposit)
    panel.get_by_role("button", name="Record payment").click()
    expect(page.locator(".billing-panel")).to_contain_text(f"Payment of {deposit}")
    page.locator("#actions summary", has_text="Cancel").click()
    outcome = page.locator(f"#act-cancel-{w['soon']} .cancel-outcome")
    expect(outcome).to_contain_text("If cancelled now")
    expect(outcome).to_contain_text(f"{deposit} paid is forfeited")
    page.get_by_label("Reason for cancelling (required)").fill("Family emergency")
    page.get_by_role("button", name="Cancel reservation").click()
    expect(page.locator(".flash-success, [role=status]").first).to_contain_text("cancelled")
    voided = page.locator(".billing-panel .voided-invoices")
    expect(voided).to_contain_text("Reservation cancelled (forfeit)")
    expect(voided).to_contain_text(f"{deposit} forfeited (cancellation fee)")
    reached("cancelled reservation")
    page.goto(url(f"/customers/{w['smith']}/ledger", tenant_a))
    expect(page.locator("main, body").first).to_contain_text("voided: Reservation cancelled (forfeit)")
    reached("ledger")

    # --- a manager changes the rule: the next quote changes, the booked stay keeps its price ---------------
    page.context.clear_cookies()
    sign_in(tenant_a, Role.MANAGER)
    page.goto(url("/catalog/price-rules", tenant_a))

    def enter(field, value):
        """Type into the try-it panel and leave the field, as a person would (the change asks the server)."""
        with page.expect_response(lambda r: r.url.endswith("/catalog/quote")):
            page.locator(f"#q-{field}").fill(value)
            page.locator(f"#q-{field}").press("Tab")

    start = today + timedelta(days=30)
    with page.expect_response(lambda r: r.url.endswith("/catalog/quote")):
        page.locator("#q-service_id").select_option(label="Boarding")
    enter("start_date", start.isoformat())
    enter("end_date", (start + timedelta(days=3)).isoformat())
    expect(page.locator("#quote-total")).to_have_text("135.00")
    row = page.locator(f"#rule-{w['rule']}")
    row.get_by_role("button", name="Edit Long stay").click()
    row = page.locator(f"#rule-{w['rule']}")
    percent = row.get_by_label("Percent")
    expect(percent).to_be_editable()  # the edit form has swapped in and settled (htmx) before typing
    percent.fill("20")
    expect(percent).to_have_value("20")
    expect(row.get_by_label("Name")).to_have_value("Long stay")
    row.get_by_role("button", name="Save Long stay").click()
    expect(page.locator(f"#rule-{w['rule']}")).to_contain_text("−20.00%")
    enter("end_date", (start + timedelta(days=4)).isoformat())
    enter("end_date", (start + timedelta(days=3)).isoformat())
    expect(page.locator("#quote-total")).to_have_text("120.00")  # the next quote: 150.00 less 20%
    reached("price rules")
    page.goto(url(f"/reservations/{w['later']}", tenant_a))
    later = _cents(Decimal(w["later_total"]) / 100)
    assert later == "135.00"
    expect(page.locator(".billing-panel .billing-totals")).to_contain_text(later)  # sold before the change
    expect(page.locator("#booking-price .price-total, .price-total").first).to_have_text(later)
    reached("booked before the change")

    # --- a user of the other resort opens none of these pages -------------------------------------------
    page.context.clear_cookies()
    sign_in(tenant_b, Role.ADMIN)
    for path in dict.fromkeys(visited):
        if "/reservations/" in path or "/customers/" in path or "/pets/" in path or "/invoices/" in path:
            response = page.goto(url(path, tenant_b))
            assert response.status == 404, (path, response.status)
    expect(page.locator("body")).not_to_contain_text("Luna")
