"""Demo households: ~200 customers with pets and vaccinations (some expiring, some expired)."""
import csv
import io
import random
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from app.core.extensions import db
from app.core.weights import lb_to_kg
from app.demo import seeder
from app.models import Customer
from app.services.compliance import tenant_today
from app.services.customer_csv import COLUMNS, import_customers

FIRST = ["Olivia", "Liam", "Emma", "Noah", "Ava", "Elijah", "Sophia", "Lucas", "Mia", "Mateo", "Zoë", "José",
         "Amelia", "Ethan", "Harper", "Aiden", "Chloé", "Jack", "Isabella", "Owen", "Renée", "Leo", "Priya", "Kenji"]
LAST = ["Garcia", "Smith", "Johnson", "Brown", "Nguyen", "Martinez", "Lee", "Patel", "Kim", "O'Brien", "Müller",
        "Rossi", "Walker", "Hernández", "Clark", "Lewis", "Young", "Allen", "King", "Wright", "Scott", "Torres"]
# (name, breed, typical weight range in lb, written to the file in kg), so no demo poodle weighs 100 lb.
DOGS = [("Biscuit", "Golden Retriever", 55, 75), ("Max", "Labrador", 55, 80), ("Luna", "Border Collie", 30, 45),
        ("Cooper", "Beagle", 18, 30), ("Bella", "German Shepherd", 50, 90), ("Rocky", "Boxer", 50, 80),
        ("Daisy", "Miniature Poodle", 10, 15), ("Tucker", "Husky", 35, 60), ("Penny", "Dachshund", 11, 32),
        ("Moose", "Great Dane", 110, 175), ("Ziggy", "Mixed", 15, 70)]
CATS = [("Oliver", "Domestic Shorthair", 8, 13), ("Cleo", "Siamese", 6, 12), ("Milo", "Maine Coon", 11, 22),
        ("Nala", "Ragdoll", 10, 18)]
FLAGS = ["ESCAPE_RISK", "ANXIOUS", "SENIOR", "SPECIAL_DIET", "AGGRESSIVE", "NO_GROUP_PLAY"]
HOUSEHOLDS = 200


def _vaccinations(rng: random.Random, species: str, today) -> str:
    """Mostly current records; about one in six expiring within weeks and one in eight expired."""
    names = ["Rabies", "DHPP", "Bordetella"] if species == "DOG" else ["Rabies", "FVRCP"]
    items = []
    for name in names:
        roll = rng.random()
        if roll < 0.12:
            expires = today - timedelta(days=rng.randint(1, 200))
        elif roll < 0.30:
            expires = today + timedelta(days=rng.randint(1, 28))
        else:
            expires = today + timedelta(days=rng.randint(60, 900))
        given = min(expires - timedelta(days=365), today - timedelta(days=1))
        items.append(f"{name}|{given.isoformat()}|{expires.isoformat()}")
    return "; ".join(items)


def demo_csv(seed: str, today) -> str:
    """A deterministic CSV of demo households in the import format."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for n in range(HOUSEHOLDS):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        household = {"customer_ref": f"demo-{n}", "first_name": first, "last_name": last,
                     "email": f"{first.lower()}.{last.lower()}.{n}@example.com".replace("'", ""),
                     "phone": f"(555) {rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
                     "preferred_contact": rng.choice(["EMAIL", "SMS", "BOTH"]),
                     "tags": "vip" if rng.random() < 0.1 else "", "city": "Denver", "region": "CO"}
        for _ in range(rng.choice([1, 1, 1, 2, 2, 3])):
            species = "CAT" if rng.random() < 0.2 else "DOG"
            name, breed, lightest, heaviest = rng.choice(CATS if species == "CAT" else DOGS)
            flags = ";".join(rng.sample(FLAGS, k=rng.choice([0, 0, 0, 1, 2])))
            writer.writerow({**household, "pet_name": name, "species": species, "breed": breed,
                             "weight_kg": str(lb_to_kg(Decimal(rng.randint(lightest, heaviest)))),
                             "birth_date": (today - timedelta(days=rng.randint(200, 4500))).isoformat(),
                             "neutered": rng.choice(["true", "false"]), "alert_flags": flags,
                             "feeding_instructions": rng.choice(["1 cup twice daily", "2 cups morning", "Own food"]),
                             "vaccinations": _vaccinations(rng, species, today)})
    return out.getvalue()


@seeder
def seed_customers(spec: dict) -> None:
    """Import the demo households once per demo tenant."""
    if db.session.execute(select(Customer.id).limit(1)).first():
        return
    report = import_customers(text=demo_csv(spec["subdomain"], tenant_today()), dry_run=False)
    if report.problems:
        raise RuntimeError(f"demo data has problems: {report.problems[:3]}")
