"""Sign-in form."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from app.i18n import lazy_gettext as _l


class LoginForm(FlaskForm):
    email = StringField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me signed in"))


class CodeForm(FlaskForm):
    """The second step: the 6 digits of the authenticator app, or a one-time recovery code."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])


class PasswordForm(FlaskForm):
    """A person's own change of password: the current one, then the new one twice."""

    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])
    again = PasswordField(_l("New password again"), validators=[DataRequired(), Length(max=200)])
