"""Customers (households): contact details, emergency contact, tags."""
import enum
import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKeyConstraint, Index, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.extensions import db
from app.models.base import TenantScoped, Timestamps, UTCDateTime, UUIDPrimaryKey, Versioned, enum_column


class ContactMethod(enum.StrEnum):
    EMAIL = "EMAIL"
    SMS = "SMS"
    BOTH = "BOTH"
    NONE = "NONE"


class Customer(UUIDPrimaryKey, TenantScoped, Timestamps, Versioned, db.Model):
    """A household that brings pets; deactivated rather than deleted once history refers to it."""

    __tablename__ = "customers"
    tenant_id_index = False  # led by tenant_id: the unique constraints
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        UniqueConstraint("tenant_id", "email"),
        Index("ix_customers_tenant_name", "tenant_id", "last_name", "first_name"),
        Index("ix_customers_tenant_created", "tenant_id", "created_at"),  # the list, newest first
        # Trigram search (PostgreSQL): `tenant_id = ? AND search_text LIKE '% tok%'` uses one GIN index.
        Index("ix_customers_search", "tenant_id", "search_text", postgresql_using="gin",
              postgresql_ops={"search_text": "gin_trgm_ops"}),
    )

    first_name: Mapped[str] = mapped_column(String(100), nullable=False)
    last_name: Mapped[str] = mapped_column(String(100), nullable=False)
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164, e.g. +15551234567
    alt_phone: Mapped[str | None] = mapped_column(String(20))
    address_line1: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    address_line2: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    city: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    region: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    postal_code: Mapped[str] = mapped_column(String(20), default="", nullable=False)
    emergency_name: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    emergency_phone: Mapped[str | None] = mapped_column(String(20))
    emergency_relationship: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    preferred_contact: Mapped[ContactMethod] = mapped_column(enum_column(ContactMethod), default=ContactMethod.EMAIL,
                                                             nullable=False)
    # Opt-outs (an email's unsubscribe link, STOP by text): messages on that channel are recorded, never sent.
    email_opt_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sms_opt_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notes: Mapped[str] = mapped_column(Text, default="", nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    # Lowercased, accent-free words (names, email, pet names, phone digits), each after a space.
    search_text: Mapped[str] = mapped_column(Text, default="", nullable=False)

    tags: Mapped[list["CustomerTag"]] = relationship(back_populates="customer", cascade="all, delete-orphan",
                                                     order_by="CustomerTag.tag", lazy="raise")
    pets: Mapped[list["Pet"]] = relationship(back_populates="owner", order_by="Pet.name", lazy="raise",  # noqa: F821
                                             cascade="all, delete-orphan")

    @property
    def tag_names(self) -> list[str]:
        return [t.tag for t in self.tags]

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class CustomerTag(TenantScoped, db.Model):
    """A free-form label on a customer (e.g. vip, late-pickup)."""

    __tablename__ = "customer_tags"
    tenant_id_index = False  # led by tenant_id: ix_customer_tags_tenant_tag
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"], ondelete="CASCADE"),
        Index("ix_customer_tags_tenant_tag", "tenant_id", "tag"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    tag: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer: Mapped[Customer] = relationship(back_populates="tags")
