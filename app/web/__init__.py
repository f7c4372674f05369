"""The HTMX web side: server-rendered pages and fragments."""
from flask import Flask, request

from app.models import Role
from app.services.contact import format_phone
from app.web import (
    account,
    admin,
    auth,
    billing,
    boards,
    catalog,
    customers,
    guides,
    home,
    kennels,
    notices,
    pets,
    reports,
    reservations,
    settings,
    webhooks,
)
from app.web.filters import (
    address_lines,
    age_of,
    customer_form_values,
    label,
    merged,
    plural,
    weight,
    weight_field,
    weight_unit,
    weight_value,
)


def register_web(app: Flask) -> None:
    """Register page blueprints and the layout switch between full page and fragment."""
    for module in (home, auth, admin, account, webhooks):
        app.register_blueprint(module.bp)
    for module in (customers, pets, settings):
        app.register_blueprint(module.bp)
    for module in (catalog, kennels, boards, reservations, notices, reports, billing):
        app.register_blueprint(module.bp)
    app.register_blueprint(notices.public)
    app.register_blueprint(guides.bp)  # beside the API docs: no tenant, no sign-in

    app.add_template_filter(label)
    app.add_template_filter(plural)
    app.add_template_filter(weight)
    for helper in (weight_unit, weight_field, weight_value):  # globals: imported form macros see them too
        app.add_template_global(helper)

    @app.context_processor
    def layout():
        # htmx requests get the page body only; normal requests get the full layout.
        return {"layout": "_partial.html" if request.headers.get("HX-Request") else "base.html", "Role": Role,
                "format_phone": format_phone, "age_of": age_of, "merged": merged,
                "customer_form_values": customer_form_values, "address_lines": address_lines}
