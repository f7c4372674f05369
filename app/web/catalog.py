"""Manager settings pages for the price list: services, add-ons, price rules and a "try it" quote panel."""
from decimal import Decimal

import marshmallow as ma
from flask import Response, render_template, request

from app.auth import requires
from app.core.errors import DomainError, RuleViolation
from app.models import (
    AddOnUnit,
    AmountType,
    DepositKind,
    KennelType,
    PriceUnit,
    Role,
    RuleEffect,
    RuleKind,
    ServiceCategory,
    Species,
)
from app.models.catalog import WEEKDAYS
from app.schemas.catalog import (
    AddOnCreateSchema,
    AddOnUpdateSchema,
    PriceRuleCreateSchema,
    PriceRuleUpdateSchema,
    ServiceCreateSchema,
    ServiceUpdateSchema,
)
from app.services import catalog, pricing
from app.web.common import FORM_ERRORS, load_form, page_blueprint, posted_values

bp = page_blueprint("catalog", __name__, url_prefix="/catalog")

# Form input name -> API field name, for money typed as "45.00" and stored as cents.
MONEY_INPUTS = {"price": "price_cents", "deposit": "deposit_cents", "amount": "amount_cents"}
FORM_NAMES = {api: form for form, api in MONEY_INPUTS.items()}
CHOICES = {"categories_all": list(ServiceCategory), "units": list(PriceUnit), "kennel_types": list(KennelType),
           "species": list(Species), "deposit_kinds": list(DepositKind), "addon_units": list(AddOnUnit),
           "rule_kinds": list(RuleKind), "effects": list(RuleEffect), "amount_types": list(AmountType),
           "weekdays": WEEKDAYS}


def money(cents: int | None) -> str:
    """Cents as an amount to show or edit: 4550 -> '45.50'."""
    return "" if cents is None else f"{Decimal(cents) / 100:.2f}"


def _form_error(template: str, exc: DomainError, *, lists: tuple, **context):
    """Re-render a form (422, or 409 for a taken name) with its field errors (money fields named as typed)
    and the typed values."""
    errors = {FORM_NAMES.get(k, k): v for k, v in (exc.errors or {}).items()}
    return render_template(template, errors=errors, message=exc.message, values=posted_values(lists), **CHOICES,
                           **context), exc.status_code


@bp.app_template_filter("money")
def money_filter(cents: int | None) -> str:
    """Jinja: {{ 4550|money }} -> 45.50."""
    return money(cents)


def _render(template: str, **context) -> str:
    return render_template(template, **{"errors": {}, "message": None, **CHOICES, **context})


def _services() -> list:
    return catalog.list_services()[0]


def _named(rows) -> dict:
    return {"services": rows, "service_names": {s.id: s.name for s in rows}}


# --- services ---------------------------------------------------------------------------------

SERVICE_LISTS = ("kennel_types", "allowed_species")
NEW_SERVICE = {"category": "BOARDING", "price_unit": "PER_NIGHT", "needs_kennel": True, "taxable": True,
               "kennel_types": ["RUN", "SUITE", "LUXURY_SUITE", "CAT_CONDO"], "allowed_species": ["DOG", "CAT"],
               "deposit_kind": "NONE", "active": True, "sort_order": "0"}


def service_values(service) -> dict:
    """A service as form input values."""
    return {"name": service.name, "category": service.category.value, "description": service.description,
            "price": money(service.price_cents), "price_unit": service.price_unit.value,
            "duration_minutes": service.duration_minutes or "", "needs_kennel": service.needs_kennel,
            "kennel_types": list(service.kennel_types), "allowed_species": list(service.allowed_species),
            "taxable": service.taxable, "deposit_kind": service.deposit_kind.value,
            "deposit_percent": service.deposit_percent or "", "deposit": money(service.deposit_cents),
            "active": service.active, "sort_order": service.sort_order}


@bp.get("/services")
@requires(Role.MANAGER)
def services():
    """The price list: every service with its price, unit, deposit and kennel types."""
    return _render("catalog/services.html", services=_services(), service=None, values=NEW_SERVICE)


@bp.post("/services")
@requires(Role.MANAGER)
def create_service():
    """Add a service; the new row is added to the table and the form is cleared."""
    try:
        service = catalog.create_service(**load_form(ServiceCreateSchema(), money=MONEY_INPUTS))
    except FORM_ERRORS as exc:
        return _form_error("catalog/_service_form.html", exc, lists=SERVICE_LISTS, service=None)
    return _render("catalog/_service_created.html", service=service, values=NEW_SERVICE)


@bp.get("/services/<uuid:service_id>")
@requires(Role.MANAGER)
def service_row(service_id):
    """One service's table row (also: cancel an edit)."""
    return _render("catalog/_service_row.html", service=catalog.get_service(service_id=service_id))


@bp.get("/services/<uuid:service_id>/edit")
@requires(Role.MANAGER)
def edit_service(service_id):
    """The edit form, in place of the row."""
    service = catalog.get_service(service_id=service_id)
    return _render("catalog/_service_form.html", service=service, values=service_values(service))


@bp.post("/services/<uuid:service_id>")
@requires(Role.MANAGER)
def update_service(service_id):
    """Save an edited service; the row comes back, or the form with errors."""
    current = catalog.get_service(service_id=service_id)
    try:
        service = catalog.update_service(service_id=service_id, **load_form(
            ServiceUpdateSchema(), money=MONEY_INPUTS))
    except FORM_ERRORS as exc:
        return _form_error("catalog/_service_form.html", exc, lists=SERVICE_LISTS, service=current)
    return _render("catalog/_service_row.html", service=service)


@bp.post("/services/<uuid:service_id>/delete")
@requires(Role.MANAGER)
def delete_service(service_id):
    """Delete (or, when something refers to it, deactivate) a service."""
    kept = catalog.delete_service(service_id=service_id)
    return _render("catalog/_service_row.html", service=kept) if kept else Response("", status=200)


# --- add-ons ----------------------------------------------------------------------------------

ADDON_LISTS = ("service_ids",)
NEW_ADDON = {"unit": "PER_STAY", "taxable": True, "active": True, "service_ids": [], "sort_order": "0"}


def addon_values(addon) -> dict:
    """An add-on as form input values."""
    return {"name": addon.name, "description": addon.description, "price": money(addon.price_cents),
            "unit": addon.unit.value, "taxable": addon.taxable, "active": addon.active,
            "service_ids": [str(i) for i in addon.service_ids], "sort_order": addon.sort_order}


@bp.get("/addons")
@requires(Role.MANAGER)
def addons():
    """Add-ons with their price, unit and the services they may be added to."""
    return _render("catalog/addons.html", addons=catalog.list_addons()[0], addon=None, values=NEW_ADDON,
                   **_named(_services()))


@bp.post("/addons")
@requires(Role.MANAGER)
def create_addon():
    """Add an add-on."""
    try:
        addon = catalog.create_addon(**load_form(AddOnCreateSchema(), money=MONEY_INPUTS))
    except FORM_ERRORS as exc:
        return _form_error("catalog/_addon_form.html", exc, lists=ADDON_LISTS, addon=None, **_named(_services()))
    return _render("catalog/_addon_created.html", addon=addon, values=NEW_ADDON, **_named(_services()))


@bp.get("/addons/<uuid:addon_id>")
@requires(Role.MANAGER)
def addon_row(addon_id):
    """One add-on's table row."""
    return _render("catalog/_addon_row.html", addon=catalog.get_addon(addon_id=addon_id), **_named(_services()))


@bp.get("/addons/<uuid:addon_id>/edit")
@requires(Role.MANAGER)
def edit_addon(addon_id):
    """The edit form, in place of the row."""
    addon = catalog.get_addon(addon_id=addon_id)
    return _render("catalog/_addon_form.html", addon=addon, values=addon_values(addon), **_named(_services()))


@bp.post("/addons/<uuid:addon_id>")
@requires(Role.MANAGER)
def update_addon(addon_id):
    """Save an edited add-on."""
    current = catalog.get_addon(addon_id=addon_id)
    try:
        addon = catalog.update_addon(addon_id=addon_id, **load_form(AddOnUpdateSchema(), money=MONEY_INPUTS))
    except FORM_ERRORS as exc:
        return _form_error("catalog/_addon_form.html", exc, lists=ADDON_LISTS, addon=current, **_named(_services()))
    return _render("catalog/_addon_row.html", addon=addon, **_named(_services()))


@bp.post("/addons/<uuid:addon_id>/delete")
@requires(Role.MANAGER)
def delete_addon(addon_id):
    """Delete (or, when something refers to it, deactivate) an add-on."""
    kept = catalog.delete_addon(addon_id=addon_id)
    if kept is None:
        return Response("", status=200)
    return _render("catalog/_addon_row.html", addon=kept, **_named(_services()))


# --- price rules ------------------------------------------------------------------------------

RULE_LISTS = ("service_ids", "categories", "days_of_week")
NEW_RULE = {"kind": "DATE_WINDOW", "effect": "SURCHARGE", "amount_type": "PERCENT", "priority": "100",
            "active": True, "service_ids": [], "categories": [], "days_of_week": []}


def rule_values(rule) -> dict:
    """A price rule as form input values."""
    return {"name": rule.name, "kind": rule.kind.value, "effect": rule.effect.value,
            "amount_type": rule.amount_type.value, "percent": rule.percent or "", "amount": money(rule.amount_cents),
            "min_nights": rule.min_nights or "", "from_pet": rule.from_pet or "",
            "days_of_week": list(rule.days_of_week), "categories": list(rule.categories),
            "service_ids": [str(i) for i in rule.service_ids], "priority": rule.priority, "active": rule.active,
            "valid_from": rule.valid_from or "", "valid_to": rule.valid_to or ""}


@bp.get("/price-rules")
@requires(Role.MANAGER)
def price_rules():
    """Price rules in the order they apply, the new-rule form and the try-it quote panel."""
    return _render("catalog/price_rules.html", rules=catalog.list_price_rules()[0], rule=None, values=NEW_RULE,
                   addons=catalog.list_addons(active=True)[0], **_named(_services()))


@bp.post("/price-rules")
@requires(Role.MANAGER)
def create_price_rule():
    """Add a price rule."""
    try:
        rule = catalog.create_price_rule(**load_form(PriceRuleCreateSchema(), money=MONEY_INPUTS))
    except FORM_ERRORS as exc:
        return _form_error("catalog/_rule_form.html", exc, lists=RULE_LISTS, rule=None, **_named(_services()))
    return _render("catalog/_rule_created.html", rule=rule, values=NEW_RULE, **_named(_services()))


@bp.get("/price-rules/<uuid:rule_id>")
@requires(Role.MANAGER)
def rule_row(rule_id):
    """One rule's table row."""
    return _render("catalog/_rule_row.html", rule=catalog.get_price_rule(rule_id=rule_id), **_named(_services()))


@bp.get("/price-rules/<uuid:rule_id>/edit")
@requires(Role.MANAGER)
def edit_price_rule(rule_id):
    """The edit form, in place of the row."""
    rule = catalog.get_price_rule(rule_id=rule_id)
    return _render("catalog/_rule_form.html", rule=rule, values=rule_values(rule), **_named(_services()))


@bp.post("/price-rules/<uuid:rule_id>")
@requires(Role.MANAGER)
def update_price_rule(rule_id):
    """Save an edited rule."""
    current = catalog.get_price_rule(rule_id=rule_id)
    try:
        rule = catalog.update_price_rule(rule_id=rule_id, **load_form(PriceRuleUpdateSchema(), money=MONEY_INPUTS))
    except FORM_ERRORS as exc:
        return _form_error("catalog/_rule_form.html", exc, lists=RULE_LISTS, rule=current, **_named(_services()))
    return _render("catalog/_rule_row.html", rule=rule, **_named(_services()))


@bp.post("/price-rules/<uuid:rule_id>/delete")
@requires(Role.MANAGER)
def delete_price_rule(rule_id):
    """Delete (or, when something refers to it, deactivate) a rule."""
    kept = catalog.delete_price_rule(rule_id=rule_id)
    if kept is None:
        return Response("", status=200)
    return _render("catalog/_rule_row.html", rule=kept, **_named(_services()))


# --- try it: a live quote -----------------------------------------------------------------------


def _count(name: str, errors: dict) -> int:
    text = request.form.get(name, "0").strip() or "0"
    if not text.isdigit() or int(text) > pricing.MAX_PETS:
        errors[name] = [f"A whole number from 0 to {pricing.MAX_PETS}."]
        return 0
    return int(text)


def _parse_quote_form() -> dict:
    """The try-it form as quote arguments: dogs and cats counts become a list of pets."""
    errors: dict = {}
    args: dict = {}
    try:
        args["service_id"] = ma.fields.UUID().deserialize(request.form.get("service_id") or None)
    except ma.ValidationError:
        errors["service_id"] = ["Choose a service."]
    for name in ("start_date", "end_date"):
        text = (request.form.get(name) or "").strip()
        if not text:
            if name == "start_date":
                errors[name] = ["Choose a date."]
            args[name] = None
            continue
        try:
            args[name] = ma.fields.Date().deserialize(text)
        except ma.ValidationError:
            errors[name] = ["Not a valid date."]
    dogs, cats = _count("dogs", errors), _count("cats", errors)
    args["pets"] = ([{"name": f"Dog {n}", "species": "DOG"} for n in range(1, dogs + 1)]
                    + [{"name": f"Cat {n}", "species": "CAT"} for n in range(1, cats + 1)])
    if not errors and not args["pets"]:
        errors["dogs"] = ["Price at least one pet."]
    try:
        args["addons"] = [{"addon_id": ma.fields.UUID().deserialize(v), "quantity": 1}
                          for v in request.form.getlist("addon_ids") if v]
    except ma.ValidationError:
        errors["addon_ids"] = ["Unknown add-on."]
    if errors:
        raise RuleViolation("Please correct the highlighted fields.", errors=errors)
    return args


@bp.post("/quote")
@requires(Role.STAFF)
def quote():
    """Price a sample stay with the server's engine: the breakdown, or errors next to each field (422)."""
    try:
        result = pricing.quote_stay(**_parse_quote_form())
    except RuleViolation as exc:
        errors = {("dogs" if k == "pets" else "addon_ids" if k == "addons" else k): v
                  for k, v in (exc.errors or {}).items()}
        return render_template("catalog/_quote_response.html", quote=None, quote_errors=errors,
                               message=exc.message), 422
    return render_template("catalog/_quote_response.html", quote=result, quote_errors={}, message=None)
