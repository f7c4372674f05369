"""Staff accounts: creation, roles, sign-in and password reset."""
import hashlib
import secrets
import uuid
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import url_for
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from app.core.errors import Conflict, RuleViolation, Unauthorized
from app.core.extensions import db
from app.models import Channel, OutboxMessage, PasswordResetToken, Role, User
from app.models.base import utcnow
from app.services import audit, mail, sessions, templates
from app.services.rows import expect_version, one_or_404, refuse_stale, run_list
from app.tenancy import tenant_url

_HASHERS: dict[tuple, PasswordHasher] = {}
_DUMMY_HASHES: dict[int, str] = {}


def _hasher() -> PasswordHasher:
    """Argon2id with the library's recommended parameters (tests configure cheaper ones)."""
    from flask import current_app

    params = tuple(sorted(current_app.config.get("ARGON2_PARAMS", {}).items()))
    if params not in _HASHERS:
        _HASHERS[params] = PasswordHasher(**dict(params))
    return _HASHERS[params]


def _dummy_hash() -> str:
    """A hash to verify against when the email is unknown, so timing does not reveal accounts."""
    hasher = _hasher()
    if id(hasher) not in _DUMMY_HASHES:
        _DUMMY_HASHES[id(hasher)] = hasher.hash("not-a-real-password")
    return _DUMMY_HASHES[id(hasher)]
MIN_PASSWORD_LENGTH = 10
RESET_TOKEN_TTL = timedelta(hours=1)
RESET_TOKEN_TTL_WORDS = "one hour"  # {valid_for} in the invitation and reset emails
INVALID_LOGIN = "Invalid email or password."


def normalize_email(email: str) -> str:
    """Emails compare case-insensitively; store them trimmed and lowercased."""
    return (email or "").strip().lower()


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise RuleViolation("Password too short.", errors={"password": [f"Use at least {MIN_PASSWORD_LENGTH} characters."]})


def _check_email(email: str) -> None:
    local, _, domain = email.partition("@")
    if not local or "." not in domain or " " in email or len(email) > 254:
        raise RuleViolation("Invalid email.", errors={"email": ["Not a valid email address."]})


def get_user(*, user_id: uuid.UUID) -> User:
    """One user of the current tenant."""
    return one_or_404(User, user_id, "User not found.")


def list_users() -> list[User]:
    """Every user of the current tenant."""
    return list(db.session.execute(db.select(User).order_by(User.name, User.id)).scalars())


def page_users(*, page: int, page_size: int) -> tuple[list[User], int]:
    """One page of the tenant's users by name (the API list, with its change feed)."""
    return run_list(db.select(User).order_by(User.name, User.id), page=page, page_size=page_size)


def create_user(*, email: str, name: str, role: Role = Role.STAFF, password: str | None = None) -> User:
    """Add a staff account; without a password the user sets one through a reset email."""
    email = normalize_email(email)
    _check_email(email)
    if not (name or "").strip():
        raise RuleViolation("Name required.", errors={"name": ["Must not be empty."]})
    if password is not None:
        _check_password(password)
    user = User(email=email, name=name.strip(), role=Role(role),
                password_hash=_hasher().hash(password) if password else None)
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("A user with this email already exists.", errors={"email": ["Already in use."]}) from None
    audit.record("user.created", "user", user.id, changes={"role": user.role.value, "email": email})
    if password is None:
        _issue_reset_token(user, kind="invitation")
    db.session.commit()  # the invitation is sent once this commits (app/services/outbox.py)
    return user


def _active_admins_besides(user: User) -> int:
    return db.session.execute(
        db.select(func.count()).select_from(User).where(User.role == Role.ADMIN, User.active, User.id != user.id)
    ).scalar_one()


@refuse_stale
def update_user(*, user_id: uuid.UUID, name: str | None = None, role: Role | None = None,
                active: bool | None = None, expected_version: int | None = None) -> User:
    """Change a user's name, role or active flag; the last active admin cannot be demoted or deactivated."""
    user = get_user(user_id=user_id)
    expect_version(user, expected_version)
    new = {k: v for k, v in {"name": name, "role": Role(role) if role else None, "active": active}.items()
           if v is not None}
    losing_admin = user.role == Role.ADMIN and user.active and (
        ("role" in new and new["role"] != Role.ADMIN) or new.get("active") is False
    )
    if losing_admin:
        # Lock the admins so two concurrent demotions cannot both pass the check.
        db.session.execute(db.select(User.id).where(User.role == Role.ADMIN).with_for_update())
        if _active_admins_besides(user) == 0:
            raise RuleViolation("A tenant must keep at least one active admin.",
                                errors={"role" if "role" in new else "active": ["This is the last active admin."]})
    old = audit.snapshot(user, list(new))
    for field, value in new.items():
        setattr(user, field, value)
    if new.get("active") is False:
        sessions.end_all_sessions(user_id=user.id)  # reactivating later does not revive an old cookie
    changes = audit.changes_of(old, new)
    if changes:
        action = "user.role_changed" if "role" in changes else "user.updated"
        audit.record(action, "user", user.id, changes=changes)
    db.session.commit()
    return user


def authenticate(*, email: str, password: str) -> User:
    """Check a sign-in; the same error whether or not the email exists."""
    email = normalize_email(email)
    user = db.session.execute(db.select(User).where(User.email == email)).scalar_one_or_none()
    try:
        _hasher().verify(user.password_hash if user and user.password_hash else _dummy_hash(), password or "")
        ok = user is not None and user.password_hash is not None and user.active
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        if user is not None:
            user.failed_logins += 1
            audit.record("auth.login_failed", "user", user.id, actor_override=("user", user.id, user.name))
            db.session.commit()
        raise Unauthorized(INVALID_LOGIN)
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = _hasher().hash(password)
    user.failed_logins = 0
    user.last_login_at = utcnow()
    audit.record("auth.login", "user", user.id, actor_override=("user", user.id, user.name))
    db.session.commit()
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _issue_reset_token(user: User, *, kind: str = "password_reset"):
    """Store a new token's hash and queue the email carrying it, in the resort's wording; returns the message."""
    token = secrets.token_urlsafe(32)
    db.session.add(PasswordResetToken(user_id=user.id, token_hash=_token_hash(token),
                                      expires_at=utcnow() + RESET_TOKEN_TTL))
    link = tenant_url(url_for("auth.reset_password", token=token))
    subject, body = templates.render(templates.get_template(kind=kind, channel=Channel.EMAIL), {
        **templates.resort_values(), "user_name": user.name, "link": link, "valid_for": RESET_TOKEN_TTL_WORDS})
    # queue_email stores the body with the token masked; the token itself waits apart until the mail is sent.
    return mail.queue_email(to=user.email, subject=subject, secret=token, kind=kind, body=body)


def link_is_live(token: str) -> bool:
    """Whether a reset or invitation token can still be used (unused, unexpired): a resent mail must work."""
    row = db.session.execute(db.select(PasswordResetToken.id).where(
        PasswordResetToken.token_hash == _token_hash(token), PasswordResetToken.used_at.is_(None),
        PasswordResetToken.expires_at > utcnow())).first()
    return row is not None


def _erase_dead_links(user: User) -> None:
    """Every token of the user is spent: drop the copies the outbox still holds (the development outbox keeps
    a sent link so it can be clicked; a dead letter keeps one for a retry)."""
    db.session.execute(db.update(OutboxMessage).where(
        OutboxMessage.recipient == user.email, OutboxMessage.kind.in_(templates.ACCOUNT_KINDS),
        OutboxMessage.secret.is_not(None)).values(secret=None).execution_options(synchronize_session=False))


def request_password_reset(*, email: str) -> None:
    """Email a reset link if the account exists; callers say the same thing either way."""
    user = db.session.execute(db.select(User).where(User.email == normalize_email(email))).scalar_one_or_none()
    if user is None or not user.active:
        return
    _issue_reset_token(user)
    audit.record("auth.password_reset_requested", "user", user.id, actor_override=("user", user.id, user.name))
    db.session.commit()


def reset_password(*, token: str, password: str) -> User:
    """Use a reset token once, before it expires, to set a new password."""
    row = db.session.execute(
        db.select(PasswordResetToken).where(PasswordResetToken.token_hash == _token_hash(token or ""))
        .with_for_update()
    ).scalar_one_or_none()
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        raise RuleViolation("This reset link is invalid or has expired.", errors={"token": ["Invalid or expired."]})
    _check_password(password)
    user = get_user(user_id=row.user_id)
    user.password_hash = _hasher().hash(password)
    user.failed_logins = 0
    # Every outstanding token for this user dies with the one used.
    db.session.execute(
        db.update(PasswordResetToken).where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    sessions.end_all_sessions(user_id=user.id)  # whoever knew the old password is signed out too
    _erase_dead_links(user)
    audit.record("auth.password_reset", "user", user.id, actor_override=("user", user.id, user.name))
    db.session.commit()
    return user


def change_password(*, user_id: uuid.UUID, current_password: str, new_password: str) -> User:
    """A signed-in user sets a new password (knowing the current one); every session of theirs ends."""
    user = get_user(user_id=user_id)
    try:
        _hasher().verify(user.password_hash or _dummy_hash(), current_password or "")
        ok = user.password_hash is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        raise RuleViolation("The current password is not right.", errors={"current_password": ["Incorrect."]})
    try:
        _check_password(new_password)
    except RuleViolation as exc:
        raise RuleViolation(exc.message, errors={"new_password": exc.errors["password"]}) from None
    user.password_hash = _hasher().hash(new_password)
    sessions.end_all_sessions(user_id=user.id)
    audit.record("auth.password_changed", "user", user.id)
    db.session.commit()
    return user


def sign_out_everywhere(*, user_id: uuid.UUID) -> int:
    """End every session of one user, on every device; returns how many were ended."""
    ended = sessions.end_all_sessions(user_id=user_id)
    audit.record("auth.signed_out_everywhere", "user", user_id, changes={"sessions": ended})
    db.session.commit()
    return ended


def record_lockout(*, email: str) -> None:
    """Audit a sign-in lockout (the page shows the same message whether or not the account exists)."""
    user = db.session.execute(db.select(User).where(User.email == normalize_email(email))).scalar_one_or_none()
    audit.record("auth.lockout", "user", user.id if user else None, changes={"email": normalize_email(email)},
                 actor_override=("user", user.id, user.name) if user else ("anonymous", None, "unknown account"))
    db.session.commit()
