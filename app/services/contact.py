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


# German spelling without umlauts: Müller is also written Mueller.
_TRANSLITERATION = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss",
                                  "ẞ": "SS"})
_PUNCTUATION = re.compile(r"[\W_]+")


def search_words(text: str) -> list[str]:
    """The words a name is found by: accent-folded and transliterated (Müller: muller, mueller),
    without punctuation (O'Brien: obrien) and, where punctuation joined parts, each part (o, brien)."""
    words: list[str] = []
    for raw in (text or "").split():
        composed = unicodedata.normalize("NFC", raw)
        for form in (fold(composed), fold(composed.translate(_TRANSLITERATION))):
            for word in (_PUNCTUATION.sub("", form), *_PUNCTUATION.split(form)):
                if word and word not in words:
                    words.append(word)
    return words


def search_terms(query: str) -> list[str]:
    """A query's words as they are matched against search_words(): folded, punctuation dropped
    (an email address, with its @, is kept whole)."""
    terms = []
    for raw in (query or "").split():
        term = fold(raw) if "@" in raw else _PUNCTUATION.sub("", fold(raw))
        if term:
            terms.append(term)
    return terms


def digits(text: str) -> str:
    """Only the digits of text."""
    return re.sub(r"\D", "", text or "")
