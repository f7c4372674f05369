"""Tenant isolation across the whole API, discovered from the URL map and the OpenAPI document,
so routes added later are covered without editing this file (only ID_FACTORIES grows)."""
import re

from app.models import Role

SKIP_PREFIXES = ("/api/v1/platform", "/api/v1/openapi.json", "/api/v1/docs")


def _first_event_id(client, fx):
    return client.get("/api/v1/audit-events", headers=fx.headers()).json[0]["id"]


# URL/body parameter name -> how to get one of tenant A's ids for it.
ID_FACTORIES = {
    "user_id": lambda client, fx: fx.users[Role.STAFF],
    "key_id": lambda client, fx: fx.key_ids[Role.STAFF],
    "created_by_id": lambda client, fx: fx.users[Role.ADMIN],
    "event_id": _first_event_id,
}


def _api_rules(app):
    return [r for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1/") and not r.rule.startswith(SKIP_PREFIXES)]


def test_every_id_parameter_has_a_factory(app):
    missing = {arg for rule in _api_rules(app) for arg in rule.arguments} - set(ID_FACTORIES)
    assert not missing, f"add tenant-A factories for {missing} to ID_FACTORIES"


def test_another_tenants_ids_in_urls_are_404_for_every_method(app, client, tenant_a, tenant_b):
    checked, failures = 0, []
    for rule in _api_rules(app):
        if not rule.arguments:
            continue
        values = {arg: ID_FACTORIES[arg](client, tenant_a) for arg in rule.arguments}
        path = rule.rule
        for arg, value in values.items():
            path = re.sub(rf"<[^>]*:?{arg}>", str(value), path)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            headers = tenant_b.headers(Role.ADMIN, **{"If-Match": "*"})
            response = client.open(path, method=method, headers=headers,
                                   json={} if method in ("POST", "PUT", "PATCH") else None)
            checked += 1
            if response.status_code != 404:
                failures.append(f"{method} {rule.rule} -> {response.status_code}")
    assert checked >= 5
    assert not failures, failures
    # And nothing of A's changed: A's staff key (B tried to revoke it) still works.
    assert client.get("/api/v1/me", headers=tenant_a.headers(Role.STAFF)).status_code == 200


def test_lists_never_return_another_tenants_rows(app, client, tenant_a, tenant_b):
    a_ids = {str(v) for v in [*tenant_a.users.values(), *tenant_a.key_ids.values()]}
    a_ids |= {e["id"] for e in client.get("/api/v1/audit-events?page_size=100", headers=tenant_a.headers()).json}
    lists = [r for r in _api_rules(app) if not r.arguments and "GET" in r.methods]
    assert len(lists) >= 4
    for rule in lists:
        body = client.get(rule.rule + "?page_size=100", headers=tenant_b.headers()).get_data(as_text=True)
        leaked = [i for i in a_ids if i in body]
        assert not leaked, f"{rule.rule} leaked {leaked}"


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
            props = schemas.get(ref.rsplit("/", 1)[-1], {}).get("properties", {})
            for name, prop in props.items():
                if name.endswith("_id") or name.endswith("_ids"):
                    yield method.upper(), path, name


def test_another_tenants_ids_inside_bodies_are_refused(app, client, tenant_a, tenant_b):
    spec = client.get("/api/v1/openapi.json").json
    failures = []
    for method, path, field in _body_id_fields(spec):
        if path.startswith(SKIP_PREFIXES) or "{" in path:
            continue
        value = str(ID_FACTORIES[field](client, tenant_a))
        body = {field: [value] if field.endswith("_ids") else value}
        r = client.open(path, method=method, headers=tenant_b.headers(), json=body)
        if r.status_code < 400:
            failures.append(f"{method} {path} accepted A's {field}")
    assert not failures, failures
