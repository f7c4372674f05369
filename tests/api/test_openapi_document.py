"""The OpenAPI document is one that tools accept: named operations and enums, declared errors, headers and security."""
import re
from collections import Counter

import pytest
from openapi_schema_validator import OAS30Validator

from app.api.openapi import HTTP_METHODS
from app.api.openapi_names import OPERATION_IDS
from app.models import Role
from tests.api.test_reservations import _ok, book, booking, world  # noqa: F401, F811  (fixture)


@pytest.fixture(scope="module")
def spec(app):
    return app.test_client().get("/api/v1/openapi.json").json


def _operations(spec):
    for path, item in spec["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield path, method, item[method]


def _walk(node, where=""):
    """(where, node) for every dict in a JSON tree."""
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            yield from _walk(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{where}/{i}")


def resolve(spec, node):
    """Follow a local $ref."""
    while isinstance(node, dict) and "$ref" in node:
        target = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def test_every_operation_has_a_unique_operation_id_from_the_table(app, spec):
    ids = [operation.get("operationId") for _path, _method, operation in _operations(spec)]
    assert all(ids) and len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    named = set(OPERATION_IDS.values())
    assert set(ids) <= named, f"name these in app/api/openapi_names.py: {sorted(set(ids) - named)}"
    assert {"listCustomers", "getCustomer", "createReservation", "createPayment", "checkInReservation"} <= set(ids)
    assert all(re.fullmatch(r"[a-z][A-Za-z0-9]+", i) for i in ids)


def test_every_enum_is_one_named_component(spec):
    schemas = spec["components"]["schemas"]
    inline = [where for where, node in _walk(spec) if isinstance(node.get("enum"), list) and len(node["enum"]) > 1
              and not re.fullmatch(r"/components/schemas/[^/]+", where)]
    assert inline == []
    timezones = [name for name, schema in schemas.items() if "America/Denver" in schema.get("enum", [])]
    assert timezones == ["Timezone"] and len(schemas["Timezone"]["enum"]) > 500
    refs = [where for where, node in _walk(spec) if node.get("$ref") == "#/components/schemas/Timezone"]
    assert len(refs) >= 3  # tenant settings, their update and the operator's tenant create share it


def test_enum_member_names_never_collide_once_made_python_names(spec):
    for name, schema in spec["components"]["schemas"].items():
        if "enum" not in schema:
            continue
        members = schema.get("x-enum-varnames") or [str(v).upper() for v in schema["enum"]]
        python = [re.sub(r"[^A-Z0-9]+", "_", m.upper()).strip("_") for m in members]
        assert len(set(python)) == len(schema["enum"]), name
        assert all(re.fullmatch(r"[A-Z_][A-Z0-9_]*", m) for m in python), name


def test_kennels_keep_their_model_beside_the_status_enum_and_the_status_change(spec):
    schemas = spec["components"]["schemas"]
    assert schemas["KennelStatus"]["enum"] == ["IN_SERVICE", "CLEANING", "MAINTENANCE"]
    assert "properties" in schemas["Kennel"] and "properties" in schemas["KennelStatusChange"]
    status = schemas["Kennel"]["properties"]["status"]
    assert resolve(spec, status.get("allOf", [status])[0]) is schemas["KennelStatus"]


def test_servers_and_security_name_the_tenant_and_the_key(spec):
    assert spec["servers"][0]["url"] == "/"
    assert "{tenant}" in spec["servers"][1]["url"]
    schemes = spec["components"]["securitySchemes"]
    assert schemes["tenant"] == {**schemes["tenant"], "type": "apiKey", "in": "header", "name": "X-Tenant"}
    assert schemes["bearerAuth"]["scheme"] == "bearer"
    assert spec["security"] == [{"bearerAuth": [], "tenant": []}]
    platform = spec["paths"]["/api/v1/platform/tenants"]["get"]
    assert platform["security"] == [{"operatorToken": []}]


def test_every_operation_declares_its_errors_with_the_error_schema(spec):
    for path, method, operation in _operations(spec):
        responses = operation["responses"]
        expected = {"401", "429", "503"} | ({"403", "404"} if "/platform/" not in path else set())
        if "requestBody" in operation:
            expected |= {"400", "413", "422"}
        if method in ("post", "put", "patch", "delete"):
            expected.add("409")
        assert expected <= set(responses), (method, path, expected - set(responses))
        for status, answer in responses.items():
            if status[0] in "45" or status == "default":
                answer = resolve(spec, answer)
                assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    updates = [op for _p, m, op in _operations(spec) if m == "patch" and "412" in op["responses"]]
    assert updates and all("428" in op["responses"] for op in updates)


def test_rate_limit_and_retry_headers_are_documented(spec):
    for path, _method, operation in _operations(spec):
        for status, answer in operation["responses"].items():
            if status == "304":
                continue  # Not Modified carries only validators
            headers = resolve(spec, answer).get("headers", {})
            assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} <= set(headers), (path, status)
            if status in ("429", "503"):
                assert "Retry-After" in headers
            if status == "401":
                assert "WWW-Authenticate" in headers
    assert spec["components"]["headers"]["Retry-After"]["schema"]["type"] == "integer"


def test_x_pagination_is_declared_as_the_json_string_it_is(client, spec, tenant_a):
    header = spec["components"]["headers"]["PAGINATION"]
    assert header["schema"]["type"] == "string" and "PaginationMetadata" in header["description"]
    listing = spec["paths"]["/api/v1/customers"]["get"]["responses"]["200"]["headers"]
    assert listing["X-Pagination"] == {"$ref": "#/components/headers/PAGINATION"}
    sent = client.get("/api/v1/customers", headers=tenant_a.headers()).headers["X-Pagination"]
    assert sent.startswith("{") and '"total"' in sent


def test_response_only_schemas_require_their_fields(spec):
    schemas = spec["components"]["schemas"]
    assert "id" in schemas["CustomerDetail"]["required"] and "email" in schemas["CustomerDetail"]["required"]
    assert set(schemas["Error"]["required"]) == {"code", "status", "message", "request_id"}
    assert "required" not in schemas["CustomerCreate"] or "id" not in schemas["CustomerCreate"]["required"]


def test_every_example_in_the_document_matches_its_schema(spec):
    checked = 0
    for path, method, operation in _operations(spec):
        bodies = [("request", operation.get("requestBody", {}))]
        bodies += [(status, resolve(spec, answer)) for status, answer in operation["responses"].items()]
        for _where, holder in bodies:
            media = holder.get("content", {}).get("application/json", {})
            examples = [media["example"]] if "example" in media else []
            examples += [resolve(spec, e)["value"] for e in media.get("examples", {}).values()]
            for example in examples:
                OAS30Validator({**media["schema"], "components": spec["components"]}).validate(example)
                checked += 1
        if method in ("get", "delete") or "requestBody" not in operation:
            continue
        assert operation["requestBody"]["content"].get("application/json", {}).keys() & {"example", "examples"} \
            or "application/json" not in operation["requestBody"]["content"], (method, path)
    main = [("get", "/api/v1/customers"), ("get", "/api/v1/customers/{customer_id}"), ("post", "/api/v1/reservations"),
            ("get", "/api/v1/reservations/{reservation_id}"), ("post", "/api/v1/payments"), ("post", "/api/v1/quotes")]
    for method, path in main:
        answers = spec["paths"][path][method]["responses"]
        ok = answers.get("200") or answers.get("201")
        assert "example" in ok["content"]["application/json"], (method, path)
    assert checked > 100


# --- what the server sends matches what the document says ---------------------------------------------------


def assert_documented(spec, method, template, response):
    """The response's status is declared for the operation and its body validates against the declared schema."""
    declared = spec["paths"][template][method]["responses"]
    status = str(response.status_code)
    assert status in declared, (method, template, status)
    answer = resolve(spec, declared[status])
    schema = answer.get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        return
    OAS30Validator({**schema, "components": spec["components"]}).validate(response.json)


def test_main_responses_match_the_document(client, spec, world, tenant_a, tenant_b):  # noqa: F811
    w, h = world, tenant_a.headers()
    for rule in ({"kind": "LENGTH_OF_STAY", "min_nights": 7}, {"kind": "DAY_OF_WEEK", "days_of_week": ["SAT"]},
                 {"kind": "ADDITIONAL_PET", "from_pet": 2},
                 {"kind": "DATE_WINDOW", "valid_from": "2026-12-20", "valid_to": "2027-01-02"}):
        made = client.post("/api/v1/price-rules", headers=tenant_a.headers(Role.MANAGER), json={
            "name": rule["kind"], "effect": "DISCOUNT", "amount_type": "AMOUNT", "amount_cents": 100, **rule})
        assert_documented(spec, "post", "/api/v1/price-rules", made)  # exactly one variant of the oneOf
    created = book(client, tenant_a, booking(w))
    assert_documented(spec, "post", "/api/v1/reservations", created)
    rid = created.json["id"]
    reads = {
        "/api/v1/reservations": "/api/v1/reservations", "/api/v1/reservations/{reservation_id}": f"/api/v1/reservations/{rid}",
        "/api/v1/customers": "/api/v1/customers", "/api/v1/customers/{customer_id}": f"/api/v1/customers/{w['smith']}",
        "/api/v1/pets/{pet_id}": f"/api/v1/pets/{w['rex']}", "/api/v1/pets": "/api/v1/pets",
        "/api/v1/kennels": "/api/v1/kennels", "/api/v1/kennels/{kennel_id}": f"/api/v1/kennels/{w['a01']}",
        "/api/v1/services": "/api/v1/services", "/api/v1/addons": "/api/v1/addons",
        "/api/v1/invoices": "/api/v1/invoices", "/api/v1/payments": "/api/v1/payments",
        "/api/v1/me": "/api/v1/me", "/api/v1/tenant": "/api/v1/tenant", "/api/v1/price-rules": "/api/v1/price-rules",
        "/api/v1/users": "/api/v1/users", "/api/v1/api-keys": "/api/v1/api-keys",
    }
    for template, url in reads.items():
        r = client.get(url, headers=h)
        assert r.status_code == 200, (url, r.json)
        assert_documented(spec, "get", template, r)
    confirmed = client.post(f"/api/v1/reservations/{rid}/confirm", headers=h, json={})
    assert_documented(spec, "post", "/api/v1/reservations/{reservation_id}/confirm", confirmed)
    # Errors in the one shape: a schema error and a rule error are both flat, each field named.
    schema_error = client.post("/api/v1/customers", headers=h, json={"first_name": "", "colour": "red"})
    assert_documented(spec, "post", "/api/v1/customers", schema_error)
    assert schema_error.status_code == 422 and "colour" in schema_error.json["errors"]
    assert schema_error.json["location"] == "json"
    rule_error = book(client, tenant_a, booking(w, end=1))
    assert rule_error.status_code == 422 and "json" not in rule_error.json["errors"]
    assert_documented(spec, "post", "/api/v1/reservations", rule_error)
    for missing in (client.get(f"/api/v1/reservations/{rid}", headers=tenant_b.headers()),
                    client.get("/api/v1/reservations", headers={"X-Tenant": tenant_a.subdomain})):
        assert_documented(spec, "get", "/api/v1/reservations/{reservation_id}" if missing.status_code == 404
                          else "/api/v1/reservations", missing)
    staff = client.post("/api/v1/services", headers=tenant_a.headers(Role.STAFF), json={
        "name": "Spa", "category": "GROOMING", "price_cents": 100, "price_unit": "FLAT"})
    assert staff.status_code == 403
    assert_documented(spec, "post", "/api/v1/services", staff)
    assert _ok(client.get(f"/api/v1/reservations/{rid}", headers=h), 200)["status"] == "CONFIRMED"


def test_every_read_matches_the_document_after_a_whole_stay(client, spec, world, tenant_a, tenant_b):  # noqa: F811
    """Book, confirm, check in, check out, pay and refund; then every GET the document lists answers as declared."""
    w, h = world, tenant_a.headers(Role.ADMIN)
    stay = _ok(book(client, tenant_a, booking(w, start=0, end=2, kennel="a02")))
    for action in ("confirm", "check-in", "check-out"):
        done = client.post(f"/api/v1/reservations/{stay['id']}/{action}", headers=h, json={})
        assert_documented(spec, "post", f"/api/v1/reservations/{{reservation_id}}/{action}", done)
        assert done.status_code == 200, done.json
    payment = client.post("/api/v1/payments", headers=h, json={"reservation_id": stay["id"], "amount_cents": 1000,
                                                              "method": "CASH"})
    assert_documented(spec, "post", "/api/v1/payments", payment)
    refund = client.post(f"/api/v1/payments/{payment.json['id']}/refunds", headers=h, json={
        "amount_cents": 100, "reason": "Goodwill"})
    assert_documented(spec, "post", "/api/v1/payments/{payment_id}/refunds", refund)
    cancelled = _ok(book(client, tenant_a, booking(w, customer="jones", pets=("max",), start=5, end=7)))
    assert_documented(spec, "post", "/api/v1/reservations/{reservation_id}/cancel", client.post(
        f"/api/v1/reservations/{cancelled['id']}/cancel", headers=h, json={"reason": "Plans changed"}))
    quote = client.post("/api/v1/quotes", headers=h, json={"service_id": w["boarding"], "start_date": day_(1),
                                                          "end_date": day_(3), "pets": [{"pet_id": w["rex"]}]})
    assert_documented(spec, "post", "/api/v1/quotes", quote)
    vaccinations = client.get(f"/api/v1/pets/{w['rex']}/vaccinations", headers=h).json
    events = client.get("/api/v1/audit-events", headers=h).json
    ids = {"reservation_id": stay["id"], "customer_id": w["smith"], "pet_id": w["rex"], "kennel_id": w["a01"],
           "service_id": w["boarding"], "addon_id": w["walk"], "invoice_id": payment.json["invoice_id"],
           "payment_id": payment.json["id"], "user_id": str(tenant_a.users[Role.ADMIN]),
           "key_id": str(tenant_a.key_ids[Role.STAFF]), "event_id": events[0]["id"],
           "vaccination_id": vaccinations[0]["id"], "kind": "booking_confirmation", "channel": "EMAIL"}
    queries = {"/api/v1/availability": {"service_id": w["boarding"], "start_date": day_(10), "end_date": day_(12)},
               "/api/v1/reports/revenue": {"start": day_(-30), "end": day_(1)},
               "/api/v1/reports/occupancy": {"start": day_(-3), "end": day_(3)}}
    checked = []
    for path, item in spec["paths"].items():
        operation = item.get("get")
        names = re.findall(r"{(\w+)}", path)
        if operation is None or "/platform/" in path or any(ids.get(n) is None for n in names):
            continue
        if "application/json" not in operation["responses"].get("200", {}).get("content", {}):
            continue  # photos, documents, CSV
        url = path.format(**{n: ids[n] for n in names})
        r = client.get(url, headers=h, query_string=queries.get(path, {}))
        assert r.status_code in (200, 404), (url, r.status_code, r.json)
        assert_documented(spec, "get", path, r)
        checked.append(path)
    assert len(checked) > 35
    for path in ("/api/v1/platform/tenants", "/api/v1/platform/tenants/{subdomain}"):
        r = client.get(path.format(subdomain=tenant_b.subdomain), headers={"Authorization": "Bearer test-operator-token"})
        assert r.status_code == 200 and (path.endswith("}") or tenant_b.subdomain in str(r.json))
        assert_documented(spec, "get", path, r)


def day_(offset: int) -> str:
    from tests.api.test_reservations import day

    return day(offset)
