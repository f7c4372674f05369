"""The reports API: JSON and formula-safe CSV, the resort's local days, MANAGER only, a 422 naming the field for
a bad range, one tenant's money only, and a fixed number of statements per request."""
import csv
import io
import json
from datetime import date, time, timedelta

import pytest

from app.models import Role
from app.services import billing, customers
from tests.reports_world import as_tenant, book, day, local, make_world, move_payment, set_timezone, stay_invoice

PRODUCT = {"kind": "PRODUCT", "description": "Leash", "unit_price_cents": 2500, "taxable": True}


@pytest.fixture
def worlds(app, tenant_a, tenant_b):
    return {"a": make_world(app, tenant_a), "b": make_world(app, tenant_b, last_name="Bravo")}


def _sale(app, fx, w, *, customer_id=None, pay=True):
    """A retail sale paid in cash, through the billing service; returns (invoice total, payment id)."""
    with as_tenant(app, fx):
        sale = billing.create_invoice(customer_id=customer_id or w["household"], lines=[PRODUCT], issue=True)
        payment = billing.record_payment(invoice_id=sale.id, amount_cents=sale.total_cents, method="CASH") \
            if pay else None
        return sale.total_cents, payment.id if payment else None


def _today(app, fx):
    with as_tenant(app, fx):
        return day(0)


def test_the_close_out_answers_the_days_money_for_this_resort_only(app, client, worlds, tenant_a, tenant_b):
    _sale(app, tenant_b, worlds["b"])
    _sale(app, tenant_b, worlds["b"])
    total, _ = _sale(app, tenant_a, worlds["a"])
    r = client.get("/api/v1/reports/close-out", headers=tenant_a.headers(Role.MANAGER))
    assert r.status_code == 200, r.json
    assert r.json["payments"] == [{"method": "CASH", "count": 1, "amount_cents": total}]
    assert r.json["money_in_cents"] == total and r.json["invoices_issued"] == {"count": 1, "total_cents": total}
    assert r.json["date"] == _today(app, tenant_a).isoformat()


def test_a_payment_at_2330_honolulu_time_is_on_that_days_close_out(app, client, worlds, tenant_a):
    set_timezone(app, tenant_a, "Pacific/Honolulu")
    total, payment_id = _sale(app, tenant_a, worlds["a"])
    with as_tenant(app, tenant_a):
        move_payment(payment_id, local(date(2026, 3, 14), time(23, 30), "Pacific/Honolulu"))
    h = tenant_a.headers(Role.MANAGER)
    assert client.get("/api/v1/reports/close-out?date=2026-03-14", headers=h).json["money_in_cents"] == total
    assert client.get("/api/v1/reports/close-out?date=2026-03-15", headers=h).json["money_in_cents"] == 0


def test_revenue_and_occupancy_answer_json_and_csv(app, client, worlds, tenant_a, tenant_b):
    with as_tenant(app, tenant_b):
        stay_invoice(worlds["b"])
    with as_tenant(app, tenant_a):
        _, stay = stay_invoice(worlds["a"])
        start, end, stay_total = day(0), day(12), stay.total_cents
    h = tenant_a.headers(Role.MANAGER)
    r = client.get(f"/api/v1/reports/revenue?start={start}&end={start}", headers=h)
    assert [(c["category"], c["gross_cents"]) for c in r.json["categories"]] == [("BOARDING", stay_total)]
    r = client.get(f"/api/v1/reports/revenue?start={start}&end={start}&format=csv", headers=h)
    assert r.mimetype == "text/csv" and "attachment" in r.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert rows[0]["category"] == "BOARDING" and rows[0]["gross"] == f"{stay_total / 100:.2f}"
    r = client.get(f"/api/v1/reports/occupancy?start={start}&end={end}", headers=h)
    assert [n["occupied"] for n in r.json["nights"]][10:] == [2, 2, 2] and r.json["capacity"] == 4
    r = client.get(f"/api/v1/reports/occupancy?start={start}&end={end}&format=csv", headers=h)
    assert r.get_data(as_text=True).splitlines()[0] == "night,occupied,capacity,percent"


def test_a_formula_in_a_customer_name_is_neutralised_in_the_aging_csv(app, client, worlds, tenant_a):
    with as_tenant(app, tenant_a):
        evil = customers.create_customer(first_name='=HYPERLINK("http://evil.example","Click")', last_name="X").id
    _sale(app, tenant_a, worlds["a"], customer_id=evil, pay=False)
    r = client.get("/api/v1/reports/aging?format=csv", headers=tenant_a.headers(Role.MANAGER))
    assert r.status_code == 200
    names = [row["customer"] for row in csv.DictReader(io.StringIO(r.get_data(as_text=True)))]
    assert names[0] == "'=HYPERLINK(\"http://evil.example\",\"Click\") X"
    assert r.get_json(silent=True) is None


@pytest.mark.parametrize(("query", "field"), [
    ("start=2026-03-10&end=2026-03-01", "end"),
    ("start=2026-01-01&end=2027-06-01", "end"),
    ("start=2026-13-01&end=2026-03-01", "start"),
    ("start=2026-03-01", "end"),
    ("start=2026-03-01&end=2026-03-02&format=xlsx", "format"),
    ("start=2026-03-01&end=2026-03-02&from=2026-01-01", "from"),
])
@pytest.mark.parametrize("report", ["revenue", "occupancy"])
def test_a_bad_range_is_a_422_naming_the_field(client, worlds, tenant_a, report, query, field):
    r = client.get(f"/api/v1/reports/{report}?{query}", headers=tenant_a.headers(Role.MANAGER))
    assert r.status_code == 422, r.json
    errors = r.json["errors"]
    assert field in errors, errors


def test_reports_need_a_manager(client, worlds, tenant_a):
    for path in ("close-out", "revenue?start=2026-03-01&end=2026-03-02", "aging",
                 "occupancy?start=2026-03-01&end=2026-03-02"):
        assert client.get(f"/api/v1/reports/{path}", headers=tenant_a.headers(Role.STAFF)).status_code == 403
        assert client.get(f"/api/v1/reports/{path}", headers=tenant_a.headers(Role.MANAGER)).status_code == 200


def test_each_report_request_is_a_constant_number_of_statements(app, client, worlds, tenant_a, count_queries):
    today = _today(app, tenant_a)
    paths = ["/api/v1/reports/close-out", f"/api/v1/reports/revenue?start={today}&end={today}",
             "/api/v1/reports/aging", f"/api/v1/reports/occupancy?start={today}&end={today + timedelta(days=300)}"]
    h = tenant_a.headers(Role.MANAGER)

    def counts():
        out = []
        for path in paths:
            client.get(path, headers=h)  # warm the tenant and key caches
            with count_queries() as counter:
                assert client.get(path, headers=h).status_code == 200
            out.append(counter.count)
        return out

    _sale(app, tenant_a, worlds["a"])
    small = counts()
    for _ in range(4):
        _sale(app, tenant_a, worlds["a"])
        _sale(app, tenant_a, worlds["a"], pay=False)
    with as_tenant(app, tenant_a):
        book(worlds["a"], start=3, nights=4)
        stay_invoice(worlds["a"], start=20)
    assert counts() == small


def test_the_reports_are_documented_with_examples_csv_and_errors(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for name in ("close-out", "revenue", "aging", "occupancy"):
        get = paths[f"/api/v1/reports/{name}"]["get"]
        assert {"application/json", "text/csv"} <= set(get["responses"]["200"]["content"])
        assert "example" in get["responses"]["200"]["content"]["application/json"]
        assert {"403", "422"} <= set(get["responses"])


# --- aging: households paged, totals over all of them ---------------------------------------------------


def _owing_households(app, fx, w, count, prefix="Owe"):
    """count households each owing a different amount (1..count leashes, unpaid); returns their ids."""
    ids = []
    with as_tenant(app, fx):
        for n in range(1, count + 1):
            household = customers.create_customer(first_name=prefix, last_name=f"No{n:02d}")
            billing.create_invoice(customer_id=household.id, lines=[{**PRODUCT, "quantity": n}], issue=True)
            ids.append(str(household.id))
    return ids


def test_the_aging_households_are_paged_and_the_totals_cover_every_page(app, client, worlds, tenant_a, tenant_b):
    mine = _owing_households(app, tenant_a, worlds["a"], 7)
    theirs = _owing_households(app, tenant_b, worlds["b"], 2, prefix="Bravo")
    h = tenant_a.headers(Role.MANAGER)
    pages, totals = [], []
    for page in (1, 2, 3):
        r = client.get(f"/api/v1/reports/aging?page={page}&page_size=3", headers=h)
        assert r.status_code == 200
        meta = json.loads(r.headers["X-Pagination"])
        assert (meta["total"], meta["total_pages"], meta["page"]) == (7, 3, page)
        pages.append(r.json["customers"])
        totals.append(r.json["totals"])
    assert [len(p) for p in pages] == [3, 3, 1]
    rows = [row for p in pages for row in p]
    assert [row["customer_id"] for row in rows] == list(reversed(mine))  # largest balance first, none twice
    assert totals[0] == totals[1] == totals[2]
    assert totals[0]["households"] == 7 and totals[0]["invoices"] == 7
    assert totals[0]["balance_cents"] == sum(row["balance_cents"] for row in rows)
    assert not {row["customer_id"] for row in rows} & set(theirs)
    r = client.get("/api/v1/reports/aging?page=2&page_size=3", headers=tenant_b.headers(Role.MANAGER))
    assert r.json["customers"] == [] and r.json["totals"]["households"] == 2  # B's own, and only two
    body = client.get("/api/v1/reports/aging?format=csv&page=2&page_size=3", headers=h).get_data(as_text=True)
    assert len(list(csv.DictReader(io.StringIO(body)))) == 7 + 1  # the CSV: every household and the total row


@pytest.mark.parametrize("query", ["page=0", "page_size=0", "page_size=1000", "page=x"])
def test_a_bad_aging_page_is_a_422_naming_the_field(client, worlds, tenant_a, query):
    r = client.get(f"/api/v1/reports/aging?{query}", headers=tenant_a.headers(Role.MANAGER))
    assert r.status_code == 422
    assert query.split("=")[0] in r.json["errors"]


def test_an_aging_page_is_the_same_number_of_statements_whatever_the_page(app, client, worlds, tenant_a,
                                                                         count_queries):
    _owing_households(app, tenant_a, worlds["a"], 9)
    h = tenant_a.headers(Role.MANAGER)
    client.get("/api/v1/reports/aging", headers=h)  # warm the tenant and key caches
    counts = []
    for query in ("page=1&page_size=2", "page=3&page_size=2", "page=5&page_size=2", "page=1&page_size=100",
                  "page=9&page_size=100"):
        with count_queries() as counter:
            assert client.get(f"/api/v1/reports/aging?{query}", headers=h).status_code == 200
        counts.append(counter.count)
    assert len(set(counts)) == 1, counts
