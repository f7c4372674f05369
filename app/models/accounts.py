"""Staff users, API keys and password-reset tokens."""
import enum
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
from app.models.base import TenantScoped, Timestamps, UTCDateTime, UUIDPrimaryKey, Versioned, enum_column, utcnow


class Role(enum.StrEnum):
    STAFF = "STAFF"
    MANAGER = "MANAGER"
    ADMIN = "ADMIN"

    @property
    def rank(self) -> int:
        return ["STAFF", "MANAGER", "ADMIN"].index(self.value)

    def allows(self, needed: "Role") -> bool:
        """True when this role is at least as strong as needed."""
        return self.rank >= needed.rank


class User(UUIDPrimaryKey, TenantScoped, Timestamps, Versioned, db.Model):
    """A staff member who signs in to the web pages."""

    __tablename__ = "users"
    tenant_id_index = False  # led by tenant_id: the unique constraints
    __table_args__ = (
        UniqueConstraint("tenant_id", "email"),
        UniqueConstraint("tenant_id", "id"),  # target of composite foreign keys
    )

    email: Mapped[str] = mapped_column(String(254), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    role: Mapped[Role] = mapped_column(enum_column(Role), default=Role.STAFF, nullable=False)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


class ApiKey(UUIDPrimaryKey, TenantScoped, Timestamps, Versioned, db.Model):
    """An integrator's credential; only a hash of the secret is stored. Its scopes narrow its role."""

    __tablename__ = "api_keys"
    tenant_id_index = False  # led by tenant_id: ix_api_keys_tenant_updated (app/models/deletions.synced)
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "created_by_id"], ["users.tenant_id", "users.id"]),
        CheckConstraint("rate_limit IS NULL OR rate_limit > 0", name="rate_limit_positive"),
    )

    name: Mapped[str] = mapped_column(String(100), nullable=False)
    prefix: Mapped[str] = mapped_column(String(16), unique=True, nullable=False)
    secret_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    role: Mapped[Role] = mapped_column(enum_column(Role), default=Role.STAFF, nullable=False)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Scope names (app/scopes.py); ["*"], every scope, is what keys made before scopes existed have.
    scopes: Mapped[list] = mapped_column(JSON, default=lambda: ["*"], server_default='["*"]', nullable=False)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # refused with a 401 from then on
    # This key's own bucket (requests per 15 minutes); None: API_KEY_RATE_SHARE of the plan's.
    rate_limit: Mapped[int | None] = mapped_column(Integer)


class PasswordResetToken(UUIDPrimaryKey, TenantScoped, Timestamps, db.Model):
    """A single-use, expiring reset token; only its hash is stored."""

    __tablename__ = "password_reset_tokens"
    tenant_id_index = False  # led by tenant_id: ix_password_reset_tokens_tenant_user
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "user_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE"),
        # A reset spends the user's other tokens, and deleting a user cascades here.
        Index("ix_password_reset_tokens_tenant_user", "tenant_id", "user_id"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UserSession(UUIDPrimaryKey, TenantScoped, db.Model):
    """One signed-in browser: the cookie holds a random id, this row its hash; deleting the row ends it."""

    __tablename__ = "user_sessions"
    tenant_id_index = False  # led by tenant_id: ix_user_sessions_tenant_id_user_id
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "user_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE"),
        Index("ix_user_sessions_tenant_id_user_id", "tenant_id", "user_id"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
