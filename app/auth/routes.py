"""Sign-in and sign-out views."""
import secrets
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.auth import bp
from app.auth.forms import LoginForm
from app.extensions import db
from app.services.auth import (KNOWN_DEVICE_COOKIE, TooManyAttempts, authenticate, known_device_cookie,
                               known_device_ids)


def _safe_next(target: str | None) -> str:
    """Only local paths, so the sign-in page cannot be used to send people elsewhere."""
    if target and urlsplit(target).netloc == "" and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("main.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with email and password; repeated failures pause sign-in for a while."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        secret = current_app.config["SECRET_KEY"]
        devices = known_device_ids(secret, request.cookies.get(KNOWN_DEVICE_COOKIE))
        try:
            user = authenticate(db.session, form.email.data, form.password.data, request.remote_addr or "?",
                                current_app.config["LOGIN_MAX_ATTEMPTS"], current_app.config["LOGIN_WINDOW_SECONDS"],
                                devices)
        except TooManyAttempts as exc:
            db.session.commit()   # the pruning of old attempts
            form.form_errors.append(_("Too many failed attempts. Try again in %(minutes)d minutes.",
                                      minutes=exc.minutes))
            status = 429
        else:
            db.session.commit()  # a failed attempt counts towards the limit, so it is kept even though sign-in fails
            if user is None:
                form.form_errors.append(_("Wrong email or password."))
                status = 401
            else:
                session.pop("csrf_token", None)   # a token seen before sign-in is not the signed-in session's
                login_user(user, remember=form.remember.data)
                response = redirect(_safe_next(request.args.get("next")))
                response.set_cookie(KNOWN_DEVICE_COOKIE, known_device_cookie(secret, devices, user.id),
                                    max_age=365 * 86400, httponly=True, samesite="Lax",
                                    secure=current_app.config["SESSION_COOKIE_SECURE"])
                return response
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Sign out (a POST, so a link elsewhere cannot sign you out) everywhere: a new per-user token makes every
    copy of the session cookie and every remember cookie of this person worthless."""
    current_user.session_token = secrets.token_hex(16)
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))
