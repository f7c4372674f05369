"""API keys: created with a secret shown once, stored hashed, revocable."""
import hashlib
import hmac
import secrets
import uuid
from datetime import timedelta

from app.core.errors import RuleViolation
from app.core.extensions import db
from app.models import ApiKey, Role
from app.models.base import utcnow
from app.services import audit
from app.services.rows import one_or_404

KEY_PREFIX = "tt_"
# last_used_at is refreshed at most this often, so authentication is not a write per request.
LAST_USED_RESOLUTION = timedelta(minutes=5)


def _hash(secret: str) -> str:
    # Keys are 256-bit random: a fast hash is safe here (unlike passwords).
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_key(*, name: str, role: Role = Role.STAFF, created_by_id: uuid.UUID | None = None) -> tuple[ApiKey, str]:
    """Create a key; returns the row and the full secret, which is never shown again."""
    if not (name or "").strip():
        raise RuleViolation("Name required.", errors={"name": ["Must not be empty."]})
    prefix = secrets.token_hex(6)
    secret = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(name=name.strip()[:100], prefix=prefix, secret_hash=_hash(secret), role=Role(role),
                 created_by_id=created_by_id)
    db.session.add(key)
    db.session.flush()
    audit.record("api_key.created", "api_key", key.id, changes={"name": key.name, "role": key.role.value})
    db.session.commit()
    return key, secret


def list_api_keys() -> list[ApiKey]:
    """The current tenant's keys, newest first."""
    return list(db.session.execute(db.select(ApiKey).order_by(ApiKey.created_at.desc())).scalars())


def get_api_key(*, key_id: uuid.UUID) -> ApiKey:
    """One key of the current tenant."""
    return one_or_404(ApiKey, key_id, "API key not found.")


def revoke_api_key(*, key_id: uuid.UUID) -> ApiKey:
    """Revoke a key; it is refused from the next request on."""
    key = get_api_key(key_id=key_id)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        audit.record("api_key.revoked", "api_key", key.id, changes={"name": key.name})
        db.session.commit()
    return key


def authenticate_api_key(*, secret: str) -> ApiKey | None:
    """The current tenant's live key matching secret, or None (another tenant's key is simply not found)."""
    if not secret.startswith(KEY_PREFIX) or secret.count("_") < 2:
        return None
    prefix = secret[len(KEY_PREFIX):].split("_", 1)[0]
    key = db.session.execute(db.select(ApiKey).where(ApiKey.prefix == prefix)).scalar_one_or_none()
    if key is None or key.revoked_at is not None or not hmac.compare_digest(key.secret_hash, _hash(secret)):
        return None
    now = utcnow()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        key.last_used_at = now
        db.session.commit()
    return key
