"""Workflow views (thin: parse, call a service in app/services/boards.py, render)."""
from __future__ import annotations

from datetime import date

from flask import abort, redirect, render_template, request, url_for
from flask_htmx import make_response
from flask_login import current_user
from sqlalchemy import select

from app.extensions import db, htmx
from app.i18n import reader_locale
from app.models.boards import LINK_KINDS, PRIORITIES, Board, BoardColumn, Card, CardChecklistItem
from app.models.org import Unit
from app.services import boards as service
from app.services import numbers, permissions, signs
from app.services import workflow_definitions as registry
from app.web import render
from app.workflows import bp
from app.workflows.forms import parse_card, parse_order, parse_version


def _today() -> date:
    return date.today()




# --- workflows and boards -------------------------------------------------------------------------------------------

@bp.route("/workflows/")
def index():
    """Every workflow definition, the boards running for it, and Start for the heads who may."""
    units = {u.code: u for u in db.session.scalars(select(Unit))}
    running: dict[str, list[Board]] = {}
    for board in db.session.scalars(select(Board).where(Board.status == "active").order_by(Board.id)):
        running.setdefault(board.workflow_key, []).append(board)
    return render_template("workflows/index.html", definitions=registry.registry().workflows.values(), units=units,
                           running=running, can_start=lambda d: permissions.can_start_workflow(
                               current_user, units[d.unit].id))


@bp.route("/workflows/<key>/start", methods=["POST"])
def start(key: str):
    """A head starts a workflow for their unit; the new board opens."""
    definition = registry.workflow(key) or abort(404)
    unit = db.session.scalar(select(Unit).where(Unit.code == definition.unit))
    permissions.require(permissions.can_start_workflow(current_user, unit.id))
    try:
        board = service.start_workflow(db.session, definition, current_user, _today(), reader_locale())
    except service.BoardError as exc:
        db.session.rollback()
        return redirect(url_for("workflows.board", board_id=exc.board_id))
    db.session.commit()
    return redirect(url_for("workflows.board", board_id=board.id))


def _board_context(board: Board, **extra) -> dict:
    """What the board partial needs, with per-card texts (column titles, due dates) prepared once."""
    from app.i18n import format_day

    columns = service.board_columns(db.session, board)
    locale = reader_locale()
    due_dates = {c.due_on for view in columns for c in view.cards if c.due_on}
    return dict(board=board, definition=registry.workflow(board.workflow_key), columns=columns, today=_today(),
                locale=locale, can_manage=permissions.can_manage_board(current_user, board), me=current_user.id,
                column_titles={view.column.id: view.column.title(locale) for view in columns},
                due_labels={d: format_day(d, "short") for d in due_dates}, **extra)


@bp.route("/boards/<int:board_id>")
def board(board_id: int):
    """A board: live figures, the columns and their cards; heads of the unit add and assign cards."""
    board = db.get_or_404(Board, board_id)
    ctx = _board_context(board)
    if htmx and not htmx.boosted:
        return render_template("workflows/_board.html", **ctx)
    people = service.assignable_people(db.session, board) if ctx["can_manage"] else []
    return render_template("workflows/board.html", people=people, priorities=PRIORITIES, errors={}, values={},
                           figures=service.board_figures(db.session, ctx["definition"], _today()), **ctx)


@bp.route("/boards/<int:board_id>/figures")
def board_figures(board_id: int):
    """The board's live figures, refreshed on their own."""
    board = db.get_or_404(Board, board_id)
    return render_template("workflows/_figures.html", board=board, figures=service.board_figures(
        db.session, registry.workflow(board.workflow_key), _today()))


def _board_answer(board: Board, status: int = 200, message: str | None = None):
    """The refreshed board; used for drops, keyboard moves and refusals alike."""
    db.session.expire_all()
    body = render_template("workflows/_board.html", message=message, **_board_context(board))
    if status == 200:
        return body
    return make_response(body, status, retarget="#board", reswap="outerHTML")


@bp.route("/boards/<int:board_id>/columns/<int:column_id>/cards", methods=["POST"])
def drop(board_id: int, column_id: int):
    """Sortable's drop: the column form posts its card ids in order, the moved card and its version."""
    board = db.get_or_404(Board, board_id)
    column = db.session.get(BoardColumn, column_id)
    if column is None or column.board_id != board.id:
        abort(404)
    card = db.get_or_404(Card, request.form.get("moved", type=numbers.record_id) or 0)
    return _move_on_board(board, card, parse_version(request.form), column, parse_order(request.form))


def _move_on_board(board: Board, card: Card, version: int, column: BoardColumn, order: list[int] | None = None):
    """Move a card of this board and answer with the refreshed board, or the refusal over it."""
    if card.board_id != board.id:
        abort(404)
    permissions.require(permissions.can_work_on_card(current_user, card))
    try:
        service.move_card(db.session, card, current_user, version, column, order)
    except service.BoardError as exc:
        db.session.rollback()
        return _board_answer(board, exc.status, exc.message)
    db.session.commit()
    return _board_answer(board)


@bp.route("/boards/<int:board_id>/cards", methods=["POST"])
def add_card(board_id: int):
    """A head adds a card; the form comes back empty and the board refreshed beside it."""
    board = db.get_or_404(Board, board_id)
    permissions.require(permissions.can_manage_board(current_user, board))
    values, errors = parse_card(request.form)
    column_id = request.form.get("column_id", type=numbers.record_id)
    if not errors:
        try:
            service.add_card(db.session, board, current_user, values["title"], values["description"],
                             values["assignee_id"], values["due_on"], values["priority"], column_id)
        except service.InvalidCard as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            db.session.commit()
    people = service.assignable_people(db.session, board)
    if errors:
        return render_template("workflows/_new_card.html", board=board, people=people, priorities=PRIORITIES,
                               errors=errors, values=request.form, locale=reader_locale()), 422
    return (render_template("workflows/_new_card.html", board=board, people=people, priorities=PRIORITIES,
                            errors={}, values={}, locale=reader_locale())
            + render_template("workflows/_board.html", oob=True, **_board_context(board)))


# --- cards ------------------------------------------------------------------------------------------------------------

def _panel(card: Card, status: int = 200, message: str | None = None, errors: dict | None = None,
           compact: bool | None = None, whole_history: bool = False):
    db.session.expire_all()
    card = db.session.get(Card, card.id)
    can_manage = permissions.can_manage_board(current_user, card.board)
    if compact is None:
        compact = request.form.get("compact") == "1" or request.args.get("compact") == "1"
    events, more_history = service.history(db.session, card.id, whole=whole_history)
    ctx = dict(card=card, board=card.board, today=_today(), locale=reader_locale(), message=message, errors=errors or {},
               can_manage=can_manage, can_work=permissions.can_work_on_card(current_user, card),
               people=service.assignable_people(db.session, card.board) if can_manage else [],
               priorities=PRIORITIES, link_kinds=LINK_KINDS, events=events, more_history=more_history,
               compact=compact)
    return render("workflows/card.html", "workflows/_card_panel.html", **ctx), status


@bp.route("/cards/<int:card_id>")
def card(card_id: int):
    """One card: its fields, checklist, comments, links and history."""
    return _panel(db.get_or_404(Card, card_id), compact=False, whole_history=request.args.get("history") == "all")


@bp.route("/boards/<int:board_id>/move", methods=["POST"])
def board_move(board_id: int):
    """The board's keyboard "Move to" menu: card, target column and the version the board was drawn with."""
    card = db.get_or_404(Card, request.form.get("card_id", type=numbers.record_id) or 0)
    return _move_on_board(db.get_or_404(Board, board_id), card, parse_version(request.form, "card_version"), _target_column(card))


@bp.route("/cards/<int:card_id>/move", methods=["POST"])
def move(card_id: int):
    """The "Move to" buttons on a card's page and under My tasks."""
    card = db.get_or_404(Card, card_id)
    permissions.require(permissions.can_work_on_card(current_user, card))
    try:
        service.move_card(db.session, card, current_user, parse_version(request.form, "card_version"),
                          _target_column(card))
    except service.BoardError as exc:
        db.session.rollback()
        return _panel(card, exc.status, exc.message)
    db.session.commit()
    return _panel(card)


def _target_column(card: Card) -> BoardColumn:
    column = db.session.get(BoardColumn, request.form.get("to_column", type=numbers.record_id) or 0)
    if column is None or column.board_id != card.board_id:
        abort(404)
    return column


@bp.route("/cards/<int:card_id>/edit", methods=["POST"])
def edit(card_id: int):
    """Change a card's fields; only the unit's head reassigns it."""
    card = db.get_or_404(Card, card_id)
    permissions.require(permissions.can_work_on_card(current_user, card))
    values, errors = parse_card(request.form)
    if errors:
        return _panel(card, 422, errors=errors)
    try:
        service.update_card(db.session, card, current_user, parse_version(request.form), blocked=bool(
            request.form.get("blocked")), may_reassign=permissions.can_manage_board(current_user, card.board),
            **values)
    except service.InvalidCard as exc:
        db.session.rollback()
        return _panel(card, 422, errors=exc.errors)
    except service.BoardError as exc:
        db.session.rollback()
        return _panel(card, exc.status, exc.message)
    db.session.commit()
    return _panel(card)


@bp.route("/cards/<int:card_id>/checklist/<int:item_id>", methods=["POST"])
def check(card_id: int, item_id: int):
    """Tick or untick a checklist step."""
    card = db.get_or_404(Card, card_id)
    permissions.require(permissions.can_work_on_card(current_user, card))
    item = db.session.get(CardChecklistItem, item_id)
    if item is None or item.card_id != card.id:
        abort(404)
    service.toggle_checklist_item(db.session, item, current_user, request.form.get("done") == "1")
    db.session.commit()
    return _panel(card)


def _change_card(card_id: int, change):
    """The card writes of the assignee and the managers: check who, apply, answer with the panel."""
    card = db.get_or_404(Card, card_id)
    permissions.require(permissions.can_work_on_card(current_user, card))
    try:
        change(card)
    except service.InvalidCard as exc:
        db.session.rollback()
        return _panel(card, 422, errors=exc.errors)
    db.session.commit()
    return _panel(card)


@bp.route("/cards/<int:card_id>/checklist", methods=["POST"])
def add_check(card_id: int):
    """Add a step to the checklist."""
    return _change_card(card_id, lambda card: service.add_checklist_item(db.session, card, request.form.get("text", "")))


@bp.route("/cards/<int:card_id>/comments", methods=["POST"])
def comment(card_id: int):
    """Comment on a card; the assignee hears about it."""
    return _change_card(card_id, lambda card: service.add_comment(db.session, card, current_user,
                                                                  request.form.get("body", "")))


@bp.route("/cards/<int:card_id>/links", methods=["POST"])
def link(card_id: int):
    """Link the card to a company, deal, campaign, list or material."""
    return _change_card(card_id, lambda card: service.add_link(db.session, card, current_user,
                                                               request.form.get("kind", ""),
                                                               request.form.get("target", "")))


# --- people's views ---------------------------------------------------------------------------------------------------

@bp.route("/my-tasks")
def my_tasks():
    """The signed-in person's cards on every board, soonest due first."""
    open_cards, done = service.my_cards(db.session, current_user.id, _today(), panels=True)
    return render_template("workflows/my_tasks.html", cards=open_cards, done=done, today=_today(), locale=reader_locale(),
                           can_work=lambda c: permissions.can_work_on_card(current_user, c))


@bp.route("/overview")
def overview():
    """Heads' view of every board: overdue, per person, done this week, blocked, recent moves."""
    permissions.require(permissions.can_see_overview(current_user))
    return render("workflows/overview.html", "workflows/_overview.html",
                  data=service.overview(db.session, _today()), locale=reader_locale())


@bp.route("/signs")
def division_signs():
    """The seed's ten signs that the division is not producing, each judged from live figures."""
    states = signs.division_signs(db.session, registry.registry().signs, _today())
    return render_template("workflows/signs.html", states=states, locale=reader_locale())
