"""Customers: create, edit, deactivate/delete, search, and the cached customer-with-pets lookup."""
import re
import uuid
from typing import Any

from flask import current_app
from sqlalchemy import and_, exists, false, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, selectinload

from app.core.cache import cached, invalidate
from app.core.errors import Conflict, NotFound, RuleViolation
from app.core.extensions import db
from app.core.pagination import counted_up_to, paginate
from app.models import ContactMethod, Customer, CustomerTag, Pet, Species, Vaccination
from app.services import audit
from app.services.compliance import tenant_today
from app.services.contact import digits, fold, normalize_email, normalize_phone, search_terms, search_words
from app.services.plain import customer_plain
from app.services.rows import expect_version, refuse_stale
from app.tenancy import current_tenant

PHONE_FIELDS = ("phone", "alt_phone", "emergency_phone")
TEXT_LIMITS = {"notes": 10_000}
EDITABLE = ["first_name", "last_name", "email", "phone", "alt_phone", "address_line1", "address_line2", "city",
            "region", "postal_code", "emergency_name", "emergency_phone", "emergency_relationship",
            "preferred_contact", "notes", "active"]
DETAIL_TTL = 300
_TAG = re.compile(r"^[a-z0-9][a-z0-9 _-]{0,39}$")
# Reservations and invoices register here: a customer they refer to is deactivated, never deleted.
HISTORY_CHECKS: list = []


# --- normalising input ---------------------------------------------------------------------------


def clean_customer_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Normalise email and phones and check limits; errors name every bad field at once."""
    errors: dict[str, list[str]] = {}
    out = dict(fields)
    if "email" in out:
        try:
            out["email"] = normalize_email(out["email"])
        except ValueError as exc:
            errors["email"] = [str(exc)]
    for field in PHONE_FIELDS:
        if field in out:
            try:
                out[field] = normalize_phone(out[field])
            except ValueError as exc:
                errors[field] = [str(exc)]
    for field in ("first_name", "last_name"):
        if field in out:
            out[field] = (out[field] or "").strip()
            if not out[field]:
                errors[field] = ["Must not be empty."]
    for field, limit in TEXT_LIMITS.items():
        if field in out and len(out[field] or "") > limit:
            errors[field] = [f"At most {limit:,} characters."]
    if "preferred_contact" in out and out["preferred_contact"] is not None:
        out["preferred_contact"] = ContactMethod(out["preferred_contact"])
    if "tags" in out:
        tags = sorted({(t or "").strip().lower() for t in out["tags"] if (t or "").strip()})
        bad = [t for t in tags if not _TAG.fullmatch(t)]
        if bad:
            errors["tags"] = [f"Tags are up to 40 lowercase letters, digits, spaces, - or _: {', '.join(bad)}"]
        out["tags"] = tags
    if errors:
        raise RuleViolation("Please correct the highlighted fields.", errors=errors)
    return out


def search_text_for(customer: Customer, pet_names: list[str]) -> str:
    """Each searchable word after a space, so `LIKE '% word%'` is a word-prefix match.

    Names and pet names are stored in every form a clerk may type (see contact.search_words);
    the email whole, phones as digits. Changing this format needs a migration of existing rows.
    """
    words = [w for text in (customer.first_name, customer.last_name, *pet_names) for w in search_words(text)]
    words += [fold(customer.email or "")]
    words += [digits(p) for p in (customer.phone, customer.alt_phone) if p]
    return " " + " ".join(w for w in words if w) + " "


def refresh_search_text(customer: Customer) -> None:
    """Recompute the search words (names, email, phones, pet names); call before commit."""
    names = db.session.execute(select(Pet.name).where(Pet.customer_id == customer.id)).scalars().all()
    customer.search_text = search_text_for(customer, list(names))


def _duplicate_email(email: str, exclude: uuid.UUID | None = None) -> Conflict:
    existing = db.session.execute(select(Customer).where(Customer.email == email, Customer.id != exclude)) \
        .scalar_one_or_none() if email else None
    name = existing.full_name if existing else "another customer"
    # The other customer's id travels apart from the words, so pages can link to them (API: existing_id).
    return Conflict(f"{email} already belongs to {name}.", errors={"email": [f"Already used by {name}."]},
                    extra={"existing_id": str(existing.id), "existing_name": name} if existing else None)


# --- writes --------------------------------------------------------------------------------------


def create_customer(*, tags: list[str] | None = None, **fields) -> Customer:
    """Add a customer; email is unique per tenant, phones are stored normalised."""
    fields = clean_customer_fields({**fields, "tags": tags or []})
    tags = fields.pop("tags")
    customer = Customer(**fields)
    customer.tags = [CustomerTag(tag=t) for t in tags]
    customer.search_text = search_text_for(customer, [])
    db.session.add(customer)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise _duplicate_email(fields.get("email")) from None
    audit.record("customer.created", "customer", customer.id, changes={"name": customer.full_name})
    db.session.commit()
    return customer


def load_customer(customer_id: uuid.UUID) -> Customer:
    """One customer of the current tenant with tags (404 for any other id)."""
    stmt = select(Customer).where(Customer.id == customer_id).options(selectinload(Customer.tags))
    customer = db.session.execute(stmt).scalar_one_or_none()
    if customer is None:
        raise NotFound("Customer not found.")
    return customer


@refuse_stale
def update_customer(*, customer_id: uuid.UUID, expected_version: int | None = None, **fields) -> Customer:
    """Change contact details, notes, tags or the active flag (refused if its version is no longer expected_version)."""
    fields = clean_customer_fields(fields)
    customer = load_customer(customer_id)
    expect_version(customer, expected_version)
    tags = fields.pop("tags", None)
    old = audit.snapshot(customer, list(fields))
    for field, value in fields.items():
        setattr(customer, field, value)
    changes = audit.changes_of(old, fields)
    if tags is not None and tags != customer.tag_names:
        changes["tags"] = {"old": customer.tag_names, "new": tags}
        customer.tags = [CustomerTag(tag=t) for t in tags]
    refresh_search_text(customer)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise _duplicate_email(fields.get("email"), exclude=customer_id) from None
    if changes:
        action = "customer.deactivated" if changes.get("active", {}).get("new") is False else "customer.updated"
        audit.record(action, "customer", customer.id, changes=changes)
    forget_customer(customer_id)
    db.session.commit()
    return customer


def refuse_if_history(customer_id: uuid.UUID, what: str) -> None:
    """Refuse to delete what history (bookings, invoices) of this household refers to: deactivate it instead."""
    if any(has_history(customer_id) for has_history in HISTORY_CHECKS):
        raise Conflict(f"This household has history (bookings or invoices); deactivate the {what} instead.",
                       errors={"active": ["Set active to false instead."]})


@refuse_stale
def delete_customer(*, customer_id: uuid.UUID, expected_version: int | None = None) -> None:
    """Delete a customer with no history (pets and vaccinations go too); otherwise refuse: deactivate instead."""
    customer = load_customer(customer_id)
    if expected_version is not None:
        expect_version(customer, expected_version)
    refuse_if_history(customer_id, "customer")
    audit.record("customer.deleted", "customer", customer.id, changes={"name": customer.full_name})
    db.session.delete(customer)
    forget_customer(customer_id)
    db.session.commit()


# --- reads ---------------------------------------------------------------------------------------


def _detail_key(customer_id: uuid.UUID) -> str:
    return f"customer:{current_tenant().id}:{customer_id}"


def forget_customer(customer_id: uuid.UUID) -> None:
    """Retire the cached customer-with-pets; every write to the customer, its pets or vaccinations calls this
    before its commit (app/core/cache.py repeats it after the commit)."""
    invalidate(_detail_key(customer_id))


def get_customer(*, customer_id: uuid.UUID) -> Customer:
    """One customer with tags, pets and their vaccinations loaded (3 queries in all)."""
    customer = db.session.execute(
        select(Customer).where(Customer.id == customer_id)
        .options(selectinload(Customer.tags), selectinload(Customer.pets).selectinload(Pet.vaccinations))
    ).scalar_one_or_none()
    if customer is None:
        raise NotFound("Customer not found.")
    return customer


def customer_detail(*, customer_id: uuid.UUID) -> dict:
    """The customer with pets and vaccinations as plain data, from the cache when warm (no SQL)."""
    return cached(_detail_key(customer_id), lambda: customer_plain(get_customer(customer_id=customer_id)),
                  timeout=DETAIL_TTL)


SORTS = {  # of Customer or of an alias of it (a search's matches)
    "name": lambda c: (c.last_name, c.first_name, c.id),
    "-name": lambda c: (c.last_name.desc(), c.first_name.desc(), c.id),
    "created_at": lambda c: (c.created_at, c.id),
    "-created_at": lambda c: (c.created_at.desc(), c.id),
}


def _phone_like(q: str) -> bool:
    return bool(re.fullmatch(r"[\d\s().+\-]+", q)) and len(digits(q)) >= 3


def search_condition(q: str):
    """Every word of q must prefix a name, email or pet-name word (accents, umlaut spellings and
    punctuation forgiven); a phone-like query matches digits anywhere."""
    q = (q or "").strip()
    if not q:
        return None
    if _phone_like(q):
        return Customer.search_text.contains(digits(q), autoescape=True)
    # Distinct words, at most SEARCH_MAX_WORDS of them (the rest are ignored): each is one LIKE,
    # and a pasted paragraph must not become a 1,900-LIKE statement.
    words = list(dict.fromkeys(search_terms(q)))[:current_app.config["SEARCH_MAX_WORDS"]]
    if not words:  # only punctuation: nothing can match it
        return false()
    return and_(*[Customer.search_text.contains(" " + w, autoescape=True) for w in words])


def _found_by_index(q: str | None) -> bool:
    """Whether the trigram index narrows q's search: phone digits (3 or more), or a word of 2 letters or more
    (3 characters with the space before it). A single letter matches a good part of every resort."""
    q = (q or "").strip()
    return bool(q) and (_phone_like(q) or any(len(w) >= 2 for w in search_terms(q)))


def matched_pet_ids(customer: Customer, q: str | None) -> list[uuid.UUID]:
    """The customer's pets whose name a word of q prefixes (what the results highlight)."""
    q = (q or "").strip()
    if not q or _phone_like(q):
        return []
    terms = search_terms(q)
    return [pet.id for pet in customer.pets
            if any(word.startswith(term) for word in search_words(pet.name) for term in terms)]


def _lapsed_vaccination(today):
    """SQL: a pet of the customer has a vaccine whose latest record (the one expiring last) expired before today.

    An expired record that a later one replaces (a booster) does not count, so this agrees with
    compliance.evaluate() for today. One correlated NOT EXISTS, served by ix_vaccinations_tenant_pet.
    """
    later = aliased(Vaccination)
    replaced = exists().where(later.pet_id == Vaccination.pet_id, later.vaccine == Vaccination.vaccine,
                              later.expires_on > Vaccination.expires_on)
    return exists().where(Pet.customer_id == Customer.id, Vaccination.pet_id == Pet.id,
                          Vaccination.expires_on < today, ~replaced)


# Households only grow: the list's count stops this many rows past the page asked for.
COUNT_BEYOND = 1_000


def total_is_floor(total: int, *, page: int, page_size: int) -> bool:
    """Whether list_customers' total is "at least" (the count stopped) rather than exact."""
    return total >= counted_up_to(page, page_size, COUNT_BEYOND)


def list_customers(*, page: int, page_size: int, q: str | None = None, active: bool | None = None,
                   tag: str | None = None, species: Species | None = None, has_expired_vaccinations: bool | None = None,
                   sort: str = "name", today=None) -> tuple[list[Customer], int]:
    """Filtered, sorted page of customers with tags and pets loaded (a constant number of queries).

    The total stops COUNT_BEYOND rows past the page (see total_is_floor): a large resort's list or a common
    name would otherwise be counted in full on every page.
    """
    stmt = select(Customer)
    condition = search_condition(q)
    if condition is not None:
        stmt = stmt.where(condition)
    if active is not None:
        stmt = stmt.where(Customer.active == active)
    if tag:
        stmt = stmt.where(exists().where(CustomerTag.customer_id == Customer.id, CustomerTag.tag == tag.lower()))
    if species:
        stmt = stmt.where(exists().where(Pet.customer_id == Customer.id, Pet.species == species))
    if has_expired_vaccinations is not None:
        expired = _lapsed_vaccination(today or tenant_today())
        stmt = stmt.where(expired if has_expired_vaccinations else ~expired)
    found = Customer
    if condition is not None and _found_by_index(q):
        # A search is found first (the trigram index), then sorted: its matches behind an OFFSET 0, which
        # PostgreSQL plans on their own. Otherwise, expecting matches spread evenly over the name order, it
        # walks ix_customers_tenant_name until a page is found: "you" read 47,710 of 50,000 households
        # (34 ms) to reach the Youngs; the matches and a sort cost what their number does (bench/scale.py).
        # A single letter matches too many to sort (105 ms for "j"): walking the name order finds its page.
        found = aliased(Customer, stmt.offset(0).subquery("matches"))
        stmt = select(found)
    stmt = stmt.order_by(*SORTS[sort](found)).options(selectinload(found.tags), selectinload(found.pets))
    items, total = paginate(stmt, page=page, page_size=page_size, count_beyond=COUNT_BEYOND,
                            count_in_order=found is Customer)  # a search's order is a sort of its matches
    for customer in items:  # a plain attribute for the results page and the API list, no extra query
        customer.matched_pet_ids = matched_pet_ids(customer, q)
    return items, total

