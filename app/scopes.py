"""API key scopes: what each key may touch, on top of its role, and the one table of what each endpoint needs.

A request with an API key passes when its role allows the view (`requires`) *and* its scopes hold
the scope the endpoint needs here: scopes narrow a role, never widen it. Writing never includes
reading (a booking widget books with `reservations:write` but cannot list the resort's bookings).
"""
from app.core.errors import PermissionDenied, RuleViolation

# The vocabulary, documented in the OpenAPI description and on the API keys page.
SCOPES: dict[str, str] = {
    "customers:read": "List and read households, their contact details, their pets list and the CSV export.",
    "customers:write": "Create, change and delete households.",
    "pets:read": "Read pets, vaccinations, compliance, photos and vaccination documents.",
    "pets:write": "Create and change pets and their vaccinations, photos and documents.",
    "reservations:read": "List and read reservations, the day sheet and cancellation outcomes.",
    "reservations:write": "Book, change, confirm, move, check in, check out, cancel and mark no-shows.",
    "availability:read": "Search free kennels for a stay.",
    "catalog:read": "Read services, add-ons, price rules, kennels and vaccine requirements; price quotes.",
    "catalog:write": "Change services, add-ons, price rules, kennels and vaccine requirements.",
    "billing:read": "Read invoices, payments, refunds, customer ledgers and billing settings.",
    "billing:write": "Create and issue invoices, record payments and refunds, change billing settings.",
    "reports:read": "Occupancy, revenue, aging and close-out reports.",
    "webhooks:manage": "Manage webhook endpoints and their deliveries.",
    "admin": "Users, API keys, the audit trail, the outbox and the resort's settings.",
}
ALL = "*"  # every scope, present and future: what keys made before scopes existed have
ALL_READ = "*:read"  # every `...:read` scope: a read-only sync
WILDCARDS = (ALL, ALL_READ)
READ_SCOPES = frozenset(name for name in SCOPES if name.endswith(":read"))
OPEN = None  # an endpoint every valid key may call, whatever its scopes (who am I, the resort's settings)
# The scope set of a booking widget on the resort's website, offered as a preset on the API keys page.
BOOKING_WIDGET = ("availability:read", "catalog:read", "customers:write", "pets:write", "reservations:write")


def expand(scopes) -> frozenset[str]:
    """The concrete scope names a stored list grants (wildcards expanded)."""
    granted: set[str] = set()
    for scope in scopes or ():
        if scope == ALL:
            return frozenset(SCOPES)
        granted |= READ_SCOPES if scope == ALL_READ else {scope}
    return frozenset(granted & SCOPES.keys())


def normalize(scopes) -> list[str]:
    """A stored scope list from input: known names or wildcards, deduplicated, sorted; 422 naming `scopes` otherwise."""
    if isinstance(scopes, str) or not isinstance(scopes, (list, tuple, set, frozenset)):
        raise RuleViolation("Scopes must be a list.", errors={"scopes": ["Must be a list of scope names."]})
    cleaned = sorted({str(s).strip() for s in scopes})
    unknown = [s for s in cleaned if s not in SCOPES and s not in WILDCARDS]
    if unknown:
        raise RuleViolation("Unknown scope.", errors={"scopes": [f"Unknown scope {s!r}." for s in unknown]})
    if not cleaned:
        raise RuleViolation("A key needs at least one scope.", errors={"scopes": ["Name at least one scope."]})
    if ALL in cleaned:
        return [ALL]
    if ALL_READ in cleaned:
        cleaned = [ALL_READ, *(s for s in cleaned if s not in READ_SCOPES and s != ALL_READ)]
    return cleaned


def refuse_wider(requested, *, holder) -> None:
    """A key may only hand out scopes it holds itself (403 naming the first one it lacks)."""
    missing = sorted(expand(requested) - expand(holder))
    if missing:
        raise PermissionDenied(f"This API key lacks the `{missing[0]}` scope, so it cannot grant it.",
                               extra={"required_scope": missing[0]})


def _rw(area: str, read: tuple[str, ...] = ("GET",), write: tuple[str, ...] = ()) -> dict[str, str]:
    return {**dict.fromkeys(read, f"{area}:read"), **dict.fromkeys(write, f"{area}:write")}


# Every API endpoint (flask-smorest `<blueprint>.<resource>`) and method -> the scope it needs.
# tests/api/test_scopes.py walks the URL map: an endpoint missing here fails it (and is refused with a
# 403 at run time rather than let through). HEAD is checked as GET; a CORS preflight never gets here.
ENDPOINT_SCOPES: dict[str, dict[str, str | None]] = {
    # identity and settings
    "tenant.Me": {"GET": OPEN},
    "tenant.TenantSettings": {"GET": OPEN, "PATCH": "admin"},
    "users.Users": {"GET": "admin", "POST": "admin"},
    "users.UserById": {"GET": "admin", "PATCH": "admin"},
    "api_keys.ApiKeys": {"GET": "admin", "POST": "admin"},
    "api_keys.ApiKeyById": {"GET": "admin", "PATCH": "admin", "DELETE": "admin"},
    "audit_events.AuditEvents": {"GET": "admin"},
    "audit_events.AuditEventById": {"GET": "admin"},
    "outbox_messages.OutboxMessages": {"GET": "admin"},
    "webhooks.Endpoints": {"GET": "webhooks:manage", "POST": "webhooks:manage"},
    "webhooks.EndpointById": {"GET": "webhooks:manage", "PATCH": "webhooks:manage", "DELETE": "webhooks:manage"},
    "webhooks.RotateSecret": {"POST": "webhooks:manage"},
    "webhooks.Ping": {"POST": "webhooks:manage"},
    "webhooks.Deliveries": {"GET": "webhooks:manage"},
    "webhooks.Redeliver": {"POST": "webhooks:manage"},
    "outbox_messages.RetryMessage": {"POST": "admin"},
    # message wording is the resort's settings (customer notices, staff invitations and resets)
    "message_templates.MessageTemplates": {"GET": "admin"},
    "message_templates.MessageTemplateByName": {"GET": "admin", "PUT": "admin", "DELETE": "admin"},
    "message_templates.MessageTemplatePreview": {"POST": "admin"},  # renders a draft; writes nothing
    # catalog
    "catalog_services.Services": _rw("catalog", write=("POST",)),
    "catalog_services.ServiceById": _rw("catalog", write=("PATCH", "DELETE")),
    "addons.AddOns": _rw("catalog", write=("POST",)),
    "addons.AddOnById": _rw("catalog", write=("PATCH", "DELETE")),
    "price_rules.PriceRules": _rw("catalog", write=("POST",)),
    "price_rules.PriceRuleById": _rw("catalog", write=("PATCH", "DELETE")),
    "kennels.Kennels": _rw("catalog", write=("POST",)),
    "kennels.KennelById": _rw("catalog", write=("PATCH", "DELETE")),
    "kennels.KennelStatusView": _rw("catalog", read=(), write=("POST",)),
    "kennels.KennelsBulk": _rw("catalog", read=(), write=("POST",)),
    "vaccine_requirements.Requirements": _rw("catalog", write=("POST",)),
    "vaccine_requirements.RequirementById": _rw("catalog", read=(), write=("DELETE",)),
    "quotes.Quotes": {"POST": "catalog:read"},  # prices a stay from the catalog; writes nothing
    # customers and pets
    "customers.Customers": _rw("customers", write=("POST",)),
    "customers.CustomerById": _rw("customers", write=("PATCH", "DELETE")),
    "customers.CustomerExport": _rw("customers"),
    "customers.CustomerPets": _rw("pets", write=("POST",)),
    "pets.Pets": _rw("pets"),
    "pets.PetById": _rw("pets", write=("PATCH", "DELETE")),
    "pets.PetCompliance": _rw("pets"),
    "pets.PetPhoto": _rw("pets", write=("PUT",)),
    "pets.PetVaccinations": _rw("pets", write=("POST",)),
    "pets.PetVaccination": _rw("pets", read=(), write=("PATCH", "DELETE")),
    "pets.VaccinationDocument": _rw("pets", write=("PUT",)),
    "vaccinations.Vaccinations": _rw("pets"),
    "vaccine_reminders.ExpiringVaccinations": _rw("pets"),
    "vaccine_reminders.VaccineReminders": _rw("pets", read=(), write=("POST",)),  # queues reminders to the household
    # reservations
    "availability.Availability": {"GET": "availability:read"},
    "availability.DaySheet": _rw("reservations"),
    "reservations.Reservations": _rw("reservations", write=("POST",)),
    "reservations.ReservationById": _rw("reservations", write=("PATCH",)),
    "reservations.ReservationPreview": {"POST": "reservations:read"},  # what a change would cost; writes nothing
    "reservations.ReservationCancel": _rw("reservations", read=(), write=("POST",)),
    "reservations.ReservationCheckIn": _rw("reservations", read=(), write=("POST",)),
    "reservations.ReservationCheckOut": _rw("reservations", read=(), write=("POST",)),
    "reservations.ReservationConfirm": _rw("reservations", read=(), write=("POST",)),
    "reservations.ReservationMove": _rw("reservations", read=(), write=("POST",)),
    "reservations.ReservationNoShow": _rw("reservations", read=(), write=("POST",)),
    "cancellations.ReservationCancellation": _rw("reservations"),
    # billing
    "billing_settings.BillingSettings": _rw("billing", write=("PATCH",)),
    "invoices.Invoices": _rw("billing", write=("POST",)),
    "invoices.InvoiceById": _rw("billing"),
    "invoices.InvoiceIssue": _rw("billing", read=(), write=("POST",)),
    "invoices.InvoiceLines": _rw("billing", read=(), write=("POST",)),
    "invoices.InvoiceVoid": _rw("billing", read=(), write=("POST",)),
    "payments.Payments": _rw("billing", write=("POST",)),
    "payments.PaymentById": _rw("billing"),
    "payments.PaymentRefunds": _rw("billing", write=("POST",)),
    "ledger.CustomerLedger": _rw("billing"),
    # the change feed's tombstones: each type is shown only to a key holding that list's read scope
    "deletions.Deletions": {"GET": OPEN},
    # reports
    "reports.Occupancy": {"GET": "reports:read"},
    "reports.Revenue": {"GET": "reports:read"},
    "reports.Aging": {"GET": "reports:read"},
    "reports.CloseOut": {"GET": "reports:read"},
}
UNMAPPED = object()


def required_scope(endpoint: str | None, method: str):
    """The scope an endpoint and method need: a name, OPEN, or UNMAPPED when the table has no entry."""
    methods = ENDPOINT_SCOPES.get(endpoint or "")
    if methods is None:
        return UNMAPPED
    return methods.get("GET" if method == "HEAD" else method, UNMAPPED)


def check_scope(granted: frozenset[str], endpoint: str | None, method: str) -> None:
    """Refuse (403 naming the scope) a call the key's scopes do not cover; an unmapped endpoint is refused too."""
    needed = required_scope(endpoint, method)
    if needed is UNMAPPED:
        raise PermissionDenied("No scope is defined for this operation, so no API key may call it.")
    if needed is not OPEN and needed not in granted:
        raise PermissionDenied(f"This API key lacks the `{needed}` scope.", extra={"required_scope": needed},
                               headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{needed}"'})
