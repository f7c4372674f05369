"""Normalising what people type: phone numbers, emails, and text for accent-free search."""
import re
import unicodedata

import phonenumbers
from flask import current_app

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalize_phone(raw: str | None) -> str | None:
    """E.164 (`+15551234567`) for any common format; None when blank; ValueError when not a number."""
    if raw is None or not str(raw).strip():
        return None
    region = current_app.config.get("PHONE_REGION", "US")
    try:
        number = phonenumbers.parse(str(raw), region)
    except phonenumbers.NumberParseException:
        raise ValueError("Not a valid phone number.") from None
    if not phonenumbers.is_possible_number(number):
        raise ValueError("Not a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str | None) -> str:
    """A phone number as staff read it: national format at home, international otherwise."""
    if not e164:
        return ""
    number = phonenumbers.parse(e164, None)
    region = current_app.config.get("PHONE_REGION", "US")
    if number.country_code == phonenumbers.country_code_for_region(region):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def normalize_email(raw: str | None) -> str | None:
    """Trimmed and lowercased; None when blank; ValueError when malformed."""
    if raw is None or not str(raw).strip():
        return None
    email = str(raw).strip().lower()
    if len(email) > 254 or not _EMAIL.fullmatch(email):
        raise ValueError("Not a valid email address.")
    return email


def fold(text: str) -> str:
    """Lowercase and strip accents, so `Zoë` and `zoe` match."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def digits(text: str) -> str:
    """Only the digits of text."""
    return re.sub(r"\D", "", text or "")
