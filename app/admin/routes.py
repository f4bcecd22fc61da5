"""Admin views; every one is admin-only."""
import secrets

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.admin import bp
from app.admin.forms import ClientTypeForm, UserForm
from app.extensions import db
from app.forms import options
from app.models.companies import ClientType
from app.models.org import Unit, User
from app.services import settings as settings_service
from app.services import two_step
from app.services.errors import RuleError
from app.services.org import UserError, create_user
from app.services.permissions import is_admin, require
from app.services.users import update_user


@bp.before_request
def admins_only():
    """Nothing under /admin is for anyone but admins."""
    require(is_admin(current_user))


def _user_form(obj=None) -> UserForm:
    form = UserForm(obj=obj)
    lang = str(current_user.locale or "ru")
    form.unit.choices = options((u.code, u.name(lang)) for u in db.session.scalars(select(Unit).order_by(Unit.id)))
    return form


@bp.route("/users", methods=["GET", "POST"])
def users():
    """Everyone who can sign in, by unit; an admin adds a person here."""
    form = _user_form()
    status = 200
    if form.validate_on_submit():
        if not form.password.data:
            form.password.errors.append(_("Set a first password (at least 10 characters)."))
            status = 422
        else:
            try:
                create_user(db.session, form.email.data, form.password.data, form.role.data, form.unit.data,
                            name=form.name.data, locale=form.locale.data or None)
            except UserError as exc:
                db.session.rollback()
                (form.password if exc.field == "password" else form.email).errors.append(str(exc))
                status = 422
            else:
                db.session.commit()
                flash(_("%(email)s can now sign in.", email=form.email.data), "success")
                return redirect(url_for("admin.users"))
    elif form.is_submitted():
        status = 422
    people = db.session.scalars(select(User).order_by(User.unit_id, User.name)).all()
    return render_template("admin/users.html", users=people, form=form), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int):
    """Change a person's role, unit, language, password or access."""
    user = db.session.get(User, user_id) or abort(404)
    form = _user_form(obj=user)
    if not form.is_submitted():
        form.unit.data, form.active.data = user.unit.code, user.is_active_user
    status = 200
    if form.validate_on_submit():
        try:
            update_user(db.session, user, acting=current_user, email=form.email.data, name=form.name.data,
                        role=form.role.data, unit_code=form.unit.data, locale=form.locale.data,
                        active=form.active.data, password=form.password.data or None)
        except UserError as exc:
            db.session.rollback()
            (form.password if exc.field == "password" else form.role).errors.append(str(exc))
            status = 422
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("admin.users"))
    elif form.is_submitted():
        status = 422
    return render_template("admin/user_edit.html", user=user, form=form), status


@bp.route("/client-types", methods=["GET", "POST"])
def client_types():
    """The list of client types used for segments, analysis and materials."""
    form = ClientTypeForm()
    status = 200
    if form.validate_on_submit():
        code = form.code.data.strip().lower()
        if db.session.scalar(select(ClientType.id).where(ClientType.code == code)):
            form.code.errors.append(_("This code is already used."))
            status = 422
        else:
            db.session.add(ClientType(code=code, name_ru=form.name_ru.data.strip(), name_en=form.name_en.data.strip()))
            db.session.commit()
            return redirect(url_for("admin.client_types"))
    elif form.is_submitted():
        status = 422
    types = db.session.scalars(select(ClientType).order_by(ClientType.id)).all()
    return render_template("admin/client_types.html", types=types, form=form), status


@bp.route("/client-types/<int:type_id>/toggle", methods=["POST"])
def toggle_client_type(type_id: int):
    """Retire a client type (kept on existing clients) or bring it back."""
    ctype = db.session.get(ClientType, type_id) or abort(404)
    ctype.active = not ctype.active
    db.session.commit()
    return redirect(url_for("admin.client_types"))


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    """Portal settings: the privacy policy the public forms link to (each change is a new version), and whether
    two-step sign-in is required of everyone."""
    errors, status = {}, 200
    if request.method == "POST" and request.form.get("section") == "two_step":
        settings_service.set_two_step_for_everyone(db.session, request.form.get("two_step_for_everyone") == "1",
                                                   current_user.id)
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("admin.settings"))
    if request.method == "POST":
        try:
            settings_service.set_privacy_policy(db.session, request.form.get("privacy_policy", ""), current_user.id)
        except RuleError as exc:
            db.session.rollback()
            errors[exc.field or "privacy_policy"] = _(exc.message)
            status = 422
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("admin.settings"))
    policy = settings_service.privacy_policy(db.session)
    return render_template("admin/settings.html", policy=policy, errors=errors,
                           form=request.form if errors else {},
                           two_step_for_everyone=settings_service.two_step_for_everyone(db.session),
                           two_step_roles=current_app.config["TWO_STEP_ROLES"]), status


@bp.route("/users/<int:user_id>/two-step/reset", methods=["POST"])
def reset_two_step(user_id: int):
    """Remove a person's two-step sign-in when they lost both their app and their recovery codes; they are signed
    out everywhere and, where it is required, enrol again at their next sign-in."""
    user = db.session.get(User, user_id) or abort(404)
    two_step.turn_off(db.session, user, by_admin=True)
    user.session_token = secrets.token_hex(16)
    db.session.commit()
    flash(_("Two-step sign-in of %(name)s was reset.", name=user.name), "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))
