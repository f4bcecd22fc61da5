"""Home page and language choice."""
from datetime import date

from flask import abort, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user

from app.auth.routes import _safe_next
from app.extensions import db
from app.main import bp
from app.web import public
from app.models.notifications import Notification
from app.services import dashboard
from app.services import settings as settings_service
from app.services import notifications as notification_service


@bp.route("/")
def home():
    """The person's day: what waits for them, their unit's week against the last, their usual pages."""
    today = date.today()
    return render_template("main/home.html", summary=dashboard.summary(db.session, current_user),
                           todo=dashboard.todo(db.session, current_user, today),
                           week=dashboard.unit_week(db.session, current_user, today),
                           signs=dashboard.signs_brief(db.session, current_user, today),
                           pages=dashboard.usual_pages(current_user))


@bp.route("/privacy")
@public
def privacy_policy():
    """The company's privacy policy as an administrator published it; the public forms link here (152-FZ)."""
    return render_template("main/privacy_policy.html", policy=settings_service.privacy_policy(db.session))


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


@bp.route("/notifications")
def notifications():
    """The person's notifications, newest first."""
    items = notification_service.recent(db.session, current_user.id, limit=100)
    return render_template("main/notifications.html", items=items)


@bp.route("/notifications/bell")
def notification_bell():
    """The bell with the unread count; polled so it stays current."""
    return render_template("main/_bell.html")


@bp.route("/notifications/<int:notification_id>/open", methods=["POST"])
def open_notification(notification_id: int):
    """Mark read and go to the thing it is about."""
    item = db.session.get(Notification, notification_id)
    if item is None or item.user_id != current_user.id:
        abort(404)
    notification_service.mark_read(db.session, current_user.id, notification_id)
    db.session.commit()
    return redirect(item.url or url_for("main.notifications"))


@bp.route("/notifications/read-all", methods=["POST"])
def read_all_notifications():
    """Clear the bell in one go."""
    notification_service.mark_read(db.session, current_user.id)
    db.session.commit()
    return redirect(url_for("main.notifications"))
