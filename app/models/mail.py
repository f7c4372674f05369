"""The mail outbox: every message is written here first, then delivered."""
from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.extensions import db
from app.models.base import TenantScoped, UTCDateTime, UUIDPrimaryKey, utcnow

SECRET_MARKER = "[[secret]]"
SECRET_ERASED = "[link removed once sent]"


class OutboundEmail(UUIDPrimaryKey, TenantScoped, db.Model):
    """A queued or sent email."""

    __tablename__ = "outbound_emails"

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    to_address: Mapped[str] = mapped_column(String(254), nullable=False)
    subject: Mapped[str] = mapped_column(String(200), nullable=False)
    # The body never holds a secret (reset or invitation token): it holds SECRET_MARKER, and the
    # token waits in `secret` until the message is sent, then is erased.
    body: Mapped[str] = mapped_column(Text, nullable=False)
    secret: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def rendered_body(self) -> str:
        """The text to send: the body with its secret put back (or a note once it has been erased)."""
        return self.body.replace(SECRET_MARKER, self.secret if self.secret is not None else SECRET_ERASED)
