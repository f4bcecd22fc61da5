"""Board of 500 cards and the heads' overview: render time (p50/p95) next to the time of the underlying queries.

Run: python -m bench.boards [--cards 500] [--runs 60]   (SQLite in a temp folder; DATABASE_URL for another engine)
Target: the board under 150 ms at the 95th percentile on SQLite.
"""
from __future__ import annotations

import argparse
import os
import random
import tempfile
from datetime import date, timedelta
from pathlib import Path

from bench._common import timed_wall_cpu

DEFINITION = """
unit = "promotion"
figures = ["activities_this_week"]
title = { ru = "Учёт откликов", en = "Count every response to promotion" }
purpose = { ru = "Считать каждый отклик.", en = "Count every response." }
[[columns]]
key = "todo"
title = { ru = "К выполнению", en = "To do" }
[[columns]]
key = "doing"
title = { ru = "В работе", en = "In progress" }
[[columns]]
key = "review"
title = { ru = "На проверке", en = "Review" }
[[columns]]
key = "done"
title = { ru = "Готово", en = "Done" }
"""


def timed(fn, runs: int) -> tuple[float, float, float, float]:
    """Wall-clock and CPU p50/p95 in milliseconds after two warm-up calls."""
    return timed_wall_cpu(fn, runs, warmup=2)


def seed(app, cards: int, other_boards: int, other_cards: int) -> dict:
    """One head, 20 staff, the measured board of `cards` cards and more boards for the overview."""
    from sqlalchemy import insert

    from app.extensions import db
    from app.models.boards import Card, CardChecklistItem, CardComment
    from app.services import boards
    from app.services.org import create_user, seed_reference_data
    from app.services.workflow_definitions import workflow

    rng = random.Random(7)
    with app.app_context():
        db.create_all()
        seed_reference_data(db.session)
        head = create_user(db.session, "head@bench.local", "bench-password", "head", "promotion", name="Head")
        staff = [create_user(db.session, f"s{i}@bench.local", "bench-password", "staff", "promotion", name=f"Seller {i}")
                 for i in range(20)]
        definition = workflow("count")
        plan = []
        for n in range(1 + other_boards):
            board = boards._create_board(db.session, definition, head.unit_id, head.id, date.today(), "en")
            board.workflow_key = f"count-{n}" if n else "count"
            db.session.flush()
            plan.append((board.id, [c.id for c in board.columns], cards if n == 0 else other_cards))
        db.session.commit()
        now = boards.utcnow()
        card_rows, checks, comments = [], [], []
        next_id = 1
        for board_id, column_ids, count in plan:
            for i in range(count):
                column = rng.choice(column_ids)
                card_rows.append(dict(id=next_id, board_id=board_id, column_id=column, position=i,
                                      title=f"Task {i}: call the client back about the offer",
                                      assignee_id=rng.choice(staff).id, priority=rng.choice(("low", "normal", "high")),
                                      due_on=date.today() + timedelta(days=rng.randint(-5, 20)),
                                      blocked=rng.random() < .05, carried_over=False, version=1,
                                      done_at=now if column == column_ids[-1] else None, created_by_id=head.id,
                                      created_at=now, updated_at=now))
                checks += [dict(card_id=next_id, text=f"Step {j}", position=j, done=rng.random() < .4)
                           for j in range(3)]
                comments += [dict(card_id=next_id, author_id=head.id, body="Noted", created_at=now)
                             for _ in range(rng.randint(0, 2))]
                next_id += 1
        db.session.execute(insert(Card), card_rows)
        db.session.execute(insert(CardChecklistItem), checks)
        db.session.execute(insert(CardComment), comments)
        db.session.commit()
        return {"head": head.get_id(), "staff": [s.id for s in staff], "board": plan[0][0], "columns": plan[0][1],
                "total_cards": len(card_rows)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cards", type=int, default=500)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--freeze-gc", action="store_true",
                        help="gc.freeze() after start-up, as a pre-forking server would, so full collections skip "
                             "the long-lived objects")
    args = parser.parse_args()

    from app import create_app
    from app.config import TestConfig

    tmp = Path(tempfile.mkdtemp(prefix="bench-boards-"))
    (tmp / "workflows").mkdir()
    (tmp / "workflows" / "count.toml").write_text(DEFINITION, encoding="utf-8")
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.db'}"
    app = create_app({**{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
                      "SQLALCHEMY_DATABASE_URI": url, "WORKFLOWS_DIR": tmp / "workflows", "WTF_CSRF_ENABLED": False,
                      "START_INPROCESS_WORKER": False, "TESTING": False})
    ids = seed(app, args.cards, other_boards=9, other_cards=50)

    from app.extensions import db
    from app.models.boards import Board, Card
    from app.services import boards

    client = app.test_client()
    with client.session_transaction() as s:
        s["_user_id"], s["_fresh"] = ids["head"], True
    board_url = f"/boards/{ids['board']}"
    htmx = {"HX-Request": "true"}

    def get(url, headers=None):
        resp = client.get(url, headers=headers or {})
        assert resp.status_code == 200, (url, resp.status_code)

    def board_queries():
        with app.app_context():
            boards.board_columns(db.session, db.session.get(Board, ids["board"]))
            db.session.remove()

    def overview_queries():
        with app.app_context():
            boards.overview(db.session, date.today())
            db.session.remove()

    if args.freeze_gc:
        import gc

        gc.collect()
        gc.freeze()
    rng = random.Random(3)
    with app.app_context():
        card_ids = list(db.session.scalars(db.select(Card.id).where(Card.board_id == ids["board"])))

    def current(card_id):
        with app.app_context():
            card = db.session.get(Card, card_id)
            values = {"version": card.version, "title": card.title, "priority": card.priority}
            db.session.remove()
            return values

    def move():
        card_id = rng.choice(card_ids)
        resp = client.post(f"/boards/{ids['board']}/move", headers=htmx,
                           data={"card_id": card_id, "to_column": rng.choice(ids["columns"][:3]), "card_version": current(card_id)["version"]})
        assert resp.status_code == 200, resp.status_code

    def comment():
        resp = client.post(f"/cards/{rng.choice(card_ids)}/comments", data={"body": "Called, waiting"}, headers=htmx)
        assert resp.status_code == 200, resp.status_code

    def assign():
        card_id = rng.choice(card_ids)
        resp = client.post(f"/cards/{card_id}/edit", headers=htmx,
                           data={**current(card_id), "assignee_id": rng.choice(ids["staff"])})
        assert resp.status_code == 200, resp.status_code

    rows = [
        (f"board page, {args.cards} cards (whole page, figures included)", timed(lambda: get(board_url), args.runs)),
        (f"board partial, {args.cards} cards (what a drop or move answers)",
         timed(lambda: get(board_url, htmx), args.runs)),
        ("  reference: the board's queries alone (4 SELECTs)", timed(board_queries, args.runs)),
        (f"overview page (10 boards, {ids['total_cards']} cards)", timed(lambda: get("/overview"), args.runs)),
        ("  reference: the overview's queries alone", timed(overview_queries, args.runs)),
        ("move a card (keyboard menu; answers the board partial)", timed(move, args.runs)),
        ("comment on a card (answers the card panel)", timed(comment, args.runs)),
        ("reassign a card (answers the card panel)", timed(assign, args.runs)),
    ]
    print(f"engine: {url.split(':', 1)[0]}; runs per line: {args.runs}; gc.freeze: {args.freeze_gc}; "
          f"date: {date.today().isoformat()}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'what':<66} {'wall p50':>9} {'wall p95':>9} {'cpu p50':>8} {'cpu p95':>8}")
    for label, (p50, p95, c50, c95) in rows:
        print(f"{label:<66} {p50:9.1f} {p95:9.1f} {c50:8.1f} {c95:8.1f}")


if __name__ == "__main__":
    main()
