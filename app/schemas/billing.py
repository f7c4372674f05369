"""Billing schemas: invoice, line, payment and refund bodies and answers, the ledger, settings, cancellations.

Amounts are integer cents (`*_cents`, strict integers: 12.5 or "1250" is a 422), with an exact
decimal string beside each answer's amount for display.
"""
import marshmallow as ma

from app.models import InvoiceStatus, LineKind, PaymentMethod, RefundDestination
from app.schemas.common import QuerySchema, StrictSchema
from app.services import billing
from app.services.billing import MANUAL_KINDS, MAX_CENTS

CUSTOMER_ID = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
RESERVATION_ID = "6fa459ea-ee8a-3ca4-894e-db77e160355e"
INVOICE_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"

LINE_EXAMPLE = {"kind": "PRODUCT", "description": "Oatmeal shampoo", "quantity": 1, "unit_price_cents": 1299,
                "taxable": True}
INVOICE_EXAMPLE = {"reservation_id": RESERVATION_ID, "issue": True}
STANDALONE_EXAMPLE = {"customer_id": CUSTOMER_ID, "lines": [LINE_EXAMPLE], "issue": True}
ADJUSTMENT_EXAMPLE = {"kind": "FEE", "description": "Bath at pickup", "unit_price_cents": 1500, "taxable": True,
                      "reason": "Requested by the owner at pickup"}
VOID_EXAMPLE = {"reason": "Wrong dates; reissued", "reissue": True}
PAYMENT_EXAMPLE = {"invoice_id": INVOICE_ID, "amount_cents": 5000, "method": "CARD", "approval_code": "A1B2C3",
                   "reference": "Terminal 2"}
REFUND_EXAMPLE = {"amount_cents": 2500, "reason": "Walk not given", "destination": "ORIGINAL_METHOD"}
SETTINGS_EXAMPLE = {"invoice_prefix": "INV-", "cancellation_policy": billing.DEFAULT_POLICY,
                    "late_checkout_time": "12:00", "late_fee_cents": 2500, "card_gateway": "MANUAL"}

CENTS = {"validate": ma.validate.Range(1, MAX_CENTS), "strict": True}


def _money(field: str):
    return ma.fields.Function(lambda obj: f"{getattr(obj, field) / 100:.2f}" if not isinstance(obj, dict)
                              else f"{obj[field] / 100:.2f}", metadata={"type": "string", "example": "50.00"})


# --- bodies ------------------------------------------------------------------------------------------


class LineInSchema(StrictSchema):
    """A line a clerk adds (tax lines are always computed by the server)."""

    kind = ma.fields.Enum(LineKind, by_value=True, required=True,
                          validate=ma.validate.OneOf(list(MANUAL_KINDS)), metadata={"example": "PRODUCT"})
    description = ma.fields.String(required=True, validate=ma.validate.Length(1, 300))
    quantity = ma.fields.Integer(strict=True, load_default=1, validate=ma.validate.Range(1, 1000))
    unit_price_cents = ma.fields.Integer(required=True, metadata={"description": "Positive; a DISCOUNT takes it off."},
                                         **CENTS)
    taxable = ma.fields.Boolean(load_default=False)


class InvoiceAdjustmentSchema(LineInSchema):
    """A line added to an issued invoice: a reason is required (lines already there never change)."""

    reason = ma.fields.String(validate=ma.validate.Length(max=500), metadata={
        "description": "Required once the invoice is issued."})


class InvoiceCreateSchema(StrictSchema):
    """A reservation's invoice (from its price snapshot) or a standalone one (customer and lines)."""

    reservation_id = ma.fields.UUID(metadata={"example": RESERVATION_ID})
    customer_id = ma.fields.UUID(metadata={"example": CUSTOMER_ID})
    lines = ma.fields.List(ma.fields.Nested(LineInSchema), validate=ma.validate.Length(max=100))
    notes = ma.fields.String(validate=ma.validate.Length(max=2000))
    issue = ma.fields.Boolean(load_default=False, metadata={"description": "Issue at once (takes the next number)."})


class VoidSchema(StrictSchema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(1, 500))
    reissue = ma.fields.Boolean(load_default=False, metadata={"description": "Make a corrected DRAFT copy."})



class PaymentCreateSchema(StrictSchema):
    """A payment on an invoice, or on a reservation (its invoice is made and issued as needed)."""

    invoice_id = ma.fields.UUID(metadata={"example": INVOICE_ID})
    reservation_id = ma.fields.UUID(metadata={"example": RESERVATION_ID})
    amount_cents = ma.fields.Integer(required=True, **CENTS)
    method = ma.fields.Enum(PaymentMethod, by_value=True, required=True)
    reference = ma.fields.String(validate=ma.validate.Length(max=100), metadata={"example": "Check #1043"})
    approval_code = ma.fields.String(validate=ma.validate.Length(max=40), metadata={
        "description": "CARD on the manual terminal: the approval code it printed."})
    excess_to_credit = ma.fields.Boolean(load_default=False, metadata={
        "description": "Take any amount above the balance as account credit (refused otherwise)."})


class RefundCreateSchema(StrictSchema):
    amount_cents = ma.fields.Integer(required=True, **CENTS)
    reason = ma.fields.String(required=True, validate=ma.validate.Length(1, 500))
    destination = ma.fields.Enum(RefundDestination, by_value=True, load_default=RefundDestination.ORIGINAL_METHOD)


class TierSchema(StrictSchema):
    min_notice_hours = ma.fields.Integer(strict=True, required=True, validate=ma.validate.Range(0, 8760))
    outcome = ma.fields.String(required=True, validate=ma.validate.OneOf(["REFUND", "CREDIT", "FORFEIT"]))


class SettingsUpdateSchema(StrictSchema):
    invoice_prefix = ma.fields.String(validate=ma.validate.Length(1, 12))
    cancellation_policy = ma.fields.List(ma.fields.Nested(TierSchema), validate=ma.validate.Length(1, 10))
    late_checkout_time = ma.fields.String(validate=ma.validate.Length(4, 5), metadata={"example": "12:00"})
    late_fee_cents = ma.fields.Integer(strict=True, validate=ma.validate.Range(0, MAX_CENTS))
    card_gateway = ma.fields.String(validate=ma.validate.OneOf(["MANUAL", "HTTP"]))


class InvoiceQuerySchema(QuerySchema):
    customer_id = ma.fields.UUID()
    reservation_id = ma.fields.UUID()
    status = ma.fields.List(ma.fields.Enum(InvoiceStatus, by_value=True))


class PaymentQuerySchema(QuerySchema):
    invoice_id = ma.fields.UUID()
    customer_id = ma.fields.UUID()


# --- answers -----------------------------------------------------------------------------------------


class LineSchema(ma.Schema):
    id = ma.fields.UUID()
    position = ma.fields.Integer()
    kind = ma.fields.Enum(LineKind, by_value=True)
    description = ma.fields.String()
    quantity = ma.fields.Integer()
    unit_price_cents = ma.fields.Integer()
    amount_cents = ma.fields.Integer()
    amount = _money("amount_cents")
    taxable = ma.fields.Boolean()
    adjustment = ma.fields.Boolean(metadata={"description": "Added after the invoice was issued."})
    reason = ma.fields.String()
    created_at = ma.fields.DateTime()
    created_by = ma.fields.String()


def _total(name: str):
    return ma.fields.Function(lambda invoice: billing.totals(invoice.lines)[name], metadata={"type": "integer"})


class InvoiceSchema(ma.Schema):
    """An invoice: every amount derived by the server from its lines and payments."""

    id = ma.fields.UUID()
    updated_at = ma.fields.AwareDateTime(dump_only=True, metadata={"description": "When the row last changed (the change feed's order)."})
    version = ma.fields.Integer()
    number = ma.fields.String(allow_none=True, metadata={"example": "INV-000123"})
    status = ma.fields.Enum(InvoiceStatus, by_value=True)
    customer_id = ma.fields.UUID()
    reservation_id = ma.fields.UUID(allow_none=True)
    replaces_id = ma.fields.UUID(allow_none=True)
    currency = ma.fields.String()
    tax_rate = ma.fields.Decimal(as_string=True)
    subtotal_cents = _total("subtotal_cents")
    surcharges_cents = _total("surcharges_cents")
    discounts_cents = _total("discounts_cents")
    tax_cents = ma.fields.Integer()
    total_cents = ma.fields.Integer()
    total = _money("total_cents")
    paid_cents = ma.fields.Integer()
    balance_cents = ma.fields.Function(lambda i: i.total_cents - i.paid_cents if i.status != InvoiceStatus.VOID
                                       else 0, metadata={"type": "integer"})
    deposit_cents = ma.fields.Integer()
    deposit_paid = ma.fields.Function(lambda i: i.deposit_paid_at is not None, metadata={"type": "boolean"})
    notes = ma.fields.String()
    lines = ma.fields.List(ma.fields.Nested(LineSchema))
    issued_at = ma.fields.DateTime(allow_none=True)
    issued_by = ma.fields.String()
    voided_at = ma.fields.DateTime(allow_none=True)
    void_reason = ma.fields.String()
    cancellation = ma.fields.Dict(allow_none=True)
    created_at = ma.fields.DateTime()


class RefundSchema(ma.Schema):
    id = ma.fields.UUID()
    payment_id = ma.fields.UUID()
    amount_cents = ma.fields.Integer()
    invoice_cents = ma.fields.Integer(metadata={"description": "Taken off the invoice's paid amount."})
    credit_cents = ma.fields.Integer(metadata={"description": "Taken out of the account credit."})
    destination = ma.fields.Enum(RefundDestination, by_value=True)
    reason = ma.fields.String()
    created_at = ma.fields.DateTime()
    created_by = ma.fields.String()


class PaymentSchema(ma.Schema):
    id = ma.fields.UUID()
    updated_at = ma.fields.AwareDateTime(dump_only=True, metadata={"description": "When the row last changed (the change feed's order)."})
    invoice_id = ma.fields.UUID()
    customer_id = ma.fields.UUID()
    amount_cents = ma.fields.Integer()
    amount = _money("amount_cents")
    applied_cents = ma.fields.Integer(metadata={"description": "Put on the invoice."})
    credit_cents = ma.fields.Integer(metadata={"description": "The excess, taken as account credit."})
    refunded_cents = ma.fields.Integer()
    refundable_cents = ma.fields.Function(lambda p: p.amount_cents - p.refunded_cents, metadata={"type": "integer"})
    method = ma.fields.Enum(PaymentMethod, by_value=True)
    reference = ma.fields.String()
    gateway = ma.fields.String()
    gateway_reference = ma.fields.String()
    deposit = ma.fields.Boolean()
    received_by = ma.fields.String()
    received_at = ma.fields.DateTime()
    refunds = ma.fields.List(ma.fields.Nested(RefundSchema))


class LedgerRowSchema(ma.Schema):
    kind = ma.fields.Function(lambda r: r["entry"].kind.value, metadata={"type": "string"})
    description = ma.fields.Function(lambda r: r["entry"].description, metadata={"type": "string"})
    debit_cents = ma.fields.Function(lambda r: r["entry"].debit_cents, metadata={"type": "integer"})
    credit_cents = ma.fields.Function(lambda r: r["entry"].credit_cents, metadata={"type": "integer"})
    credit_change_cents = ma.fields.Function(lambda r: r["entry"].credit_change_cents, metadata={"type": "integer"})
    balance_cents = ma.fields.Integer(metadata={"description": "Running balance owed after this row."})
    invoice_id = ma.fields.Function(lambda r: str(r["entry"].invoice_id) if r["entry"].invoice_id else None,
                                    metadata={"type": "string", "nullable": True})
    payment_id = ma.fields.Function(lambda r: str(r["entry"].payment_id) if r["entry"].payment_id else None,
                                    metadata={"type": "string", "nullable": True})
    created_at = ma.fields.Function(lambda r: r["entry"].created_at.isoformat(), metadata={"type": "string"})
    created_by = ma.fields.Function(lambda r: r["entry"].created_by, metadata={"type": "string"})


class LedgerSchema(ma.Schema):
    """A household's account: balance = open invoice balances - available credit, summed from the rows."""

    customer_id = ma.fields.UUID()
    open_invoices_cents = ma.fields.Integer()
    available_credit_cents = ma.fields.Integer()
    balance_cents = ma.fields.Integer()
    balance = _money("balance_cents")
    entries = ma.fields.List(ma.fields.Nested(LedgerRowSchema))


class SettingsSchema(ma.Schema):
    invoice_prefix = ma.fields.String()
    next_invoice_number = ma.fields.Integer()
    cancellation_policy = ma.fields.List(ma.fields.Dict())
    late_checkout_time = ma.fields.String()
    late_fee_cents = ma.fields.Integer()
    card_gateway = ma.fields.String()


class CancellationSchema(ma.Schema):
    """What the cancellation policy does (or did) with the money paid on a booking."""

    reservation_id = ma.fields.UUID()
    recorded = ma.fields.Boolean(metadata={"description": "True once cancelled: the outcome that was applied."})
    notice_hours = ma.fields.Integer(allow_none=True)
    tier = ma.fields.Dict(allow_none=True)
    outcome = ma.fields.String(metadata={"example": "CREDIT"})
    paid_cents = ma.fields.Integer()
    deposit_cents = ma.fields.Integer()
    refund_cents = ma.fields.Integer()
    credit_cents = ma.fields.Integer()
    forfeit_cents = ma.fields.Integer()
    fee_invoice_id = ma.fields.String(allow_none=True)
