"""One circuit breaker around every use of Redis (cache, rate limits, readiness) in an app.

After REDIS_BREAKER_FAILURES connection failures or timeouts in a row, Redis is skipped for
REDIS_BREAKER_COOLDOWN seconds: cache reads go straight to the database and rate limits to
memory, at no cost. Then one command is let through to see whether Redis is back.
"""
import time
from typing import ClassVar

import pybreaker
import redis
from flask import Flask, g, has_request_context
from flask_caching.backends.rediscache import RedisCache
from limits.storage import RedisStorage
from loguru import logger
from redis.backoff import NoBackoff
from redis.retry import Retry

# Unreachable or too slow: what trips the breaker. A command error (wrong type, script error) does not.
REACHABILITY_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


class RedisCircuitOpen(redis.exceptions.ConnectionError):
    """Redis was skipped because the breaker is open (a ConnectionError, so callers treat it as down)."""


class RedisBreaker(pybreaker.CircuitBreaker):
    """pybreaker's breaker, minus its lock around the guarded call.

    pybreaker holds one lock for the whole call, which would queue every thread of a worker behind
    one slow Redis command; the state changes themselves are still locked.
    """

    def call(self, func, *args, **kwargs):
        return self.state.call(func, *args, **kwargs)


class _LogStateChanges(pybreaker.CircuitBreakerListener):
    """One log line when Redis starts or stops being skipped, instead of one per skipped command."""

    def state_change(self, cb, old_state, new_state) -> None:
        if new_state.name == pybreaker.STATE_OPEN:
            logger.warning("redis circuit open: skipping Redis for {} s", cb.reset_timeout)
        elif new_state.name == pybreaker.STATE_CLOSED and old_state is not None:
            logger.info("redis circuit closed: Redis answers again")


def make_breaker(*, failures: int, cooldown: float) -> RedisBreaker:
    """A breaker that counts only reachability failures."""
    return RedisBreaker(fail_max=failures, reset_timeout=cooldown, name="redis", listeners=[_LogStateChanges()],
                        exclude=[lambda exc: not isinstance(exc, REACHABILITY_ERRORS)])


def guarded(breaker: RedisBreaker, func, *args, **kwargs):
    """Run one Redis operation through the breaker; an open breaker raises RedisCircuitOpen at once."""
    try:
        return breaker.call(func, *args, **kwargs)
    except pybreaker.CircuitBreakerError as exc:
        raise RedisCircuitOpen(str(exc)) from None


class BreakerRedis(redis.Redis):
    """A redis-py client whose every command and pipeline goes through the breaker."""

    def __init__(self, *args, breaker: RedisBreaker, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.breaker = breaker

    def execute_command(self, *args, **options):
        return guarded(self.breaker, super().execute_command, *args, **options)

    def pipeline(self, transaction: bool = True, shard_hint=None):
        pipe = super().pipeline(transaction, shard_hint)
        execute = pipe.execute
        pipe.execute = lambda raise_on_error=True: guarded(self.breaker, execute, raise_on_error)
        return pipe


def breaker_client(url: str, *, breaker: RedisBreaker, **options) -> BreakerRedis:
    """A guarded client for url; one attempt per command (the breaker, not retries, decides when to try again)."""
    options.setdefault("retry", Retry(NoBackoff(), 0))
    return BreakerRedis(connection_pool=redis.ConnectionPool.from_url(url, **options), breaker=breaker)


class BreakerRedisCache(RedisCache):
    """Flask-Caching's Redis backend on a guarded client (CACHE_TYPE = "app.core.breaker.BreakerRedisCache")."""

    @classmethod
    def factory(cls, app, config, args, kwargs):
        options = dict(config.get("CACHE_OPTIONS") or {})
        breaker = options.pop("breaker")
        client = breaker_client(config["CACHE_REDIS_URL"], breaker=breaker, **options)
        return cls(*args, host=client, key_prefix=config.get("CACHE_KEY_PREFIX") or "", **kwargs)


# Count and TTL in one trip: what the headers need after a hit comes back with the hit itself. Several
# counters at once (a tenant's and its key's): ARGV holds each key's expiry and amount in turn.
INCR_EXPIRE_TTL = """
local out = {}
for i, key in ipairs(KEYS) do
    local amount = tonumber(ARGV[2 * i])
    local current = redis.call("incrby", key, amount)
    if tonumber(current) == amount then
        redis.call("expire", key, ARGV[2 * i - 1])
    end
    out[2 * i - 1] = current
    out[2 * i] = redis.call("ttl", key)
end
return out
"""


def read_counters_together(keys: list[str]) -> None:
    """Announce the limiter counters this request will read (unprefixed keys): the first read fetches them all."""
    if has_request_context():
        g.limiter_read_ahead = keys


class BreakerRedisStorage(RedisStorage):
    """The rate limiter's Redis storage on a guarded client (RATELIMIT_STORAGE_URI = "breaker+redis://...").

    When the breaker is open a limit check fails at once, so Flask-Limiter switches to its
    in-memory fallback without waiting on Redis; its periodic `check()` is a guarded PING too.

    Within a request, a counter read or hit also brings the counter's TTL back, and both are kept
    for the rest of that request: the X-RateLimit-* headers are then written with no further trip
    (a fixed-window check is one GET before the view, and one hit after it, nothing more).
    A request with several counters (an API key's and its tenant's) reads the ones it announced
    (`read_counters_together`) in the first read's trip, and spends them in one (`incr_together`).
    """

    STORAGE_SCHEME: ClassVar[list[str]] = ["breaker+redis", "breaker+rediss"]

    def __init__(self, uri: str, breaker: RedisBreaker | None = None, **options) -> None:
        uri = uri.removeprefix("breaker+")
        options.setdefault("retry", Retry(NoBackoff(), 0))
        super().__init__(uri, **options)
        self.storage = BreakerRedis(connection_pool=redis.ConnectionPool.from_url(uri, **options),
                                    breaker=breaker or make_breaker(failures=3, cooldown=5))
        self.initialize_storage(uri)

    def initialize_storage(self, uri: str) -> None:
        super().initialize_storage(uri)
        self.lua_incr_expire_ttl = self.get_connection().register_script(INCR_EXPIRE_TTL)

    @staticmethod
    def _seen() -> dict | None:
        """This request's counters: prefixed key -> (count, expiry as a timestamp); None outside requests."""
        return g.setdefault("limiter_counters", {}) if has_request_context() else None

    def incr_together(self, hits: list[tuple[str, int, int]]) -> None:
        """Spend several counters (key, expiry, amount) in one trip; each later `incr` of one returns its count."""
        keys = [self.prefixed_key(key) for key, _, _ in hits]
        results = self.lua_incr_expire_ttl(keys, [value for _, expiry, amount in hits for value in (expiry, amount)])
        spent = g.setdefault("limiter_spent", set())
        seen = self._seen()
        for i, key in enumerate(keys):
            seen[key] = (int(results[2 * i]), max(int(results[2 * i + 1]), 0) + time.time())
            spent.add(key)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        key = self.prefixed_key(key)
        seen = self._seen()
        if seen is not None and key in g.get("limiter_spent", ()):
            g.limiter_spent.discard(key)  # spent by incr_together just now: once only
            return seen[key][0]
        count, ttl = self.lua_incr_expire_ttl([key], [expiry, amount])
        if seen is not None:
            seen[key] = (int(count), max(int(ttl), 0) + time.time())
        return int(count)

    def get(self, key: str) -> int:
        key = self.prefixed_key(key)
        seen = self._seen()
        if seen is None:
            return int(self.get_connection(True).get(key) or 0)
        if key not in seen:
            ahead = [self.prefixed_key(k) for k in g.get("limiter_read_ahead", ())]
            keys = [key, *(k for k in dict.fromkeys(ahead) if k != key and k not in seen)]
            pipe = self.get_connection(True).pipeline(transaction=False)
            for k in keys:
                pipe.get(k).ttl(k)
            values = pipe.execute()
            for i, k in enumerate(keys):
                seen[k] = (int(values[2 * i] or 0), max(int(values[2 * i + 1]), 0) + time.time())
        return seen[key][0]

    def get_expiry(self, key: str) -> float:
        seen = self._seen()
        if seen is not None and self.prefixed_key(key) in seen:
            return seen[self.prefixed_key(key)][1]
        return super().get_expiry(key)

    def clear(self, key: str) -> None:
        seen = self._seen()
        if seen is not None:
            seen.pop(self.prefixed_key(key), None)
        super().clear(key)


def install_breaker(app: Flask) -> RedisBreaker | None:
    """Give the app's cache and limiter one shared breaker (before their init_app); None without Redis."""
    if not app.config.get("REDIS_URL"):
        return None
    breaker = make_breaker(failures=int(app.config["REDIS_BREAKER_FAILURES"]),
                           cooldown=float(app.config["REDIS_BREAKER_COOLDOWN"]))
    app.extensions["redis_breaker"] = breaker
    app.config["CACHE_TYPE"] = "app.core.breaker.BreakerRedisCache"
    app.config["CACHE_OPTIONS"] = {**(app.config.get("CACHE_OPTIONS") or {}), "breaker": breaker}
    app.config["RATELIMIT_STORAGE_URI"] = "breaker+" + app.config["REDIS_URL"]
    app.config["RATELIMIT_STORAGE_OPTIONS"] = {**(app.config.get("RATELIMIT_STORAGE_OPTIONS") or {}),
                                               "breaker": breaker}
    options = {k: v for k, v in app.config["CACHE_OPTIONS"].items() if k != "breaker"}
    app.extensions["redis_health_client"] = breaker_client(app.config["REDIS_URL"], breaker=breaker, **options)
    return breaker
