"""The finished OpenAPI document: one pass over what flask-smorest generates, so code generators accept it.

flask-smorest describes each view from its decorators; what applies to every operation (names,
security, error answers, rate-limit headers, named enums, required response fields) is added
here, once, instead of in twenty blueprint files.
"""
import copy
import enum
import re
from collections.abc import Callable

from flask import Flask

from app.api.openapi_names import OPERATION_IDS, fallback_operation_id

ERROR_REF = {"$ref": "#/components/schemas/Error"}
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")

# What each error status means, for the operations that can answer it.
ERROR_DESCRIPTIONS = {
    "400": "The body is not JSON, nests deeper than the server accepts, or a header is malformed.",
    "401": "No API key, or an unknown, revoked or expired one (`WWW-Authenticate` says so).",
    "403": "The resort is paused or cancelled, or the key's role or scopes do not allow this.",
    "404": "No such resort (`X-Tenant` or subdomain), or no such resource for this resort.",
    "409": "The request conflicts with the current state (a duplicate, a taken kennel, a request with the "
           "same `Idempotency-Key` still running).",
    "412": "`If-Match` names a version that is no longer current: GET the resource again and retry with its ETag.",
    "413": "The request body is larger than this operation accepts.",
    "422": "A field is invalid or a business rule refuses the request; `errors` names each field.",
    "428": "This update needs `If-Match: <ETag>`.",
    "429": "The resort's (or this key's) rate limit is spent; retry after `Retry-After` seconds.",
    "503": "The database is busy or unavailable; retry after `Retry-After` seconds.",
}

# Enums that are string choices (OneOf) rather than Python enums: their component names.
CHOICE_ENUM_NAMES = {
    "Timezone": lambda values: "America/Denver" in values,
    "ApiKeyScope": lambda values: "customers:read" in values,
    "WebhookEventType": lambda values: "customer.created" in values,
    "Weekday": lambda values: set(values) == {"MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"},
    "ReportFormat": lambda values: set(values) == {"json", "csv"},
    "CancellationOutcome": lambda values: set(values) == {"REFUND", "CREDIT", "FORFEIT"},
    "CardGateway": lambda values: set(values) == {"MANUAL", "HTTP"},
    "CustomerSort": lambda values: "-created_at" in values,
    "WeightUnit": lambda values: set(values) == {"kg", "lb"},
}
# Property keys that still mean something next to a $ref (kept in an allOf wrapper).
KEPT_BESIDE_REF = ("description", "default", "nullable", "readOnly", "writeOnly", "deprecated")


def install(app: Flask, spec) -> None:
    """Make `spec.to_dict()` (the served JSON and `flask openapi print`) return the finished document."""
    raw = spec.to_dict
    endpoints = _endpoints_by_operation(app)
    finished: dict = {}

    def to_dict() -> dict:
        if not finished:  # once per app: every view is registered before the first request
            finished.update(finish(copy.deepcopy(raw()), endpoints=endpoints, config=app.config))
        return finished  # read-only for callers (serialised as it is): a copy per request costs more than the rest

    spec.to_dict = to_dict


def _endpoints_by_operation(app: Flask) -> Callable[[], dict]:
    """(OpenAPI path, method) -> Flask endpoint, read when the document is first built."""
    from flask_smorest.spec.plugins import FlaskPlugin

    def read() -> dict:
        return {(FlaskPlugin.flaskpath2openapi(rule.rule), method.lower()): rule.endpoint
                for rule in app.url_map.iter_rules() for method in rule.methods}

    return read


def finish(spec: dict, *, endpoints: Callable[[], dict], config) -> dict:
    """Every fix the document needs, in order."""
    from app.api.openapi_errors import add_error_responses
    from app.api.openapi_schemas import add_examples, mark_required, price_rule_variants

    spec["servers"] = servers(config)
    add_security(spec)
    name_operations(spec, endpoints())
    hoist_enums(spec)
    fix_pagination_header(spec)
    add_error_responses(spec)
    price_rule_variants(spec)
    mark_required(spec)
    add_examples(spec)
    return spec


def servers(config) -> list[dict]:
    """This host (send `X-Tenant`), and the resort's own host."""
    port = config.get("PUBLIC_PORT")
    base = config.get("BASE_DOMAIN", "localhost") + (f":{port}" if port else "")
    return [
        {"url": "/", "description": "This server; name the resort with the `X-Tenant` header."},
        {"url": f"{config.get('PREFERRED_URL_SCHEME', 'http')}://{{tenant}}.{base}",
         "description": "The resort's own host (no `X-Tenant` needed; the only way for browser widgets).",
         "variables": {"tenant": {"default": "happy-paws", "description": "The resort's subdomain."}}},
    ]


def add_security(spec: dict) -> None:
    """Bearer API keys plus the resort (`X-Tenant`) on tenant operations; the operator token on platform ones."""
    schemes = spec.setdefault("components", {}).setdefault("securitySchemes", {})
    schemes["bearerAuth"] = {"type": "http", "scheme": "bearer",
                             "description": "An API key of the resort: `Authorization: Bearer <key>`."}
    schemes["tenant"] = {"type": "apiKey", "in": "header", "name": "X-Tenant",
                         "description": "The resort's subdomain, e.g. `happy-paws`. Not needed when calling "
                                        "the resort's own host (`<subdomain>.<base domain>`), which takes precedence."}
    schemes["operatorToken"] = {"type": "http", "scheme": "bearer",
                                "description": "The platform operator token (`PLATFORM_OPERATOR_TOKEN`)."}
    spec["security"] = [{"bearerAuth": [], "tenant": []}]
    for path, operation in operations(spec):
        if path.startswith("/api/v1/platform/"):
            operation["security"] = [{"operatorToken": []}]


def operations(spec: dict):
    """(path, operation) for every operation in the document."""
    for path, item in spec.get("paths", {}).items():
        for method in HTTP_METHODS:
            if isinstance(item.get(method), dict):
                yield path, item[method]


def operations_with_method(spec: dict):
    """(path, method, operation) for every operation in the document."""
    for path, item in spec.get("paths", {}).items():
        for method in HTTP_METHODS:
            if isinstance(item.get(method), dict):
                yield path, method, item[method]


def name_operations(spec: dict, endpoints: dict) -> None:
    """`operationId` from the one table (app/api/openapi_names.py); a derived name for anything missing from it."""
    for path, method, operation in operations_with_method(spec):
        endpoint = endpoints.get((path, method), "")
        operation["operationId"] = OPERATION_IDS.get((endpoint, method)) or fallback_operation_id(endpoint, method)


# --- enums ------------------------------------------------------------------------------------


def _python_enum_names() -> dict[frozenset, str]:
    """Values (or names) of every model enum -> its class name, so components are named as the code names them."""
    import app.models as models

    names: dict[frozenset, str] = {}
    for value in vars(models).values():
        if isinstance(value, type) and issubclass(value, enum.Enum) and value is not enum.Enum:
            names.setdefault(frozenset(member.name for member in value), value.__name__)
            names.setdefault(frozenset(str(member.value) for member in value), value.__name__)
    return names


def _enum_name(values: list, where: str, known: dict[frozenset, str]) -> str:
    for name, matches in CHOICE_ENUM_NAMES.items():
        if matches(values):
            return name
    exact = known.get(frozenset(values))
    if exact:
        return exact
    # A subset of a model enum (a OneOf narrowing it) or an unnamed choice: named by where it first appears.
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", where) if part)


def enum_var_names(values: list) -> list[str]:
    """Distinct Python-safe member names (`x-enum-varnames`): GMT+0, GMT-0 and GMT0 must not collide."""
    names, seen = [], set()
    for value in values:
        text = str(value).replace("*", "ALL")  # the `*` and `*:read` scopes
        if re.search(r"[+-]\d", text):  # Etc/GMT+5 and Etc/GMT-5 are different zones
            text = text.replace("+", "_PLUS_").replace("-", "_MINUS_")
        name = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").upper() or "EMPTY"
        if name[0].isdigit():
            name = f"VALUE_{name}"
        base, n = name, 2
        while name in seen:
            name, n = f"{base}_{n}", n + 1
        seen.add(name)
        names.append(name)
    return names


def hoist_enums(spec: dict) -> None:
    """Every inline enum becomes one named component referenced by `$ref` (one Timezone, not three copies)."""
    schemas = spec["components"]["schemas"]
    known = _python_enum_names()
    by_values: dict[tuple, str] = {}

    def component_for(node: dict, where: str) -> str:
        values = node["enum"]
        key = (node.get("type", "string"), tuple(values))
        if key not in by_values:
            name = _enum_name(values, where, known)
            while name in schemas and schemas[name].get("enum") != values:  # e.g. the KennelStatus request body
                name += "Enum"
            component = {"type": node.get("type", "string"), "enum": values}
            if any(not str(v).isidentifier() or str(v).upper() != str(v) for v in values):
                component["x-enum-varnames"] = enum_var_names(values)
            if "example" in node:
                component["example"] = node["example"]
            schemas[name] = component
            by_values[key] = name
        return by_values[key]

    def replace(node, where: str):
        if isinstance(node, list):
            return [replace(item, where) for item in node]
        if not isinstance(node, dict):
            return node
        if isinstance(node.get("enum"), list) and len(node["enum"]) > 1 and node.get("type", "string") == "string":
            ref = {"$ref": f"#/components/schemas/{component_for(node, where)}"}
            kept = {key: node[key] for key in KEPT_BESIDE_REF if key in node}
            return {"allOf": [ref], **kept} if kept else ref
        return {key: value if key in ("example", "examples", "default") else replace(value, _where(where, key, node))
                for key, value in node.items()}

    for name in list(schemas):
        schemas[name] = {key: replace(value, name) for key, value in schemas[name].items()} \
            if not schemas[name].get("enum") else schemas[name]
    for path, operation in operations(spec):
        for parameter in operation.get("parameters", []):
            if "schema" in parameter:
                where = f"{operation.get('operationId', path)}-{parameter['name']}"
                parameter["schema"] = replace(parameter["schema"], where)


def _where(where: str, key: str, node: dict) -> str:
    """The name path of a nested property (`Kennel` + `status` -> `Kennel-status`)."""
    if key in ("items", "properties", "allOf", "oneOf", "anyOf", "additionalProperties"):
        return where
    return f"{where}-{key}"


def fix_pagination_header(spec: dict) -> None:
    """`X-Pagination` travels as a JSON string: say so (its fields are the PaginationMetadata schema)."""
    headers = spec["components"].setdefault("headers", {})
    headers["PAGINATION"] = {
        "description": "Pagination metadata as a JSON object serialised into the header (see the "
                       "`PaginationMetadata` schema): `total`, `total_pages`, `first_page`, `last_page`, `page`, "
                       "`previous_page`, `next_page`; on a list with the change feed also `next_cursor` while another "
                       "page follows (a cursor page carries only `total` and `next_cursor`).",
        "schema": {"type": "string",
                   "example": '{"total": 42, "total_pages": 3, "first_page": 1, "last_page": 3, "page": 1, '
                              '"next_page": 2}'},
    }
