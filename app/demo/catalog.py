"""Demo price list and kennels for each demo resort (idempotent: existing names and codes are kept)."""
from datetime import date
from decimal import Decimal

from app.core.extensions import db
from app.demo import seeder
from app.models import AddOn, Kennel, PriceRule, Service
from app.services import catalog, kennels

# name, category, price (cents), unit, extra fields
SERVICES = [
    ("Overnight boarding - standard run", "BOARDING", 4800, "PER_NIGHT",
     {"kennel_types": ["RUN"], "allowed_species": ["DOG"], "deposit_kind": "PERCENT", "deposit_percent": 25,
      "sort_order": 10, "description": "Indoor/outdoor run, two walks and group play every day."}),
    ("Overnight boarding - suite", "BOARDING", 6800, "PER_NIGHT",
     {"kennel_types": ["SUITE", "LUXURY_SUITE"], "allowed_species": ["DOG"], "deposit_kind": "PERCENT",
      "deposit_percent": 25, "sort_order": 20, "description": "Private suite with a raised bed and a webcam."}),
    ("Cat condo boarding", "BOARDING", 3200, "PER_NIGHT",
     {"kennel_types": ["CAT_CONDO"], "allowed_species": ["CAT"], "deposit_kind": "FIXED", "deposit_cents": 2000,
      "sort_order": 30, "description": "Three-level condo in the quiet cattery."}),
    ("Doggy daycare - full day", "DAYCARE", 3500, "PER_DAY",
     {"allowed_species": ["DOG"], "sort_order": 40, "daily_capacity": 30,
      "description": "Supervised group play, 7am to 7pm."}),
    ("Doggy daycare - half day", "DAYCARE", 2200, "PER_DAY",
     {"allowed_species": ["DOG"], "sort_order": 50, "daily_capacity": 15,
      "description": "Up to five hours of play."}),
    ("Bath & brush", "GROOMING", 4500, "FLAT",
     {"duration_minutes": 60, "allowed_species": ["DOG", "CAT"], "daily_capacity": 8, "sort_order": 60}),
    ("Full groom", "GROOMING", 8500, "FLAT",
     {"duration_minutes": 120, "allowed_species": ["DOG"], "sort_order": 70,
      "description": "Bath, haircut, nails, ears."}),
    ("Puppy basics - private session", "TRAINING", 7500, "FLAT",
     {"duration_minutes": 60, "allowed_species": ["DOG"], "taxable": False, "sort_order": 80}),
]
BOARDING_DOGS = ["Overnight boarding - standard run", "Overnight boarding - suite"]
# name, price (cents), unit, taxable, service names (empty: any service)
ADDONS = [
    ("Extra walk", 800, "PER_DAY", True, BOARDING_DOGS),
    ("Bath at check-out", 2500, "PER_STAY", True, BOARDING_DOGS),
    ("Medication administration", 300, "PER_DAY", False, [*BOARDING_DOGS, "Cat condo boarding"]),
    ("Late pickup", 1500, "PER_STAY", True, []),
    ("Nail trim", 1200, "PER_USE", True, []),
    ("Photo update", 200, "PER_DAY", True, [*BOARDING_DOGS, "Cat condo boarding"]),
]
# prefix, first, last, type, size, capacity, location, weights
KENNEL_RUNS = [
    ("A", 1, 12, "RUN", "M", 2, "Barn A", (Decimal("0"), Decimal("25"))),
    ("B", 1, 10, "RUN", "L", 2, "Barn B", (Decimal("15"), Decimal("45"))),
    ("S", 1, 6, "SUITE", "L", 3, "Suites", (None, None)),
    ("L", 1, 2, "LUXURY_SUITE", "XL", 4, "Suites", (None, None)),
    ("C", 1, 8, "CAT_CONDO", "S", 2, "Cattery", (None, Decimal("10"))),
    ("G", 1, 2, "GROOMING_TABLE", "L", 1, "Grooming room", (None, None)),
]


def _rules(year: int) -> list[dict]:
    return [
        {"name": "Christmas & New Year peak", "kind": "DATE_WINDOW", "effect": "SURCHARGE", "amount_type": "PERCENT",
         "percent": 20, "valid_from": date(year, 12, 20), "valid_to": date(year + 1, 1, 2),
         "categories": ["BOARDING"], "priority": 10},
        {"name": "Summer peak", "kind": "DATE_WINDOW", "effect": "SURCHARGE", "amount_type": "PERCENT",
         "percent": 10, "valid_from": date(year, 7, 1), "valid_to": date(year, 8, 31), "categories": ["BOARDING"],
         "priority": 20},
        {"name": "Weekend nights", "kind": "DAY_OF_WEEK", "effect": "SURCHARGE", "amount_type": "AMOUNT",
         "amount_cents": 500, "days_of_week": ["FRI", "SAT"], "categories": ["BOARDING"], "priority": 30},
        {"name": "Two weeks or more", "kind": "LENGTH_OF_STAY", "effect": "DISCOUNT", "amount_type": "PERCENT",
         "percent": 10, "min_nights": 14, "categories": ["BOARDING"], "priority": 40},
        {"name": "Second pet of a household", "kind": "ADDITIONAL_PET", "effect": "DISCOUNT",
         "amount_type": "PERCENT", "percent": 15, "from_pet": 2, "categories": ["BOARDING", "DAYCARE"],
         "priority": 50},
    ]


def _existing(column) -> set:
    return set(db.session.execute(db.select(column)).scalars())


@seeder
def seed_catalog(spec: dict) -> None:
    """Services, add-ons, price rules and ~40 kennels; prices a little lower at the smaller resort."""
    scale = 90 if spec["subdomain"] == "barkside" else 100
    have = _existing(Service.name)
    for name, category, cents, unit, extra in SERVICES:
        if name not in have:
            catalog.create_service(name=name, category=category, price_cents=cents * scale // 100, price_unit=unit,
                                   **extra)
    ids = {s.name: s.id for s in catalog.list_services()[0]}
    have = _existing(AddOn.name)
    for name, cents, unit, taxable, for_services in ADDONS:
        if name not in have:
            catalog.create_addon(name=name, price_cents=cents, unit=unit, taxable=taxable,
                                 service_ids=[ids[s] for s in for_services])
    have = _existing(PriceRule.name)
    for rule in _rules(date.today().year):
        if rule["name"] not in have:
            catalog.create_price_rule(**rule)
    codes = _existing(Kennel.code)
    for prefix, first, last, type_, size, capacity, location, (low, high) in KENNEL_RUNS:
        if not any(code in codes for code in kennels.bulk_codes(prefix=prefix, start=first, end=last)):
            kennels.create_kennels_bulk(prefix=prefix, start=first, end=last, type=type_, size=size,
                                        capacity=capacity, location=location, min_weight_kg=low, max_weight_kg=high)
