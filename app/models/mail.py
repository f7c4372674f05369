"""The outbox: every message (email or SMS) is written here in the transaction that causes it, then delivered."""
import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.core.extensions import db
from app.models.base import TenantScoped, UTCDateTime, UUIDPrimaryKey, enum_column, utcnow

SECRET_MARKER = "[[secret]]"
SECRET_ERASED = "[link removed once sent]"


class Channel(enum.StrEnum):
    EMAIL = "EMAIL"
    SMS = "SMS"
    WEBHOOK = "WEBHOOK"  # recipient is the endpoint's URL, body the signed JSON event


class MessageState(enum.StrEnum):
    PENDING = "PENDING"  # waiting for its first or next attempt (next_attempt_at)
    SENDING = "SENDING"  # claimed by one worker until locked_until
    SENT = "SENT"
    DEAD = "DEAD"  # gave up after OUTBOX_MAX_ATTEMPTS; last_error says why
    SUPPRESSED = "SUPPRESSED"  # the customer opted out of this channel: recorded, never sent


class OutboxMessage(UUIDPrimaryKey, TenantScoped, db.Model):
    """One message to one recipient; its id is the delivery's idempotency key."""

    __tablename__ = "outbox_messages"
    tenant_id_index = False  # led by tenant_id: ix_outbox_messages_tenant_created
    __table_args__ = (
        # A message names a customer of its own tenant only (composite key, as everywhere).
        ForeignKeyConstraint(["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"],
                             ondelete="CASCADE"),
        Index("ix_outbox_messages_tenant_created", "tenant_id", "created_at"),  # the outbox page, newest first
        # The sweep (every tenant): undelivered rows by due time.
        Index("ix_outbox_messages_state_due", "state", "next_attempt_at"),
        UniqueConstraint("tenant_id", "dedupe_key"),  # e.g. one reminder per stay, however often the scheduler runs
    )

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    channel: Mapped[Channel] = mapped_column(enum_column(Channel), default=Channel.EMAIL, nullable=False)
    kind: Mapped[str] = mapped_column(String(40), default="notice", nullable=False)  # invitation, password_reset ...
    recipient: Mapped[str] = mapped_column(String(254), nullable=False)  # an email address or an E.164 number
    subject: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    # The body never holds a secret (reset or invitation token): it holds SECRET_MARKER, and the
    # token waits in `secret` until the message is sent, then is erased.
    body: Mapped[str] = mapped_column(Text, nullable=False)
    secret: Mapped[str | None] = mapped_column(String(200))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    webhook_endpoint_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # WEBHOOK messages: whose URL and secret
    dedupe_key: Mapped[str | None] = mapped_column(String(120))
    state: Mapped[MessageState] = mapped_column(enum_column(MessageState), default=MessageState.PENDING,
                                                nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    provider: Mapped[str | None] = mapped_column(String(40))  # who took it: smtp, development, twilio ...
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def rendered_body(self) -> str:
        """The text to send: the body with its secret put back (or a note once it has been erased)."""
        return self.body.replace(SECRET_MARKER, self.secret if self.secret is not None else SECRET_ERASED)

    @property
    def undelivered(self) -> bool:
        return self.state in (MessageState.PENDING, MessageState.SENDING)
