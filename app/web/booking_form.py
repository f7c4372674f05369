"""Reading the front desk's reservation forms: typed values out of request.form, every problem named by field."""
import uuid
from datetime import date, time

from werkzeug.datastructures import MultiDict

from app.core.errors import RuleViolation

# Form input -> what the clerk sees it called (error summaries name fields as the form labels them).
LABELS = {"customer_id": "Customer", "service_id": "Service", "start_date": "Arrives", "end_date": "Departs",
          "arrival_time": "Arrival time", "departure_time": "Departure time", "pets": "Pets", "addons": "Add-ons",
          "notes": "Notes", "vaccine_override_reason": "Vaccine override reason", "kennel_id": "Kennel",
          "from_date": "From night", "pet_id": "Pet", "reason": "Reason", "belongings": "Belongings",
          "medications": "Medications", "belongings_returned": "Belongings returned", "status": "Status",
          "confirmation_code": "Confirmation code", "version": "Version"}


class Reader:
    """Typed values from a form, collecting errors by field instead of stopping at the first."""

    def __init__(self, form: MultiDict):
        self.form = form
        self.errors: dict[str, list[str]] = {}

    def text(self, name: str) -> str:
        return (self.form.get(name) or "").strip()

    def flag(self, name: str) -> bool:
        return self.form.getlist(name)[-1:] in (["on"], ["true"], ["1"], ["yes"]) if name in self.form else False

    def uuid(self, name: str, value: str | None = None, *, field: str | None = None) -> uuid.UUID | None:
        raw = (self.text(name) if value is None else value.strip())
        if not raw:
            return None
        try:
            return uuid.UUID(raw)
        except ValueError:
            self.errors.setdefault(field or name, []).append(f"{raw[:40]!r} is not a valid id.")
            return None

    def date(self, name: str) -> date | None:
        raw = self.text(name)
        if not raw:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            self.errors.setdefault(name, []).append("Enter a date as YYYY-MM-DD.")
            return None

    def time(self, name: str) -> time | None:
        raw = self.text(name)
        if not raw:
            return None
        try:
            return time.fromisoformat(raw)
        except ValueError:
            self.errors.setdefault(name, []).append("Enter a time as HH:MM.")
            return None

    def need(self, name: str, value, message: str) -> None:
        if value is None and name not in self.errors:
            self.errors[name] = [message]

    def check(self) -> None:
        """Refuse the form (422) when any value could not be read."""
        if self.errors:
            raise RuleViolation("Please correct the highlighted fields.", errors=self.errors)


def booking_input(form: MultiDict, *, partial: bool = False) -> tuple[dict, Reader]:
    """The one-page booking form as book_stay arguments; `partial` (the live panel) lets missing values pass."""
    read = Reader(form)
    data = {"customer_id": read.uuid("customer_id"), "service_id": read.uuid("service_id"),
            "start_date": read.date("start_date"), "end_date": read.date("end_date"),
            "arrival_time": read.time("arrival_time"), "departure_time": read.time("departure_time"),
            "notes": form.get("notes", ""), "together": read.flag("together"), "confirm": read.flag("confirm"),
            "vaccine_override_reason": read.text("vaccine_override_reason") or None}
    pets = []
    for raw in dict.fromkeys(form.getlist("pet_id")):
        pet_id = read.uuid("pet_id", raw, field="pets")
        if pet_id is not None:
            pets.append({"pet_id": pet_id, "kennel_id": read.uuid(f"kennel_{raw}", field="pets")})
    data["pets"] = pets
    addons = []
    for raw in dict.fromkeys(form.getlist("addon_id")):
        addon_id = read.uuid("addon_id", raw, field="addons")
        quantity = (form.get(f"qty_{raw}") or "1").strip()
        if not quantity.isdigit() or not 1 <= int(quantity) <= 99:
            read.errors.setdefault("addons", []).append("A quantity is a whole number from 1 to 99.")
            continue
        if addon_id is not None:
            addons.append({"addon_id": addon_id, "quantity": int(quantity)})
    data["addons"] = addons
    if not partial:
        read.need("customer_id", data["customer_id"], "Pick a customer.")
        read.need("service_id", data["service_id"], "Choose a service.")
        read.need("start_date", data["start_date"], "Give the arrival date.")
        if not pets and "pets" not in read.errors:
            read.errors["pets"] = ["Tick at least one pet."]
    return data, read


def check_in_input(form: MultiDict) -> dict:
    """The check-in form: belongings one per line, medication rows, feeding confirmed, notes, an override reason."""
    read = Reader(form)
    belongings = [line.strip() for line in form.get("belongings", "").splitlines() if line.strip()]
    meds = []
    rows = zip(form.getlist("med_pet"), form.getlist("med_name"), form.getlist("med_dose"),
               form.getlist("med_schedule"), strict=False)
    for pet, name, dose, schedule in rows:
        if not (name.strip() or dose.strip() or schedule.strip()):
            continue
        pet_id = read.uuid("med_pet", pet, field="medications")
        if not name.strip():
            read.errors.setdefault("medications", []).append("Give each medication a name.")
        meds.append({"pet_id": pet_id, "name": name, "dose": dose, "schedule": schedule})
    read.check()
    return {"belongings": belongings, "medications": meds, "feeding_confirmed": read.flag("feeding_confirmed"),
            "notes": form.get("notes", ""), "vaccine_override_reason": read.text("vaccine_override_reason") or None}
