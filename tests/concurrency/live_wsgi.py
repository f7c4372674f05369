"""WSGI entry for the race tests' gunicorn: the production app, with the test run's Redis key prefixes.

The production config has no setting for the key prefixes; the race tests' server must use the
ones of the pytest run (tests/conftest.py `app`), so that the shared Redis db 15 is never mixed
with other runs and the per-test cleanup (cache.clear(), rate-limit reset) covers the server too:
a tenant re-created by the next test must not be served from the previous test's cache entry.
"""
import os

from app import create_app
from config import ProductionConfig

config = ProductionConfig()
config.CACHE_KEY_PREFIX = os.environ["RACE_CACHE_KEY_PREFIX"]
config.RATELIMIT_KEY_PREFIX = os.environ["RACE_RATELIMIT_KEY_PREFIX"]
app = create_app(config)
