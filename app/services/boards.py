"""The rules of workflow boards: starting a workflow, cards, moves with versions and WIP limits, the overview,
reminders and the weekly roll-over. Plain functions over a session; the views only parse and render."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import and_, bindparam, case, func, select, update
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from app.i18n import reader_locale
from app.i18n import tr as _
from app.models.base import utcnow
from app.models.boards import (
    LINK_KINDS,
    PRIORITIES,
    Board,
    BoardColumn,
    Card,
    CardChecklistItem,
    CardComment,
    CardEvent,
    CardLink,
)
from app.models.companies import Company
from app.models.deals import Deal
from app.models.org import Unit, User
from app.services import numbers, org, weeks
from app.services.errors import RuleError
from app.services.figures import Figure
from app.services.links import path_for
from app.services.notifications import notify
from app.services.workflow_definitions import WorkflowDef

log = logging.getLogger(__name__)


class BoardError(RuleError):
    """A change that cannot be made as asked; the message is shown to the person."""

    status = 422

    def __init__(self, message: str, board_id: int | None = None):
        super().__init__(message)
        self.board_id = board_id


class Conflict(BoardError):
    """Someone else changed the card since this person's page was drawn."""

    status = 409








def _event(session: Session, card: Card, kind: str, user_id: int | None, **extra) -> None:
    session.add(CardEvent(card_id=card.id, board_id=card.board_id, kind=kind, user_id=user_id, **extra))


def _tell(session: Session, recipient_id: int | None, actor_id: int | None, kind: str, card: Card, message,
          dedup_key: str | None = None) -> None:
    """Notify one person in their own language; nobody is told about what they did themselves."""
    if not recipient_id or recipient_id == actor_id:
        return
    person = session.get(User, recipient_id)
    if person is None or not person.is_active:
        return
    with force_locale(person.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        text = message()
    notify(session, [recipient_id], kind, text, url=path_for("workflows.card", card_id=card.id), dedup_key=dedup_key)


# --- starting workflows -------------------------------------------------------------------------------------------

def active_board(session: Session, workflow_key: str, unit_id: int) -> Board | None:
    return session.scalar(select(Board).where(Board.workflow_key == workflow_key, Board.unit_id == unit_id,
                                              Board.status == "active").order_by(Board.id.desc()))


def _create_board(session: Session, definition: WorkflowDef, unit_id: int, user_id: int | None, today: date,
                  locale: str) -> Board:
    board = Board(workflow_key=definition.key, title_ru=definition.title.ru, title_en=definition.title.en,
                  unit_id=unit_id, started_by_id=user_id, status="active",
                  period_start=weeks.monday(today) if definition.weekly else None)
    for i, col in enumerate(definition.columns):
        board.columns.append(BoardColumn(key=col.key, title_ru=col.title.ru, title_en=col.title.en, position=i,
                                         wip_limit=col.wip, is_done=col.done))
    session.add(board)
    session.flush()
    by_key = {c.key: c for c in board.columns}
    for i, template in enumerate(definition.tasks):
        column = by_key[template.column]
        card = Card(board_id=board.id, column_id=column.id, position=i, title=template.title(locale),
                    description=template.description(locale) if template.description else None,
                    priority=template.priority, created_by_id=user_id,
                    due_on=today + timedelta(days=template.due_days) if template.due_days is not None else None,
                    done_at=utcnow() if column.is_done else None)
        card.checklist = [CardChecklistItem(text=item(locale), position=j) for j, item in enumerate(template.checklist)]
        session.add(card)
        session.flush()
        _event(session, card, "created", user_id)
    return board


def start_workflow(session: Session, definition: WorkflowDef, user, today: date, locale: str) -> Board:
    """A head starts a workflow for their unit: a board with the definition's columns and template cards."""
    unit = session.scalar(select(Unit).where(Unit.code == definition.unit))
    existing = active_board(session, definition.key, unit.id)
    if existing is not None:
        raise BoardError(_("This workflow is already running for the unit."), board_id=existing.id)
    return _create_board(session, definition, unit.id, user.id, today, locale)


# --- cards ----------------------------------------------------------------------------------------------------------

def _check_fields(session: Session, board: Board, title: str, assignee_id: int | None, priority: str) -> dict:
    errors = {}
    if not title.strip():
        errors["title"] = _("Give the card a title.")
    elif len(title) > 300:
        errors["title"] = _("The title is too long (300 characters at most).")
    if priority not in PRIORITIES:
        errors["priority"] = _("Choose a priority from the list.")
    if assignee_id is not None:
        person = session.get(User, assignee_id)
        if person is None or not person.is_active:
            errors["assignee_id"] = _("Choose a person from the list.")
    return errors


class InvalidCard(BoardError):
    """The card form has mistakes; `errors` maps each field to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(_("Please correct the marked fields."))
        self.errors = errors


def add_card(session: Session, board: Board, user, title: str, description: str | None, assignee_id: int | None,
             due_on: date | None, priority: str = "normal", column_id: int | None = None) -> Card:
    """A head adds a card; the assignee is told."""
    errors = _check_fields(session, board, title, assignee_id, priority)
    column = next((c for c in board.columns if c.id == column_id), board.columns[0])
    if errors:
        raise InvalidCard(errors)
    last = session.scalar(select(func.max(Card.position)).where(Card.column_id == column.id))
    card = Card(board_id=board.id, column_id=column.id, position=(last or 0) + 1, title=title.strip(),
                description=(description or "").strip() or None, assignee_id=assignee_id, due_on=due_on,
                priority=priority, created_by_id=user.id, done_at=utcnow() if column.is_done else None)
    session.add(card)
    session.flush()
    _event(session, card, "created", user.id)
    if assignee_id:
        _event(session, card, "reassigned", user.id, other_user_id=assignee_id)
        _tell(session, assignee_id, user.id, "assigned", card,
              lambda: _("%(name)s assigned you a task: %(title)s", name=user.name, title=card.title))
    return card


def update_card(session: Session, card: Card, user, expected_version: int, *, title: str, description: str | None,
                due_on: date | None, priority: str, blocked: bool, assignee_id: int | None,
                may_reassign: bool) -> Card:
    """Edit a card; a stale version is refused so nobody overwrites another's change unseen."""
    if card.version != expected_version:
        raise Conflict(_conflict_message(session, card), board_id=card.board_id)
    if not may_reassign:
        assignee_id = card.assignee_id
    errors = _check_fields(session, card.board, title, assignee_id, priority)
    if errors:
        raise InvalidCard(errors)
    previous_assignee = card.assignee_id
    card.title, card.description = title.strip(), (description or "").strip() or None
    card.due_on, card.priority, card.blocked, card.assignee_id = due_on, priority, blocked, assignee_id
    if session.is_modified(card):
        _event(session, card, "edited", user.id)
    if assignee_id != previous_assignee:
        _event(session, card, "reassigned", user.id, other_user_id=assignee_id)
        _tell(session, assignee_id, user.id, "assigned", card,
              lambda: _("%(name)s assigned you a task: %(title)s", name=user.name, title=card.title))
    _flush_versioned(session, card)
    return card


def _flush_versioned(session: Session, card: Card) -> None:
    """Flush; a concurrent update of the same card between our read and write is a conflict too."""
    card_id, board_id = card.id, card.board_id
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise Conflict(_conflict_message(session, session.get(Card, card_id)), board_id=board_id) from None


def _conflict_message(session: Session, card: Card) -> str:
    last = session.scalar(select(CardEvent).where(CardEvent.card_id == card.id, CardEvent.kind.in_(("moved", "edited",
                                                  "reassigned"))).order_by(CardEvent.id.desc()).limit(1))
    who = last.user.name if last is not None and last.user is not None else _("someone else")
    return _("%(who)s changed the card “%(title)s” while you were looking at an older board. "
             "Nothing was lost: the board now shows their change; make your move again if it is still needed.",
             who=who, title=card.title)


def move_card(session: Session, card: Card, user, expected_version: int, to_column: BoardColumn,
              order: list[int] | None = None) -> Card:
    """Move a card to a column (and a place in it); refuses stale versions and full columns."""
    if card.version != expected_version:
        raise Conflict(_conflict_message(session, card), board_id=card.board_id)
    if to_column.board_id != card.board_id:
        raise BoardError(_("That column belongs to another board."), board_id=card.board_id)
    from_column = card.column
    if to_column.id != from_column.id and to_column.wip_limit:
        # Lock the column row (PostgreSQL) so two moves into its last free place cannot both pass the count.
        session.execute(select(BoardColumn.id).where(BoardColumn.id == to_column.id).with_for_update())
        in_column = session.scalar(select(func.count(Card.id)).where(Card.column_id == to_column.id))
        if in_column >= to_column.wip_limit:
            raise BoardError(_("“%(column)s” already holds %(count)d cards, its work-in-progress limit. "
                               "Finish or move a card out of it first.", column=to_column.title(reader_locale()),
                               count=in_column), board_id=card.board_id)
    ids = [i for i in (order or []) if i != card.id]
    place = (order or []).index(card.id) if order and card.id in order else len(ids)
    ids.insert(place, card.id)
    card.column_id = to_column.id
    card.position = place
    if to_column.is_done and card.done_at is None:
        card.done_at = utcnow()
    elif not to_column.is_done:
        card.done_at = None
    if to_column.id != from_column.id:
        _event(session, card, "moved", user.id, from_column_id=from_column.id, to_column_id=to_column.id)
        _tell(session, card.assignee_id, user.id, "moved", card,
              lambda: _("%(name)s moved your task “%(title)s” to %(column)s", name=user.name, title=card.title,
                        column=to_column.title(reader_locale())))
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise Conflict(_conflict_message(session, card), board_id=card.board_id) from None
    others = [{"cid": cid, "pos": i, "col": to_column.id} for i, cid in enumerate(ids) if cid != card.id]
    if others:  # plain UPDATEs: re-sequencing neighbours is not a change to them, so their versions stay
        table = Card.__table__
        session.execute(update(table).where(and_(table.c.id == bindparam("cid"), table.c.column_id == bindparam("col")))
                        .values(position=bindparam("pos")), others)
    _flush_versioned(session, card)
    return card




def toggle_checklist_item(session: Session, item: CardChecklistItem, user, done: bool) -> None:
    """Tick or untick one step; recorded in the card's history."""
    if item.done == done:
        return
    item.done, item.done_by_id, item.done_at = done, user.id if done else None, utcnow() if done else None
    card = session.get(Card, item.card_id)
    _event(session, card, "checked" if done else "unchecked", user.id, note=item.text[:300])


def add_checklist_item(session: Session, card: Card, text: str) -> None:
    text = text.strip()
    if not text:
        raise InvalidCard({"text": _("Write what the step is.")})
    card.checklist.append(CardChecklistItem(text=text[:300], position=len(card.checklist)))


def add_comment(session: Session, card: Card, user, body: str) -> CardComment:
    """Comment on a card; its assignee (and its creator) hear about it."""
    body = body.strip()
    if not body:
        raise InvalidCard({"body": _("Write a comment first.")})
    comment = CardComment(card_id=card.id, author_id=user.id, body=body[:5000])
    session.add(comment)
    _event(session, card, "commented", user.id, note=body[:300])
    for recipient in {card.assignee_id, card.created_by_id}:
        _tell(session, recipient, user.id, "commented", card,
              lambda: _("%(name)s commented on “%(title)s”: %(text)s", name=user.name, title=card.title,
                        text=body[:200]))
    return comment


def add_link(session: Session, card: Card, user, kind: str, target: str) -> CardLink:
    """Link a CRM record; companies and deals must exist, other kinds are kept by id until their areas land."""
    if kind not in LINK_KINDS:
        raise InvalidCard({"kind": _("Choose what to link from the list.")})
    target_id = numbers.id_or_none(target)
    if target_id is None:
        raise InvalidCard({"target": _("Give the record's number.")})
    if kind == "company":
        company = session.get(Company, target_id)
        if company is None or company.deleted_at is not None:
            raise InvalidCard({"target": _("No company has this number.")})
        label = company.display_name
    elif kind == "deal":
        deal = session.get(Deal, target_id)
        if deal is None:
            raise InvalidCard({"target": _("No deal has this number.")})
        label = deal.title
    else:
        label = ""
    link = CardLink(card_id=card.id, kind=kind, target_id=target_id, label=label[:300])
    session.add(link)
    _event(session, card, "linked", user.id, note=f"{kind} #{target_id} {label}"[:300])
    return link


HISTORY_SHOWN = 50   # a card's panel shows its newest events; the card's page shows them all on request


def history(session: Session, card_id: int, whole: bool = False) -> tuple[list[CardEvent], bool]:
    """A card's events, newest first: the newest HISTORY_SHOWN unless `whole` (a card moved every day for a year
    has hundreds), and whether older ones were left out (one more row read tells)."""
    stmt = (select(CardEvent).where(CardEvent.card_id == card_id)
            .order_by(CardEvent.at.desc(), CardEvent.id.desc()))
    if whole:
        return list(session.scalars(stmt)), False
    events = list(session.scalars(stmt.limit(HISTORY_SHOWN + 1)))
    return events[:HISTORY_SHOWN], len(events) > HISTORY_SHOWN


# --- reading boards ---------------------------------------------------------------------------------------------------

@dataclass
class CardRow:
    """What a board shows of a card, read in a few queries for the whole board."""

    id: int
    version: int
    title: str
    assignee_id: int | None
    assignee: str | None
    due_on: date | None
    priority: str
    blocked: bool
    carried_over: bool
    done: bool
    checks_done: int = 0
    checks_total: int = 0
    comments: int = 0

    def overdue(self, today: date) -> bool:
        return bool(self.due_on and self.due_on < today and not self.done)


@dataclass
class ColumnView:
    column: BoardColumn
    cards: list[CardRow] = field(default_factory=list)

    @property
    def over_limit(self) -> bool:
        return bool(self.column.wip_limit and len(self.cards) > self.column.wip_limit)

    @property
    def full(self) -> bool:
        return bool(self.column.wip_limit and len(self.cards) >= self.column.wip_limit)


def board_columns(session: Session, board: Board) -> list[ColumnView]:
    """Every column with its cards in order, with checklist and comment counts, in four queries."""
    views = {c.id: ColumnView(c) for c in board.columns}
    done_columns = {c.id for c in board.columns if c.is_done}
    rows = session.execute(
        select(Card.id, Card.version, Card.title, Card.assignee_id, User.name, Card.due_on, Card.priority,
               Card.blocked, Card.carried_over, Card.column_id)
        .outerjoin(User, User.id == Card.assignee_id)
        .where(Card.board_id == board.id).order_by(Card.column_id, Card.position, Card.id)).all()
    cards: dict[int, CardRow] = {}
    for r in rows:
        row = CardRow(r.id, r.version, r.title, r.assignee_id, r.name, r.due_on, r.priority, r.blocked,
                      r.carried_over, r.column_id in done_columns)
        cards[r.id] = row
        views[r.column_id].cards.append(row)
    checks = session.execute(
        select(CardChecklistItem.card_id, func.count(CardChecklistItem.id),
               func.sum(case((CardChecklistItem.done.is_(True), 1), else_=0)))
        .join(Card, Card.id == CardChecklistItem.card_id).where(Card.board_id == board.id)
        .group_by(CardChecklistItem.card_id))
    for card_id, total, done in checks:
        cards[card_id].checks_total, cards[card_id].checks_done = total, int(done or 0)
    comments = session.execute(
        select(CardComment.card_id, func.count(CardComment.id)).join(Card, Card.id == CardComment.card_id)
        .where(Card.board_id == board.id).group_by(CardComment.card_id))
    for card_id, n in comments:
        cards[card_id].comments = n
    return list(views.values())


def board_figures(session: Session, definition: WorkflowDef | None, today: date) -> list[Figure]:
    """The live figures a board's definition names, each counted over the whole base at most every
    KEPT_FIGURES_SECONDS by a process (every view of every board shows them)."""
    from app.services.kept import kept

    return [kept(session, "KEPT_FIGURES_SECONDS", ("figure", name, today), lambda: safe_figure(session, name, today))
            for name in (definition.figures if definition else ())]


def safe_figure(session: Session, name: str, today: date) -> Figure:
    """One figure; a failing figure function shows as unknown instead of breaking the page."""
    from app.services import figures

    try:
        return figures.compute(session, name, today)
    except Exception:
        log.exception("figure %s failed", name)
        session.rollback()
        return Figure(name, name, None, status="unknown", note=_("This figure could not be computed."))


def my_cards(session: Session, user_id: int, today: date, panels: bool = False) -> tuple[list[Card], list[Card]]:
    """A person's open cards on every active board by due date, and what they finished this week; with
    `panels`, the open cards come with what their panels show (a fixed number of queries, not three per card)."""
    base = _on_active_boards(select(Card), user_id)
    shown = (selectinload(Card.board).selectinload(Board.columns), selectinload(Card.column),
             selectinload(Card.assignee), selectinload(Card.checklist), selectinload(Card.links),
             selectinload(Card.comments)) if panels else ()
    open_cards = list(session.scalars(base.where(Card.done_at.is_(None)).options(*shown)
                                      .order_by(Card.due_on.is_(None), Card.due_on, Card.id)))
    done = list(session.scalars(base.where(Card.done_at >= weeks.week_start(today)).order_by(Card.done_at.desc())))
    return open_cards, done


def _on_active_boards(stmt, assignee):
    """Cards of this assignee (an id or a bound parameter) on active boards: what My tasks and the home page count."""
    return stmt.join(Board, Board.id == Card.board_id).where(Card.assignee_id == assignee, Board.status == "active")


def my_card_counts(session: Session, user_id: int, today: date) -> tuple[int, int, int]:
    """A person's open cards on active boards, as my_cards lists them, counted in one statement: (overdue, due
    today, the rest); the home page shows the three numbers and needs none of the cards."""
    overdue, due, total = session.execute(_my_card_counts_statement(), {"user_id": user_id, "today": today}).one()
    return overdue, due, total - overdue - due


@lru_cache(maxsize=1)
def _my_card_counts_statement():
    today = bindparam("today", type_=Card.due_on.type)
    counts = select(func.count(case((Card.due_on < today, 1))), func.count(case((Card.due_on == today, 1))),
                    func.count(Card.id))
    return _on_active_boards(counts, bindparam("user_id")).where(Card.done_at.is_(None))


@dataclass
class Overview:
    boards: list[dict]
    people: list[dict]
    recent_moves: list[CardEvent]


def overview(session: Session, today: date, unit_id: int | None = None) -> Overview:
    """Every active board's open, overdue, blocked and done-this-week counts; tasks per person; recent moves."""
    monday = weeks.week_start(today)
    is_open = Card.done_at.is_(None)
    counts = (select(Card.board_id,
                     func.count(Card.id).label("total"),
                     func.sum(case((is_open, 1), else_=0)).label("open"),
                     func.sum(case((and_(is_open, Card.due_on < today), 1), else_=0)).label("overdue"),
                     func.sum(case((and_(is_open, Card.blocked.is_(True)), 1), else_=0)).label("blocked"),
                     func.sum(case((Card.done_at >= monday, 1), else_=0)).label("done_week"))
              .group_by(Card.board_id).subquery())
    stmt = (select(Board, counts).outerjoin(counts, counts.c.board_id == Board.id)
            .where(Board.status == "active").order_by(Board.unit_id, Board.workflow_key, Board.id))
    if unit_id is not None:
        stmt = stmt.where(Board.unit_id == unit_id)
    boards = [{"board": row.Board, "total": row.total or 0, "open": row.open or 0, "overdue": row.overdue or 0,
               "blocked": row.blocked or 0, "done_week": row.done_week or 0} for row in session.execute(stmt)]
    board_ids = [b["board"].id for b in boards]
    people = [dict(row._mapping) for row in session.execute(
        select(User.id, User.name,
               func.sum(case((is_open, 1), else_=0)).label("open"),
               func.sum(case((and_(is_open, Card.due_on < today), 1), else_=0)).label("overdue"),
               func.sum(case((and_(is_open, Card.blocked.is_(True)), 1), else_=0)).label("blocked"),
               func.sum(case((Card.done_at >= monday, 1), else_=0)).label("done_week"))
        .join(Card, Card.assignee_id == User.id).where(Card.board_id.in_(board_ids))
        .group_by(User.id, User.name).order_by(User.name))] if board_ids else []
    moves = list(session.scalars(select(CardEvent).where(CardEvent.kind == "moved", CardEvent.board_id.in_(board_ids))
                                 .order_by(CardEvent.at.desc(), CardEvent.id.desc()).limit(20))) if board_ids else []
    return Overview(boards, people, moves)


def assignable_people(session: Session, board: Board) -> list[User]:
    """Anyone active may be given a card; the board's own unit is listed first."""
    return list(session.scalars(select(User).where(org.ACTIVE_PEOPLE)
                                .order_by((User.unit_id != board.unit_id), User.name)))


# --- periodic work ----------------------------------------------------------------------------------------------------

def send_due_reminders(session: Session, today: date) -> int:
    """Tell assignees about cards due tomorrow and cards overdue; each reminder once per due date."""
    sent = 0
    open_assigned = (select(Card).join(Board, Board.id == Card.board_id)
                     .where(Board.status == "active", Card.done_at.is_(None), Card.assignee_id.is_not(None)))
    for card in session.scalars(open_assigned.where(Card.due_on == today + timedelta(days=1))):
        before = len(session.new)
        _tell(session, card.assignee_id, None, "due_tomorrow", card,
              lambda: _("Due tomorrow: %(title)s", title=card.title), dedup_key=f"due:card:{card.id}:{card.due_on}")
        sent += len(session.new) - before
    for card in session.scalars(open_assigned.where(Card.due_on < today)):
        before = len(session.new)
        _tell(session, card.assignee_id, None, "overdue", card,
              lambda: _("Overdue since %(day)s: %(title)s", day=card.due_on.isoformat(), title=card.title),
              dedup_key=f"overdue:card:{card.id}:{card.due_on}")
        sent += len(session.new) - before
    return sent


def roll_weekly_boards(session: Session, today: date, definitions: dict[str, WorkflowDef]) -> list[Board]:
    """Start the new week's board of every weekly workflow and carry last week's undone cards over to it."""
    monday = weeks.monday(today)
    locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    created = []
    stale = session.scalars(select(Board).where(Board.status == "active", Board.period_start < monday)
                            .order_by(Board.id)).all()
    for old in stale:
        definition = definitions.get(old.workflow_key)
        if definition is None or not definition.weekly:
            continue
        new = _create_board(session, definition, old.unit_id, old.started_by_id, today, locale)
        columns = {c.key: c for c in new.columns}
        undone = session.scalars(select(Card).where(Card.board_id == old.id, Card.done_at.is_(None))
                                 .order_by(Card.position, Card.id)).all()
        for card in undone:
            target = columns.get(card.column.key) or new.columns[0]
            card.board_id, card.column_id, card.carried_over = new.id, target.id, True
            card.position += 1000  # after the new week's own cards
            _event(session, card, "carried", None, note=old.period_start.isoformat())
        old.status, old.closed_at = "closed", utcnow()
        created.append(new)
    session.flush()
    return created
