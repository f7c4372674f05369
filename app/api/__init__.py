"""The versioned REST API: one flask-smorest blueprint per resource under /api/v1."""
import marshmallow as ma
from flask import Flask
from flask_smorest import Blueprint

from app.api import (
    addons,
    api_keys,
    audit,
    availability,
    billing,
    customers,
    deletions,
    kennels,
    notices,
    openapi,
    outbox,
    pets,
    platform,
    price_rules,
    quotes,
    reports,
    reservations,
    services as catalog_services,
    tenant,
    users,
    vaccinations,
    vaccine_requirements,
    webhooks,
)
from app.auth import authenticate_api_request
from app.core.extensions import api, csrf
from app.limits import api_limit, operator_limit
from app.schemas.common import ErrorSchema
from app.scopes import OPEN, UNMAPPED, required_scope

# Tenant resources: API-key auth, the tenant's plan limit (one bucket shared by all of them).
TENANT_BLUEPRINTS = [tenant.blp, users.blp, api_keys.blp, audit.blp, outbox.blp]
TENANT_BLUEPRINTS += [catalog_services.blp, addons.blp, price_rules.blp, kennels.blp, quotes.blp]
TENANT_BLUEPRINTS += [customers.blp, pets.blp, vaccine_requirements.blp]
TENANT_BLUEPRINTS += [reservations.blp, availability.blp]
TENANT_BLUEPRINTS += billing.BLUEPRINTS
TENANT_BLUEPRINTS += [reports.blp, webhooks.blp]
TENANT_BLUEPRINTS += [notices.blp, notices.vaccines_blp]
TENANT_BLUEPRINTS += [deletions.blp, vaccinations.blp]


# Query strings follow each schema's own `unknown` (RAISE): a misspelt filter is a 422, not ignored.
Blueprint.ARGUMENTS_PARSER.unknown = None

# Blueprint setup happens once, at import, so several apps (tests) can register the same blueprints.
for _blueprint in TENANT_BLUEPRINTS:
    csrf.exempt(_blueprint)
    api_limit(_blueprint)
    _blueprint.before_request(authenticate_api_request)  # the docs and operator API are not among these
csrf.exempt(platform.blp)
operator_limit(platform.blp)


def register_api(app: Flask) -> None:
    """Bind the Api and register every resource blueprint."""
    api.ERROR_SCHEMA = ErrorSchema  # document our error body, not flask-smorest's
    api.init_app(app, spec_kwargs={"info": {"description": "Tailtown pet resort API. Send `X-Tenant: <subdomain>` "
                                             "(or use `<subdomain>.<base domain>`) and `Authorization: Bearer <key>`. "
                                             "Integration guide: [docs/integration.md](/api/v1/docs/guides/integration.md). "
                                             "A key's scopes narrow its role: each operation names the scope it "
                                             "needs in `x-required-scope`; a missing one is a 403 naming it."}})
    # Money-like decimals travel as strings ("0.0825") so clients never round through a float.
    api.register_field(ma.fields.Decimal, "string", "decimal")
    api.ma_plugin.converter.add_attribute_function(enum_narrowed_by_one_of)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearerAuth": []}]
    for blueprint in [*TENANT_BLUEPRINTS, platform.blp]:
        api.register_blueprint(blueprint)
    document_scopes(app)
    document_page_bound()
    document_optional_patch_bodies()
    openapi.install(app, api.spec)  # operation ids, named enums, errors, headers: app/api/openapi.py


def enum_narrowed_by_one_of(self, field, ret, **kwargs) -> dict:
    """An Enum field with a OneOf validator takes only those members: publish that subset, not the whole enum."""
    if isinstance(field, ma.fields.Enum) and "enum" in ret:
        for validator in field.validators:
            if isinstance(validator, ma.validate.OneOf):
                allowed = {getattr(choice, "value", choice) for choice in validator.choices}
                allowed |= {getattr(choice, "name", choice) for choice in validator.choices}
                return {"enum": [value for value in ret["enum"] if value in allowed]}
    return {}


def document_scopes(app: Flask) -> None:
    """Each tenant operation names the key scope it needs (`x-required-scope`, and in its description) and its 403."""
    from flask_smorest.spec.plugins import FlaskPlugin

    names = {blueprint.name for blueprint in TENANT_BLUEPRINTS}
    paths = api.spec._paths  # apispec keeps the registered paths here until the document is rendered
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".", 1)[0] not in names:
            continue
        operations = paths.get(FlaskPlugin.flaskpath2openapi(rule.rule), {})
        for method, operation in operations.items():
            scope = required_scope(rule.endpoint, method.upper())
            if scope is UNMAPPED or not isinstance(operation, dict) or "x-required-scope" in operation:
                continue
            text = "Any valid key." if scope is OPEN else f"Needs the `{scope}` scope (on top of the role)."
            operation["x-required-scope"] = scope
            operation["description"] = f"{operation.get('description', '')}\n\n**Scope:** {text}".strip()
            if scope is not OPEN:
                operation.setdefault("responses", {}).setdefault("403", {
                    "description": f"The key lacks the `{scope}` scope or the role; `required_scope` names it.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})


def document_optional_patch_bodies() -> None:
    """A PATCH with no body changes nothing (every field is optional): the document does not call the body required."""
    for operations in api.spec._paths.values():
        patch = operations.get("patch")
        if isinstance(patch, dict) and isinstance(patch.get("requestBody"), dict):
            patch["requestBody"]["required"] = False


def document_page_bound() -> None:
    """Every paged list's `page` has the ceiling the lists enforce (MAX_PAGE), so the document admits no 422."""
    from app.core.pagination import MAX_PAGE

    for operations in api.spec._paths.values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if isinstance(parameter, dict) and parameter.get("in") == "query" and parameter.get("name") == "page":
                    parameter["schema"] = {**parameter.get("schema", {}), "maximum": MAX_PAGE}
