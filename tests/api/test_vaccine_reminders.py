"""GET /api/v1/expiring-vaccinations and POST /api/v1/pets/{id}/vaccine-reminders: one resort's pets only, paged in a
constant number of queries, reminders queued in the outbox."""
import uuid
from datetime import date, timedelta

from app.core.extensions import db
from app.models import OutboxMessage, Role
from app.services import customers, pets
from app.services.compliance import tenant_today
from app.tenancy import lookup_tenant, tenant_context, unscoped

LIST = "/api/v1/expiring-vaccinations"


def _household(app, fx, *, expiring=(5,), phone=None):
    """A household with a pet whose vaccines expire in `expiring` days; returns the pet id."""
    with app.test_request_context(base_url=fx.base_url), tenant_context(lookup_tenant(fx.subdomain)):
        tag = uuid.uuid4().hex[:6]
        c = customers.create_customer(first_name="Ann", last_name=f"Of {fx.subdomain}", phone=phone,
                                      email=f"ann-{tag}@{fx.subdomain}.example")
        pet = pets.create_pet(customer_id=c.id, name=f"Rex {tag}", species="DOG")
        for vaccine, days in zip(("Rabies", "Bordetella", "Distemper", "Leptospirosis"), expiring, strict=False):
            pets.add_vaccination(pet_id=pet.id, vaccine=vaccine, given_on=date(2024, 1, 1),
                                 expires_on=tenant_today() + timedelta(days=days))
        return str(pet.id)


def _messages(app):
    with app.app_context(), unscoped():
        rows = db.session.execute(db.select(OutboxMessage)).scalars().all()
        db.session.expunge_all()
    return rows


def test_the_list_shows_this_resorts_records_in_the_window_soonest_first(app, client, tenant_a, tenant_b):
    a_pet = _household(app, tenant_a, expiring=(10, -3))
    _household(app, tenant_a, expiring=(200,))  # outside the default window
    b_pet = _household(app, tenant_b)
    r = client.get(LIST, headers=tenant_a.headers(Role.STAFF))
    assert r.status_code == 200
    rows = r.get_json()
    assert [(x["pet_id"], x["vaccine"], x["expired"], x["days_left"]) for x in rows] == [
        (a_pet, "Bordetella", True, -3), (a_pet, "Rabies", False, 10)]
    assert b_pet not in r.get_data(as_text=True) and r.headers["X-Pagination"]
    with app.test_request_context(), tenant_context(lookup_tenant(tenant_a.subdomain)):
        today = tenant_today()
    wide = client.get(f"{LIST}?start={today}&end={today + timedelta(days=365)}",
                      headers=tenant_a.headers())
    assert [x["days_left"] for x in wide.get_json()] == [10, 200]


def test_a_bad_window_is_a_422_naming_the_field(client, tenant_a):
    backwards = client.get(f"{LIST}?start=2026-02-01&end=2026-01-01", headers=tenant_a.headers())
    assert backwards.status_code == 422 and "end" in backwards.get_json()["errors"]
    too_long = client.get(f"{LIST}?start=2026-01-01&end=2027-06-01", headers=tenant_a.headers())
    assert too_long.status_code == 422 and "400 days" in str(too_long.get_json()["errors"]["end"])
    bad = client.get(f"{LIST}?start=soon", headers=tenant_a.headers())
    assert bad.status_code == 422 and "start" in str(bad.get_json())
    assert client.get(f"{LIST}?from=2026-01-01", headers=tenant_a.headers()).status_code == 422  # unknown filter


def test_the_list_is_a_constant_number_of_queries(app, client, tenant_a, count_queries):
    _household(app, tenant_a, expiring=(3,))
    client.get(LIST, headers=tenant_a.headers())
    with count_queries() as few:
        client.get(LIST, headers=tenant_a.headers())
    for n in range(4):
        _household(app, tenant_a, expiring=(n, n + 1))
    with count_queries() as many:
        assert len(client.get(f"{LIST}?page_size=50", headers=tenant_a.headers()).get_json()) == 9
    assert few.count == many.count


def test_remind_queues_a_message_per_record_for_this_resorts_pet_only(app, client, tenant_a, tenant_b):
    a_pet = _household(app, tenant_a, expiring=(-3, 10))
    b_pet = _household(app, tenant_b)
    r = client.post(f"/api/v1/pets/{a_pet}/vaccine-reminders", headers=tenant_a.headers(Role.STAFF), json={})
    assert r.status_code == 202, r.get_json()
    assert r.get_json()["records"] == 2 and len(r.get_json()["message_ids"]) == 2
    sent = _messages(app)
    assert {str(m.id) for m in sent} == set(r.get_json()["message_ids"])
    assert {m.tenant_id for m in sent} == {tenant_a.id} and {m.kind for m in sent} == {"vaccine_reminder"}
    crossed = client.post(f"/api/v1/pets/{b_pet}/vaccine-reminders", headers=tenant_a.headers(), json={})
    missing = client.post(f"/api/v1/pets/{uuid.uuid4()}/vaccine-reminders", headers=tenant_a.headers(), json={})
    assert crossed.status_code == missing.status_code == 404
    assert crossed.get_json()["message"] == missing.get_json()["message"]
    assert len(_messages(app)) == 2


def test_remind_with_nothing_in_the_window_or_a_bad_one_is_a_422_naming_it(app, client, tenant_a):
    pet = _household(app, tenant_a, expiring=(200,))
    r = client.post(f"/api/v1/pets/{pet}/vaccine-reminders", headers=tenant_a.headers(), json={})
    assert r.status_code == 422 and "pet_id" in r.get_json()["errors"]
    bad = client.post(f"/api/v1/pets/{pet}/vaccine-reminders", headers=tenant_a.headers(),
                      json={"start": "2026-02-01", "end": "2026-01-01"})
    assert bad.status_code == 422 and "end" in bad.get_json()["errors"]
    unknown = client.post(f"/api/v1/pets/{pet}/vaccine-reminders", headers=tenant_a.headers(), json={"when": "now"})
    assert unknown.status_code == 422 and "when" in str(unknown.get_json())
    assert _messages(app) == []


def test_the_vaccine_routes_are_documented_with_examples_and_errors(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert "422" in paths[LIST]["get"]["responses"]
    remind = paths["/api/v1/pets/{pet_id}/vaccine-reminders"]["post"]
    assert {"202", "404", "422"} <= set(remind["responses"])
    assert "example" in remind["responses"]["202"]["content"]["application/json"]
    assert "example" in remind["requestBody"]["content"]["application/json"]
