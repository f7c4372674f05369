"""The versioned REST API: one flask-smorest blueprint per resource under /api/v1."""
from flask import Flask, request

from app.api import api_keys, audit, platform, tenant, users
from app.auth import PUBLIC_API_PREFIXES, authenticate_api_request
from app.extensions import api, csrf, limiter
from app.limits import api_limit, operator_limit
from app.schemas.common import ErrorSchema

BLUEPRINTS = [tenant.blp, users.blp, api_keys.blp, audit.blp]


def register_api(app: Flask) -> None:
    """Bind the Api, register every resource blueprint, and guard them with key auth and rate limits."""
    api.ERROR_SCHEMA = ErrorSchema  # document our error body, not flask-smorest's
    api.init_app(app, spec_kwargs={"info": {"description": "Tailtown pet resort API. Send `X-Tenant: <subdomain>` "
                                             "(or use `<subdomain>.<base domain>`) and `Authorization: Bearer <key>`."}})
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearerAuth": []}]
    for blueprint in BLUEPRINTS:
        csrf.exempt(blueprint)
        api_limit(blueprint)
        blueprint.before_request(_authenticate)
        api.register_blueprint(blueprint)
    csrf.exempt(platform.blp)
    operator_limit(platform.blp)
    api.register_blueprint(platform.blp)


def _authenticate() -> None:
    if not request.path.startswith(PUBLIC_API_PREFIXES):
        authenticate_api_request()
