"""API keys: created with a secret shown once, stored hashed, scoped, expiring, revocable."""
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from app import scopes as scope_names
from app.core.cache import cached, invalidate
from app.core.errors import PermissionDenied, RuleViolation
from app.core.extensions import db
from app.models import ApiKey, Role
from app.models.base import utcnow
from app.services import audit
from app.services.rows import expect_version, one_or_404, refuse_stale, run_list

KEY_PREFIX = "tt_"
# last_used_at is refreshed at most this often, so authentication is not a write per request.
LAST_USED_RESOLUTION = timedelta(minutes=5)
# A live key is cached by its hash, so a warm request authenticates with no SQL. Revocation retires
# the entry at once (generation token, app/core/cache.py); the TTL only bounds what a token cannot.
KEY_CACHE_TTL = 30
# An explicit per-key bucket: from 1 to the largest plan's budget (the tenant's budget still applies on top).
MAX_KEY_RATE_LIMIT = 5_000


@dataclass(frozen=True)
class ApiKeyInfo:
    """A detached snapshot of a live key: who is calling, nothing else (the principal of a request)."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    name: str
    role: Role
    # Defaults for entries cached before these existed: they expire within KEY_CACHE_TTL anyway.
    scopes: frozenset[str] = frozenset(scope_names.SCOPES)  # expanded: wildcards already resolved
    stored_scopes: tuple[str, ...] = (scope_names.ALL,)  # as stored, for /me and key creation by a key
    expires_at: datetime | None = None
    rate_limit: int | None = None

    @classmethod
    def of(cls, key: ApiKey) -> "ApiKeyInfo":
        return cls(id=key.id, tenant_id=key.tenant_id, name=key.name, role=Role(key.role),
                   scopes=scope_names.expand(key.scopes), stored_scopes=tuple(key.scopes),
                   expires_at=key.expires_at, rate_limit=key.rate_limit)

    def expired(self, now: datetime) -> bool:
        """Whether the key's expiry has passed (checked on every request, the cache's copy included)."""
        return self.expires_at is not None and self.expires_at <= now


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
    """Retire a key's cached snapshot; call it before committing any change to the key (revoke, scopes, expiry)."""
    invalidate(f"apikey:{key.secret_hash}")


def _check_expiry(expires_at: datetime | None, *, granted_by: ApiKeyInfo | None) -> datetime | None:
    """An expiry in the future, and never later than the granting key's own (a key cannot outlive its maker)."""
    if expires_at is None:
        return granted_by.expires_at if granted_by is not None else None
    if expires_at.tzinfo is None:
        raise RuleViolation("Expiry needs a timezone.", errors={"expires_at": ["Give a timezone, e.g. 2027-01-31T00:00:00Z."]})
    if expires_at <= utcnow():
        raise RuleViolation("Expiry is in the past.", errors={"expires_at": ["Must be in the future."]})
    if granted_by is not None and granted_by.expires_at is not None and expires_at > granted_by.expires_at:
        raise PermissionDenied("A key cannot make or extend a key beyond its own expiry.",
                               extra={"expires_at": granted_by.expires_at.isoformat()})
    return expires_at


def _check_rate_limit(rate_limit: int | None) -> int | None:
    if rate_limit is not None and not 1 <= int(rate_limit) <= MAX_KEY_RATE_LIMIT:
        raise RuleViolation("Invalid rate limit.", errors={"rate_limit": [f"Must be from 1 to {MAX_KEY_RATE_LIMIT} "
                                                                         "requests per 15 minutes, or null."]})
    return rate_limit


def create_api_key(*, name: str, role: Role = Role.STAFF, created_by_id: uuid.UUID | None = None,
                   scopes=None, expires_at: datetime | None = None, rate_limit: int | None = None,
                   granted_by: ApiKeyInfo | None = None) -> tuple[ApiKey, str]:
    """Create a key; returns the row and the full secret, which is never shown again.

    Without scopes the key gets every scope (its role still bounds it). granted_by is the API key
    making this one, if any: it can hand out only scopes it holds and no later expiry than its own.
    """
    if not (name or "").strip():
        raise RuleViolation("Name required.", errors={"name": ["Must not be empty."]})
    stored = scope_names.normalize([scope_names.ALL] if scopes is None else scopes)
    if granted_by is not None:
        scope_names.refuse_wider(stored, holder=granted_by.stored_scopes)
    expires_at = _check_expiry(expires_at, granted_by=granted_by)
    prefix = secrets.token_hex(6)
    secret = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(name=name.strip()[:100], prefix=prefix, secret_hash=_hash(secret), role=Role(role),
                 created_by_id=created_by_id, scopes=stored, expires_at=expires_at,
                 rate_limit=_check_rate_limit(rate_limit))
    db.session.add(key)
    db.session.flush()
    audit.record("api_key.created", "api_key", key.id, changes={
        "name": key.name, "role": key.role.value, "scopes": stored,
        "expires_at": expires_at.isoformat() if expires_at else None, "rate_limit": key.rate_limit})
    db.session.commit()
    return key, secret


KEY_FIELDS = ("name", "scopes", "expires_at", "rate_limit")


@refuse_stale
def update_api_key(*, key_id: uuid.UUID, expected_version: int | None = None,
                   granted_by: ApiKeyInfo | None = None, **fields) -> ApiKey:
    """Rename a key or change its scopes, expiry or own rate limit; the change applies from the next request."""
    key = get_api_key(key_id=key_id)
    expect_version(key, expected_version)
    unknown = set(fields) - set(KEY_FIELDS)
    if unknown:
        raise RuleViolation("Unknown fields.", errors={f: ["Unknown field."] for f in sorted(unknown)})
    if key.revoked_at is not None:
        raise RuleViolation("A revoked key cannot be changed.", errors={"revoked_at": ["This key is revoked."]})
    new: dict = {}
    if "name" in fields:
        if not (fields["name"] or "").strip():
            raise RuleViolation("Name required.", errors={"name": ["Must not be empty."]})
        new["name"] = fields["name"].strip()[:100]
    if "scopes" in fields:
        new["scopes"] = scope_names.normalize(fields["scopes"])
        if granted_by is not None:
            scope_names.refuse_wider(new["scopes"], holder=granted_by.stored_scopes)
    if "expires_at" in fields:
        if fields["expires_at"] is None and granted_by is not None and granted_by.expires_at is not None:
            raise PermissionDenied("A key cannot make or extend a key beyond its own expiry.",
                                   extra={"expires_at": granted_by.expires_at.isoformat()})
        new["expires_at"] = None if fields["expires_at"] is None else _check_expiry(fields["expires_at"],
                                                                                      granted_by=granted_by)
    if "rate_limit" in fields:
        new["rate_limit"] = _check_rate_limit(fields["rate_limit"])
    old = audit.snapshot(key, list(new))
    for field, value in new.items():
        setattr(key, field, value)
    changes = {field: {side: value.isoformat() if isinstance(value, datetime) else value
                       for side, value in change.items()}
               for field, change in audit.changes_of(old, new).items()}
    if changes:
        forget_api_key(key)  # before the commit: the next request reads the new scopes (app/core/cache.py)
        audit.record("api_key.updated", "api_key", key.id, changes=changes)
    db.session.commit()
    return key


def list_api_keys() -> list[ApiKey]:
    """The current tenant's keys, newest first."""
    return list(db.session.execute(db.select(ApiKey).order_by(ApiKey.created_at.desc(), ApiKey.id)).scalars())


def page_api_keys(*, page: int, page_size: int) -> tuple[list[ApiKey], int]:
    """One page of the tenant's keys, newest first (the API list, with its change feed)."""
    return run_list(db.select(ApiKey).order_by(ApiKey.created_at.desc(), ApiKey.id), page=page, page_size=page_size)


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

    Warm: from the cache, no SQL. The cache says only "this key is live, with this role, scopes,
    expiry and limit" (retired before any change to them commits): the tenant check below and every
    rule of the request still run on the server's own data. The caller checks `expired`.
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
    if info.expired(now):
        return info  # refused by the caller; a refused attempt is not a use
    if last is None or now - last > LAST_USED_RESOLUTION:
        _stamp_last_used(info.id, now)
    return info


def _live_key(secret: str) -> ApiKeyInfo | None:
    """The current tenant's key for secret from the database unless revoked; None otherwise (never cached).

    An expired key is returned (and cached): the caller checks the expiry on every request and says so.
    """
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
