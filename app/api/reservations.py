"""Reservations: booking at the live price, edits with a re-priced preview, moves and the lifecycle."""
from functools import wraps

from flask import url_for
from flask.views import MethodView

from app.api.etags import Blueprint
from app.api.paging import page_of
from app.auth import requires
from app.core.idempotency import idempotent
from app.models import ReservationSource, Role
from app.schemas.common import EmptySchema, ErrorSchema
from app.schemas.reservations import (
    BOOKING_EXAMPLE,
    CANCEL_EXAMPLE,
    CHECK_IN_EXAMPLE,
    CHECK_OUT_EXAMPLE,
    EDIT_EXAMPLE,
    MOVE_EXAMPLE,
    CancelSchema,
    CheckInSchema,
    CheckOutSchema,
    MoveSchema,
    PreviewSchema,
    ReservationCreateSchema,
    ReservationQuerySchema,
    ReservationSchema,
    ReservationUpdateSchema,
)
from app.services import reservations as service

blp = Blueprint("reservations", __name__, url_prefix="/api/v1/reservations",
                description="Bookings: availability is re-checked and the price re-computed on the server on every "
                            "change; one lifecycle PENDING -> CONFIRMED -> CHECKED_IN -> CHECKED_OUT, or CANCELLED "
                            "(with a reason) / NO_SHOW (after the arrival time).")

E404 = "No such reservation (or one of another resort)"
E409 = "The current status does not allow it (both statuses named), or a kennel or day is taken (kennel and nights named)"
E412 = "If-Match names an older version: GET it again"
IF_MATCH_OPTIONAL = {"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"},
                     "description": "The ETag you read; when sent, a reservation changed since is a 412."}
E422 = "A field is invalid or a rule refuses it (the field is named)"


class Shown:
    """A reservation with what the server decided while saving it: where each pet went and why, vaccine warnings."""

    def __init__(self, reservation, booked=None) -> None:
        self._reservation = reservation
        if booked is not None:
            self.assignment = [{"pet_id": p.pet.id, "kennel_id": p.kennel.id if p.kennel else None,
                                "kennel_code": p.kennel.code if p.kennel else None, "explanation": p.explanation}
                               for p in booked.placements]
            self.vaccine_warnings = booked.warnings

    def __getattr__(self, name):
        return getattr(self._reservation, name)


def _shown(booked) -> Shown:
    """Reload the saved reservation with its relations (a commit expired them) and attach the decisions."""
    return Shown(service.get_reservation(reservation_id=booked.reservation.id), booked)


def _location(reservation_id) -> dict:
    return {"Location": url_for("reservations.ReservationById", reservation_id=reservation_id)}


def reservation_first(view):
    """Resolve the reservation before the body is validated, so another tenant's id is 404 whatever the body."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        service.get_reservation(reservation_id=kwargs["reservation_id"])
        return view(*args, **kwargs)

    return wrapper


def _errors(*statuses):
    """Document the error answers of an operation."""
    why = {404: E404, 409: E409, 412: E412, 422: E422}

    def decorator(view):
        for status in reversed(statuses):
            view = blp.alt_response(status, schema=ErrorSchema, description=why[status])(view)
        return view

    return decorator


@blp.route("")
class Reservations(MethodView):
    @blp.arguments(ReservationQuerySchema, location="query")
    @blp.response(200, ReservationSchema(many=True))
    @_errors(422)
    @blp.paginate()
    @requires(Role.STAFF)
    def get(self, filters, pagination_parameters):
        """List reservations overlapping a date range, by status (repeatable), customer, pet, kennel, service or code.

        The count stops 1,000 reservations past the page asked for: an `X-Pagination` total of
        page × page_size + 1,000 means "at least that many".
        """
        return page_of(pagination_parameters, service.list_reservations, **filters)

    @blp.etag
    @blp.arguments(ReservationCreateSchema, example=BOOKING_EXAMPLE)
    @blp.response(201, ReservationSchema)
    @_errors(404, 409, 422)
    @requires(Role.STAFF)
    @idempotent
    def post(self, data):
        """Book a stay: the server checks every night, picks kennels not given (explaining why) and snapshots the price.

        Missing or expired vaccines are a 422 naming `vaccine_override_reason`; with it, a manager's key books anyway
        (audited). The 201 carries `Location` and `ETag`.
        """
        booked = service.book_stay(**data, source=ReservationSource.API)
        return _shown(booked), 201, _location(booked.reservation.id)


@blp.route("/<uuid:reservation_id>")
class ReservationById(MethodView):
    @blp.etag
    @blp.response(200, ReservationSchema)
    @_errors(404)
    @requires(Role.STAFF)
    def get(self, reservation_id):
        """One reservation with its pets, kennels, add-ons and price snapshot."""
        return service.get_reservation(reservation_id=reservation_id)

    @blp.etag
    @reservation_first
    @blp.arguments(ReservationUpdateSchema, example=EDIT_EXAMPLE)
    @blp.response(200, ReservationSchema)
    @_errors(404, 409, 412, 422)
    @requires(Role.STAFF)
    def patch(self, data, reservation_id):
        """Edit dates, pets, kennels, service or add-ons before check-in (re-checked, re-priced); after it, the departure.

        Send `If-Match`; preview the new price first with `POST .../preview`.
        """
        booked = service.update_reservation(reservation_id=reservation_id,
                                            expected_version=blp.if_match_version(reservation_id), **data)
        return _shown(booked)


@blp.route("/<uuid:reservation_id>/preview")
class ReservationPreview(MethodView):
    @reservation_first
    @blp.arguments(ReservationUpdateSchema, example=EDIT_EXAMPLE)
    @blp.response(200, PreviewSchema)
    @_errors(404, 409, 422)
    @requires(Role.STAFF)
    def post(self, data, reservation_id):
        """The price an edit would give (the same body as PATCH), without saving anything."""
        return service.preview_update(reservation_id=reservation_id, **data)


def _action(name: str, schema, example: dict, summary: str, run):
    """One lifecycle route: POST .../<name>, If-Match optional, answering with the reservation."""

    @reservation_first
    @blp.arguments(schema, example=example)
    @blp.doc(parameters=[IF_MATCH_OPTIONAL])
    @blp.response(200, ReservationSchema)
    @_errors(404, 409, 412, 422)
    @requires(Role.STAFF)
    def post(self, data, reservation_id):
        version = blp.optional_if_match_version(reservation_id)
        run(reservation_id=reservation_id, expected_version=version, **data)
        return service.get_reservation(reservation_id=reservation_id)

    post.__doc__ = summary
    view = type(f"Reservation{name.title().replace('-', '')}", (MethodView,), {"post": blp.etag(post)})
    blp.route(f"/<uuid:reservation_id>/{name}")(view)


_action("confirm", EmptySchema, {}, "PENDING -> CONFIRMED. `If-Match` is optional.", service.confirm)
_action("check-in", CheckInSchema, CHECK_IN_EXAMPLE,
        "CONFIRMED -> CHECKED_IN, on or after the arrival date: belongings, medications, feeding confirmed, notes. "
        "Missing or expired vaccines block it unless a manager's key gives `vaccine_override_reason`.",
        service.check_in)
_action("check-out", CheckOutSchema, CHECK_OUT_EXAMPLE,
        "CHECKED_IN -> CHECKED_OUT; belongings recorded at check-in must be confirmed returned.", service.check_out)
_action("cancel", CancelSchema, CANCEL_EXAMPLE, "PENDING/CONFIRMED -> CANCELLED with a reason; the places are freed.",
        service.cancel)
_action("no-show", EmptySchema, {}, "PENDING/CONFIRMED -> NO_SHOW once the arrival time has passed.",
        service.no_show)


def _move(*, reservation_id, expected_version, pet_id, kennel_id, from_date=None):
    service.move_pet(reservation_id=reservation_id, expected_version=expected_version, pet_id=pet_id,
                     kennel_id=kennel_id, from_date=from_date)


_action("move", MoveSchema, MOVE_EXAMPLE,
        "Move one pet to another kennel from a night on (default: the arrival, or tonight once checked in); "
        "everything is re-checked.", _move)

