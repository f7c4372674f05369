"""The billing API: invoices, payments (idempotent), refunds, the ledger, cancellation outcomes, settings;
every bad input a 4xx naming the field with nothing saved; another tenant's ids are 404/422."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.core.extensions import db
from app.models import Invoice, LedgerEntry, Payment, Refund, Role
from app.services.compliance import tenant_today
from app.tenancy import lookup_tenant, tenant_context


def _count(app, fx, model) -> int:
    with app.app_context(), tenant_context(lookup_tenant(fx.subdomain)):
        return db.session.scalar(select(func.count()).select_from(model))


def _stay(client, fx, days_ahead: int = 10) -> dict:
    """A 3-night boarding stay at $45/night with a 20% deposit, booked by a manager (vaccines overridden)."""
    h = fx.headers()
    service = client.post("/api/v1/services", headers=h, json={
        "name": "Boarding", "category": "BOARDING", "price_cents": 4500, "price_unit": "PER_NIGHT",
        "deposit_kind": "PERCENT", "deposit_percent": "20"}).json
    kennel = client.post("/api/v1/kennels", headers=h, json={"code": "A01", "type": "RUN", "size": "L"}).json
    customer = client.post("/api/v1/customers", headers=h, json={"first_name": "Ann", "last_name": "Smith"}).json
    pet = client.post(f"/api/v1/customers/{customer['id']}/pets", headers=h, json={"name": "Rex", "species": "DOG"}).json
    with client.application.app_context(), tenant_context(lookup_tenant(fx.subdomain)):
        start = tenant_today() + timedelta(days=days_ahead)
    r = client.post("/api/v1/reservations", headers=fx.headers(Role.MANAGER), json={
        "customer_id": customer["id"], "service_id": service["id"], "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=3)).isoformat(), "pets": [{"pet_id": pet["id"], "kennel_id": kennel["id"]}],
        "vaccine_override_reason": "records on paper"})
    assert r.status_code == 201, r.json
    return {"reservation": r.json, "customer_id": customer["id"]}


@pytest.fixture
def stays(client, tenant_a, tenant_b):
    return {"a": _stay(client, tenant_a), "b": _stay(client, tenant_b)}


def _invoice(client, fx, stay) -> dict:
    r = client.post("/api/v1/invoices", headers=fx.headers(), json={"reservation_id": stay["reservation"]["id"],
                                                                   "issue": True})
    assert r.status_code == 201, r.json
    return r.json


def test_a_stay_invoice_is_built_by_the_server_and_numbered(client, tenant_a, stays):
    invoice = _invoice(client, tenant_a, stays["a"])
    assert invoice["number"] == "INV-000001" and invoice["status"] == "ISSUED"
    assert invoice["total_cents"] == stays["a"]["reservation"]["total_cents"] == 13500
    assert invoice["balance_cents"] == 13500 and invoice["deposit_cents"] == 2700
    got = client.get(f"/api/v1/invoices/{invoice['id']}", headers=tenant_a.headers())
    assert got.status_code == 200 and got.headers["ETag"]


def test_totals_sent_by_a_client_are_refused(client, tenant_a, stays):
    r = client.post("/api/v1/invoices", headers=tenant_a.headers(), json={
        "reservation_id": stays["a"]["reservation"]["id"], "total_cents": 1})
    assert r.status_code == 422 and "total_cents" in r.json["errors"]
    assert _count(client.application, tenant_a, Invoice) == 0


def test_a_retried_payment_with_the_same_key_is_recorded_once(client, tenant_a, stays):
    invoice = _invoice(client, tenant_a, stays["a"])
    body = {"invoice_id": invoice["id"], "amount_cents": 5000, "method": "CASH"}
    headers = tenant_a.headers(Role.STAFF, **{"Idempotency-Key": "pay-1"})
    first = client.post("/api/v1/payments", headers=headers, json=body)
    again = client.post("/api/v1/payments", headers=headers, json=body)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true" and again.json["id"] == first.json["id"]
    assert _count(client.application, tenant_a, Payment) == 1
    assert client.get(f"/api/v1/invoices/{invoice['id']}", headers=tenant_a.headers()).json["paid_cents"] == 5000


@pytest.mark.parametrize("amount", [0, -100, 10.5, "5000", None, 10**12])
def test_bad_amounts_are_a_422_naming_the_field_and_nothing_is_saved(client, tenant_a, stays, amount):
    invoice = _invoice(client, tenant_a, stays["a"])
    r = client.post("/api/v1/payments", headers=tenant_a.headers(Role.STAFF),
                    json={"invoice_id": invoice["id"], "amount_cents": amount, "method": "CASH"})
    assert r.status_code == 422 and "amount_cents" in r.json["errors"]
    assert _count(client.application, tenant_a, Payment) == 0


def test_a_payment_above_the_balance_needs_excess_to_credit(client, tenant_a, stays):
    invoice = _invoice(client, tenant_a, stays["a"])
    body = {"invoice_id": invoice["id"], "amount_cents": 14000, "method": "CASH"}
    refused = client.post("/api/v1/payments", headers=tenant_a.headers(Role.STAFF), json=body)
    assert refused.status_code == 422 and "amount_cents" in refused.json["errors"]
    taken = client.post("/api/v1/payments", headers=tenant_a.headers(Role.STAFF), json={**body, "excess_to_credit": True})
    assert taken.status_code == 201 and taken.json["credit_cents"] == 500
    ledger = client.get(f"/api/v1/customers/{stays['a']['customer_id']}/ledger", headers=tenant_a.headers()).json
    assert (ledger["open_invoices_cents"], ledger["available_credit_cents"], ledger["balance_cents"]) == (0, 500, -500)
    assert [e["kind"] for e in ledger["entries"]] == ["INVOICE", "PAYMENT"]


def test_a_card_on_the_manual_terminal_needs_its_approval_code(client, tenant_a, stays):
    invoice = _invoice(client, tenant_a, stays["a"])
    body = {"invoice_id": invoice["id"], "amount_cents": 2700, "method": "CARD"}
    r = client.post("/api/v1/payments", headers=tenant_a.headers(Role.STAFF), json=body)
    assert r.status_code == 422 and "approval_code" in r.json["errors"]
    r = client.post("/api/v1/payments", headers=tenant_a.headers(Role.STAFF), json={**body, "approval_code": "OK123"})
    assert r.status_code == 201 and (r.json["gateway"], r.json["gateway_reference"]) == ("MANUAL", "OK123")
    assert r.json["deposit"] is True
    assert client.get(f"/api/v1/invoices/{invoice['id']}", headers=tenant_a.headers()).json["deposit_paid"] is True


def test_refunds_are_a_managers_never_above_what_is_left(client, tenant_a, stays):
    invoice = _invoice(client, tenant_a, stays["a"])
    payment = client.post("/api/v1/payments", headers=tenant_a.headers(Role.STAFF),
                          json={"invoice_id": invoice["id"], "amount_cents": 3000, "method": "CASH"}).json
    url = f"/api/v1/payments/{payment['id']}/refunds"
    assert client.post(url, headers=tenant_a.headers(Role.STAFF), json={"amount_cents": 100, "reason": "x"}).status_code \
        == 403
    missing = client.post(url, headers=tenant_a.headers(Role.MANAGER), json={"amount_cents": 100})
    assert missing.status_code == 422 and "reason" in missing.json["errors"]
    too_much = client.post(url, headers=tenant_a.headers(Role.MANAGER), json={"amount_cents": 3001, "reason": "x"})
    assert too_much.status_code == 422 and "amount_cents" in too_much.json["errors"]
    ok = client.post(url, headers=tenant_a.headers(Role.MANAGER), json={"amount_cents": 3000, "reason": "Overcharged"})
    assert ok.status_code == 201 and ok.json["invoice_cents"] == 3000
    assert _count(client.application, tenant_a, Refund) == 1
    assert client.get(url, headers=tenant_a.headers()).json[0]["id"] == ok.json["id"]


def test_void_is_a_managers_with_a_reason(client, tenant_a, stays):
    invoice = _invoice(client, tenant_a, stays["a"])
    url = f"/api/v1/invoices/{invoice['id']}/void"
    assert client.post(url, headers=tenant_a.headers(Role.STAFF), json={"reason": "x"}).status_code == 403
    assert client.post(url, headers=tenant_a.headers(Role.MANAGER), json={}).status_code == 422
    voided = client.post(url, headers=tenant_a.headers(Role.MANAGER), json={"reason": "Wrong dates"})
    assert voided.status_code == 200 and voided.json["status"] == "VOID"
    paid = client.post("/api/v1/payments", headers=tenant_a.headers(),
                       json={"invoice_id": invoice["id"], "amount_cents": 100, "method": "CASH"})
    assert paid.status_code == 409


def test_an_adjustment_adds_lines_and_keeps_the_issued_ones(client, tenant_a, stays):
    invoice = _invoice(client, tenant_a, stays["a"])
    r = client.post(f"/api/v1/invoices/{invoice['id']}/lines", headers=tenant_a.headers(),
                    json={"kind": "FEE", "description": "Bath", "unit_price_cents": 1500, "reason": "At pickup"})
    assert r.status_code == 201 and r.json["total_cents"] == invoice["total_cents"] + 1500
    assert [line["id"] for line in r.json["lines"][:len(invoice["lines"])]] == [line["id"] for line in invoice["lines"]]


def test_another_tenants_ids_are_404_and_its_rows_never_listed(client, tenant_a, tenant_b, stays):
    invoice = _invoice(client, tenant_a, stays["a"])
    payment = client.post("/api/v1/payments", headers=tenant_a.headers(),
                          json={"invoice_id": invoice["id"], "amount_cents": 1000, "method": "CASH"}).json
    b = tenant_b.headers(Role.ADMIN)
    assert client.get(f"/api/v1/invoices/{invoice['id']}", headers=b).status_code == 404
    assert client.post("/api/v1/payments", headers=b, json={"invoice_id": invoice["id"], "amount_cents": 100,
                                                            "method": "CASH"}).status_code == 404
    assert client.post("/api/v1/payments", headers=b, json={"reservation_id": stays["a"]["reservation"]["id"],
                                                            "amount_cents": 100, "method": "CASH"}).status_code == 404
    assert client.post(f"/api/v1/payments/{payment['id']}/refunds", headers=b,
                       json={"amount_cents": 100, "reason": "x"}).status_code == 404
    assert client.post("/api/v1/invoices", headers=b, json={"customer_id": stays["a"]["customer_id"], "lines": [
        {"kind": "FEE", "description": "x", "unit_price_cents": 100}]}).status_code == 404
    assert client.get(f"/api/v1/customers/{stays['a']['customer_id']}/ledger", headers=b).status_code == 404
    assert client.get(f"/api/v1/reservations/{stays['a']['reservation']['id']}/cancellation",
                      headers=b).status_code == 404
    for path in ("/api/v1/invoices", "/api/v1/payments"):
        assert client.get(path, headers=b).json == []
    assert _count(client.application, tenant_b, Payment) == 0
    assert client.get(f"/api/v1/invoices/{invoice['id']}", headers=tenant_a.headers()).json["paid_cents"] == 1000


def test_the_cancellation_outcome_is_shown_before_and_recorded_after(client, tenant_a, stays):
    stay = stays["a"]["reservation"]
    client.post("/api/v1/payments", headers=tenant_a.headers(), json={
        "reservation_id": stay["id"], "amount_cents": stay["deposit_cents"], "method": "CASH"})
    before = client.get(f"/api/v1/reservations/{stay['id']}/cancellation", headers=tenant_a.headers()).json
    assert (before["outcome"], before["recorded"], before["refund_cents"]) == ("REFUND", False, stay["deposit_cents"])
    r = client.post(f"/api/v1/reservations/{stay['id']}/cancel", headers=tenant_a.headers(), json={"reason": "Ill"})
    assert r.status_code == 200
    after = client.get(f"/api/v1/reservations/{stay['id']}/cancellation", headers=tenant_a.headers()).json
    assert (after["outcome"], after["recorded"]) == ("REFUND", True)
    ledger = client.get(f"/api/v1/customers/{stays['a']['customer_id']}/ledger", headers=tenant_a.headers()).json
    assert ledger["balance_cents"] == 0 and ledger["available_credit_cents"] == 0


def test_billing_settings_are_an_admins(client, tenant_a):
    assert client.get("/api/v1/billing-settings", headers=tenant_a.headers(Role.STAFF)).json["invoice_prefix"] == "INV-"
    assert client.patch("/api/v1/billing-settings", headers=tenant_a.headers(Role.MANAGER),
                        json={"invoice_prefix": "X-"}).status_code == 403
    bad = client.patch("/api/v1/billing-settings", headers=tenant_a.headers(), json={"invoice_prefix": "a b"})
    assert bad.status_code == 422 and "invoice_prefix" in bad.json["errors"]
    ok = client.patch("/api/v1/billing-settings", headers=tenant_a.headers(), json={"invoice_prefix": "pp-"})
    assert ok.status_code == 200 and ok.json["invoice_prefix"] == "PP-"


def test_the_ledger_counts_each_movement_once(client, tenant_a, stays):
    invoice = _invoice(client, tenant_a, stays["a"])
    client.post("/api/v1/payments", headers=tenant_a.headers(),
                json={"invoice_id": invoice["id"], "amount_cents": 1000, "method": "CASH"})
    assert _count(client.application, tenant_a, LedgerEntry) == 2
    ledger = client.get(f"/api/v1/customers/{stays['a']['customer_id']}/ledger", headers=tenant_a.headers()).json
    assert ledger["entries"][-1]["balance_cents"] == ledger["balance_cents"] == invoice["total_cents"] - 1000


@pytest.mark.parametrize("amount", [12.345, 0.001, 4999.5, "12.34", [100], {"cents": 100}])
def test_over_precise_or_odd_amounts_are_a_422_for_payments_and_refunds(client, tenant_a, stays, amount):
    invoice = _invoice(client, tenant_a, stays["a"])
    paid = client.post("/api/v1/payments", headers=tenant_a.headers(Role.STAFF),
                       json={"invoice_id": invoice["id"], "amount_cents": 3000, "method": "CASH"}).json
    before = [_count(client.application, tenant_a, m) for m in (Payment, Refund, LedgerEntry)]
    r = client.post("/api/v1/payments", headers=tenant_a.headers(Role.STAFF),
                    json={"invoice_id": invoice["id"], "amount_cents": amount, "method": "CASH"})
    assert r.status_code == 422 and "amount_cents" in r.json["errors"]
    r = client.post(f"/api/v1/payments/{paid['id']}/refunds", headers=tenant_a.headers(Role.MANAGER),
                    json={"amount_cents": amount, "reason": "Overcharged"})
    assert r.status_code == 422 and "amount_cents" in r.json["errors"]
    assert [_count(client.application, tenant_a, m) for m in (Payment, Refund, LedgerEntry)] == before


def test_paying_another_tenants_invoice_is_a_404_and_writes_nothing_there(client, tenant_a, tenant_b, stays):
    theirs = _invoice(client, tenant_b, stays["b"])
    r = client.post("/api/v1/payments", headers=tenant_a.headers(Role.STAFF),
                    json={"invoice_id": theirs["id"], "amount_cents": 100, "method": "CASH"})
    assert r.status_code == 404
    assert _count(client.application, tenant_b, Payment) == 0 == _count(client.application, tenant_a, Payment)
    assert client.get(f"/api/v1/invoices/{theirs['id']}", headers=tenant_b.headers()).json["paid_cents"] == 0


def test_an_edit_after_issue_reprices_the_invoice_with_adjustment_lines(client, tenant_a, tenant_b, stays):
    invoice = _invoice(client, tenant_a, stays["a"])
    theirs = _invoice(client, tenant_b, stays["b"])
    reservation = stays["a"]["reservation"]
    client.post("/api/v1/payments", headers=tenant_a.headers(Role.STAFF),
                json={"invoice_id": invoice["id"], "amount_cents": 2700, "method": "CASH"})
    current = client.get(f"/api/v1/reservations/{reservation['id']}", headers=tenant_a.headers())
    end = (tenant_today_of(client, tenant_a) + timedelta(days=14)).isoformat()
    r = client.patch(f"/api/v1/reservations/{reservation['id']}", json={"end_date": end},
                     headers={**tenant_a.headers(Role.STAFF), "If-Match": current.headers["ETag"]})
    assert r.status_code == 200, r.json
    after = client.get(f"/api/v1/invoices/{invoice['id']}", headers=tenant_a.headers()).json
    added = [line for line in after["lines"] if line["reason"].startswith("re-priced: ")]
    assert added and {line["kind"] for line in added} == {"SERVICE"}  # untaxed boarding: no tax line moves
    assert after["total_cents"] == r.json["total_cents"] == invoice["total_cents"] + 4500
    assert after["lines"][:len(invoice["lines"])] == invoice["lines"]
    assert (after["paid_cents"], after["balance_cents"]) == (2700, after["total_cents"] - 2700)
    ledger = client.get(f"/api/v1/customers/{stays['a']['customer_id']}/ledger", headers=tenant_a.headers()).json
    assert ledger["balance_cents"] == after["balance_cents"]
    assert client.get(f"/api/v1/invoices/{theirs['id']}", headers=tenant_b.headers()).json == theirs


def tenant_today_of(client, fx):
    with client.application.app_context(), tenant_context(lookup_tenant(fx.subdomain)):
        return tenant_today()
