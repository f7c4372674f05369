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
    kennels,
    notices,
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
    vaccine_requirements,
)
from app.auth import authenticate_api_request
from app.core.extensions import api, csrf
from app.limits import api_limit, operator_limit
from app.schemas.common import ErrorSchema

# Tenant resources: API-key auth, the tenant's plan limit (one bucket shared by all of them).
TENANT_BLUEPRINTS = [tenant.blp, users.blp, api_keys.blp, audit.blp, outbox.blp]
TENANT_BLUEPRINTS += [catalog_services.blp, addons.blp, price_rules.blp, kennels.blp, quotes.blp]
TENANT_BLUEPRINTS += [customers.blp, pets.blp, vaccine_requirements.blp]
TENANT_BLUEPRINTS += [reservations.blp, availability.blp]
TENANT_BLUEPRINTS += billing.BLUEPRINTS
TENANT_BLUEPRINTS += [reports.blp]
TENANT_BLUEPRINTS += [notices.blp, notices.vaccines_blp]


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
                                             "(or use `<subdomain>.<base domain>`) and `Authorization: Bearer <key>`."}})
    # Money-like decimals travel as strings ("0.0825") so clients never round through a float.
    api.register_field(ma.fields.Decimal, "string", "decimal")
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearerAuth": []}]
    for blueprint in [*TENANT_BLUEPRINTS, platform.blp]:
        api.register_blueprint(blueprint)
