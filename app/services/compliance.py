"""Vaccine compliance: which required vaccines are current, expiring soon, expired or missing.

A vaccination is valid from `given_on` through `expires_on` (inclusive). A day is covered by a
vaccine when any of its valid records covers it: each vaccine's records are merged into
continuous coverage (overlapping records join, and so do adjacent ones: a record ending June 5
and one given June 6 cover June 5-6 without a gap), so a booster given during a stay carries it
on where the old record ends. For a date range (a stay from `start` to `end`, both days
included) a vaccine is:

- CURRENT        the coverage containing `start` reaches `end` and lasts beyond `warning_days` after it;
- EXPIRING_SOON  the coverage containing `start` reaches `end` but ends within `warning_days` (inclusive) after it;
- EXPIRED        the pet has records for the vaccine but some day of the range is not covered
                 (it lapsed before or during the range, or a gap falls inside it);
- MISSING        the pet has no record for the vaccine at all.

A vaccine's `expires_on` is the last day of the coverage that began by `start` (for CURRENT and
EXPIRING_SOON, the coverage containing the whole range): the day a clerk must see a new
certificate by. It is None only when every record begins after `start`.

The pet's overall status is the worst of its required vaccines, in the order
MISSING > EXPIRED > EXPIRING_SOON > CURRENT (CURRENT when nothing is required).
"""
import enum
import uuid
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from app.core.cache import cached, invalidate
from app.core.errors import Conflict, RuleViolation
from app.core.extensions import db
from app.models import ServiceCategory, Species, Vaccination, VaccineRequirement
from app.services import audit
from app.services.rows import one_or_404, run_list
from app.tenancy import current_tenant


class Status(enum.StrEnum):
    CURRENT = "CURRENT"
    EXPIRING_SOON = "EXPIRING_SOON"
    EXPIRED = "EXPIRED"
    MISSING = "MISSING"


SEVERITY = [Status.CURRENT, Status.EXPIRING_SOON, Status.EXPIRED, Status.MISSING]
DEFAULT_REQUIREMENTS = {
    Species.DOG: {
        ServiceCategory.BOARDING: ["Rabies", "DHPP", "Bordetella"],
        ServiceCategory.DAYCARE: ["Rabies", "DHPP", "Bordetella"],
        ServiceCategory.GROOMING: ["Rabies"],
        ServiceCategory.TRAINING: ["Rabies", "DHPP"],
    },
    Species.CAT: {
        ServiceCategory.BOARDING: ["Rabies", "FVRCP"],
        ServiceCategory.DAYCARE: ["Rabies", "FVRCP"],
        ServiceCategory.GROOMING: ["Rabies"],
    },
}
KNOWN_VACCINES = ["Rabies", "DHPP", "Bordetella", "Canine Influenza", "Leptospirosis", "Lyme", "FVRCP", "FeLV"]


@dataclass(frozen=True)
class VaccineStatus:
    """One required vaccine's status and the last day of its coverage (see the module docstring)."""

    vaccine: str
    status: Status
    expires_on: date | None


@dataclass(frozen=True)
class Compliance:
    """A pet's compliance for one category and date range."""

    category: ServiceCategory
    start: date
    end: date
    status: Status
    vaccines: list[VaccineStatus]

    @property
    def ok(self) -> bool:
        """True when the pet may stay (nothing missing or expired)."""
        return self.status in (Status.CURRENT, Status.EXPIRING_SOON)


def coverage(intervals: list[tuple[date, date]]) -> list[tuple[date, date]]:
    """Pure: (given_on, expires_on) intervals merged into continuous coverage, in order (adjacent days join)."""
    merged: list[tuple[date, date]] = []
    for given, expires in sorted(intervals):
        if merged and given <= merged[-1][1] + timedelta(days=1):
            merged[-1] = (merged[-1][0], max(merged[-1][1], expires))
        else:
            merged.append((given, expires))
    return merged


def _vaccine_status(vaccine: str, intervals: list[tuple[date, date]], start: date, end: date,
                    warning_days: int) -> VaccineStatus:
    """One vaccine's status over [start, end] from its records' intervals."""
    if not intervals:
        return VaccineStatus(vaccine, Status.MISSING, None)
    began = [(g, e) for g, e in coverage(intervals) if g <= start]
    if not began:  # every record begins after the range does
        return VaccineStatus(vaccine, Status.EXPIRED, None)
    _, last_day = began[-1]  # the coverage containing start, or the one that lapsed before it
    if last_day < end:
        return VaccineStatus(vaccine, Status.EXPIRED, last_day)
    status = Status.EXPIRING_SOON if last_day <= end + timedelta(days=warning_days) else Status.CURRENT
    return VaccineStatus(vaccine, status, last_day)


def evaluate(*, required: list[str], records: list[tuple[str, date, date]], category: ServiceCategory,
             start: date, end: date, warning_days: int) -> Compliance:
    """Pure: compliance of records [(vaccine, given_on, expires_on)] against required vaccines."""
    if end < start:
        raise RuleViolation("The range ends before it starts.", errors={"end": ["Must be on or after start."]})
    statuses = []
    for vaccine in required:
        intervals = [(g, e) for v, g, e in records if v.casefold() == vaccine.casefold()]
        statuses.append(_vaccine_status(vaccine, intervals, start, end, warning_days))
    overall = max((s.status for s in statuses), key=SEVERITY.index, default=Status.CURRENT)
    return Compliance(category=category, start=start, end=end, status=overall, vaccines=statuses)


def records_by_pet(pet_ids) -> dict[uuid.UUID, list[tuple[str, date, date]]]:
    """{pet_id: [(vaccine, given_on, expires_on)]} for these pets of the current tenant (one query)."""
    records: dict[uuid.UUID, list] = {i: [] for i in pet_ids}
    if records:
        # Columns, not entities: a board asks for hundreds of pets' records and never changes them.
        for pet_id, vaccine, given_on, expires_on in db.session.execute(
                select(Vaccination.pet_id, Vaccination.vaccine, Vaccination.given_on, Vaccination.expires_on)
                .where(Vaccination.pet_id.in_(list(records)))):
            records[pet_id].append((vaccine, given_on, expires_on))
    return records


def tenant_today() -> date:
    """Today in the tenant's timezone (not the server's)."""
    return datetime.now(zoneinfo.ZoneInfo(current_tenant().timezone)).date()


def warning_days() -> int:
    """The current tenant's vaccine expiry warning window in days (from the cached tenant)."""
    return current_tenant().vaccine_warning_days


# --- requirements (cached per tenant: every pet card needs them) ---------------------------------


def _requirements_key() -> str:
    return f"vaccine-requirements:{current_tenant().id}"


def requirement_map(*, fresh: bool = False) -> dict[tuple[str, str], list[str]]:
    """{(species, category): [vaccines]} for the current tenant: cached for display, `fresh` for a rule check."""
    def from_database() -> dict[tuple[str, str], list[str]]:
        mapping: dict[tuple[str, str], list[str]] = {}
        for req in list_requirements():
            mapping.setdefault((req.species.value, req.category.value), []).append(req.vaccine)
        return mapping

    if fresh:  # a write never decides from a cache
        return from_database()
    return cached(_requirements_key(), from_database, timeout=3600)


def _requirements_in_order():
    return select(VaccineRequirement).order_by(VaccineRequirement.species, VaccineRequirement.category,
                                               VaccineRequirement.vaccine, VaccineRequirement.id)


def list_requirements() -> list[VaccineRequirement]:
    """The tenant's vaccine requirements, ordered."""
    return list(db.session.execute(_requirements_in_order()).scalars())


def page_requirements(*, page: int, page_size: int) -> tuple[list[VaccineRequirement], int]:
    """One page of the tenant's vaccine requirements (the API list, with its change feed)."""
    return run_list(_requirements_in_order(), page=page, page_size=page_size)


def known_vaccines() -> list[str]:
    """The tenant's vaccine list: the common ones plus any its requirements name."""
    names = {v for vaccines in requirement_map().values() for v in vaccines}
    return sorted(set(KNOWN_VACCINES) | names, key=str.casefold)


def add_requirement(*, species: Species, category: ServiceCategory, vaccine: str) -> VaccineRequirement:
    """Require a vaccine of a species for a service category (managers)."""
    vaccine = (vaccine or "").strip()
    if not vaccine or len(vaccine) > 60:
        raise RuleViolation("Vaccine name required.", errors={"vaccine": ["1 to 60 characters."]})
    exists = db.session.execute(select(VaccineRequirement).where(
        VaccineRequirement.species == species, VaccineRequirement.category == category,
        VaccineRequirement.vaccine == vaccine)).scalar_one_or_none()
    if exists:
        raise Conflict(f"{vaccine} is already required for {species.value} {category.value}.",
                       errors={"vaccine": ["Already required."]})
    req = VaccineRequirement(species=species, category=category, vaccine=vaccine)
    db.session.add(req)
    db.session.flush()
    audit.record("vaccine_requirement.created", "vaccine_requirement", req.id,
                 changes={"species": species, "category": category, "vaccine": vaccine})
    invalidate(_requirements_key())
    db.session.commit()
    return req


def remove_requirement(*, requirement_id: uuid.UUID) -> None:
    """Stop requiring a vaccine."""
    req = one_or_404(VaccineRequirement, requirement_id, "Vaccine requirement not found.")
    audit.record("vaccine_requirement.deleted", "vaccine_requirement", req.id,
                 changes={"species": req.species, "category": req.category, "vaccine": req.vaccine})
    db.session.delete(req)
    invalidate(_requirements_key())
    db.session.commit()


def add_default_requirements() -> None:
    """Give a new tenant the common requirements, in the caller's transaction."""
    for species, categories in DEFAULT_REQUIREMENTS.items():
        for category, vaccines in categories.items():
            for vaccine in vaccines:
                db.session.add(VaccineRequirement(species=species, category=category, vaccine=vaccine))


def pet_compliance(*, species: str, records: list[tuple[str, date, date]], category: ServiceCategory,
                   start: date | None = None, end: date | None = None,
                   requirements: dict | None = None) -> Compliance:
    """Compliance of one pet's records for a category and range (default: today); cached requirements unless given."""
    today = tenant_today()
    start = start or today
    end = end or start
    required = (requirement_map() if requirements is None else requirements).get((str(species), category.value), [])
    return evaluate(required=required, records=records, category=category, start=start, end=end,
                    warning_days=warning_days())
