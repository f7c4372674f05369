"""Message templates: the defaults in code, a resort's own edits in message_templates, and safe rendering.

A template is plain text with `{placeholder}` fields filled by str.format_map from a mapping of
ready-made strings. Only bare names from the kind's list are accepted: attribute or index access
(`{customer.__class__}`, `{x[0]}`), conversions (`!r`) and format specs (`:>99999`) are refused
when the template is saved or previewed, so a template can never reach into an object.
"""
import string
from dataclasses import dataclass

from flask import g
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.core.errors import NotFound, PermissionDenied, RuleViolation, StaleVersion
from app.core.extensions import db
from app.models import MessageTemplate, Role, Tenant
from app.models.mail import Channel
from app.services import audit
from app.services.rows import expect_version, refuse_stale
from app.tenancy import current_tenant_or_none

RESORT = ("resort_name", "resort_address", "resort_phone", "customer_name", "first_name")
# Staff account emails: `link` carries a one-time token, so it may appear in the body only (the body is
# stored with the token masked; the subject is stored as it is).
ACCOUNT = ("resort_name", "resort_address", "resort_phone", "user_name", "link", "valid_for")
ACCOUNT_KINDS = ("invitation", "password_reset")
STAY = ("pet_names", "service", "start_date", "end_date", "arrival", "departure", "kennel", "total", "deposit",
        "confirmation_code")


@dataclass(frozen=True)
class Kind:
    """One kind of customer message: what it is called, the placeholders it may use, its default wording."""

    name: str
    label: str
    placeholders: tuple[str, ...]
    subject: str
    email: str
    sms: str
    channels: tuple[Channel, ...] = (Channel.EMAIL, Channel.SMS)
    editor: Role = Role.MANAGER  # who may change the wording
    required: tuple[str, ...] = ()  # placeholders the body must keep (an invitation without its link is useless)
    body_only: tuple[str, ...] = ()  # placeholders refused in the subject

    @property
    def for_staff(self) -> bool:
        return self.editor == Role.ADMIN


_SIGN_OFF = "\n\n{resort_name}\n{resort_address}\n{resort_phone}"
_STAY_LINES = ("Confirmation code: {confirmation_code}\nPets: {pet_names}\nService: {service}\n"
               "Arrival: {arrival}\nDeparture: {departure}\nKennel: {kennel}\nTotal: {total}\nDeposit: {deposit}")

KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("booking_confirmation", "Booking confirmation", RESORT + STAY,
         "Booking confirmed: {pet_names} at {resort_name}, {start_date}",
         "Hello {first_name},\n\nYour booking at {resort_name} is confirmed.\n\n" + _STAY_LINES
         + "\n\nWe look forward to seeing you." + _SIGN_OFF,
         "{resort_name}: booking {confirmation_code} confirmed for {pet_names}, {start_date} to {end_date}. "
         "Total {total}, deposit {deposit}."),
    Kind("booking_changed", "Booking changed", RESORT + STAY + ("changes",),
         "Your booking {confirmation_code} at {resort_name} has changed",
         "Hello {first_name},\n\nYour booking at {resort_name} has changed:\n\n{changes}\n\nThe booking now:\n\n"
         + _STAY_LINES + _SIGN_OFF,
         "{resort_name}: booking {confirmation_code} changed. {changes}"),
    Kind("booking_cancelled", "Booking cancelled", RESORT + STAY,
         "Booking {confirmation_code} at {resort_name} cancelled",
         "Hello {first_name},\n\nYour booking {confirmation_code} for {pet_names} ({service}, {start_date} to "
         "{end_date}) has been cancelled. Please call us if this is unexpected." + _SIGN_OFF,
         "{resort_name}: booking {confirmation_code} for {pet_names} on {start_date} is cancelled."),
    Kind("arrival_reminder", "Arrival reminder (the day before)", RESORT + STAY,
         "See you tomorrow: {pet_names} at {resort_name}",
         "Hello {first_name},\n\nA reminder that {pet_names} arrive tomorrow, {arrival}, for {service}.\n\n"
         + _STAY_LINES + _SIGN_OFF,
         "{resort_name}: reminder, {pet_names} arrive tomorrow ({arrival}). Code {confirmation_code}."),
    Kind("vaccine_reminder", "Vaccine expiry reminder", RESORT + ("pet_name", "vaccine", "expires_on"),
         "{pet_name}'s {vaccine} vaccination expires {expires_on}",
         "Hello {first_name},\n\nOur records show {pet_name}'s {vaccine} vaccination expires on {expires_on}. "
         "Please send us the new certificate so {pet_name} can keep staying with us." + _SIGN_OFF,
         "{resort_name}: {pet_name}'s {vaccine} vaccination expires {expires_on}. Please send the new certificate."),
    # Staff accounts: email only, and only admins (who manage users) change them: a password email is
    # what a phisher would imitate, so who may reword it is kept to the people who invite staff.
    Kind("invitation", "Staff invitation", ACCOUNT, "Set your Tailtown password",
         "Hello {user_name},\n\nYou have been invited to {resort_name} on Tailtown. Use this link within {valid_for} "
         "to set your password:\n{link}\n" + _SIGN_OFF, "", channels=(Channel.EMAIL,), editor=Role.ADMIN,
         required=("link",), body_only=("link",)),
    Kind("password_reset", "Staff password reset", ACCOUNT, "Reset your Tailtown password",
         "Hello {user_name},\n\nUse this link within {valid_for} to set your password:\n{link}\n\n"
         "If you did not ask for this, ignore this email: your password stays as it is." + _SIGN_OFF, "",
         channels=(Channel.EMAIL,), editor=Role.ADMIN, required=("link",), body_only=("link",)),
)}

SAMPLE = {
    "resort_name": "Happy Paws Resort", "resort_address": "12 Kennel Lane, Denver CO", "resort_phone": "+1 303 555 0100",
    "customer_name": "Ann Smith", "first_name": "Ann",
    "pet_names": "Rex and Bella", "service": "Boarding", "start_date": "Fri 12 Dec 2025", "end_date": "Mon 15 Dec 2025",
    "arrival": "Fri 12 Dec 2025 at 08:00", "departure": "Mon 15 Dec 2025 at 17:00", "kennel": "A01",
    "total": "$285.00", "deposit": "$50.00", "confirmation_code": "K7XQ4M",
    "changes": "Dates: Fri 12 Dec 2025 to Sun 14 Dec 2025 → Fri 12 Dec 2025 to Mon 15 Dec 2025\nTotal: $190.00 → $285.00",
    "pet_name": "Rex", "vaccine": "Rabies", "expires_on": "Wed 31 Dec 2025",
    "user_name": "Sam Rivera", "link": "https://happy-paws.example/reset-password?token=sample-token",
    "valid_for": "one hour",
}


@dataclass(frozen=True)
class Template:
    """The wording a message of one kind and channel is rendered from (custom: the resort edited it)."""

    kind: Kind
    channel: Channel
    subject: str
    body: str
    custom: bool
    version: int | None = None


def kind_of(name: str) -> Kind:
    """The kind named, or 404."""
    if name not in KINDS:
        raise NotFound("No such message kind.", errors={"kind": [f"Unknown kind {name!r}."]})
    return KINDS[name]


def channel_of(name: str, kind: Kind | None = None) -> Channel:
    """The channel named (EMAIL or SMS, and one the kind is sent on), or 404."""
    try:
        channel = Channel(name.upper())
    except ValueError:
        raise NotFound("No such channel.", errors={"channel": [f"Unknown channel {name!r}."]}) from None
    if kind is not None and channel not in kind.channels:
        raise NotFound("No such channel for this message.", errors={"channel": [
            f"{kind.label} is sent by {', '.join(c.value for c in kind.channels)} only."]})
    return channel


def resolve(kind: str, channel: Channel | str) -> tuple[Kind, Channel]:
    """The kind and channel named (404 for an unknown one, or a channel the kind is not sent on)."""
    kind_ = kind_of(kind)
    return kind_, channel_of(channel.value if isinstance(channel, Channel) else channel, kind_)


def resort_values() -> dict[str, str]:
    """The resort's name, address and phone for a message's signature (Tailtown's name with no tenant)."""
    tenant = current_tenant_or_none()
    row = db.session.get(Tenant, tenant.id) if tenant else None  # the address is not in the cached TenantInfo
    if row is None:
        return {"resort_name": "Tailtown", "resort_address": "", "resort_phone": ""}
    return {"resort_name": row.name, "resort_address": row.address, "resort_phone": row.phone}


def may_edit(kind: Kind) -> bool:
    """Whether the caller's role may change this kind's wording (managers; admins for staff account emails)."""
    role = g.get("principal_role")
    return role is not None and Role(role).allows(kind.editor)


def _require_editor(kind: Kind) -> None:
    if not may_edit(kind):
        raise PermissionDenied(f"Only {'an admin' if kind.editor == Role.ADMIN else 'a manager'} may change "
                               f"the {kind.label.lower()} wording.")


def default(kind: Kind, channel: Channel) -> Template:
    """The built-in wording (SMS has no subject)."""
    return Template(kind, channel, kind.subject if channel == Channel.EMAIL else "",
                    kind.email if channel == Channel.EMAIL else kind.sms, custom=False)


def _row(kind: Kind, channel: Channel) -> MessageTemplate | None:
    return db.session.execute(select(MessageTemplate).where(MessageTemplate.kind == kind.name,
                                                            MessageTemplate.channel == channel)).scalar_one_or_none()


def get_template(*, kind: str, channel: Channel | str) -> Template:
    """The current tenant's wording for a kind and channel: its own edit, or the default."""
    kind_, channel_ = resolve(kind, channel)
    row = _row(kind_, channel_)
    if row is None:
        return default(kind_, channel_)
    return Template(kind_, channel_, row.subject, row.body, custom=True, version=row.version)


def list_templates() -> list[Template]:
    """Every kind on every channel, the resort's edits in place of the defaults (one query)."""
    rows = {(r.kind, Channel(r.channel)): r for r in db.session.execute(select(MessageTemplate)).scalars()}
    found = []
    for kind in KINDS.values():
        for channel in kind.channels:
            row = rows.get((kind.name, channel))
            found.append(default(kind, channel) if row is None else
                         Template(kind, channel, row.subject, row.body, custom=True, version=row.version))
    return found


def check(kind: Kind, *, subject: str, body: str) -> None:
    """Refuse unknown or unsafe placeholders (422 naming them, per field) and malformed braces."""
    errors: dict[str, list[str]] = {}
    for field, text in (("subject", subject), ("body", body)):
        try:
            fields = [(name, spec, conv) for _, name, spec, conv in string.Formatter().parse(text) if name is not None]
        except ValueError as exc:  # a lone { or }
            errors[field] = [f"Braces must pair up ({exc}); write {{{{ or }}}} for a literal brace."]
            continue
        bad = sorted({name for name, spec, conv in fields if name not in kind.placeholders or spec or conv})
        if bad:
            errors[field] = [f"Unknown placeholder{'s' if len(bad) > 1 else ''}: "
                             + ", ".join("{" + (b or "") + "}" for b in bad)
                             + f". Use: {', '.join('{' + p + '}' for p in kind.placeholders)}."]
        names = {name for name, _, _ in fields}
        if field == "subject" and names & set(kind.body_only):
            errors.setdefault(field, []).append(", ".join("{" + p + "}" for p in sorted(names & set(kind.body_only)))
                                                + " may only appear in the body.")
        if field == "body" and set(kind.required) - names:
            errors.setdefault(field, []).append("The body must keep " + ", ".join(
                "{" + p + "}" for p in kind.required if p not in names) + ".")
    if len(subject) > 200:
        errors.setdefault("subject", []).append("At most 200 characters.")
    if not body.strip():
        errors.setdefault("body", []).append("The body must not be empty.")
    if len(body) > 10_000:
        errors.setdefault("body", []).append("At most 10,000 characters.")
    if errors:
        unknown = sorted({e for msgs in errors.values() for e in msgs})
        raise RuleViolation("The template has unknown placeholders or is malformed.", errors=errors,
                            extra={"problems": unknown})


def fill(text: str, values: dict[str, str]) -> str:
    """Fill a checked template from ready-made strings (format_map on a plain dict of str: no object to reach into)."""
    return text.format_map({k: str(v) for k, v in values.items()})


def render(template: Template, values: dict[str, str]) -> tuple[str, str]:
    """(subject, body) of a template filled with values; a stored template that no longer checks falls back."""
    try:
        check(template.kind, subject=template.subject, body=template.body)
    except RuleViolation:
        template = default(template.kind, template.channel)  # never send a broken message (or none at all)
    return fill(template.subject, values), fill(template.body, values)


def preview(*, kind: str, channel: str, subject: str, body: str) -> tuple[str, str]:
    """A draft rendered with the sample booking (422 naming unknown placeholders)."""
    kind_, channel_ = resolve(kind, channel)
    check(kind_, subject=subject, body=body)
    return fill(subject if channel_ == Channel.EMAIL else "", SAMPLE), fill(body, SAMPLE)


UNSET = -1  # expected_version not given (the web form): no version check


def template_id(kind: Kind, channel: Channel) -> str:
    """The API's name for one template, `booking_confirmation.EMAIL` (its ETag is `<name>-<version>`)."""
    return f"{kind.name}.{channel.value}"


def _expect(row: MessageTemplate | None, expected: int | None) -> None:
    """If-Match: version 0 is the default (no row yet); a row's own version otherwise (the UPDATE checks it)."""
    if expected is None or expected == UNSET:
        return
    if (row is None) != (expected == 0):
        raise StaleVersion()
    if row is not None:
        expect_version(row, expected)


@refuse_stale
def save_template(*, kind: str, channel: str, subject: str, body: str, expected_version: int | None = UNSET) -> Template:
    """Store the resort's wording for a kind and channel (checked first; audited; If-Match when a version is given)."""
    kind_, channel_ = resolve(kind, channel)
    _require_editor(kind_)
    subject = subject.strip() if channel_ == Channel.EMAIL else ""
    check(kind_, subject=subject, body=body)
    row = _row(kind_, channel_)
    _expect(row, expected_version)
    if row is None:
        row = MessageTemplate(kind=kind_.name, channel=channel_, subject=subject, body=body)
        db.session.add(row)
    else:
        row.subject, row.body = subject, body
    audit.record("message_template.saved", "message_template", f"{kind_.name}/{channel_.value}")
    try:
        db.session.commit()
    except IntegrityError:  # another editor created the row between our read and our insert
        db.session.rollback()
        raise StaleVersion() from None
    return get_template(kind=kind_.name, channel=channel_)


@refuse_stale
def reset_template(*, kind: str, channel: str, expected_version: int | None = UNSET) -> Template:
    """Go back to the default wording (the resort's row is deleted; If-Match when a version is given)."""
    kind_, channel_ = resolve(kind, channel)
    _require_editor(kind_)
    row = _row(kind_, channel_)
    _expect(row, expected_version)
    if row is not None:
        db.session.delete(row)
        audit.record("message_template.reset", "message_template", f"{kind_.name}/{channel_.value}")
        db.session.commit()
    return default(kind_, channel_)
