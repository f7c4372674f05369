"""Billing: invoices and their lines, payments, refunds, the customer's account-credit ledger, settings.

Money is integer minor units ("cents") of the tenant's currency everywhere. The totals stored on an
invoice (total, tax, paid) are written only by app/services/billing.py from its lines and payments,
never taken from a client; CHECK constraints keep them in range (paid never above total).
"""
import enum
import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship

from app.core.extensions import db
from app.models.base import TenantScoped, Timestamps, UTCDateTime, UUIDPrimaryKey, Versioned, enum_column, utcnow


class InvoiceStatus(enum.StrEnum):
    DRAFT = "DRAFT"
    ISSUED = "ISSUED"
    PARTIALLY_PAID = "PARTIALLY_PAID"
    PAID = "PAID"
    VOID = "VOID"


OPEN_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID)


class LineKind(enum.StrEnum):
    SERVICE = "SERVICE"
    ADD_ON = "ADD_ON"
    DISCOUNT = "DISCOUNT"
    SURCHARGE = "SURCHARGE"
    FEE = "FEE"
    PRODUCT = "PRODUCT"
    TAX = "TAX"


class PaymentMethod(enum.StrEnum):
    CASH = "CASH"
    CARD = "CARD"
    CHECK = "CHECK"
    BANK_TRANSFER = "BANK_TRANSFER"
    ACCOUNT_CREDIT = "ACCOUNT_CREDIT"
    OTHER = "OTHER"


class RefundDestination(enum.StrEnum):
    ORIGINAL_METHOD = "ORIGINAL_METHOD"
    ACCOUNT_CREDIT = "ACCOUNT_CREDIT"


class LedgerKind(enum.StrEnum):
    INVOICE = "INVOICE"  # an invoice issued: the customer owes its total
    ADJUSTMENT = "ADJUSTMENT"  # a line added after issue
    VOID = "VOID"  # an invoice voided: its total is no longer owed; what was paid on it becomes credit
    PAYMENT = "PAYMENT"  # money received; any excess taken as account credit
    CREDIT_APPLIED = "CREDIT_APPLIED"  # account credit spent on an invoice (no money moves)
    REFUND = "REFUND"  # money paid back (or, to account credit, kept as credit)
    CANCELLATION = "CANCELLATION"  # the cancellation policy's outcome for a booking's payments


class CancellationOutcome(enum.StrEnum):
    NONE = "NONE"  # nothing was paid
    REFUND = "REFUND"
    CREDIT = "CREDIT"
    FORFEIT = "FORFEIT"


class BillingSettings(TenantScoped, Timestamps, db.Model):
    """One row per tenant: the invoice prefix and counter, the cancellation policy, late check-out, the card gateway.

    The row is also the invoice-number counter: issuing locks it FOR UPDATE (see billing.issue_invoice).
    """

    __tablename__ = "billing_settings"
    tenant_id_index = False  # the primary key
    __table_args__ = (
        CheckConstraint("next_invoice_number >= 1", name="counter_positive"),
        CheckConstraint("late_fee_cents >= 0", name="late_fee_not_negative"),
        CheckConstraint("card_gateway IN ('MANUAL', 'HTTP')", name="gateway_known"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, db.ForeignKey("tenants.id", ondelete="RESTRICT"),
                                                 primary_key=True)
    invoice_prefix: Mapped[str] = mapped_column(String(12), default="INV-", nullable=False)
    next_invoice_number: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    # [{"min_notice_hours": 168, "outcome": "REFUND"}, ...], most notice first; see billing.DEFAULT_POLICY.
    cancellation_policy: Mapped[list] = mapped_column(JSON, nullable=False)
    late_checkout_time: Mapped[str] = mapped_column(String(5), default="12:00", nullable=False)
    late_fee_cents: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    card_gateway: Mapped[str] = mapped_column(String(12), default="MANUAL", nullable=False)


class Invoice(UUIDPrimaryKey, TenantScoped, Timestamps, Versioned, db.Model):
    """A bill to one household: for a reservation (from its price snapshot) or standalone (retail, a fee)."""

    __tablename__ = "invoices"
    tenant_id_index = False  # led by tenant_id: the constraints and indexes below
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        UniqueConstraint("tenant_id", "number"),
        UniqueConstraint("tenant_id", "sequence"),
        ForeignKeyConstraint(["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"]),
        ForeignKeyConstraint(["tenant_id", "reservation_id"], ["reservations.tenant_id", "reservations.id"]),
        CheckConstraint("total_cents >= 0 AND tax_cents >= 0 AND paid_cents >= 0 AND paid_cents <= total_cents",
                        name="money_in_range"),
        CheckConstraint("(number IS NULL) = (sequence IS NULL)", name="numbered_together"),
        CheckConstraint("status = 'DRAFT' OR status = 'VOID' OR number IS NOT NULL", name="issued_has_number"),
        Index("ix_invoices_tenant_customer", "tenant_id", "customer_id", "status"),
        Index("ix_invoices_tenant_reservation", "tenant_id", "reservation_id"),
        Index("ix_invoices_tenant_status", "tenant_id", "status", "issued_at"),
        # The close-out's "issued or voided in this day": two index scans, not every invoice ever issued.
        Index("ix_invoices_tenant_issued", "tenant_id", "issued_at"),
        Index("ix_invoices_tenant_voided", "tenant_id", "voided_at"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    reservation_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    status: Mapped[InvoiceStatus] = mapped_column(enum_column(InvoiceStatus), default=InvoiceStatus.DRAFT,
                                                  nullable=False)
    number: Mapped[str | None] = mapped_column(String(32))
    sequence: Mapped[int | None] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(6, 4), nullable=False)
    # Written by the billing service only: sums of the lines, and of payments net of refunds.
    total_cents: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    tax_cents: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    paid_cents: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    deposit_cents: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    deposit_paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notes: Mapped[str] = mapped_column(Text, default="", nullable=False)
    created_by: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    issued_by: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_by: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    void_reason: Mapped[str] = mapped_column(Text, default="", nullable=False)
    replaces_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # void-and-reissue: the invoice this one replaces
    cancellation: Mapped[dict | None] = mapped_column(JSON)  # the policy's outcome when its booking was cancelled

    def __init__(self, **fields) -> None:
        # The derived sums start at zero in Python too (column defaults apply only at INSERT).
        for name in ("total_cents", "tax_cents", "paid_cents", "deposit_cents"):
            fields.setdefault(name, 0)
        fields.setdefault("status", InvoiceStatus.DRAFT)
        super().__init__(**fields)

    lines: Mapped[list["InvoiceLine"]] = relationship(
        primaryjoin=lambda: Invoice.id == foreign(InvoiceLine.invoice_id),
        cascade="all, delete-orphan", order_by=lambda: InvoiceLine.position, lazy="selectin")


class InvoiceLine(UUIDPrimaryKey, TenantScoped, db.Model):
    """One line; never changed once its invoice is issued (corrections are new, adjustment lines)."""

    __tablename__ = "invoice_lines"
    tenant_id_index = False  # led by tenant_id: the constraint below
    __table_args__ = (
        UniqueConstraint("tenant_id", "invoice_id", "position"),
        ForeignKeyConstraint(["tenant_id", "invoice_id"], ["invoices.tenant_id", "invoices.id"]),
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        # Snapshot lines keep their kind's sign; an adjustment may take either (a re-priced, shorter stay is a
        # negative SERVICE and TAX adjustment, so revenue by kind and tax collected stay exact).
        CheckConstraint("adjustment OR (kind = 'DISCOUNT' AND amount_cents <= 0) "
                        "OR (kind <> 'DISCOUNT' AND amount_cents >= 0)", name="sign_follows_kind"),
    )

    invoice_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    kind: Mapped[LineKind] = mapped_column(enum_column(LineKind), nullable=False)
    description: Mapped[str] = mapped_column(String(300), nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    unit_price_cents: Mapped[int] = mapped_column(Integer, nullable=False)
    amount_cents: Mapped[int] = mapped_column(Integer, nullable=False)
    taxable: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    adjustment: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)  # added after issue
    reason: Mapped[str] = mapped_column(Text, default="", nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    created_by: Mapped[str] = mapped_column(String(200), default="", nullable=False)


class Payment(UUIDPrimaryKey, TenantScoped, Timestamps, db.Model):
    """Money received against an invoice: what went onto the invoice and what became account credit."""

    __tablename__ = "payments"
    tenant_id_index = False
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        ForeignKeyConstraint(["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"]),
        ForeignKeyConstraint(["tenant_id", "invoice_id"], ["invoices.tenant_id", "invoices.id"]),
        CheckConstraint("amount_cents > 0 AND applied_cents >= 0 AND credit_cents >= 0 "
                        "AND applied_cents + credit_cents = amount_cents", name="amount_split"),
        CheckConstraint("refunded_cents >= 0 AND refunded_cents <= amount_cents", name="refunds_within_amount"),
        Index("ix_payments_tenant_invoice", "tenant_id", "invoice_id"),
        Index("ix_payments_tenant_customer", "tenant_id", "customer_id", "received_at"),
        Index("ix_payments_tenant_received", "tenant_id", "received_at"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    invoice_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    amount_cents: Mapped[int] = mapped_column(Integer, nullable=False)
    applied_cents: Mapped[int] = mapped_column(Integer, nullable=False)  # onto the invoice
    credit_cents: Mapped[int] = mapped_column(Integer, default=0, nullable=False)  # the excess, as account credit
    refunded_cents: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    method: Mapped[PaymentMethod] = mapped_column(enum_column(PaymentMethod), nullable=False)
    reference: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    gateway: Mapped[str] = mapped_column(String(20), default="", nullable=False)
    gateway_reference: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    deposit: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)  # paid toward the booking's deposit
    received_by: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    def __init__(self, **fields) -> None:
        fields.setdefault("refunded_cents", 0)
        fields.setdefault("credit_cents", 0)
        super().__init__(**fields)

    refunds: Mapped[list["Refund"]] = relationship(
        primaryjoin=lambda: Payment.id == foreign(Refund.payment_id),
        order_by=lambda: Refund.created_at, lazy="selectin", viewonly=True)


class Refund(UUIDPrimaryKey, TenantScoped, db.Model):
    """Money given back from a payment (to its method or as account credit); never more than is left of it."""

    __tablename__ = "refunds"
    tenant_id_index = False
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "payment_id"], ["payments.tenant_id", "payments.id"]),
        CheckConstraint("amount_cents > 0 AND invoice_cents >= 0 AND credit_cents >= 0 "
                        "AND invoice_cents + credit_cents = amount_cents", name="amount_split"),
        Index("ix_refunds_tenant_payment", "tenant_id", "payment_id"),
        Index("ix_refunds_tenant_created", "tenant_id", "created_at"),
    )

    payment_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    amount_cents: Mapped[int] = mapped_column(Integer, nullable=False)
    invoice_cents: Mapped[int] = mapped_column(Integer, nullable=False)  # taken off the invoice's paid amount
    credit_cents: Mapped[int] = mapped_column(Integer, nullable=False)  # taken out of the account credit
    destination: Mapped[RefundDestination] = mapped_column(enum_column(RefundDestination), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    gateway_reference: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    created_by: Mapped[str] = mapped_column(String(200), default="", nullable=False)


class LedgerEntry(UUIDPrimaryKey, TenantScoped, db.Model):
    """One movement on a household's account; append-only.

    debit_cents - credit_cents summed is what the household owes (open invoice balances minus
    available credit); credit_change_cents summed is its available account credit.
    """

    __tablename__ = "ledger_entries"
    tenant_id_index = False
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"]),
        CheckConstraint("debit_cents >= 0 AND credit_cents >= 0", name="sides_not_negative"),
        Index("ix_ledger_entries_tenant_customer", "tenant_id", "customer_id", "created_at"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    kind: Mapped[LedgerKind] = mapped_column(enum_column(LedgerKind), nullable=False)
    description: Mapped[str] = mapped_column(String(300), nullable=False)
    debit_cents: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    credit_cents: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    credit_change_cents: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    payment_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    refund_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    created_by: Mapped[str] = mapped_column(String(200), default="", nullable=False)
