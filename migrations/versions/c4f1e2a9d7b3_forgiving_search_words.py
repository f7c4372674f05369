"""forgiving search words: recompute customers.search_text (umlaut spellings, punctuation-free names)

Revision ID: c4f1e2a9d7b3
Revises: cc59c6bf3307
Create Date: 2026-12-02 06:00:00

Only data changes: the trigram index on search_text stays as it is. The word rules are frozen
here (a copy of app.services.contact.search_words as of this revision), so later changes to the
app cannot change what this migration does.
"""
import re
import unicodedata

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c4f1e2a9d7b3'
down_revision = 'cc59c6bf3307'
branch_labels = None
depends_on = None

_TRANSLITERATION = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss",
                                  "ẞ": "SS"})
_PUNCTUATION = re.compile(r"[\W_]+")
customers = sa.table("customers", sa.column("id", sa.Uuid), sa.column("first_name", sa.String),
                     sa.column("last_name", sa.String), sa.column("email", sa.String), sa.column("phone", sa.String),
                     sa.column("alt_phone", sa.String), sa.column("search_text", sa.Text))
pets = sa.table("pets", sa.column("customer_id", sa.Uuid), sa.column("name", sa.String))


def _fold(text):
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _digits(text):
    return re.sub(r"\D", "", text or "")


def _new_words(text):
    words = []
    for raw in (text or "").split():
        composed = unicodedata.normalize("NFC", raw)
        for form in (_fold(composed), _fold(composed.translate(_TRANSLITERATION))):
            for word in (_PUNCTUATION.sub("", form), *_PUNCTUATION.split(form)):
                if word and word not in words:
                    words.append(word)
    return words


def _new_text(row, pet_names):
    words = [w for text in (row.first_name, row.last_name, *pet_names) for w in _new_words(text)]
    words += [_fold(row.email or "")]
    words += [_digits(p) for p in (row.phone, row.alt_phone) if p]
    return " " + " ".join(w for w in words if w) + " "


def _old_text(row, pet_names):
    words = [row.first_name, row.last_name, row.email or "", *pet_names]
    words += [_digits(p) for p in (row.phone, row.alt_phone) if p]
    return " " + " ".join(w for w in (_fold(x) for x in words) if w) + " "


def _rewrite(build):
    connection = op.get_bind()
    last_id = None
    while True:
        stmt = sa.select(customers).order_by(customers.c.id).limit(500)
        if last_id is not None:
            stmt = stmt.where(customers.c.id > last_id)
        rows = connection.execute(stmt).all()
        if not rows:
            return
        names = {}
        for customer_id, name in connection.execute(
                sa.select(pets.c.customer_id, pets.c.name).where(pets.c.customer_id.in_([r.id for r in rows]))):
            names.setdefault(customer_id, []).append(name)
        for row in rows:
            text = build(row, names.get(row.id, []))
            if text != row.search_text:
                connection.execute(customers.update().where(customers.c.id == row.id).values(search_text=text))
        last_id = rows[-1].id


def upgrade():
    _rewrite(_new_text)


def downgrade():
    _rewrite(_old_text)
