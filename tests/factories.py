"""Data makers shared by the isolation suites: each area registers how to give a tenant some rows."""
from collections.abc import Callable

from app.extensions import db
from app.models import Role, Tenant
from app.tenancy import tenant_context, unscoped

# Each maker gives tenant `fx` at least one row of the models of its area (inside a tenant context).
ROW_MAKERS: list[Callable] = []


def row_maker(fn: Callable) -> Callable:
    """Register a function(app, fx) that creates rows for fx's tenant."""
    ROW_MAKERS.append(fn)
    return fn


@row_maker
def _accounts_rows(app, fx) -> None:
    """Users, keys and audit events exist already; a reset request adds a token and an outbox mail."""
    from app.services import accounts

    accounts.request_password_reset(email=fx.email(Role.STAFF))


def give_every_scoped_model_rows(app, fx) -> None:
    """Run every registered maker for fx's tenant."""
    with app.app_context(), app.test_request_context(base_url=fx.base_url):
        with unscoped():
            tenant = db.session.get(Tenant, fx.id)
        with tenant_context(tenant):
            for maker in ROW_MAKERS:
                maker(app, fx)
