"""Every model is imported here so Alembic and the app see the whole schema."""
from app.models.accounts import ApiKey, PasswordResetToken, Role, User
from app.models.audit import AuditEvent
from app.models.base import TenantScoped
from app.models.mail import OutboundEmail
from app.models.tenants import Plan, Tenant, TenantStatus

__all__ = [
    "ApiKey", "AuditEvent", "OutboundEmail", "PasswordResetToken", "Plan", "Role",
    "Tenant", "TenantScoped", "TenantStatus", "User",
]
