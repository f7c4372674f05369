"""Billing: invoices from the price snapshot, numbering, payments, refunds, account credit, cancellations.

Money rules (the server decides every amount; clients never send a total):

- Lines are integer cents. subtotal = SERVICE + ADD_ON + PRODUCT + FEE lines, surcharges = SURCHARGE
  lines, discounts = -(DISCOUNT lines), tax = TAX lines, total = the sum of every line. A
  reservation's invoice is built from its stored quote (Reservation.quote), so it totals exactly
  what the booking was sold for. While DRAFT, one TAX line is recomputed from the taxable lines;
  once ISSUED, lines never change: a correction is an adjustment line (with its own TAX line when
  taxable), or void and reissue. Both are audited.
- ISSUED -> PARTIALLY_PAID -> PAID follow paid = payments applied minus refunds taken off the
  invoice. VOID (a manager, with a reason) ends it; what was paid on it becomes account credit.
- A payment never puts more on an invoice than its balance: the excess is refused unless the
  clerk takes it as account credit. ACCOUNT_CREDIT spends available credit.
- A refund never exceeds what is left of its payment: it comes off the invoice the payment paid
  first (reopening its balance; not for a void invoice) and then out of the account credit the
  payment created, which must still be available.
- The ledger: every movement is one append-only row. Sum(debit - credit) is what the household
  owes = open invoice balances - available credit; Sum(credit_change) is its available credit.

Concurrency: every money write locks the rows it changes (invoice, payment, household for credit)
FOR UPDATE on PostgreSQL, always in that order, so two clerks paying one invoice queue and the
second sees the new balance; on SQLite the writes are serialised by a process lock.
"""
import uuid
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, time
from decimal import Decimal
from functools import wraps

from flask import g
from loguru import logger
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from app.core.errors import Conflict, DomainError, NotFound, PermissionDenied, RuleViolation
from app.core.extensions import db
from app.models import (
    BillingSettings,
    CancellationOutcome,
    Customer,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LedgerEntry,
    LedgerKind,
    LineKind,
    Payment,
    PaymentMethod,
    Refund,
    RefundDestination,
    Reservation,
    ReservationStatus,
    Role,
)
from app.models.base import utcnow
from app.models.billing import OPEN_STATUSES
from app.services import audit, customers, gateways
from app.services.pricing import tax_on
from app.services.rows import refuse_stale, run_list, sqlite_serialized
from app.tenancy import current_tenant

MAX_CENTS = 100_000_000  # $1,000,000: more than any one line, payment or refund at a pet resort
MAX_REASON = 500
PREFIX_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-/")
DEFAULT_POLICY = [{"min_notice_hours": 168, "outcome": "REFUND"},  # 7 days or more: refunded
                  {"min_notice_hours": 48, "outcome": "CREDIT"},  # 2 to 6 days: kept as account credit
                  {"min_notice_hours": 0, "outcome": "FORFEIT"}]  # under 48 hours: the resort keeps it
CHARGE_KINDS = (LineKind.SERVICE, LineKind.ADD_ON, LineKind.PRODUCT, LineKind.FEE)
MANUAL_KINDS = (LineKind.SERVICE, LineKind.ADD_ON, LineKind.DISCOUNT, LineKind.SURCHARGE, LineKind.FEE,
                LineKind.PRODUCT)  # TAX lines are always computed


# --- plumbing ------------------------------------------------------------------------------------


def money_write(func: Callable) -> Callable:
    """A money write: serialised on SQLite, rolled back whole on any refusal, committed by the function."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        with sqlite_serialized():
            try:
                return func(*args, **kwargs)
            except DomainError:
                db.session.rollback()
                raise
            except IntegrityError as exc:
                db.session.rollback()
                if "number" in str(exc.orig) or "sequence" in str(exc.orig):
                    raise Conflict("Another invoice took that number at the same moment; try again.") from None
                raise

    return refuse_stale(wrapper)


def _actor() -> str:
    return audit.actor()[2] or "system"


def _require_manager(what: str) -> None:
    role = g.get("principal_role")
    if role is None or not Role(role).allows(Role.MANAGER):
        raise PermissionDenied(f"Only a manager may {what}.")


def _reason(reason: str | None, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_REASON:
        raise RuleViolation("A reason is needed.", errors={field: [f"1 to {MAX_REASON} characters."]})
    return reason


def _cents(value, field: str, *, allow_zero: bool = False) -> int:
    """A positive whole number of cents (bools, floats and strings refused), naming the field."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise RuleViolation("Amounts are whole cents.", errors={field: ["A whole number of cents."]})
    if value < (0 if allow_zero else 1) or value > MAX_CENTS:
        low = 0 if allow_zero else 1
        raise RuleViolation("Amount out of range.", errors={field: [f"From {low} to {MAX_CENTS} cents."]})
    return value


def _lock(model, row_id, message: str, *, field: str | None = None):
    """The current tenant's row, locked FOR UPDATE (PostgreSQL) and read fresh; 404 naming field otherwise."""
    row = db.session.execute(select(model).where(model.id == row_id).with_for_update()
                             .execution_options(populate_existing=True)).scalar_one_or_none()
    if row is None:
        raise NotFound(message, errors={field: [message]} if field else None)
    return row


# --- settings and the invoice counter ---------------------------------------------------------------


def _ensure_settings() -> None:
    """Create the tenant's settings row (defaults) unless it exists; a racing creator is ignored."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    db.session.execute(dialect.insert(BillingSettings).values(
        tenant_id=current_tenant().id, invoice_prefix="INV-", next_invoice_number=1,
        cancellation_policy=DEFAULT_POLICY, late_checkout_time="12:00", late_fee_cents=0, card_gateway="MANUAL",
        created_at=utcnow(), updated_at=utcnow()).on_conflict_do_nothing(index_elements=["tenant_id"]))


def get_settings(*, lock: bool = False) -> BillingSettings:
    """The tenant's billing settings (created with the defaults on first use)."""
    stmt = select(BillingSettings)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    row = db.session.execute(stmt).scalar_one_or_none()
    if row is None:
        _ensure_settings()
        row = db.session.execute(stmt).scalar_one()
    return row


def _clean_policy(tiers) -> list[dict]:
    if not isinstance(tiers, list) or not 1 <= len(tiers) <= 10:
        raise RuleViolation("Invalid cancellation policy.", errors={"cancellation_policy": ["1 to 10 tiers."]})
    cleaned = []
    for tier in tiers:
        hours, outcome = (tier or {}).get("min_notice_hours"), (tier or {}).get("outcome")
        if isinstance(hours, bool) or not isinstance(hours, int) or not 0 <= hours <= 24 * 365 \
                or outcome not in ("REFUND", "CREDIT", "FORFEIT"):
            raise RuleViolation("Invalid cancellation policy.", errors={"cancellation_policy": [
                "Each tier: min_notice_hours 0 to 8760 and outcome REFUND, CREDIT or FORFEIT."]})
        cleaned.append({"min_notice_hours": hours, "outcome": outcome})
    cleaned.sort(key=lambda t: -t["min_notice_hours"])
    if len({t["min_notice_hours"] for t in cleaned}) != len(cleaned) or cleaned[-1]["min_notice_hours"] != 0:
        raise RuleViolation("Invalid cancellation policy.", errors={"cancellation_policy": [
            "Distinct min_notice_hours, and one tier from 0 hours so every cancellation has an outcome."]})
    return cleaned


@money_write
def update_settings(**fields) -> BillingSettings:
    """An admin edits the invoice prefix, the cancellation policy, the late check-out rule or the gateway."""
    errors: dict[str, list[str]] = {}
    if "invoice_prefix" in fields:
        prefix = (fields["invoice_prefix"] or "").strip().upper()
        if not 1 <= len(prefix) <= 12 or not set(prefix) <= PREFIX_CHARS:
            errors["invoice_prefix"] = ["1 to 12 letters, digits, dashes or slashes."]
        fields["invoice_prefix"] = prefix
    if "cancellation_policy" in fields:
        fields["cancellation_policy"] = _clean_policy(fields["cancellation_policy"])
    if "late_checkout_time" in fields:
        try:
            fields["late_checkout_time"] = time.fromisoformat(str(fields["late_checkout_time"])).strftime("%H:%M")
        except ValueError:
            errors["late_checkout_time"] = ["A time like 12:00."]
    if "late_fee_cents" in fields:
        _cents(fields["late_fee_cents"], "late_fee_cents", allow_zero=True)
    if fields.get("card_gateway", "MANUAL") not in ("MANUAL", "HTTP"):
        errors["card_gateway"] = ["MANUAL or HTTP."]
    unknown = set(fields) - {"invoice_prefix", "cancellation_policy", "late_checkout_time", "late_fee_cents",
                             "card_gateway"}
    errors.update({f: ["Unknown field."] for f in unknown})
    if errors:
        raise RuleViolation("Invalid billing settings.", errors=errors)
    row = get_settings(lock=True)
    old = audit.snapshot(row, list(fields))
    for name, value in fields.items():
        setattr(row, name, value)
    changes = audit.changes_of({k: str(v) for k, v in old.items()}, {k: str(v) for k, v in fields.items()})
    if changes:
        audit.record("billing.settings_changed", "billing_settings", row.tenant_id, changes=changes)
    db.session.commit()
    return get_settings()


def _next_number() -> tuple[int, str]:
    """Take the tenant's next invoice number, gap-free.

    The counter row is locked FOR UPDATE until the issuing transaction ends: a concurrent issue waits
    for it, then reads the incremented value. The increment commits or rolls back with the invoice,
    so a failed issue gives its number back (no gap) and two issues never share one (no duplicate;
    the unique (tenant_id, sequence) constraint is the backstop). A sequence would leave gaps.
    """
    counter = get_settings(lock=True)
    sequence = counter.next_invoice_number
    counter.next_invoice_number = sequence + 1
    return sequence, f"{counter.invoice_prefix}{sequence:06d}"


# --- lines and totals --------------------------------------------------------------------------------


def totals(lines: Iterable[InvoiceLine]) -> dict[str, int]:
    """Subtotal, surcharges, discounts (positive), tax and total of some lines; total is their plain sum."""
    lines = list(lines)
    subtotal = sum(line.amount_cents for line in lines if line.kind in CHARGE_KINDS)
    surcharges = sum(line.amount_cents for line in lines if line.kind == LineKind.SURCHARGE)
    discounts = -sum(line.amount_cents for line in lines if line.kind == LineKind.DISCOUNT)
    tax = sum(line.amount_cents for line in lines if line.kind == LineKind.TAX)
    return {"subtotal_cents": subtotal, "surcharges_cents": surcharges, "discounts_cents": discounts,
            "tax_cents": tax, "total_cents": subtotal + surcharges - discounts + tax}


def _line(kind: LineKind, description: str, *, quantity: int = 1, unit_price_cents: int, taxable: bool = False,
          amount_cents: int | None = None, adjustment: bool = False, reason: str = "") -> InvoiceLine:
    amount = quantity * unit_price_cents if amount_cents is None else amount_cents
    return InvoiceLine(kind=kind, description=description[:300], quantity=quantity, unit_price_cents=unit_price_cents,
                       amount_cents=amount, taxable=taxable, adjustment=adjustment, reason=reason,
                       created_by=_actor())


def _percent(rate: Decimal) -> str:
    """0.0825 -> '8.25' (a Numeric(6, 4) rate keeps trailing zeros that an invoice should not print)."""
    return f"{(rate * 100).normalize():f}"


def lines_from_quote(quote: dict) -> list[InvoiceLine]:
    """Invoice lines for a stored quote: a SERVICE line per pet, a line per rule, per add-on, and the TAX line."""
    lines: list[InvoiceLine] = []
    unit = quote.get("unit", "night")
    per_pet: dict[tuple, list[dict]] = {}
    rules: dict[tuple, list[int]] = {}
    for stay in quote["stay_lines"]:
        per_pet.setdefault((stay["pet_number"], stay["pet"], stay["base_cents"], stay["taxable"]), []).append(stay)
        for adj in stay["adjustments"]:
            rules.setdefault((adj["rule_name"], adj["effect"], stay["taxable"]), []).append(adj["amount_cents"])
    for (_, pet, base, taxable), stays in per_pet.items():
        count = len(stays)
        lines.append(_line(LineKind.SERVICE, f"{quote['service_name']}: {pet}, {count} {unit}{'s' if count != 1 else ''}",
                           quantity=count, unit_price_cents=base, taxable=taxable))
    for (name, effect, taxable), amounts in rules.items():
        kind = LineKind.DISCOUNT if effect == "DISCOUNT" else LineKind.SURCHARGE
        total = sum(amounts)
        lines.append(_line(kind, f"{name} ({len(amounts)}x)", unit_price_cents=total, taxable=taxable))
    for addon in quote["addon_lines"]:
        count = addon["units"] * addon["quantity"]
        lines.append(_line(LineKind.ADD_ON, f"{addon['name']} x{count}", quantity=count,
                           unit_price_cents=addon["unit_price_cents"], amount_cents=addon["amount_cents"],
                           taxable=addon["taxable"]))
    if quote.get("tax_cents"):
        lines.append(_line(LineKind.TAX, f"Tax {_percent(Decimal(str(quote['tax_rate'])))}%",
                           unit_price_cents=quote["tax_cents"]))
    return lines


def _tax_line(amount_taxable: int, rate: Decimal, *, adjustment: bool = False, reason: str = "") -> InvoiceLine | None:
    tax = tax_on(amount_taxable, rate) if amount_taxable > 0 else -tax_on(-amount_taxable, rate)
    if tax <= 0:  # a taxable discount adjustment lowers the tax: shown in the discount's own line below
        return None
    return _line(LineKind.TAX, f"Tax {_percent(rate)}%", unit_price_cents=tax, adjustment=adjustment, reason=reason)


def _renumber(invoice: Invoice) -> None:
    for position, line in enumerate(invoice.lines, start=1):
        line.position = position


def _refresh_totals(invoice: Invoice) -> None:
    """Write the derived totals onto the invoice row and move its status with what is paid."""
    t = totals(invoice.lines)
    if t["total_cents"] < 0:
        raise RuleViolation("An invoice cannot total less than zero.", errors={"amount_cents": [
            f"The invoice would total {t['total_cents']} cents."]})
    if t["total_cents"] < invoice.paid_cents:
        raise Conflict("The invoice would total less than has been paid on it; refund the difference first.",
                       errors={"amount_cents": [f"{invoice.paid_cents} cents are paid on it."]})
    invoice.total_cents, invoice.tax_cents = t["total_cents"], t["tax_cents"]
    status = InvoiceStatus(invoice.status)
    if status in (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID):
        if invoice.paid_cents >= invoice.total_cents:
            invoice.status = InvoiceStatus.PAID
        elif invoice.paid_cents > 0:
            invoice.status = InvoiceStatus.PARTIALLY_PAID
        else:
            invoice.status = InvoiceStatus.ISSUED
    if invoice.deposit_cents and invoice.deposit_paid_at is None and invoice.paid_cents >= invoice.deposit_cents:
        invoice.deposit_paid_at = utcnow()


def _draft_tax(invoice: Invoice) -> None:
    """Recompute a draft's one TAX line from its taxable lines."""
    for line in [line for line in invoice.lines if line.kind == LineKind.TAX]:
        invoice.lines.remove(line)
    if invoice in db.session:
        db.session.flush()  # the old TAX line's position is free before the new one takes it
    taxable = sum(line.amount_cents for line in invoice.lines if line.taxable)
    tax = _tax_line(taxable, Decimal(invoice.tax_rate))
    if tax is not None:
        invoice.lines.append(tax)


def balance_of(invoice: Invoice) -> int:
    """What is still owed on an open invoice (0 for drafts, paid and void ones)."""
    return invoice.total_cents - invoice.paid_cents if InvoiceStatus(invoice.status) in OPEN_STATUSES else 0


# --- the ledger ---------------------------------------------------------------------------------------


def _ledger(customer_id, kind: LedgerKind, description: str, *, debit: int = 0, credit: int = 0,
            credit_change: int = 0, invoice_id=None, payment_id=None, refund_id=None) -> None:
    db.session.add(LedgerEntry(customer_id=customer_id, kind=kind, description=description[:300], debit_cents=debit,
                               credit_cents=credit, credit_change_cents=credit_change, invoice_id=invoice_id,
                               payment_id=payment_id, refund_id=refund_id, created_by=_actor()))


def available_credit(customer_id) -> int:
    """The household's account credit, summed from the ledger."""
    db.session.flush()
    return db.session.execute(select(func.coalesce(func.sum(LedgerEntry.credit_change_cents), 0))
                              .where(LedgerEntry.customer_id == customer_id)).scalar_one()


def _lock_customer(customer_id) -> Customer:
    """Lock the household while its credit is spent, so two spends cannot both see the same credit."""
    return _lock(Customer, customer_id, "Customer not found.", field="customer_id")


def customer_ledger(*, customer_id: uuid.UUID) -> dict:
    """Every movement on a household's account, oldest first with a running balance, and the derived totals."""
    customers.load_customer(customer_id)
    entries = list(db.session.execute(select(LedgerEntry).where(LedgerEntry.customer_id == customer_id)
                                      .order_by(LedgerEntry.created_at, LedgerEntry.id)).scalars())
    running, rows = 0, []
    for entry in entries:
        running += entry.debit_cents - entry.credit_cents
        rows.append({"entry": entry, "balance_cents": running})
    open_cents = db.session.execute(
        select(func.coalesce(func.sum(Invoice.total_cents - Invoice.paid_cents), 0))
        .where(Invoice.customer_id == customer_id, Invoice.status.in_(OPEN_STATUSES))).scalar_one()
    credit = sum(e.credit_change_cents for e in entries)
    return {"customer_id": customer_id, "entries": rows, "open_invoices_cents": open_cents,
            "available_credit_cents": credit, "balance_cents": running}


def balances(customer_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    """What each household owes (open invoice balances minus available credit), from the ledger in one query."""
    if not customer_ids:
        return {}
    rows = db.session.execute(select(LedgerEntry.customer_id,
                                     func.sum(LedgerEntry.debit_cents - LedgerEntry.credit_cents))
                              .where(LedgerEntry.customer_id.in_(set(customer_ids)))
                              .group_by(LedgerEntry.customer_id)).all()
    found = {customer_id: int(total) for customer_id, total in rows}
    return {customer_id: found.get(customer_id, 0) for customer_id in customer_ids}


# --- invoices -----------------------------------------------------------------------------------------


def get_invoice(*, invoice_id: uuid.UUID) -> Invoice:
    """One invoice of the current tenant with its lines (404 for any other id)."""
    invoice = db.session.execute(select(Invoice).where(Invoice.id == invoice_id)).scalar_one_or_none()
    if invoice is None:
        raise NotFound("Invoice not found.")
    return invoice


def list_invoices(*, page: int | None = None, page_size: int | None = None, customer_id=None, reservation_id=None,
                  status: Sequence[str] | None = None) -> tuple[list[Invoice], int]:
    """Invoices, newest first, filtered by household, reservation or status (lines in one more query)."""
    stmt = select(Invoice).order_by(Invoice.created_at.desc(), Invoice.id)
    if customer_id:
        stmt = stmt.where(Invoice.customer_id == customer_id)
    if reservation_id:
        stmt = stmt.where(Invoice.reservation_id == reservation_id)
    if status:
        stmt = stmt.where(Invoice.status.in_([InvoiceStatus(s) for s in status]))
    return run_list(stmt, page=page, page_size=page_size)


def _reservation_invoice(reservation: Reservation) -> Invoice | None:
    return db.session.execute(select(Invoice).where(Invoice.reservation_id == reservation.id,
                                                    Invoice.status != InvoiceStatus.VOID)
                              .with_for_update().execution_options(populate_existing=True)).scalar_one_or_none()


def _new_reservation_invoice(reservation: Reservation, *, replaces: uuid.UUID | None = None) -> Invoice:
    quote = reservation.quote
    invoice = Invoice(customer_id=reservation.customer_id, reservation_id=reservation.id,
                      currency=reservation.currency, tax_rate=Decimal(str(quote.get("tax_rate", "0"))),
                      deposit_cents=reservation.deposit_cents, created_by=_actor(), replaces_id=replaces)
    invoice.lines = lines_from_quote(quote)
    _renumber(invoice)
    _refresh_totals(invoice)
    db.session.add(invoice)
    db.session.flush()
    audit.record("invoice.created", "invoice", invoice.id, changes={"reservation_id": str(reservation.id),
                                                                    "total_cents": invoice.total_cents})
    return invoice


def _invoice_for_reservation(reservation_id) -> Invoice:
    """The reservation's live invoice, created from its price snapshot when it has none (reservation locked)."""
    reservation = _lock(Reservation, reservation_id, "Reservation not found.", field="reservation_id")
    if ReservationStatus(reservation.status) in (ReservationStatus.CANCELLED, ReservationStatus.NO_SHOW):
        raise Conflict(f"This reservation is {reservation.status.value}; it is not invoiced.",
                       errors={"reservation_id": [f"{reservation.status.value}."]})
    return _reservation_invoice(reservation) or _new_reservation_invoice(reservation)


def _clean_manual_line(data: dict, *, adjustment: bool) -> InvoiceLine:
    errors: dict[str, list[str]] = {}
    try:
        kind = LineKind(data.get("kind"))
    except ValueError:
        kind = None
    if kind not in MANUAL_KINDS:
        errors["kind"] = ["One of " + ", ".join(k.value for k in MANUAL_KINDS) + " (tax is computed)."]
    description = (data.get("description") or "").strip()
    if not 1 <= len(description) <= 300:
        errors["description"] = ["1 to 300 characters."]
    quantity = data.get("quantity", 1)
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= 1000:
        errors["quantity"] = ["A whole number from 1 to 1000."]
    price = data.get("unit_price_cents")
    if isinstance(price, bool) or not isinstance(price, int) or not 1 <= price <= MAX_CENTS:
        errors["unit_price_cents"] = [f"A whole number of cents from 1 to {MAX_CENTS}."]
    elif not errors.get("quantity") and quantity * price > MAX_CENTS:
        errors["unit_price_cents"] = [f"The line would be over {MAX_CENTS} cents."]
    reason = (data.get("reason") or "").strip()
    if adjustment and not 1 <= len(reason) <= MAX_REASON:
        errors["reason"] = ["An adjustment to an issued invoice needs a reason (1 to 500 characters)."]
    if errors:
        raise RuleViolation("An invoice line is invalid.", errors=errors)
    amount = quantity * price * (-1 if kind == LineKind.DISCOUNT else 1)
    return _line(kind, description, quantity=quantity, unit_price_cents=price if kind != LineKind.DISCOUNT else -price,
                 amount_cents=amount, taxable=bool(data.get("taxable", False)), adjustment=adjustment, reason=reason)


@money_write
def create_invoice(*, reservation_id: uuid.UUID | None = None, customer_id: uuid.UUID | None = None,
                   lines: Sequence[dict] = (), notes: str = "", issue: bool = False) -> Invoice:
    """A DRAFT invoice: a reservation's (from its price snapshot) or a standalone one with the given lines."""
    if (reservation_id is None) == (customer_id is None):
        raise RuleViolation("Give a reservation or a customer.", errors={
            "reservation_id": ["Give reservation_id (a stay's invoice) or customer_id (standalone), not both."]})
    if reservation_id is not None:
        if lines:
            raise RuleViolation("A reservation's invoice comes from its price.", errors={"lines": [
                "Leave lines out; add adjustment lines after issuing."]})
        reservation = _lock(Reservation, reservation_id, "Reservation not found.", field="reservation_id")
        if _reservation_invoice(reservation) is not None:
            raise Conflict("This reservation already has an invoice; void it to reissue.",
                           errors={"reservation_id": ["Already invoiced."]})
        invoice = _invoice_for_reservation(reservation_id)
    else:
        customer = customers.load_customer(customer_id)
        if not lines:
            raise RuleViolation("A standalone invoice needs lines.", errors={"lines": ["At least one line."]})
        if len(lines) > 100:
            raise RuleViolation("Too many lines.", errors={"lines": ["At most 100."]})
        tenant = current_tenant()
        invoice = Invoice(customer_id=customer.id, currency=tenant.currency, tax_rate=Decimal(tenant.tax_rate),
                          created_by=_actor())
        invoice.lines = [_clean_manual_line(line, adjustment=False) for line in lines]
        _draft_tax(invoice)
        _renumber(invoice)
        _refresh_totals(invoice)
        db.session.add(invoice)
        db.session.flush()
        audit.record("invoice.created", "invoice", invoice.id, changes={"total_cents": invoice.total_cents})
    invoice.notes = (notes or "").strip()[:2000]
    if issue:
        _issue(invoice)
    db.session.commit()
    return get_invoice(invoice_id=invoice.id)


def _follow_snapshot(invoice: Invoice) -> None:
    """A reservation's draft re-priced since it was made takes the latest price snapshot."""
    reservation = db.session.get(Reservation, invoice.reservation_id)
    if reservation.total_cents != invoice.total_cents:
        for line in list(invoice.lines):
            invoice.lines.remove(line)
        db.session.flush()
        invoice.lines = lines_from_quote(reservation.quote)
        invoice.deposit_cents = reservation.deposit_cents
        _renumber(invoice)
        _refresh_totals(invoice)


def _issue(invoice: Invoice, *, follow_snapshot: bool = True) -> None:
    if InvoiceStatus(invoice.status) != InvoiceStatus.DRAFT:
        raise Conflict(f"This invoice is {invoice.status.value}; only a draft can be issued.",
                       errors={"status": [f"{invoice.status.value} cannot be issued."]})
    if invoice.reservation_id is not None and follow_snapshot:
        _follow_snapshot(invoice)
    invoice.sequence, invoice.number = _next_number()
    invoice.status = InvoiceStatus.ISSUED
    invoice.issued_at, invoice.issued_by = utcnow(), _actor()
    _refresh_totals(invoice)
    _ledger(invoice.customer_id, LedgerKind.INVOICE, f"Invoice {invoice.number}", debit=invoice.total_cents,
            invoice_id=invoice.id)
    audit.record("invoice.issued", "invoice", invoice.id, changes={"number": invoice.number,
                                                                   "total_cents": invoice.total_cents})


@money_write
def issue_invoice(*, invoice_id: uuid.UUID) -> Invoice:
    """DRAFT -> ISSUED: the invoice takes the tenant's next number and its lines are final."""
    invoice = _lock(Invoice, invoice_id, "Invoice not found.")
    _issue(invoice)
    db.session.commit()
    return get_invoice(invoice_id=invoice_id)


@money_write
def add_line(*, invoice_id: uuid.UUID, **data) -> Invoice:
    """Add a line: to a standalone draft (tax recomputed), or an audited adjustment (with its tax) to an issued one."""
    invoice = _lock(Invoice, invoice_id, "Invoice not found.")
    status = InvoiceStatus(invoice.status)
    if status == InvoiceStatus.VOID:
        raise Conflict("This invoice is VOID.", errors={"status": ["VOID invoices do not change."]})
    if status == InvoiceStatus.DRAFT:
        if invoice.reservation_id is not None:
            raise Conflict("A reservation's draft follows its price; issue it, then add adjustment lines.",
                           errors={"status": ["Issue it first."]})
        invoice.lines.append(_clean_manual_line(data, adjustment=False))
        _draft_tax(invoice)
        _renumber(invoice)
        _refresh_totals(invoice)
        db.session.commit()
        return get_invoice(invoice_id=invoice_id)
    line = _clean_manual_line(data, adjustment=True)
    added = [line]
    if line.taxable:
        tax = _tax_line(line.amount_cents, Decimal(invoice.tax_rate), adjustment=True, reason=line.reason)
        if tax is not None:
            added.append(tax)
        elif line.amount_cents < 0:
            # A taxable discount gives back the tax it carried, as part of the discount itself.
            line.amount_cents -= tax_on(-line.amount_cents, Decimal(invoice.tax_rate))
            line.unit_price_cents = line.amount_cents
            line.quantity = 1
            line.description = f"{line.description} (incl. tax)"[:300]
    before = invoice.total_cents
    for new in added:
        invoice.lines.append(new)
    _renumber(invoice)
    _refresh_totals(invoice)
    delta = invoice.total_cents - before
    _ledger(invoice.customer_id, LedgerKind.ADJUSTMENT, f"{invoice.number}: {line.description}",
            debit=max(delta, 0), credit=max(-delta, 0), invoice_id=invoice.id)
    audit.record("invoice.adjusted", "invoice", invoice.id, changes={
        "kind": line.kind.value, "amount_cents": delta, "reason": line.reason})
    db.session.commit()
    return get_invoice(invoice_id=invoice_id)


REPRICED = "re-priced: "  # the reason every re-pricing adjustment line carries, then what changed


def _priced(line: InvoiceLine) -> bool:
    """A line that is part of the booking's price: from the snapshot, or a re-pricing adjustment of it."""
    return not line.adjustment or line.reason.startswith(REPRICED)


def reprice_issued(reservation: Reservation, *, why: str) -> Invoice | None:
    """After an edit re-priced a booking: its issued invoice gets adjustment lines for the difference (no commit).

    The lines already issued stay as they are. For each line kind, the new snapshot's amount minus what
    the invoice already charges for the booking's price (its snapshot lines and earlier re-pricing
    adjustments) becomes one adjustment line with the reason "re-priced: ...", so the invoice totals
    exactly the new price plus any other adjustments (check-out charges, a manager's fee). A draft needs
    nothing: it takes the snapshot when issued. A new price below what is already paid is refused: the
    clerk refunds the difference (to the card or to account credit) first, so no payment is rewritten.
    """
    with sqlite_serialized():
        invoice = _reservation_invoice(reservation)
        if invoice is None or InvoiceStatus(invoice.status) == InvoiceStatus.DRAFT:
            return invoice
        target = lines_from_quote(reservation.quote)
        charged: dict[LineKind, int] = {}
        for line in invoice.lines:
            if _priced(line):
                charged[line.kind] = charged.get(line.kind, 0) + line.amount_cents
        reason = f"{REPRICED}{why}"[:MAX_REASON]
        added = []
        for kind in LineKind:
            wanted = [line for line in target if line.kind == kind]
            delta = sum(line.amount_cents for line in wanted) - charged.get(kind, 0)
            if delta:
                now = "; ".join(line.description for line in wanted) or "none"
                added.append(_line(kind, f"Re-priced {kind.value.lower().replace('_', '-')}: now {now}",
                                   unit_price_cents=delta, taxable=any(line.taxable for line in wanted),
                                   adjustment=True, reason=reason))
        invoice.deposit_cents = reservation.deposit_cents
        if not added:
            return invoice
        before = invoice.total_cents
        after = before + sum(line.amount_cents for line in added)
        if after < invoice.paid_cents:
            short = invoice.paid_cents - after
            raise Conflict(f"The new price leaves {invoice.number} at {after} cents, but {invoice.paid_cents} cents "
                           f"are paid on it: refund {short} cents (to the card or to account credit) first.",
                           errors={"total_cents": [f"Refund {short} cents first."]},
                           extra={"paid_cents": invoice.paid_cents, "new_total_cents": after})
        for line in added:
            invoice.lines.append(line)
        _renumber(invoice)
        _refresh_totals(invoice)
        delta = invoice.total_cents - before
        _ledger(invoice.customer_id, LedgerKind.ADJUSTMENT, f"{invoice.number}: {reason}",
                debit=max(delta, 0), credit=max(-delta, 0), invoice_id=invoice.id)
        audit.record("invoice.repriced", "invoice", invoice.id, changes={
            "amount_cents": delta, "reason": reason, "lines": [line.description for line in added]})
        return invoice


def _void(invoice: Invoice, reason: str) -> int:
    """VOID an invoice; what was paid on it becomes account credit. Returns that amount."""
    status = InvoiceStatus(invoice.status)
    if status == InvoiceStatus.VOID:
        raise Conflict("This invoice is already VOID.", errors={"status": ["Already VOID."]})
    kept = invoice.paid_cents
    invoice.status = InvoiceStatus.VOID
    invoice.voided_at, invoice.voided_by, invoice.void_reason = utcnow(), _actor(), reason
    if status != InvoiceStatus.DRAFT:
        _ledger(invoice.customer_id, LedgerKind.VOID, f"Invoice {invoice.number} voided: {reason}",
                credit=invoice.total_cents, credit_change=kept, invoice_id=invoice.id)
    audit.record("invoice.voided", "invoice", invoice.id, changes={"reason": reason, "paid_to_credit_cents": kept})
    return kept


@money_write
def void_invoice(*, invoice_id: uuid.UUID, reason: str, reissue: bool = False) -> Invoice:
    """A manager voids an invoice (never deleted); payments on it become credit; reissue makes a corrected draft."""
    _require_manager("void an invoice")
    reason = _reason(reason)
    invoice = _lock(Invoice, invoice_id, "Invoice not found.")
    _void(invoice, reason)
    answer = invoice
    if reissue:
        if invoice.reservation_id is not None:
            reservation = _lock(Reservation, invoice.reservation_id, "Reservation not found.")
            answer = _new_reservation_invoice(reservation, replaces=invoice.id)
        else:
            answer = Invoice(customer_id=invoice.customer_id, currency=invoice.currency, tax_rate=invoice.tax_rate,
                             created_by=_actor(), replaces_id=invoice.id, notes=invoice.notes)
            answer.lines = [_line(line.kind, line.description, quantity=line.quantity,
                                  unit_price_cents=line.unit_price_cents, amount_cents=line.amount_cents,
                                  taxable=line.taxable) for line in invoice.lines if line.kind != LineKind.TAX]
            _draft_tax(answer)
            _renumber(answer)
            _refresh_totals(answer)
            db.session.add(answer)
            db.session.flush()
            audit.record("invoice.created", "invoice", answer.id, changes={"replaces": invoice.number})
    db.session.commit()
    return get_invoice(invoice_id=answer.id)


# --- payments -----------------------------------------------------------------------------------------


def get_payment(*, payment_id: uuid.UUID) -> Payment:
    """One payment of the current tenant (404 for any other id)."""
    payment = db.session.execute(select(Payment).where(Payment.id == payment_id)).scalar_one_or_none()
    if payment is None:
        raise NotFound("Payment not found.")
    return payment


def list_payments(*, page: int | None = None, page_size: int | None = None, invoice_id=None,
                  customer_id=None) -> tuple[list[Payment], int]:
    """Payments, newest first, by invoice or household (refunds in one more query)."""
    stmt = select(Payment).order_by(Payment.received_at.desc(), Payment.id)
    if invoice_id:
        stmt = stmt.where(Payment.invoice_id == invoice_id)
    if customer_id:
        stmt = stmt.where(Payment.customer_id == customer_id)
    return run_list(stmt, page=page, page_size=page_size)


def _pay(invoice: Invoice, *, amount_cents: int, method: PaymentMethod, reference: str = "",
         approval_code: str | None = None, excess_to_credit: bool = False) -> Payment:
    """Record a payment on a locked, issued invoice (no commit)."""
    status = InvoiceStatus(invoice.status)
    if status == InvoiceStatus.DRAFT:
        raise Conflict("This invoice is a DRAFT; issue it before taking payment.",
                       errors={"invoice_id": ["Not issued yet."]})
    if status == InvoiceStatus.VOID:
        raise Conflict("This invoice is VOID; it cannot be paid.", errors={"invoice_id": ["VOID."]})
    balance = invoice.total_cents - invoice.paid_cents
    applied = min(amount_cents, balance)
    excess = amount_cents - applied
    if excess and not excess_to_credit:
        raise RuleViolation(f"The payment is {excess} cents more than the balance ({balance} cents).",
                            errors={"amount_cents": [f"At most the balance, {balance} cents, unless the excess is "
                                                     "taken as account credit (excess_to_credit)."]},
                            extra={"balance_cents": balance})
    if method == PaymentMethod.ACCOUNT_CREDIT:
        if excess:
            raise RuleViolation("Account credit cannot pay more than the balance.",
                                errors={"amount_cents": [f"At most the balance, {balance} cents."]})
        _lock_customer(invoice.customer_id)
        credit = available_credit(invoice.customer_id)
        if amount_cents > credit:
            raise RuleViolation(f"Only {credit} cents of account credit are available.",
                                errors={"amount_cents": [f"At most the available credit, {credit} cents."]})
    reference = (reference or "").strip()
    if len(reference) > 100:
        raise RuleViolation("Reference too long.", errors={"reference": ["At most 100 characters."]})
    gateway_name, gateway_reference = "", ""
    if method == PaymentMethod.CARD:
        # The last step before writing: a refusal, failure or timeout here leaves nothing recorded.
        gateway = gateways.gateway_for(get_settings().card_gateway)
        gateway_name = gateway.name
        gateway_reference = gateway.charge(amount_cents=amount_cents, currency=invoice.currency,
                                           reference=str(invoice.id), approval_code=approval_code)
    elif approval_code:
        raise RuleViolation("Only card payments have an approval code.", errors={"approval_code": ["Card only."]})
    reservation = db.session.get(Reservation, invoice.reservation_id) if invoice.reservation_id else None
    payment = Payment(customer_id=invoice.customer_id, invoice_id=invoice.id, amount_cents=amount_cents,
                      applied_cents=applied, credit_cents=excess, method=method, reference=reference,
                      gateway=gateway_name, gateway_reference=gateway_reference, received_by=_actor(),
                      deposit=bool(reservation is not None and invoice.deposit_cents
                                   and ReservationStatus(reservation.status) in (ReservationStatus.PENDING,
                                                                                 ReservationStatus.CONFIRMED)))
    db.session.add(payment)
    db.session.flush()
    invoice.paid_cents += applied
    _refresh_totals(invoice)
    if method == PaymentMethod.ACCOUNT_CREDIT:
        _ledger(invoice.customer_id, LedgerKind.CREDIT_APPLIED, f"{invoice.number}: paid from account credit",
                credit_change=-amount_cents, invoice_id=invoice.id, payment_id=payment.id)
    else:
        note = f", {excess} cents kept as account credit" if excess else ""
        _ledger(invoice.customer_id, LedgerKind.PAYMENT, f"{invoice.number}: {method.value} payment{note}",
                credit=amount_cents, credit_change=excess, invoice_id=invoice.id, payment_id=payment.id)
    audit.record("payment.recorded", "payment", payment.id, changes={
        "invoice": invoice.number, "amount_cents": amount_cents, "method": method.value, "credit_cents": excess})
    return payment


@money_write
def record_payment(*, amount_cents: int, method: PaymentMethod | str, invoice_id: uuid.UUID | None = None,
                   reservation_id: uuid.UUID | None = None, reference: str = "", approval_code: str | None = None,
                   excess_to_credit: bool = False) -> Payment:
    """Take a payment on an invoice, or on a reservation (its invoice is made from the price and issued if needed)."""
    amount_cents = _cents(amount_cents, "amount_cents")
    try:
        method = PaymentMethod(method)
    except ValueError:
        raise RuleViolation("Unknown payment method.", errors={"method": [
            "One of " + ", ".join(m.value for m in PaymentMethod) + "."]}) from None
    if (invoice_id is None) == (reservation_id is None):
        raise RuleViolation("Give an invoice or a reservation.", errors={"invoice_id": [
            "Give invoice_id or reservation_id (not both)."]})
    if reservation_id is not None:
        invoice = _invoice_for_reservation(reservation_id)
        if InvoiceStatus(invoice.status) == InvoiceStatus.DRAFT:
            _issue(invoice)
    else:
        invoice = _lock(Invoice, invoice_id, "Invoice not found.", field="invoice_id")
    gateway_charged = method == PaymentMethod.CARD
    payment = _pay(invoice, amount_cents=amount_cents, method=method, reference=reference,
                   approval_code=approval_code, excess_to_credit=excess_to_credit)
    try:
        db.session.commit()
    except Exception:
        if gateway_charged and payment.gateway == gateways.HttpGateway.name:
            # Charged but not recorded: say so loudly with the ids an operator needs (no card data).
            logger.error("payment {} charged at the gateway ({}) but not recorded", payment.id,
                         payment.gateway_reference)
        raise
    return get_payment(payment_id=payment.id)


# --- refunds ------------------------------------------------------------------------------------------


def _refund(payment: Payment, invoice: Invoice, *, amount_cents: int, reason: str,
            destination: RefundDestination) -> Refund:
    """Refund part of a locked payment (invoice locked too); no commit."""
    left = payment.amount_cents - payment.refunded_cents
    if amount_cents > left:
        raise RuleViolation(f"Only {left} cents of this payment are left to refund.",
                            errors={"amount_cents": [f"At most {left} cents."]}, extra={"refundable_cents": left})
    if payment.method == PaymentMethod.ACCOUNT_CREDIT:
        destination = RefundDestination.ACCOUNT_CREDIT  # its original method is the credit itself
    on_invoice = 0
    if InvoiceStatus(invoice.status) != InvoiceStatus.VOID:
        taken = db.session.execute(select(func.coalesce(func.sum(Refund.invoice_cents), 0))
                                   .where(Refund.payment_id == payment.id)).scalar_one()
        on_invoice = min(amount_cents, payment.applied_cents - taken, invoice.paid_cents)
    from_credit = amount_cents - on_invoice
    if from_credit:
        if destination == RefundDestination.ACCOUNT_CREDIT and payment.method != PaymentMethod.ACCOUNT_CREDIT:
            raise RuleViolation("That part of the payment is already account credit.", errors={"amount_cents": [
                f"At most {on_invoice} cents can move from the invoice to account credit."]})
        _lock_customer(payment.customer_id)
        credit = available_credit(payment.customer_id)
        if payment.method != PaymentMethod.ACCOUNT_CREDIT and from_credit > credit:
            raise RuleViolation(f"{from_credit} cents would come out of account credit, but only {credit} are left.",
                                errors={"amount_cents": [f"At most {on_invoice + credit} cents."]})
    gateway_reference = ""
    if destination == RefundDestination.ORIGINAL_METHOD and payment.method == PaymentMethod.CARD:
        gateway = gateways.gateway_for(payment.gateway or "MANUAL")
        gateway_reference = gateway.refund(gateway_reference=payment.gateway_reference, amount_cents=amount_cents,
                                           currency=invoice.currency)
    refund = Refund(payment_id=payment.id, amount_cents=amount_cents, invoice_cents=on_invoice,
                    credit_cents=from_credit, destination=destination, reason=reason,
                    gateway_reference=gateway_reference, created_by=_actor())
    db.session.add(refund)
    db.session.flush()
    payment.refunded_cents += amount_cents
    invoice.paid_cents -= on_invoice
    _refresh_totals(invoice)
    label = f"{invoice.number}: refund of a {payment.method.value} payment"
    if payment.method == PaymentMethod.ACCOUNT_CREDIT:
        # Back to the credit it came from: owed again on the invoice, and credit again.
        _ledger(payment.customer_id, LedgerKind.REFUND, f"{label} to account credit",
                credit_change=on_invoice, invoice_id=invoice.id, payment_id=payment.id, refund_id=refund.id)
    elif destination == RefundDestination.ACCOUNT_CREDIT:
        _ledger(payment.customer_id, LedgerKind.REFUND, f"{label}, kept as account credit",
                credit_change=on_invoice, invoice_id=invoice.id, payment_id=payment.id, refund_id=refund.id)
    else:
        _ledger(payment.customer_id, LedgerKind.REFUND, f"{label}: {reason}", debit=amount_cents,
                credit_change=-from_credit, invoice_id=invoice.id, payment_id=payment.id, refund_id=refund.id)
    audit.record("refund.recorded", "payment", payment.id, changes={
        "amount_cents": amount_cents, "destination": destination.value, "reason": reason})
    return refund


@money_write
def refund_payment(*, payment_id: uuid.UUID, amount_cents: int, reason: str,
                   destination: RefundDestination | str = RefundDestination.ORIGINAL_METHOD) -> Refund:
    """A manager refunds part or all of a payment, with a reason, to its method or to account credit."""
    _require_manager("refund a payment")
    amount_cents = _cents(amount_cents, "amount_cents")
    reason = _reason(reason)
    try:
        destination = RefundDestination(destination)
    except ValueError:
        raise RuleViolation("Unknown destination.", errors={"destination": [
            "ORIGINAL_METHOD or ACCOUNT_CREDIT."]}) from None
    payment = get_payment(payment_id=payment_id)
    invoice = _lock(Invoice, payment.invoice_id, "Invoice not found.")  # lock order: invoice, payment, household
    payment = _lock(Payment, payment_id, "Payment not found.")  # read again under the lock: refunds since count
    refund = _refund(payment, invoice, amount_cents=amount_cents, reason=reason, destination=destination)
    db.session.commit()
    return db.session.get(Refund, refund.id)


# --- cancellations ------------------------------------------------------------------------------------


def _arrival(reservation: Reservation) -> datetime:
    zone = zoneinfo.ZoneInfo(current_tenant().timezone)
    return datetime.combine(reservation.start_date, reservation.arrival_time or time(0, 0), zone)


def _tier(notice_hours: int, policy: list[dict]) -> dict:
    for tier in sorted(policy, key=lambda t: -t["min_notice_hours"]):
        if notice_hours >= tier["min_notice_hours"]:
            return tier
    return min(policy, key=lambda t: t["min_notice_hours"])  # after the arrival: the strictest tier


def _outcome(reservation: Reservation, invoice: Invoice | None) -> dict:
    """What cancelling now would do with the money paid on the booking (nothing is changed)."""
    now = datetime.now(zoneinfo.ZoneInfo(current_tenant().timezone))
    notice = int((_arrival(reservation) - now).total_seconds() // 3600)
    tier = _tier(notice, get_settings().cancellation_policy)
    paid = invoice.paid_cents if invoice is not None and InvoiceStatus(invoice.status) != InvoiceStatus.VOID else 0
    outcome = CancellationOutcome(tier["outcome"]) if paid else CancellationOutcome.NONE
    return {"reservation_id": reservation.id, "notice_hours": notice, "tier": tier, "outcome": outcome.value,
            "paid_cents": paid, "deposit_cents": reservation.deposit_cents,
            "refund_cents": paid if outcome == CancellationOutcome.REFUND else 0,
            "credit_cents": paid if outcome == CancellationOutcome.CREDIT else 0,
            "forfeit_cents": paid if outcome == CancellationOutcome.FORFEIT else 0}


def cancellation_preview(*, reservation_id: uuid.UUID) -> dict:
    """The outcome the clerk sees before confirming a cancellation; once cancelled, the recorded outcome."""
    reservation = db.session.execute(select(Reservation).where(Reservation.id == reservation_id)).scalar_one_or_none()
    if reservation is None:
        raise NotFound("Reservation not found.")
    if ReservationStatus(reservation.status) == ReservationStatus.CANCELLED:
        recorded = db.session.execute(select(Invoice.cancellation).where(
            Invoice.reservation_id == reservation_id, Invoice.cancellation.is_not(None))).scalars().first()
        if recorded:
            return {**recorded, "reservation_id": reservation_id, "recorded": True}
        return {"reservation_id": reservation_id, "notice_hours": None, "tier": None, "outcome": "NONE",
                "paid_cents": 0, "deposit_cents": reservation.deposit_cents, "refund_cents": 0, "credit_cents": 0,
                "forfeit_cents": 0, "recorded": True}
    invoice = db.session.execute(select(Invoice).where(Invoice.reservation_id == reservation_id,
                                                       Invoice.status != InvoiceStatus.VOID)).scalar_one_or_none()
    return {**_outcome(reservation, invoice), "recorded": False}


def settle_cancellation(reservation: Reservation) -> dict:
    """Apply the cancellation policy to a booking being cancelled (in the caller's transaction; no commit).

    The live invoice is voided (what was paid becomes credit), then: REFUND pays each payment's part
    back to its method; CREDIT leaves it as account credit; FORFEIT issues a cancellation-fee invoice
    for it, paid from that credit, so the resort keeps it and the fee shows in revenue.
    """
    with sqlite_serialized():
        invoice = _reservation_invoice(reservation)
        result = _outcome(reservation, invoice)
        if invoice is None:
            return result
        payments = list(db.session.execute(select(Payment).where(Payment.invoice_id == invoice.id)
                                           .order_by(Payment.received_at).with_for_update()
                                           .execution_options(populate_existing=True)).scalars())
        refunded_on = {p.id: db.session.execute(select(func.coalesce(func.sum(Refund.invoice_cents), 0))
                                                .where(Refund.payment_id == p.id)).scalar_one() for p in payments}
        _void(invoice, f"Reservation cancelled ({result['outcome'].lower()})")
        outcome = CancellationOutcome(result["outcome"])
        if outcome == CancellationOutcome.REFUND:
            for payment in payments:
                back = payment.applied_cents - refunded_on[payment.id]
                if back > 0 and payment.method != PaymentMethod.ACCOUNT_CREDIT:
                    _refund(payment, invoice, amount_cents=min(back, payment.amount_cents - payment.refunded_cents),
                            reason="Cancelled with enough notice: refunded", destination=RefundDestination.ORIGINAL_METHOD)
        elif outcome == CancellationOutcome.FORFEIT:
            tenant = current_tenant()
            fee = Invoice(customer_id=reservation.customer_id, reservation_id=None, currency=invoice.currency,
                          tax_rate=Decimal(tenant.tax_rate), created_by=_actor(), replaces_id=invoice.id,
                          notes=f"Cancellation of {reservation.confirmation_code}")
            fee.lines = [_line(LineKind.FEE, f"Cancellation of {reservation.confirmation_code}: deposit forfeited",
                               unit_price_cents=result["paid_cents"])]
            _renumber(fee)
            _refresh_totals(fee)
            db.session.add(fee)
            db.session.flush()
            _issue(fee)
            _pay(fee, amount_cents=result["paid_cents"], method=PaymentMethod.ACCOUNT_CREDIT,
                 reference="cancellation")
            result["fee_invoice_id"] = str(fee.id)
        recorded = {k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in result.items()}
        invoice.cancellation = recorded
        audit.record("reservation.cancellation_settled", "reservation", reservation.id, changes={
            "outcome": result["outcome"], "paid_cents": result["paid_cents"], "notice_hours": result["notice_hours"]})
        return result


# --- what the pages show ------------------------------------------------------------------------------


def stay_account(*, reservation_id: uuid.UUID) -> dict:
    """A stay's money at a glance: its live invoice and totals, the voided ones (newest first), payments, what is due, the household's balance."""
    from app.services.reservations import get_reservation  # it imports this module: read it when needed

    reservation = get_reservation(reservation_id=reservation_id)  # with its household and pets; 404 otherwise
    invoice = db.session.execute(select(Invoice).where(Invoice.reservation_id == reservation_id,
                                                       Invoice.status != InvoiceStatus.VOID)).scalar_one_or_none()
    voided = list(db.session.execute(select(Invoice).where(Invoice.reservation_id == reservation_id,
                                                           Invoice.status == InvoiceStatus.VOID)
                                     .order_by(Invoice.voided_at.desc(), Invoice.id)).scalars())
    payments = [] if invoice is None else list(db.session.execute(
        select(Payment).where(Payment.invoice_id == invoice.id).order_by(Payment.received_at, Payment.id)).scalars())
    if invoice is None:  # not invoiced yet: the price sold is what is due
        due = 0 if ReservationStatus(reservation.status) in (ReservationStatus.CANCELLED,
                                                              ReservationStatus.NO_SHOW) else reservation.total_cents
    else:
        due = balance_of(invoice)
    return {"reservation": reservation, "invoice": invoice, "totals": totals(invoice.lines) if invoice else None,
            "voided": voided, "payments": payments, "due_cents": due, "paid_cents": invoice.paid_cents if invoice else 0,
            "household_cents": balances([reservation.customer_id])[reservation.customer_id],
            "credit_cents": available_credit(reservation.customer_id), "payable": due > 0}


def invoice_payments(*, invoice_id: uuid.UUID) -> tuple[Invoice, list[Payment]]:
    """An invoice of the current tenant with its payments (refunds load with them), oldest first."""
    invoice = get_invoice(invoice_id=invoice_id)
    payments = list(db.session.execute(select(Payment).where(Payment.invoice_id == invoice.id)
                                       .order_by(Payment.received_at, Payment.id)).scalars())
    return invoice, payments


# --- check-out ---------------------------------------------------------------------------------------


def _late_time(reservation: Reservation, settings: BillingSettings) -> time:
    """The booked departure time, or the tenant's late check-out time when the booking gave none."""
    return reservation.departure_time or time.fromisoformat(settings.late_checkout_time)


def check_out_charges(reservation: Reservation, checked_out_at: datetime) -> list[InvoiceLine]:
    """The lines a check-out at this moment adds: extra nights after a later date, or the late-pickup fee."""
    settings = get_settings()
    local = checked_out_at.astimezone(zoneinfo.ZoneInfo(current_tenant().timezone))
    quote = reservation.quote
    late_days = (local.date() - reservation.end_date).days
    if late_days > 0:
        if quote.get("unit", "night") != "night":
            return []  # a day or flat service has no nightly price to charge again
        last: dict[int, dict] = {}
        for stay in quote["stay_lines"]:  # each pet's last booked night sets its nightly price
            last[stay["pet_number"]] = stay
        return [_line(LineKind.SERVICE, f"Extra night{'s' if late_days != 1 else ''}: {stay['pet']}, "
                      f"checked out {local.date()} (booked {reservation.end_date})", quantity=late_days,
                      unit_price_cents=stay["base_cents"], taxable=stay["taxable"])
                for stay in last.values()]
    if late_days == 0 and settings.late_fee_cents and local.time() > _late_time(reservation, settings):
        taxable = any(stay["taxable"] for stay in quote["stay_lines"])
        return [_line(LineKind.FEE, f"Late pickup: checked out {local:%H:%M}, due by "
                      f"{_late_time(reservation, settings):%H:%M}", unit_price_cents=settings.late_fee_cents,
                      taxable=taxable)]
    return []


def finalize_stay(reservation: Reservation) -> Invoice:
    """At check-out: the stay's invoice with any late charges (and their tax), issued (in the caller's transaction).

    A draft takes the charges and is issued; an invoice issued earlier (a deposit was taken) gets them
    as audited adjustment lines. Tax on the charges is one more TAX line, rounded half up to the cent.
    """
    with sqlite_serialized():
        invoice = _invoice_for_reservation(reservation.id)
        draft = InvoiceStatus(invoice.status) == InvoiceStatus.DRAFT
        if draft:
            _follow_snapshot(invoice)
        charges = check_out_charges(reservation, reservation.checked_out_at or utcnow())
        taxable = sum(line.amount_cents for line in charges if line.taxable)
        tax = _tax_line(taxable, Decimal(invoice.tax_rate)) if taxable else None
        if tax is not None:
            tax.description = f"{tax.description} on check-out charges"
            charges.append(tax)
        before = invoice.total_cents
        for line in charges:
            line.adjustment, line.reason = not draft, "Check-out after the booked time"
            invoice.lines.append(line)
        _renumber(invoice)
        _refresh_totals(invoice)
        if draft:
            _issue(invoice, follow_snapshot=False)
        elif charges:
            _ledger(invoice.customer_id, LedgerKind.ADJUSTMENT, f"{invoice.number}: check-out charges",
                    debit=invoice.total_cents - before, invoice_id=invoice.id)
        if charges:
            audit.record("invoice.check_out_charges", "invoice", invoice.id, changes={
                "amount_cents": invoice.total_cents - before, "lines": [line.description for line in charges]})
        return invoice


# --- history: a household with money history is never deleted --------------------------------------


def customer_has_invoices(customer_id: uuid.UUID) -> bool:
    """True when an invoice or a ledger entry refers to this household."""
    return db.session.execute(select(Invoice.id).where(Invoice.customer_id == customer_id).limit(1)).first() \
        is not None


customers.HISTORY_CHECKS.append(customer_has_invoices)
