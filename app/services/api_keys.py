"""API keys: created with a secret shown once, stored hashed, revocable."""
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.core.cache import cached, invalidate
from app.core.errors import RuleViolation
from app.core.extensions import db
from app.models import ApiKey, Role
from app.models.base import utcnow
from app.services import audit
from app.services.rows import one_or_404

KEY_PREFIX = "tt_"
# last_used_at is refreshed at most this often, so authentication is not a write per request.
LAST_USED_RESOLUTION = timedelta(minutes=5)
# A live key is cached by its hash, so a warm request authenticates with no SQL. Revocation retires
# the entry at once (generation token, app/core/cache.py); the TTL only bounds what a token cannot.
KEY_CACHE_TTL = 30


@dataclass(frozen=True)
class ApiKeyInfo:
    """A detached snapshot of a live key: who is calling, nothing else (the principal of a request)."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    name: str
    role: Role

    @classmethod
    def of(cls, key: ApiKey) -> "ApiKeyInfo":
        return cls(id=key.id, tenant_id=key.tenant_id, name=key.name, role=Role(key.role))


# When this process last stamped each key's last_used_at: the stamp needs neither the cache nor a read.
_stamped: dict[uuid.UUID, datetime] = {}
_STAMPED_MAX = 10_000


def _hash(secret: str) -> str:
    # Keys are 256-bit random: a fast hash is safe here (unlike passwords).
    return hashlib.sha256(secret.encode()).hexdigest()


def key_cache_key(secret: str) -> str | None:
    """The cache key of a presented secret (its hash: the secret itself is never a cache key), or None."""
    if not secret.startswith(KEY_PREFIX) or secret.count("_") < 2:
        return None
    return f"apikey:{_hash(secret)}"


def forget_api_key(key: ApiKey) -> None:
    """Retire a key's cached snapshot; call it before committing any change to the key (revoke, role)."""
    invalidate(f"apikey:{key.secret_hash}")


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
        forget_api_key(key)
        key.revoked_at = utcnow()
        audit.record("api_key.revoked", "api_key", key.id, changes={"name": key.name})
        db.session.commit()
    return key


def authenticate_api_key(*, secret: str) -> ApiKeyInfo | None:
    """The current tenant's live key matching secret, or None (another tenant's key is simply not found).

    Warm: from the cache, no SQL. The cache says only "this key is live, with this role": the
    tenant check below and every rule of the request still run on the server's own data.
    """
    from app.tenancy import current_tenant

    cache_key = key_cache_key(secret)
    if cache_key is None:
        return None
    tenant_id = current_tenant().id
    info = cached(cache_key, lambda: _live_key(secret), timeout=KEY_CACHE_TTL,
                  accept=lambda value: isinstance(value, ApiKeyInfo) and value.tenant_id == tenant_id)
    if info is None or info.tenant_id != tenant_id:
        return None
    now = utcnow()
    last = _stamped.get(info.id)
    if last is None or now - last > LAST_USED_RESOLUTION:
        _stamp_last_used(info.id, now)
    return info


def _live_key(secret: str) -> ApiKeyInfo | None:
    """The current tenant's key for secret from the database when it is live; None otherwise (never cached)."""
    prefix = secret[len(KEY_PREFIX):].split("_", 1)[0]
    key = db.session.execute(db.select(ApiKey).where(ApiKey.prefix == prefix)).scalar_one_or_none()
    if key is None or key.revoked_at is not None or not hmac.compare_digest(key.secret_hash, _hash(secret)):
        return None
    return ApiKeyInfo.of(key)


def _stamp_last_used(key_id: uuid.UUID, now: datetime) -> None:
    """Record use at most every LAST_USED_RESOLUTION: a conditional UPDATE, so other workers' stamps count too."""
    db.session.execute(
        db.update(ApiKey)
        .where(ApiKey.id == key_id,
               db.or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < now - LAST_USED_RESOLUTION))
        .values(last_used_at=now)
        .execution_options(synchronize_session=False))
    db.session.commit()
    if len(_stamped) >= _STAMPED_MAX:
        _stamped.clear()  # only costs an extra conditional UPDATE per key
    _stamped[key_id] = now
