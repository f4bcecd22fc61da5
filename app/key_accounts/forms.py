"""Forms of account management: key-account assignment, client requests, org board units."""
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    MultipleFileField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.forms import BoundedDateField, BoundedDateTimeLocalField, IdField, id_choice
from app.i18n import lazy_gettext as _l

NONE = 0  # the "nobody" / "none" choice of an optional select


class CheckboxesField(SelectMultipleField):
    """Several choices shown as checkboxes (departments a request goes to)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class KeyAccountForm(FlaskForm):
    manager_id = SelectField(_l("Account manager"), coerce=id_choice, validators=[InputRequired()])
    deputy_id = SelectField(_l("Deputy"), coerce=id_choice, default=NONE)
    note = TextAreaField(_l("Hand-over note"), validators=[Optional(), Length(max=4000)])


class MarkKeyAccountForm(KeyAccountForm):
    company = StringField(_l("Company (name or INN)"), validators=[DataRequired(), Length(max=300)])
    company_id = IdField(_l("Company (name or INN)"), validators=[Optional()])  # set by the company picker


class RequestForm(FlaskForm):
    company_id = SelectField(_l("Client"), coerce=id_choice, validators=[InputRequired()])
    subject = StringField(_l("Subject"), validators=[DataRequired(), Length(max=300)])
    details = TextAreaField(_l("Details"), validators=[Optional(), Length(max=20000)])
    contact_id = SelectField(_l("Who asked"), coerce=id_choice, default=NONE)
    channel = SelectField(_l("Channel"), validators=[DataRequired()])
    asked_at = BoundedDateTimeLocalField(_l("When"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    due_on = BoundedDateField(_l("Date agreed with the client"), validators=[Optional()])
    unit_ids = CheckboxesField(_l("Departments"), coerce=id_choice)
    files = MultipleFileField(_l("Attachments"))


class UnitForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])
    name_ru = StringField(_l("Name (Russian)"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=200)])
    parent_id = SelectField(_l("Part of"), coerce=id_choice, default=NONE)
    in_distribution = BooleanField(_l("In the Distribution division"))
