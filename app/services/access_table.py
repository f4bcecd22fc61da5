"""Who may reach what: the expected answer of every route (every method) for every kind of person.

The permission rules live in app/services/permissions.py; this table is their promise, checked by
tests/test_permission_matrix.py, which walks every route of app.url_map with real ids as each role below and
fails on any route missing here. A new route cannot ship without a line saying who may reach it.

Format: ACCESS maps "METHOD /rule" (the rule exactly as in app.url_map, e.g. "POST /crm/deals/<int:deal_id>/edit")
to a "who" string of space-separated terms; the people a term names get "allow", everyone else "deny" (403 or
404), and anonymous visitors "login" (sent to sign in) unless the line says `public`.

    public        everyone, anonymous visitors too
    signed-in     every signed-in person
    admin         administrators
    head          the head of any unit
    unit:CODE     staff and head of that unit (codes in app/services/org.py ORG_BOARD)
    head:CODE     the head of that unit;  staff:CODE  its staff
    kam           the key-account manager of the sample key account (a staff member of account management)
    -TERM         but not these (e.g. "signed-in -unit:legal")
    owner:ROLE    shorthand for the role that owns the sample object (reads as documentation; same as ROLE)

The samples (which company, deal, board ... fills each URL) are seeded in tests/test_permission_matrix.py: the
client company, its deal, activity, contacts and points belong to staff:sales; the board is Sales'; the card is
assigned to staff:sales; the week plan is staff:sales'; the key account's manager is kam, its request went to
Legal; the private material is Sales'; the deleted company was staff:sales'; the duplicate group, merge and
import run are the CRM section's. "allow" means anything but 403/404/sign-in/5xx: a page, a redirect after a
save, or 400/409/422 for the empty form the walk sends.

Adding a route (TOTP enrolment, an admin setting, a public form page ...): add its line here, e.g.
    "GET /account/two-step": "signed-in",
    "POST /admin/settings/privacy": "admin",
    "GET /promotion/r/<token>/closed": "public",
If its URL has a variable no other route has, give the sample in `_seed`'s values (or in OVERRIDES) in
tests/test_permission_matrix.py; if it needs a form field or query to reach its rule, add it to INPUTS there.
If the answer should depend on what the page shows rather than its status, add a PROBE there.
"""
from __future__ import annotations

from app.services.org import ORG_BOARD

# Accounting and Production stand in the rules exactly where Logistics does (a department outside Distribution that
# no sample request went to), so the walk leaves them out to keep its time; Legal is the department the request went to.
UNITS = tuple(code for code, *_ in ORG_BOARD if code not in ("accounting", "production"))
ROLES = ("anonymous", "admin", "kam", *(f"{kind}:{unit}" for unit in UNITS for kind in ("staff", "head")))

ACCESS: dict[str, str] = {
    "GET /": "signed-in",
    "GET /accounts/": "signed-in",
    "GET /accounts/attachments/<int:attachment_id>": "admin head:accounts unit:legal kam",
    "GET /accounts/figures": "signed-in",
    "GET /accounts/inbox": "signed-in",
    "GET /accounts/key-accounts": "admin head:accounts",
    "POST /accounts/key-accounts": "admin head:accounts",
    "GET /accounts/key-accounts/<int:company_id>": "admin head:accounts",
    "POST /accounts/key-accounts/<int:company_id>": "admin head:accounts",
    "POST /accounts/key-accounts/<int:company_id>/remove": "admin head:accounts",
    "GET /accounts/requests": "signed-in",
    "GET /accounts/requests/<int:request_id>": "admin head:accounts unit:legal kam",
    "POST /accounts/requests/<int:request_id>/<action>": "admin head:accounts kam",
    "POST /accounts/requests/<int:request_id>/routes/<int:route_id>/<action>": "admin unit:legal",
    "GET /accounts/requests/new": "signed-in",
    "POST /accounts/requests/new": "signed-in",
    "GET /accounts/start": "signed-in",
    "GET /accounts/units": "admin",
    "POST /accounts/units": "admin",
    "GET /accounts/units/<int:unit_id>": "admin",
    "POST /accounts/units/<int:unit_id>": "admin",
    "GET /admin/backups/": "admin",
    "GET /admin/backups/<name>/download": "admin",
    "POST /admin/backups/<name>/restore": "admin",
    "GET /admin/backups/list": "admin",
    "POST /admin/backups/run": "admin",
    "GET /admin/client-types": "admin",
    "POST /admin/client-types": "admin",
    "POST /admin/client-types/<int:type_id>/toggle": "admin",
    "GET /admin/users": "admin",
    "POST /admin/users": "admin",
    "GET /admin/users/<int:user_id>": "admin",
    "POST /admin/users/<int:user_id>": "admin",
    "GET /boards/<int:board_id>": "signed-in",
    "POST /boards/<int:board_id>/cards": "admin head:sales",
    "POST /boards/<int:board_id>/columns/<int:column_id>/cards": "admin head:sales owner:staff:sales",
    "GET /boards/<int:board_id>/figures": "signed-in",
    "POST /boards/<int:board_id>/move": "admin head:sales owner:staff:sales",
    "GET /cards/<int:card_id>": "signed-in",
    "POST /cards/<int:card_id>/checklist": "admin head:sales owner:staff:sales",
    "POST /cards/<int:card_id>/checklist/<int:item_id>": "admin head:sales owner:staff:sales",
    "POST /cards/<int:card_id>/comments": "admin head:sales owner:staff:sales",
    "POST /cards/<int:card_id>/edit": "admin head:sales owner:staff:sales",
    "POST /cards/<int:card_id>/links": "admin head:sales owner:staff:sales",
    "POST /cards/<int:card_id>/move": "admin head:sales owner:staff:sales",
    "GET /crm/addresses/<int:address_id>": "admin unit:sales unit:crm",
    "POST /crm/addresses/<int:address_id>": "admin unit:sales unit:crm",
    "GET /crm/companies": "signed-in",
    "GET /crm/companies/<int:company_id>": "signed-in",
    "POST /crm/companies/<int:company_id>/activities": "signed-in",
    "GET /crm/companies/<int:company_id>/deals/new": "signed-in",
    "POST /crm/companies/<int:company_id>/deals/new": "signed-in",
    "POST /crm/companies/<int:company_id>/delete": "admin head:sales head:crm",
    "GET /crm/companies/<int:company_id>/edit": "admin unit:sales unit:crm",
    "POST /crm/companies/<int:company_id>/edit": "admin unit:sales unit:crm",
    "GET /crm/companies/<int:company_id>/field/<name>": "signed-in",
    "POST /crm/companies/<int:company_id>/field/<name>": "admin unit:sales unit:crm",
    "GET /crm/companies/<int:company_id>/points": "signed-in",
    "POST /crm/companies/<int:company_id>/points/<kind>": "admin unit:sales unit:crm",
    "POST /crm/companies/<int:company_id>/restore": "admin",
    "GET /crm/companies/<int:company_id>/timeline": "signed-in",
    "GET /crm/companies/deleted": "admin",
    "GET /crm/companies/new": "signed-in",
    "POST /crm/companies/new": "signed-in",
    "GET /crm/companies/pick": "signed-in",
    "GET /crm/contacts": "signed-in",
    "GET /crm/contacts/<int:contact_id>": "signed-in",
    "POST /crm/contacts/<int:contact_id>/delete": "admin unit:sales unit:crm",
    "GET /crm/contacts/<int:contact_id>/edit": "admin unit:sales unit:crm",
    "POST /crm/contacts/<int:contact_id>/edit": "admin unit:sales unit:crm",
    "GET /crm/contacts/new": "signed-in",
    "POST /crm/contacts/new": "signed-in",
    "GET /crm/deals/<int:deal_id>/edit": "admin unit:sales",
    "POST /crm/deals/<int:deal_id>/edit": "admin unit:sales",
    "GET /crm/history/<entity_type>/<int:entity_id>": "signed-in",
    "POST /crm/points/<kind>/<int:point_id>/remove": "admin unit:sales unit:crm",
    "POST /crm/points/<kind>/<int:point_id>/verify": "admin unit:sales unit:crm",
    "GET /crm/products": "signed-in",
    "GET /crm/products/<int:product_id>/edit": "admin",
    "POST /crm/products/<int:product_id>/edit": "admin",
    "GET /crm/products/new": "admin",
    "POST /crm/products/new": "admin",
    "GET /crm/search": "signed-in",
    "GET /data/duplicates": "admin unit:crm",
    "GET /data/duplicates/check/<kind>": "signed-in",
    "GET /data/duplicates/compare": "admin unit:crm",
    "POST /data/duplicates/groups/<int:group_id>/dismiss": "admin unit:crm",
    "POST /data/duplicates/merge": "admin unit:crm",
    "GET /data/duplicates/merges": "admin unit:crm",
    "GET /data/duplicates/merges/<int:merge_id>": "admin unit:crm",
    "POST /data/duplicates/merges/<int:merge_id>/undo": "admin unit:crm",
    "GET /data/duplicates/new/<kind>": "admin unit:crm",
    "POST /data/duplicates/new/<kind>": "admin unit:crm",
    "POST /data/duplicates/scan": "admin unit:crm",
    "GET /data/duplicates/settings": "admin",
    "POST /data/duplicates/settings": "admin",
    "GET /data/import": "admin unit:crm",
    "POST /data/import": "admin unit:crm",
    "GET /data/import/<int:run_id>": "admin staff:crm",
    "GET /data/import/<int:run_id>/mapping": "admin staff:crm",
    "POST /data/import/<int:run_id>/mapping": "admin staff:crm",
    "GET /data/import/<int:run_id>/preview": "admin staff:crm",
    "POST /data/import/<int:run_id>/preview": "admin staff:crm",
    "GET /data/import/<int:run_id>/report.csv": "admin owner:staff:crm",
    "GET /data/records/<kind>/<int:record_id>": "signed-in",
    "GET /data/verify": "admin unit:crm",
    "POST /data/verify/<kind>/<int:item_id>/changed": "admin unit:sales unit:crm",
    "GET /data/verify/<kind>/<int:item_id>/edit": "admin unit:sales unit:crm",
    "POST /data/verify/<kind>/<int:item_id>/flag": "admin unit:sales unit:crm",
    "POST /data/verify/<kind>/<int:item_id>/invalid": "admin unit:sales unit:crm",
    "POST /data/verify/<kind>/<int:item_id>/verified": "admin unit:sales unit:crm",
    "GET /data/verify/company/<int:company_id>": "signed-in",
    "GET /jobs/": "signed-in",
    "GET /jobs/<job_id>": "owner:admin",
    "POST /jobs/demo": "admin",
    "POST /language": "public",
    "GET /login": "public",
    "POST /login": "public",
    # the code step belongs to a sign-in under way: anyone else is sent to sign in (or home, when signed in)
    "GET /login/code": "signed-in",
    "POST /login/code": "signed-in",
    "GET /account/two-step": "signed-in",
    "GET /privacy": "public",
    "GET /account/password": "signed-in",
    "POST /account/password": "signed-in",
    "POST /account/two-step/start": "signed-in",
    "POST /account/two-step/confirm": "signed-in",
    "POST /account/two-step/recovery-codes": "signed-in",
    "POST /account/two-step/off": "signed-in",
    "GET /admin/settings": "admin",
    "POST /admin/settings": "admin",
    "POST /admin/users/<int:user_id>/two-step/reset": "admin",
    "POST /logout": "signed-in",
    "GET /my-tasks": "signed-in",
    "GET /notifications": "signed-in",
    "POST /notifications/<int:notification_id>/open": "owner:staff:sales",
    "GET /notifications/bell": "signed-in",
    "POST /notifications/read-all": "signed-in",
    "GET /overview": "admin head",
    "GET /promotion/": "signed-in",
    "GET /promotion/analysis": "signed-in",
    "GET /promotion/campaigns/<int:campaign_id>": "signed-in",
    "POST /promotion/campaigns/<int:campaign_id>/analysed": "admin unit:promotion",
    "GET /promotion/campaigns/<int:campaign_id>/edit": "admin unit:promotion",
    "POST /promotion/campaigns/<int:campaign_id>/edit": "admin unit:promotion",
    "POST /promotion/campaigns/<int:campaign_id>/spend": "admin unit:promotion",
    "GET /promotion/campaigns/new": "admin unit:promotion",
    "POST /promotion/campaigns/new": "admin unit:promotion",
    "GET /promotion/channels": "signed-in",
    "POST /promotion/channels": "admin unit:promotion",
    "GET /promotion/lists": "admin unit:promotion",
    "POST /promotion/lists": "admin unit:promotion",
    "POST /promotion/lists/<int:list_id>/attach": "admin unit:promotion",
    "GET /promotion/lists/<int:list_id>/download": "admin unit:promotion",
    "GET /promotion/plan": "signed-in",
    "GET /promotion/plan/<int(min=2000, max=2100):year>": "signed-in",
    "POST /promotion/plan/<int(min=2000, max=2100):year>/budget": "admin unit:promotion",
    "POST /promotion/plan/<int(min=2000, max=2100):year>/copy": "admin unit:promotion",
    "GET /promotion/r/<token>": "public",
    "POST /promotion/r/<token>": "public",
    "GET /promotion/r/<token>/thanks": "public",
    "GET /promotion/responses": "signed-in",
    "POST /promotion/responses": "signed-in",
    "GET /promotion/responses/<int:response_id>": "signed-in",
    "POST /promotion/responses/<int:response_id>/status": "admin unit:promotion",
    "POST /promotion/responses/<int:response_id>/match": "admin unit:promotion",
    "POST /promotion/responses/<int:response_id>/confirm": "admin unit:promotion",
    "GET /promotion/responses/import": "admin unit:promotion",
    "POST /promotion/responses/import": "admin unit:promotion",
    "GET /promotion/responses/new": "signed-in",
    "GET /promotion/responses/picker": "signed-in",
    "GET /promotion/segments/<int:segment_id>": "admin unit:promotion",
    "POST /promotion/segments/<int:segment_id>": "admin unit:promotion",
    "POST /promotion/segments/count": "admin unit:promotion",
    "GET /promotion/segments/new": "admin unit:promotion",
    "POST /promotion/segments/new": "admin unit:promotion",
    "GET /sales/": "signed-in",
    "GET /sales/activities/<int:activity_id>/materials": "signed-in",
    "POST /sales/activities/<int:activity_id>/materials": "admin unit:sales",
    "GET /sales/custody": "signed-in",
    "GET /sales/deals/<int:deal_id>/materials": "signed-in",
    "POST /sales/deals/<int:deal_id>/materials": "admin unit:sales",
    "GET /sales/materials": "signed-in",
    "GET /sales/materials/<int:material_id>/open": "admin unit:sales",
    "GET /sales/materials/coverage": "signed-in",
    "GET /sales/materials/effective": "signed-in",
    "POST /sales/materials/effective/<int:seller_id>/propose": "signed-in",
    "GET /sales/materials/new": "signed-in",
    "POST /sales/materials/new": "signed-in",
    "GET /sales/plans": "signed-in",
    "GET /sales/plans/<int:plan_id>/review": "admin head:sales owner:staff:sales",
    "POST /sales/plans/<int:plan_id>/review": "admin head:sales owner:staff:sales",
    "POST /sales/plans/<int:plan_id>/status": "admin head:sales owner:staff:sales",
    "POST /sales/plans/draft": "signed-in",
    "GET /sales/plans/history": "signed-in",
    "POST /sales/plans/tasks": "signed-in",
    "POST /sales/plans/tasks/<int:task_id>/complete": "admin head:sales owner:staff:sales",
    "GET /sales/plans/team": "admin head:sales",
    "GET /sales/revenue": "signed-in",
    "GET /sales/revenue.xlsx": "signed-in",
    "GET /sales/s/<token>": "public",
    "POST /sales/s/<token>": "public",
    "GET /sales/surveys": "admin unit:promotion",
    "POST /sales/surveys": "admin unit:promotion",
    "GET /sales/surveys/<int:survey_id>": "admin unit:promotion",
    "POST /sales/surveys/<int:survey_id>/campaign": "admin unit:promotion",
    "POST /sales/surveys/<int:survey_id>/invites": "admin unit:promotion",
    "POST /sales/surveys/<int:survey_id>/questions": "admin unit:promotion",
    "GET /sales/surveys/<int:survey_id>/record/<int:company_id>": "admin unit:promotion",
    "POST /sales/surveys/<int:survey_id>/record/<int:company_id>": "admin unit:promotion",
    "GET /signs": "signed-in",
    "GET /static/<path:filename>": "public",
    "GET /workflows/": "signed-in",
    "POST /workflows/<key>/start": "admin head:sales",
}


def _matches(term: str, role: str) -> bool:
    if term == "public":
        return True
    if role == "anonymous":
        return False
    kind, _, unit = role.partition(":")
    if term == "signed-in":
        return True
    if term.startswith("owner:"):
        term = term.removeprefix("owner:")
    if term in ("admin", "kam"):
        return role == term
    if term == "head":
        return kind == "head"
    t_kind, _, t_unit = term.partition(":")
    if t_kind == "unit":
        return unit == t_unit or (role == "kam" and t_unit == "accounts")
    if t_kind in ("head", "staff"):
        return role == term or (role == "kam" and term == "staff:accounts")
    raise ValueError(f"unknown term {term!r} in the access table")


def allowed(who: str, role: str) -> bool:
    """Does this "who" string let the role in?"""
    terms = who.split()
    return (any(_matches(t, role) for t in terms if not t.startswith("-"))
            and not any(_matches(t[1:], role) for t in terms if t.startswith("-")))


def expected(key: str, role: str) -> str:
    """The answer the table promises: allow, deny or login (None when the route is not in the table)."""
    who = ACCESS.get(key)
    if who is None:
        return "missing"
    if allowed(who, role):
        return "allow"
    return "login" if role == "anonymous" else "deny"
