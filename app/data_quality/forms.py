"""Forms of the data-quality area."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FloatField, IntegerField
from wtforms.validators import InputRequired, NumberRange


class SettingsForm(FlaskForm):
    """Duplicate thresholds and verification age, tuned by an admin."""

    review_threshold = FloatField(_l("Review threshold (0-100)"), validators=[InputRequired(), NumberRange(1, 100)])
    strong_threshold = FloatField(_l("Strong threshold (0-100)"), validators=[InputRequired(), NumberRange(1, 100)])
    verify_age_months = IntegerField(_l("Verify contact data older than (months)"),
                                     validators=[InputRequired(), NumberRange(1, 120)])
