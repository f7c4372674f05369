"""The front desk's day: the today board (the start page), the kennel grid and printable kennel cards."""
from datetime import date, timedelta

from flask import render_template, request

from app.auth import requires
from app.models import Role
from app.services import boards, reservations
from app.services.compliance import tenant_today
from app.web.booking_form import LABELS, Reader
from app.web.common import page_blueprint

bp = page_blueprint("board_pages", __name__)
GRID_DAYS = 14


def _day_arg(name: str) -> tuple[date, dict]:
    """A ?date= style argument (today when absent); a malformed one is named and today shown instead."""
    read = Reader(request.args)
    day = read.date(name)
    return day or tenant_today(), read.errors


def today_context(day: date | None = None) -> dict:
    """The day sheet and what its template needs (also re-rendered after a check-in or check-out in place)."""
    day = day or tenant_today()
    from app.web.reservations import ACTIONS  # it imports this module's today_context: read it when needed

    return {"sheet": boards.day_sheet(day=day), "day": day, "today": tenant_today(), "allowed": reservations.allowed_actions,
            "labels": LABELS, "actions": ACTIONS, "errors": {}, "message": None, "form": {}, "done": None, "settle": None,
            "previous": day - timedelta(days=1), "next": day + timedelta(days=1)}


def today_page():
    """The today board as the signed-in start page (home.index calls this)."""
    day, errors = _day_arg("date")
    context = today_context(day)
    if request.headers.get("HX-Target") == "today":
        return render_template("boards/_today.html", **context), 422 if errors else 200
    return render_template("boards/today.html", **context, date_errors=errors), 422 if errors else 200


@bp.get("/today")
@requires(Role.STAFF)
def today():
    """Arrivals, departures, in house, daycare and appointments for a tenant-local day, with actions in place."""
    return today_page()


@bp.get("/kennels/grid")
@bp.get("/grid")
@requires(Role.STAFF)
def grid():
    """Kennels x 14 nights, a page of kennels at a time: who sleeps where, coloured by status; an empty cell
    starts a booking."""
    start, errors = _day_arg("start")
    grid = boards.kennel_grid(start=start, days=GRID_DAYS, page=request.args.get("page", 1, type=int))
    return render_template("boards/grid.html", grid=grid, today=tenant_today(), errors=errors, start=start,
                           previous=start - timedelta(days=7), next=start + timedelta(days=7)), \
        422 if errors else 200


@bp.get("/kennel-cards")
@requires(Role.STAFF)
def kennel_cards():
    """One printable card per pet in house on a day (one per printed page)."""
    day, errors = _day_arg("date")
    return render_template("boards/kennel_cards.html", cards=boards.kennel_cards(day=day), day=day,
                           errors=errors), 422 if errors else 200
