"""Landing page (no tenant) and the resort's start page (signed in)."""
from flask import current_app, g, redirect, render_template, request, url_for
from flask_login import current_user

from app.models import TenantStatus
from app.services import tenants
from app.web.common import page_blueprint

bp = page_blueprint("home", __name__, signed_in=False)


def resort_url(subdomain: str, path: str = "/") -> str:
    """A resort's own address: `<subdomain>.<base domain>`, on PUBLIC_PORT or else the port this page came on."""
    config = current_app.config
    port = config.get("PUBLIC_PORT") or request.host.partition(":")[2]
    return f"{request.scheme}://{subdomain}.{config['BASE_DOMAIN']}{':' + port if port else ''}{path}"


@bp.get("/")
def index():
    """Public landing page on the bare domain; the staff start page on a resort's host."""
    if g.get("tenant") is None:
        # Listing resorts tells strangers who the customers are: development and tests only.
        resorts = tenants.list_tenants(status=TenantStatus.ACTIVE) \
            if current_app.config.get("LANDING_LISTS_RESORTS") else []
        return render_template("home/index.html", resorts=resorts, resort_url=resort_url,
                               example=resort_url("your-resort"))
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    from app.web.boards import today_page  # the start page is the today board

    return today_page()
