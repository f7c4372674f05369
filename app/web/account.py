"""The signed-in user's own account: change password, sign out everywhere."""
from flask import flash, g, redirect, render_template, request, session, url_for
from flask_login import logout_user

from app.core.errors import RuleViolation
from app.services import accounts, sessions
from app.web.common import page_blueprint

bp = page_blueprint("account", __name__, url_prefix="/account")


@bp.get("")
def index():
    """Who you are, and the buttons that end your sessions."""
    return render_template("account/index.html", errors={})


@bp.post("/password")
def change_password():
    """Set a new password; other sessions end, and this browser gets a fresh one."""
    try:
        user = accounts.change_password(user_id=g.principal.id, current_password=request.form.get("current_password", ""),
                                        new_password=request.form.get("new_password", ""))
    except RuleViolation as exc:
        return render_template("account/index.html", errors=exc.errors, message=exc.message), 422
    session["sid"] = sessions.start_session(user_id=user.id)
    flash("Your password is changed. Every other device was signed out.", "info")
    return redirect(url_for("account.index"), code=303)


@bp.post("/sign-out-everywhere")
def sign_out_everywhere():
    """End every session of this user, this one included."""
    accounts.sign_out_everywhere(user_id=g.principal.id)
    logout_user()
    session.clear()
    flash("You are signed out on every device.", "info")
    return redirect(url_for("auth.login"), code=303)
