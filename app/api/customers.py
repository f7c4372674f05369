"""Customers (households) and their pets."""
from flask import Response, url_for
from flask.views import MethodView

from app.api.etags import Blueprint
from app.api.paging import page_of
from app.auth import caller_may, requires
from app.core.errors import Conflict
from app.core.idempotency import idempotent
from app.models import Role
from app.schemas.common import ErrorSchema
from app.schemas.customers import (
    CustomerCreateSchema,
    CustomerDetailSchema,
    CustomerListItemSchema,
    CustomerQuerySchema,
    CustomerWriteSchema,
)
from app.schemas.pets import PetCreateSchema, PetDetailSchema
from app.services import customer_csv, customers as service, pets as pet_service

blp = Blueprint("customers", __name__, url_prefix="/api/v1/customers",
                description="Households: contact details, emergency contact, notes, tags and pets.")


def _unnamed_duplicates(write):
    """Run a customer write; a key without `customers:read` learns an email is taken, not whose it is."""
    try:
        return write()
    except Conflict as exc:
        if caller_may("customers:read") or "email" not in (exc.errors or {}):
            raise
        raise Conflict("This email is already used by another household.",
                       errors={"email": ["Already used by another household."]}) from None


@blp.route("")
class Customers(MethodView):
    @blp.arguments(CustomerQuerySchema, location="query")
    @blp.response(200, CustomerListItemSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """Search and filter customers; each comes with its pets' names and alert badges.

        The count stops 1,000 customers past the page asked for: an `X-Pagination` total of
        page × page_size + 1,000 means "at least that many".
        """
        return page_of(pagination_parameters, service.list_customers, **query)

    @blp.etag
    @blp.arguments(CustomerCreateSchema, example={"first_name": "Jane", "last_name": "Doe", "email": "jane@example.com",
                                                  "phone": "(555) 123-4567", "preferred_contact": "SMS", "tags": ["vip"]})
    @blp.response(201, CustomerDetailSchema)
    @blp.alt_response(409, schema=ErrorSchema, description="Email already used by another customer (named)")
    @blp.alt_response(422, schema=ErrorSchema)
    @idempotent
    def post(self, data):
        """Add a customer; the 201 carries its `Location` and `ETag`."""
        customer = _unnamed_duplicates(lambda: service.create_customer(**data))
        return (service.customer_detail(customer_id=customer.id), 201,
                {"Location": url_for("customers.CustomerById", customer_id=customer.id)})


@blp.route("/export")
class CustomerExport(MethodView):
    @blp.response(200, content_type="text/csv", description="One row per pet (customers without pets get one row).")
    @requires(Role.MANAGER)
    def get(self):
        """Every customer and pet as CSV, in the import format (managers)."""
        return Response(customer_csv.export_chunks(), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=customers.csv"})


@blp.route("/<uuid:customer_id>")
class CustomerById(MethodView):
    @blp.etag
    @blp.response(200, CustomerDetailSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    def get(self, customer_id):
        """One customer with pets and vaccinations (served from the cache when warm)."""
        return service.customer_detail(customer_id=customer_id)

    @blp.etag
    @blp.arguments(CustomerWriteSchema, example={"phone": "555.123.4567", "notes": "Gate code 1234"})
    @blp.response(200, CustomerDetailSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    @blp.alt_response(409, schema=ErrorSchema)
    def patch(self, data, customer_id):
        """Edit contact details, notes, tags, or deactivate (`active: false`); send `If-Match`."""
        # If-Match is enforced by the UPDATE (`WHERE version = :v`), never against the cached detail.
        version = blp.if_match_version(customer_id)
        _unnamed_duplicates(lambda: service.update_customer(customer_id=customer_id, expected_version=version, **data))
        return service.customer_detail(customer_id=customer_id)

    @blp.etag
    @blp.response(204)
    @blp.alt_response(404, schema=ErrorSchema)
    @blp.alt_response(409, schema=ErrorSchema, description="Has history: deactivate instead")
    def delete(self, customer_id):
        """Delete a customer with no history, with its pets; send `If-Match`."""
        service.delete_customer(customer_id=customer_id, expected_version=blp.if_match_version(customer_id))


@blp.route("/<uuid:customer_id>/pets")
class CustomerPets(MethodView):
    @blp.response(200, PetDetailSchema(many=True))
    @blp.alt_response(404, schema=ErrorSchema)
    def get(self, customer_id):
        """The household's pets."""
        return service.customer_detail(customer_id=customer_id)["pets"]

    @blp.etag
    @blp.arguments(PetCreateSchema, example={"name": "Rex", "species": "DOG", "breed": "Labrador",
                                             "alert_flags": ["ESCAPE_RISK"]})
    @blp.response(201, PetDetailSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    @blp.alt_response(422, schema=ErrorSchema)
    @idempotent
    def post(self, data, customer_id):
        """Add a pet to the household; the 201 carries its `Location` and `ETag`."""
        data.pop("customer_id", None)
        pet = pet_service.create_pet(customer_id=customer_id, **data)
        return (pet_service.get_pet(pet_id=pet.id, with_vaccinations=True), 201,
                {"Location": url_for("pets.PetById", pet_id=pet.id)})
