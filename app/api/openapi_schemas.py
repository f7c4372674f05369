"""Response schemas as they really are: required fields, examples, and price rules by kind (`oneOf`)."""

from app.api.openapi import operations

# Fields of response schemas that a response may leave out (everything else is always sent).
SOMETIMES_ABSENT: dict[str, set[str]] = {
    "Error": {"errors", "location", "required_scope", "retry_after", "bucket", "tenant"},
}


def _refs(node) -> set[str]:
    """Component schema names a node refers to, directly."""
    found: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                found.add(ref.rsplit("/", 1)[-1])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _closure(names: set[str], schemas: dict) -> set[str]:
    """Names plus every schema they reach."""
    seen, stack = set(), list(names)
    while stack:
        name = stack.pop()
        if name in seen or name not in schemas:
            continue
        seen.add(name)
        stack.extend(_refs(schemas[name]))
    return seen


def response_only_schemas(spec: dict) -> set[str]:
    """Schemas reached from responses and never from a request body or parameter."""
    schemas = spec["components"]["schemas"]
    sent, received = set(), set()
    for _path, operation in operations(spec):
        sent |= _refs(operation.get("responses", {}))
        received |= _refs(operation.get("requestBody", {})) | _refs(operation.get("parameters", []))
    sent |= _refs(spec["components"].get("responses", {}))
    return _closure(sent, schemas) - _closure(received, schemas)


def mark_required(spec: dict) -> None:
    """A response schema's fields are always present (marshmallow dumps every declared field): say so."""
    schemas = spec["components"]["schemas"]
    for name in sorted(response_only_schemas(spec)):
        schema = schemas[name]
        properties = schema.get("properties")
        if schema.get("type", "object") != "object" or not properties:
            continue
        absent = SOMETIMES_ABSENT.get(name, set())
        schema["required"] = [field for field in properties if field not in absent]


def price_rule_variants(spec: dict) -> None:
    """Placeholder until price rules are split by kind."""


def add_examples(spec: dict) -> None:
    """Placeholder until response examples are added."""


