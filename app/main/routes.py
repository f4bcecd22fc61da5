"""Home page and language choice."""
from flask import current_app, redirect, render_template, request, session
from flask_login import current_user

from app.auth.routes import _safe_next
from app.extensions import db
from app.main import bp
from app.services import dashboard


@bp.route("/")
def home():
    """The division at a glance: the figures a head checks every morning."""
    return render_template("main/home.html", summary=dashboard.summary(db.session, current_user))


@bp.route("/language", methods=["POST"])
def set_language():
    """Switch the interface language; saved on the user so it follows them."""
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["locale"] = lang
        if current_user.is_authenticated:
            current_user.locale = lang
            db.session.commit()
    return redirect(_safe_next(request.form.get("next")))
