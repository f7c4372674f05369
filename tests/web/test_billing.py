"""Billing pages: the reservation's billing panel (take payment, refunds), the cancellation outcome before
confirming, settling up at check-out, the printable invoice and the customer's Ledger tab. A second
tenant's invoices, payments and households are 404 and never shown."""
import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.core.extensions import db
from app.models import Invoice, InvoiceStatus, LedgerEntry, Payment, Refund, Reservation, Role
from app.services import billing, reservations, tenants
from app.services.compliance import tenant_today
from tests.conftest import hx_headers, web_login
from tests.services.test_billing import _book, _world, as_tenant


@pytest.fixture
def world(app, tenant_a, tenant_b):
    w = _world(app, tenant_a)
    w["b"] = _world(app, tenant_b)
    with as_tenant(app, tenant_a, Role.ADMIN):
        fx_a = tenants.update_settings(tenant_id=tenant_a.id, address="12 Bark Lane\nDogton DT1 2AB")
        w["resort"] = fx_a.name
    with as_tenant(app, tenant_b, Role.ADMIN):
        tenants.update_settings(tenant_id=tenant_b.id, address="99 Other Road")
    return w


def _signed_in(client, fx, role=Role.STAFF):
    web_login(client, fx, role)
    return hx_headers(client, fx)


def _booked(app, fx, w, *, start=10, nights=3, check_in=False):
    with as_tenant(app, fx):
        r = _book(w, start=start, nights=nights)
        if check_in:
            reservations.confirm(reservation_id=r.id)
            reservations.check_in(reservation_id=r.id, vaccine_override_reason="test: records on paper")
        return r.id, r.total_cents


def _paid(app, fx, rid, cents, method="CASH"):
    with as_tenant(app, fx):
        payment = billing.record_payment(reservation_id=rid, amount_cents=cents, method=method)
        return payment.id, payment.invoice_id


def _money(app, fx):
    """Counts of every money row in a tenant (nothing half-written when a form is refused)."""
    with as_tenant(app, fx):
        return tuple(db.session.scalar(select(func.count()).select_from(m))
                     for m in (Invoice, Payment, Refund, LedgerEntry))


def _invoice_of(app, fx, rid):
    with as_tenant(app, fx):
        inv = db.session.execute(select(Invoice).where(Invoice.reservation_id == rid,
                                                       Invoice.status != InvoiceStatus.VOID)).scalar_one()
        return inv.id, inv.status, inv.total_cents, inv.paid_cents


# --- the billing panel ----------------------------------------------------------------------------------


def test_the_reservation_page_shows_the_billing_panel_before_and_after_invoicing(app, client, world, tenant_a):
    rid, total = _booked(app, tenant_a, world)
    _signed_in(client, tenant_a)
    html = client.get(f"/reservations/{rid}", base_url=tenant_a.base_url).get_data(as_text=True)
    assert "Not invoiced yet" in html and f"{total / 100:.2f}" in html and "Take payment" in html
    _paid(app, tenant_a, rid, 1000)
    html = client.get(f"/reservations/{rid}", base_url=tenant_a.base_url).get_data(as_text=True)
    assert "INV-000001" in html and re.search(r"Walk x\d", html) and "Second dog" in html and "Tax 8.25%" in html
    assert re.search(r'class="invoice-paid">10\.00<', html)
    assert re.search(rf'class="invoice-balance"><strong>{(total - 1000) / 100:.2f}<', html)


def test_taking_a_payment_from_the_panel_records_it_and_shows_the_new_balance(app, client, world, tenant_a):
    rid, total = _booked(app, tenant_a, world)
    headers = _signed_in(client, tenant_a)
    r = client.post(f"/reservations/{rid}/payments", base_url=tenant_a.base_url, headers=headers,
                    data={"amount": "25.50", "method": "CHECK", "reference": "chq 1044"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and html.lstrip().startswith("<section") and "Payment of 25.50" in html
    assert "chq 1044" in html and re.search(rf'invoice-balance"><strong>{(total - 2550) / 100:.2f}<', html)
    _, status, _, paid = _invoice_of(app, tenant_a, rid)
    assert (status, paid) == (InvoiceStatus.PARTIALLY_PAID, 2550)


def test_voided_invoices_show_struck_with_their_reason_after_the_live_one(app, client, world, tenant_a, tenant_b):
    rid, _ = _booked(app, tenant_a, world)
    _, first = _paid(app, tenant_a, rid, 1000)
    with as_tenant(app, tenant_a):  # a manager voids it and reissues a corrected draft
        billing.void_invoice(invoice_id=first, reason="Wrong household on the booking", reissue=True)
    _, live = _paid(app, tenant_a, rid, 500)  # the reissued draft is issued with the next payment
    _signed_in(client, tenant_a)
    html = client.get(f"/reservations/{rid}", base_url=tenant_a.base_url).get_data(as_text=True)
    panel = html[html.index('class="billing-panel"'):]
    assert panel.index("INV-000002") < panel.index("Voided invoices") < panel.index("INV-000001")
    voided = panel[panel.index(f'id="voided-{first}"'):]
    voided = voided[:voided.index("</li>")]
    assert re.search(r"<s>.*INV-000001.*</s>", voided, re.S) and "VOID" in voided
    assert "Wrong household on the booking" in voided
    assert f'id="voided-{live}"' not in panel
    rid_b, _ = _booked(app, tenant_b, world["b"])  # the other resort sees none of it
    _signed_in(client, tenant_b)
    html_b = client.get(f"/reservations/{rid_b}", base_url=tenant_b.base_url).get_data(as_text=True)
    assert "Voided invoices" not in html_b and "Wrong household" not in html_b


def test_a_cancelled_stay_shows_its_voided_invoice_and_the_outcome(app, client, world, tenant_a):
    rid, _ = _booked(app, tenant_a, world, start=1)
    _, invoice_id = _paid(app, tenant_a, rid, 2000)
    with as_tenant(app, tenant_a):
        reservations.cancel(reservation_id=rid, reason="Family emergency")
    _signed_in(client, tenant_a)
    html = client.get(f"/reservations/{rid}", base_url=tenant_a.base_url).get_data(as_text=True)
    assert f'id="voided-{invoice_id}"' in html and "Reservation cancelled (forfeit)" in html
    assert "20.00 forfeited (cancellation fee)" in html
    assert "Not invoiced yet" not in html and "No live invoice" in html


def test_a_re_priced_invoice_shows_the_adjustment_and_its_reason(app, client, world, tenant_a):
    rid, _ = _booked(app, tenant_a, world)
    _paid(app, tenant_a, rid, 1000)
    with as_tenant(app, tenant_a):
        reservation = reservations.update_reservation(reservation_id=rid, end_date=tenant_today() + timedelta(days=14)).reservation
        total = reservation.total_cents
    _signed_in(client, tenant_a)
    html = client.get(f"/reservations/{rid}", base_url=tenant_a.base_url).get_data(as_text=True)
    assert "(adjustment: re-priced: dates" in html
    assert re.search(rf'class="invoice-total">{total / 100:.2f} ', html)


@pytest.mark.parametrize("form, field", [
    ({"amount": "abc", "method": "CASH"}, "amount"),
    ({"amount": "10.005", "method": "CASH"}, "amount"),
    ({"amount": "0", "method": "CASH"}, "amount"),
    ({"amount": "-5", "method": "CASH"}, "amount"),
    ({"amount": "", "method": "CASH"}, "amount"),
    ({"amount": "10", "method": ""}, "method"),
    ({"amount": "10", "method": "BITCOIN"}, "method"),
    ({"amount": "10", "method": "CARD"}, "approval_code"),
    ({"amount": "10", "method": "CASH", "approval_code": "A1B2"}, "approval_code"),
    ({"amount": "10", "method": "CASH", "reference": "x" * 101}, "reference"),
    ({"amount": "99999", "method": "CASH"}, "amount"),  # more than the balance, no credit ticked
])
def test_a_bad_payment_is_refused_naming_the_field_and_nothing_is_saved(app, client, world, tenant_a, form, field):
    rid, _ = _booked(app, tenant_a, world)
    _paid(app, tenant_a, rid, 100)  # an issued invoice, so the counts below would show any extra row
    before = _money(app, tenant_a)
    headers = _signed_in(client, tenant_a)
    r = client.post(f"/reservations/{rid}/payments", base_url=tenant_a.base_url, headers=headers, data=form)
    html = r.get_data(as_text=True)
    assert r.status_code == 422, html[:500]
    assert f'data-field="{field}"' in html
    assert _money(app, tenant_a) == before


def test_the_excess_is_taken_only_when_the_clerk_ticks_account_credit(app, client, world, tenant_a):
    rid, total = _booked(app, tenant_a, world)
    headers = _signed_in(client, tenant_a)
    over = f"{(total + 500) / 100:.2f}"
    r = client.post(f"/reservations/{rid}/payments", base_url=tenant_a.base_url, headers=headers,
                    data={"amount": over, "method": "CASH", "excess_to_credit": "on"})
    assert r.status_code == 200 and "account credit 5.00" in r.get_data(as_text=True)
    assert _invoice_of(app, tenant_a, rid)[1] == InvoiceStatus.PAID


def test_a_card_payment_records_the_terminal_approval_code(app, client, world, tenant_a):
    rid, _ = _booked(app, tenant_a, world)
    headers = _signed_in(client, tenant_a)
    r = client.post(f"/reservations/{rid}/payments", base_url=tenant_a.base_url, headers=headers,
                    data={"amount": "20", "method": "CARD", "approval_code": "AP-7731"})
    assert r.status_code == 200 and "approval AP-7731" in r.get_data(as_text=True)


# --- refunds ----------------------------------------------------------------------------------------------


def test_only_a_manager_refunds_and_sees_the_refund_form(app, client, world, tenant_a):
    rid, _ = _booked(app, tenant_a, world)
    pid, _ = _paid(app, tenant_a, rid, 3000)
    headers = _signed_in(client, tenant_a, Role.STAFF)
    assert f'id="refund-{pid}"' not in client.get(f"/reservations/{rid}", base_url=tenant_a.base_url).get_data(
        as_text=True)
    r = client.post(f"/payments/{pid}/refunds", base_url=tenant_a.base_url, headers=headers,
                    data={"amount": "10", "reason": "Overcharged"})
    assert r.status_code == 403 and _money(app, tenant_a)[2] == 0
    headers = _signed_in(client, tenant_a, Role.MANAGER)
    assert f'id="refund-{pid}"' in client.get(f"/reservations/{rid}", base_url=tenant_a.base_url).get_data(
        as_text=True)
    r = client.post(f"/payments/{pid}/refunds", base_url=tenant_a.base_url, headers=headers,
                    data={"amount": "10", "reason": "Overcharged", "destination": "ORIGINAL_METHOD"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Refund of 10.00" in html and "Refunded 10.00" in html and "Overcharged" in html
    assert _invoice_of(app, tenant_a, rid)[3] == 2000


@pytest.mark.parametrize("form, field", [
    ({"amount": "10", "reason": ""}, "reason"),
    ({"amount": "10", "reason": "   "}, "reason"),
    ({"amount": "", "reason": "Why"}, "amount"),
    ({"amount": "1.234", "reason": "Why"}, "amount"),
    ({"amount": "30.01", "reason": "Why"}, "amount"),  # more than was paid
    ({"amount": "10", "reason": "Why", "destination": "POCKET"}, "destination"),
])
def test_a_bad_refund_is_refused_naming_the_field_and_nothing_is_saved(app, client, world, tenant_a, form, field):
    rid, _ = _booked(app, tenant_a, world)
    pid, _ = _paid(app, tenant_a, rid, 3000)
    before = _money(app, tenant_a)
    headers = _signed_in(client, tenant_a, Role.MANAGER)
    r = client.post(f"/payments/{pid}/refunds", base_url=tenant_a.base_url, headers=headers, data=form)
    html = r.get_data(as_text=True)
    assert r.status_code == 422, html[:500]
    assert f'data-field="{field}"' in html
    assert _money(app, tenant_a) == before


# --- cancellation outcome -----------------------------------------------------------------------------


@pytest.mark.parametrize("start, words", [(10, "is refunded"), (3, "kept as account credit"), (1, "forfeited")])
def test_the_cancel_form_shows_what_happens_to_the_deposit_before_confirming(app, client, world, tenant_a,
                                                                              start, words):
    rid, _ = _booked(app, tenant_a, world, start=start)
    _paid(app, tenant_a, rid, 2000)
    _signed_in(client, tenant_a)
    html = client.get(f"/reservations/{rid}", base_url=tenant_a.base_url).get_data(as_text=True)
    form = html[html.index(f'id="act-cancel-{rid}"'):]
    form = form[:form.index("</form>")]
    assert "If cancelled now" in form and words in form and "20.00" in form


def test_a_payment_on_the_page_refreshes_the_cancel_outcome_out_of_band(app, client, world, tenant_a):
    rid, _ = _booked(app, tenant_a, world, start=1)
    headers = _signed_in(client, tenant_a)
    html = client.get(f"/reservations/{rid}", base_url=tenant_a.base_url).get_data(as_text=True)
    assert f'id="cancel-outcome-{rid}"' in html and "nothing has been paid" in html
    r = client.post(f"/reservations/{rid}/payments", base_url=tenant_a.base_url, headers=headers,
                    data={"amount": "20.00", "method": "CASH"})
    html = r.get_data(as_text=True)
    outcome = html[html.index(f'id="cancel-outcome-{rid}"'):]
    assert r.status_code == 200 and 'hx-swap-oob="true"' in outcome[:200]
    assert "20.00 paid is forfeited" in outcome[:outcome.index("</p>")]


def test_the_cancel_form_says_nothing_was_paid(app, client, world, tenant_a):
    rid, _ = _booked(app, tenant_a, world)
    _signed_in(client, tenant_a)
    html = client.get(f"/reservations/{rid}", base_url=tenant_a.base_url).get_data(as_text=True)
    assert "nothing has been paid" in html


# --- check-out: settle up on the same screen ----------------------------------------------------------------


def test_check_out_on_the_board_shows_the_balance_and_takes_the_payment_in_place(app, client, world, tenant_a):
    rid, _ = _booked(app, tenant_a, world, start=0, nights=1, check_in=True)
    with as_tenant(app, tenant_a):
        db.session.execute(db.update(Reservation).where(Reservation.id == rid).values(
            end_date=tenant_today()).execution_options(synchronize_session=False))
        db.session.commit()
        version = db.session.get(Reservation, rid).version
    headers = _signed_in(client, tenant_a)
    board = client.get("/", base_url=tenant_a.base_url).get_data(as_text=True)
    assert f"act-check-out-departures-{rid}" in board
    day = tenant_today_of(app, tenant_a).isoformat()
    r = client.post(f"/reservations/{rid}/check-out", base_url=tenant_a.base_url, headers=headers,
                    data={"from": "board", "day": day, "version": version})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and r.headers["HX-Retarget"] == "#today" and "checked out" in html
    _, status, total, _ = _invoice_of(app, tenant_a, rid)
    assert status == InvoiceStatus.ISSUED
    assert f'id="pay-board-{rid}"' in html and re.search(rf'invoice-balance"><strong>{total / 100:.2f}<', html)
    r = client.post(f"/reservations/{rid}/payments", base_url=tenant_a.base_url, headers=headers,
                    data={"from": "board", "day": day, "amount": f"{total / 100:.2f}", "method": "CASH"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and r.headers["HX-Retarget"] == "#today" and "Payment of" in html
    assert _invoice_of(app, tenant_a, rid)[1] == InvoiceStatus.PAID
    assert f'id="pay-board-{rid}"' not in html  # nothing left to pay
    r = client.post(f"/reservations/{rid}/payments", base_url=tenant_a.base_url, headers=headers,
                    data={"from": "board", "day": day, "amount": "1", "method": "CASH"})
    assert r.status_code == 422 and r.headers["HX-Retarget"] == "#today" and 'data-field="amount"' in r.get_data(
        as_text=True)


def tenant_today_of(app, fx):
    with as_tenant(app, fx):
        return tenant_today()


def test_check_out_on_the_reservation_page_lands_on_the_balance_and_payment_form(app, client, world, tenant_a):
    rid, _ = _booked(app, tenant_a, world, start=0, nights=1, check_in=True)
    headers = _signed_in(client, tenant_a)
    page = client.get(f"/reservations/{rid}", base_url=tenant_a.base_url).get_data(as_text=True)
    assert "Balance on this stay before check-out" in page
    with as_tenant(app, tenant_a):
        version = db.session.get(Reservation, rid).version
    r = client.post(f"/reservations/{rid}/check-out", base_url=tenant_a.base_url, headers=headers,
                    data={"version": version})
    assert r.status_code == 204 and r.headers["HX-Redirect"].endswith(f"/reservations/{rid}#billing")
    html = client.get(f"/reservations/{rid}", base_url=tenant_a.base_url).get_data(as_text=True)
    assert "INV-000001" in html and f'id="pay-{rid}"' in html


# --- the printable invoice ------------------------------------------------------------------------------


def test_the_invoice_page_prints_with_the_resorts_name_and_address(app, client, world, tenant_a):
    rid, _ = _booked(app, tenant_a, world)
    _, iid = _paid(app, tenant_a, rid, 1000)
    _signed_in(client, tenant_a)
    r = client.get(f"/invoices/{iid}", base_url=tenant_a.base_url)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and world["resort"] in html
    assert "12 Bark Lane" in html and "Dogton DT1 2AB" in html and "99 Other Road" not in html
    assert "INV-000001" in html and "Ann Smith" in html and re.search(r"Walk x\d", html)
    assert 'href="/static/css/invoice-print.css"' in html and 'media="print"' in html
    css = client.get("/static/css/invoice-print.css", base_url=tenant_a.base_url).get_data(as_text=True)
    assert "@media print" in css


def test_the_printed_invoice_shows_a_card_payments_terminal_approval_code(app, client, world, tenant_a):
    rid, _ = _booked(app, tenant_a, world)
    with as_tenant(app, tenant_a):
        payment = billing.record_payment(reservation_id=rid, amount_cents=1000, method="CARD", approval_code="AP7731")
        iid = payment.invoice_id
    _signed_in(client, tenant_a)
    html = client.get(f"/invoices/{iid}", base_url=tenant_a.base_url).get_data(as_text=True)
    assert "approval AP7731" in html


# --- the ledger tab ------------------------------------------------------------------------------------------


def test_the_ledger_tab_lists_rows_with_a_running_balance_and_the_derived_balance(app, client, world, tenant_a):
    rid, total = _booked(app, tenant_a, world)
    pid, _ = _paid(app, tenant_a, rid, 1500)
    _signed_in(client, tenant_a)
    page = client.get(f"/customers/{world['smith']}", base_url=tenant_a.base_url).get_data(as_text=True)
    assert f'href="/customers/{world["smith"]}/ledger"' in page
    html = client.get(f"/customers/{world['smith']}/ledger", base_url=tenant_a.base_url).get_data(as_text=True)
    running = re.findall(r'class="num running">([-\d.]+)<', html)
    assert running == [f"{total / 100:.2f}", f"{(total - 1500) / 100:.2f}"]
    assert re.search(rf'ledger-balance"><strong>{(total - 1500) / 100:.2f}<', html)
    assert 'aria-current="page">Ledger' in html


def test_the_ledger_tab_is_a_constant_number_of_statements(app, client, world, tenant_a, count_queries):
    rid, _ = _booked(app, tenant_a, world)
    _paid(app, tenant_a, rid, 1000)
    _signed_in(client, tenant_a)
    url = f"/customers/{world['smith']}/ledger"
    client.get(url, base_url=tenant_a.base_url)  # warm the tenant and customer caches
    with count_queries() as few:
        assert client.get(url, base_url=tenant_a.base_url).status_code == 200
    for start in (20, 30, 40):
        other, _ = _booked(app, tenant_a, world, start=start)
        _paid(app, tenant_a, other, 500)
        _paid(app, tenant_a, other, 700)
    client.get(url, base_url=tenant_a.base_url)
    with count_queries() as many:
        html = client.get(url, base_url=tenant_a.base_url).get_data(as_text=True)
    assert html.count('class="ledger-row ') == 2 + 3 * 3
    assert many.count == few.count, many.statements


# --- the other tenant ----------------------------------------------------------------------------------------


def test_another_tenants_invoices_payments_and_ledgers_are_404_and_never_shown(app, client, world, tenant_a,
                                                                                tenant_b):
    b_rid, _ = _booked(app, tenant_b, world["b"])
    b_pid, b_iid = _paid(app, tenant_b, b_rid, 1234)
    a_rid, _ = _booked(app, tenant_a, world)
    before_a, before_b = _money(app, tenant_a), _money(app, tenant_b)
    headers = _signed_in(client, tenant_a, Role.MANAGER)
    base = tenant_a.base_url
    assert client.get(f"/invoices/{b_iid}", base_url=base).status_code == 404
    assert client.get(f"/invoices/{uuid.uuid4()}", base_url=base).status_code == 404
    assert client.get(f"/customers/{world['b']['smith']}/ledger", base_url=base).status_code == 404
    assert client.get(f"/reservations/{b_rid}", base_url=base).status_code == 404
    assert client.post(f"/payments/{b_pid}/refunds", base_url=base, headers=headers,
                       data={"amount": "1", "reason": "x"}).status_code == 404
    assert client.post(f"/reservations/{b_rid}/payments", base_url=base, headers=headers,
                       data={"amount": "1", "method": "CASH"}).status_code == 404
    assert (_money(app, tenant_a), _money(app, tenant_b)) == (before_a, before_b)
    for url in (f"/reservations/{a_rid}", f"/customers/{world['smith']}/ledger", "/"):
        html = client.get(url, base_url=base).get_data(as_text=True)
        assert str(b_iid) not in html and str(b_pid) not in html and "12.34" not in html
    with as_tenant(app, tenant_b):
        assert billing.get_invoice(invoice_id=b_iid).paid_cents == 1234
