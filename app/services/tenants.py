"""Tenant lifecycle (platform operators) and tenant settings (resort admins)."""
import zoneinfo
from decimal import Decimal, InvalidOperation

from sqlalchemy.exc import IntegrityError

from app.core.errors import Conflict, NotFound, RuleViolation
from app.core.extensions import db
from app.core.weights import UNITS
from app.cors import normalize_origins
from app.models import Plan, Tenant, TenantStatus
from app.services import audit
from app.services.compliance import add_default_requirements
from app.services.rows import expect_version, refuse_stale
from app.tenancy import forget_tenant, tenant_context, valid_subdomain

RESERVED_SUBDOMAINS = frozenset(
    {"www", "api", "admin", "app", "mail", "static", "docs", "status", "platform", "help", "support", "root", "test"}
)
SETTINGS_FIELDS = ["name", "address", "phone", "timezone", "currency", "tax_rate", "vaccine_warning_days", "weight_unit",
                   "vaccine_reminder_days", "cors_origins"]


def _validate(fields: dict) -> dict:
    """Check settings values; errors name each bad field."""
    errors: dict[str, list[str]] = {}
    if "name" in fields and not str(fields["name"]).strip():
        errors["name"] = ["Must not be empty."]
    if "timezone" in fields and fields["timezone"] not in zoneinfo.available_timezones():
        errors["timezone"] = ["Unknown timezone; use an IANA name such as America/Denver."]
    if "currency" in fields:
        fields["currency"] = str(fields["currency"]).upper()
        if len(fields["currency"]) != 3 or not fields["currency"].isalpha():
            errors["currency"] = ["Must be a three-letter ISO 4217 code."]
    if "tax_rate" in fields:
        try:
            fields["tax_rate"] = Decimal(str(fields["tax_rate"]))
            if not Decimal(0) <= fields["tax_rate"] < Decimal(1):
                raise InvalidOperation
        except InvalidOperation:
            errors["tax_rate"] = ["Must be a fraction from 0 up to (not including) 1, e.g. 0.0825."]
    if "vaccine_warning_days" in fields and not 0 <= int(fields["vaccine_warning_days"]) <= 365:
        errors["vaccine_warning_days"] = ["Must be between 0 and 365."]
    if "vaccine_reminder_days" in fields and not 0 <= int(fields["vaccine_reminder_days"]) <= 365:
        errors["vaccine_reminder_days"] = ["Must be between 0 and 365 (0 sends none)."]
    if "weight_unit" in fields and fields["weight_unit"] not in UNITS:
        errors["weight_unit"] = [f"Must be one of: {', '.join(UNITS)}."]
    if "cors_origins" in fields:
        try:
            fields["cors_origins"] = normalize_origins(fields["cors_origins"])
        except RuleViolation as exc:
            errors.update(exc.errors)
    if errors:
        raise RuleViolation("Invalid tenant settings.", errors=errors)
    return fields


def create_tenant(*, subdomain: str, name: str, plan: Plan = Plan.FREE, timezone: str = "UTC",
                  currency: str = "USD", tax_rate: Decimal | str = "0") -> Tenant:
    """Create a tenant; subdomains are unique, lowercase and not reserved."""
    subdomain = subdomain.strip().lower()
    if not valid_subdomain(subdomain):
        raise RuleViolation("Invalid subdomain.", errors={"subdomain": ["Use lowercase letters, digits and hyphens."]})
    if subdomain in RESERVED_SUBDOMAINS:
        raise RuleViolation("Reserved subdomain.", errors={"subdomain": [f"{subdomain!r} is reserved."]})
    fields = _validate({"name": name, "timezone": timezone, "currency": currency, "tax_rate": tax_rate})
    tenant = Tenant(subdomain=subdomain, plan=Plan(plan), status=TenantStatus.ACTIVE, **fields)
    db.session.add(tenant)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(f"Subdomain {subdomain!r} is taken.", errors={"subdomain": ["Already taken."]}) from None
    with tenant_context(tenant):
        add_default_requirements()
        audit.record("tenant.created", "tenant", tenant.id, changes={"plan": tenant.plan.value})
        forget_tenant(subdomain)
        db.session.commit()
    return tenant


def get_tenant(*, subdomain: str) -> Tenant:
    """One tenant by subdomain, for operators."""
    tenant = db.session.execute(db.select(Tenant).where(Tenant.subdomain == subdomain)).scalar_one_or_none()
    if tenant is None:
        raise NotFound(f"No tenant {subdomain!r}.")
    return tenant


def list_tenants(*, status: TenantStatus | None = None) -> list[Tenant]:
    """All tenants (or those with one status), for operators and the development landing page."""
    stmt = db.select(Tenant).order_by(Tenant.subdomain)
    if status is not None:
        stmt = stmt.where(Tenant.status == status)
    return list(db.session.execute(stmt).scalars())


def change_tenant(*, subdomain: str, status: TenantStatus | None = None, plan: Plan | None = None,
                  name: str | None = None) -> Tenant:
    """Pause/resume/cancel a tenant or change its plan; takes effect on the next request everywhere."""
    tenant = get_tenant(subdomain=subdomain)
    new = {k: v for k, v in {"status": status, "plan": plan, "name": name}.items() if v is not None}
    _validate({k: v for k, v in new.items() if k == "name"})
    old = audit.snapshot(tenant, list(new))
    for field, value in new.items():
        setattr(tenant, field, value)
    with tenant_context(tenant):
        changes = audit.changes_of(old, new)
        if changes:
            action = {"PAUSED": "tenant.paused", "ACTIVE": "tenant.resumed", "CANCELLED": "tenant.cancelled"}
            name_ = action.get(str(status), "tenant.updated") if "status" in changes else "tenant.updated"
            audit.record(name_, "tenant", tenant.id, changes=changes)
        forget_tenant(subdomain)
        db.session.commit()
    return tenant


@refuse_stale
def update_settings(*, tenant_id, expected_version: int | None = None, **fields) -> Tenant:
    """An admin edits the current tenant's business settings."""
    tenant = db.session.get(Tenant, tenant_id)
    expect_version(tenant, expected_version)
    unknown = set(fields) - set(SETTINGS_FIELDS)
    if unknown:
        raise RuleViolation("Unknown settings.", errors={f: ["Unknown field."] for f in unknown})
    fields = _validate(dict(fields))
    old = audit.snapshot(tenant, list(fields))
    for field, value in fields.items():
        setattr(tenant, field, value)
    changes = audit.changes_of(old, fields)
    if changes:
        audit.record("tenant.settings_changed", "tenant", tenant.id, changes=changes)
    forget_tenant(tenant.subdomain)
    db.session.commit()
    return tenant

