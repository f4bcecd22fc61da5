"""Client base forms: they parse and check lengths; the rules themselves live in the services of each concept (companies, contacts, contact_points, deals)."""
from __future__ import annotations

from datetime import datetime, timezone

from flask_babel import to_utc
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.forms import AmountField, BoundedDateField, BoundedDateTimeLocalField, IdField
from app.forms import options  # noqa: F401  (routes import it from here too)
from app.i18n import lazy_gettext as _l
from app.i18n import lazy_pgettext
from app.models.activities import ACTIVITY_KINDS
from app.models.companies import LEGAL_FORMS
from app.models.contact_points import ADDRESS_KINDS
from app.models.deals import DEAL_STAGES
from app.services import numbers

REQUIRED = _l("This field is required.")
TOO_LONG = _l("Too long: at most %(max)d characters (you entered %(length)d).")
BAD_DATE = _l("Enter a date like 2026-01-31.")


def _len(n: int) -> Length:
    return Length(max=n, message=TOO_LONG)


def _int_or_none(value):
    if value in (None, "", "None"):
        return None
    value = numbers.id_or_none(value)
    if value is None:
        raise ValueError(_l("Choose from the list."))
    return value


STATUS_LABELS = {"prospect": _l("prospect"), "client": _l("client"), "former": _l("former")}
KIND_LABELS = {"call": _l("Call"), "meeting": _l("Meeting"), "email": lazy_pgettext("activity", "Email"),
               "note": lazy_pgettext("activity", "Note")}
STAGE_LABELS = {"new": lazy_pgettext("deal stage", "new"), "proposal": _l("proposal"), "negotiation": _l("negotiation"),
                "won": _l("won"), "lost": _l("lost")}
ADDRESS_LABELS = {"legal": _l("legal"), "postal": _l("postal"), "delivery": _l("delivery")}


class CompanyForm(FlaskForm):
    """A company's own fields; tags as one comma-separated line."""

    legal_name = StringField(_l("Legal name"), validators=[DataRequired(REQUIRED), _len(300)])
    legal_form = SelectField(_l("Legal form"), choices=options([("", "—")] + [(f, f) for f in LEGAL_FORMS]))
    inn = StringField(_l("Tax id (INN)"), validators=[Optional(), _len(40)])
    country = StringField(_l("Country code"), default="RU", validators=[Optional(), _len(2)])
    client_type_id = SelectField(_l("Client type"), coerce=_int_or_none, choices=[])
    industry = StringField(_l("Industry"), validators=[Optional(), _len(120)])
    region = StringField(_l("Region"), validators=[Optional(), _len(120)])
    city = StringField(_l("City"), validators=[Optional(), _len(120)])
    status = SelectField(_l("Status"), choices=options(STATUS_LABELS.items()), default="prospect")
    account_manager_id = SelectField(_l("Account manager"), coerce=_int_or_none, choices=[])
    source = StringField(_l("Source"), validators=[Optional(), _len(120)])
    external_id = StringField(_l("External id"), validators=[Optional(), _len(120)])
    website = StringField(_l("Website"), validators=[Optional(), _len(300)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), _len(20000)])
    tags = StringField(_l("Tags"), validators=[Optional(), _len(600)])
    version = HiddenField()
    confirmed_different = BooleanField(_l("This is a different client"))


class ContactForm(FlaskForm):
    """A person with several phones and emails (rows added and removed on the form)."""

    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), _len(200)])
    position = StringField(_l("Position"), validators=[Optional(), _len(200)])
    company_id = IdField(_l("Company"), validators=[Optional()])  # chosen in the company picker
    phones = FieldList(StringField(_l("Phone"), validators=[Optional(), _len(40)]), min_entries=1)
    emails = FieldList(StringField(_l("Email"), validators=[Optional(), _len(254)]), min_entries=1)
    do_not_contact = BooleanField(_l("Do not contact"))
    do_not_contact_at = BoundedDateField(_l("Do not contact since"), validators=[Optional()], format="%Y-%m-%d")
    do_not_contact_reason = StringField(_l("Reason"), validators=[Optional(), _len(300)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), _len(20000)])
    version = HiddenField()


class AddressForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=options((k, ADDRESS_LABELS[k]) for k in ADDRESS_KINDS), default="postal")
    postcode = StringField(_l("Postcode"), validators=[Optional(), _len(20)])
    region = StringField(_l("Region"), validators=[Optional(), _len(120)])
    city = StringField(_l("City"), validators=[Optional(), _len(120)])
    street = StringField(_l("Street line"), validators=[DataRequired(REQUIRED), _len(300)])
    country = StringField(_l("Country code"), default="RU", validators=[Optional(), _len(2)])


class DealLineForm(Form):
    product_id = SelectField(_l("Product"), coerce=_int_or_none, choices=[], validate_choice=False)
    quantity = AmountField(_l("Quantity"), default=1, precision=numbers.QUANTITY, validators=[Optional()])
    amount = AmountField(_l("Amount"), validators=[Optional()])


class DealForm(FlaskForm):
    """A deal: stage, owner, expected close, and product lines whose amounts add up to the deal's."""

    title = StringField(_l("Title"), validators=[DataRequired(REQUIRED), _len(300)])
    contact_id = SelectField(_l("Contact"), coerce=_int_or_none, choices=[])
    owner_id = SelectField(_l("Owner"), coerce=_int_or_none, choices=[])
    stage = SelectField(_l("Stage"), choices=options((s, STAGE_LABELS[s]) for s in DEAL_STAGES), default="new")
    lost_reason = StringField(_l("Why it was lost"), validators=[Optional(), _len(300)])
    expected_close = BoundedDateField(_l("Expected close"), validators=[Optional()], format="%Y-%m-%d")
    lines = FieldList(FormField(DealLineForm), min_entries=1)
    version = HiddenField()


class ProductForm(FlaskForm):
    name = StringField(lazy_pgettext("named thing", "Name"), validators=[DataRequired(REQUIRED), _len(200)])
    product_line = StringField(_l("Product line"), validators=[DataRequired(REQUIRED), _len(120)])
    price = AmountField(_l("Price"), validators=[InputRequired(REQUIRED)])
    active = BooleanField(_l("In the catalogue"), default=True)


class ActivityForm(FlaskForm):
    """Log a call, meeting, email or note from the company page."""

    kind = SelectField(_l("What"), choices=options((k, KIND_LABELS[k]) for k in ACTIVITY_KINDS), default="call")
    occurred_at = BoundedDateTimeLocalField(_l("When"), format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
                                     validators=[DataRequired(BAD_DATE)])
    contact_id = SelectField(_l("Contact"), coerce=_int_or_none, choices=[])
    deal_id = SelectField(_l("Deal"), coerce=_int_or_none, choices=[])
    subject = StringField(_l("Subject"), validators=[Optional(), _len(300)])
    outcome = TextAreaField(_l("Outcome"), validators=[Optional(), _len(20000)])

    def occurred_utc(self) -> datetime:
        """The person types local time; it is stored in UTC."""
        return to_utc(self.occurred_at.data).replace(tzinfo=timezone.utc)


def attach_errors(form, errors: dict[str, str]) -> None:
    """Put a service's per-field messages next to the fields ('phones-1' is the second phone row)."""
    for key, message in errors.items():
        name, _sep, rest = key.partition("-")
        field = form._fields.get(name)
        if field is None:
            form.form_errors.append(message)
            continue
        if rest and isinstance(field, FieldList):
            index, _sep, sub = rest.partition("-")
            entry = field.entries[int(index)] if int(index) < len(field.entries) else None
            if entry is not None and sub and hasattr(entry, "form"):
                entry = entry.form._fields.get(sub) or entry
            target = entry if entry is not None else field
        else:
            target = field
        if isinstance(target.errors, dict):
            form.form_errors.append(message)
        else:
            target.errors = list(target.errors) + [message]
