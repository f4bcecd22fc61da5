"""Sign-in and sign-out views, and a person's own two-step sign-in and password."""
import secrets
import time
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.auth import bp
from app.auth.forms import CodeForm, LoginForm, PasswordForm
from app.extensions import db
from app.services import passwords, two_step
from app.services.auth import (KNOWN_DEVICE_COOKIE, TooManyAttempts, authenticate, check_code, known_device_cookie,
                               known_device_ids)
from app.web import load_user


def _safe_next(target: str | None) -> str:
    """Only local paths, so the sign-in page cannot be used to send people elsewhere."""
    if target and urlsplit(target).netloc == "" and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("main.home")


PENDING = "two_step_pending"     # the session key of a sign-in that passed the password and waits for the code
PENDING_SECONDS = 300


def _throttle_config() -> tuple[int, int]:
    return current_app.config["LOGIN_MAX_ATTEMPTS"], current_app.config["LOGIN_WINDOW_SECONDS"]


def _devices() -> list[int]:
    return known_device_ids(current_app.config["SECRET_KEY"], request.cookies.get(KNOWN_DEVICE_COOKIE))


def _signed_in(user, remember: bool, target: str):
    """Finish a sign-in: a fresh CSRF token, the session, the known-device cookie; enrolment first when due."""
    session.pop("csrf_token", None)   # a token seen before sign-in is not the signed-in session's
    session.pop(PENDING, None)
    login_user(user, remember=remember)
    if two_step.must_enrol(db.session, user):
        target = url_for("auth.two_step_page")
    response = redirect(target)
    response.set_cookie(KNOWN_DEVICE_COOKIE, known_device_cookie(current_app.config["SECRET_KEY"], _devices(), user.id),
                        max_age=365 * 86400, httponly=True, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with email and password (then the code, for a person with two-step sign-in); repeated failures
    pause sign-in for a while."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = authenticate(db.session, form.email.data, form.password.data, request.remote_addr or "?",
                                *_throttle_config(), _devices())
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
            elif two_step.enrolled(user):
                # The password is right; the session holds who (with the per-user token, so signing out
                # everywhere ends this too), not yet a sign-in.
                session[PENDING] = {"user": user.get_id(), "remember": bool(form.remember.data),
                                    "next": _safe_next(request.args.get("next")), "at": int(time.time())}
                return redirect(url_for("auth.login_code"))
            else:
                return _signed_in(user, form.remember.data, _safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


def _pending_user():
    """The person whose password was right a moment ago and who now owes the code; None when expired or gone."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or int(time.time()) - int(pending.get("at", 0)) > PENDING_SECONDS:
        session.pop(PENDING, None)
        return None, None
    user = load_user(str(pending.get("user", "")))
    return (user, pending) if user is not None and two_step.enrolled(user) else (None, None)


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    """The second step of sign-in: the code of the authenticator app, or a recovery code (each works once)."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    user, pending = _pending_user()
    if user is None:
        flash(_("Sign in again: the code was not entered in time."), "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        try:
            ok = check_code(db.session, user, form.code.data, request.remote_addr or "?", *_throttle_config(),
                            _devices())
        except TooManyAttempts as exc:
            db.session.commit()
            form.code.errors.append(_("Too many failed attempts. Try again in %(minutes)d minutes.",
                                      minutes=exc.minutes))
            status = 429
        else:
            db.session.commit()   # the failed attempt, or the used step / recovery code
            if ok:
                return _signed_in(user, pending.get("remember", False), pending.get("next") or url_for("main.home"))
            form.code.errors.append(_("This code is not right. Enter the 6 digits your app shows now."))
            status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/login_code.html", form=form), status


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


# ---------------------------------------------------------------- a person's own two-step sign-in

def _two_step_page(errors: dict | None = None, codes: list[str] | None = None, status: int = 200):
    return render_template("auth/two_step.html", enrolled=two_step.enrolled(current_user),
                           required=two_step.required(db.session, current_user),
                           must_enrol=two_step.must_enrol(db.session, current_user),
                           secret=current_user.totp_secret if not two_step.enrolled(current_user) else None,
                           uri=two_step.provisioning_uri(current_user)
                           if current_user.totp_secret and not two_step.enrolled(current_user) else None,
                           left=two_step.recovery_codes_left(db.session, current_user),
                           codes=codes, errors=errors or {}), status


@bp.route("/account/two-step")
@login_required
def two_step_page():
    """Two-step sign-in for the person: its state, or the steps to turn it on (where it is required, the only
    page a person reaches until it is on)."""
    return _two_step_page()


@bp.route("/account/two-step/start", methods=["POST"])
@login_required
def two_step_start():
    """A new secret for the authenticator app, shown as text and as an otpauth:// address."""
    try:
        two_step.start(db.session, current_user)
        db.session.commit()
    except two_step.TwoStepError as exc:
        db.session.rollback()
        return _two_step_page({"code": _(exc.message)}, status=422)
    return redirect(url_for("auth.two_step_page"))


@bp.route("/account/two-step/confirm", methods=["POST"])
@login_required
def two_step_confirm():
    """A first code from the app turns two-step sign-in on; the recovery codes are shown this once."""
    try:
        codes = two_step.confirm(db.session, current_user, request.form.get("code", ""))
        db.session.commit()
    except two_step.TwoStepError as exc:
        db.session.rollback()
        return _two_step_page({"code": _(exc.message)}, status=422)
    return _two_step_page(codes=codes)


def _current_code_checked():
    """Changing two-step sign-in asks for a current code (or a recovery code), under the sign-in throttle."""
    try:
        ok = check_code(db.session, current_user, request.form.get("code", ""), request.remote_addr or "?",
                        *_throttle_config(), _devices())
    except TooManyAttempts as exc:
        db.session.commit()
        return _two_step_page({"code": _("Too many failed attempts. Try again in %(minutes)d minutes.",
                                         minutes=exc.minutes)}, status=429)
    if not ok:
        db.session.commit()
        return _two_step_page({"code": _("This code is not right. Enter the 6 digits your app shows now.")},
                              status=422)
    return None


@bp.route("/account/two-step/recovery-codes", methods=["POST"])
@login_required
def two_step_recovery_codes():
    """Ten new recovery codes (the old ones stop working), shown this once."""
    refused = _current_code_checked()
    if refused:
        return refused
    codes = two_step.new_recovery_codes(db.session, current_user)
    db.session.commit()
    return _two_step_page(codes=codes)


@bp.route("/account/two-step/off", methods=["POST"])
@login_required
def two_step_off():
    """Turn two-step sign-in off, where it is not required."""
    if two_step.required(db.session, current_user):
        return _two_step_page({"code": _("Two-step sign-in is required for you and cannot be turned off.")},
                              status=422)
    refused = _current_code_checked()
    if refused:
        return refused
    two_step.turn_off(db.session, current_user)
    db.session.commit()
    flash(_("Two-step sign-in is off."), "info")
    return redirect(url_for("auth.two_step_page"))


# ---------------------------------------------------------------- a person's own password

@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password under the password rule; every other session of the person ends."""
    form = PasswordForm()
    status = 200
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append(_("This is not your current password."))
        elif form.new.data != form.again.data:
            form.again.errors.append(_("The two new passwords differ."))
        else:
            weak = passwords.problem(form.new.data, current_user.email)
            if weak:
                form.new.errors.append(weak)
        if form.errors:
            status = 422
        else:
            user = current_user._get_current_object()
            user.set_password(form.new.data)
            user.session_token = secrets.token_hex(16)   # every copy of the old session ends here ...
            db.session.commit()
            login_user(user)                             # ... and this one carries on with the new token
            flash(_("Your password is changed."), "success")
            return redirect(url_for("main.home"))
    elif form.is_submitted():
        status = 422
    return render_template("auth/password.html", form=form), status
