"""Forms for managing people and reference lists."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from app.forms import options
from app.i18n import lazy_gettext as _l

ROLE_CHOICES = options([("staff", _l("Staff")), ("head", _l("Head of unit")), ("admin", _l("Administrator"))])


class UserForm(FlaskForm):
    # Staff addresses on a closed network (name@corp.local) are valid here, so only the shape is checked.
    email = StringField(_l("Email"), validators=[DataRequired(), Length(max=254),
                                                 Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Invalid email address."))])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    unit = SelectField(_l("Unit"), choices=[])
    # Each language by its own name, marked as such (lang) for readers and screen readers.
    locale = SelectField(_l("Language"), choices=[SelectChoice("", _l("Browser default")),
                                                  SelectChoice("ru", "Русский", {"lang": "ru"}),
                                                  SelectChoice("en", "English", {"lang": "en"})])
    password = PasswordField(_l("Password"), validators=[Optional(), Length(max=200)])   # the rule: services/passwords.py
    active = BooleanField(_l("May sign in"), default=True)


class ClientTypeForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])
    name_ru = StringField(_l("Name (Russian)"), validators=[DataRequired(), Length(max=120)])
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=120)])
