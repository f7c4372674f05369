"""Vaccine compliance over a date range, at the boundaries."""
from datetime import date

import pytest

from app.models import ServiceCategory
from app.services.compliance import Status, VaccineStatus, coverage, evaluate

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


# --- coverage across records: a booster, a gap, adjacent records ---------------------------------

JUNE = {"start": date(2026, 6, 1), "end": date(2026, 6, 10)}


def _rabies(records, warning_days=30, **stay):
    result = evaluate(required=["Rabies"], records=records, category=ServiceCategory.BOARDING,
                      warning_days=warning_days, **(stay or JUNE))
    return result.vaccines[0]


def test_a_booster_given_during_the_stay_carries_on_where_the_old_record_ends():
    old = ("Rabies", date(2023, 6, 5), date(2026, 6, 5))
    booster = ("Rabies", date(2026, 6, 4), date(2029, 6, 4))
    assert _rabies([old, booster]) == VaccineStatus("Rabies", Status.CURRENT, date(2029, 6, 4))


def test_the_order_of_the_records_does_not_matter():
    records = [("Rabies", date(2026, 6, 4), date(2029, 6, 4)), ("Rabies", date(2023, 6, 5), date(2026, 6, 5))]
    assert _rabies(records).status == Status.CURRENT


def test_a_gap_in_the_middle_of_the_stay_is_expired_as_of_the_last_covered_day():
    records = [("Rabies", date(2023, 6, 5), date(2026, 6, 5)), ("Rabies", date(2026, 6, 7), date(2029, 6, 7))]
    assert _rabies(records) == VaccineStatus("Rabies", Status.EXPIRED, date(2026, 6, 5))


def test_a_record_starting_the_day_after_another_ends_leaves_no_gap():
    records = [("Rabies", date(2023, 6, 5), date(2026, 6, 5)), ("Rabies", date(2026, 6, 6), date(2029, 6, 6))]
    assert _rabies(records) == VaccineStatus("Rabies", Status.CURRENT, date(2029, 6, 6))


def test_coverage_joins_overlapping_and_adjacent_records_but_not_across_a_gap():
    assert coverage([(date(2026, 6, 6), date(2026, 6, 9)), (date(2026, 1, 1), date(2026, 6, 5)),
                     (date(2026, 3, 1), date(2026, 4, 1)), (date(2026, 6, 11), date(2026, 7, 1))]) == \
        [(date(2026, 1, 1), date(2026, 6, 9)), (date(2026, 6, 11), date(2026, 7, 1))]


def test_two_records_covering_the_stay_but_ending_soon_after_it_are_expiring_soon():
    records = [("Rabies", date(2025, 6, 1), date(2026, 6, 5)), ("Rabies", date(2026, 6, 4), date(2026, 7, 10))]
    assert _rabies(records) == VaccineStatus("Rabies", Status.EXPIRING_SOON, date(2026, 7, 10))
    assert _rabies(records, warning_days=29).status == Status.CURRENT  # July 10 is 30 days after June 10


def test_a_stay_starting_in_a_gap_is_expired_as_of_the_day_the_old_record_lapsed():
    records = [("Rabies", date(2023, 5, 1), date(2026, 5, 20)), ("Rabies", date(2026, 6, 3), date(2029, 6, 3))]
    assert _rabies(records) == VaccineStatus("Rabies", Status.EXPIRED, date(2026, 5, 20))


def test_another_vaccine_never_bridges_a_gap():
    records = [("Rabies", date(2023, 6, 5), date(2026, 6, 5)), ("DHPP", date(2026, 6, 6), date(2029, 6, 6)),
               ("Rabies", date(2026, 6, 7), date(2029, 6, 7))]
    assert _rabies(records).status == Status.EXPIRED
