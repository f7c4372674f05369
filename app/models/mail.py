"""The mail outbox: every message is written here first, then delivered."""
from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.extensions import db
from app.models.base import UTCDateTime, TenantScoped, UUIDPrimaryKey, utcnow


class OutboundEmail(UUIDPrimaryKey, TenantScoped, db.Model):
    """A queued or sent email."""

    __tablename__ = "outbound_emails"

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    to_address: Mapped[str] = mapped_column(String(254), nullable=False)
    subject: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
