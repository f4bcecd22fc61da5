"""Every menu of the portal in one place: the main menu, the person's menu, the admin menu and each area's sub-menu.

An entry is (endpoint, label, who may see it): None for everyone, "admin", or the name of a rule in
app.services.permissions that takes the user. A sub-menu entry may add "primary" as a fourth item (an action
rather than a section). Templates render them through one partial each: `_subnav.html` for every area.
"""
from __future__ import annotations

from app.i18n import lazy_gettext as _l

NAV = [
    ("main.home", _l("Home"), None),
    ("crm.companies", _l("Companies"), None),
    ("crm.contacts", _l("Contacts"), None),
    ("workflows.my_tasks", _l("Tasks"), None),
    ("sales.index", _l("Sales"), None),
    ("promotion.index", _l("Promotion"), None),
    ("key_accounts.start", _l("Key accounts"), None),
    ("data_quality.queue", _l("Data quality"), "can_manage_data"),
]

# The person's own menu: background jobs live here, not beside "Tasks" in the main menu.
PERSONAL = [
    ("main.notifications", _l("Notifications"), None),
    ("jobs.index", _l("My background jobs"), None),
    ("auth.two_step_page", _l("Two-step sign-in"), None),
    ("auth.change_password", _l("Change password"), None),
]

ADMIN = [
    ("admin.users", _l("Users"), "admin"),
    ("backups.index", _l("Backups"), "admin"),
    ("key_accounts.units", _l("Departments"), "admin"),
    ("data_quality.settings", _l("Duplicate matching settings"), "admin"),
    ("admin.settings", _l("Portal settings"), "admin"),
]

SUBNAV = {
    "sales": [("sales.index", _l("Overview"), None), ("sales.materials_list", _l("Materials"), None),
              ("sales.coverage", _l("Coverage"), None), ("sales.effective", _l("What effective sellers use"), None),
              ("sales.plan", _l("My week"), None), ("sales.team", _l("Team week"), "can_see_sales_team"),
              ("sales.history", _l("History of weeks"), None), ("sales.revenue_view", _l("Revenue"), None),
              ("sales.surveys_list", _l("Surveys"), "can_run_surveys"), ("sales.custody_view", _l("Data in the base"), None)],
    "promotion": [("promotion.index", _l("Campaigns"), None), ("promotion.plan_current", _l("Year plan"), None),
                  ("promotion.responses", _l("Responses"), None), ("promotion.analysis", _l("Analysis"), None),
                  ("promotion.address_lists", _l("Lists"), None), ("promotion.channels", _l("Channels"), None),
                  ("promotion.import_responses", _l("Import responses"), "can_manage_promotion")],
    "workflows": [("workflows.my_tasks", _l("My tasks"), None), ("workflows.index", _l("Workflows"), None),
                  ("workflows.overview", _l("Overview"), "can_see_overview"),
                  ("workflows.division_signs", _l("Division signs"), None)],
    "key_accounts": [("key_accounts.home", _l("My accounts"), None),
                     ("key_accounts.requests_list", _l("Requests I carry"), None),
                     ("key_accounts.new_request", _l("New request"), None, "primary"),
                     ("key_accounts.inbox", _l("Department inbox"), None),
                     ("key_accounts.figures", _l("Request figures"), None),
                     ("key_accounts.key_accounts", _l("All key accounts"), "can_assign_accounts"),
                     ("key_accounts.units", _l("Departments"), "admin")],
    "data_quality": [("data_quality.queue", _l("Duplicate companies"), None, None, {"kind": "company"}),
                     ("data_quality.queue", _l("Duplicate contacts"), None, None, {"kind": "contact"}),
                     ("data_quality.merges", _l("Merges"), None), ("data_quality.import_start", _l("Import"), None),
                     ("data_quality.verify_queue", _l("To verify"), None),
                     ("data_quality.settings", _l("Settings"), "admin")],
}


def _allowed(user, rule) -> bool:
    from app.services import permissions

    if rule is None:
        return True
    if rule == "admin":
        return user.role == "admin"
    return bool(getattr(permissions, rule)(user))


def _entries(entries, user) -> list[tuple[str, str]]:
    from flask import current_app

    return [(e[0], e[1]) for e in entries
            if _allowed(user, e[2]) and e[0].split(".")[0] in current_app.blueprints]


def nav_items(user) -> list[tuple[str, str]]:
    """Main menu entries this user may open."""
    return _entries(NAV, user)


def personal_items(user) -> list[tuple[str, str]]:
    """The person's own menu."""
    return _entries(PERSONAL, user)


def admin_items(user) -> list[tuple[str, str]]:
    """The administration menu (empty for everyone but admins)."""
    return _entries(ADMIN, user)


def subnav_items(area: str, user) -> list[dict]:
    """An area's sub-menu for this user: endpoint, its arguments, label, and whether it is an action."""
    from flask import current_app

    out = []
    for entry in SUBNAV.get(area, []):
        endpoint, label, rule = entry[:3]
        if not _allowed(user, rule) or endpoint.split(".")[0] not in current_app.blueprints:
            continue
        out.append({"endpoint": endpoint, "label": label, "primary": len(entry) > 3 and entry[3] == "primary",
                    "args": entry[4] if len(entry) > 4 else {}})
    return out
