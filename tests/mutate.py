"""Deliberate breakages: apply each as a text patch, run the test that should catch it, restore the file.

    .venv/bin/python tests/mutate.py                 # every mutation, on SQLite
    .venv/bin/python tests/mutate.py surcharges-compound csv-drops-breed
    TAILTOWN_TEST_BACKEND=postgres TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/ \
        TEST_REDIS_URL=redis://127.0.0.1:6379/15 .venv/bin/python tests/mutate.py

Each line of the report says KILLED (the test failed, as it must), SURVIVED (the test passed: a
missing test), or NOT APPLIED (the code moved: update the patch). The file is restored after every
run, even on Ctrl-C; `git diff` afterwards must be empty. The list is explained in tests/mutations.md.
"""
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Mutation:
    name: str
    path: str
    patches: tuple[tuple[str, str], ...]  # (exact text, replacement); each text must occur exactly once
    tests: tuple[str, ...]
    more: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()  # (path, patches) of further files broken at once

    def files(self) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
        return [(self.path, self.patches), *self.more]


PRICING, QUOTES_API = "tests/services/test_pricing.py", "tests/api/test_quotes.py"
CSV, CUSTOMERS_API = "tests/services/test_customer_csv.py", "tests/api/test_customers.py"
SEARCH, WEB_CUSTOMERS = "tests/services/test_customer_search.py", "tests/web/test_customers.py"
COMPLIANCE = "tests/services/test_compliance.py"
BOOKING, RULES = "tests/services/test_booking.py", "tests/services/test_booking_rules.py"
OCCUPANCY, WEIGHTS = "tests/test_occupancy_constraints.py", "tests/test_weights.py"
RACES = "tests/concurrency/test_service_races.py"
BILLING, REPRICE = "app/services/billing.py", "tests/services/test_billing_reprice.py"
STATEFUL, WEB_BILLING = "tests/services/test_billing_stateful.py", "tests/web/test_billing.py"
AVAILABILITY, RESERVATIONS = "app/services/availability.py", "app/services/reservations.py"
SCOPES_API, LIMITS_API, CORS_API = "tests/api/test_scopes.py", "tests/api/test_rate_limits.py", "tests/api/test_cors.py"
RESERVATIONS_MIGRATION = "migrations/versions/d27599a56104_reservations.py"
NO_ONE_HOUSEHOLD = (("        op.execute(ONE_HOUSEHOLD)\n", "        pass\n"),
                    ("        op.execute(ONE_HOUSEHOLD_SQLITE)\n", "        pass\n"))
OUTBOX, TEMPLATES = "app/services/outbox.py", "app/services/templates.py"
JOBS, OUTBOX_API, TEMPLATES_API = "tests/jobs/test_jobs.py", "tests/api/test_outbox.py", "tests/api/test_message_templates.py"
WEBHOOKS, WEBHOOKS_API = "app/services/webhooks.py", "tests/api/test_webhooks.py"
RECEIVER, WEBHOOKS_PAGE = "tests/api/test_webhook_receiver.py", "tests/web/test_webhooks_page.py"
OPENAPI_DOC, GENERATORS = "tests/api/test_openapi_document.py", "tests/api/test_openapi_generators.py"
FEED = "tests/api/test_change_feed.py"
STATEMENT_CACHE = "tests/test_tenancy.py::test_tenants_share_one_compiled_statement_with_the_tenant_as_a_bound_parameter"
CRIT = "        with_loader_criteria(TenantScoped, lambda cls: cls.tenant_id == tenant_id, include_aliases=True)\n"
POLICY_MIGRATION = "migrations/versions/8c9d0e1f2a34_policies_the_planner_can_read.py"
PLANNER_POLICY = "tests/test_rls.py::test_the_tenant_policy_costs_nothing_per_row_and_hides_nothing_from_the_planner"
POLICY_TENANT = "TENANT = \"tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid\"\n"
EXPIRED_FILTER = f"{CUSTOMERS_API}::test_the_expired_filter_counts_only_each_vaccines_latest_record_and_stays_in_its_tenant"

MUTATIONS = [
    # --- pricing -----------------------------------------------------------------------------------
    Mutation("surcharges-compound", "app/services/pricing.py",
             (("else percent_of(base, rule.percent_bp)", "else percent_of(price, rule.percent_bp)"),),
             (f"{PRICING}::test_percent_surcharges_are_of_the_base_price_and_never_compound",)),
    Mutation("discounts-stop-compounding", "app/services/pricing.py",
             (("else percent_of(price, rule.percent_bp)\n        amount = min(amount, price)",
               "else percent_of(base, rule.percent_bp)\n        amount = min(amount, price)"),),
             (f"{PRICING}::test_percent_surcharges_are_of_the_base_price_and_never_compound",)),
    Mutation("discount-below-zero", "app/services/pricing.py",
             (("        amount = min(amount, price)\n", ""),),
             (f"{PRICING}::test_percent_surcharges_are_of_the_base_price_and_never_compound",)),
    Mutation("tax-on-untaxable-lines", "app/services/pricing.py",
             (("for line in (*stay_lines, *addon_lines) if line.taxable)",
               "for line in (*stay_lines, *addon_lines))"),),
             (f"{PRICING}::test_tax_applies_only_to_taxable_lines",)),
    # --- quotes ------------------------------------------------------------------------------------
    Mutation("flat-accepts-end-date", "app/services/pricing.py",
             (("elif service.price_unit == PriceUnit.FLAT and end is not None and end != start:",
               "elif False:"),),
             (f"{PRICING}::test_a_flat_service_refuses_an_end_date_naming_the_field",
              f"{QUOTES_API}::test_a_flat_service_with_an_end_date_is_422_naming_it_and_other_tenants_are_unaffected")),
    Mutation("addon-units-from-dates", "app/services/pricing.py",
             (("units = _addon_units(request.addon.unit, service.price_unit, len(days))",
               "units = _addon_units(request.addon.unit, PriceUnit.PER_DAY, (end - start).days + 1)"),),
             (f"{PRICING}::test_per_day_and_per_night_add_ons_on_a_flat_service_count_one",)),
    Mutation("daycare-per-night-addon-counts-nights", "app/services/pricing.py",
             (("    return units\n\n\ndef _deposit", "    return units - 1 if unit == AddOnUnit.PER_NIGHT else units"
                                                  "\n\n\ndef _deposit"),),
             (f"{PRICING}::test_a_per_night_add_on_on_a_monday_to_friday_daycare_counts_five_days",)),
    Mutation("stay-cap-366", "app/services/pricing.py",
             (("MAX_UNITS = 365", "MAX_UNITS = 366"),),
             (f"{PRICING}::test_a_stay_is_at_most_365_nights_or_days",)),
    Mutation("no-quantity-cap", "app/services/pricing.py",
             (("if not 1 <= request.quantity <= MAX_QUANTITY:", "if request.quantity < 1:"),),
             (f"{PRICING}::test_an_add_on_quantity_is_1_to_100",)),
    Mutation("same-pet-twice", "app/services/pricing.py",
             (("    if twice:\n", "    if False:\n"),),
             (f"{QUOTES_API}::test_the_same_pet_twice_is_422_naming_pets",)),
    # --- CSV import --------------------------------------------------------------------------------
    Mutation("csv-drops-breed", "app/services/customer_csv.py",
             (('"breed": row.get("breed", ""),', '"breed": "",'),),
             (f"{CSV}::test_every_source_column_survives_the_import",)),
    Mutation("csv-drops-weight", "app/services/customer_csv.py",
             (("        **_weight(row),\n", ""),),
             (f"{CSV}::test_every_source_column_survives_the_import",)),
    Mutation("csv-no-length-check", "app/services/customer_csv.py",
             (("    _check_lengths(Customer, fields, errors)\n", ""),),
             (f"{CSV}::test_a_300_character_city_fails_the_dry_run_and_the_real_import_alike",)),
    Mutation("csv-accepts-nul", "app/services/customer_csv.py",
             (('if "\\x00" in value or any(', 'if False and any('),),
             (f"{CSV}::test_nul_bytes_and_lone_surrogates_are_refused_by_column_in_both_runs",)),
    Mutation("csv-vaccines-per-row", "app/services/customer_csv.py",
             (("vaccines=vaccines))", "vaccines=None))"),),
             (f"{CSV}::test_the_vaccine_list_is_read_once_per_import",)),
    Mutation("csv-first-problem-only", "app/services/customer_csv.py",
             (("for column, messages in errors.items()]", "for column, messages in list(errors.items())[:1]]"),),
             (f"{CSV}::test_every_problem_of_a_row_is_listed",)),
    Mutation("csv-date-message-without-format", "app/services/customer_csv.py",
             (('f"{what}Use a date as YYYY-MM-DD, e.g. 2020-12-31 (got {_quoted(raw)}).")',
               'f"{what}Invalid isoformat string: {raw!r}")'),),
             (f"{CSV}::test_a_day_first_date_names_the_column_and_the_expected_format",)),
    Mutation("weight-message-range-only", "app/core/weights.py",
             (('return None, f"Must be a number of {NOUN[unit]}, e.g. {EXAMPLE[unit]}."',
               'return None, "Must be more than 0 and less than 1000 lbs."'),),
             (f"{CSV}::test_a_weight_that_is_not_a_number_says_so",)),
    # --- CSV export --------------------------------------------------------------------------------
    Mutation("export-no-formula-guard", "app/services/customer_csv.py",
             (('        return "\'" + value\n', "        return value\n"),),
             (f"{CSV}::test_cells_that_a_spreadsheet_would_run_are_neutralised_in_the_export",
              f"{CUSTOMERS_API}::test_export_streams_with_formula_cells_neutralised_and_only_this_tenant")),
    Mutation("export-forgets-at-sign", "app/services/customer_csv.py",
             (('FORMULA_TRIGGERS = ("=", "+", "-", "@", "\\t", "\\r")',
               'FORMULA_TRIGGERS = ("=", "+", "-", "\\t", "\\r")'),),
             (f"{CSV}::test_cells_that_a_spreadsheet_would_run_are_neutralised_in_the_export",)),
    Mutation("import-keeps-our-quote", "app/services/customer_csv.py",
             (("        return cell[1:]\n", "        return cell\n"),),
             (f"{CSV}::test_a_plus_44_phone_and_a_name_starting_with_equals_round_trip_into_another_tenant",)),
    Mutation("export-not-streamed", "app/api/customers.py",
             (("Response(stream_with_context(customer_csv.export_chunks()),", "Response(customer_csv.export_csv(),"),),
             (f"{CUSTOMERS_API}::test_export_streams_with_formula_cells_neutralised_and_only_this_tenant",)),
    Mutation("web-export-not-streamed", "app/web/customers.py",
             (("Response(stream_with_context(customer_csv.export_chunks()),", "Response(customer_csv.export_csv(),"),),
             (f"{WEB_CUSTOMERS}::test_export_download_from_the_list_page_streams",)),
    # --- search ------------------------------------------------------------------------------------
    Mutation("search-no-transliteration", "app/services/contact.py",
             (("fold(composed.translate(_TRANSLITERATION))", "fold(composed)"),),
             (f"{CUSTOMERS_API}::test_search_forgives_umlauts_spelled_out_or_dropped",)),
    Mutation("search-keeps-punctuation", "app/services/contact.py",
             (('for word in (_PUNCTUATION.sub("", form), *_PUNCTUATION.split(form)):', "for word in (form,):"),),
             (f"{CUSTOMERS_API}::test_search_forgives_punctuation_in_names",)),
    Mutation("search-substring-not-prefix", "app/services/customers.py",
             (('Customer.search_text.contains(" " + w, autoescape=True)',
               "Customer.search_text.contains(w, autoescape=True)"),),
             (f"{CUSTOMERS_API}::test_search_by_name_in_any_order_prefix_case_and_accents",)),
    Mutation("search-marks-no-pet", "app/services/customers.py",
             (("customer.matched_pet_ids = matched_pet_ids(customer, q)", "customer.matched_pet_ids = []"),),
             (f"{WEB_CUSTOMERS}::test_search_results_mark_the_pet_that_matched",
              f"{CUSTOMERS_API}::test_search_by_a_pets_forgiving_name_says_which_pets_matched")),
    Mutation("migration-leaves-old-rows", "migrations/versions/c4f1e2a9d7b3_forgiving_search_words.py",
             (("def upgrade():\n    _rewrite(_new_text)", "def upgrade():\n    pass"),),
             (f"{SEARCH}::test_the_migration_rewrites_existing_search_text_in_every_tenant",)),
    # --- vaccine compliance ------------------------------------------------------------------------
    Mutation("compliance-records-not-merged", "app/services/compliance.py",
             (("    began = [(g, e) for g, e in coverage(intervals) if g <= start]",
               "    began = [(g, e) for g, e in sorted(intervals) if g <= start]"),),
             (f"{COMPLIANCE}::test_a_booster_given_during_the_stay_carries_on_where_the_old_record_ends",)),
    Mutation("compliance-adjacent-records-gap", "app/services/compliance.py",
             (("if merged and given <= merged[-1][1] + timedelta(days=1):", "if merged and given <= merged[-1][1]:"),),
             (f"{COMPLIANCE}::test_a_record_starting_the_day_after_another_ends_leaves_no_gap",)),
    Mutation("compliance-one-day-gap-ignored", "app/services/compliance.py",
             (("if merged and given <= merged[-1][1] + timedelta(days=1):",
               "if merged and given <= merged[-1][1] + timedelta(days=2):"),),
             (f"{COMPLIANCE}::test_a_gap_in_the_middle_of_the_stay_is_expired_as_of_the_last_covered_day",)),
    Mutation("compliance-latest-record-wins", "app/services/compliance.py",
             (("    _, last_day = began[-1]", "    last_day = max(e for _, e in intervals)"),),
             (f"{COMPLIANCE}::test_a_gap_in_the_middle_of_the_stay_is_expired_as_of_the_last_covered_day",)),
    Mutation("compliance-vaccines-mixed", "app/services/compliance.py",
             (("intervals = [(g, e) for v, g, e in records if v.casefold() == vaccine.casefold()]",
               "intervals = [(g, e) for v, g, e in records if v.casefold() == vaccine.casefold()] and "
               "[(g, e) for _, g, e in records]"),),
             (f"{COMPLIANCE}::test_another_vaccine_never_bridges_a_gap",)),
    Mutation("expired-filter-any-record", "app/services/customers.py",
             (("Vaccination.expires_on < today, ~replaced)", "Vaccination.expires_on < today)"),),
             (EXPIRED_FILTER,)),
    Mutation("expired-filter-any-vaccine-renews", "app/services/customers.py",
             (("later.vaccine == Vaccination.vaccine,\n", "\n"),),
             (EXPIRED_FILTER,)),
    Mutation("expired-filter-household-renews", "app/services/customers.py",
             (("exists().where(later.pet_id == Vaccination.pet_id, ", "exists().where("),),
             (EXPIRED_FILTER,)),
    # --- booking: availability ----------------------------------------------------------------------
    Mutation("nights-closed", AVAILABILITY,
             (("    return pricing.stay_dates(pricing.service_terms(service), start, end)\n",
               "    dates = pricing.stay_dates(pricing.service_terms(service), start, end)\n"
               "    return dates + [end] if service.needs_kennel and end else dates\n"),),
             (f"{BOOKING}::test_a_stay_ending_the_morning_another_begins_does_not_conflict",)),
    Mutation("households-share-in-the-rule", AVAILABILITY,
             (("if (use.households - {household}) or len(use.slots) + count > kennel.capacity:",
               "if len(use.slots) + count > kennel.capacity:"),),
             (f"{RULES}::test_a_second_household_is_refused_by_the_rule_naming_kennel_and_nights_not_only_by_the_database",)),
    Mutation("households-share-in-the-list", AVAILABILITY,
             (("        if use.households - {household}:\n            return 0\n", ""),),
             (f"{RULES}::test_a_second_household_is_refused_by_the_rule_naming_kennel_and_nights_not_only_by_the_database",)),
    Mutation("capacity-plus-one", AVAILABILITY,
             (("len(use.slots) + count > kennel.capacity:", "len(use.slots) + count > kennel.capacity + 1:"),),
             (f"{RULES}::test_one_household_cannot_put_more_pets_in_a_kennel_than_its_places",)),
    Mutation("maintenance-bookable", AVAILABILITY,
             (("    if kennel.status == KennelStatus.MAINTENANCE:\n        return f\"{kennel.code} is under maintenance.\"\n",
               ""),),
             (f"{RULES}::test_a_kennel_under_maintenance_takes_no_booking_and_no_check_in",)),
    Mutation("species-fit-ignored", AVAILABILITY,
             (("    if species is not None and str(pet.species) not in species:", "    if False:"),),
             (f"{RULES}::test_a_cat_is_refused_a_dog_run",)),
    Mutation("weight-limit-ignored", AVAILABILITY,
             (("        if kennel.max_weight_kg is not None and weight > kennel.max_weight_kg:", "        if False:"),),
             (f"{BOOKING}::test_a_pet_too_heavy_for_the_kennel_is_refused", f"{WEIGHTS}")),
    Mutation("weight-in-pounds-against-kg-limits", AVAILABILITY,
             (("    weight = pet.weight_kg  # stored", "    weight = pet.weight_lbs  # stored"),),
             (f"{WEIGHTS}::test_a_30_kg_kennel_refuses_a_70_lb_pet_and_takes_a_60_lb_one_whatever_the_unit",)),
    Mutation("booking-flat-accepts-end-date", "app/services/pricing.py",
             (("elif service.price_unit == PriceUnit.FLAT and end is not None and end != start:",
               "elif False:"),),
             (f"{RULES}::test_a_flat_appointment_with_an_end_date_is_refused_naming_it_and_nothing_is_saved",)),
    # --- booking: lifecycle, vaccines, edits, moves, codes -----------------------------------------
    Mutation("checked-in-can-cancel", RESERVATIONS,
             (("    S.CHECKED_IN: {S.CHECKED_OUT},", "    S.CHECKED_IN: {S.CHECKED_OUT, S.CANCELLED},"),),
             (f"{RULES}::test_only_the_listed_transitions_happen",)),
    Mutation("pending-can-check-in", RESERVATIONS,
             (("    S.PENDING: {S.CONFIRMED, S.CANCELLED, S.NO_SHOW},",
               "    S.PENDING: {S.CONFIRMED, S.CANCELLED, S.NO_SHOW, S.CHECKED_IN},"),),
             (f"{RULES}::test_only_the_listed_transitions_happen",)),
    Mutation("cancel-without-reason", RESERVATIONS,
             (("    if not reason or len(reason) > 500:", "    if len(reason) > 500:"),),
             (f"{BOOKING}::test_cancel_needs_a_reason_and_frees_the_kennel",)),
    Mutation("no-show-any-time", RESERVATIONS,
             (("    if tenant_now() < due:", "    if False:"),),
             (f"{RULES}::test_a_no_show_only_after_the_arrival_time_has_passed",)),
    Mutation("check-in-before-arrival", RESERVATIONS,
             (("        if today < reservation.start_date:", "        if False:"),),
             (f"{RULES}::test_check_in_opens_on_the_arrival_date",)),
    Mutation("check-in-ignores-maintenance", RESERVATIONS,
             (("if line.kennel is not None and line.kennel.status == KennelStatus.MAINTENANCE]", "if False]"),),
             (f"{RULES}::test_a_kennel_under_maintenance_takes_no_booking_and_no_check_in",)),
    Mutation("vaccine-gate-off", RESERVATIONS,
             (('    blocking = [w for w in warnings if w["blocking"]]', "    blocking = []"),),
             (f"{BOOKING}::test_missing_vaccines_need_a_manager_override",)),
    Mutation("anyone-overrides-vaccines", RESERVATIONS,
             (("    if not _is_manager():\n        raise PermissionDenied", "    if False:\n        raise PermissionDenied"),),
             (f"{BOOKING}::test_missing_vaccines_need_a_manager_override",)),
    Mutation("preview-saves", RESERVATIONS,
             (("                savepoint.rollback()", "                db.session.commit()"),),
             (f"{BOOKING}::test_editing_dates_rechecks_and_reprices",)),
    Mutation("move-checks-first-night-only", RESERVATIONS,
             (("    moving = [n for n in nights if n >= start]", "    moving = [n for n in nights if n >= start][:1]"),),
             (f"{RULES}::test_a_move_is_rechecked_on_every_night_it_covers",)),
    Mutation("code-reused", RESERVATIONS,
             (("        if not db.session.execute(select(Reservation.id).where(Reservation.confirmation_code == code)).first():",
               "        if True:"),),
             (f"{RULES}::test_a_confirmation_code_already_used_in_the_tenant_is_never_given_again",)),
    # --- booking: the database backstop (the schema comes from the migrations) -----------------------
    Mutation("db-no-one-household", RESERVATIONS_MIGRATION, NO_ONE_HOUSEHOLD,
             (f"{OCCUPANCY}::test_two_households_in_one_kennel_night_are_refused_by_the_database",)),
    Mutation("db-slot-unchecked", RESERVATIONS_MIGRATION,
             (("    sa.CheckConstraint('slot >= 1 AND slot <= capacity', name=op.f('ck_kennel_nights_slot_within_capacity')),\n",
               ""),),
             (f"{OCCUPANCY}::test_a_place_number_beyond_the_kennels_capacity_is_refused_by_its_check",)),
    # --- billing: re-pricing after issue, the panel, aging pages, the board ---------------------------
    Mutation("reprice-not-called", RESERVATIONS,
             (("        billing.reprice_issued(reservation, why=", "        0 and billing.reprice_issued(reservation, why="),),
             (f"{REPRICE}::test_a_longer_stay_adds_the_difference_as_adjustment_lines_and_keeps_the_issued_ones",
              f"{REPRICE}::test_a_stay_extended_after_check_in_is_billed_at_check_out")),
    Mutation("reprice-counts-every-adjustment", BILLING,
             (("            if _priced(line):", "            if True:"),),
             (f"{REPRICE}::test_other_adjustments_survive_a_re_pricing",)),
    Mutation("reprice-below-paid-allowed", BILLING,
             (("        if after < invoice.paid_cents:", "        if False:"),),
             (f"{REPRICE}::test_a_new_price_below_what_was_paid_is_refused_and_nothing_changes",)),
    Mutation("reprice-ledger-one-sided", BILLING,
             (("                debit=max(delta, 0), credit=max(-delta, 0), invoice_id=invoice.id)\n"
               "        audit.record(\"invoice.repriced\"",
               "                debit=max(delta, 0), invoice_id=invoice.id)\n        audit.record(\"invoice.repriced\""),),
             (f"{REPRICE}::test_a_shorter_stay_takes_service_and_tax_off_with_negative_adjustments",
              f"{STATEFUL}::test_any_sequence_of_money_operations_reconciles")),
    Mutation("panel-hides-voided", BILLING,
             (("            \"voided\": voided, \"payments\": payments,", "            \"voided\": [], \"payments\": payments,"),),
             (f"{WEB_BILLING}::test_voided_invoices_show_struck_with_their_reason_after_the_live_one",)),
    Mutation("cancel-outcome-stale", "app/web/billing.py",
             (("            html += _cancel_outcome_oob(reservation_id)\n", "            pass\n"),),
             (f"{WEB_BILLING}::test_a_payment_on_the_page_refreshes_the_cancel_outcome_out_of_band",)),
    Mutation("aging-page-ignored", "app/services/reports.py",
             (("        stmt = stmt.limit(size).offset((page - 1) * size)", "        stmt = stmt.limit(size)"),),
             ("tests/api/test_reports.py::test_the_aging_households_are_paged_and_the_totals_cover_every_page",)),
    Mutation("aging-totals-of-the-page", "app/services/reports.py",
             (("\"balance_cents\": int(owed),", "\"balance_cents\": sum(c[\"balance_cents\"] for c in customers),"),),
             ("tests/api/test_reports.py::test_the_aging_households_are_paged_and_the_totals_cover_every_page",)),
    Mutation("board-without-action-labels", "app/web/boards.py",
             (("            \"labels\": LABELS, \"actions\": ACTIONS,", "            \"labels\": LABELS,"),),
             ("tests/web/test_reservations.py::test_a_pending_arrival_today_is_on_the_board_with_its_confirm_button",)),
    # --- accounts ----------------------------------------------------------------------------------
    Mutation("expired-token-still-sets-password", "app/services/accounts.py",
             (("    if row is None or row.used_at is not None or row.expires_at <= utcnow():\n",
               "    if row is None or row.used_at is not None:\n"),
              ("    user.failed_logins = 0\n    # Every outstanding token",
               "    user.failed_logins = 0\n    if row.expires_at <= utcnow():\n        db.session.commit()\n"
               "        raise RuleViolation(\"This reset link is invalid or has expired.\",\n"
               "                            errors={\"token\": [\"Invalid or expired.\"]})\n"
               "    # Every outstanding token")),
             ("tests/web/test_auth.py::test_an_expired_reset_token_is_refused_and_the_password_is_unchanged",)),
    # --- jobs and the outbox (issue 11) ----------------------------------------------------------------
    Mutation("claim-not-conditional", OUTBOX,
             (("update(OutboxMessage).where(OutboxMessage.id == message_id, _due(now))",
               "update(OutboxMessage).where(OutboxMessage.id == message_id)"),),
             (f"{JOBS}::test_a_message_is_sent_once_however_often_it_is_handed_to_delivery",)),
    Mutation("sweep-skips-pending", OUTBOX,
             (("OutboxMessage.next_attempt_at <= now)", "OutboxMessage.next_attempt_at <= now, False)"),),
             (f"{JOBS}::test_failed_attempts_back_off_then_dead_letter_with_the_last_error",)),
    Mutation("lease-never-runs-out", OUTBOX,
             (("OutboxMessage.locked_until < now)", "OutboxMessage.locked_until < now, False)"),),
             (f"{JOBS}::test_a_message_whose_worker_died_mid_send_is_swept_once_its_lease_runs_out",)),
    Mutation("never-dead-letters", OUTBOX,
             (("dead = attempt >= int(config[\"OUTBOX_MAX_ATTEMPTS\"])", "dead = False"),),
             (f"{JOBS}::test_failed_attempts_back_off_then_dead_letter_with_the_last_error",)),
    Mutation("token-kept-after-send", OUTBOX,
             (("        values[\"secret\"] = None", "        pass"),),
             ("tests/services/test_mail.py::test_no_token_stays_in_the_outbox_once_the_mail_is_sent",)),
    Mutation("job-sees-every-tenant", "app/jobs/runner.py",
             (("from app.tenancy import TenantInfo, tenant_context", "from app.tenancy import TenantInfo, unscoped"),
              ("with tenant_context(TenantInfo.of(tenant)):", "with unscoped():")),
             (f"{JOBS}::test_a_job_for_tenant_a_reads_only_tenant_as_rows",)),
    Mutation("reminders-not-deduplicated", "app/services/notices.py",
             (("_send(kind, customer, values, dedupe_key=key)", "_send(kind, customer, values)"),),
             ("tests/services/test_notices.py::test_the_periodic_reminders_job_run_twice_queues_each_reminder_once_per_tenant",
              "tests/services/test_notices.py::test_two_schedulers_racing_queue_each_reminder_once")),
    Mutation("retry-any-state", OUTBOX,
             (("    if message.state != MessageState.DEAD:\n", "    if False:\n"),),
             (f"{OUTBOX_API}::test_a_dead_letter_is_retried_with_fresh_attempts_and_delivered_once",)),
    Mutation("retry-keeps-attempts", OUTBOX,
             (("values(state=MessageState.PENDING, attempts=0, next_attempt_at",
               "values(state=MessageState.PENDING, next_attempt_at"),),
             (f"{OUTBOX_API}::test_a_dead_letter_is_retried_with_fresh_attempts_and_delivered_once",)),
    Mutation("retry-not-audited", OUTBOX,
             (("    audit.record(\"outbox_message.retried\"", "    dict(\"outbox_message.retried\""),),
             (f"{OUTBOX_API}::test_a_dead_letter_is_retried_with_fresh_attempts_and_delivered_once",)),
    Mutation("retry-resends-a-dead-link", OUTBOX,
             (("(message.secret is None or not accounts.link_is_live(message.secret))", "message.secret is None"),),
             (f"{OUTBOX_API}::test_a_dead_invitation_whose_link_was_used_or_expired_is_not_resent",)),
    Mutation("managers-reword-staff-emails", TEMPLATES,
             (("channels=(Channel.EMAIL,), editor=Role.ADMIN,\n         required=(\"link\",)",
               "channels=(Channel.EMAIL,), editor=Role.MANAGER,\n         required=(\"link\",)"),),
             (f"{TEMPLATES_API}::test_staff_emails_are_edited_by_admins_only_and_must_keep_their_link_in_the_body",)),
    Mutation("link-allowed-in-subject", TEMPLATES,
             (("if field == \"subject\" and names & set(kind.body_only):", "if False:"),),
             (f"{TEMPLATES_API}::test_staff_emails_are_edited_by_admins_only_and_must_keep_their_link_in_the_body",)),
    Mutation("template-if-match-ignored", TEMPLATES,
             (("    row = _row(kind_, channel_)\n    _expect(row, expected_version)\n    if row is None:\n        row =",
               "    row = _row(kind_, channel_)\n    if row is None:\n        row ="),),
             (f"{TEMPLATES_API}::test_a_put_with_the_default_etag_creates_the_resorts_wording_and_a_stale_one_is_412",)),
    Mutation("invitation-ignores-template", "app/services/accounts.py",
             (("templates.render(templates.get_template(kind=kind, channel=Channel.EMAIL), {",
               "templates.render(templates.default(templates.KINDS[kind], Channel.EMAIL), {"),),
             (f"{TEMPLATES_API}::test_an_invitation_uses_the_resorts_own_wording_and_its_token_is_masked_in_storage",)),
    Mutation("spent-links-kept", "app/services/accounts.py",
             (("    _erase_dead_links(user)\n", ""),),
             ("tests/services/test_mail.py::test_a_used_reset_link_is_erased_from_the_development_outbox_too",)),
    # --- API key scopes, per-key limits, CORS ------------------------------------------------------
    Mutation("scope-check-skipped", "app/auth.py",
             (("        check_scope(key.scopes, request.endpoint, request.method)\n", "        pass\n"),),
             (f"{SCOPES_API}::test_a_booking_widget_key_books_a_stay_but_cannot_read_households",)),
    Mutation("unmapped-endpoint-let-through", "app/scopes.py",
             (("    if needed is UNMAPPED:\n        raise", "    if needed is UNMAPPED:\n        return\n        raise"),),
             (f"{SCOPES_API}::test_an_endpoint_missing_from_the_table_is_refused_not_let_through",)),
    Mutation("write-implies-read", "app/scopes.py",
             (("    if needed is not OPEN and needed not in granted:",
               "    if needed is not OPEN and needed not in granted and needed.replace(':read', ':write') not in granted:"),),
             (f"{SCOPES_API}::test_writing_does_not_include_reading",)),
    Mutation("scope-change-keeps-cached-key", "app/services/api_keys.py",
             (("        forget_api_key(key)  # before the commit: the next request reads the new scopes (app/core/cache.py)\n",
               ""),),
             (f"{SCOPES_API}::test_a_scope_change_applies_on_the_next_request_with_the_cache_warm",)),
    Mutation("expiry-ignored", "app/auth.py",
             (("    if key is not None and key.expired(utcnow()):", "    if key is not None and False:"),),
             (f"{SCOPES_API}::test_an_expired_key_is_a_401_saying_so_even_when_cached",)),
    Mutation("key-grants-wider-scopes", "app/services/api_keys.py",
             (("    if granted_by is not None:\n        scope_names.refuse_wider(stored, holder=granted_by.stored_scopes)\n", ""),),
             (f"{SCOPES_API}::test_a_key_cannot_grant_scopes_it_lacks",)),
    Mutation("key-outlives-its-maker", "app/services/api_keys.py",
             (("    if granted_by is not None and granted_by.expires_at is not None and expires_at > granted_by.expires_at:",
               "    if False:"),),
             (f"{SCOPES_API}::test_a_key_cannot_make_a_key_that_outlives_it",)),
    Mutation("no-key-bucket", "app/limits.py",
             (("    _api_tenant(blueprint)\n    _api_key(blueprint)\n", "    _api_tenant(blueprint)\n"),),
             (f"{LIMITS_API}::test_one_runaway_key_cannot_starve_another_key_of_its_tenant",)),
    Mutation("key-bucket-shared-by-the-tenant", "app/limits.py",
             (('    return f"tenant:{key.tenant_id}:key:{key.id}"', '    return f"tenant:{key.tenant_id}"'),),
             (f"{LIMITS_API}::test_one_runaway_key_cannot_starve_another_key_of_its_tenant",)),
    Mutation("key-limit-above-the-plan", "app/limits.py",
             (("    return max(1, min(explicit, plan_amount))", "    return max(1, explicit)"),),
             (f"{LIMITS_API}::test_a_key_limit_never_exceeds_its_tenants_plan",)),
    Mutation("headers-name-the-looser-bucket", "app/limits.py",
             (("        _report_the_tighter_bucket(response)\n", ""),),
             (f"{LIMITS_API}::test_successful_responses_carry_the_limit_headers_but_no_retry_after",)),
    Mutation("counters-read-one-by-one", "app/core/breaker.py",  # PostgreSQL only: SQLite has no Redis
             (('            ahead = [self.prefixed_key(k) for k in g.get("limiter_read_ahead", ())]',
               "            ahead = []"),),
             (f"{LIMITS_API}::test_both_buckets_are_read_and_spent_in_one_redis_round_trip_each",)),
    Mutation("counters-spent-one-by-one", "app/limits.py",  # PostgreSQL only, as above
             (("            if len(due) > 1:", "            if False:"),),
             (f"{LIMITS_API}::test_both_buckets_are_read_and_spent_in_one_redis_round_trip_each",)),
    Mutation("cors-any-origin", "app/cors.py",
             (("    return origin if origin in tenant.cors_origins else None", "    return origin"),),
             (f"{CORS_API}::test_a_disallowed_origin_gets_no_cors_headers",)),
    Mutation("cors-origin-of-another-tenant", "app/cors.py",
             (('    tenant = g.get("tenant")\n', '    from app.tenancy import lookup_tenant\n'
                                              '    tenant = lookup_tenant("alpha-paws") or g.get("tenant")\n'),),
             (f"{CORS_API}::test_one_tenants_origin_is_not_allowed_on_another_tenants_host",)),
    Mutation("cors-preflight-after-auth", "app/cors.py",
             (("        if not _is_preflight() or not _is_tenant_api():\n            return None\n",
               "        return None\n"),),
             (f"{CORS_API}::test_a_preflight_from_an_allowed_origin_is_answered_before_authentication",)),
    Mutation("cors-allows-credentials", "app/cors.py",
             (('            response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS\n',
               '            response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS\n'
               '            response.headers["Access-Control-Allow-Credentials"] = "true"\n'),),
             (f"{CORS_API}::test_actual_answers_carry_cors_headers_and_expose_what_clients_read",)),
    Mutation("cors-on-every-page", "app/cors.py",
             (("    return request.blueprint in _api_blueprints()", "    return request.blueprint is not None"),),
             (f"{CORS_API}::test_only_the_tenant_api_answers_cors",)),
    Mutation("cors-takes-http-origins", "app/cors.py",
             (('_ORIGIN = re.compile(rf"^https://(', '_ORIGIN = re.compile(rf"^https?://('),),
             (f"{CORS_API}::test_anything_but_an_https_origin_is_a_422_naming_the_field",)),
    # --- webhooks ----------------------------------------------------------------------------------
    Mutation("webhook-signs-body-only", WEBHOOKS,
             (('hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256)',
               'hmac.new(secret.encode(), body.encode(), hashlib.sha256)'),),
             (f"{RECEIVER}::test_every_event_reaches_its_tenants_receiver_exactly_once_and_verified",
              f"{WEBHOOKS_API}::test_each_event_reaches_only_its_tenants_endpoint_once_and_signed")),
    Mutation("webhook-disabled-one-failure-late", WEBHOOKS,
             (("WebhookEndpoint.consecutive_failures >= limit)", "WebhookEndpoint.consecutive_failures > limit)"),),
             (f"{WEBHOOKS_API}::test_an_endpoint_that_keeps_failing_is_switched_off_and_back_on_resets_it",)),
    Mutation("webhook-never-disabled", WEBHOOKS,
             (("    if not ok:\n        disabled = ", "    if False:\n        disabled = "),),
             (f"{WEBHOOKS_API}::test_an_endpoint_that_keeps_failing_is_switched_off_and_back_on_resets_it",)),
    Mutation("webhook-events-queued-again", WEBHOOKS,
             (("pending = session.info.pop(_PENDING, None)", "pending = session.info.get(_PENDING)"),),
             (f"{RECEIVER}::test_changes_committed_one_after_another_in_one_session_are_each_sent_once",)),
    Mutation("webhook-two-copies-per-endpoint", WEBHOOKS,
             (("    for endpoint in endpoints:\n        if subscribed_only",
               "    for endpoint in [*endpoints, *endpoints]:\n        if subscribed_only"),),
             (f"{RECEIVER}::test_every_event_reaches_its_tenants_receiver_exactly_once_and_verified",)),
    Mutation("webhook-events-survive-rollback", WEBHOOKS,
             (("def _forget_collected_events(session: Session) -> None:\n    session.info.pop(_PENDING, None)",
               "def _forget_collected_events(session: Session) -> None:\n    pass"),),
             (f"{WEBHOOKS_API}::test_a_change_that_rolls_back_sends_nothing",)),
    Mutation("webhook-follows-redirects", WEBHOOKS,
             (("    def redirect_request(self, *args, **kwargs):\n        return None",
               "    def redirect_request(self, *args, **kwargs):\n        return super().redirect_request(*args, **kwargs)"),),
             (f"{WEBHOOKS_API}::test_a_redirect_is_recorded_as_a_failure_and_never_followed",)),
    Mutation("webhook-private-allowed", WEBHOOKS,
             (("if not address.is_global or address.is_multicast:", "if False:"),),
             (f"{WEBHOOKS_API}::test_private_addresses_and_plain_http_are_refused_when_not_allowed",)),
    Mutation("webhook-page-ignores-version", "app/web/webhooks.py",
             (("expected_version=form_version(),", "expected_version=None,"),),
             (f"{WEBHOOKS_PAGE}::test_a_form_opened_before_someone_elses_save_is_refused_with_a_conflict",)),
    Mutation("webhook-page-for-managers", "app/web/webhooks.py",
             (('@bp.get("")\n@requires(Role.ADMIN)', '@bp.get("")\n@requires(Role.MANAGER)'),),
             (f"{WEBHOOKS_PAGE}::test_staff_and_managers_get_403_on_every_webhook_page",)),
    Mutation("webhook-page-secret-on-list", "templates/webhooks/_row.html",
             (('<td><code class="webhook-url">{{ endpoint.url }}</code>',
               '<td><code class="webhook-url">{{ endpoint.url }}</code><!-- {{ endpoint.secret }} -->'),),
             (f"{WEBHOOKS_PAGE}::test_a_new_endpoints_secret_is_shown_once_and_signs_its_deliveries",)),
    Mutation("webhook-page-last-attempt-per-row", "templates/webhooks/index.html",
             (("{% with last=last.get(endpoint.id) %}", "{% with last=webhook_last(endpoint.id) %}"),),
             (f"{WEBHOOKS_PAGE}::test_the_list_page_is_a_constant_number_of_queries",),
             more=(("app/web/webhooks.py", (("**_context())\n\n\n@bp.post(\"\")",
                                            "webhook_last=lambda i: webhooks.last_attempts([i]).get(i), **_context())"
                                            "\n\n\n@bp.post(\"\")"),)),)),
    # --- the OpenAPI document and the error shape -------------------------------------------------
    Mutation("operation-unnamed", "app/api/openapi_names.py",
             (('    "reservations.ReservationConfirm": {"post": "confirmReservation"},\n', ""),),
             (f"{OPENAPI_DOC}::test_every_operation_has_a_unique_operation_id_from_the_table",)),
    Mutation("enums-inline", "app/api/openapi.py", (("    hoist_enums(spec)\n", ""),),
             (f"{OPENAPI_DOC}::test_every_enum_is_one_named_component",
              f"{GENERATORS}::test_openapi_python_client_generates_with_default_settings_and_no_warnings")),
    Mutation("timezones-collide", "app/api/openapi.py",
             (('component["x-enum-varnames"] = enum_var_names(values)', 'pass'),),
             (f"{GENERATORS}::test_openapi_python_client_generates_with_default_settings_and_no_warnings",)),
    Mutation("errors-nested-by-location", "app/core/errors.py",
             (("        errors, location = flatten_locations(errors)\n", "        location = None\n"),),
             (f"{OPENAPI_DOC}::test_main_responses_match_the_document",
              "tests/api/test_customers.py::test_bad_input_is_422_naming_each_field_and_nothing_is_saved")),
    Mutation("no-bearer-challenge", "app/core/errors.py",
             (('        headers = {**headers, "WWW-Authenticate": bearer_challenge()}\n', "        pass\n"),),
             ("tests/api/test_api_keys.py::test_a_401_carries_a_bearer_challenge",)),
    Mutation("sometimes-absent-required", "app/api/openapi_schemas.py",
             (('    "Cancellation": {"fee_invoice_id"},', ""),),
             (f"{OPENAPI_DOC}::test_every_read_matches_the_document_after_a_whole_stay",)),
    Mutation("rate-limit-headers-undocumented", "app/api/openapi_errors.py",
             (('COMMON_HEADERS = ("X-Request-ID", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")',
               'COMMON_HEADERS = ("X-Request-ID",)'),),
             (f"{OPENAPI_DOC}::test_rate_limit_and_retry_headers_are_documented",)),
    # --- the change feed (branch `feed`) ---------------------------------------------------------------
    Mutation("feed-no-lag", "app/core/pagination.py",
             (("    if feed.is_feed and feed.horizon is not None:\n        stmt = stmt.where(changed <= feed.horizon)\n",
               ""),),
             (f"{FEED}::test_a_late_commit_stamped_before_a_seen_row_is_not_missed",)),
    Mutation("feed-since-exclusive", "app/core/pagination.py",
             (("stmt.where(changed >= feed.updated_since)", "stmt.where(changed > feed.updated_since)"),),
             (f"{FEED}::test_an_incremental_sync_sees_each_change_once_and_only_its_own_tenant",)),
    Mutation("feed-cursor-unbound-tenant", "app/api/paging.py",
             (('    return {"t": str(current_tenant().id), "p": request.path, "f": _filters_digest()}',
               '    return {"p": request.path, "f": _filters_digest()}'),),
             (f"{FEED}::test_another_tenants_cursor_is_refused",)),
    Mutation("feed-cursor-unbound-filters", "app/api/paging.py",
             (('"p": request.path, "f": _filters_digest()}', '"p": request.path}'),),
             (f"{FEED}::test_a_cursor_only_works_on_its_own_list_and_filters",)),
    Mutation("feed-cursor-as-offset", "app/core/pagination.py",
             (("        stmt = stmt.where(_after(keys, feed.after))\n        offset = 0\n",
               "        offset = page_size\n"),),
             (f"{FEED}::test_a_cursor_walk_neither_skips_nor_repeats_rows_inserted_between_pages",)),
    Mutation("feed-no-id-tiebreak", "app/core/pagination.py",
             (("        stmt = stmt.order_by(None).order_by(changed, entity.id)", "        stmt = stmt.order_by(None).order_by(changed)"),
              ("    if not any(column.key == \"id\" for column, _ in keys):", "    if False:")),
             (f"{FEED}::test_rows_sharing_an_updated_at_are_paged_by_id_without_a_skip_or_a_repeat",)),
    Mutation("tombstone-outside-flush", "app/models/deletions.py",
             (("        connection.execute(insert(Deletion.__table__).values(",
               "        from app.core.extensions import db\n        db.engine.begin().__enter__().execute(insert(Deletion.__table__).values("),),
             (f"{FEED}::test_a_rolled_back_delete_leaves_no_tombstone",)),
    Mutation("bulk-delete-allowed", "app/models/deletions.py",
             (("    if state.is_delete and not", "    if False and not"),),
             (f"{FEED}::test_a_bulk_delete_of_a_synced_table_is_refused",)),
    Mutation("tombstones-unscoped-by-scope", "app/api/deletions.py",
             (("    return principal_role is not None and principal_role.allows(Role(role)) and caller_may(scope)",
               "    return principal_role is not None"),),
             (f"{FEED}::test_tombstones_of_a_list_a_key_cannot_read_are_hidden_and_asking_is_a_403",)),
    Mutation("feed-naive-accepted", "app/api/paging.py",
             (('        raise _refuse("updated_since", "Give a time zone (e.g. Z or +02:00).")',
               '        value = value.replace(tzinfo=UTC)'),),
             (f"{FEED}::test_a_naive_or_malformed_updated_since_is_a_422_naming_it",)),
    Mutation("feed-list-undocumented", "app/api/paging.py",
             (('            parameters.extend(CURSOR_PARAMETERS)', '            pass'),),
             (f"{FEED}::test_every_list_of_the_resorts_rows_documents_the_feed_and_the_link_header",)),
    # Scale (branch `scale`): the seed-scale data and the fixes that keep cost from growing with history.
    Mutation("seed-kennels-overlap", "app/demo/scale.py",
             (("            free_from[room[0]] = end\n", "            pass\n"),),
             ("tests/test_seed_scale.py::test_no_kennel_holds_two_stays_on_a_night",)),
    Mutation("seed-invoice-number-gap", "app/demo/scale.py",
             (("        sequence += 1\n", "        sequence += 1 + (sequence == 5)\n"),),
             ("tests/test_seed_scale.py::test_invoice_numbers_are_gap_free_per_tenant_and_the_counter_follows",)),
    Mutation("seed-payments-short-of-paid", "app/demo/scale.py",
             (('"amount_cents": paid, "applied_cents": paid', '"amount_cents": paid // 2 + 1, "applied_cents": paid // 2 + 1'),),
             ("tests/test_seed_scale.py::test_invoices_are_the_stays_price_snapshots_and_payments_never_exceed_them",)),
    Mutation("seed-ledger-off-by-one", "app/demo/scale.py",
             (('"debit_cents": owed, "credit_cents": 0,', '"debit_cents": owed + 1, "credit_cents": 0,'),),
             ("tests/test_seed_scale.py::test_ledger_balances_are_the_open_invoices",)),
    Mutation("reservation-count-uncapped", "app/services/reservations.py",
             (("        ids, total = paginate(stmt, page=page, page_size=page_size or 50, count_beyond=COUNT_BEYOND)",
               "        ids, total = paginate(stmt, page=page, page_size=page_size or 50)"),),
             ("tests/api/test_reservations.py::test_the_list_count_stops_past_the_page_and_pages_come_in_order",)),
    Mutation("grid-loads-daycare", "app/services/boards.py",
             (("        _with_board_details(select(Reservation).where(Reservation.id.in_(ids), *shown), brief=True)).scalars()}",
               "        _with_board_details(select(Reservation).where(*shown), brief=True)).scalars()}"),),
             ("tests/services/test_boards.py::test_the_grid_and_cards_load_only_stays_that_need_a_kennel",)),
    Mutation("grid-page-loads-every-kennels-stays", "app/services/boards.py",
             (("                                            KennelNight.kennel_id.in_(kennel_ids))\n",
               "                                            )\n"),
              ("                                     ReservationPet.kennel_id.in_(kennel_ids))).scalars()",
               "                                     )).scalars()")),
             ("tests/services/test_boards.py::test_the_grid_pages_kennels_and_loads_only_the_pages_stays",)),
    Mutation("day-sheet-requirements-per-pet", "app/services/boards.py",
             (("                                               end=max(r.end_date, day), requirements=requirements)",
               "                                               end=max(r.end_date, day))"),),
             ("tests/services/test_boards.py::test_the_day_sheet_reads_the_cached_requirements_once_however_many_pets",)),
    # The tenant criteria as a bound parameter of one cached statement (issue 13: statement caching).
    Mutation("tenant-criteria-baked-into-sql", "app/tenancy.py",
             ((CRIT, CRIT.replace("cls.tenant_id == tenant_id", "cls.tenant_id == literal(tenant_id, literal_execute=True)")),
              ("from sqlalchemy import Table, event, inspect\n", "from sqlalchemy import Table, event, inspect, literal\n")),
             (STATEMENT_CACHE,)),
    Mutation("tenant-criteria-as-sql-text", "app/tenancy.py",
             ((CRIT, CRIT.replace("cls.tenant_id == tenant_id", "cls.tenant_id == literal_column(repr(str(tenant_id)))")),
              ("from sqlalchemy import Table, event, inspect\n",
               "from sqlalchemy import Table, event, inspect, literal_column\n")),
             (STATEMENT_CACHE,)),
    Mutation("page-numbers-without-depth-limit", "app/core/pagination.py",
             (("    if (page - 1) * page_size > MAX_DEPTH and (feed is None or feed.after is None):",
               "    if False:"),),
             ("tests/api/test_change_feed.py::test_page_numbers_stop_at_the_depth_limit_and_the_cursor_goes_on",)),
    Mutation("search-walks-name-order", "app/services/customers.py",
             (("    if condition is not None and _found_by_index(q):", "    if False:"),),
             ("tests/test_query_plans.py::test_a_search_is_found_by_its_matches_then_sorted_never_by_walking_the_name_order",)),
    Mutation("one-letter-search-sorted", "app/services/customers.py",
             (("any(len(w) >= 2 for w in search_terms(q))", "any(len(w) >= 1 for w in search_terms(q))"),),
             ("tests/test_query_plans.py::test_a_search_is_found_by_its_matches_then_sorted_never_by_walking_the_name_order",)),
    Mutation("customer-count-uncapped", "app/services/customers.py",
             (("    items, total = paginate(stmt, page=page, page_size=page_size, count_beyond=COUNT_BEYOND,\n",
               "    items, total = paginate(stmt, page=page, page_size=page_size, count_beyond=None,\n"),),
             ("tests/api/test_customers.py::test_the_list_count_stops_past_the_page_and_says_so",)),
    # Row-level policies the planner can read (issue 13: scale); PostgreSQL only.
    Mutation("policy-in-initplans", POLICY_MIGRATION,
             ((POLICY_TENANT, "TENANT = \"tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)\"\n"),),
             (PLANNER_POLICY,)),
    Mutation("policy-bypass-or-again", POLICY_MIGRATION,
             ((POLICY_TENANT, POLICY_TENANT.replace("::uuid", "::uuid OR current_setting('app.bypass', true) = 'on'")),),
             (PLANNER_POLICY, "tests/test_rls.py::test_the_operator_role_sees_every_tenant_by_its_policy_alone")),
    Mutation("operator-role-for-everyone", POLICY_MIGRATION,
             (('f"CREATE POLICY operator_access ON {table} TO {OPERATOR_ROLE} USING (true)',
               'f"CREATE POLICY operator_access ON {table} TO PUBLIC USING (true)'),),
             ("tests/test_rls.py",)),
    Mutation("like-not-leakproof", "migrations/versions/c7e1a9d4b2f0_row_level_security.py",
             (('LEAKPROOF = ("textlike(text, text)", "texticlike(text, text)")', 'LEAKPROOF = ("texticlike(text, text)",)'),),
             ("tests/test_rls.py::test_customer_search_can_still_use_its_trigram_index_under_the_policy",)),
]


def _apply(mutation: Mutation) -> dict[Path, str] | None:
    """{file: original text} when every patch of every file applies once, else None (nothing written)."""
    changed: dict[Path, tuple[str, str]] = {}
    for name, patches in mutation.files():
        path = ROOT / name
        original = text = path.read_text()
        for old, new in patches:
            if text.count(old) != 1:
                return None
            text = text.replace(old, new)
        if text == original:
            return None
        changed[path] = (original, text)
    for path, (_, text) in changed.items():
        path.write_text(text)
    return {path: original for path, (original, _) in changed.items()}


def run(mutation: Mutation) -> str:
    originals = _apply(mutation)
    if originals is None:
        return "NOT APPLIED"
    try:
        env = {**os.environ, "TAILTOWN_TEST_BACKEND": os.environ.get("TAILTOWN_TEST_BACKEND", "sqlite")}
        result = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                                 *mutation.tests], cwd=ROOT, env=env, capture_output=True, text=True)
    finally:
        for path, original in originals.items():
            path.write_text(original)
    if result.returncode == 0:
        return "SURVIVED"
    return "KILLED" if result.returncode == 1 else f"ERROR (pytest exit {result.returncode})"


def main(names: list[str]) -> int:
    chosen = [m for m in MUTATIONS if not names or m.name in names]
    unknown = set(names) - {m.name for m in MUTATIONS}
    if unknown:
        print(f"unknown mutations: {', '.join(sorted(unknown))}")
        return 2
    tests = sorted({t for m in chosen for t in m.tests})
    env = {**os.environ, "TAILTOWN_TEST_BACKEND": os.environ.get("TAILTOWN_TEST_BACKEND", "sqlite")}
    baseline = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests], cwd=ROOT,
                              env=env, capture_output=True, text=True)
    if baseline.returncode != 0:
        print("the named tests fail without any mutation; fix them first:\n" + baseline.stdout[-3000:])
        return 2
    outcomes = {}
    for mutation in chosen:
        outcomes[mutation.name] = run(mutation)
        print(f"{outcomes[mutation.name]:<12} {mutation.name:<40} {', '.join(n for n, _ in mutation.files())}",
              flush=True)
    survivors = [n for n, o in outcomes.items() if o != "KILLED"]
    print(f"\n{len(chosen) - len(survivors)} of {len(chosen)} killed" + (f"; not killed: {', '.join(survivors)}"
                                                                      if survivors else ""))
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
