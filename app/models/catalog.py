"""The price list: services, add-ons and the price rules that adjust a stay.

Money is integer minor units of the tenant's currency (`*_cents`); percentages are integer basis
points (`*_bp`, 1250 = 12.50 %), so nothing is ever a float on any backend.
"""
import enum
import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKeyConstraint,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship

from app.core.extensions import db
from app.models.base import TenantScoped, Timestamps, UUIDPrimaryKey, Versioned, enum_column
from app.models.pets import ServiceCategory, Species  # one definition of each, shared with vaccine rules


class PriceUnit(enum.StrEnum):
    """How a service's base price is counted."""

    PER_NIGHT = "PER_NIGHT"  # boarding: one unit per night (start date up to, not including, end date)
    PER_DAY = "PER_DAY"  # daycare: one unit per calendar day, start and end date included
    FLAT = "FLAT"  # grooming, training: one unit per appointment


class DepositKind(enum.StrEnum):
    NONE = "NONE"
    PERCENT = "PERCENT"  # a percentage of the quote's total (tax included)
    FIXED = "FIXED"  # a fixed amount, never more than the total


class AddOnUnit(enum.StrEnum):
    """How an add-on is counted in a quote (then multiplied by the requested quantity)."""

    PER_STAY = "PER_STAY"  # once per booking
    PER_NIGHT = "PER_NIGHT"  # once per night of the stay
    PER_DAY = "PER_DAY"  # once per day of the stay (nights + 1 for an overnight stay)
    PER_USE = "PER_USE"  # once per use; the quantity is the number of uses


class RuleKind(enum.StrEnum):
    LENGTH_OF_STAY = "LENGTH_OF_STAY"  # stays of at least min_nights units
    ADDITIONAL_PET = "ADDITIONAL_PET"  # the from_pet-th and later pet of one household in one booking
    DAY_OF_WEEK = "DAY_OF_WEEK"  # units whose date falls on one of days_of_week
    DATE_WINDOW = "DATE_WINDOW"  # units whose date falls between valid_from and valid_to


class RuleEffect(enum.StrEnum):
    DISCOUNT = "DISCOUNT"
    SURCHARGE = "SURCHARGE"


class AmountType(enum.StrEnum):
    PERCENT = "PERCENT"  # of the unit's base price (surcharges) or running price (discounts)
    AMOUNT = "AMOUNT"  # a fixed amount per affected unit (night, day or appointment)


WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")  # index == date.weekday()


def _bp_to_percent(bp: int | None) -> Decimal | None:
    return None if bp is None else (Decimal(bp) / 100).quantize(Decimal("0.01"))


def _percent_to_bp(percent) -> int | None:
    return None if percent is None else int((Decimal(str(percent)) * 100).to_integral_value())


class Service(UUIDPrimaryKey, TenantScoped, Timestamps, Versioned, db.Model):
    """Something the resort sells: boarding by the night, daycare by the day, grooming by the appointment."""

    __tablename__ = "services"
    tenant_id_index = False  # led by tenant_id: the unique constraints
    __table_args__ = (
        UniqueConstraint("tenant_id", "name"),
        UniqueConstraint("tenant_id", "id"),  # target of composite foreign keys
        UniqueConstraint("tenant_id", "id", "daily_capacity"),  # service_days copies the capacity it checks
        CheckConstraint("price_cents >= 0", name="price_not_negative"),
        CheckConstraint("daily_capacity IS NULL OR daily_capacity >= 1", name="daily_capacity_positive"),
        CheckConstraint("duration_minutes IS NULL OR duration_minutes > 0", name="duration_positive"),
        CheckConstraint("deposit_percent_bp IS NULL OR (deposit_percent_bp >= 0 AND deposit_percent_bp <= 10000)",
                        name="deposit_percent_range"),
        CheckConstraint("deposit_cents IS NULL OR deposit_cents >= 0", name="deposit_not_negative"),
        CheckConstraint(
            "(deposit_kind = 'NONE' AND deposit_percent_bp IS NULL AND deposit_cents IS NULL)"
            " OR (deposit_kind = 'PERCENT' AND deposit_percent_bp IS NOT NULL AND deposit_cents IS NULL)"
            " OR (deposit_kind = 'FIXED' AND deposit_cents IS NOT NULL AND deposit_percent_bp IS NULL)",
            name="deposit_consistent"),
    )

    name: Mapped[str] = mapped_column(String(120), nullable=False)
    category: Mapped[ServiceCategory] = mapped_column(enum_column(ServiceCategory), nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    price_cents: Mapped[int] = mapped_column(Integer, nullable=False)
    price_unit: Mapped[PriceUnit] = mapped_column(enum_column(PriceUnit), nullable=False)
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    needs_kennel: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # Kennel types (KennelType values) this service may be booked into; required when it needs a kennel.
    kennel_types: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    allowed_species: Mapped[list] = mapped_column(JSON, default=list, nullable=False)  # Species values
    taxable: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    deposit_kind: Mapped[DepositKind] = mapped_column(enum_column(DepositKind), default=DepositKind.NONE,
                                                      nullable=False)
    deposit_percent_bp: Mapped[int | None] = mapped_column(Integer)
    deposit_cents: Mapped[int | None] = mapped_column(Integer)
    # Pets per day across all bookings (daycare places, grooming slots); NULL: no limit.
    daily_capacity: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    sort_order: Mapped[int] = mapped_column(Integer, default=0, nullable=False)

    @property
    def deposit_percent(self) -> Decimal | None:
        return _bp_to_percent(self.deposit_percent_bp)

    @deposit_percent.setter
    def deposit_percent(self, value) -> None:
        self.deposit_percent_bp = _percent_to_bp(value)


class AddOnService(TenantScoped, db.Model):
    """An add-on may be added to this service (both rows of one tenant)."""

    __tablename__ = "addon_services"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "addon_id"], ["addons.tenant_id", "addons.id"], ondelete="CASCADE"),
        # RESTRICT: a service an add-on refers to is deactivated, not deleted.
        ForeignKeyConstraint(["tenant_id", "service_id"], ["services.tenant_id", "services.id"]),
    )

    addon_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    service_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, index=True)


class AddOn(UUIDPrimaryKey, TenantScoped, Timestamps, Versioned, db.Model):
    """An extra sold with a service: an extra walk, a bath at check-out, medication, late pickup."""

    __tablename__ = "addons"
    tenant_id_index = False  # led by tenant_id: the unique constraints
    __table_args__ = (
        UniqueConstraint("tenant_id", "name"),
        UniqueConstraint("tenant_id", "id"),
        CheckConstraint("price_cents >= 0", name="price_not_negative"),
    )

    name: Mapped[str] = mapped_column(String(120), nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    price_cents: Mapped[int] = mapped_column(Integer, nullable=False)
    unit: Mapped[AddOnUnit] = mapped_column(enum_column(AddOnUnit), nullable=False)
    taxable: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    sort_order: Mapped[int] = mapped_column(Integer, default=0, nullable=False)

    service_links: Mapped[list[AddOnService]] = relationship(
        primaryjoin=lambda: AddOn.id == foreign(AddOnService.addon_id),
        cascade="all, delete-orphan", lazy="selectin", order_by=lambda: AddOnService.service_id,
    )

    @property
    def service_ids(self) -> list[uuid.UUID]:
        return [link.service_id for link in self.service_links]


class PriceRuleService(TenantScoped, db.Model):
    """A price rule applies to this service (both rows of one tenant)."""

    __tablename__ = "price_rule_services"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "rule_id"], ["price_rules.tenant_id", "price_rules.id"],
                             ondelete="CASCADE"),
        ForeignKeyConstraint(["tenant_id", "service_id"], ["services.tenant_id", "services.id"]),
    )

    rule_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    service_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, index=True)


class PriceRule(UUIDPrimaryKey, TenantScoped, Timestamps, Versioned, db.Model):
    """An adjustment to a stay's price: long stays, extra pets, weekdays, holiday windows.

    How rules combine is defined once, in app/services/pricing.py.
    """

    __tablename__ = "price_rules"
    tenant_id_index = False  # led by tenant_id: the unique constraints
    __table_args__ = (
        UniqueConstraint("tenant_id", "name"),
        UniqueConstraint("tenant_id", "id"),
        CheckConstraint("percent_bp IS NULL OR (percent_bp >= 0 AND percent_bp <= 10000)", name="percent_range"),
        CheckConstraint("amount_cents IS NULL OR amount_cents >= 0", name="amount_not_negative"),
        CheckConstraint(
            "(amount_type = 'PERCENT' AND percent_bp IS NOT NULL AND amount_cents IS NULL)"
            " OR (amount_type = 'AMOUNT' AND amount_cents IS NOT NULL AND percent_bp IS NULL)",
            name="amount_consistent"),
        CheckConstraint("min_nights IS NULL OR min_nights >= 1", name="min_nights_positive"),
        CheckConstraint("from_pet IS NULL OR from_pet >= 2", name="from_pet_second_or_later"),
        CheckConstraint("kind != 'LENGTH_OF_STAY' OR min_nights IS NOT NULL", name="length_of_stay_needs_min_nights"),
        CheckConstraint("kind != 'ADDITIONAL_PET' OR from_pet IS NOT NULL", name="additional_pet_needs_from_pet"),
        CheckConstraint("kind != 'DATE_WINDOW' OR (valid_from IS NOT NULL AND valid_to IS NOT NULL)",
                        name="date_window_needs_dates"),
        CheckConstraint("valid_from IS NULL OR valid_to IS NULL OR valid_to >= valid_from", name="valid_range"),
    )

    name: Mapped[str] = mapped_column(String(120), nullable=False)
    kind: Mapped[RuleKind] = mapped_column(enum_column(RuleKind), nullable=False)
    effect: Mapped[RuleEffect] = mapped_column(enum_column(RuleEffect), nullable=False)
    amount_type: Mapped[AmountType] = mapped_column(enum_column(AmountType), nullable=False)
    percent_bp: Mapped[int | None] = mapped_column(Integer)
    amount_cents: Mapped[int | None] = mapped_column(Integer)
    min_nights: Mapped[int | None] = mapped_column(Integer)  # LENGTH_OF_STAY (days for per-day services)
    from_pet: Mapped[int | None] = mapped_column(Integer)  # ADDITIONAL_PET: 2 = second pet onwards
    days_of_week: Mapped[list] = mapped_column(JSON, default=list, nullable=False)  # DAY_OF_WEEK: WEEKDAYS values
    # Applies to these categories (ServiceCategory values) and/or the linked services; neither = every service.
    categories: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    priority: Mapped[int] = mapped_column(Integer, default=100, nullable=False)  # lower applies first
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    valid_from: Mapped[date | None] = mapped_column(Date)  # DATE_WINDOW: the window itself
    valid_to: Mapped[date | None] = mapped_column(Date)

    service_links: Mapped[list[PriceRuleService]] = relationship(
        primaryjoin=lambda: PriceRule.id == foreign(PriceRuleService.rule_id),
        cascade="all, delete-orphan", lazy="selectin", order_by=lambda: PriceRuleService.service_id,
    )

    @property
    def service_ids(self) -> list[uuid.UUID]:
        return [link.service_id for link in self.service_links]

    @property
    def percent(self) -> Decimal | None:
        return _bp_to_percent(self.percent_bp)

    @percent.setter
    def percent(self, value) -> None:
        self.percent_bp = _percent_to_bp(value)


__all__ = ["AddOn", "AddOnService", "AddOnUnit", "AmountType", "DepositKind", "PriceRule", "PriceRuleService",
           "PriceUnit", "RuleEffect", "RuleKind", "Service", "ServiceCategory", "Species", "WEEKDAYS"]
