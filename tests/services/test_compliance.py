"""Vaccine compliance over a date range, at the boundaries."""
from datetime import date

import pytest

from app.models import ServiceCategory
from app.services.compliance import Status, evaluate

STAY = {"start": date(2026, 12, 20), "end": date(2026, 12, 27)}


def _status(records, required=("Rabies",), warning_days=30, **stay):
    result = evaluate(required=list(required), records=records, category=ServiceCategory.BOARDING,
                      warning_days=warning_days, **(stay or STAY))
    return result.status


@pytest.mark.parametrize("expires_on, expected", [
    (date(2026, 12, 26), Status.EXPIRED),        # the day before the stay ends: not covered
    (date(2026, 12, 27), Status.EXPIRING_SOON),  # the day it ends: covered, but expiring
    (date(2026, 12, 28), Status.EXPIRING_SOON),  # the day after: covered, still inside the warning window
])
def test_expiry_around_the_last_day_of_the_stay(expires_on, expected):
    assert _status([("Rabies", date(2025, 12, 1), expires_on)]) == expected


def test_a_vaccine_valid_well_beyond_the_warning_window_is_current():
    assert _status([("Rabies", date(2025, 1, 1), date(2028, 1, 1))]) == Status.CURRENT


def test_the_warning_window_is_counted_from_the_end_of_the_range():
    record = [("Rabies", date(2025, 1, 1), date(2027, 1, 26))]  # 30 days after the stay ends
    assert _status(record) == Status.EXPIRING_SOON
    assert _status(record, warning_days=29) == Status.CURRENT


def test_a_vaccine_given_during_the_stay_does_not_cover_it():
    assert _status([("Rabies", date(2026, 12, 22), date(2029, 12, 22))]) == Status.EXPIRED


def test_no_record_at_all_is_missing_and_missing_outranks_expired():
    records = [("Rabies", date(2020, 1, 1), date(2021, 1, 1))]
    assert _status(records, required=("Rabies", "DHPP")) == Status.MISSING


def test_vaccine_names_match_case_insensitively_and_the_best_record_wins():
    records = [("rabies", date(2020, 1, 1), date(2021, 1, 1)), ("RABIES", date(2025, 1, 1), date(2028, 1, 1))]
    result = evaluate(required=["Rabies"], records=records, category=ServiceCategory.BOARDING,
                      warning_days=30, **STAY)
    assert result.status == Status.CURRENT and result.vaccines[0].expires_on == date(2028, 1, 1)


def test_nothing_required_is_current():
    assert _status([], required=()) == Status.CURRENT
