"""Outgoing mail: written to the outbox in the caller's transaction, delivered by SMTP when configured."""
import smtplib
from email.message import EmailMessage

from flask import current_app
from loguru import logger

from app.core.extensions import db
from app.models import OutboundEmail
from app.models.base import utcnow


def queue_email(*, to: str, subject: str, body: str) -> OutboundEmail:
    """Put a message in the outbox (the caller commits)."""
    message = OutboundEmail(to_address=to, subject=subject, body=body)
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
    email.set_content(message.body)
    try:
        with smtplib.SMTP(host, current_app.config["SMTP_PORT"], timeout=5) as smtp:
            smtp.send_message(email)
    except (OSError, smtplib.SMTPException) as exc:
        logger.warning("mail {} not delivered: {}", message.id, type(exc).__name__)
        return
    message.sent_at = utcnow()
    db.session.commit()
    logger.info("mail {} delivered", message.id)
