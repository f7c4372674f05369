"""Loguru setup: stdlib logging routed in, request context bound, secrets redacted."""
import logging
import re
import sys
from typing import Any

from flask import g, has_request_context
from loguru import logger

SENSITIVE_KEY = re.compile(r"pass(word|wd)?|token|secret|authori[sz]ation|api[_-]?key|card|cvv|cookie|csrf", re.I)
_SENSITIVE_TEXT = re.compile(
    r"""(?P<key>["']?[\w-]*(?:pass(?:word|wd)?|token|secret|authori[sz]ation|api[_-]?key|card|cvv)[\w-]*["']?\s*[:=]\s*)"""
    r"""(?P<value>"[^"]*"|'[^']*'|[^\s,;}&)]+)""",
    re.I,
)
_BEARER = re.compile(r"(Bearer\s+)[^\s'\",]+", re.I)
# Contact details can reach a log only by accident (e.g. a database error quoting a row): mask them.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w-])\+?\d{10,15}(?![\w-])")
REDACTED = "***"


def redact(value: Any) -> Any:
    """Return a copy of value with every sensitive key's value replaced."""
    if isinstance(value, dict):
        return {k: REDACTED if isinstance(k, str) and SENSITIVE_KEY.search(k) else redact(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact(v) for v in value)
    if isinstance(value, str):
        return redact_text(value)
    return value


def redact_text(text: str) -> str:
    """Mask `password=...`, `"token": "..."`, `Bearer ...`, email addresses and phone numbers in free text."""
    text = _BEARER.sub(lambda m: m.group(1) + REDACTED, text)
    text = _EMAIL.sub(REDACTED, text)
    text = _PHONE.sub(REDACTED, text)
    return _SENSITIVE_TEXT.sub(lambda m: m.group("key") + REDACTED, text)


def _patch(record: dict) -> None:
    """Bind request context and redact secrets on every record, before any sink sees it."""
    extra = record["extra"]
    if has_request_context():
        extra.setdefault("request_id", g.get("request_id", "-"))
        tenant = g.get("tenant")
        extra.setdefault("tenant", str(tenant.id) if tenant else "-")
        extra.setdefault("principal", g.get("principal_id", "-"))
    else:
        extra.setdefault("request_id", "-")
        extra.setdefault("tenant", "-")
        extra.setdefault("principal", "-")
    record["extra"] = redact(extra)
    record["message"] = redact_text(record["message"])
    if record["exception"] is not None:
        # Exception text can carry values (e.g. a failed INSERT's parameters).
        exc = record["exception"]
        if exc.value is not None and exc.value.args:
            exc.value.args = tuple(redact_text(a) if isinstance(a, str) else a for a in exc.value.args)


class InterceptHandler(logging.Handler):
    """Send stdlib logging records (werkzeug, sqlalchemy, gunicorn) to loguru."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            level: str | int = logger.level(record.levelname).name
        except ValueError:
            level = record.levelno
        frame, depth = logging.currentframe(), 2
        while frame and frame.f_code.co_filename == logging.__file__:
            frame, depth = frame.f_back, depth + 1
        logger.opt(depth=depth, exception=record.exc_info).log(level, record.getMessage())


HUMAN_FORMAT = (
    "<green>{time:HH:mm:ss.SSS}</green> <level>{level: <7}</level> "
    "<cyan>{extra[request_id]}</cyan> t={extra[tenant]} p={extra[principal]} {message}"
)


_sink_id: int | None = None


def configure_logging(*, json: bool, level: str) -> None:
    """Install (or replace) our stderr sink and route stdlib loggers into loguru."""
    global _sink_id
    if _sink_id is None:
        logger.remove()  # loguru's default handler, once
    else:
        logger.remove(_sink_id)
    logger.configure(patcher=_patch)
    if json:
        _sink_id = logger.add(sys.stderr, level=level, serialize=True, backtrace=False, diagnose=False)
    else:
        _sink_id = logger.add(sys.stderr, level=level, format=HUMAN_FORMAT, backtrace=False, diagnose=False)
    logging.basicConfig(handlers=[InterceptHandler()], level=logging.INFO, force=True)
    for name in ("gunicorn.error", "gunicorn.access", "sqlalchemy", "alembic"):
        logging.getLogger(name).handlers = [InterceptHandler()]
        logging.getLogger(name).propagate = False
    # Our access line replaces werkzeug's; keep its warnings and errors.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.migration").setLevel(logging.INFO)
