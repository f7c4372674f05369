"""Landing page (no tenant) and the resort's start page (signed in)."""
from flask import g, redirect, render_template, url_for
from flask_login import current_user

from app.web.common import page_blueprint

bp = page_blueprint("home", __name__, signed_in=False)


@bp.get("/")
def index():
    """Public landing page on the bare domain; the staff start page on a resort's host."""
    if g.get("tenant") is None:
        return render_template("home/index.html")
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return render_template("home/dashboard.html")
