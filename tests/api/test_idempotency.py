"""Idempotency-Key on creating POSTs: a retry gets the first response and creates nothing new."""
import json
import threading
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text

from app.core import idempotency
from app.core.extensions import db
from app.core.rls import OWNER
from app.models import Customer, IdempotencyKey, Pet, Role, Vaccination
from app.tenancy import tenant_context, unscoped

# No email: nothing unique in the body, so without the key a retry would be a second customer.
WALK_IN = {"first_name": "Walk", "last_name": "In", "phone": "(555) 123-4567", "notes": "Retried by a flaky client"}
KEY = "3f0c1e9a-retry-me"


def _post(client, fx, key=KEY, body=None, path="/api/v1/customers", **kwargs):
    headers = fx.headers(Role.STAFF, **({} if key is None else {"Idempotency-Key": key}))
    return client.post(path, headers=headers, json=WALK_IN if body is None else body, **kwargs)


def _count(app, model, fx) -> int:
    """Rows of model that tenant fx owns, read as operator code."""
    with app.app_context(), unscoped():
        return db.session.execute(select(func.count()).select_from(model).where(model.tenant_id == fx.id)).scalar_one()


def _as_owner(app, sql: str, **params) -> None:
    """Change rows behind the app's back (as the table owner, past the tenant policies)."""
    with app.app_context(), db.engine.execution_options(**{OWNER: True}).begin() as conn:
        conn.execute(text(sql), params)


def _household(client, fx):
    c = _post(client, fx, key=None)
    assert c.status_code == 201, c.json
    return c.json["id"]


def test_a_retried_post_gets_the_first_response_and_creates_nothing(app, client, tenant_a):
    first = _post(client, tenant_a)
    again = _post(client, tenant_a)
    assert first.status_code == again.status_code == 201
    assert again.get_data() == first.get_data()
    assert first.headers["Location"] == f"/api/v1/customers/{first.json['id']}"
    assert first.headers["ETag"] == f'"{first.json["id"]}-1"'
    for header in ("Content-Type", "Location", "ETag"):
        assert again.headers[header] == first.headers[header], header
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert _count(app, Customer, tenant_a) == 1


def test_without_a_key_a_retry_is_a_second_request(app, client, tenant_a):
    assert _post(client, tenant_a, key=None).status_code == _post(client, tenant_a, key=None).status_code == 201
    assert _count(app, Customer, tenant_a) == 2


def test_the_body_is_compared_as_json_not_as_text(app, client, tenant_a):
    assert _post(client, tenant_a).status_code == 201
    reordered = json.dumps(dict(reversed(list(WALK_IN.items()))), indent=2)
    again = client.post("/api/v1/customers", data=reordered, content_type="application/json",
                        headers=tenant_a.headers(Role.STAFF, **{"Idempotency-Key": KEY}))
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert _count(app, Customer, tenant_a) == 1


def test_the_same_key_with_a_different_body_is_422_naming_the_header(app, client, tenant_a):
    first = _post(client, tenant_a)
    other = _post(client, tenant_a, body={**WALK_IN, "last_name": "Out"})
    assert other.status_code == 422 and "Idempotency-Key" in other.json["errors"]
    assert "Idempotency-Key" in other.json["message"]
    assert _count(app, Customer, tenant_a) == 1
    assert _post(client, tenant_a).get_data() == first.get_data()  # the first request's answer is still there


def test_the_same_key_and_body_on_another_path_is_422(app, client, tenant_a):
    rex = {"name": "Rex", "species": "DOG"}
    first, other = _household(client, tenant_a), _household(client, tenant_a)
    assert _post(client, tenant_a, body=rex, path=f"/api/v1/customers/{first}/pets").status_code == 201
    r = _post(client, tenant_a, body=rex, path=f"/api/v1/customers/{other}/pets")
    assert r.status_code == 422 and "Idempotency-Key" in r.json["errors"]
    assert _count(app, Pet, tenant_a) == 1


def test_keys_are_per_tenant(app, client, tenant_a, tenant_b):
    a = _post(client, tenant_a)
    b = _post(client, tenant_b)
    assert a.status_code == b.status_code == 201 and "Idempotent-Replayed" not in b.headers
    assert a.json["id"] != b.json["id"]
    assert _count(app, Customer, tenant_a) == _count(app, Customer, tenant_b) == 1
    assert _post(client, tenant_b, body={**WALK_IN, "last_name": "Other"}).status_code == 422  # B's key is B's own
    assert _post(client, tenant_a).headers["Idempotent-Replayed"] == "true"


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there"])
def test_a_malformed_key_is_422_and_nothing_is_created(app, client, tenant_a, key):
    r = _post(client, tenant_a, key=key)
    assert r.status_code == 422 and "Idempotency-Key" in r.json["errors"]
    assert _count(app, Customer, tenant_a) == 0


def test_a_request_that_fails_in_the_service_keeps_no_key_and_the_key_works_once_fixed(app, client, tenant_a):
    """The schema accepts the body; the service refuses it (a future birth date) after the key went in."""
    customer_id = _household(client, tenant_a)
    path = f"/api/v1/customers/{customer_id}/pets"
    future = (date.today() + timedelta(days=30)).isoformat()
    refused = _post(client, tenant_a, body={"name": "Rex", "species": "DOG", "birth_date": future}, path=path)
    assert refused.status_code == 422 and "birth_date" in refused.json["errors"]
    assert _count(app, IdempotencyKey, tenant_a) == 0
    fixed = _post(client, tenant_a, body={"name": "Rex", "species": "DOG", "birth_date": "2020-05-17"}, path=path)
    assert fixed.status_code == 201 and "Idempotent-Replayed" not in fixed.headers
    assert _count(app, Pet, tenant_a) == 1 and _count(app, IdempotencyKey, tenant_a) == 1


def test_a_conflict_the_service_rolls_back_keeps_no_key(app, client, tenant_a):
    assert _post(client, tenant_a, key=None, body={**WALK_IN, "email": "jane@example.com"}).status_code == 201
    clash = _post(client, tenant_a, body={**WALK_IN, "email": "jane@example.com"})
    assert clash.status_code == 409 and "email" in clash.json["errors"]
    fixed = _post(client, tenant_a, body={**WALK_IN, "email": "walk.in@example.com"})
    assert fixed.status_code == 201 and "Idempotent-Replayed" not in fixed.headers
    assert _count(app, Customer, tenant_a) == 2


def test_a_key_older_than_24_hours_acts_as_new(app, client, tenant_a):
    first = _post(client, tenant_a)
    _as_owner(app, "UPDATE idempotency_keys SET created_at = :t", t=idempotency.utcnow() - timedelta(hours=25))
    again = _post(client, tenant_a)
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert again.json["id"] != first.json["id"]
    assert _count(app, Customer, tenant_a) == 2 and _count(app, IdempotencyKey, tenant_a) == 1
    assert _post(client, tenant_a).get_data() == again.get_data()  # the new request's answer is the one kept


def test_the_purge_command_deletes_expired_keys_of_every_tenant_only(app, client, tenant_a, tenant_b):
    _post(client, tenant_a)
    _post(client, tenant_b)
    _post(client, tenant_a, key="still-fresh")
    _as_owner(app, "UPDATE idempotency_keys SET created_at = :t WHERE key = :k",
              t=idempotency.utcnow() - timedelta(hours=25), k=KEY)
    result = app.test_cli_runner().invoke(args=["idempotency", "purge"])
    assert result.exit_code == 0 and "purged 2 expired" in result.output, result.output
    assert _count(app, IdempotencyKey, tenant_a) == 1 and _count(app, IdempotencyKey, tenant_b) == 0
    assert _post(client, tenant_a, key="still-fresh").headers["Idempotent-Replayed"] == "true"


def test_a_duplicate_while_the_first_is_unanswered_is_409_with_retry_after(app, client, tenant_a):
    _post(client, tenant_a)
    _as_owner(app, "UPDATE idempotency_keys SET response_status = NULL, response_body = NULL")  # not answered yet
    r = _post(client, tenant_a)
    assert r.status_code == 409 and "still being processed" in r.json["message"]
    # Our own 1 s, not raised to the rate-limit window's reset (config RATELIMIT_HEADER_RETRY_AFTER).
    assert r.headers.get_all("Retry-After") == [str(idempotency.RETRY_AFTER_SECONDS)]
    assert "Idempotency-Key" in r.json["errors"]
    assert _count(app, Customer, tenant_a) == 1


def test_a_duplicate_arriving_while_the_first_records_its_answer_waits_for_it(app, client, tenant_a):
    first = _post(client, tenant_a)
    with app.app_context(), db.engine.execution_options(**{OWNER: True}).connect() as conn:
        status, body = conn.execute(text("SELECT response_status, response_body FROM idempotency_keys")).one()
    _as_owner(app, "UPDATE idempotency_keys SET response_status = NULL, response_body = NULL")
    recorder = threading.Timer(0.3, _as_owner, args=(app, "UPDATE idempotency_keys SET response_status = :s,"
                                                          " response_body = :b"), kwargs={"s": status, "b": body})
    recorder.start()
    again = _post(client, tenant_a)
    recorder.join()
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_data() == first.get_data()


def test_a_retry_after_a_crash_between_commit_and_recording_is_409_not_a_second_customer(
        app, client, tenant_a, monkeypatch):
    monkeypatch.setattr(idempotency, "_recorder", lambda *args: lambda response: response)  # "dies" before recording
    assert _post(client, tenant_a).status_code == 201
    monkeypatch.undo()
    _as_owner(app, "UPDATE idempotency_keys SET created_at = :t", t=idempotency.utcnow() - timedelta(minutes=5))
    r = _post(client, tenant_a)
    assert r.status_code == 409 and "look the resource up" in r.json["message"]
    assert _count(app, Customer, tenant_a) == 1


def test_a_view_that_rolled_the_key_back_and_then_succeeded_still_records_it(app, client, tenant_a, monkeypatch):
    from app.services import customers

    create = customers.create_customer

    def roll_back_first(**fields):
        db.session.rollback()  # e.g. a service retrying after a deadlock: the key row went with it
        return create(**fields)

    monkeypatch.setattr(customers, "create_customer", roll_back_first)
    first = _post(client, tenant_a)
    again = _post(client, tenant_a)
    assert again.headers["Idempotent-Replayed"] == "true" and again.get_data() == first.get_data()
    assert _count(app, Customer, tenant_a) == 1


def test_creating_a_pet_and_a_vaccination_is_idempotent(app, client, tenant_a):
    customer_id = _household(client, tenant_a)
    pet_path = f"/api/v1/customers/{customer_id}/pets"
    pet = _post(client, tenant_a, key="pet-1", body={"name": "Rex", "species": "DOG"}, path=pet_path)
    pet_again = _post(client, tenant_a, key="pet-1", body={"name": "Rex", "species": "DOG"}, path=pet_path)
    assert pet_again.get_data() == pet.get_data() and pet.headers["Location"] == f"/api/v1/pets/{pet.json['id']}"
    assert (pet_again.headers["Location"], pet_again.headers["ETag"]) == (pet.headers["Location"], pet.headers["ETag"])
    shot = {"vaccine": "Rabies", "given_on": "2026-01-01", "expires_on": "2029-01-01"}
    path = f"/api/v1/pets/{pet.json['id']}/vaccinations"
    first, again = (_post(client, tenant_a, key="shot-1", body=shot, path=path) for _ in range(2))
    assert first.status_code == again.status_code == 201 and again.get_data() == first.get_data()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _count(app, Pet, tenant_a) == 1 and _count(app, Vaccination, tenant_a) == 1


def test_a_retried_booking_gets_the_first_response_and_holds_its_places_once(app, client, tenant_a, tenant_b):
    from app.models import KennelNight, Reservation
    from tests.api.test_reservations import booking, make_world

    w = make_world(client, tenant_a)
    body = booking(w, kennel="a02")
    first = _post(client, tenant_a, key="book-1", body=body, path="/api/v1/reservations")
    again = _post(client, tenant_a, key="book-1", body=body, path="/api/v1/reservations")
    assert first.status_code == again.status_code == 201 and again.get_data() == first.get_data()
    assert again.headers["Idempotent-Replayed"] == "true"
    for header in ("Location", "ETag"):
        assert again.headers[header] == first.headers[header], header
    assert _count(app, Reservation, tenant_a) == 1 and _count(app, KennelNight, tenant_a) == 2
    other = _post(client, tenant_a, key="book-1", body={**body, "notes": "changed"}, path="/api/v1/reservations")
    assert other.status_code == 422 and "Idempotency-Key" in other.json["errors"]
    full = _post(client, tenant_a, key="book-2", body=booking(w, customer="jones", pets=("max",), kennel="a02"),
                 path="/api/v1/reservations")
    assert full.status_code == 409 and _count(app, IdempotencyKey, tenant_a) == 1  # a refusal keeps no key
    assert _count(app, Reservation, tenant_a) == 1 and _count(app, Reservation, tenant_b) == 0


def test_the_key_is_never_logged(client, tenant_a, captured_logs):
    secret_ish = "jane-doe-555-123-4567-signup"
    _post(client, tenant_a, key=secret_ish)
    _post(client, tenant_a, key=secret_ish)
    _post(client, tenant_a, key=secret_ish, body={**WALK_IN, "last_name": "Other"})
    assert captured_logs and not [line for line in captured_logs if secret_ish in line]


def test_the_request_body_is_kept_only_as_a_hash(app, client, tenant_a):
    _post(client, tenant_a, body={**WALK_IN, "notes": "unechoed-marker"}, path="/api/v1/customers")
    with app.app_context(), unscoped():
        row = db.session.execute(select(IdempotencyKey)).scalar_one()
    assert len(row.request_hash) == 64 and set(row.request_hash) <= set("0123456789abcdef")
    assert row.response_status == 201 and json.loads(row.response_body)["notes"] == "unechoed-marker"  # the answer
    assert set(row.response_headers) <= {"Content-Type", "Location", "ETag"}


@pytest.mark.parametrize(("method", "path"), [
    ("post", "/api/v1/customers"),
    ("post", "/api/v1/customers/{customer_id}/pets"),
    ("post", "/api/v1/pets/{pet_id}/vaccinations"),
    ("post", "/api/v1/reservations"),
])
def test_the_openapi_document_describes_the_header_and_its_answers(client, method, path):
    spec = client.get("/api/v1/openapi.json").json
    operation = spec["paths"][path][method]
    header = [p for p in operation["parameters"] if p.get("name") == "Idempotency-Key"]
    assert header and header[0]["in"] == "header" and header[0]["required"] is False
    assert "Idempotency-Key" in operation["responses"]["409"]["description"]
    assert "Idempotency-Key" in operation["responses"]["422"]["description"]
    assert "Idempotent-Replayed" in operation["responses"]["201"]["headers"]


def test_only_decorated_operations_document_the_header(client):
    spec = client.get("/api/v1/openapi.json").json
    documented = sorted(f"{m.upper()} {p}" for p, ops in spec["paths"].items() for m, op in ops.items()
                        if isinstance(op, dict) and any(x.get("name") == "Idempotency-Key" for x in op.get("parameters", [])))
    creating = sorted(f"POST {p}" for p, ops in spec["paths"].items()
                      if "201" in ops.get("post", {}).get("responses", {}) and p != "/api/v1/platform/tenants")
    assert documented == creating and "POST /api/v1/reservations" in documented  # nothing that only reads or acts


@pytest.mark.postgres
def test_tenant_b_cannot_see_tenant_as_keys_even_with_raw_sql(app, client, tenant_a, tenant_b):
    _post(client, tenant_a)
    with app.app_context():
        with unscoped():
            from app.models import Tenant

            a, b = db.session.get(Tenant, tenant_a.id), db.session.get(Tenant, tenant_b.id)
        raw = "SELECT count(*) FROM idempotency_keys"
        with tenant_context(b):
            assert db.session.connection().exec_driver_sql(raw).scalar_one() == 0
            assert db.session.connection().exec_driver_sql("UPDATE idempotency_keys SET response_body = 'x'").rowcount == 0
        with tenant_context(a):
            assert db.session.connection().exec_driver_sql(raw).scalar_one() == 1
        db.session.rollback()


@pytest.mark.postgres
def test_simultaneous_identical_posts_with_one_key_create_exactly_one_customer(app, tenant_a):
    """12 threads fire the same POST at once: one creates, every other gets the replayed 201 or a 409."""
    threads, barrier = 12, threading.Barrier(12)
    results: list = []

    def fire():
        client = app.test_client()
        barrier.wait()
        r = _post(client, tenant_a)
        results.append((r.status_code, r.headers.get("Idempotent-Replayed"), r.get_data()))

    workers = [threading.Thread(target=fire) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert len(results) == threads
    created = [r for r in results if r[0] == 201 and r[1] is None]
    replayed = [r for r in results if r[0] == 201 and r[1] == "true"]
    busy = [r for r in results if r[0] == 409]
    assert len(created) == 1 and len(created) + len(replayed) + len(busy) == threads, [r[:2] for r in results]
    assert all(r[2] == created[0][2] for r in replayed)
    assert _count(app, Customer, tenant_a) == 1 and _count(app, IdempotencyKey, tenant_a) == 1


def _hold_key_uncommitted(app, fx, key=KEY):
    """Another request's key row, inserted and not yet committed: returns (connection, transaction)."""
    with app.app_context():
        conn = db.engine.execution_options(**{OWNER: True}).connect()
    transaction = conn.begin()
    conn.execute(text("INSERT INTO idempotency_keys (id, tenant_id, key, request_hash, created_at)"
                      " VALUES (:id, :tenant, :key, :hash, :now)"),
                 {"id": uuid.uuid4().hex if conn.dialect.name == "sqlite" else str(uuid.uuid4()),
                  "tenant": fx.id.hex if conn.dialect.name == "sqlite" else str(fx.id),
                  "key": key, "hash": "0" * 64, "now": idempotency.utcnow()})
    return conn, transaction


def _post_in_background(client, fx) -> tuple[threading.Thread, dict]:
    result: dict = {}
    worker = threading.Thread(target=lambda: result.update(r=_post(client, fx)))
    worker.start()
    return worker, result


def test_a_duplicate_waits_for_the_first_and_runs_normally_when_the_first_rolls_back(app, client, tenant_a):
    conn, transaction = _hold_key_uncommitted(app, tenant_a)
    try:
        worker, result = _post_in_background(client, tenant_a)
        worker.join(timeout=0.7)
        assert worker.is_alive(), "the duplicate did not wait for the first request's key"
        transaction.rollback()  # the first request failed: its key goes with it
        worker.join(timeout=10)
    finally:
        conn.close()
    assert result["r"].status_code == 201 and "Idempotent-Replayed" not in result["r"].headers
    assert _count(app, Customer, tenant_a) == 1


@pytest.mark.postgres
def test_a_duplicate_that_waits_past_the_lock_timeout_is_409_still_being_processed(app, client, tenant_a):
    conn, transaction = _hold_key_uncommitted(app, tenant_a)
    try:
        worker, result = _post_in_background(client, tenant_a)
        worker.join(timeout=30)  # lock_timeout (2 s in tests) ends the wait
        transaction.rollback()
    finally:
        conn.close()
    r = result["r"]
    assert r.status_code == 409 and "still being processed" in r.json["message"] and "Retry-After" in r.headers
    assert _count(app, Customer, tenant_a) == 0
