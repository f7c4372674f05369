"""Staff users (admins)."""
from flask import url_for
from flask.views import MethodView

from app.api.etags import Blueprint
from app.api.paging import page_of
from app.auth import requires
from app.core.idempotency import idempotent
from app.models import Role
from app.schemas.accounts import UserCreateSchema, UserSchema, UserUpdateSchema
from app.schemas.common import ErrorSchema
from app.services import accounts as service

blp = Blueprint("users", __name__, url_prefix="/api/v1/users", description="Staff accounts (admins only).")


@blp.route("")
class Users(MethodView):
    @blp.response(200, UserSchema(many=True))
    @requires(Role.ADMIN)
    @blp.paginate(page_size=100)
    def get(self, pagination_parameters):
        """List staff users, by name."""
        return page_of(pagination_parameters, service.page_users)

    @blp.etag
    @blp.arguments(UserCreateSchema, example={"email": "sam@happypaws.example", "name": "Sam Rivera", "role": "STAFF"})
    @blp.response(201, UserSchema)
    @blp.alt_response(409, schema=ErrorSchema, description="Email already in use")
    @requires(Role.ADMIN)
    @idempotent
    def post(self, data):
        """Invite a user (they get an email to set a password); the 201 carries its `Location` and `ETag`."""
        user = service.create_user(**data)
        return user, 201, {"Location": url_for("users.UserById", user_id=user.id)}


@blp.route("/<uuid:user_id>")
class UserById(MethodView):
    @blp.etag
    @blp.response(200, UserSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    @requires(Role.ADMIN)
    def get(self, user_id):
        """One user."""
        return service.get_user(user_id=user_id)

    @blp.etag
    @blp.arguments(UserUpdateSchema, example={"role": "MANAGER"})
    @blp.response(200, UserSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    @blp.alt_response(422, schema=ErrorSchema, description="E.g. removing the last admin")
    @requires(Role.ADMIN)
    def patch(self, data, user_id):
        """Change role, name or active flag; send `If-Match`."""
        return service.update_user(user_id=user_id, expected_version=blp.if_match_version(user_id), **data)
