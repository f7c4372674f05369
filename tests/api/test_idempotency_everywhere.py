"""Every creating POST honours `Idempotency-Key`: a retry creates one row, another body under the key is a 422."""
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.core.extensions import db
from app.models import (
    AddOn,
    ApiKey,
    Customer,
    IdempotencyKey,
    Invoice,
    InvoiceLine,
    Kennel,
    Payment,
    Pet,
    PriceRule,
    Refund,
    Reservation,
    Role,
    Service,
    User,
    Vaccination,
    VaccineRequirement,
    WebhookEndpoint,
)
from app.tenancy import unscoped

# Operators create tenants with no tenant of their own, and keys are kept per tenant: a second
# request for the same subdomain is a 409 naming it, so a retry still creates nothing twice.
NOT_TENANT_SCOPED = {"/api/v1/platform/tenants"}
# Rows with no version (never edited in place) have no ETag to give; a bulk create has no one Location.
NO_ETAG = {"/api/v1/payments/{payment_id}/refunds", "/api/v1/kennels/bulk"}
NO_LOCATION = {"/api/v1/kennels/bulk"}


def day(offset: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=offset)).isoformat()


def _ok(r, status=201):
    assert r.status_code == status, r.json
    return r.json


def _world(client, fx) -> dict:
    """What the creating POSTs need: a service, a kennel, a vaccinated household, a booking, an invoice, a payment."""
    m = fx.headers(Role.MANAGER)
    service = _ok(client.post("/api/v1/services", headers=m, json={
        "name": "Boarding", "category": "BOARDING", "price_cents": 5000, "price_unit": "PER_NIGHT",
        "kennel_types": ["RUN"], "allowed_species": ["DOG"]}))
    _ok(client.post("/api/v1/kennels", headers=m, json={"code": "K01", "type": "RUN", "size": "L", "capacity": 1}))
    customer = _ok(client.post("/api/v1/customers", headers=m, json={"first_name": "Ann", "last_name": "Smith"}))
    pet = _ok(client.post(f"/api/v1/customers/{customer['id']}/pets", headers=m, json={"name": "Rex", "species": "DOG"}))
    booked = _ok(client.post("/api/v1/reservations", headers=m, json={
        "customer_id": customer["id"], "service_id": service["id"], "start_date": day(20), "end_date": day(22),
        "pets": [{"pet_id": pet["id"]}], "vaccine_override_reason": "Records on the way"}))
    invoice = _ok(client.post("/api/v1/invoices", headers=m, json={"reservation_id": booked["id"], "issue": True}))
    payment = _ok(client.post("/api/v1/payments", headers=m, json={
        "invoice_id": invoice["id"], "amount_cents": 3000, "method": "CASH"}))
    return {"service": service["id"], "customer": customer["id"], "pet": pet["id"], "invoice": invoice["id"],
            "payment": payment["id"]}


# path template -> (model counted, body maker, a different body under the same key)
CASES = {
    "/api/v1/customers": (Customer, lambda w: {"first_name": "Walk", "last_name": "In"},
                          lambda w: {"first_name": "Other", "last_name": "In"}),
    "/api/v1/customers/{customer_id}/pets": (Pet, lambda w: {"name": "Bella", "species": "DOG"},
                                             lambda w: {"name": "Luna", "species": "DOG"}),
    "/api/v1/pets/{pet_id}/vaccinations": (
        Vaccination, lambda w: {"vaccine": "Leptospirosis", "given_on": day(-10), "expires_on": day(300)},
        lambda w: {"vaccine": "Leptospirosis", "given_on": day(-11), "expires_on": day(300)}),
    "/api/v1/reservations": (
        Reservation, lambda w: {"customer_id": w["customer"], "service_id": w["service"], "start_date": day(40),
                                "end_date": day(41), "pets": [{"pet_id": w["pet"]}],
                                "vaccine_override_reason": "Records on the way"},
        lambda w: {"customer_id": w["customer"], "service_id": w["service"], "start_date": day(50),
                   "end_date": day(51), "pets": [{"pet_id": w["pet"]}], "vaccine_override_reason": "Records on the way"}),
    "/api/v1/invoices": (
        Invoice, lambda w: {"customer_id": w["customer"], "lines": [
            {"kind": "PRODUCT", "description": "Leash", "unit_price_cents": 1500, "taxable": True}]},
        lambda w: {"customer_id": w["customer"], "lines": [
            {"kind": "PRODUCT", "description": "Collar", "unit_price_cents": 1500, "taxable": True}]}),
    "/api/v1/invoices/{invoice_id}/lines": (
        InvoiceLine, lambda w: {"kind": "FEE", "description": "Bath at pickup", "unit_price_cents": 1500,
                                "taxable": True, "reason": "Asked at pickup"},
        lambda w: {"kind": "FEE", "description": "Nail trim", "unit_price_cents": 1500, "taxable": True,
                   "reason": "Asked at pickup"}),
    "/api/v1/payments": (Payment, lambda w: {"invoice_id": w["invoice"], "amount_cents": 500, "method": "CASH"},
                         lambda w: {"invoice_id": w["invoice"], "amount_cents": 600, "method": "CASH"}),
    "/api/v1/payments/{payment_id}/refunds": (Refund, lambda w: {"amount_cents": 100, "reason": "Walk not given"},
                                              lambda w: {"amount_cents": 200, "reason": "Walk not given"}),
    "/api/v1/services": (Service, lambda w: {"name": "Daycare", "category": "DAYCARE", "price_cents": 3000,
                                             "price_unit": "PER_DAY"},
                         lambda w: {"name": "Daycare+", "category": "DAYCARE", "price_cents": 3000,
                                    "price_unit": "PER_DAY"}),
    "/api/v1/addons": (AddOn, lambda w: {"name": "Extra walk", "price_cents": 800, "unit": "PER_DAY"},
                       lambda w: {"name": "Ice cream", "price_cents": 800, "unit": "PER_DAY"}),
    "/api/v1/price-rules": (
        PriceRule, lambda w: {"name": "Peak", "kind": "DATE_WINDOW", "effect": "SURCHARGE", "amount_type": "PERCENT",
                              "percent": "20.00", "valid_from": day(100), "valid_to": day(110)},
        lambda w: {"name": "Peak 2", "kind": "DATE_WINDOW", "effect": "SURCHARGE", "amount_type": "PERCENT",
                   "percent": "20.00", "valid_from": day(100), "valid_to": day(110)}),
    "/api/v1/kennels": (Kennel, lambda w: {"code": "K02", "type": "RUN", "size": "M"},
                        lambda w: {"code": "K03", "type": "RUN", "size": "M"}),
    "/api/v1/kennels/bulk": (Kennel, lambda w: {"prefix": "B", "start": 1, "end": 3, "type": "RUN", "size": "M"},
                             lambda w: {"prefix": "C", "start": 1, "end": 3, "type": "RUN", "size": "M"}),
    "/api/v1/users": (User, lambda w: {"email": "sam@resort.example", "name": "Sam", "role": "STAFF"},
                      lambda w: {"email": "kim@resort.example", "name": "Kim", "role": "STAFF"}),
    "/api/v1/vaccine-requirements": (
        VaccineRequirement, lambda w: {"species": "DOG", "category": "DAYCARE", "vaccine": "Canine Influenza"},
        lambda w: {"species": "DOG", "category": "DAYCARE", "vaccine": "Leptospirosis"}),
    "/api/v1/api-keys": (ApiKey, lambda w: {"name": "Website widget", "role": "STAFF"},
                         lambda w: {"name": "Accounting sync", "role": "STAFF"}),
    "/api/v1/webhook-endpoints": (
        WebhookEndpoint, lambda w: {"url": "http://127.0.0.1:9/hooks", "event_types": ["payment.recorded"]},
        lambda w: {"url": "http://127.0.0.1:9/other", "event_types": ["payment.recorded"]}),
}


def _url(template: str, w: dict) -> str:
    return template.format(customer_id=w["customer"], pet_id=w["pet"], invoice_id=w["invoice"],
                           payment_id=w["payment"])


def _count(app, model, fx) -> int:
    with app.app_context(), unscoped():
        return db.session.execute(select(func.count()).select_from(model).where(model.tenant_id == fx.id)).scalar_one()


def test_every_creating_post_in_the_document_is_idempotent_and_covered_here(client):
    """A new creating POST without @idempotent, or without a case below, fails here."""
    spec = client.get("/api/v1/openapi.json").json
    creating = {path for path, ops in spec["paths"].items() if "201" in ops.get("post", {}).get("responses", {})}
    assert creating - NOT_TENANT_SCOPED == set(CASES)
    for path in CASES:
        names = {p.get("name") for p in spec["paths"][path]["post"].get("parameters", [])}
        assert "Idempotency-Key" in names, path


@pytest.mark.parametrize("path", sorted(CASES))
def test_a_retried_create_makes_one_row_and_a_reused_key_with_another_body_is_refused(
        app, client, tenant_a, tenant_b, path):
    model, body, other = CASES[path]
    w, wb = _world(client, tenant_a), _world(client, tenant_b)
    url = _url(path, w)
    headers = tenant_a.headers(Role.ADMIN, **{"Idempotency-Key": f"retry-{path}"})
    before, before_b = _count(app, model, tenant_a), _count(app, model, tenant_b)
    first = client.post(url, headers=headers, json=body(w))
    assert first.status_code == 201, first.json
    created = _count(app, model, tenant_a) - before
    again = client.post(url, headers=headers, json=body(w))
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert _count(app, model, tenant_a) - before == created >= 1
    if path not in NO_LOCATION:
        assert first.headers["Location"] and again.headers["Location"] == first.headers["Location"]
    if path not in NO_ETAG:
        assert first.headers["ETag"] and again.headers["ETag"] == first.headers["ETag"]
    refused = client.post(url, headers=headers, json=other(w))
    assert refused.status_code == 422 and "Idempotency-Key" in refused.json["errors"]
    assert _count(app, model, tenant_a) - before == created
    # Keys are per tenant: tenant B's same key on its own data is a new request, not A's replay.
    b = client.post(_url(path, wb), headers=tenant_b.headers(Role.ADMIN, **{"Idempotency-Key": f"retry-{path}"}),
                    json=body(wb))
    assert b.status_code == 201 and "Idempotent-Replayed" not in b.headers
    assert _count(app, model, tenant_b) - before_b == created


def test_a_key_secret_is_shown_once_and_never_kept_for_a_replay(app, client, tenant_a):
    headers = tenant_a.headers(Role.ADMIN, **{"Idempotency-Key": "key-once"})
    first = client.post("/api/v1/api-keys", headers=headers, json={"name": "Widget", "role": "STAFF"})
    assert first.status_code == 201 and first.json["secret"]
    again = client.post("/api/v1/api-keys", headers=headers, json={"name": "Widget", "role": "STAFF"})
    assert again.status_code == 201 and again.json["id"] == first.json["id"] and again.json["secret"] is None
    with app.app_context(), unscoped():
        stored = db.session.execute(select(IdempotencyKey.response_body)).scalars().all()
    assert stored and not any(first.json["secret"] in body for body in stored)
