"""Webhook endpoints, their deliveries and redelivery (admins)."""
from flask import url_for
from flask.views import MethodView

from app.api.etags import Blueprint
from app.api.paging import page_of
from app.auth import requires
from app.core.idempotency import idempotent
from app.models import Role
from app.schemas.common import ErrorSchema
from app.schemas.webhooks import (
    ENDPOINT_EXAMPLE,
    DeliverySchema,
    EndpointCreateSchema,
    EndpointSchema,
    EndpointUpdateSchema,
    EndpointWithSecretSchema,
)
from app.services import webhooks as service

blp = Blueprint("webhooks", __name__, url_prefix="/api/v1",
                description="Signed event deliveries to the resort's integrations (admins only). Every event is "
                            "written in the transaction of its change and delivered with retries.")


@blp.route("/webhook-endpoints")
class Endpoints(MethodView):
    @blp.response(200, EndpointSchema(many=True))
    @blp.paginate()
    @requires(Role.ADMIN)
    def get(self, pagination_parameters):
        """Every endpoint, oldest first (never their secrets)."""
        return page_of(pagination_parameters, service.list_endpoints)

    @blp.etag
    @blp.arguments(EndpointCreateSchema, example=ENDPOINT_EXAMPLE)
    @blp.response(201, EndpointWithSecretSchema)
    @blp.alt_response(422, schema=ErrorSchema, description="A bad URL or an unknown event type, named")
    @requires(Role.ADMIN)
    @idempotent(redact=("secret",))
    def post(self, data):
        """Add an endpoint; its signing `secret` is in this response only."""
        endpoint = service.create_endpoint(**data)
        return endpoint, 201, {"Location": url_for("webhooks.EndpointById", endpoint_id=endpoint.id)}


@blp.route("/webhook-endpoints/<uuid:endpoint_id>")
class EndpointById(MethodView):
    @blp.etag
    @blp.response(200, EndpointSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    @requires(Role.ADMIN)
    def get(self, endpoint_id):
        """One endpoint."""
        return service.get_endpoint(endpoint_id=endpoint_id)

    @blp.etag
    @blp.arguments(EndpointUpdateSchema, example={"active": True})
    @blp.response(200, EndpointSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    @blp.alt_response(422, schema=ErrorSchema)
    @requires(Role.ADMIN)
    def patch(self, data, endpoint_id):
        """Change an endpoint (If-Match required); turning it back on clears its failure count."""
        return service.update_endpoint(endpoint_id=endpoint_id, expected_version=blp.if_match_version(endpoint_id),
                                       **data)

    @blp.etag
    @blp.response(204)
    @blp.alt_response(404, schema=ErrorSchema)
    @requires(Role.ADMIN)
    def delete(self, endpoint_id):
        """Delete an endpoint (If-Match required); its undelivered events are dropped."""
        blp.if_match_version(endpoint_id)
        service.delete_endpoint(endpoint_id=endpoint_id)


@blp.route("/webhook-endpoints/<uuid:endpoint_id>/rotate-secret")
class RotateSecret(MethodView):
    @blp.response(200, EndpointWithSecretSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    @requires(Role.ADMIN)
    def post(self, endpoint_id):
        """A new signing secret, effective at once, in this response only."""
        return service.rotate_secret(endpoint_id=endpoint_id)


@blp.route("/webhook-endpoints/<uuid:endpoint_id>/ping")
class Ping(MethodView):
    @blp.response(202, DeliverySchema)
    @blp.alt_response(404, schema=ErrorSchema)
    @requires(Role.ADMIN)
    def post(self, endpoint_id):
        """Send a `webhook.ping` event to this endpoint (to test the receiver and its signature check)."""
        message = service.send_ping(endpoint_id=endpoint_id)
        message.attempt_log = []
        return message, 202


@blp.route("/webhook-endpoints/<uuid:endpoint_id>/deliveries")
class Deliveries(MethodView):
    @blp.response(200, DeliverySchema(many=True))
    @blp.alt_response(404, schema=ErrorSchema)
    @blp.paginate(feed=False)
    @requires(Role.ADMIN)
    def get(self, endpoint_id, pagination_parameters):
        """The endpoint's deliveries, newest first, each with its attempts and response codes."""
        return page_of(pagination_parameters, service.list_deliveries, endpoint_id=endpoint_id)


@blp.route("/webhook-deliveries/<uuid:delivery_id>/redeliver")
class Redeliver(MethodView):
    @blp.response(202, DeliverySchema)
    @blp.alt_response(404, schema=ErrorSchema)
    @blp.alt_response(422, schema=ErrorSchema, description="The delivery is in flight right now")
    @requires(Role.ADMIN)
    def post(self, delivery_id):
        """Send a delivery again: a fresh round of attempts with the same event id."""
        return service.redeliver(message_id=delivery_id), 202
