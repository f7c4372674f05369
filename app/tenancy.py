"""The one place that resolves the current tenant and scopes every query to it."""
import contextlib
import functools
import re
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal

from flask import current_app, g, has_request_context, request
from loguru import logger
from sqlalchemy import Table, event, inspect
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.sql import visitors
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.elements import BindParameter, TextClause
from sqlalchemy.sql.selectable import Alias, Join, Select, Subquery, TableClause

from app.core.cache import cached, invalidate, prefetch
from app.models.base import TenantScoped
from app.models.tenants import Plan, Tenant, TenantStatus

_current: ContextVar["TenantInfo | None"] = ContextVar("tailtown_tenant", default=None)
_unscoped: ContextVar[bool] = ContextVar("tailtown_unscoped", default=False)
_SUBDOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
# Short: with the generation token a change shows at once; the TTL only bounds the rare cases the
# token cannot cover (see app/core/cache.py).
TENANT_CACHE_TTL = 60
# Cache keys a request will read right after its tenant (e.g. its API key), fetched with the tenant's.
_request_cache_keys: list[Callable[[], list[str]]] = []


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
    weight_unit: str = "lb"  # a default, so entries cached before the setting existed still load
    vaccine_reminder_days: int = 14
    cors_origins: tuple[str, ...] = ()  # browser origins allowed to call the API (app/cors.py)

    @property
    def is_active(self) -> bool:
        return self.status == TenantStatus.ACTIVE

    @classmethod
    def of(cls, tenant: Tenant) -> "TenantInfo":
        return cls(
            id=tenant.id, subdomain=tenant.subdomain, name=tenant.name, status=TenantStatus(tenant.status),
            plan=Plan(tenant.plan), timezone=tenant.timezone, currency=tenant.currency,
            tax_rate=Decimal(tenant.tax_rate), vaccine_warning_days=tenant.vaccine_warning_days,
            weight_unit=tenant.weight_unit, vaccine_reminder_days=tenant.vaccine_reminder_days,
            cors_origins=tuple(tenant.cors_origins or ()),
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
    """The one escape hatch: operator code that must see every tenant's rows (logged; on PostgreSQL
    the block's statements run as the operator role, whose policy shows every row)."""
    caller = sys._getframe(2)
    logger.info("unscoped access from {}:{}", caller.f_globals.get("__name__"), caller.f_code.co_name)
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


def also_prefetch(keys_of_request: Callable[[], list[str]]) -> None:
    """Register cache keys to fetch in the tenant lookup's round trip (called once at import)."""
    _request_cache_keys.append(keys_of_request)


def resolve_request_tenant() -> TenantInfo | None:
    """Resolve (once per request) and bind the request's tenant; None when none is named or known."""
    if "tenant_resolved" in g:
        return g.tenant
    g.tenant = None
    subdomain = subdomain_from_request()
    g.tenant_subdomain = subdomain
    if subdomain:
        if valid_subdomain(subdomain):
            prefetch(_cache_key(subdomain), *(key for keys in _request_cache_keys for key in keys()))
        g.tenant = lookup_tenant(subdomain)
        if g.tenant is not None:
            g.tenant_token = _current.set(g.tenant)
    # Only once the lookup succeeded: after a database error the tenant gate asks again (and gets a 503).
    g.tenant_resolved = True
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

# Execution option marking a text() statement that reads or writes no tenant data (see `tenant_free`).
TENANT_FREE = "tailtown_tenant_free"


def tenant_free(statement: TextClause) -> TextClause:
    """Mark a text() statement as touching no tenant-scoped table, so the session lets it run."""
    return statement.execution_options(**{TENANT_FREE: True})


def row_security_settings() -> tuple[str, bool]:
    """`app.tenant_id` for the PostgreSQL policies, and whether the block is unscoped (app/core/rls.py)."""
    tenant = _current.get()
    return ("" if tenant is None else str(tenant.id)), _unscoped.get()


@functools.cache  # the model registry is complete before the first query runs
def _scoped_tables() -> frozenset:
    from app.core.extensions import db

    return frozenset(m.local_table for m in db.Model.registry.mappers if issubclass(m.class_, TenantScoped))


@functools.cache
def _scoped_names() -> frozenset[str]:
    return frozenset(table.name for table in _scoped_tables())


def _touches_scoped(state: ORMExecuteState) -> bool:
    """Any scoped table anywhere in the statement: entities, select_from, joins, subqueries."""
    if any(issubclass(m.class_, TenantScoped) for m in state.all_mappers):
        return True
    scoped = _scoped_tables()
    return any(isinstance(node, Table) and node in scoped for node in visitors.iterate(state.statement))


def _tables_in(from_clause) -> Iterator[TableClause]:
    """The tables a FROM item reads directly (joins and aliases unwrapped; subqueries are statements)."""
    if isinstance(from_clause, Join):
        yield from _tables_in(from_clause.left)
        yield from _tables_in(from_clause.right)
    elif isinstance(from_clause, Alias) and not isinstance(from_clause, Subquery):
        yield from _tables_in(from_clause.element)
    elif isinstance(from_clause, TableClause):
        yield from_clause


def _is_orm(statement) -> bool:
    return statement._propagate_attrs.get("compile_state_plugin") == "orm"


def _unscopable(statement, *, text_is_tenant_free: bool) -> str | None:
    """Why the ORM criteria could not scope this statement (text, Core tables), or None."""
    scoped = _scoped_names()
    if not _is_orm(statement):  # Core: no loader criteria at all
        for node in visitors.iterate(statement):
            if isinstance(node, TextClause) and not text_is_tenant_free:
                return "text() statement"
            if isinstance(node, TableClause) and node.name in scoped:
                return f"Core statement on {node.name}"
        return None
    for node in visitors.iterate(statement):
        if isinstance(node, TextClause) and not text_is_tenant_free:
            return "text() inside an ORM statement"
        if isinstance(node, (Select, UpdateBase)):
            if not _is_orm(node):  # e.g. a Core subquery inside an ORM statement
                froms = node.get_final_froms() if isinstance(node, Select) else [node.table]
            elif isinstance(node, Select):  # plain tables an ORM query joins or selects from
                froms = [*node._from_obj, *(join[0] for join in node._setup_joins)]
            else:
                continue
            for table in (t for f in froms for t in _tables_in(f)):
                if table.name in scoped and "parententity" not in table._annotations:
                    return f"Core table {table.name} in a statement"
    return None


def _key(column) -> str | None:
    return column if isinstance(column, str) else getattr(column, "key", None)


def _refuse(message: str) -> None:
    logger.error("refused tenant-unsafe statement: {}", message)
    raise TenantScopeError(message)


def _insert_rows(state: ORMExecuteState) -> list[dict]:
    """The columns each row of an INSERT names, from .values() and the execute parameters."""
    statement = state.statement
    rows: list[dict] = []
    for batch in statement._multi_values:
        for row in batch:
            if not isinstance(row, dict):
                _refuse("multi-row INSERT with positional values into a tenant-scoped table")
            rows.append({_key(k): v for k, v in row.items()})
    base = {_key(k): v for k, v in (statement._values or {}).items()}
    params = state.parameters
    if isinstance(params, list) and params:
        return [{**base, **row} for row in params]
    if params:
        return [{**base, **params}]
    return rows or [base]


def _as_tenant_id(value) -> uuid.UUID:
    if isinstance(value, BindParameter):
        value = value.effective_value
    if isinstance(value, str):
        with contextlib.suppress(ValueError):  # not a UUID: refused below
            value = uuid.UUID(value)
    if not isinstance(value, uuid.UUID):
        _refuse("INSERT with a tenant_id that is not a literal UUID")
    return value


def _scope_insert(state: ORMExecuteState, tenant_id: uuid.UUID):
    """Refuse rows for another tenant; stamp the current tenant on rows that name none."""
    statement = state.statement
    if statement._select_names is not None:
        _refuse("INSERT ... SELECT into a tenant-scoped table")
    rows = _insert_rows(state)
    if any(_as_tenant_id(row["tenant_id"]) != tenant_id for row in rows if "tenant_id" in row):
        _refuse(f"INSERT into {statement.table.name} for another tenant")
    if all("tenant_id" in row for row in rows):
        return None
    if statement._multi_values:
        _refuse("a multi-row INSERT into a tenant-scoped table must name tenant_id in every row")
    params = state.parameters
    if isinstance(params, list) and params:
        return state.invoke_statement(params=[{"tenant_id": tenant_id} for _ in params])
    if params:
        return state.invoke_statement(params={"tenant_id": tenant_id})
    state.statement = statement.values(tenant_id=tenant_id)
    return None


def _refuse_tenant_change(state: ORMExecuteState) -> None:
    """An UPDATE may never SET tenant_id: the criteria limit WHERE, not SET."""
    statement = state.statement
    keys = {_key(k) for k in (statement._values or {})}
    params = state.parameters
    for row in params if isinstance(params, list) else [params or {}]:
        keys |= {_key(k) for k in row}
    if "tenant_id" in keys:
        _refuse("UPDATE may not change tenant_id")


@event.listens_for(Session, "do_orm_execute")
def _scope_queries(state: ORMExecuteState):
    """Scope every statement that touches a scoped table to the current tenant, or refuse it."""
    if _unscoped.get():
        return None
    if state.is_column_load or state.is_relationship_load:
        return None  # the criteria below propagate from the parent query
    problem = _unscopable(state.statement, text_is_tenant_free=bool(state.execution_options.get(TENANT_FREE)))
    if problem:
        _refuse(f"{problem}: use ORM entities, or unscoped() for operator code")
    if not _touches_scoped(state):
        return None
    tenant = _current.get()
    if tenant is None:
        raise TenantScopeError("tenant-scoped query with no current tenant")
    tenant_id = tenant.id
    if state.is_insert:
        return _scope_insert(state, tenant_id)
    if state.is_update:
        _refuse_tenant_change(state)
        if state.is_executemany:  # bulk UPDATE by primary key ignores loader criteria
            _refuse("bulk UPDATE by primary key of a tenant-scoped table: use update().where() or load the rows")
    state.statement = state.statement.options(
        with_loader_criteria(TenantScoped, lambda cls: cls.tenant_id == tenant_id, include_aliases=True)
    )
    return None


def visible_here(instance) -> bool:
    """Whether an object (e.g. found in the identity map) may be handed to code running now."""
    if _unscoped.get() or not isinstance(instance, TenantScoped):
        return True
    tenant = _current.get()
    if tenant is None:
        raise TenantScopeError(f"{type(instance).__name__} looked up with no current tenant")
    if inspect(instance).dict.get("tenant_id", tenant.id) != tenant.id:
        logger.warning("refused another tenant's {} from the identity map", type(instance).__name__)
        return False
    return True


@event.listens_for(Session, "before_flush")
def _stamp_tenant(session: Session, flush_context, instances) -> None:
    """Stamp tenant_id on new rows; refuse writing, moving or deleting rows of another tenant."""
    if _unscoped.get():
        return
    new = list(session.new)  # `session.new` builds a fresh set on every access: read it once
    new_ids = {id(obj) for obj in new}
    tenant = _current.get()
    for obj in new + list(session.dirty) + list(session.deleted):
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
LANDING_PATHS = ("/", "/login")  # on the bare domain, with no tenant named at all


def register_tenancy(app) -> None:
    """Every other request names an existing, active tenant, bound for the whole request."""
    from app.core.errors import NotFound, PermissionDenied

    @app.before_request
    def require_tenant() -> None:
        if request.path.startswith(TENANTLESS_PREFIXES):
            return
        tenant = resolve_request_tenant()
        if tenant is None:
            if request.path in LANDING_PATHS and g.tenant_subdomain is None:
                return  # the public landing page (and /login there, which the web side sends to it)
            raise NotFound("No resort is known at this address.")
        if not tenant.is_active:
            raise PermissionDenied(
                f"The {tenant.name} account is {tenant.status.value.lower()}. "
                "Contact Tailtown support to restore access."
            )

    @app.teardown_request
    def release_tenant(_exc) -> None:
        release_request_tenant()
