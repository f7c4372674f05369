"""The front desk in a real browser: book through the one-page form, check in and out on the today board,
and start a booking from an empty night of the kennel grid on a 1024 px tablet."""
import pytest
from playwright.sync_api import expect

from app.models import Role
from tests.services.test_booking import as_tenant, world  # noqa: F401
from tests.web.test_reservations import _booked, _status, _tenant_today, _vaccinate  # noqa: F401

pytestmark = pytest.mark.browser


def test_book_check_in_and_check_out_through_the_pages(app, page, url, sign_in, world, tenant_a, tenant_b):  # noqa: F811
    from tests.web.test_reservations import _day

    _vaccinate(app, tenant_a, world, "rex")
    sign_in(tenant_a, Role.STAFF)
    page.get_by_role("link", name="Book", exact=True).click()
    page.get_by_label("Customer: name, email, phone or pet").fill("smi")
    page.locator("a.pick-customer", has_text="Smith, Ann").click()
    expect(page.locator(".picked-customer")).to_have_text("Smith, Ann")
    page.get_by_label("Rex").check()
    page.get_by_label("Service").select_option(label="Boarding")
    page.get_by_label("Arrives").fill(_day(0).isoformat())
    with page.expect_response(lambda r: r.url.endswith("/reservations/new/panel")):
        page.get_by_label("Departs").fill(_day(2).isoformat())
        page.get_by_label("Departs").press("Tab")
    expect(page.locator("#booking-price .price-total")).to_have_text("100.00")
    page.locator("#booking-panel").get_by_label("Rex").select_option(label="A02 (Run, L, 2 free)")
    expect(page.locator("#booking-price .price-total")).to_have_text("100.00")
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Reservation")
    expect(page.locator("#actions")).to_contain_text("Check in")

    page.get_by_role("link", name="Tailtown").click()  # the brand link: the today board
    arrival = page.locator("#arrivals .board-entry", has_text="Rex")
    arrival.locator("summary", has_text="Check in").click()
    arrival.get_by_label("Belongings, one per line").fill("Blue blanket")
    arrival.get_by_label("Feeding instructions confirmed with the owner").check()
    arrival.locator("button[type=submit]", has_text="Check in Rex").click()
    expect(page.locator("#today")).to_contain_text("Rex checked in")
    expect(page.locator("#tonight")).to_have_text("1 / 3")

    leaving = page.locator("#in-house .board-entry", has_text="Rex")
    expect(leaving).to_contain_text("Checked In")
    leaving.locator("summary", has_text="Check out").click()
    leaving.locator("button[type=submit]", has_text="Check out Rex").click()
    expect(leaving.locator(".flash-error")).to_contain_text("Confirm the belongings were returned")
    page.locator("#in-house .board-entry", has_text="Rex").get_by_label("Belongings returned").check()
    page.locator("#in-house .board-entry", has_text="Rex").locator("button[type=submit]", has_text="Check out Rex").click()
    expect(page.locator("#today")).to_contain_text("Rex checked out")
    assert "Jones" not in page.content()


def test_an_empty_grid_night_opens_a_prefilled_booking_at_1024px(app, page, url, sign_in, world, tenant_a):  # noqa: F811
    from tests.web.test_reservations import _day

    _booked(app, tenant_a, world, "smith", ["rex"], 0, 2, kennel="a01", confirm=True)
    page.set_viewport_size({"width": 1024, "height": 768})
    sign_in(tenant_a, Role.STAFF)
    page.goto(url("/kennels/grid", tenant_a))
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
    expect(page.locator(".kennel-grid a.stay").first).to_have_text("Rex")
    empty = page.get_by_label(f"Book A02 from {_day(3).isoformat()}")
    empty.scroll_into_view_if_needed()
    empty.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New booking")
    expect(page.get_by_label("Arrives")).to_have_value(_day(3).isoformat())
    expect(page.get_by_label("Departs")).to_have_value(_day(4).isoformat())
    expect(page.get_by_label("Service")).to_have_value(str(world["boarding"]))
    page.get_by_label("Customer: name, email, phone or pet").fill("jones")
    page.locator("a.pick-customer", has_text="Jones, Bob").click()
    expect(page.locator("#booking-panel").get_by_label("Max")).to_have_value(str(world["a02"]))
    expect(page.locator("#booking-price .price-total")).to_have_text("50.00")
