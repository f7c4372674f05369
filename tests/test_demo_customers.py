"""Demo households look real: pet weights are plausible for their species and breed."""
import csv
import io
from datetime import date

from app.demo.customers import demo_csv

# Stated independently of the demo tables: generous bounds a front desk would not blink at.
PLAUSIBLE_LB = {"Miniature Poodle": (5, 20), "Dachshund": (8, 35), "Beagle": (15, 35), "Great Dane": (100, 200),
                "Golden Retriever": (45, 85), "Labrador": (45, 90)}


def test_demo_pet_weights_fit_their_species_and_breed():
    rows = list(csv.DictReader(io.StringIO(demo_csv("happy-paws", date(2026, 6, 1)))))
    assert len(rows) > 200
    seen = set()
    for row in rows:
        weight = float(row["weight_kg"]) / 0.45359237  # the file is in kg; the bounds are in lb
        if row["species"] == "CAT":
            assert 5 <= weight <= 25, row
        low, high = PLAUSIBLE_LB.get(row["breed"], (5, 200))
        assert low <= weight <= high, (row["breed"], weight)
        seen.add(row["breed"])
    assert {"Miniature Poodle", "Great Dane"} <= seen
