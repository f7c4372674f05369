"""Message templates (managers; admins for staff account emails) and the expiring-vaccinations list with reminders."""
from flask.views import MethodView

from app.api.etags import Blueprint
from app.api.paging import page_of
from app.auth import requires
from app.models import Role
from app.schemas.common import ErrorSchema
from app.schemas.notices import (
    REMINDER_EXAMPLE,
    TEMPLATE_EXAMPLE,
    ExpiringVaccinationSchema,
    MessageTemplateSchema,
    MessageTemplateWriteSchema,
    ReminderRequestSchema,
    ReminderSchema,
    TemplatePreviewSchema,
    WindowQuerySchema,
)
from app.services import notices, templates

blp = Blueprint("message_templates", __name__, url_prefix="/api/v1/message-templates",
                description="The resort's wording of each message (customer notices, staff invitations and password "
                            "resets) per channel. Placeholders are bare names such as `{pet_names}`; each kind lists "
                            "its own. A kind with no wording of the resort's uses the default (version 0).")
vaccines_blp = Blueprint("vaccine_reminders", __name__, url_prefix="/api/v1",
                         description="Vaccinations expiring or expired in a window, and reminders to households.")

TEMPLATE_ERRORS = {
    403: "Changing customer messages needs MANAGER; staff invitation and password-reset emails need ADMIN",
    404: "Unknown kind, or a channel the kind is not sent on (staff emails are EMAIL only)",
    412: "If-Match names another version (someone saved meanwhile); read it again",
    422: "Unknown or unsafe placeholders, unpaired braces, a missing required `{link}` or one in a subject "
         "(each field named)",
}


def _dump(template: templates.Template) -> dict:
    return {"id": templates.template_id(template.kind, template.channel), "kind": template.kind.name,
            "label": template.kind.label, "channel": template.channel, "subject": template.subject,
            "body": template.body, "custom": template.custom, "version": template.version or 0,
            "placeholders": list(template.kind.placeholders), "required": list(template.kind.required),
            "editable_by": template.kind.editor}


def _errors(*statuses):
    def decorate(view):
        for status in statuses:
            view = blp.alt_response(status, schema=ErrorSchema, description=TEMPLATE_ERRORS[status])(view)
        return view
    return decorate


@blp.route("")
class MessageTemplates(MethodView):
    @blp.response(200, MessageTemplateSchema(many=True), example=[TEMPLATE_EXAMPLE])
    @_errors(403)
    @requires(Role.MANAGER)
    def get(self):
        """Every kind on each of its channels (a fixed, short list: not paged)."""
        return [_dump(t) for t in templates.list_templates()]


@blp.route("/<kind>/<channel>")
class MessageTemplateByName(MethodView):
    @blp.etag
    @blp.response(200, MessageTemplateSchema, example=TEMPLATE_EXAMPLE)
    @_errors(403, 404)
    @requires(Role.MANAGER)
    def get(self, kind, channel):
        """One kind's wording on one channel, with its ETag."""
        return _dump(templates.get_template(kind=kind, channel=channel))

    @blp.etag
    @blp.arguments(MessageTemplateWriteSchema, example={"subject": "See you soon, {first_name}!",
                                                        "body": "Total {total} for {pet_names}. {resort_name}"})
    @blp.response(200, MessageTemplateSchema, example=TEMPLATE_EXAMPLE)
    @_errors(403, 404, 412, 422)
    @requires(Role.MANAGER)
    def put(self, data, kind, channel):
        """Store the resort's wording; send the ETag you read as `If-Match` (`"<kind>.<channel>-0"` for the default)."""
        kind_, channel_ = templates.resolve(kind, channel)
        version = blp.if_match_version(templates.template_id(kind_, channel_))
        return _dump(templates.save_template(kind=kind, channel=channel, expected_version=version, **data))

    @blp.etag
    @blp.response(200, MessageTemplateSchema, description="The default wording, now in use again (version 0)")
    @_errors(403, 404, 412)
    @requires(Role.MANAGER)
    def delete(self, kind, channel):
        """Go back to the default wording; send `If-Match`."""
        kind_, channel_ = templates.resolve(kind, channel)
        version = blp.if_match_version(templates.template_id(kind_, channel_))
        return _dump(templates.reset_template(kind=kind, channel=channel, expected_version=version))


@blp.route("/<kind>/<channel>/preview")
class MessageTemplatePreview(MethodView):
    @blp.arguments(MessageTemplateWriteSchema, example={"subject": "Hi {first_name}", "body": "Total {total}"})
    @blp.response(200, TemplatePreviewSchema, example={"subject": "Hi Ann", "body": "Total $285.00"})
    @_errors(403, 404, 422)
    @requires(Role.MANAGER)
    def post(self, data, kind, channel):
        """Render a draft with a sample booking; nothing is saved (422 names unknown placeholders per field)."""
        subject, body = templates.preview(kind=kind, channel=channel, subject=data["subject"], body=data["body"])
        return {"subject": subject, "body": body}


@vaccines_blp.route("/expiring-vaccinations")
class ExpiringVaccinations(MethodView):
    @vaccines_blp.arguments(WindowQuerySchema, location="query")
    @vaccines_blp.response(200, ExpiringVaccinationSchema(many=True))
    @vaccines_blp.alt_response(422, schema=ErrorSchema, description="A malformed date, or `end` before `start` or "
                                                                    "more than 400 days after it (named)")
    @vaccines_blp.paginate(feed=False)
    @requires(Role.STAFF)
    def get(self, query, pagination_parameters):
        """Current records of active pets expiring (or expired) in the window, soonest first."""
        return page_of(pagination_parameters, notices.page_expiring, **query)


@vaccines_blp.route("/pets/<uuid:pet_id>/vaccine-reminders")
class VaccineReminders(MethodView):
    @vaccines_blp.arguments(ReminderRequestSchema, example={"start": "2026-03-01", "end": "2026-04-15"})
    @vaccines_blp.response(202, ReminderSchema, example=REMINDER_EXAMPLE,
                           description="Queued in the outbox; delivered after the commit")
    @vaccines_blp.alt_response(404, schema=ErrorSchema, description="No such pet in this resort")
    @vaccines_blp.alt_response(422, schema=ErrorSchema, description="The pet has no vaccine expiring in the window "
                                                                    "(`pet_id`), or the window is malformed")
    @requires(Role.STAFF)
    def post(self, data, pet_id):
        """Remind the household now of the pet's vaccines expiring in the window (an action: each call sends again)."""
        reminded = notices.remind_pet(pet_id=pet_id, start=data.get("start"), end=data.get("end"),
                                       names=("start", "end"))
        return {"pet_id": reminded.pet_id, "records": reminded.records, "message_ids": reminded.message_ids,
                "start": reminded.start, "end": reminded.end}
