"""Normalising phone numbers, emails and search text."""
import pytest

from app.services.contact import fold, format_phone, normalize_email, normalize_phone


@pytest.mark.parametrize("raw", ["(555) 123-4567", "555.123.4567", "5551234567", "+1 555 123 4567", "1-555-123-4567"])
def test_every_common_phone_format_is_the_same_number(app, raw):
    with app.app_context():
        assert normalize_phone(raw) == "+15551234567"


@pytest.mark.parametrize("raw", ["12", "call me", "555-CALL-NOW-PLEASE-12345678"])
def test_junk_is_not_a_phone_number(app, raw):
    with app.app_context(), pytest.raises(ValueError):
        normalize_phone(raw)


def test_numbers_are_shown_in_national_format(app):
    with app.app_context():
        assert format_phone("+15551234567") == "(555) 123-4567"
        assert format_phone("+442079460958").startswith("+44")


def test_emails_are_trimmed_and_lowercased():
    assert normalize_email("  Jane@Example.COM ") == "jane@example.com"
    assert normalize_email("") is None
    with pytest.raises(ValueError):
        normalize_email("jane@")


def test_fold_removes_accents_and_case():
    assert fold("Zoë ÉMILE") == "zoe emile"
