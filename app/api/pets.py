"""Pets: care profiles, photos, vaccinations and compliance."""
from flask import Response, g, request, url_for
from flask.views import MethodView

from app.api.etags import Blueprint
from app.api.paging import page_of
from app.core.body import body_limit
from app.core.idempotency import idempotent
from app.schemas.common import ErrorSchema
from app.schemas.pets import (
    ComplianceQuerySchema,
    ComplianceSchema,
    PetDetailSchema,
    PetQuerySchema,
    PetSummarySchema,
    PetWriteSchema,
    VaccinationCreateSchema,
    VaccinationSchema,
    VaccinationWriteSchema,
)
from app.services import compliance, pets as service

blp = Blueprint("pets", __name__, url_prefix="/api/v1/pets", description="Pets, vaccinations and compliance.")


def _verifier():
    return g.principal.id if g.get("principal_kind") == "user" else None


@blp.route("")
class Pets(MethodView):
    @blp.arguments(PetQuerySchema, location="query")
    @blp.response(200, PetSummarySchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """List pets, filtered by species, active flag, owner or name prefix."""
        return page_of(pagination_parameters, service.list_pets, **query)


@blp.route("/<uuid:pet_id>")
class PetById(MethodView):
    @blp.etag
    @blp.response(200, PetDetailSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    def get(self, pet_id):
        """A pet's full care profile with vaccinations."""
        return service.get_pet(pet_id=pet_id, with_vaccinations=True)

    @blp.etag
    @blp.arguments(PetWriteSchema, example={"weight_kg": "29.03", "alert_flags": ["SENIOR"]})
    @blp.response(200, PetDetailSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    @blp.alt_response(422, schema=ErrorSchema)
    def patch(self, data, pet_id):
        """Edit a pet, deactivate it, or move it to another household (`customer_id`); send `If-Match`."""
        service.update_pet(pet_id=pet_id, expected_version=blp.if_match_version(pet_id), **data)
        return service.get_pet(pet_id=pet_id, with_vaccinations=True)

    @blp.etag
    @blp.response(204)
    @blp.alt_response(404, schema=ErrorSchema)
    def delete(self, pet_id):
        """Delete a pet with its vaccinations (when no booking refers to it); send `If-Match`."""
        service.delete_pet(pet_id=pet_id, expected_version=blp.if_match_version(pet_id))


@blp.route("/<uuid:pet_id>/photo")
class PetPhoto(MethodView):
    @blp.response(200, content_type="image/*")
    @blp.alt_response(404, schema=ErrorSchema)
    def get(self, pet_id):
        """The pet's photo."""
        data, mime = service.read_photo(pet_id=pet_id)
        return Response(data, mimetype=mime, headers={"Cache-Control": "private, max-age=300"})

    @body_limit("MAX_PHOTO_BYTES")
    @blp.response(200, PetDetailSchema)
    @blp.alt_response(413, schema=ErrorSchema, description="Body over the upload limit")
    @blp.alt_response(422, schema=ErrorSchema, description="Not an image, or over 5 MB")
    @blp.doc(requestBody={"required": True,
                          "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}},
                                      "image/png": {"schema": {"type": "string", "format": "binary"}}}})
    def put(self, pet_id):
        """Upload a photo as the raw request body (PNG, JPEG, GIF or WebP, at most 5 MB)."""
        upload = request.files.get("photo")
        service.set_photo(pet_id=pet_id, stream=upload.stream if upload else request.stream)
        return service.get_pet(pet_id=pet_id, with_vaccinations=True)


@blp.route("/<uuid:pet_id>/vaccinations")
class PetVaccinations(MethodView):
    @blp.response(200, VaccinationSchema(many=True))
    @blp.alt_response(404, schema=ErrorSchema)
    def get(self, pet_id):
        """The pet's vaccinations."""
        return service.get_pet(pet_id=pet_id, with_vaccinations=True).vaccinations

    @blp.etag
    @blp.arguments(VaccinationCreateSchema, example={"vaccine": "Rabies", "given_on": "2026-03-01",
                                                     "expires_on": "2029-03-01", "verified": True})
    @blp.response(201, VaccinationSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    @blp.alt_response(422, schema=ErrorSchema)
    @idempotent
    def post(self, data, pet_id):
        """Record a vaccination; the 201 carries its `Location` and `ETag`."""
        shot = service.add_vaccination(pet_id=pet_id, verified_by_id=_verifier(), **data)
        return shot, 201, {"Location": url_for("pets.PetVaccination", pet_id=pet_id, vaccination_id=shot.id)}


@blp.route("/<uuid:pet_id>/vaccinations/<uuid:vaccination_id>")
class PetVaccination(MethodView):
    @blp.arguments(VaccinationWriteSchema, example={"expires_on": "2029-03-02"})
    @blp.response(200, VaccinationSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    @blp.alt_response(422, schema=ErrorSchema)
    def patch(self, data, pet_id, vaccination_id):
        """Correct a vaccination or mark it verified."""
        return service.update_vaccination(pet_id=pet_id, vaccination_id=vaccination_id,
                                          verified_by_id=_verifier(), **data)

    @blp.response(204)
    @blp.alt_response(404, schema=ErrorSchema)
    def delete(self, pet_id, vaccination_id):
        """Remove a vaccination entered by mistake."""
        service.delete_vaccination(pet_id=pet_id, vaccination_id=vaccination_id)


@blp.route("/<uuid:pet_id>/vaccinations/<uuid:vaccination_id>/document")
class VaccinationDocument(MethodView):
    @blp.response(200, content_type="application/pdf")
    @blp.alt_response(404, schema=ErrorSchema)
    def get(self, pet_id, vaccination_id):
        """The vaccination certificate."""
        data, mime = service.read_vaccination_document(pet_id=pet_id, vaccination_id=vaccination_id)
        return Response(data, mimetype=mime, headers={"Cache-Control": "private, max-age=300"})

    @body_limit("MAX_DOCUMENT_BYTES")
    @blp.response(200, VaccinationSchema)
    @blp.alt_response(413, schema=ErrorSchema, description="Body over the upload limit")
    @blp.alt_response(422, schema=ErrorSchema, description="Not a PDF or image, or over 10 MB")
    @blp.doc(requestBody={"required": True,
                          "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}})
    def put(self, pet_id, vaccination_id):
        """Attach the certificate as the raw request body (PDF or image, at most 10 MB)."""
        upload = request.files.get("document")
        return service.set_vaccination_document(pet_id=pet_id, vaccination_id=vaccination_id,
                                                stream=upload.stream if upload else request.stream)


@blp.route("/<uuid:pet_id>/compliance")
class PetCompliance(MethodView):
    @blp.arguments(ComplianceQuerySchema, location="query")
    @blp.response(200, ComplianceSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    def get(self, query, pet_id):
        """Is each required vaccine current for the whole range? (CURRENT, EXPIRING_SOON, EXPIRED, MISSING)"""
        pet = service.get_pet(pet_id=pet_id, with_vaccinations=True)
        return compliance.pet_compliance(species=pet.species, records=service.pet_records(pet), **query)
