"""Every change to an audited record becomes history rows, written in the same transaction."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import bindparam, event, inspect, select
from sqlalchemy.orm import Session

from app.i18n import N_, label, money
from app.i18n import tr as _
from app.i18n import trp as _p
from app.models.audit import AuditEntry
from app.models.base import utcnow
from app.services import timeline
from app.services.actor import current_actor_id
from app.services.timeline import TimelineItem

SKIPPED_FIELDS = {"created_at", "updated_at", "version", "name_sort", "deleted_by_id"}
MONEY_FIELDS = {"amount", "price", "planned_budget", "past_won_revenue"}


def _text(value) -> str | None:
    """Store every value as readable text, whatever its column type."""
    if value is None:
        return None
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _company_of(obj) -> int | None:
    if obj.__tablename__ == "companies":
        return obj.id
    return getattr(obj, "company_id", None)


def _rows_for(obj, action: str, actor: int | None, now: datetime) -> list[dict]:
    state = inspect(obj)
    base = {
        "entity_type": obj.__tablename__,
        "entity_id": obj.id,
        "company_id": _company_of(obj),
        "version": getattr(obj, "version", None),
        "user_id": actor,
        "at": now,
    }
    if action == "create":
        return [dict(base, action="create", field=None, old_value=None, new_value=None)]
    if action == "delete":
        return [dict(base, action="delete", field=None, old_value=None, new_value=None)]
    rows = []
    for attr in state.mapper.column_attrs:
        if attr.key in SKIPPED_FIELDS:
            continue
        hist = state.attrs[attr.key].history
        if not hist.has_changes():
            continue
        old = hist.deleted[0] if hist.deleted else None
        new = hist.added[0] if hist.added else None
        if _text(old) == _text(new):
            continue
        kind = "update"
        if attr.key == "deleted_at":
            kind = "soft_delete" if new is not None else "restore"
        rows.append(dict(base, action=kind, field=attr.key, old_value=_text(old), new_value=_text(new)))
    return rows


def _after_flush(session: Session, flush_context) -> None:
    """Collect the history of this flush and insert it on the same connection."""
    actor = current_actor_id()
    now = utcnow()
    rows: list[dict] = []
    for obj in session.new:
        if getattr(obj, "__audit__", False):
            rows += _rows_for(obj, "create", actor, now)
    for obj in session.dirty:
        if getattr(obj, "__audit__", False) and session.is_modified(obj, include_collections=False):
            rows += _rows_for(obj, "update", actor, now)
    for obj in session.deleted:
        if getattr(obj, "__audit__", False):
            rows += _rows_for(obj, "delete", actor, now)
    if rows and not session.info.get("audit_disabled"):
        session.connection().execute(AuditEntry.__table__.insert(), rows)


def install(session_class) -> None:
    """Attach the history recorder to the app's session class (once)."""
    if not event.contains(session_class, "after_flush", _after_flush):
        event.listen(session_class, "after_flush", _after_flush)


def history(session: Session, entity_type: str, entity_id: int, limit: int = 200) -> list[AuditEntry]:
    """A record's own history, newest first."""
    stmt = (select(AuditEntry).where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == entity_id)
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit))
    return list(session.scalars(stmt))


def changes_since(session: Session, entity_type: str, entity_id: int, version: int) -> list[AuditEntry]:
    """What others changed after the version a person opened: shown when their save is refused."""
    stmt = (select(AuditEntry).where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == entity_id,
                                     AuditEntry.version > version, AuditEntry.field.is_not(None))
            .order_by(AuditEntry.id))
    return list(session.scalars(stmt))



def change_timeline(session: Session, company_id: int, before: datetime | None, limit: int, viewer=None) -> list[TimelineItem]:
    """Changes to the company and its contacts, phones, emails and addresses, one item per save (the columns
    shown, not the rows: every company page reads them)."""
    rows = _timeline_rows(session, company_id, before, limit * 8).all()  # a save is a row per field
    groups: dict[tuple, list] = {}
    for row in rows:
        groups.setdefault((row.at, row.entity_type, row.entity_id, row.user_id), []).append(row)
    items = []
    for (at, etype, eid, _uid), entries in groups.items():
        action = entries[0].action
        title = f"{entity_label(etype)} #{eid}: {action_label(action)}"
        body = "; ".join(f"{field_label(e.field)}: {field_value(etype, e.field, e.old_value) or '—'} → "
                         f"{field_value(etype, e.field, e.new_value) or '—'}" for e in entries if e.field)
        items.append(TimelineItem(at, "change", title, body or None, None, entries[0].name))
    return items[:limit]


@timeline.source_query
def _timeline_rows():
    from app.models.org import User

    return (select(AuditEntry.at, AuditEntry.entity_type, AuditEntry.entity_id, AuditEntry.user_id, AuditEntry.action,
                   AuditEntry.field, AuditEntry.old_value, AuditEntry.new_value, User.name)
            .outerjoin(User, User.id == AuditEntry.user_id)
            .where(AuditEntry.company_id == bindparam("company_id"),
                   ~((AuditEntry.entity_type == "deals") & (AuditEntry.action == "create"))),
            AuditEntry.at, (AuditEntry.at.desc(), AuditEntry.id.desc()))


ENTITY_LABELS = {"companies": N_("Company"), "contacts": N_("Contact"), "phones": N_("Phone"), "emails": N_("Email"),
    "addresses": N_("Address"), "deals": N_("Deal"), "responses": N_("Response"),
    "plan_tasks": N_("Plan task")}


def entity_label(entity_type: str) -> str:
    return label(ENTITY_LABELS, entity_type)


ACTION_LABELS = {"create": N_("created"), "update": N_("changed"), "delete": N_("removed"),
                 "soft_delete": N_("deleted"), "restore": N_("restored")}


def action_label(action: str) -> str:
    return label(ACTION_LABELS, action)


# A recorded field as its form calls it ("done" is a task's, with its own context below).
FIELD_LABELS = {"legal_name": N_("Legal name"), "legal_form": N_("Legal form"), "inn": N_("INN"),
    "country": N_("Country"),
    "client_type_id": N_("Client type"), "industry": N_("Industry"), "region": N_("Region"), "city": N_("City"),
    "status": N_("Status"), "account_manager_id": N_("Account manager"), "source": N_("Source"),
    "external_id": N_("External id"), "website": N_("Website"), "notes": N_("Notes"), "deleted_at": N_("Deleted"),
    "company_id": N_("Company"), "contact_id": N_("Contact"), "name": N_("Name"), "position": N_("Position"),
    "do_not_contact": N_("Do not contact"), "do_not_contact_at": N_("Do not contact since"),
    "do_not_contact_reason": N_("Why not contact"), "e164": N_("Phone"), "extension": N_("Extension"),
    "kind": N_("Kind"), "address": N_("Email"), "postcode": N_("Postcode"), "street": N_("Street line"),
    "verified_at": N_("Last verified"), "flagged_invalid": N_("Invalid"), "flag_reason": N_("Reason"),
    "verified_by_id": N_("Verified by"), "title": N_("Title"), "owner_id": N_("Owner"), "stage": N_("Stage"),
    "lost_reason": N_("Why it was lost"), "expected_close": N_("Expected close"), "closed_on": N_("Closed on"),
    "amount": N_("Amount"), "campaign_id": N_("Campaign"), "channel_id": N_("Channel"), "received_at": N_("When"),
    "company_name": N_("Company name"), "message": N_("Message"), "created_prospect": N_("new prospect"),
    "handled_by_id": N_("Handled by"), "disqualified_reason": N_("Reason (when disqualified)"),
    "deal_id": N_("Deal"), "repeat_of_id": N_("repeat"), "plan_id": N_("Plan"), "action": N_("Action"),
    "expected_result": N_("Expected result"), "activity_id": N_("Activity"),
    "successful": N_("Successful"), "outcome": N_("Outcome")}


def field_label(field: str | None) -> str:
    """A recorded field as its form calls it, for the history, the timeline and a refused save."""
    if field == "done":
        return _p("task", "Done")
    return label(FIELD_LABELS, field or "")


COMPANY_STATUS_WORDS = {"prospect": N_("prospect"), "client": N_("client"), "former": N_("former")}
POINT_KIND_WORDS = {"legal": N_("legal"), "postal": N_("postal"), "delivery": N_("delivery"), "work": N_("work"),
                    "mobile": N_("mobile")}


def field_value(entity_type: str, field: str | None, value: str | None) -> str | None:
    """A recorded value in words where it is a code: a company's or a response's status, a stage, a kind, a
    response's source, a task's action, yes or no."""
    if value is None:
        return None
    if value in ("true", "false"):
        return _("yes") if value == "true" else _("no")
    if field == "status" and entity_type == "responses":
        return {"new": _p("response status", "new"), "qualified": _p("response status", "qualified"),
                "converted": _p("response status", "converted"),
                "disqualified": _p("response status", "disqualified")}.get(value, value)
    if field == "source" and entity_type == "responses":
        return {"staff": _p("response source", "staff"), "web": _p("response source", "web form"),
                "import": _p("response source", "import")}.get(value, value)
    if field == "action" and entity_type == "plan_tasks":
        from app.services.week_plans import action_label  # the plan's own words for its actions

        return action_label(value)
    if field == "status":
        return label(COMPANY_STATUS_WORDS, value)
    if field == "stage":
        from app.services.deals import stage_label  # deals' rules import this module

        return stage_label(value)
    if field == "kind":
        return label(POINT_KIND_WORDS, value)
    if field in MONEY_FIELDS:
        try:  # an amount as the reader writes it, not the stored "150000.00"
            return money(Decimal(value))
        except ArithmeticError:
            return value
    return value
