"""What all of Promotion's rules share: its settings and its error."""
from __future__ import annotations

import os

from flask import current_app, has_app_context

from app.services.errors import RuleError

DEFAULT_CHANNELS = [
    ("email", "Email-рассылка", "Email"), ("postal", "Почтовая рассылка", "Postal mailing"),
    ("calls", "Звонки", "Calls"), ("exhibition", "Выставка", "Exhibition"), ("seminar", "Семинар", "Seminar"),
    ("advertising", "Реклама", "Advertising"), ("website", "Сайт", "Website"), ("referral", "Рекомендация", "Referral"),
]
SETTINGS = {
    "PROMOTION_REPEAT_WINDOW_DAYS": 30,     # a second response within this many days is a repeat
    "PROMOTION_FORM_RATE_LIMIT": 5,         # public form submissions per IP ...
    "PROMOTION_FORM_RATE_WINDOW_SECONDS": 600,  # ... within this many seconds
    "LIST_EXPIRY_DAYS": 14,                 # generated address lists can be downloaded this long
    "LIST_UNVERIFIED_MAX_AGE_DAYS": 365,    # default age for the optional "unverified" exclusion
}


class PromotionError(RuleError):
    """Bad input for a promotion rule; `field` names the form field the message belongs next to."""


def setting(name: str) -> int:
    """A promotion setting: app config, then the environment, then the default."""
    if has_app_context() and name in current_app.config:
        return int(current_app.config[name])
    return int(os.environ.get(name, SETTINGS[name]))


# ---------------------------------------------------------------- channels

