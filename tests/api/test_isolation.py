"""Tenant isolation across the whole API, discovered from the URL map and the OpenAPI document,
so routes added later are covered without editing this file (only ID_FACTORIES grows)."""
import re
import uuid
from datetime import timedelta

from app.models import Role
from tests.factories import give_every_scoped_model_rows

SKIP_PREFIXES = ("/api/v1/platform", "/api/v1/openapi.json", "/api/v1/docs")


def _first_event_id(client, fx):
    return client.get("/api/v1/audit-events", headers=fx.headers()).json[0]["id"]


def _catalog_row(path, body):
    """Tenant A's first row at path (catalog and kennels), created once if there is none."""
    def factory(client, fx):
        rows = client.get(path, headers=fx.headers()).json
        return rows[0]["id"] if rows else client.post(path, headers=fx.headers(), json=body).json["id"]
    return factory


_service_id = _catalog_row("/api/v1/services", {"name": "Boarding", "category": "BOARDING", "price_cents": 4500,
                                                "price_unit": "PER_NIGHT"})


_HOUSEHOLDS: dict = {}


def _household(client, fx) -> dict:
    """One customer of fx with a pet and a vaccination, made once per tenant per test."""
    key = (fx.id, id(client))
    if key not in _HOUSEHOLDS:
        customer = client.post("/api/v1/customers", headers=fx.headers(),
                               json={"first_name": "Iso", "last_name": "Lation", "email": f"iso@{fx.subdomain}.example"})
        customer_id = customer.json["id"]
        pet = client.post(f"/api/v1/customers/{customer_id}/pets", headers=fx.headers(),
                          json={"name": "Isopup", "species": "DOG"}).json
        vaccination = client.post(f"/api/v1/pets/{pet['id']}/vaccinations", headers=fx.headers(),
                                  json={"vaccine": "Rabies", "given_on": "2026-01-01", "expires_on": "2029-01-01"}).json
        _HOUSEHOLDS[key] = {"customer_id": customer_id, "pet_id": pet["id"], "vaccination_id": vaccination["id"]}
    return _HOUSEHOLDS[key]


def _reservation_id(client, fx):
    """One of fx's reservations (a boarding stay of its household's pet, a manager overriding vaccines)."""
    from datetime import UTC, datetime

    key = ("reservation", fx.id, id(client))
    if key in _HOUSEHOLDS:
        return _HOUSEHOLDS[key]
    household = _household(client, fx)
    kennel = ID_FACTORIES["kennel_id"](client, fx)
    start = datetime.now(UTC).date() + timedelta(days=1)
    r = client.post("/api/v1/reservations", headers=fx.headers(Role.MANAGER), json={
        "customer_id": household["customer_id"], "service_id": _service_id(client, fx),
        "start_date": start.isoformat(), "end_date": (start + timedelta(days=2)).isoformat(),
        "pets": [{"pet_id": household["pet_id"], "kennel_id": kennel}], "vaccine_override_reason": "isolation"})
    assert r.status_code == 201, r.json
    _HOUSEHOLDS[key] = r.json["id"]
    return r.json["id"]


def _invoice_id(client, fx):
    """fx's reservation's invoice, issued (made through the API)."""
    key = ("invoice", fx.id, id(client))
    if key not in _HOUSEHOLDS:
        r = client.post("/api/v1/invoices", headers=fx.headers(),
                        json={"reservation_id": _reservation_id(client, fx), "issue": True})
        assert r.status_code == 201, r.json
        _HOUSEHOLDS[key] = r.json["id"]
    return _HOUSEHOLDS[key]


def _payment_id(client, fx):
    """A cash payment on fx's invoice."""
    key = ("payment", fx.id, id(client))
    if key not in _HOUSEHOLDS:
        r = client.post("/api/v1/payments", headers=fx.headers(),
                        json={"invoice_id": _invoice_id(client, fx), "amount_cents": 1000, "method": "CASH"})
        assert r.status_code == 201, r.json
        _HOUSEHOLDS[key] = r.json["id"]
    return _HOUSEHOLDS[key]


def _message_id(client, fx):
    """One of fx's outbox messages (an invitation)."""
    key = ("message", fx.id, id(client))
    if key not in _HOUSEHOLDS:
        r = client.post("/api/v1/users", headers=fx.headers(), json={"email": f"iso-{uuid.uuid4().hex[:6]}@example.com",
                                                                   "name": "Iso"})
        assert r.status_code == 201, r.json
        _HOUSEHOLDS[key] = client.get("/api/v1/outbox-messages", headers=fx.headers()).json[0]["id"]
    return _HOUSEHOLDS[key]


def _requirement_id(client, fx):
    return client.get("/api/v1/vaccine-requirements", headers=fx.headers()).json[0]["id"]


def _unsubscribe_token(client, fx):
    """An unsubscribe token for one of A's customers (signed, naming A)."""
    from app.services.optout import unsubscribe_token
    from app.tenancy import lookup_tenant, tenant_context

    customer_id = _household(client, fx)["customer_id"]
    with client.application.test_request_context(base_url=f"http://{fx.host}"), \
            tenant_context(lookup_tenant(fx.subdomain)):
        return unsubscribe_token(uuid.UUID(customer_id))


def _endpoint_id(client, fx) -> str:
    r = client.post("/api/v1/webhook-endpoints", headers=fx.headers(Role.ADMIN),
                    json={"url": "http://127.0.0.1:9/hooks", "event_types": ["payment.recorded"]})
    assert r.status_code == 201, r.json
    return r.json["id"]


def _delivery_id(client, fx) -> str:
    r = client.post(f"/api/v1/webhook-endpoints/{_endpoint_id(client, fx)}/ping", headers=fx.headers(Role.ADMIN))
    assert r.status_code == 202, r.json
    return r.json["id"]


# URL/body parameter name -> how to get one of tenant A's ids for it.
ID_FACTORIES = {
    "customer_id": lambda client, fx: _household(client, fx)["customer_id"],
    "pet_id": lambda client, fx: _household(client, fx)["pet_id"],
    "vaccination_id": lambda client, fx: _household(client, fx)["vaccination_id"],
    "requirement_id": _requirement_id,
    "user_id": lambda client, fx: fx.users[Role.STAFF],
    "key_id": lambda client, fx: fx.key_ids[Role.STAFF],
    "created_by_id": lambda client, fx: fx.users[Role.ADMIN],
    "event_id": _first_event_id,
    "service_id": _service_id,
    "service_ids": _service_id,
    "addon_id": _catalog_row("/api/v1/addons", {"name": "Extra walk", "price_cents": 800, "unit": "PER_DAY"}),
    "rule_id": _catalog_row("/api/v1/price-rules", {"name": "Second dog", "kind": "ADDITIONAL_PET", "from_pet": 2,
                                                    "effect": "DISCOUNT", "amount_type": "PERCENT", "percent": "10"}),
    "kennel_id": _catalog_row("/api/v1/kennels", {"code": "A01", "type": "RUN", "size": "L"}),
    "reservation_id": _reservation_id,
    "token": _unsubscribe_token,
    # Not ids: a message template is named by kind and channel, and each tenant reads and edits its own
    # (tests/web/test_notices.py proves B never sees or changes A's); the web suite skips these routes.
    "kind": lambda client, fx: "booking_confirmation",
    "channel": lambda client, fx: "EMAIL",
    "message_id": _message_id,
    "invoice_id": _invoice_id,
    "payment_id": _payment_id,
    "endpoint_id": _endpoint_id,
    "delivery_id": _delivery_id,
}
NOT_IDS = {"kind", "channel"}

# Lists whose query needs parameters: how to ask for one of fx's own (so only leaks can differ).
LIST_QUERIES = {
    "/api/v1/availability": lambda client, fx: f"service_id={_service_id(client, fx)}&start_date=2030-01-01"
                                               "&end_date=2030-01-03",
    # Reports need a range: half a year either side of today, so A's rows (made today) would be in it.
    "/api/v1/reports/revenue": lambda client, fx: _report_range(),
    "/api/v1/reports/occupancy": lambda client, fx: _report_range(),
}


def _report_range() -> str:
    from datetime import date, timedelta

    return f"start={date.today() - timedelta(days=180)}&end={date.today() + timedelta(days=180)}"


def _api_rules(app):
    return [r for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1/") and not r.rule.startswith(SKIP_PREFIXES)]


def test_every_id_parameter_has_a_factory(app):
    missing = {arg for rule in _api_rules(app) for arg in rule.arguments} - set(ID_FACTORIES)
    assert not missing, f"add tenant-A factories for {missing} to ID_FACTORIES"


def _example_body(spec, rule, method):
    """The OpenAPI example body of an operation (so validation passes and the lookup decides)."""
    path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
    operation = spec["paths"].get(path, {}).get(method.lower(), {})
    content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    return content.get("example", {})


def _call(client, fx, rule, method, values, body):
    path = rule.rule
    for arg, value in values.items():
        path = re.sub(rf"<[^>]*:?{arg}>", str(value), path)
    return client.open(path, method=method, headers=fx.headers(Role.ADMIN, **{"If-Match": "*"}),
                       json=body if method in ("POST", "PUT", "PATCH") else None)


def test_another_tenants_ids_in_urls_are_404_for_every_method(app, client, tenant_a, tenant_b):
    """B gets 404 for A's ids; where the body is refused first, exactly as for an id that does not exist."""
    spec = client.get("/api/v1/openapi.json").json
    checked, failures = 0, []
    for rule in _api_rules(app):
        if not rule.arguments or rule.arguments <= NOT_IDS:
            continue  # templates are named per tenant, not by id: B's own answers (tests/api/test_message_templates.py)
        a_ids = {arg: ID_FACTORIES[arg](client, tenant_a) for arg in rule.arguments}
        nobody = {arg: uuid.uuid4() for arg in rule.arguments}
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            body = _example_body(spec, rule, method)
            crossed = _call(client, tenant_b, rule, method, a_ids, body)
            missing = _call(client, tenant_b, rule, method, nobody, body)
            checked += 1
            same = (crossed.status_code, (crossed.json or {}).get("message")) == \
                (missing.status_code, (missing.json or {}).get("message"))
            if crossed.status_code != 404 and not (same and crossed.status_code >= 400):
                failures.append(f"{method} {rule.rule} -> {crossed.status_code} (nonexistent id: {missing.status_code})")
    assert checked >= 5
    assert not failures, failures
    # And nothing of A's changed: A's staff key (B tried to revoke it) still works.
    assert client.get("/api/v1/me", headers=tenant_a.headers(Role.STAFF)).status_code == 200


def _every_id_of(app, fx) -> dict[str, set[str]]:
    """Every row id tenant fx owns, per scoped model (read as operator code)."""
    from sqlalchemy import select

    from app.core.extensions import db
    from app.models import TenantScoped
    from app.tenancy import unscoped

    models = [m.class_ for m in db.Model.registry.mappers if issubclass(m.class_, TenantScoped) and hasattr(m.class_, "id")]
    with app.app_context(), unscoped():
        return {m.__name__: {str(i) for i in db.session.execute(select(m.id).where(m.tenant_id == fx.id)).scalars()}
                for m in models}


def test_lists_never_return_another_tenants_rows(app, client, tenant_a, tenant_b):
    """A has rows of every scoped model; none of them appears in any of B's lists."""
    give_every_scoped_model_rows(app, tenant_a)
    a_rows = _every_id_of(app, tenant_a)
    for model in ("Customer", "Pet", "Vaccination", "VaccineRequirement", "Service", "AddOn", "PriceRule", "Kennel",
                  "Reservation", "Invoice", "InvoiceLine", "Payment", "Refund", "LedgerEntry", "User", "ApiKey",
                  "AuditEvent", "PasswordResetToken", "OutboxMessage"):
        assert a_rows.get(model), f"tenant A has no {model} rows to leak"
    a_ids = set().union(*a_rows.values())
    lists = [r for r in _api_rules(app) if not r.arguments and "GET" in r.methods]
    assert len(lists) >= 4
    for rule in lists:
        query = lambda fx, path=rule.rule: LIST_QUERIES[path](client, fx) + "&" if path in LIST_QUERIES else ""  # noqa: E731
        own = client.get(f"{rule.rule}?{query(tenant_a)}page_size=100", headers=tenant_a.headers())
        assert own.status_code == 200, rule.rule
        body = client.get(f"{rule.rule}?{query(tenant_b)}page_size=100",
                          headers=tenant_b.headers()).get_data(as_text=True)
        leaked = [i for i in a_ids if i in body]
        assert not leaked, f"{rule.rule} leaked {leaked}"
        assert "vip" not in body, f"{rule.rule} leaked A's customer tag"
    shown = client.get("/api/v1/customers", headers=tenant_a.headers()).get_data(as_text=True)
    assert a_rows["Customer"] <= {i for i in a_ids if i in shown}  # the same check does see A's own rows


def _body_id_fields(spec):
    """(method, path, field) for every request-body property that references another row."""
    schemas = spec["components"]["schemas"]
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            if not isinstance(op, dict):
                continue
            content = (op.get("requestBody") or {}).get("content", {}).get("application/json")
            if not content:
                continue
            ref = content["schema"].get("$ref", "")
            schema = schemas.get(ref.rsplit("/", 1)[-1], {})
            props = dict(schema.get("properties", {}))
            for variant in schema.get("oneOf", []):  # a body by kind (price rules): every variant's fields
                props.update(schemas[variant["$ref"].rsplit("/", 1)[-1]].get("properties", {}))
            for name in props:
                if name.endswith("_id") or name.endswith("_ids"):
                    yield method.upper(), path, name


def test_another_tenants_ids_inside_bodies_are_refused(app, client, tenant_a, tenant_b):
    """B refers to A's rows in a body (on B's own URLs): refused, and nothing of B's changes."""
    spec = client.get("/api/v1/openapi.json").json
    checked, failures = 0, []
    for method, path, field in _body_id_fields(spec):
        if path.startswith(SKIP_PREFIXES):
            continue
        url = path
        for arg in re.findall(r"{(\w+)}", path):
            url = url.replace("{" + arg + "}", str(ID_FACTORIES[arg](client, tenant_b)))
        value = str(ID_FACTORIES[field](client, tenant_a))
        body = {field: [value] if field.endswith("_ids") else value}
        r = client.open(url, method=method, headers=tenant_b.headers(**{"If-Match": "*"}), json=body)
        checked += 1
        if r.status_code not in (404, 422):
            failures.append(f"{method} {path} with A's {field} -> {r.status_code}")
    assert checked >= 1
    assert not failures, failures
