"""The manager's reports in a real browser: daily close-out, revenue, outstanding balances and occupancy
show the figures that were really paid and booked, the CSV downloads carry formula-safe cells, and staff
or a user of another resort never see them. Screenshots of each report page are saved if a step fails."""
import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from app.models import Role
from app.services import billing, customers, reservations
from app.services.compliance import tenant_today
from tests.services.test_billing import _world, as_tenant

pytestmark = pytest.mark.browser
EVIL = '=HYPERLINK("http://evil.example","Pay here")'


def _money(app, fx) -> dict:
    """A stay paid today part by card and the rest in cash, and an unpaid sale to a household named like a formula."""
    w = _world(app, fx)
    with as_tenant(app, fx):
        today = tenant_today()
        stay = reservations.book_stay(customer_id=w["smith"], service_id=w["boarding"], start_date=today,
                                      end_date=today + timedelta(days=2), pets=[{"pet_id": w["rex"]}],
                                      vaccine_override_reason="test: records on paper").reservation
        card = billing.record_payment(reservation_id=stay.id, amount_cents=4000, method="CARD",
                                      approval_code="AP-1")
        invoice = billing.get_invoice(invoice_id=card.invoice_id)
        cash = invoice.total_cents - 4000
        billing.record_payment(invoice_id=invoice.id, amount_cents=cash, method="CASH")
        evil = customers.create_customer(first_name=EVIL, last_name="Owes")
        sale = billing.create_invoice(customer_id=evil.id, issue=True, lines=[
            {"kind": "PRODUCT", "description": "Leash", "unit_price_cents": 2500}])
        return {"today": today, "card": 4000, "cash": cash, "stay_total": invoice.total_cents,
                "stay_tax": invoice.tax_cents, "owed": sale.total_cents}


def _text(cents: int) -> str:
    return f"{Decimal(cents) / 100:.2f}"


def _download(page, link_name="Download CSV") -> list[dict]:
    with page.expect_download() as info:
        page.get_by_role("button", name=link_name).click()
    with open(info.value.path(), encoding="utf-8") as handle:
        return list(csv.DictReader(io.StringIO(handle.read())))


def test_a_manager_reconciles_the_reports_with_what_was_paid(app, page, url, sign_in, main_pages, tenant_a,
                                                             tenant_b):
    a = _money(app, tenant_a)
    _money(app, tenant_b)
    sign_in(tenant_a, Role.MANAGER)
    page.locator("#site-menu summary", has_text="Manage").click()
    page.get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Reports")
    main_pages["reports"] = page.url

    # --- the close-out: the drawer matches the card and cash taken today ----------------------------------
    page.get_by_role("link", name="Daily close-out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Daily close-out")
    main_pages["close-out"] = page.url
    payments = page.locator("#payments")
    expect(payments.locator("tr", has_text="Card")).to_contain_text(_text(a["card"]))
    expect(payments.locator("tr", has_text="Cash")).to_contain_text(_text(a["cash"]))
    expect(page.locator("#drawer tfoot")).to_contain_text(_text(a["card"] + a["cash"]))
    rows = _download(page)
    paid = {row["item"]: row for row in rows if row["section"] == "payments"}
    assert paid["CARD"]["amount_USD"] == _text(a["card"]) and paid["CASH"]["amount_USD"] == _text(a["cash"])

    # --- revenue: the stay and the sale, net and tax -------------------------------------------------------
    page.goto(url("/reports", tenant_a))
    page.get_by_role("link", name="Revenue by category").click()
    main_pages["revenue"] = page.url
    boarding = page.locator("#revenue tr", has_text="Boarding")
    expect(boarding).to_contain_text(_text(a["stay_total"]))
    expect(page.locator("#revenue tfoot")).to_contain_text(_text(a["stay_total"] + a["owed"]))
    expect(page.locator("svg").first).to_be_visible()  # the server-drawn chart
    gross = {row["category"]: row["gross"] for row in _download(page)}
    assert gross["BOARDING"] == _text(a["stay_total"]) and gross["TOTAL"] == _text(a["stay_total"] + a["owed"])

    # --- outstanding balances: the unpaid sale, and its formula-like name defused in the CSV ------------
    page.goto(url("/reports", tenant_a))
    page.get_by_role("link", name="Outstanding balances").click()
    main_pages["aging"] = page.url
    aging = page.locator("#aging")
    expect(aging.locator("tbody tr")).to_have_count(1)  # the stay is paid in full: only the sale is owed
    expect(aging.locator("tbody tr").first).to_contain_text(_text(a["owed"]))
    expect(aging.locator("tbody tr").first).to_contain_text(EVIL)  # shown as text on the page
    rows = _download(page)
    assert rows[0]["customer"] == f"'{EVIL} Owes"  # a spreadsheet never runs it
    assert rows[0]["balance"] == _text(a["owed"]) and rows[-1]["customer"] == "TOTAL"
    assert all(not str(cell).startswith(("=", "+", "-", "@")) or str(cell).lstrip("-").replace(".", "").isdigit()
               for row in rows for cell in row.values() if cell)

    # --- occupancy: tonight the stay holds one place of the two ----------------------------------------
    page.goto(url("/reports", tenant_a))
    page.get_by_role("link", name="Occupancy").click()
    main_pages["occupancy"] = page.url
    tonight = page.locator("#occupancy tr", has_text=a["today"].isoformat())
    expect(tonight.locator("td").nth(0)).to_have_text("1")
    expect(tonight.locator("td").nth(1)).to_have_text("2")  # A01 holds two
    nights = {row["night"]: row for row in _download(page)}
    assert nights[a["today"].isoformat()]["occupied"] == "1"

    # --- staff are refused; the other resort's manager sees only its own money ----------------------------
    paths = ["/reports/close-out", "/reports/revenue", "/reports/aging", "/reports/occupancy"]
    page.context.clear_cookies()
    sign_in(tenant_a, Role.STAFF)
    for path in paths:
        assert page.goto(url(path, tenant_a)).status == 403, path
    page.context.clear_cookies()
    sign_in(tenant_b, Role.MANAGER)
    for path in paths:
        response = page.goto(url(path, tenant_a))  # the other resort's host: its session does not count there
        assert response.status in (401, 403, 404) or "/login" in page.url, (path, response.status, page.url)
        expect(page.locator("body")).not_to_contain_text(_text(a["cash"]))
