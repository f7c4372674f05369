"""Cache helpers that never fail a request: a dead Redis means a cache miss."""
from typing import Any

from loguru import logger
from redis.exceptions import RedisError

from app.core.extensions import cache


def cache_get(key: str) -> Any:
    """Read a key; None on a miss or when the cache is unreachable."""
    try:
        return cache.get(key)
    except (RedisError, OSError) as exc:
        logger.warning("cache get failed: {}", type(exc).__name__)
        return None


def cache_set(key: str, value: Any, *, timeout: int) -> None:
    """Write a key; a failure is logged and ignored."""
    try:
        cache.set(key, value, timeout=timeout)
    except (RedisError, OSError) as exc:
        logger.warning("cache set failed: {}", type(exc).__name__)


def cache_delete(key: str) -> None:
    """Delete a key; a failure is logged and ignored (entries also expire)."""
    try:
        cache.delete(key)
    except (RedisError, OSError) as exc:
        logger.warning("cache delete failed: {}", type(exc).__name__)
