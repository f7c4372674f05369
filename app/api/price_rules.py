"""Price rules: long stays, extra pets, weekdays, holiday windows (managers write, everyone reads)."""
from flask import Response, url_for
from flask.views import MethodView

from app.api.etags import Blueprint
from app.api.paging import page_of
from app.auth import requires
from app.core.idempotency import idempotent
from app.models import Role
from app.schemas.catalog import (
    RULE_EXAMPLE,
    PriceRuleCreateSchema,
    PriceRuleQuerySchema,
    PriceRuleSchema,
    PriceRuleUpdateSchema,
)
from app.schemas.common import ErrorSchema
from app.services import catalog as service

blp = Blueprint("price_rules", __name__, url_prefix="/api/v1/price-rules",
                description="Discounts and surcharges; how they combine is described under POST /quotes.")


@blp.route("")
class PriceRules(MethodView):
    @blp.arguments(PriceRuleQuerySchema, location="query")
    @blp.response(200, PriceRuleSchema(many=True))
    @blp.paginate()
    @requires(Role.STAFF)
    def get(self, filters, pagination_parameters):
        """List rules in the order they apply (priority, then name)."""
        return page_of(pagination_parameters, service.list_price_rules, **filters)

    @blp.etag
    @blp.arguments(PriceRuleCreateSchema, example=RULE_EXAMPLE)
    @blp.response(201, PriceRuleSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="A service in `service_ids` does not exist")
    @blp.alt_response(409, schema=ErrorSchema, description="Name already used")
    @blp.alt_response(422, schema=ErrorSchema, description="E.g. percent over 100, a window ending before it starts")
    @requires(Role.MANAGER)
    @idempotent
    def post(self, data):
        """Add a price rule (managers); the 201 carries its `Location` and `ETag`."""
        rule = service.create_price_rule(**data)
        return rule, 201, {"Location": url_for("price_rules.PriceRuleById", rule_id=rule.id)}


@blp.route("/<uuid:rule_id>")
class PriceRuleById(MethodView):
    @blp.etag
    @blp.response(200, PriceRuleSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    @requires(Role.STAFF)
    def get(self, rule_id):
        """One price rule."""
        return service.get_price_rule(rule_id=rule_id)

    @blp.etag
    @blp.arguments(PriceRuleUpdateSchema, example={"percent": "15.00"})
    @blp.response(200, PriceRuleSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    @blp.alt_response(422, schema=ErrorSchema)
    @requires(Role.MANAGER)
    def patch(self, data, rule_id):
        """Change a price rule (managers); send `If-Match`. `service_ids` replaces the whole list."""
        return service.update_price_rule(rule_id=rule_id, expected_version=blp.if_match_version(rule_id), **data)

    @blp.response(200, PriceRuleSchema, description="Kept but deactivated: something refers to it")
    @blp.alt_response(204, description="Deleted: nothing referred to it")
    @blp.alt_response(404, schema=ErrorSchema)
    @requires(Role.MANAGER)
    def delete(self, rule_id):
        """Delete a price rule nothing refers to; otherwise deactivate it."""
        kept = service.delete_price_rule(rule_id=rule_id)
        return kept if kept is not None else Response(status=204)
