"""The one place that resolves the current tenant and scopes every query to it."""
import functools
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal

from flask import current_app, g, has_request_context, request
from loguru import logger
from sqlalchemy import Table, event, inspect
from sqlalchemy.sql import visitors
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from app.core.cache import cached, invalidate
from app.models.base import TenantScoped
from app.models.tenants import Plan, Tenant, TenantStatus

_current: ContextVar["TenantInfo | None"] = ContextVar("tailtown_tenant", default=None)
_unscoped: ContextVar[bool] = ContextVar("tailtown_unscoped", default=False)
_SUBDOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
# Short: with the generation token a change shows at once; the TTL only bounds the rare cases the
# token cannot cover (see app/core/cache.py).
TENANT_CACHE_TTL = 60


class TenantScopeError(RuntimeError):
    """A tenant-scoped query or write ran with no tenant, or against another tenant."""


@dataclass(frozen=True)
class TenantInfo:
    """A cached, detached snapshot of a tenant: enough to serve a request with no SQL."""

    id: uuid.UUID
    subdomain: str
    name: str
    status: TenantStatus
    plan: Plan
    timezone: str
    currency: str
    tax_rate: Decimal
    vaccine_warning_days: int = 30

    @property
    def is_active(self) -> bool:
        return self.status == TenantStatus.ACTIVE

    @classmethod
    def of(cls, tenant: Tenant) -> "TenantInfo":
        return cls(
            id=tenant.id, subdomain=tenant.subdomain, name=tenant.name, status=TenantStatus(tenant.status),
            plan=Plan(tenant.plan), timezone=tenant.timezone, currency=tenant.currency,
            tax_rate=Decimal(tenant.tax_rate), vaccine_warning_days=tenant.vaccine_warning_days,
        )


# --- the current tenant -----------------------------------------------------------------------


def current_tenant() -> TenantInfo:
    """The tenant this code runs for; raises when there is none."""
    tenant = _current.get()
    if tenant is None:
        raise TenantScopeError("no current tenant")
    return tenant


def current_tenant_or_none() -> TenantInfo | None:
    """The tenant this code runs for, if any."""
    return _current.get()


@contextmanager
def tenant_context(tenant: TenantInfo | Tenant) -> Iterator[TenantInfo]:
    """Run a block (CLI, job, test) as one tenant."""
    info = tenant if isinstance(tenant, TenantInfo) else TenantInfo.of(tenant)
    token = _current.set(info)
    try:
        yield info
    finally:
        _current.reset(token)


@contextmanager
def unscoped() -> Iterator[None]:
    """The one escape hatch: operator code that must see every tenant's rows."""
    token = _unscoped.set(True)
    try:
        yield
    finally:
        _unscoped.reset(token)


# --- subdomain -> tenant, cached ----------------------------------------------------------------


def _cache_key(subdomain: str) -> str:
    return f"tenant:sub:{subdomain}"


def valid_subdomain(subdomain: str) -> bool:
    """Lowercase letters, digits and inner hyphens, at most 63 characters."""
    return bool(_SUBDOMAIN.fullmatch(subdomain))


def lookup_tenant(subdomain: str) -> TenantInfo | None:
    """Find a tenant by subdomain, from the cache when warm (zero SQL)."""
    if not valid_subdomain(subdomain):
        return None

    def from_database() -> TenantInfo | None:
        from app.core.extensions import db

        tenant = db.session.execute(db.select(Tenant).where(Tenant.subdomain == subdomain)).scalar_one_or_none()
        return TenantInfo.of(tenant) if tenant is not None else None

    return cached(_cache_key(subdomain), from_database, timeout=TENANT_CACHE_TTL,
                  accept=lambda value: isinstance(value, TenantInfo))


def forget_tenant(subdomain: str) -> None:
    """Retire a tenant's cache entry; call it before committing a change to the tenant (and again after is automatic)."""
    invalidate(_cache_key(subdomain))


def subdomain_from_request() -> str | None:
    """The tenant named by the host (`acme.<base domain>`) or, failing that, `X-Tenant`."""
    host = request.host.split(":", 1)[0].lower()
    base = current_app.config["BASE_DOMAIN"].lower()
    if host.endswith("." + base):
        label = host[: -len(base) - 1]
        if "." not in label:
            return label
    header = request.headers.get("X-Tenant", "").strip().lower()
    return header or None


def resolve_request_tenant() -> TenantInfo | None:
    """Resolve (once per request) and bind the request's tenant; None when none is named or known."""
    if "tenant_resolved" in g:
        return g.tenant
    g.tenant_resolved = True
    g.tenant = None
    subdomain = subdomain_from_request()
    g.tenant_subdomain = subdomain
    if subdomain:
        g.tenant = lookup_tenant(subdomain)
        if g.tenant is not None:
            g.tenant_token = _current.set(g.tenant)
    return g.tenant


def release_request_tenant() -> None:
    """Unbind the tenant at the end of a request (workers reuse threads)."""
    token = g.pop("tenant_token", None)
    if token is not None:
        _current.reset(token)


def tenant_url(path: str) -> str:
    """An absolute URL on the current tenant's own host (for links in emails sent from API calls too)."""
    config = current_app.config
    port = config.get("PUBLIC_PORT")
    host = f"{current_tenant().subdomain}.{config['BASE_DOMAIN']}" + (f":{port}" if port else "")
    return f"{config.get('PREFERRED_URL_SCHEME', 'http')}://{host}{path}"


def rate_limit_key() -> str:
    """Limiter key: the tenant, resolved here because the limiter runs before other hooks."""
    tenant = resolve_request_tenant() if has_request_context() else None
    if tenant is None:
        return f"anon:{request.remote_addr}"
    return f"tenant:{tenant.id}"


# --- automatic query scoping --------------------------------------------------------------------


@functools.cache  # the model registry is complete before the first query runs
def _scoped_tables() -> frozenset:
    from app.core.extensions import db

    return frozenset(m.local_table for m in db.Model.registry.mappers if issubclass(m.class_, TenantScoped))


def _touches_scoped(state: ORMExecuteState) -> bool:
    """Any scoped table anywhere in the statement: entities, select_from, joins, subqueries."""
    if any(issubclass(m.class_, TenantScoped) for m in state.all_mappers):
        return True
    scoped = _scoped_tables()
    return any(isinstance(node, Table) and node in scoped for node in visitors.iterate(state.statement))


@event.listens_for(Session, "do_orm_execute")
def _scope_queries(state: ORMExecuteState) -> None:
    """Add `tenant_id = current` to every SELECT/UPDATE/DELETE that touches a scoped model."""
    if _unscoped.get() or not (state.is_select or state.is_update or state.is_delete):
        return
    if state.is_column_load or state.is_relationship_load:
        return  # the criteria below propagate from the parent query
    if not _touches_scoped(state):
        return
    tenant = _current.get()
    if tenant is None:
        raise TenantScopeError("tenant-scoped query with no current tenant")
    tenant_id = tenant.id
    state.statement = state.statement.options(
        with_loader_criteria(TenantScoped, lambda cls: cls.tenant_id == tenant_id, include_aliases=True)
    )


@event.listens_for(Session, "before_flush")
def _stamp_tenant(session: Session, flush_context, instances) -> None:
    """Stamp tenant_id on new rows; refuse rows of, or moved to, another tenant."""
    if _unscoped.get():
        return
    new = list(session.new)  # `session.new` builds a fresh set on every access: read it once
    new_ids = {id(obj) for obj in new}
    tenant = _current.get()
    for obj in new + list(session.dirty):
        if not isinstance(obj, TenantScoped):
            continue
        if tenant is None:
            raise TenantScopeError(f"writing {type(obj).__name__} with no current tenant")
        if id(obj) in new_ids and obj.tenant_id is None:
            obj.tenant_id = tenant.id
        elif obj.tenant_id != tenant.id or inspect(obj).attrs.tenant_id.history.deleted:
            logger.error("refused cross-tenant write of {} {}", type(obj).__name__, getattr(obj, "id", None))
            raise TenantScopeError(f"{type(obj).__name__} belongs to another tenant")


# --- the request gate -------------------------------------------------------------------------

# Paths served without a tenant: assets, probes, API docs and the operator API.
TENANTLESS_PREFIXES = ("/static/", "/healthz", "/readyz", "/api/v1/openapi.json", "/api/v1/docs", "/api/v1/platform")


def register_tenancy(app) -> None:
    """Every other request names an existing, active tenant, bound for the whole request."""
    from app.core.errors import NotFound, PermissionDenied

    @app.before_request
    def require_tenant() -> None:
        if request.path.startswith(TENANTLESS_PREFIXES):
            return
        tenant = resolve_request_tenant()
        if tenant is None:
            if request.path == "/" and g.tenant_subdomain is None:
                return  # the public landing page
            raise NotFound("No resort is known at this address.")
        if not tenant.is_active:
            raise PermissionDenied(
                f"The {tenant.name} account is {tenant.status.value.lower()}. "
                "Contact Tailtown support to restore access."
            )

    @app.teardown_request
    def release_tenant(_exc) -> None:
        release_request_tenant()
