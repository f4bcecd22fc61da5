"""The restore confirmation: a typed word, so a restore is never one stray click."""
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import ValidationError

from app.i18n import lazy_gettext as _l

CONFIRM_WORD = "RESTORE"


class RestoreForm(FlaskForm):
    """Restoring replaces the whole base; the admin types RESTORE to mean it."""

    confirm = StringField(_l("Type RESTORE to confirm"))

    def validate_confirm(self, field):
        if (field.data or "").strip() != CONFIRM_WORD:
            raise ValidationError(_l("Type RESTORE in capital letters to confirm."))
