"""SMS through an SmsProvider chosen by SMS_PROVIDER: the built-in development provider, or a real one."""
import importlib

from flask import current_app
from loguru import logger

from app.models import OutboxMessage


class SmsProvider:
    """What a real provider implements: send one text, return its own message id (or None)."""

    name = "sms"

    def send(self, *, to: str, body: str, message_id: str) -> str | None:
        """Hand one text to the provider; raise any exception when it refuses or cannot be reached."""
        raise NotImplementedError


class DevelopmentSmsProvider(SmsProvider):
    """Sends nothing: the message is recorded in the outbox (and shown on the Outbox page)."""

    name = "development"

    def send(self, *, to: str, body: str, message_id: str) -> str | None:
        logger.info("sms {} recorded by the development provider", message_id)  # never the number or the text
        return None


def sms_provider() -> SmsProvider:
    """The configured provider, built once per app ("development" or "package.module:ClassName")."""
    app = current_app._get_current_object()
    provider = app.extensions.get("sms_provider")
    if provider is None:
        spec = app.config.get("SMS_PROVIDER") or "development"
        if spec == "development":
            provider = DevelopmentSmsProvider()
        else:
            module, _, cls = spec.partition(":")
            provider = getattr(importlib.import_module(module), cls)()
            if not isinstance(provider, SmsProvider):
                raise TypeError(f"SMS_PROVIDER {spec} is not an SmsProvider")
        app.extensions["sms_provider"] = provider
    return provider


def send_sms(message: OutboxMessage) -> str:
    """Send one outbox text; returns the provider's name, raises DeliveryError when it fails."""
    from app.services.mail import DeliveryError

    provider = sms_provider()
    try:
        provider.send(to=message.recipient, body=message.rendered_body(), message_id=str(message.id))
    except Exception as exc:  # noqa: BLE001  (any provider failure is a failed attempt, retried)
        raise DeliveryError(f"SMS {provider.name} {type(exc).__name__}: {str(exc)[:300]}") from exc
    return provider.name
