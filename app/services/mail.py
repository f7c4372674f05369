"""Outgoing mail: written to the outbox in the caller's transaction, delivered by SMTP when configured."""
import smtplib
from email.message import EmailMessage

from flask import current_app
from loguru import logger

from app.core.extensions import db
from app.models import OutboundEmail
from app.models.base import utcnow
from app.models.mail import SECRET_MARKER


def queue_email(*, to: str, subject: str, body: str, secret: str | None = None) -> OutboundEmail:
    """Put a message in the outbox (the caller commits).

    A secret inside body (a reset or invitation token) is stored apart from it and erased once the
    message is sent, so no usable token stays in the database after delivery.
    """
    if secret:
        body = body.replace(secret, SECRET_MARKER)
    message = OutboundEmail(to_address=to, subject=subject, body=body, secret=secret)
    db.session.add(message)
    return message


def deliver(message: OutboundEmail) -> None:
    """Send one outbox message over SMTP if configured; otherwise it stays queued for a worker."""
    host = current_app.config.get("SMTP_HOST")
    if not host:
        return
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_FROM"]
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email.set_content(message.rendered_body())
    try:
        with smtplib.SMTP(host, current_app.config["SMTP_PORT"], timeout=5) as smtp:
            smtp.send_message(email)
    except (OSError, smtplib.SMTPException) as exc:
        logger.warning("mail {} not delivered: {}", message.id, type(exc).__name__)
        return
    message.sent_at = utcnow()
    message.secret = None  # delivered: the token now lives only in the recipient's mailbox
    db.session.commit()
    logger.info("mail {} delivered", message.id)
