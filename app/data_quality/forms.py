"""Forms of the data-quality area."""
from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange

from app.forms import AmountField
from app.i18n import lazy_gettext as _l
from app.services.numbers import Precision

THRESHOLD = Precision(5, 2)  # a score 0-100 with two decimals


class SettingsForm(FlaskForm):
    """Duplicate thresholds and verification age, tuned by an admin."""

    review_threshold = AmountField(_l("Review threshold (0-100)"), precision=THRESHOLD,
                                   validators=[InputRequired(), NumberRange(1, 100)])
    strong_threshold = AmountField(_l("Strong threshold (0-100)"), precision=THRESHOLD,
                                   validators=[InputRequired(), NumberRange(1, 100)])
    verify_age_months = IntegerField(_l("Verify contact data older than (months)"),
                                     validators=[InputRequired(), NumberRange(1, 120)])
