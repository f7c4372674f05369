"""Per-tenant message templates: a resort's own wording for each kind of customer message and channel."""
from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.extensions import db
from app.models.base import TenantScoped, Timestamps, UUIDPrimaryKey, Versioned, enum_column
from app.models.mail import Channel


class MessageTemplate(UUIDPrimaryKey, TenantScoped, Timestamps, Versioned, db.Model):
    """A resort's edited subject and body for one kind and channel; kinds with no row use the defaults in code."""

    __tablename__ = "message_templates"
    tenant_id_index = False  # led by tenant_id: the unique constraint
    __table_args__ = (UniqueConstraint("tenant_id", "kind", "channel"),)

    kind: Mapped[str] = mapped_column(String(40), nullable=False)  # booking_confirmation, arrival_reminder ...
    channel: Mapped[Channel] = mapped_column(enum_column(Channel), nullable=False)
    subject: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
