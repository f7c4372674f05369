"""Settling up in a real browser: book a stay, check in and out on the today board, take the payment on the
check-out screen and see the printed invoice PAID; the other resort's user cannot open it."""
import re

import pytest
from playwright.sync_api import expect

from app.models import Role
from tests.services.test_booking import as_tenant, world  # noqa: F401
from tests.web.test_reservations import _tenant_today, _vaccinate  # noqa: F401

pytestmark = pytest.mark.browser


def test_check_out_takes_the_payment_on_the_same_screen_and_the_invoice_is_paid(
        app, page, url, sign_in, world, tenant_a, tenant_b):  # noqa: F811
    from tests.web.test_reservations import _day

    _vaccinate(app, tenant_a, world, "rex")
    sign_in(tenant_a, Role.STAFF)
    page.get_by_role("link", name="Book", exact=True).click()
    page.get_by_label("Customer: name, email, phone or pet").fill("smi")
    page.locator("a.pick-customer", has_text="Smith, Ann").click()
    page.get_by_label("Rex").check()
    page.get_by_label("Service").select_option(label="Boarding")
    page.get_by_label("Arrives").fill(_day(0).isoformat())
    with page.expect_response(lambda r: r.url.endswith("/reservations/new/panel")):
        page.get_by_label("Departs").fill(_day(2).isoformat())
        page.get_by_label("Departs").press("Tab")
    expect(page.locator("#booking-price .price-total")).to_have_text("100.00")
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Reservation")
    expect(page.locator(".billing-panel")).to_contain_text("Not invoiced yet")

    page.get_by_role("link", name="Tailtown").click()  # the today board
    arrival = page.locator("#arrivals .board-entry", has_text="Rex")
    arrival.locator("summary", has_text="Check in").click()
    arrival.get_by_label("Feeding instructions confirmed with the owner").check()
    arrival.locator("button[type=submit]", has_text="Check in Rex").click()
    expect(page.locator("#today")).to_contain_text("Rex checked in")

    leaving = page.locator("#in-house .board-entry", has_text="Rex")
    leaving.locator("summary", has_text="Check out").click()
    leaving.locator("button[type=submit]", has_text="Check out Rex").click()
    expect(page.locator("#today")).to_contain_text("Rex checked out")
    settle = page.locator("#today .settle-up")
    expect(settle.locator(".invoice-balance")).to_have_text("100.00")
    expect(settle.locator(".invoice-status")).to_have_text("Issued")

    settle.get_by_label("Amount").fill("100.005")  # more cents than the currency has: refused, named
    settle.get_by_role("button", name="Record payment").click()
    expect(page.locator("#today .settle-up [data-field=amount]")).to_be_visible()
    settle = page.locator("#today .settle-up")
    settle.get_by_label("Amount").fill("100.00")
    settle.get_by_label("Method").select_option("CASH")
    settle.get_by_role("button", name="Record payment").click()
    expect(page.locator("#today .settle-up")).to_contain_text("Payment of 100.00")
    expect(page.locator("#today .settle-up .invoice-status")).to_have_text("Paid")
    expect(page.locator("#today .settle-up .invoice-balance")).to_have_text("0.00")

    page.locator("#today .settle-up a.code").click()  # the invoice number opens the printable invoice
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"Invoice INV-0+1"))
    expect(page.locator(".invoice-doc .invoice-status")).to_have_text("Paid")
    expect(page.locator(".invoice-doc .resort-name")).to_have_text(tenant_a.name)
    invoice_path = "/invoices/" + page.url.split("/invoices/")[1]
    page.emulate_media(media="print")
    expect(page.locator("nav.site-nav")).to_be_hidden()  # the print stylesheet leaves the document only
    page.emulate_media(media="screen")

    page.context.clear_cookies()
    sign_in(tenant_b, Role.ADMIN)
    response = page.goto(url(invoice_path, tenant_b))
    assert response.status == 404
