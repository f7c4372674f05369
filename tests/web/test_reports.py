"""Report pages: managers only, the Manage menu links them, figures from the billing service in the resort's
local days, a server-drawn SVG chart, CSV downloads with formula-safe cells, and a 422 naming a bad date."""
import csv
import io
import re
from datetime import date, time, timedelta

import pytest

from app.models import Role
from app.services import billing, customers
from tests.conftest import web_login
from tests.reports_world import as_tenant, day, local, make_world, move_payment, set_timezone, stay_invoice

PRODUCT = {"kind": "PRODUCT", "description": "Leash", "unit_price_cents": 2500, "taxable": True}


@pytest.fixture
def worlds(app, tenant_a, tenant_b):
    return {"a": make_world(app, tenant_a), "b": make_world(app, tenant_b, last_name="Bravo")}


def _sale(app, fx, customer_id, *, cents=2500, pay=True):
    with as_tenant(app, fx):
        sale = billing.create_invoice(customer_id=customer_id, lines=[{**PRODUCT, "unit_price_cents": cents}],
                                      issue=True)
        payment = billing.record_payment(invoice_id=sale.id, amount_cents=sale.total_cents, method="CASH") \
            if pay else None
        return sale.total_cents, payment.id if payment else None


def _get(client, fx, path):
    return client.get(path, base_url=fx.base_url)


def test_the_manage_menu_links_reports_for_managers_and_staff_are_refused(app, client, worlds, tenant_a):
    web_login(client, tenant_a, Role.MANAGER)
    home = _get(client, tenant_a, "/reports").get_data(as_text=True)
    assert 'href="/reports"' in home and "Daily close-out" in home
    staff = app.test_client()
    web_login(staff, tenant_a, Role.STAFF)
    for path in ("/reports", "/reports/close-out", "/reports/revenue", "/reports/aging", "/reports/occupancy"):
        assert _get(staff, tenant_a, path).status_code == 403
    assert 'href="/reports"' not in _get(staff, tenant_a, "/customers").get_data(as_text=True)


def test_the_close_out_page_shows_this_resorts_local_day_only(app, client, worlds, tenant_a, tenant_b):
    set_timezone(app, tenant_a, "Pacific/Honolulu")
    _sale(app, tenant_b, worlds["b"]["household"], cents=987600)
    total, payment_id = _sale(app, tenant_a, worlds["a"]["household"])
    with as_tenant(app, tenant_a):
        move_payment(payment_id, local(date(2026, 3, 14), time(23, 30), "Pacific/Honolulu"))
    web_login(client, tenant_a, Role.MANAGER)
    page = _get(client, tenant_a, "/reports/close-out?date=2026-03-14").get_data(as_text=True)
    amount = f"{total / 100:.2f}"
    assert re.search(rf"<td>Cash</td><td>1</td><td class=\"money\">{re.escape(amount)}</td>", page), page
    assert "9876.00" not in page and "Pacific/Honolulu" in page
    assert 'href="/reports/close-out?format=csv&amp;date=2026-03-14"' in page
    assert "No payments." in _get(client, tenant_a, "/reports/close-out?date=2026-03-15").get_data(as_text=True)
    download = _get(client, tenant_a, "/reports/close-out?date=2026-03-14&format=csv")
    assert download.mimetype == "text/csv"
    assert f"payments,CASH,1,{amount}" in download.get_data(as_text=True).splitlines()


def test_revenue_and_occupancy_pages_draw_an_svg_bar_chart_on_the_server(app, client, worlds, tenant_a, tenant_b):
    with as_tenant(app, tenant_b):
        stay_invoice(worlds["b"], start=1)
    with as_tenant(app, tenant_a):
        _, stay = stay_invoice(worlds["a"], start=1)
        today, net = day(0), stay.total_cents - stay.tax_cents
    web_login(client, tenant_a, Role.MANAGER)
    page = _get(client, tenant_a, f"/reports/revenue?start={today}&end={today}").get_data(as_text=True)
    assert page.count("<rect ") == 1 and "<svg" in page and "<script" not in page.split("<main", 1)[-1]
    assert f"{net / 100:.2f}" in page
    page = _get(client, tenant_a, f"/reports/occupancy?start={today}&end={today + timedelta(days=4)}")
    html = page.get_data(as_text=True)
    assert html.count("<rect ") == 5  # one bar per night
    heights = [float(h) for h in re.findall(r'<rect [^>]*height="([\d.]+)"', html)]
    assert heights[0] == 0 and heights[1] > 0 and heights[1] == heights[2] == heights[3] and heights[4] == 0


def test_the_aging_download_neutralises_a_formula_in_a_customer_name(app, client, worlds, tenant_a):
    with as_tenant(app, tenant_a):
        evil = customers.create_customer(first_name="=HYPERLINK(\"http://evil.example\",\"x\")", last_name="Z").id
    _sale(app, tenant_a, evil, pay=False)
    web_login(client, tenant_a, Role.MANAGER)
    page = _get(client, tenant_a, "/reports/aging").get_data(as_text=True)
    assert "=HYPERLINK(&#34;http://evil.example&#34;,&#34;x&#34;) Z" in page  # escaped on the page
    text = _get(client, tenant_a, "/reports/aging?format=csv").get_data(as_text=True)
    names = [row["customer"] for row in csv.DictReader(io.StringIO(text))]
    assert names[0].startswith("'=HYPERLINK(")


@pytest.mark.parametrize(("path", "field"), [
    ("/reports/revenue?start=2026-03-10&end=2026-03-01", "end"),
    ("/reports/occupancy?start=2026-03-10&end=2026-03-01", "end"),
    ("/reports/occupancy?start=not-a-date&end=2026-03-01", "start"),
    ("/reports/close-out?date=2026-02-30", "date"),
    ("/reports/aging?as_of=yesterday", "as_of"),
])
def test_a_bad_date_is_a_422_with_the_field_marked(client, worlds, tenant_a, path, field):
    web_login(client, tenant_a, Role.MANAGER)
    r = _get(client, tenant_a, path)
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert f'id="e-{field}"' in html and f'name="{field}"' in html


def test_the_aging_page_pages_households_and_totals_them_all(app, client, worlds, tenant_a, tenant_b, monkeypatch):
    import app.web.reports as report_pages

    monkeypatch.setattr(report_pages, "AGING_PAGE_SIZE", 2)
    owed = []
    for n in range(1, 6):
        with as_tenant(app, tenant_a):
            household = customers.create_customer(first_name="Owe", last_name=f"Page{n}").id
        owed.append(_sale(app, tenant_a, household, cents=1000 * n, pay=False)[0])
    with as_tenant(app, tenant_b):
        other = customers.create_customer(first_name="Other", last_name="Resort").id
    _sale(app, tenant_b, other, pay=False)
    web_login(client, tenant_a, Role.MANAGER)
    first = _get(client, tenant_a, "/reports/aging").get_data(as_text=True)
    assert "Page5" in first and "Page4" in first and "Page3" not in first
    assert "5 households · page 1 of 3" in first and 'rel="next"' in first and 'rel="prev"' not in first
    total = f"{sum(owed) / 100:.2f}"
    assert re.search(rf'<tfoot>.*{re.escape(total)}</td></tr></tfoot>', first, re.S)  # every household's total
    last = _get(client, tenant_a, "/reports/aging?page=3").get_data(as_text=True)
    assert "Page1" in last and "Page2" not in last and 'rel="prev"' in last and 'rel="next"' not in last
    assert "Resort" not in first + last
    download = _get(client, tenant_a, "/reports/aging?page=3&format=csv").get_data(as_text=True)
    assert [row["customer"] for row in csv.DictReader(io.StringIO(download))][:5] == [
        f"Owe Page{n}" for n in range(5, 0, -1)]
