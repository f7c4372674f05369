"""Webhook endpoints and the log of each delivery attempt; the deliveries themselves are outbox messages."""
import uuid
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core.extensions import db
from app.models.base import TenantScoped, Timestamps, UTCDateTime, UUIDPrimaryKey, Versioned, utcnow


class WebhookEndpoint(UUIDPrimaryKey, TenantScoped, Timestamps, Versioned, db.Model):
    """A URL of the resort's integration that receives the event types it names, signed with its secret."""

    __tablename__ = "webhook_endpoints"
    tenant_id_index = False  # uq (tenant_id, id) serves it
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),  # target of the attempts' composite foreign key
        CheckConstraint("consecutive_failures >= 0", name="failures_not_negative"),
    )

    url: Mapped[str] = mapped_column(String(254), nullable=False)
    description: Mapped[str] = mapped_column(String(200), default="", server_default="", nullable=False)
    event_types: Mapped[list] = mapped_column(JSON, nullable=False)  # event names, or ["*"] for every event
    # Kept to sign with (an HMAC needs the secret itself, unlike a password); shown once, at creation or rotation.
    secret: Mapped[str] = mapped_column(String(80), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1", nullable=False)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
    disabled_reason: Mapped[str | None] = mapped_column(String(300))


class WebhookAttempt(UUIDPrimaryKey, TenantScoped, db.Model):
    """One HTTP attempt at delivering one outbox message to one endpoint: status code or error, and how long."""

    __tablename__ = "webhook_attempts"
    tenant_id_index = False  # ix_webhook_attempts_endpoint is led by tenant_id
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "endpoint_id"], ["webhook_endpoints.tenant_id", "webhook_endpoints.id"],
                             ondelete="CASCADE"),
        Index("ix_webhook_attempts_endpoint", "tenant_id", "endpoint_id", "attempted_at"),
        Index("ix_webhook_attempts_message", "message_id"),
    )

    message_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    endpoint_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(300))
    duration_ms: Mapped[int] = mapped_column(Integer, nullable=False)
