"""The tenant: one pet resort business."""
import enum
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.extensions import db
from app.core.weights import DEFAULT_UNIT
from app.models.base import Timestamps, UUIDPrimaryKey, Versioned, enum_column


class TenantStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    CANCELLED = "CANCELLED"


class Plan(enum.StrEnum):
    FREE = "FREE"
    PRO = "PRO"
    ENTERPRISE = "ENTERPRISE"


class Tenant(UUIDPrimaryKey, Timestamps, Versioned, db.Model):
    """A resort business; global (not tenant-scoped)."""

    __tablename__ = "tenants"
    __table_args__ = (
        CheckConstraint("tax_rate >= 0 AND tax_rate < 1", name="tax_rate_range"),
        CheckConstraint("vaccine_warning_days >= 0 AND vaccine_warning_days <= 365", name="vaccine_warning_range"),
        CheckConstraint("weight_unit IN ('kg', 'lb')", name="weight_unit_known"),
        CheckConstraint("vaccine_reminder_days >= 0 AND vaccine_reminder_days <= 365", name="vaccine_reminder_range"),
    )

    subdomain: Mapped[str] = mapped_column(String(63), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    status: Mapped[TenantStatus] = mapped_column(enum_column(TenantStatus), default=TenantStatus.ACTIVE, nullable=False)
    plan: Mapped[Plan] = mapped_column(enum_column(Plan), default=Plan.FREE, nullable=False)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", nullable=False)
    currency: Mapped[str] = mapped_column(String(3), default="USD", nullable=False)
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(6, 4), default=Decimal("0"), nullable=False)
    address: Mapped[str] = mapped_column(String(500), default="", nullable=False)
    phone: Mapped[str] = mapped_column(String(40), default="", nullable=False)
    vaccine_warning_days: Mapped[int] = mapped_column(Integer, default=30, nullable=False)
    # Vaccine-expiry reminders go to the household this many days before a record expires (0: none are sent).
    vaccine_reminder_days: Mapped[int] = mapped_column(Integer, default=14, server_default="14", nullable=False)
    # The unit pages show and forms take; weights are stored in kg (app/core/weights.py).
    weight_unit: Mapped[str] = mapped_column(String(2), default=DEFAULT_UNIT, server_default=DEFAULT_UNIT,
                                             nullable=False)
    # Browser origins (`https://host[:port]`) allowed to call the API with CORS (app/cors.py).
    cors_origins: Mapped[list] = mapped_column(JSON, default=list, server_default="[]", nullable=False)
