"""The main menu; each area adds its entry here: (endpoint, label, who may see it: None for everyone,
"admin", or the name of a rule in app.services.permissions that takes the user)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

NAV = [
    ("main.home", _l("Home"), None),
    ("crm.companies", _l("Companies"), None),
    ("crm.contacts", _l("Contacts"), None),
    ("workflows.my_tasks", _l("Tasks"), None),
    ("sales.index", _l("Sales"), None),
    ("promotion.index", _l("Promotion"), None),
    ("jobs.index", _l("Jobs"), None),
    ("key_accounts.home", _l("Key accounts"), None),
    ("data_quality.queue", _l("Data quality"), "can_manage_data"),
    ("admin.users", _l("Users"), "admin"),
]


def nav_items(user) -> list[tuple[str, str]]:
    """Menu entries this user may open."""
    from flask import current_app

    from app.services import permissions

    items = []
    for endpoint, label, rule in NAV:
        if rule == "admin" and user.role != "admin":
            continue
        if rule not in (None, "admin") and not getattr(permissions, rule)(user):
            continue
        if endpoint.split(".")[0] in current_app.blueprints:
            items.append((endpoint, label))
    return items
