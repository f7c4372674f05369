"""Web sign-in sessions kept server-side, so signing out (here or everywhere) really ends them."""
import hashlib
import secrets
import uuid

from flask import current_app

from app.core.extensions import db
from app.models import User, UserSession
from app.models.base import utcnow


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def start_session(*, user_id: uuid.UUID) -> str:
    """Record a new session for a user who just signed in; returns the id for the cookie."""
    session_id = secrets.token_urlsafe(32)
    # Cookies older than their signed lifetime are refused anyway: forget their rows as we go.
    stale = utcnow() - current_app.permanent_session_lifetime
    db.session.execute(db.delete(UserSession).where(UserSession.user_id == user_id, UserSession.created_at < stale))
    db.session.add(UserSession(user_id=user_id, token_hash=_hash(session_id)))
    db.session.commit()
    return session_id


def session_user(*, user_id: uuid.UUID, session_id: str | None) -> User | None:
    """The active user whose live session this is, in one query; None once the session has ended."""
    if not session_id:
        return None
    return db.session.execute(
        db.select(User).join(UserSession, UserSession.user_id == User.id)
        .where(User.id == user_id, User.active, UserSession.token_hash == _hash(session_id))
    ).scalar_one_or_none()


def end_session(*, session_id: str | None) -> None:
    """Sign one browser out for good: its cookie, even if copied, no longer signs anyone in."""
    if session_id:
        db.session.execute(db.delete(UserSession).where(UserSession.token_hash == _hash(session_id)))
        db.session.commit()


def end_all_sessions(*, user_id: uuid.UUID) -> int:
    """End every session of one user (the caller commits); returns how many there were."""
    result = db.session.execute(db.delete(UserSession).where(UserSession.user_id == user_id))
    return result.rowcount or 0
