"""Booking messages and reminders land in the outbox in the right transaction, in the tenant's currency and
timezone, once per record however often the scheduler runs, and never for another tenant (both backends)."""
import threading
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import g
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.core.errors import RuleViolation
from app.core.extensions import db
from app.jobs import run_inline_jobs
from app.jobs.runner import run
from app.models import Customer, MessageState, OutboxMessage, Reservation, Role
from app.services import catalog, customers, kennels, notices, optout, pets, reservations, templates, tenants
from app.services.compliance import tenant_today
from app.tenancy import lookup_tenant, tenant_context, unscoped

SETTINGS = {"alpha-paws": {"currency": "EUR", "timezone": "Pacific/Kiritimati", "address": "1 Alpha Road, Springfield",
                           "phone": "+1 303 555 0101"},
            "bravo-barks": {"currency": "GBP", "timezone": "Pacific/Pago_Pago", "address": "2 Bravo Street, Leeds",
                            "phone": "+44 113 555 0102"}}


@contextmanager
def as_tenant(app, fx, role=Role.MANAGER):
    with app.test_request_context(base_url=fx.base_url), tenant_context(lookup_tenant(fx.subdomain)):
        g.principal_role = role
        yield
        db.session.rollback()


def _world(app, fx):
    with as_tenant(app, fx):
        tenant = lookup_tenant(fx.subdomain)
        tenants.update_settings(tenant_id=tenant.id, **SETTINGS[fx.subdomain])
    with as_tenant(app, fx):
        boarding = catalog.create_service(name="Boarding", category="BOARDING", price_cents=5000,
                                          price_unit="PER_NIGHT", kennel_types=["RUN"], allowed_species=["DOG"],
                                          deposit_kind="FIXED", deposit_cents=2500)
        kennels.create_kennel(code="A01", type="RUN", size="L", capacity=2)
        smith = customers.create_customer(first_name="Ann", last_name="Smith", email=f"ann@{fx.subdomain}.example",
                                          phone="+15555550100")
        rex = pets.create_pet(customer_id=smith.id, name="Rex", species="DOG")
        bella = pets.create_pet(customer_id=smith.id, name="Bella", species="DOG")
        return {"boarding": boarding.id, "smith": smith.id, "rex": rex.id, "bella": bella.id}


@pytest.fixture
def world(app, tenant_a, tenant_b):
    app.config["REMINDER_HOUR"] = 9
    return {"a": _world(app, tenant_a), "b": _world(app, tenant_b)}


def _book(w, start=2, end=4, pet_ids=("rex", "bella"), **kw):
    today = tenant_today()
    return reservations.book_stay(customer_id=w["smith"], service_id=w["boarding"],
                                  start_date=today + timedelta(days=start), end_date=today + timedelta(days=end),
                                  pets=[{"pet_id": w[p]} for p in pet_ids], vaccine_override_reason="on paper", **kw)


def _messages(app, **where):
    with app.app_context(), unscoped():
        query = select(OutboxMessage).order_by(OutboxMessage.created_at)
        for name, value in where.items():
            query = query.where(getattr(OutboxMessage, name) == value)
        rows = db.session.execute(query).scalars().all()
        db.session.expunge_all()
    return rows


def test_a_booking_confirmed_at_once_sends_the_confirmation_with_price_deposit_dates_pets_and_kennel(
        app, world, tenant_a, tenant_b):
    with as_tenant(app, tenant_a):
        booked = _book(world["a"], confirm=True)
        code, start = booked.reservation.confirmation_code, booked.reservation.start_date
        run_inline_jobs()
    (message,) = _messages(app)
    assert message.tenant_id == tenant_a.id and message.kind == "booking_confirmation"
    assert message.recipient == "ann@alpha-paws.example" and message.state == MessageState.SENT
    body = message.body
    # Two dogs, two nights at 50.00 = 200.00 in euros (the tenant's currency), deposit 25.00.
    assert "Total: €200.00" in body and "Deposit: €25.00" in body and "$" not in body
    assert f"Arrival: {notices.day(start)}" in body and "Pets: Rex and Bella" in body and "Kennel: A01" in body
    assert f"Confirmation code: {code}" in body and "Alpha Paws" in body and "1 Alpha Road, Springfield" in body
    assert "/unsubscribe/" in body and message.subject.startswith("Booking confirmed: Rex and Bella")


def test_a_pending_booking_sends_nothing_until_it_is_confirmed(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        booked = _book(world["a"])
        assert _messages(app) == []
        reservations.confirm(reservation_id=booked.reservation.id)
    assert [m.kind for m in _messages(app)] == ["booking_confirmation"]


def test_a_booking_whose_transaction_rolls_back_leaves_no_message(app, world, tenant_a):
    def fail_at_commit(session):  # the reservation is flushed by now; the message waits for the commit's flush
        if any(isinstance(o, OutboxMessage) for o in session.new):
            raise RuntimeError("the database went away at commit")

    event.listen(Session, "before_commit", fail_at_commit)
    try:
        with as_tenant(app, tenant_a), pytest.raises(RuntimeError):
            _book(world["a"], confirm=True)
    finally:
        event.remove(Session, "before_commit", fail_at_commit)
    with app.app_context():
        run_inline_jobs()
    with app.app_context(), unscoped():
        assert db.session.execute(select(Reservation)).first() is None
    assert _messages(app) == []


def test_a_change_of_dates_on_a_confirmed_stay_sends_a_change_notice_naming_old_and_new(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        booked = _book(world["a"], confirm=True)
        old_end = booked.reservation.end_date
        reservations.update_reservation(reservation_id=booked.reservation.id, notes="late pickup")
        reservations.update_reservation(reservation_id=booked.reservation.id, end_date=old_end + timedelta(days=1))
    change = [m for m in _messages(app) if m.kind == "booking_changed"]
    assert len(change) == 1  # the notes edit sent nothing
    body = change[0].body
    assert f"to {notices.day(old_end)} → " in body and f"to {notices.day(old_end + timedelta(days=1))}" in body
    assert "Total: €200.00 → €300.00" in body


def test_an_edit_of_a_pending_booking_sends_no_change_notice(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        booked = _book(world["a"])
        reservations.update_reservation(reservation_id=booked.reservation.id,
                                        end_date=booked.reservation.end_date + timedelta(days=1))
    assert _messages(app) == []


def test_cancelling_a_confirmed_stay_sends_a_cancellation_and_a_pending_one_does_not(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        told = _book(world["a"], confirm=True, pet_ids=("rex",))
        untold = _book(world["a"], start=6, end=7, pet_ids=("bella",))
        reservations.cancel(reservation_id=told.reservation.id, reason="owner called")
        reservations.cancel(reservation_id=untold.reservation.id, reason="owner called")
    kinds = [m.kind for m in _messages(app)]
    assert kinds == ["booking_confirmation", "booking_cancelled"]
    assert "owner called" not in _messages(app, kind="booking_cancelled")[0].body  # staff notes stay inside


def _noon_tomorrow_eve(fx):
    """Noon local time on the tenant's today (in UTC this is the day before, for UTC+14)."""
    zone = ZoneInfo(SETTINGS[fx.subdomain]["timezone"])
    return datetime.combine(datetime.now(zone).date(), time(12, 0), zone)


def test_the_arrival_reminder_goes_the_day_before_in_the_tenants_timezone_once_however_often_it_runs(
        app, world, tenant_a, tenant_b):
    with as_tenant(app, tenant_a):
        tomorrow = _book(world["a"], start=1, end=3, confirm=True, pet_ids=("rex",))
        _book(world["a"], start=2, end=3, confirm=True, pet_ids=("bella",))  # the day after: not yet
        early = notices.send_reminders(now=_noon_tomorrow_eve(tenant_a).replace(hour=7))
        first = notices.send_reminders(now=_noon_tomorrow_eve(tenant_a))
        second = notices.send_reminders(now=_noon_tomorrow_eve(tenant_a) + timedelta(hours=1))
        stay_id, start = tomorrow.reservation.id, tomorrow.reservation.start_date
    assert early["arrival"] == 0  # before REMINDER_HOUR local time nobody is texted
    assert first["arrival"] == 1 and second["arrival"] == 0
    (reminder,) = _messages(app, kind="arrival_reminder")
    assert reminder.dedupe_key == f"arrival:{stay_id}:EMAIL" and reminder.tenant_id == tenant_a.id
    assert "arrive tomorrow" in reminder.body and notices.day(start) in reminder.body
    with as_tenant(app, tenant_b):
        assert notices.send_reminders(now=_noon_tomorrow_eve(tenant_b)) == {"arrival": 0, "vaccine": 0}


def test_the_periodic_reminders_job_run_twice_queues_each_reminder_once_per_tenant(app, world, tenant_a, tenant_b):
    app.config["REMINDER_HOUR"] = 0
    for fx, w in ((tenant_a, world["a"]), (tenant_b, world["b"])):
        with as_tenant(app, fx):
            _book(w, start=1, end=2, confirm=True)
            pets.add_vaccination(pet_id=w["rex"], vaccine="Rabies", given_on=date(2024, 1, 1),
                                 expires_on=tenant_today() + timedelta(days=5))
    for _ in range(2):
        with app.app_context():
            run("notices.reminders", None, {})  # fans out one job per tenant (inline)
    rows = _messages(app)
    by = {(r.tenant_id, r.kind) for r in rows if r.kind.endswith("reminder")}
    assert by == {(t.id, k) for t in (tenant_a, tenant_b) for k in ("arrival_reminder", "vaccine_reminder")}
    assert len([r for r in rows if r.kind.endswith("reminder")]) == 4


def test_vaccine_reminders_go_the_configured_days_before_expiry_once_per_record(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        today = tenant_today()
        soon = pets.add_vaccination(pet_id=world["a"]["rex"], vaccine="Rabies", given_on=date(2024, 1, 1),
                                    expires_on=today + timedelta(days=10))
        pets.add_vaccination(pet_id=world["a"]["rex"], vaccine="Bordetella", given_on=date(2024, 1, 1),
                             expires_on=today + timedelta(days=20))  # beyond the 14 days
        pets.add_vaccination(pet_id=world["a"]["bella"], vaccine="Rabies", given_on=date(2024, 1, 1),
                             expires_on=today + timedelta(days=3))
        pets.add_vaccination(pet_id=world["a"]["bella"], vaccine="Rabies", given_on=today,
                             expires_on=today + timedelta(days=365))  # renewed: no reminder for the old record
        assert notices.vaccine_reminders(today=today) == 1
        db.session.commit()
        assert notices.vaccine_reminders(today=today) == 0
        soon_id, expires = soon.id, soon.expires_on
    (message,) = _messages(app, kind="vaccine_reminder")
    assert message.dedupe_key == f"vaccine:{soon_id}:EMAIL"
    assert "Rex's Rabies vaccination expires on" in message.body and notices.day(expires) in message.body


def test_no_vaccine_reminders_when_the_setting_is_zero(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        tenants.update_settings(tenant_id=lookup_tenant(tenant_a.subdomain).id, vaccine_reminder_days=0)
    with as_tenant(app, tenant_a):
        pets.add_vaccination(pet_id=world["a"]["rex"], vaccine="Rabies", given_on=date(2024, 1, 1),
                             expires_on=tenant_today() + timedelta(days=2))
        assert notices.vaccine_reminders(today=tenant_today()) == 0


@pytest.mark.postgres
def test_two_schedulers_racing_queue_each_reminder_once(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        _book(world["a"], start=1, end=2, confirm=True)
        pets.add_vaccination(pet_id=world["a"]["rex"], vaccine="Rabies", given_on=date(2024, 1, 1),
                             expires_on=tenant_today() + timedelta(days=5))
    barrier, results, errors = threading.Barrier(3), [], []

    def race():
        try:
            with app.app_context(), as_tenant(app, tenant_a):
                barrier.wait()
                results.append(notices.send_reminders(now=_noon_tomorrow_eve(tenant_a)))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=race) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(r["arrival"] for r in results) == 1 and sum(r["vaccine"] for r in results) == 1
    assert len(_messages(app, kind="arrival_reminder")) == 1 and len(_messages(app, kind="vaccine_reminder")) == 1


def test_an_opted_out_customer_gets_no_message_only_a_suppressed_record(app, world, tenant_a):
    with as_tenant(app, tenant_a):
        optout.unsubscribe(token=optout.unsubscribe_token(world["a"]["smith"]))
        _book(world["a"], confirm=True)
        run_inline_jobs()
    (message,) = _messages(app)
    assert message.state == MessageState.SUPPRESSED and message.sent_at is None and "unsubscribed" in message.last_error


def test_stop_by_text_suppresses_texts_for_that_tenants_household_only(app, world, tenant_a, tenant_b):
    for fx, w in ((tenant_a, world["a"]), (tenant_b, world["b"])):
        with as_tenant(app, fx):
            customers.update_customer(customer_id=w["smith"], preferred_contact="SMS")
    with as_tenant(app, tenant_a):
        assert optout.inbound_sms(sender="(555) 555-0100", text=" stop ") == "stop"
        _book(world["a"], confirm=True)
    with as_tenant(app, tenant_b):
        _book(world["b"], confirm=True)
    states = {m.tenant_id: m.state for m in _messages(app)}
    assert states[tenant_a.id] == MessageState.SUPPRESSED
    assert states[tenant_b.id] in (MessageState.PENDING, MessageState.SENT)
    with as_tenant(app, tenant_a):
        assert optout.inbound_sms(sender="+15555550100", text="START") == "start"
        assert db.session.get(Customer, world["a"]["smith"]).sms_opt_out_at is None


def test_a_resorts_template_is_used_for_its_own_messages_only(app, world, tenant_a, tenant_b):
    with as_tenant(app, tenant_a):
        templates.save_template(kind="booking_confirmation", channel="EMAIL", subject="Yay {pet_names}!",
                                body="See you {start_date}. Pay {deposit} now. {resort_name}")
        _book(world["a"], confirm=True)
    with as_tenant(app, tenant_b):
        assert templates.get_template(kind="booking_confirmation", channel="EMAIL").custom is False
        _book(world["b"], confirm=True)
    a, b = (_messages(app, tenant_id=t.id)[0] for t in (tenant_a, tenant_b))
    assert a.subject == "Yay Rex and Bella!" and "Pay €25.00 now. Alpha Paws" in a.body
    assert b.subject.startswith("Booking confirmed") and "Deposit: £25.00" in b.body


@pytest.mark.parametrize("body", ["{nope}", "{customer.__class__}", "{pet_names[0]}", "{total!r}", "{total:>99999}",
                                  "a lone { brace"])
def test_a_template_with_unknown_or_unsafe_placeholders_is_refused_naming_them(app, world, tenant_a, body):
    with as_tenant(app, tenant_a), pytest.raises(RuleViolation) as exc:
        templates.save_template(kind="booking_confirmation", channel="EMAIL", subject="Hi", body=body)
    assert "body" in exc.value.errors and "subject" not in exc.value.errors
    if body == "{nope}":
        assert "{nope}" in exc.value.errors["body"][0]
    with as_tenant(app, tenant_a):
        assert templates.get_template(kind="booking_confirmation", channel="EMAIL").custom is False
