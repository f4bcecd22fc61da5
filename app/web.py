"""Request-wide behaviour: sign-in required everywhere, htmx-aware rendering, error pages."""
from __future__ import annotations

from functools import lru_cache

from flask import Flask, Response, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.routing import IntegerConverter

from app.extensions import db, htmx, login_manager
from app.models.org import User

# Endpoints anyone may open without signing in; other areas mark theirs with @public.
PUBLIC_ENDPOINTS: set[str] = {"auth.login", "auth.login_code", "static", "main.set_language"}
# What a person who must turn on two-step sign-in (and has not yet) may open: the enrolment, and the way out.
ENROLMENT_ENDPOINTS: set[str] = {"auth.two_step_page", "auth.two_step_start", "auth.two_step_confirm", "auth.logout",
                                 "main.set_language", "static"}


# Everything from the portal itself, nothing framed elsewhere, no plugins, forms posted only here. Scripts and
# styles may be inline because templates still carry small handlers (hx-on, onchange) and style attributes;
# 'unsafe-eval' is htmx's hx-on. External scripts, objects and foreign frames are refused.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
                           "style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; "
                           "base-uri 'self'; form-action 'self'; frame-ancestors 'self'")


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: ASCII digits, 0..2^31-1 unless the rule narrows it, so an id above the
    columns' range is a 404 rather than an overflow in the database."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):
        from app.services.numbers import MAX_ID

        super().__init__(map, fixed_digits=fixed_digits, min=min if min is not None else 0,
                         max=max if max is not None and max <= MAX_ID else MAX_ID, signed=False)


def install_converters(app: Flask) -> None:
    """Before any blueprint adds its rules (a rule takes its converter when it is added)."""
    app.url_map.converters["int"] = IdConverter


def links(endpoint: str, arg: str):
    """Links to one endpoint for the many rows of a list: url_for once, with a sentinel id, then each row's
    link by joining strings (url_for costs about 10 us a call, and a list or the search box draws one a row)."""
    sentinel = "918273645"
    head, found, tail = url_for(endpoint, **{arg: int(sentinel)}).rpartition(sentinel)
    if not found:   # a rule that does not show the id as it is: the plain way, row by row
        return lambda value: url_for(endpoint, **{arg: value})
    return lambda value: f"{head}{int(value)}{tail}"


def upload_limit(config_key: str):
    """Let this upload view take a body up to app.config[config_key] instead of MAX_CONTENT_LENGTH."""

    def mark(view):
        view.upload_limit = config_key
        return view

    return mark


def public(view):
    """Mark a view as open to visitors who are not signed in (sign-in, the response form, survey links)."""
    view.is_public = True
    return view


def is_public_endpoint(app: Flask, endpoint: str | None) -> bool:
    if endpoint is None or endpoint in PUBLIC_ENDPOINTS:
        return True
    return getattr(app.view_functions.get(endpoint), "is_public", False)


def render(page: str, partial: str | None = None, /, **context) -> Response | str:
    """Render the partial for an htmx request, the whole page otherwise (one page, one partial)."""
    template = partial if partial and htmx and not htmx.boosted else page
    return render_template(template, **context)


@lru_cache(maxsize=1)
def _signed_in_statement():
    """What every page asks of the signed-in person, in one statement built once (its cache key too): the row
    (with the unit), the portal's two-step rule and the unread count."""
    from sqlalchemy import bindparam, select

    from app.services import notifications, settings

    return (select(User, settings.value_column(settings.TWO_STEP_FOR_EVERYONE), notifications.unread_column(User.id))
            .where(User.id == bindparam("user_id")))


@login_manager.user_loader
def load_user(value: str) -> User | None:
    """The session holds id and a per-user token, so bumping the token signs a person out."""
    from app.services import notifications, settings
    from app.services.numbers import id_or_none

    user_id, _sep, token = value.partition(":")
    if id_or_none(user_id) is None:
        return None
    row = db.session.execute(_signed_in_statement(), {"user_id": int(user_id)}).first()
    if row is None or row[0].session_token != token or not row[0].is_active:
        return None
    user, two_step_for_everyone, unread = row   # each service keeps its value for this request's session
    settings.remember(db.session, settings.TWO_STEP_FOR_EVERYONE, two_step_for_everyone)
    notifications.remember_unread(db.session, user.id, unread)
    return user


def _body_limit() -> None:
    """Runs first (before CSRF reads the form): an upload view's own, larger limit on the request body."""
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    key = getattr(view, "upload_limit", None)
    if key:
        request.max_content_length = current_app.config[key]


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    app.before_request_funcs.setdefault(None, []).insert(0, _body_limit)
    app.jinja_env.globals["links"] = links

    @app.before_request
    def require_login():
        if is_public_endpoint(app, request.endpoint):
            return None
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if request.endpoint not in ENROLMENT_ENDPOINTS:
            from app.services import two_step

            if two_step.must_enrol(db.session, current_user):
                target = url_for("auth.two_step_page")
                if htmx:
                    return Response(status=204, headers={"HX-Redirect": target})
                return redirect(target)
        return None

    @app.after_request
    def vary_on_htmx(response: Response) -> Response:
        response.vary.add("HX-Request")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if request.is_secure:   # behind the TLS proxy (ProxyFix passes the scheme on)
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(err):
        return _error(400, _("Your form has expired or was sent from elsewhere. Reload the page and try again."))

    @app.errorhandler(403)
    def forbidden(err):
        return _error(403, _("You do not have permission to do this."))

    @app.errorhandler(404)
    def not_found(err):
        from werkzeug.exceptions import NotFound

        own = getattr(err, "description", None)   # abort(404, description=...) says why
        return _error(404, own if own and own != NotFound.description else _("This page does not exist or was removed."))

    @app.errorhandler(413)
    def too_large(err):
        from app.i18n import file_size

        limit = request.max_content_length or app.config.get("MAX_CONTENT_LENGTH")
        return _error(413, _("The request is too large: at most %(limit)s may be sent at once.",
                             limit=file_size(limit)) if limit else _("The request is too large."))

    @app.errorhandler(409)
    def conflict(err):
        return _error(409, getattr(err, "description", None) or _("Someone else changed this meanwhile."))

    def _error(code: int, message: str):
        if htmx:
            return render_template("errors/_message.html", code=code, message=message), code
        return render_template("errors/error.html", code=code, message=message), code

    @app.context_processor
    def inject_nav():
        from app import navigation

        def unread_notifications() -> int:
            from app.services.notifications import unread_count

            return unread_count(db.session, current_user.id) if current_user.is_authenticated else 0

        from app.services import permissions

        # Templates ask the same rules the views enforce (`can.can_manage_promotion(current_user)`), never restate them.
        return {"nav_items": navigation.nav_items, "personal_items": navigation.personal_items,
                "admin_items": navigation.admin_items, "subnav_items": navigation.subnav_items,
                "unread_notifications": unread_notifications, "can": permissions}
