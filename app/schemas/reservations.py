"""Reservation schemas: booking, edit and action bodies, the reservation, availability and the day sheet."""
from decimal import Decimal

import marshmallow as ma

from app.models import KennelSize, KennelType, ReservationSource, ReservationStatus
from app.schemas.catalog import QuoteAddOnSchema
from app.schemas.common import QuerySchema, StrictSchema
from app.services.reservations import allowed_actions

PET_ID = "5d1e7c2a-3b4f-4e6a-9c8d-7e6f5a4b3c2d"
KENNEL_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
SERVICE_ID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
CUSTOMER_ID = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
ADDON_ID = "9b2d7c1e-0a4f-4c55-8d0e-6f1a2b3c4d5e"

BOOKING_EXAMPLE = {"customer_id": CUSTOMER_ID, "service_id": SERVICE_ID, "start_date": "2026-12-23",
                   "end_date": "2026-12-27", "arrival_time": "09:30", "departure_time": "16:00",
                   "pets": [{"pet_id": PET_ID, "kennel_id": KENNEL_ID}],
                   "addons": [{"addon_id": ADDON_ID, "quantity": 1}], "notes": "Bringing his own bed.",
                   "together": False, "confirm": True}
EDIT_EXAMPLE = {"end_date": "2026-12-28", "addons": [{"addon_id": ADDON_ID, "quantity": 2}]}
CHECK_IN_EXAMPLE = {"belongings": ["Blue blanket", "Leash"],
                    "medications": [{"pet_id": PET_ID, "name": "Apoquel", "dose": "16 mg", "schedule": "Morning"}],
                    "feeding_confirmed": True, "notes": "Slightly anxious at drop-off."}
CHECK_OUT_EXAMPLE = {"belongings_returned": True, "notes": "Picked up by his owner."}
CANCEL_EXAMPLE = {"reason": "Owner's travel plans changed."}
MOVE_EXAMPLE = {"pet_id": PET_ID, "kennel_id": KENNEL_ID, "from_date": "2026-12-25"}

NOTES = ma.validate.Length(max=10_000)
REASON = ma.validate.Length(max=500)


def money(cents: int | None) -> Decimal | None:
    """Minor units as an exact decimal amount (2 places)."""
    return None if cents is None else (Decimal(cents) / 100).quantize(Decimal("0.01"))


# --- request bodies ----------------------------------------------------------------------------


class ReservationPetLineSchema(StrictSchema):
    """A pet to book, and the kennel it should sleep in (left out: the server picks and explains)."""

    pet_id = ma.fields.UUID(required=True, metadata={"example": PET_ID})
    kennel_id = ma.fields.UUID(allow_none=True, metadata={"example": KENNEL_ID})


class ReservationEditFields(StrictSchema):
    """What an edit may change (before check-in anything; after it only the departure and notes)."""

    service_id = ma.fields.UUID(metadata={"example": SERVICE_ID})
    start_date = ma.fields.Date(metadata={"example": "2026-12-23", "description": "Arrival, tenant-local."})
    end_date = ma.fields.Date(allow_none=True, metadata={
        "example": "2026-12-27", "description": "Departure (boarding nights end the morning of it); daycare's last "
                                                "day; left out for appointments (FLAT services)."})
    arrival_time = ma.fields.Time(allow_none=True, metadata={"example": "09:30"})
    departure_time = ma.fields.Time(allow_none=True, metadata={"example": "16:00"})
    pets = ma.fields.List(ma.fields.Nested(ReservationPetLineSchema), validate=ma.validate.Length(1, 20))
    addons = ma.fields.List(ma.fields.Nested(QuoteAddOnSchema), validate=ma.validate.Length(max=50))
    notes = ma.fields.String(validate=NOTES, metadata={"example": "Bringing his own bed."})
    together = ma.fields.Boolean(metadata={"description": "Put the pets whose kennel is not given in one kennel "
                                                          "when one can take them all."})
    vaccine_override_reason = ma.fields.String(allow_none=True, validate=REASON, metadata={
        "description": "Book although vaccines are missing or expired (a manager's key; audited)."})


class ReservationCreateSchema(ReservationEditFields):
    """Book a stay or appointment for one household's pets; the server prices it and picks missing kennels."""

    customer_id = ma.fields.UUID(required=True, metadata={"example": CUSTOMER_ID})
    service_id = ma.fields.UUID(required=True, metadata={"example": SERVICE_ID})
    start_date = ma.fields.Date(required=True, metadata={"example": "2026-12-23", "description": "Arrival, tenant-local."})
    pets = ma.fields.List(ma.fields.Nested(ReservationPetLineSchema), required=True,
                          validate=ma.validate.Length(1, 20), metadata={"example": BOOKING_EXAMPLE["pets"]})
    addons = ma.fields.List(ma.fields.Nested(QuoteAddOnSchema), load_default=list,
                            validate=ma.validate.Length(max=50), metadata={"example": BOOKING_EXAMPLE["addons"]})
    confirm = ma.fields.Boolean(load_default=False, metadata={"description": "Save it CONFIRMED rather than PENDING."})


class ReservationUpdateSchema(ReservationEditFields):
    """Change a reservation (re-checked and re-priced); send `If-Match`."""


class StayMedicationSchema(StrictSchema):
    """A medication to give during the stay."""

    pet_id = ma.fields.UUID(required=True, metadata={"example": PET_ID})
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 200), metadata={"example": "Apoquel"})
    dose = ma.fields.String(load_default="", validate=ma.validate.Length(max=200), metadata={"example": "16 mg"})
    schedule = ma.fields.String(load_default="", validate=ma.validate.Length(max=200), metadata={"example": "Morning"})


class CheckInSchema(StrictSchema):
    """What the desk records at check-in."""

    belongings = ma.fields.List(ma.fields.String(validate=ma.validate.Length(1, 200)), load_default=list,
                                validate=ma.validate.Length(max=50), metadata={"example": CHECK_IN_EXAMPLE["belongings"]})
    medications = ma.fields.List(ma.fields.Nested(StayMedicationSchema), load_default=list,
                                 validate=ma.validate.Length(max=50))
    feeding_confirmed = ma.fields.Boolean(load_default=False)
    notes = ma.fields.String(load_default="", validate=NOTES)
    vaccine_override_reason = ma.fields.String(allow_none=True, validate=REASON, metadata={
        "description": "Check in although vaccines are missing or expired (a manager's key; audited)."})


class CheckOutSchema(StrictSchema):
    """What the desk records at check-out."""

    belongings_returned = ma.fields.Boolean(load_default=False, metadata={
        "description": "Required (true) when belongings were recorded at check-in."})
    notes = ma.fields.String(load_default="", validate=NOTES)


class CancelSchema(StrictSchema):
    """Why the reservation is cancelled."""

    reason = ma.fields.String(required=True, validate=ma.validate.Length(max=500),
                              metadata={"example": CANCEL_EXAMPLE["reason"]})


class MoveSchema(StrictSchema):
    """Move one pet to another kennel from a night on (default: the arrival, or tonight once checked in)."""

    pet_id = ma.fields.UUID(required=True, metadata={"example": PET_ID})
    kennel_id = ma.fields.UUID(required=True, metadata={"example": KENNEL_ID})
    from_date = ma.fields.Date(allow_none=True, metadata={"example": "2026-12-25"})



class ReservationQuerySchema(QuerySchema):
    """Reservation list filters; dates select stays overlapping the range."""

    start_date = ma.fields.Date(metadata={"description": "Stays ending on or after this date."})
    end_date = ma.fields.Date(metadata={"description": "Stays starting on or before this date."})
    status = ma.fields.List(ma.fields.Enum(ReservationStatus), metadata={"description": "Repeatable."})
    customer_id = ma.fields.UUID()
    pet_id = ma.fields.UUID()
    kennel_id = ma.fields.UUID(metadata={"description": "Stays with a pet in this kennel on any night."})
    service_id = ma.fields.UUID()
    confirmation_code = ma.fields.String(validate=ma.validate.Length(1, 12), metadata={"example": "K7TQ4X"})

    @ma.validates_schema
    def _range_in_order(self, data, **kwargs):
        if data.get("start_date") and data.get("end_date") and data["end_date"] < data["start_date"]:
            raise ma.ValidationError("Must not be before start_date.", "end_date")


# --- responses ---------------------------------------------------------------------------------


class ReservationPetSchema(ma.Schema):
    """A pet on the reservation and its kennel (the latest one, after a move)."""

    pet_id = ma.fields.UUID()
    pet_name = ma.fields.Function(lambda line: line.pet.name, metadata={"example": "Rex"})
    kennel_id = ma.fields.UUID(allow_none=True)
    kennel_code = ma.fields.Function(lambda line: line.kennel.code if line.kennel else None,
                                     metadata={"example": "A01"})


class ReservationAddOnSchema(ma.Schema):
    """An add-on booked with the stay (priced in the quote)."""

    addon_id = ma.fields.UUID()
    name = ma.fields.Function(lambda line: line.addon.name, metadata={"example": "Extra walk"})
    quantity = ma.fields.Integer(metadata={"example": 1})


class AssignmentSchema(ma.Schema):
    """Where the server put a pet and why."""

    pet_id = ma.fields.UUID()
    kennel_id = ma.fields.UUID(allow_none=True)
    kennel_code = ma.fields.String(allow_none=True, metadata={"example": "A01"})
    explanation = ma.fields.String(metadata={"example": "A01: the smallest free run that fits Rex for all 4 night(s)."})


class VaccineWarningSchema(ma.Schema):
    """A vaccine that is not current for the whole stay."""

    pet_id = ma.fields.UUID()
    pet = ma.fields.String(metadata={"example": "Rex"})
    vaccine = ma.fields.String(metadata={"example": "Rabies"})
    status = ma.fields.String(metadata={"example": "EXPIRED"})
    expires_on = ma.fields.Date(allow_none=True)
    blocking = ma.fields.Boolean(metadata={"description": "Missing or expired: needs a manager's override."})


class ReservationSchema(ma.Schema):
    """A reservation: who, what, when, where each pet sleeps, the price it was sold at, and its history."""

    class Meta:
        ordered = True

    id = ma.fields.UUID()
    version = ma.fields.Integer(metadata={"description": "Row version; the ETag is \"<id>-<version>\"."})
    confirmation_code = ma.fields.String(metadata={"example": "K7TQ4X"})
    status = ma.fields.Enum(ReservationStatus, metadata={"example": "CONFIRMED"})
    source = ma.fields.Enum(ReservationSource, metadata={"example": "API"})
    customer_id = ma.fields.UUID()
    customer_name = ma.fields.Function(lambda r: r.customer.full_name, metadata={"example": "Jane Doe"})
    service_id = ma.fields.UUID()
    service_name = ma.fields.Function(lambda r: r.service.name, metadata={"example": "Overnight boarding - run"})
    start_date = ma.fields.Date(metadata={"example": "2026-12-23"})
    end_date = ma.fields.Date(metadata={"example": "2026-12-27"})
    arrival_time = ma.fields.Time(allow_none=True, metadata={"example": "09:30:00"})
    departure_time = ma.fields.Time(allow_none=True, metadata={"example": "16:00:00"})
    pets = ma.fields.List(ma.fields.Nested(ReservationPetSchema))
    addons = ma.fields.List(ma.fields.Nested(ReservationAddOnSchema))
    notes = ma.fields.String()
    quote = ma.fields.Dict(metadata={"description": "The price snapshot: the quote engine's breakdown (as in "
                                                    "POST /api/v1/quotes) at the time it was sold or last edited."})
    currency = ma.fields.String(metadata={"example": "USD"})
    total = ma.fields.Function(lambda r: money(r.total_cents), metadata={"type": "string", "format": "decimal",
                                                                         "example": "216.50"})
    deposit_due = ma.fields.Function(lambda r: money(r.deposit_cents), metadata={"type": "string",
                                                                                 "format": "decimal",
                                                                                 "example": "54.13"})
    total_cents = ma.fields.Integer(metadata={"example": 21650})
    deposit_cents = ma.fields.Integer(metadata={"example": 5413})
    assignment = ma.fields.List(ma.fields.Nested(AssignmentSchema), dump_default=list, metadata={
        "description": "How the server placed each pet (filled on create and edit responses)."})
    vaccine_warnings = ma.fields.List(ma.fields.Nested(VaccineWarningSchema), dump_default=list, metadata={
        "description": "Vaccines not current for the stay (filled on create and edit responses)."})
    vaccine_override_reason = ma.fields.String()
    vaccine_override_by = ma.fields.String()
    belongings = ma.fields.List(ma.fields.String())
    stay_medications = ma.fields.List(ma.fields.Dict())
    feeding_confirmed = ma.fields.Boolean()
    check_in_notes = ma.fields.String()
    belongings_returned = ma.fields.Boolean()
    check_out_notes = ma.fields.String()
    created_at = ma.fields.AwareDateTime()
    created_by = ma.fields.String()
    updated_at = ma.fields.AwareDateTime()
    confirmed_at = ma.fields.AwareDateTime(allow_none=True)
    confirmed_by = ma.fields.String()
    checked_in_at = ma.fields.AwareDateTime(allow_none=True)
    checked_in_by = ma.fields.String()
    checked_out_at = ma.fields.AwareDateTime(allow_none=True)
    checked_out_by = ma.fields.String()
    cancelled_at = ma.fields.AwareDateTime(allow_none=True)
    cancelled_by = ma.fields.String()
    cancel_reason = ma.fields.String()
    no_show_at = ma.fields.AwareDateTime(allow_none=True)
    no_show_by = ma.fields.String()
    allowed_actions = ma.fields.Function(allowed_actions, metadata={
        "type": "array", "items": {"type": "string"}, "description": "The statuses it may move to now.",
        "example": ["CANCELLED", "CHECKED_IN", "NO_SHOW"]})


class PreviewSchema(ma.Schema):
    """What an edit would cost: the current and the proposed snapshot (nothing saved)."""

    current = ma.fields.Dict()
    proposed = ma.fields.Dict()
    difference_cents = ma.fields.Integer(metadata={"example": 5000})
    difference = ma.fields.Function(lambda p: money(p["difference_cents"]),
                                    metadata={"type": "string", "format": "decimal", "example": "50.00"})
    vaccine_warnings = ma.fields.List(ma.fields.Nested(VaccineWarningSchema))


# --- availability ------------------------------------------------------------------------------


class AvailabilityQuerySchema(QuerySchema):
    """What to look for."""

    service_id = ma.fields.UUID(required=True)
    start_date = ma.fields.Date(required=True, metadata={"example": "2026-12-23"})
    end_date = ma.fields.Date(metadata={"example": "2026-12-27"})
    pet_id = ma.fields.List(ma.fields.UUID(), load_default=list, metadata={"description": "Repeatable."})


class KennelChoiceSchema(ma.Schema):
    """A kennel that can take the pets on every night."""

    kennel_id = ma.fields.Function(lambda c: c.kennel.id, metadata={"type": "string", "format": "uuid"})
    code = ma.fields.Function(lambda c: c.kennel.code, metadata={"example": "A01"})
    type = ma.fields.Function(lambda c: KennelType(c.kennel.type).value, metadata={"example": "RUN"})
    size = ma.fields.Function(lambda c: KennelSize(c.kennel.size).value, metadata={"example": "M"})
    capacity = ma.fields.Function(lambda c: c.kennel.capacity, metadata={"example": 2})
    places_left = ma.fields.Integer(metadata={"example": 2})
    fits = ma.fields.List(ma.fields.UUID(), metadata={"description": "The requested pets that fit it."})


class KennelRefusalSchema(ma.Schema):
    """A kennel that cannot take them, and why."""

    kennel_id = ma.fields.UUID()
    code = ma.fields.String(metadata={"example": "A02"})
    reason = ma.fields.String(metadata={"example": "A02 is full on some of these nights."})


class DayPlacesSchema(ma.Schema):
    """A capacity service's places on one day."""

    date = ma.fields.Date()
    capacity = ma.fields.Integer(metadata={"example": 24})
    booked = ma.fields.Integer(metadata={"example": 20})
    left = ma.fields.Integer(metadata={"example": 4})


class AvailabilitySchema(ma.Schema):
    """Kennels with places for every night, kennels refused with a reason, and daily places left."""

    service_id = ma.fields.Function(lambda a: a.service.id, metadata={"type": "string", "format": "uuid"})
    start_date = ma.fields.Date()
    end_date = ma.fields.Date()
    nights = ma.fields.List(ma.fields.Date(), metadata={"description": "The nights (or days) held."})
    kennels = ma.fields.List(ma.fields.Nested(KennelChoiceSchema))
    unavailable = ma.fields.List(ma.fields.Nested(KennelRefusalSchema))
    days = ma.fields.List(ma.fields.Nested(DayPlacesSchema))
    notes = ma.fields.List(ma.fields.String())


# --- the day sheet -----------------------------------------------------------------------------


class DaySheetQuerySchema(QuerySchema):
    """Which day (tenant-local; default today)."""

    date = ma.fields.Date(metadata={"example": "2026-12-23"})


class SheetPetSchema(ma.Schema):
    """A pet on the sheet, with its kennel and vaccine problems."""

    pet_id = ma.fields.UUID()
    pet_name = ma.fields.String(metadata={"example": "Rex"})
    kennel_id = ma.fields.UUID(allow_none=True)
    kennel_code = ma.fields.String(allow_none=True, metadata={"example": "A01"})
    alert_flags = ma.fields.List(ma.fields.String())
    vaccine_problems = ma.fields.List(ma.fields.String(), metadata={"example": ["Rabies expired"]})


class SheetEntrySchema(ma.Schema):
    """One reservation on the day sheet."""

    reservation_id = ma.fields.UUID()
    confirmation_code = ma.fields.String()
    status = ma.fields.String(metadata={"example": "CONFIRMED"})
    customer_id = ma.fields.UUID()
    customer_name = ma.fields.String()
    service_name = ma.fields.String()
    start_date = ma.fields.Date()
    end_date = ma.fields.Date()
    arrival_time = ma.fields.Time(allow_none=True)
    departure_time = ma.fields.Time(allow_none=True)
    pets = ma.fields.List(ma.fields.Nested(SheetPetSchema))
    allowed_actions = ma.fields.List(ma.fields.String())

    @ma.pre_dump
    def _flatten(self, entry, **kwargs):
        r = entry.reservation
        return {"reservation_id": r.id, "confirmation_code": r.confirmation_code, "status": r.status.value,
                "customer_id": r.customer_id, "customer_name": r.customer.full_name, "service_name": r.service.name,
                "start_date": r.start_date, "end_date": r.end_date, "arrival_time": r.arrival_time,
                "departure_time": r.departure_time, "allowed_actions": allowed_actions(r),
                "pets": [{"pet_id": line.pet_id, "pet_name": line.pet.name, "kennel_id": line.kennel_id,
                          "kennel_code": line.kennel.code if line.kennel else None,
                          "alert_flags": list(line.pet.alert_flags or []),
                          "vaccine_problems": entry.vaccine_problems.get(line.pet_id, [])} for line in r.pets]}


class SheetCountsSchema(ma.Schema):
    """Pets in each list."""

    arrivals = ma.fields.Integer()
    departures = ma.fields.Integer()
    in_house = ma.fields.Integer()
    daycare = ma.fields.Integer()
    grooming = ma.fields.Integer()


class OccupancySchema(ma.Schema):
    """Kennel places held tonight against the places there are."""

    pets_tonight = ma.fields.Integer(metadata={"example": 31})
    capacity_tonight = ma.fields.Integer(metadata={"example": 44})


class DaySheetSchema(ma.Schema):
    """Arrivals, departures, in house, daycare and grooming (appointments) for one tenant-local day."""

    class Meta:
        ordered = True

    date = ma.fields.Date()
    arrivals = ma.fields.List(ma.fields.Nested(SheetEntrySchema))
    departures = ma.fields.List(ma.fields.Nested(SheetEntrySchema))
    in_house = ma.fields.List(ma.fields.Nested(SheetEntrySchema))
    daycare = ma.fields.List(ma.fields.Nested(SheetEntrySchema))
    grooming = ma.fields.List(ma.fields.Nested(SheetEntrySchema), metadata={
        "description": "Grooming and other appointments (training)."})
    counts = ma.fields.Nested(SheetCountsSchema)
    occupancy = ma.fields.Nested(OccupancySchema)

    @ma.pre_dump
    def _flatten(self, sheet, **kwargs):
        counts = sheet.counts
        return {"date": sheet.day, "arrivals": sheet.arrivals, "departures": sheet.departures,
                "in_house": sheet.in_house, "daycare": sheet.daycare, "grooming": sheet.appointments,
                "counts": {"arrivals": counts["arrivals"], "departures": counts["departures"],
                           "in_house": counts["in_house"], "daycare": counts["daycare"],
                           "grooming": counts["appointments"]},
                "occupancy": {"pets_tonight": sheet.pets_tonight, "capacity_tonight": sheet.capacity_tonight}}
