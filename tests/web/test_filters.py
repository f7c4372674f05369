"""Display helpers: counts, enum labels and addresses read as a person would write them."""
from app.models import ContactMethod, KennelStatus
from app.web.filters import address_lines, label, plural


def test_plural_says_1_pet_and_2_pets():
    assert (plural(1, "pet"), plural(2, "pet"), plural(0, "pet"), plural(1200, "row")) == \
        ("1 pet", "2 pets", "0 pets", "1,200 rows")
    assert plural(2, "person", "people") == "2 people"


def test_contact_methods_and_statuses_have_proper_labels():
    assert [label(m) for m in ContactMethod] == ["Email", "SMS", "Email and SMS", "Do not contact"]
    assert label(KennelStatus.IN_SERVICE) == "In Service"


def test_an_address_is_the_lines_that_exist():
    assert address_lines({"city": "Denver", "region": "CO"}) == ["Denver CO"]
    assert address_lines({"address_line1": "1 Main St", "address_line2": "", "city": "Denver", "region": "CO",
                          "postal_code": "80202"}) == ["1 Main St", "Denver CO 80202"]
    assert address_lines({}) == []
