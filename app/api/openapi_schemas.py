"""Response schemas as they really are: required fields, examples, and price rules by kind (`oneOf`)."""

import copy

from app.api.openapi import operations

# Fields of response schemas that a response may leave out (everything else is always sent).
SOMETIMES_ABSENT: dict[str, set[str]] = {
    "Error": {"errors", "location", "required_scope", "retry_after", "bucket", "tenant"},
    "Cancellation": {"fee_invoice_id"},  # only when a FORFEIT tier billed a fee
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


# What each price-rule kind needs (app/services/catalog.py enforces the same), by variant name.
RULE_KINDS = {
    "LENGTH_OF_STAY": ("LengthOfStay", {"min_nights": {"type": "integer", "minimum": 1, "maximum": 366, "example": 7,
                                                       "description": "At least this many nights or days."}}),
    "ADDITIONAL_PET": ("AdditionalPet", {"from_pet": {"type": "integer", "minimum": 2, "maximum": 20, "example": 2,
                                                      "description": "2 = the second pet of a household onwards."}}),
    "DAY_OF_WEEK": ("DayOfWeek", {"days_of_week": {"type": "array", "minItems": 1, "example": ["SAT", "SUN"],
                                                   "items": {"$ref": "#/components/schemas/Weekday"}}}),
    "DATE_WINDOW": ("DateWindow", {"valid_from": {"type": "string", "format": "date", "example": "2026-12-20"},
                                   "valid_to": {"type": "string", "format": "date", "example": "2027-01-02"}}),
}


def price_rule_variants(spec: dict) -> None:
    """A price rule's fields depend on its `kind`: the rule and its create body become a `oneOf` by kind.

    Each variant keeps every field the server accepts (so nothing valid is described as invalid) and
    makes its kind's own fields required and non-null. Updates stay one schema: a PATCH may leave `kind` out.
    """
    schemas = spec["components"]["schemas"]
    for base in ("PriceRule", "PriceRuleCreate"):
        flat = schemas.get(base)
        if not flat or "properties" not in flat:
            continue
        mapping = {}
        for kind, (suffix, fields) in RULE_KINDS.items():
            variant = copy.deepcopy(flat)
            variant["description"] = f"A {kind} rule: {', '.join(fields)} required."
            variant["properties"]["kind"] = {"type": "string", "enum": [kind]}
            for name, field in fields.items():
                described = variant["properties"].get(name, {}).get("description")
                variant["properties"][name] = {**field, **({"description": described} if described else {})}
            variant["required"] = sorted({*variant.get("required", []), "kind", *fields})
            name = f"{base}{suffix}"
            schemas[name] = variant
            mapping[kind] = f"#/components/schemas/{name}"
        schemas[base] = {"description": flat.get("description", "A price rule, by kind."),
                         "oneOf": [{"$ref": ref} for ref in mapping.values()],
                         "discriminator": {"propertyName": "kind", "mapping": mapping}}


# Placeholder values by format, for fields that carry no example of their own.
FORMAT_EXAMPLES = {"uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6", "date-time": "2026-03-14T09:30:00+00:00",
                   "date": "2026-03-14", "email": "jane@example.com", "decimal": "12.50", "url": "https://example.com/",
                   "binary": None}
TYPE_EXAMPLES = {"string": "string", "integer": 0, "number": 0, "boolean": True, "object": {}}


def example_of(schema: dict, spec: dict, depth: int = 0):
    """An example value for a schema, built from its fields' own examples (and placeholders where they have none)."""
    if "$ref" in schema:
        target = spec
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part]
        return example_of(target, spec, depth)
    if "example" in schema:
        return copy.deepcopy(schema["example"])
    for combined in ("allOf", "oneOf", "anyOf"):
        if schema.get(combined):
            return example_of(schema[combined][0], spec, depth)
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type", "object" if "properties" in schema else None)
    if kind == "object" and "properties" in schema:
        if depth > 6:  # a recursive schema: stop somewhere sensible
            return {}
        return {name: example_of(field, spec, depth + 1) for name, field in schema["properties"].items()}
    if kind == "array":
        item = example_of(schema.get("items", {}), spec, depth + 1)
        return [] if item is None else [item]
    if schema.get("nullable"):
        return None  # e.g. `cancelled_at` of a stay that was not cancelled
    if schema.get("format") in FORMAT_EXAMPLES:
        return FORMAT_EXAMPLES[schema["format"]]
    return TYPE_EXAMPLES.get(kind)


def add_examples(spec: dict) -> None:
    """Every JSON success response shows an example (its own when the view gave one, else one built from the fields)."""
    for _path, operation in operations(spec):
        for status, answer in operation.get("responses", {}).items():
            media = answer.get("content", {}).get("application/json")
            if not status.startswith("2") or not media or "schema" not in media:
                continue
            if "example" not in media and "examples" not in media:
                media["example"] = example_of(media["schema"], spec)


