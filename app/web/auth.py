"""Sign in, sign out, and password reset pages."""
from flask import flash, g, redirect, render_template, request, session, url_for
from flask_login import login_user, logout_user

from app.core.errors import RuleViolation, Unauthorized
from app.core.extensions import limiter
from app.services import accounts, sessions
from app.services.accounts import normalize_email
from app.tenancy import current_tenant_or_none
from app.web.common import page_blueprint, safe_next

bp = page_blueprint("auth", __name__, signed_in=False)
RESET_SENT = "If that address has an account, we have emailed a link to reset the password."


def _account_key() -> str:
    tenant = current_tenant_or_none()  # none on the bare domain, where the view sends people to the landing page
    return f"login:{tenant.id if tenant else '-'}:{normalize_email(request.form.get('email', ''))}"


def _ip_key() -> str:
    return f"login-ip:{request.remote_addr}"


def _failed(response) -> bool:
    return response.status_code != 302


def _locked_out(_limit) -> None:
    accounts.record_lockout(email=request.form.get("email", ""))


@bp.route("/login", methods=["GET", "POST"])
# Failed sign-ins only: 5 per account and 20 per IP every 15 minutes, in the shared limiter store.
# override_defaults=False keeps the blueprint's web limits on this page as well.
@limiter.limit("5 per 15 minutes", key_func=_account_key, methods=["POST"], deduct_when=_failed, on_breach=_locked_out,
               error_message="Too many sign-in attempts. Wait 15 minutes and try again.", override_defaults=False)
@limiter.limit("20 per 15 minutes", key_func=_ip_key, methods=["POST"], deduct_when=_failed,
               error_message="Too many sign-in attempts. Wait 15 minutes and try again.", override_defaults=False)
def login():
    """Sign in with email and password (on the bare domain: the landing page, which says where to sign in)."""
    if g.get("tenant") is None:
        return redirect(url_for("home.index"))
    next_url = safe_next(request.values.get("next"), url_for("home.index"))
    if request.method == "GET":
        return render_template("auth/login.html", next=next_url, email="")
    try:
        user = accounts.authenticate(email=request.form.get("email", ""), password=request.form.get("password", ""))
    except Unauthorized as exc:
        return render_template("auth/login.html", next=next_url, email=request.form.get("email", ""),
                               error=exc.message), 401
    # A fresh session at sign-in: nothing planted before it survives (session fixation).
    session.clear()
    login_user(user)
    session["tenant_id"] = str(g.tenant.id)
    session["sid"] = sessions.start_session(user_id=user.id)
    return redirect(next_url)


@bp.post("/logout")
def logout():
    """Sign out: the session ends server-side, so even a copy of the cookie is worthless."""
    sessions.end_session(session_id=session.get("sid"))
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit("10 per 15 minutes", key_func=_ip_key, methods=["POST"], override_defaults=False)
def forgot_password():
    """Ask for a reset link; the answer is the same whether or not the account exists."""
    if request.method == "POST":
        accounts.request_password_reset(email=request.form.get("email", ""))
        flash(RESET_SENT, "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html")


@bp.route("/reset-password", methods=["GET", "POST"])
def reset_password():
    """Set a new password with the emailed token (in the query string, which access logs leave out)."""
    token = request.values.get("token", "")
    if request.method == "POST":
        try:
            accounts.reset_password(token=token, password=request.form.get("password", ""))
        except RuleViolation as exc:
            return render_template("auth/reset.html", token=token, errors=exc.errors, message=exc.message), 422
        flash("Your password is set. Please sign in.", "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", token=token, errors={})
