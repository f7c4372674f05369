"""Billing pages: the stay's billing panel (take payment, refunds), the printable invoice, the customer's ledger tab."""
from decimal import InvalidOperation

from flask import flash, render_template, request, url_for

from app.auth import requires
from app.core.errors import Conflict, DomainError, PermissionDenied, RuleViolation
from app.models import PaymentMethod, RefundDestination, Role
from app.services import billing, customers, reservations, tenants
from app.tenancy import current_tenant
from app.web.booking_form import LABELS, Reader
from app.web.common import _cents as typed_cents, is_htmx, navigate, page_blueprint

bp = page_blueprint("billing_pages", __name__)
FORM_ERRORS = (RuleViolation, Conflict, PermissionDenied)
MONEY_LABELS = {**LABELS, "amount": "Amount", "method": "Method", "reference": "Reference",
                "approval_code": "Approval code", "destination": "Refund to", "invoice_id": "Invoice",
                "reservation_id": "Reservation"}


def _amount(read: Reader, name: str = "amount") -> int | None:
    """An amount typed in currency units ("45.50") as cents; a missing or malformed one is named."""
    raw = read.text(name)
    if not raw:
        read.errors[name] = ["Enter an amount, e.g. 45.50."]
        return None
    try:
        return typed_cents(raw)
    except (InvalidOperation, ValueError):
        read.errors[name] = ["An amount with at most two decimals, e.g. 45.50."]
        return None


def _named(exc: DomainError) -> DomainError:
    """The service names amounts in cents; the form's input is `amount`."""
    if exc.errors and "amount_cents" in exc.errors:
        exc.errors["amount"] = exc.errors.pop("amount_cents")
    return exc


def panel_context(reservation_id, **extra) -> dict:
    """What the billing panel template needs for one stay."""
    return {"account": billing.stay_account(reservation_id=reservation_id), "methods": list(PaymentMethod),
            "destinations": list(RefundDestination), "money_labels": MONEY_LABELS, "pay_errors": {},
            "pay_message": None, "refund_errors": {}, "refund_message": None, "refund_for": None,
            "pay_form": {}, "from_board": False, "day": "", **extra}


def _panel(reservation_id, status: int = 200, **extra):
    """The panel in place for htmx; otherwise the reservation page with the panel's state."""
    if is_htmx() and request.form.get("from") != "board":
        html = render_template("billing/_panel.html", p=panel_context(reservation_id, **extra))
        if status == 200:  # money moved: the cancel form's "if cancelled now" must follow it
            html += _cancel_outcome_oob(reservation_id)
        return html, status
    from app.web.reservations import _show_context

    r = reservations.get_reservation(reservation_id=reservation_id)
    return render_template("reservations/show.html", **_show_context(r, billing=panel_context(reservation_id, **extra))), status


def _cancel_outcome_oob(reservation_id) -> str:
    """The reservation page's cancellation outcome, out of band, when the stay can still be cancelled."""
    r = reservations.get_reservation(reservation_id=reservation_id)
    if "CANCELLED" not in reservations.allowed_actions(r):
        return ""
    return render_template("reservations/_cancel_outcome.html", oob=True,
                           cp=billing.cancellation_preview(reservation_id=reservation_id))


def settle_on_board(reservation_id, status: int, **extra):
    """The today board re-rendered in place, with this stay's settle-up box (after check-out or a payment)."""
    from app.web.boards import today_context

    day = Reader(request.form).date("day")
    context = {**today_context(day), "settle": panel_context(reservation_id, from_board=True, day=day or "", **extra)}
    if status == 200:
        context["done"] = extra.get("done")
    return (render_template("boards/_today.html", **context), status,
            {"HX-Retarget": "#today", "HX-Reswap": "outerHTML"})


@bp.post("/reservations/<uuid:reservation_id>/payments")
@requires(Role.STAFF)
def take_payment(reservation_id):
    """Take a payment on the stay (its invoice is issued first if needed): amount, method, reference, approval code."""
    reservations.get_reservation(reservation_id=reservation_id)
    read = Reader(request.form)
    from_board = request.form.get("from") == "board" and is_htmx()
    try:
        amount = _amount(read)
        method = read.text("method")
        read.need("method", method or None, "Choose how the customer paid.")
        read.check()
        payment = billing.record_payment(reservation_id=reservation_id, amount_cents=amount, method=method,
                                         reference=read.text("reference"),
                                         approval_code=read.text("approval_code") or None,
                                         excess_to_credit=read.flag("excess_to_credit"))
    except FORM_ERRORS as exc:
        exc = _named(exc)
        extra = {"pay_errors": exc.errors or {}, "pay_message": exc.message, "pay_form": request.form}
        if from_board:
            return settle_on_board(reservation_id, exc.status_code, **extra)
        return _panel(reservation_id, exc.status_code, **extra)
    done = f"Payment of {payment.amount_cents / 100:.2f} ({payment.method.value.replace('_', ' ').lower()}) recorded."
    if from_board:
        return settle_on_board(reservation_id, 200, done=done)
    if is_htmx():
        return _panel(reservation_id, 200, done=done)
    flash(done, "success")
    return navigate(url_for("reservation_pages.show", reservation_id=reservation_id))


@bp.post("/payments/<uuid:payment_id>/refunds")
@requires(Role.MANAGER)
def refund(payment_id):
    """A manager refunds part or all of a payment, with a reason, to its method or to account credit."""
    payment = billing.get_payment(payment_id=payment_id)
    invoice = billing.get_invoice(invoice_id=payment.invoice_id)
    read = Reader(request.form)
    try:
        amount = _amount(read)
        if not read.text("reason"):
            read.errors["reason"] = ["Say why the money goes back."]
        read.check()
        billing.refund_payment(payment_id=payment_id, amount_cents=amount, reason=read.text("reason"),
                               destination=read.text("destination") or RefundDestination.ORIGINAL_METHOD)
    except FORM_ERRORS as exc:
        exc = _named(exc)
        extra = {"refund_errors": exc.errors or {}, "refund_message": exc.message, "refund_for": payment_id,
                 "pay_form": request.form}
        return _refund_answer(invoice, exc.status_code, **extra)
    return _refund_answer(invoice, 200, done=f"Refund of {amount / 100:.2f} recorded.")


def _refund_answer(invoice, status: int, **extra):
    if invoice.reservation_id is not None:
        if status == 200 and not is_htmx():
            flash(extra["done"], "success")
            return navigate(url_for("reservation_pages.show", reservation_id=invoice.reservation_id))
        return _panel(invoice.reservation_id, status, **extra)
    if status == 200:
        flash(extra["done"], "success")
        return navigate(url_for("billing_pages.invoice", invoice_id=invoice.id))
    return _invoice_page(invoice.id, status, **extra)


def _invoice_page(invoice_id, status: int = 200, **extra):
    invoice, payments = billing.invoice_payments(invoice_id=invoice_id)
    customer = customers.customer_detail(customer_id=invoice.customer_id)
    return render_template("billing/invoice.html", invoice=invoice, payments=payments, t=billing.totals(invoice.lines),
                           customer=customer, tenant=tenants.get_tenant(subdomain=current_tenant().subdomain), balance=billing.balance_of(invoice),
                           destinations=list(RefundDestination), money_labels=MONEY_LABELS,
                           refund_errors={}, refund_message=None, refund_for=None, pay_form={}, **extra), status


@bp.get("/invoices/<uuid:invoice_id>")
@requires(Role.STAFF)
def invoice(invoice_id):
    """The printable invoice: the resort's name and address, the household, lines, totals, payments, balance."""
    return _invoice_page(invoice_id)


@bp.get("/customers/<uuid:customer_id>/ledger")
@requires(Role.STAFF)
def ledger(customer_id):
    """The household's Ledger tab: every movement with a running balance; the balance derived from the rows."""
    detail = customers.customer_detail(customer_id=customer_id)
    summary = billing.customer_ledger(customer_id=customer_id)
    return render_template("billing/ledger.html", c=detail, ledger=summary, tab="ledger")
