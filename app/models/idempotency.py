"""Idempotency keys: one row per tenant and `Idempotency-Key` of a creating POST (app/core/idempotency.py)."""
from datetime import datetime

from sqlalchemy import JSON, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.extensions import db
from app.models.base import TenantScoped, UTCDateTime, UUIDPrimaryKey, utcnow


class IdempotencyKey(UUIDPrimaryKey, TenantScoped, db.Model):
    """A key a client sent, a hash of the request it came with, and (once answered) the response it got.

    The request itself is never stored, only its hash; the response is, because the client already has it.
    """

    __tablename__ = "idempotency_keys"
    tenant_id_index = False  # led by tenant_id: the unique (tenant_id, key)
    __table_args__ = (
        # The unique index is the lock: a concurrent duplicate waits on it until the first commits or rolls back.
        UniqueConstraint("tenant_id", "key"),
        Index("ix_idempotency_keys_created_at", "created_at"),  # the purge of expired keys, across tenants
    )

    key: Mapped[str] = mapped_column(String(255), nullable=False)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)  # sha256 of method, path and body
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # Null until the response is recorded (the request is in flight, or its process died after committing).
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    response_headers: Mapped[dict | None] = mapped_column(JSON)  # the replayed ones: Content-Type, Location, ETag
