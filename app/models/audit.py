"""The audit trail: who did what, when and from where."""
import uuid
from datetime import datetime

from sqlalchemy import JSON, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.core.extensions import db
from app.models.base import TenantScoped, UTCDateTime, UUIDPrimaryKey, utcnow


class AuditEvent(UUIDPrimaryKey, TenantScoped, db.Model):
    """One recorded action; append-only, never updated."""

    __tablename__ = "audit_events"
    tenant_id_index = False  # led by tenant_id: the list indexes below
    # The trail is read newest first, filtered by resource, actor or action (app/services/audit.py).
    __table_args__ = (
        Index("ix_audit_events_tenant_created", "tenant_id", "created_at"),
        Index("ix_audit_events_tenant_resource", "tenant_id", "resource_type", "resource_id", "created_at"),
        Index("ix_audit_events_tenant_actor", "tenant_id", "actor_id", "created_at"),
        Index("ix_audit_events_tenant_action", "tenant_id", "action", "created_at"),
    )

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    actor_type: Mapped[str] = mapped_column(String(16), nullable=False)  # user, api_key, operator, system
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    actor_name: Mapped[str] = mapped_column(String(254), default="", nullable=False)
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    resource_type: Mapped[str] = mapped_column(String(64), nullable=False)
    resource_id: Mapped[str | None] = mapped_column(String(64))
    changes: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))
    request_id: Mapped[str | None] = mapped_column(String(128))
