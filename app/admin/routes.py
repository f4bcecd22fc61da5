"""Admin views; every one is admin-only."""
from flask import render_template
from flask_login import current_user
from sqlalchemy import select

from app.admin import bp
from app.extensions import db
from app.models.org import User
from app.services.permissions import is_admin, require


@bp.before_request
def admins_only():
    """Nothing under /admin is for anyone but admins."""
    require(is_admin(current_user))


@bp.route("/users")
def users():
    """Everyone who can sign in, by unit."""
    people = db.session.scalars(select(User).order_by(User.unit_id, User.name)).all()
    return render_template("admin/users.html", users=people)
