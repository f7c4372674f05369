"""Email: queued in the outbox in the caller's transaction; sent over SMTP (or only recorded, in development)."""
import smtplib
from email.message import EmailMessage
from email.utils import formataddr

from flask import current_app

from app.models import OutboxMessage
from app.models.mail import Channel
from app.tenancy import current_tenant_or_none

DEVELOPMENT = "development"


class DeliveryError(Exception):
    """A channel could not take a message now (it will be retried)."""


def queue_email(*, to: str, subject: str, body: str, secret: str | None = None, kind: str = "notice",
                customer_id=None) -> OutboxMessage:
    """Put an email in the outbox (the caller commits; it is sent after the commit).

    A secret inside body (a reset or invitation token) is stored apart from it and erased once the
    message is sent, so no usable token stays in the database after delivery.
    """
    from app.services.outbox import queue_message

    return queue_message(channel=Channel.EMAIL, to=to, subject=subject, body=body, secret=secret, kind=kind,
                         customer_id=customer_id)


def transport() -> str:
    """"smtp" or "development" (MAIL_TRANSPORT; by default smtp exactly when SMTP_HOST is set)."""
    config = current_app.config
    return config.get("MAIL_TRANSPORT") or ("smtp" if config.get("SMTP_HOST") else DEVELOPMENT)


def send_email(message: OutboxMessage) -> str:
    """Send one outbox email; returns the transport that took it, raises DeliveryError if none could."""
    if transport() == DEVELOPMENT:
        return DEVELOPMENT  # recorded in the outbox only: the Outbox page is the mailbox
    config = current_app.config
    host = config.get("SMTP_HOST")
    if not host:
        raise DeliveryError("MAIL_TRANSPORT is smtp but SMTP_HOST is not set")
    email = EmailMessage()
    tenant = current_tenant_or_none()
    email["From"] = formataddr((tenant.name, config["MAIL_FROM"])) if tenant else config["MAIL_FROM"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    # The outbox id: a receiving system can drop a copy resent after a crash between send and record.
    email["Message-ID"] = f"<{message.id}@{config['MAIL_FROM'].rpartition('@')[2] or 'tailtown'}>"
    email.set_content(message.rendered_body())
    try:
        with smtplib.SMTP(host, config["SMTP_PORT"], timeout=config.get("SMTP_TIMEOUT", 10)) as smtp:
            smtp.send_message(email)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"SMTP {type(exc).__name__}: {str(exc)[:300]}") from exc
    return "smtp"
