"""What all of Promotion's rules share: its settings, its error, and the words for its stored codes."""
from __future__ import annotations

import os

from flask import current_app, has_app_context

from app.i18n import N_  # noqa: F401  (the promotion modules mark their messages with it)
from app.i18n import lazy_gettext as _l
from app.i18n import lazy_pgettext
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

# What a reader sees for each stored code, by kind; the contexts keep words of different genders apart.
LABELS = {
    "campaign": {"planned": lazy_pgettext("campaign status", "planned"),
                 "running": lazy_pgettext("campaign status", "running"),
                 "finished": lazy_pgettext("campaign status", "finished")},
    "response": {"new": lazy_pgettext("response status", "new"),
                 "qualified": lazy_pgettext("response status", "qualified"),
                 "converted": lazy_pgettext("response status", "converted"),
                 "disqualified": lazy_pgettext("response status", "disqualified")},
    "plan": {"draft": lazy_pgettext("plan status", "draft"), "approved": lazy_pgettext("plan status", "approved")},
    "source": {"staff": lazy_pgettext("response source", "staff"), "web": lazy_pgettext("response source", "web form"),
               "import": lazy_pgettext("response source", "import")},
    "format": {"postal": lazy_pgettext("list format", "postal"), "email": lazy_pgettext("list format", "email"),
               "phone": lazy_pgettext("list format", "phone")},
    "left_out": {"do_not_contact": _l("do not contact"), "no_valid_channel": _l("no usable address"),
                 "unverified": _l("not verified"), "duplicates": _l("duplicates")},
    "definition": {"client_type_ids": _l("Client type"), "regions": _l("Region"), "cities": _l("City"),
                   "industries": _l("Industry"), "statuses": _l("Status"), "manager_ids": _l("Account manager"),
                   "bought_product_ids": _l("Bought"), "never_bought_product_ids": _l("Never bought"),
                   "tag_ids": _l("Tags"), "active_after": _l("Last activity after"),
                   "active_before": _l("Last activity before"), "position": _l("Contact position contains")},
    "field": {"name": lazy_pgettext("named thing", "Name"), "code": _l("Response code"), "channel_id": _l("Channel"),
              "plan_id": _l("Year plan"), "status": _l("Status"), "starts_on": _l("Start"), "ends_on": _l("End"),
              "planned_budget": _l("Planned budget"), "owner_id": _l("Owner"), "audience": _l("Audience"),
              "address_list_id": _l("Address list"), "materials": _l("Materials used"),
              "past_responses": _l("Responses"), "past_deals": _l("Deals won"), "past_won_revenue": _l("Won revenue"),
              "analysed_at": _l("analysed"), "analysis_notes": _l("What the results show"), "notes": _l("Notes")},
}


def label(kind: str, code: str | None) -> str:
    """A stored code (campaign, response or plan status, response source, list format, exclusion) in words."""
    return str(LABELS[kind].get(code, code or ""))


class PromotionError(RuleError):
    """Bad input for a promotion rule; `field` names the form field the message belongs next to. The message is
    a msgid marked with N_ (the view translates it) or, when it carries values, already translated."""


def setting(name: str) -> int:
    """A promotion setting: app config, then the environment, then the default."""
    if has_app_context() and name in current_app.config:
        return int(current_app.config[name])
    return int(os.environ.get(name, SETTINGS[name]))


# ---------------------------------------------------------------- channels

