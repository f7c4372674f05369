"""Every model is imported here so Alembic and the app see the whole schema."""
from app.models.accounts import ApiKey, PasswordResetToken, Role, User, UserSession
from app.models.audit import AuditEvent
from app.models.base import TenantScoped
from app.models.billing import (
    BillingSettings,
    CancellationOutcome,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LedgerEntry,
    LedgerKind,
    LineKind,
    Payment,
    PaymentMethod,
    Refund,
    RefundDestination,
)
from app.models.catalog import (
    AddOn,
    AddOnService,
    AddOnUnit,
    AmountType,
    DepositKind,
    PriceRule,
    PriceRuleService,
    PriceUnit,
    RuleEffect,
    RuleKind,
    Service,
)
from app.models.customers import ContactMethod, Customer, CustomerTag
from app.models.deletions import TOMBSTONE_TYPES, Deletion, synced
from app.models.idempotency import IdempotencyKey
from app.models.kennels import Kennel, KennelSize, KennelStatus, KennelType
from app.models.mail import Channel, MessageState, OutboxMessage
from app.models.notices import MessageTemplate
from app.models.pets import AlertFlag, Pet, ServiceCategory, Sex, Species, Vaccination, VaccineRequirement
from app.models.reservations import (
    KennelNight,
    Reservation,
    ReservationAddOn,
    ReservationPet,
    ReservationSource,
    ReservationStatus,
    ServiceDay,
)
from app.models.tenants import Plan, Tenant, TenantStatus
from app.models.webhooks import WebhookAttempt, WebhookEndpoint

__all__ = [
    "WebhookAttempt", "WebhookEndpoint", "Deletion", "TOMBSTONE_TYPES",
    "ApiKey", "AuditEvent", "Channel", "IdempotencyKey", "MessageState", "MessageTemplate", "OutboxMessage", "PasswordResetToken", "Plan", "Role",
    "Tenant", "TenantScoped", "TenantStatus", "User", "UserSession",
    "AlertFlag", "ContactMethod", "Customer", "CustomerTag", "Pet", "ServiceCategory", "Sex", "Species",
    "Vaccination", "VaccineRequirement",
    "AddOn", "AddOnService", "AddOnUnit", "AmountType", "DepositKind", "Kennel", "KennelSize", "KennelStatus",
    "KennelType", "KennelNight", "Reservation", "ReservationAddOn", "ReservationPet", "ReservationSource",
    "ReservationStatus", "ServiceDay",
    "BillingSettings", "CancellationOutcome", "Invoice", "InvoiceLine", "InvoiceStatus", "LedgerEntry", "LedgerKind",
    "LineKind", "Payment", "PaymentMethod", "Refund", "RefundDestination",
    "PriceRule", "PriceRuleService", "PriceUnit", "RuleEffect", "RuleKind", "Service",
]

# Every table a change feed lists: indexed for keyset pages by updated_at, and a hard delete leaves a
# tombstone (GET /api/v1/deletions?type=<type>).
for _model, _type in [(Customer, "customers"), (Pet, "pets"), (Vaccination, "vaccinations"),
                      (VaccineRequirement, "vaccine-requirements"), (Reservation, "reservations"),
                      (Invoice, "invoices"), (Payment, "payments"), (Service, "services"), (AddOn, "addons"),
                      (PriceRule, "price-rules"), (Kennel, "kennels"), (User, "users"), (ApiKey, "api-keys"),
                      (WebhookEndpoint, "webhook-endpoints")]:
    synced(_model, _type)
