"""Billing API: invoices, payments and refunds, a household's ledger, cancellation outcomes, billing settings."""
from functools import wraps

from flask import url_for
from flask.views import MethodView

from app.api.etags import Blueprint
from app.api.paging import page_of
from app.auth import requires
from app.core.extensions import db
from app.core.idempotency import idempotent
from app.models import Role
from app.schemas.billing import (
    ADJUSTMENT_EXAMPLE,
    INVOICE_EXAMPLE,
    PAYMENT_EXAMPLE,
    REFUND_EXAMPLE,
    SETTINGS_EXAMPLE,
    STANDALONE_EXAMPLE,
    VOID_EXAMPLE,
    CancellationSchema,
    InvoiceAdjustmentSchema,
    InvoiceCreateSchema,
    InvoiceQuerySchema,
    InvoiceSchema,
    LedgerSchema,
    PaymentCreateSchema,
    PaymentQuerySchema,
    PaymentSchema,
    RefundCreateSchema,
    RefundSchema,
    SettingsSchema,
    SettingsUpdateSchema,
    VoidSchema,
)
from app.schemas.common import EmptySchema, ErrorSchema
from app.services import billing, customers

invoices_blp = Blueprint("invoices", __name__, url_prefix="/api/v1/invoices",
                         description="Invoices: built by the server from a booking's price snapshot (or from lines "
                                     "for a standalone sale); numbered per resort, gap-free, when issued; lines never "
                                     "change once issued (adjustment lines or void and reissue).")
payments_blp = Blueprint("payments", __name__, url_prefix="/api/v1/payments",
                         description="Payments on invoices (never above the balance unless the excess is taken as "
                                     "account credit) and their refunds (never above what is left, manager only).")
ledger_blp = Blueprint("ledger", __name__, url_prefix="/api/v1/customers",
                       description="A household's account: every money movement, and the balance derived from it.")
cancellations_blp = Blueprint("cancellations", __name__, url_prefix="/api/v1/reservations",
                              description="What the cancellation policy does with a booking's payments.")
settings_blp = Blueprint("billing_settings", __name__, url_prefix="/api/v1/billing-settings",
                         description="Invoice prefix, cancellation policy tiers, late check-out, card gateway.")

WHY = {
    403: "Your role does not allow it (voids and refunds need a MANAGER; settings an ADMIN)",
    404: "No such invoice, payment, reservation or customer (or one of another resort)",
    409: "The current status does not allow it (draft, void, already issued), or a concurrent change won",
    422: "A field is invalid or a rule refuses it (the field is named): an amount above the balance or the "
         "refundable amount, a missing reason, whole cents only",
    502: "The card gateway failed, timed out or is being skipped; nothing was charged or recorded",
}


def _errors(blp, *statuses):
    """Document the error answers of an operation."""

    def decorator(view):
        for status in reversed(statuses):
            view = blp.alt_response(status, schema=ErrorSchema, description=WHY[status])(view)
        return view

    return decorator


def _first(lookup, name):
    """Resolve the URL's row before the body is validated, so another tenant's id is 404 whatever the body."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            lookup(kwargs[name])
            return view(*args, **kwargs)

        return wrapper

    return decorator


invoice_first = _first(lambda i: billing.get_invoice(invoice_id=i), "invoice_id")
payment_first = _first(lambda i: billing.get_payment(payment_id=i), "payment_id")


# --- invoices -----------------------------------------------------------------------------------------


@invoices_blp.route("")
class Invoices(MethodView):
    @invoices_blp.arguments(InvoiceQuerySchema, location="query")
    @invoices_blp.response(200, InvoiceSchema(many=True))
    @_errors(invoices_blp, 422)
    @invoices_blp.paginate()
    @requires(Role.STAFF)
    def get(self, filters, pagination_parameters):
        """List invoices, newest first, by customer, reservation or status (repeatable)."""
        return page_of(pagination_parameters, billing.list_invoices, **filters)

    @invoices_blp.etag
    @invoices_blp.arguments(InvoiceCreateSchema, examples={
        "stay": {"value": INVOICE_EXAMPLE}, "standalone": {"value": STANDALONE_EXAMPLE}})
    @invoices_blp.response(201, InvoiceSchema)
    @_errors(invoices_blp, 404, 409, 422)
    @requires(Role.STAFF)
    @idempotent
    def post(self, data):
        """Create an invoice: give `reservation_id` (lines come from its price snapshot) or `customer_id` and lines.

        Amounts are derived by the server; `issue: true` issues it at once. 201 with `Location` and `ETag`.
        """
        invoice = billing.create_invoice(**data)
        return invoice, 201, {"Location": url_for("invoices.InvoiceById", invoice_id=invoice.id)}


@invoices_blp.route("/<uuid:invoice_id>")
class InvoiceById(MethodView):
    @invoices_blp.etag
    @invoices_blp.response(200, InvoiceSchema)
    @_errors(invoices_blp, 404)
    @requires(Role.STAFF)
    def get(self, invoice_id):
        """One invoice with its lines and derived totals."""
        return billing.get_invoice(invoice_id=invoice_id)


@invoices_blp.route("/<uuid:invoice_id>/issue")
class InvoiceIssue(MethodView):
    @invoices_blp.etag
    @invoice_first
    @invoices_blp.arguments(EmptySchema, example={})
    @invoices_blp.response(200, InvoiceSchema)
    @_errors(invoices_blp, 404, 409, 422)
    @requires(Role.STAFF)
    def post(self, data, invoice_id):
        """DRAFT -> ISSUED: it takes the resort's next number; its lines are final from now on."""
        return billing.issue_invoice(invoice_id=invoice_id)


@invoices_blp.route("/<uuid:invoice_id>/void")
class InvoiceVoid(MethodView):
    @invoices_blp.etag
    @invoice_first
    @invoices_blp.arguments(VoidSchema, example=VOID_EXAMPLE)
    @invoices_blp.response(200, InvoiceSchema)
    @_errors(invoices_blp, 403, 404, 409, 422)
    @requires(Role.MANAGER)
    def post(self, data, invoice_id):
        """VOID with a reason (MANAGER); what was paid becomes account credit. `reissue: true` answers with the copy."""
        return billing.void_invoice(invoice_id=invoice_id, **data)


@invoices_blp.route("/<uuid:invoice_id>/lines")
class InvoiceLines(MethodView):
    @invoices_blp.etag
    @invoice_first
    @invoices_blp.arguments(InvoiceAdjustmentSchema, example=ADJUSTMENT_EXAMPLE)
    @invoices_blp.response(201, InvoiceSchema)
    @_errors(invoices_blp, 404, 409, 422)
    @requires(Role.STAFF)
    @idempotent
    def post(self, data, invoice_id):
        """Add a line: to a standalone draft, or (with a reason, audited) an adjustment to an issued invoice.

        Send `Idempotency-Key` so a retried request never adds the line twice."""
        return (billing.add_line(invoice_id=invoice_id, **data), 201,
                {"Location": url_for("invoices.InvoiceById", invoice_id=invoice_id)})


# --- payments and refunds -------------------------------------------------------------------------------


@payments_blp.route("")
class Payments(MethodView):
    @payments_blp.arguments(PaymentQuerySchema, location="query")
    @payments_blp.response(200, PaymentSchema(many=True))
    @_errors(payments_blp, 422)
    @payments_blp.paginate()
    @requires(Role.STAFF)
    def get(self, filters, pagination_parameters):
        """List payments, newest first, by invoice or customer, each with its refunds."""
        return page_of(pagination_parameters, billing.list_payments, **filters)

    @payments_blp.etag
    @payments_blp.arguments(PaymentCreateSchema, example=PAYMENT_EXAMPLE)
    @payments_blp.response(201, PaymentSchema)
    @_errors(payments_blp, 404, 409, 422, 502)
    @requires(Role.STAFF)
    @idempotent
    def post(self, data):
        """Take a payment on an invoice (or a reservation: its invoice is made and issued as needed).

        More than the balance is a 422 unless `excess_to_credit` is true. CARD goes through the resort's gateway:
        on the manual terminal give `approval_code`; a gateway failure or timeout is a 502 and nothing is recorded.
        Send `Idempotency-Key` so a retried request never takes the money twice.
        """
        payment = billing.record_payment(**data)
        return payment, 201, {"Location": url_for("payments.PaymentById", payment_id=payment.id)}


@payments_blp.route("/<uuid:payment_id>")
class PaymentById(MethodView):
    @payments_blp.response(200, PaymentSchema)
    @_errors(payments_blp, 404)
    @requires(Role.STAFF)
    def get(self, payment_id):
        """One payment with its refunds."""
        return billing.get_payment(payment_id=payment_id)


@payments_blp.route("/<uuid:payment_id>/refunds")
class PaymentRefunds(MethodView):
    @payments_blp.response(200, RefundSchema(many=True))
    @_errors(payments_blp, 404)
    @requires(Role.STAFF)
    def get(self, payment_id):
        """The refunds of one payment, oldest first."""
        return billing.get_payment(payment_id=payment_id).refunds

    @payment_first
    @payments_blp.arguments(RefundCreateSchema, example=REFUND_EXAMPLE)
    @payments_blp.response(201, RefundSchema)
    @_errors(payments_blp, 403, 404, 409, 422, 502)
    @requires(Role.MANAGER)
    @idempotent
    def post(self, data, payment_id):
        """Refund part or all of a payment (MANAGER, reason required): never more than is left of it."""
        # No refund has its own URL: Location names the payment, which lists its refunds.
        return (billing.refund_payment(payment_id=payment_id, **data), 201,
                {"Location": url_for("payments.PaymentById", payment_id=payment_id)})


# --- ledger, cancellations, settings ------------------------------------------------------------------


@ledger_blp.route("/<uuid:customer_id>/ledger")
class CustomerLedger(MethodView):
    @ledger_blp.response(200, LedgerSchema)
    @_errors(ledger_blp, 404)
    @requires(Role.STAFF)
    def get(self, customer_id):
        """Every money movement of a household, oldest first, with the running balance and the derived totals."""
        customers.load_customer(customer_id)
        return billing.customer_ledger(customer_id=customer_id)


@cancellations_blp.route("/<uuid:reservation_id>/cancellation")
class ReservationCancellation(MethodView):
    @cancellations_blp.response(200, CancellationSchema)
    @_errors(cancellations_blp, 404)
    @requires(Role.STAFF)
    def get(self, reservation_id):
        """Before cancelling: what the policy would do now with what was paid. After: what it did (`recorded`)."""
        return billing.cancellation_preview(reservation_id=reservation_id)


@settings_blp.route("")
class BillingSettings(MethodView):
    @settings_blp.response(200, SettingsSchema)
    @requires(Role.STAFF)
    def get(self):
        """The resort's billing settings."""
        settings = billing.get_settings()
        db.session.commit()  # the defaults row, on first read
        return settings

    @settings_blp.arguments(SettingsUpdateSchema, example=SETTINGS_EXAMPLE)
    @settings_blp.response(200, SettingsSchema)
    @_errors(settings_blp, 403, 422)
    @requires(Role.ADMIN)
    def patch(self, data):
        """Change the prefix (the numbers continue), the cancellation tiers, late check-out or the gateway (ADMIN)."""
        return billing.update_settings(**data)


BLUEPRINTS = [invoices_blp, payments_blp, ledger_blp, cancellations_blp, settings_blp]
