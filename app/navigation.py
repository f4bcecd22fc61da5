"""The main menu; each area adds its entry here: (endpoint, label, who may see it)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

NAV = [
    ("main.home", _l("Home"), None),
    ("crm.companies", _l("Companies"), None),
    ("crm.contacts", _l("Contacts"), None),
    ("crm.products", _l("Products"), None),
    ("workflows.my_tasks", _l("Tasks"), None),
    ("sales.index", _l("Sales"), None),
    ("promotion.index", _l("Promotion"), None),
    ("jobs.index", _l("Jobs"), None),
    ("accounts.home", _l("Key accounts"), None),
    ("duplicates.queue", _l("Data quality"), None),
    ("admin.users", _l("Users"), "admin"),
    ("backups.index", _l("Backups"), "admin"),
]


def nav_items(user) -> list[tuple[str, str]]:
    """Menu entries this user may open."""
    from flask import current_app

    items = []
    for endpoint, label, role in NAV:
        if role == "admin" and user.role != "admin":
            continue
        if endpoint.split(".")[0] in current_app.blueprints:
            items.append((endpoint, label))
    return items
