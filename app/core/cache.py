"""Cache helpers that never fail a request (a dead Redis means a cache miss), with entries that cannot
outlive the truth.

Each entry is stored with the *generation* token its key had (`<key>:gen`) when the read began,
before the database was read; an entry is served only while that token is still current.
A write calls invalidate(key) inside its transaction, which replaces the token at once and again
right after the commit. So:

- a read that began before a write stores its entry under a token nobody accepts any more (no
  read-then-set race);
- a worker that dies between the commit and the second replacement leaves nothing stale: the first
  one already retired every entry written before the commit;
- a replacement that fails (Redis down, hung, or skipped by the breaker) is remembered by the process
  and replayed before it trusts the cache again; until then it reads the database.

A request that knows early which entries it will read (the tenant, the API key) fetches them with
their tokens in one round trip (`prefetch`); `cached` then uses what was fetched, once.
"""
import threading
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, g, has_request_context
from loguru import logger
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.core.breaker import RedisCircuitOpen
from app.core.extensions import cache, db

T = TypeVar("T")
# Longer than any entry's timeout: a token must not vanish while an entry stored under it lives.
GENERATION_TTL = 2 * 3600
_STALE = "tailtown_stale_cache_keys"
_pending_lock = threading.Lock()
_FAILED = object()  # a prefetch that could not reach the cache: compute without asking again


def _log_failure(what: str, exc: Exception) -> None:
    """Log a real failure; a skip by the open breaker is expected (the breaker logs its own state changes)."""
    if not isinstance(exc, RedisCircuitOpen):
        logger.warning("{} failed: {}", what, type(exc).__name__)


def cache_set(key: str, value: Any, *, timeout: int) -> None:
    """Write a key; a failure is logged and ignored."""
    try:
        cache.set(key, value, timeout=timeout)
    except (RedisError, OSError) as exc:
        _log_failure("cache set", exc)


# --- generations ---------------------------------------------------------------------------------


def _generation_key(key: str) -> str:
    return f"{key}:gen"


def _pending() -> set[str]:
    """Keys whose invalidation this process could not deliver yet."""
    return current_app.extensions.setdefault("cache_pending_invalidations", set())


def _replace_tokens(keys: list[str]) -> None:
    """Give each key a fresh generation token (one round trip); raises when the cache cannot be reached."""
    cache.set_many({_generation_key(k): uuid.uuid4().hex for k in keys}, timeout=GENERATION_TTL)


def _bump(keys: list[str]) -> None:
    """Retire every entry of these keys; remember them for a replay when the cache cannot be reached."""
    try:
        _replace_tokens(keys)
    except (RedisError, OSError) as exc:
        _log_failure("cache invalidation (replayed when the cache answers again)", exc)
        with _pending_lock:
            _pending().update(keys)


def _replay_pending() -> bool:
    """Deliver the invalidations that failed earlier; False while they still cannot be (do not trust the cache)."""
    pending = _pending()
    if not pending:
        return True
    with _pending_lock:
        keys = sorted(pending)
    try:
        _replace_tokens(keys)
    except (RedisError, OSError):
        return False
    with _pending_lock:
        pending.difference_update(keys)
    logger.info("replayed {} cache invalidations", len(keys))
    return True


def invalidate(key: str) -> None:
    """Retire the cached entry of key now and, when called inside a transaction, again after its commit."""
    _bump([key])
    session = db.session()
    if session.in_transaction():
        session.info.setdefault(_STALE, set()).add(key)


@event.listens_for(Session, "after_commit")
def _invalidate_after_commit(session: Session) -> None:
    keys = session.info.pop(_STALE, None)
    if keys:
        _bump(sorted(keys))


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_STALE, None)  # nothing changed; the early invalidation was harmless


def prefetch(*keys: str) -> None:
    """Fetch these entries and their generation tokens in one round trip, for this request's `cached` calls."""
    if not has_request_context() or not keys or not _replay_pending():
        return
    found = g.setdefault("cache_prefetched", {})
    try:
        values = cache.get_many(*[name for key in keys for name in (key, _generation_key(key))])
    except (RedisError, OSError) as exc:
        _log_failure("cache get", exc)
        found.update(dict.fromkeys(keys, _FAILED))
        return
    found.update({key: (values[2 * i], values[2 * i + 1]) for i, key in enumerate(keys)})


def _take_prefetched(key: str) -> Any:
    """What `prefetch` found for key in this request (used once), or None."""
    if not has_request_context():
        return None
    return g.get("cache_prefetched", {}).pop(key, None)


def cached(key: str, compute: Callable[[], T], *, timeout: int, accept: Callable[[Any], bool] | None = None) -> T:
    """The value of key from the cache when stored under its current generation, else computed (and stored)."""
    if not _replay_pending():
        return compute()
    fetched = _take_prefetched(key)
    if fetched is _FAILED:
        return compute()
    try:
        entry, generation = fetched if fetched is not None else cache.get_many(key, _generation_key(key))
    except (RedisError, OSError) as exc:
        _log_failure("cache get", exc)
        return compute()
    if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == generation and (accept is None or accept(entry[1])):
        return entry[1]
    value = compute()
    if value is not None:
        # Tagged with the generation read *before* the database: an invalidation since then retires it.
        cache_set(key, (generation, value), timeout=timeout)
    return value
