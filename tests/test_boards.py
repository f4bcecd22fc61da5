"""Boards: heads start workflows and assign cards, staff move their own, WIP limits and concurrent moves are
refused with a clear message, and the board, My tasks and the overview show what happened."""
from datetime import date, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import Activity, Company, Notification
from app.models.boards import Board, Card
from app.services import boards, weeks


def _switch(auth, person):
    """Sign out whoever is signed in and sign this person in."""
    if auth.token:
        auth.post("/logout")
        auth.token = None
    auth.login(person)


def _start(auth, head, key="count_responses"):
    if auth.token is None:
        auth.login(head)
    resp = auth.post(f"/workflows/{key}/start")
    assert resp.status_code == 302
    return int(resp.location.rstrip("/").split("/")[-1])


def _columns(app, board_id):
    with app.app_context():
        board = db.session.get(Board, board_id)
        return {c.key: c.id for c in board.columns}


def _cards(app, board_id):
    with app.app_context():
        return {c.title: (c.id, c.version, c.column.key) for c in
                db.session.scalars(select(Card).where(Card.board_id == board_id))}


def _add(auth, board_id, title, assignee=None, due=None, **extra):
    data = {"title": title, "assignee_id": assignee.id if assignee else "", "due_on": due or "", "priority": "normal",
            **extra}
    return auth.post(f"/boards/{board_id}/cards", data, htmx=True)


def _notes(app, user):
    with app.app_context():
        return [n.text for n in db.session.scalars(select(Notification).where(Notification.user_id == user.id))]


def test_a_head_starts_a_workflow_and_gets_its_board(app, auth, make_user):
    head = make_user("head", "promotion")
    board_id = _start(auth, head)
    page = auth.get(f"/boards/{board_id}").get_data(as_text=True)
    assert "Count every response to promotion" in page
    for column in ("To do", "In progress", "Done"):
        assert column in page
    assert "Give every response channel a source" in page and "Weekly report" in page
    assert "☑ 0/2" in page  # the template's checklist
    # Starting it again opens the running board instead of a second one.
    assert _start(auth, head) == board_id  # still signed in as the head


def test_staff_and_other_departments_heads_cannot_start_or_change(app, auth, make_user):
    head = make_user("head", "promotion")
    board_id = _start(auth, head)
    card_id = next(iter(_cards(app, board_id).values()))[0]
    for person in (make_user("staff", "promotion"), make_user("head", "sales")):
        _switch(auth, person)
        assert auth.post("/workflows/count_responses/start").status_code == 403
        assert auth.get(f"/boards/{board_id}").status_code == 200  # they can read it
        assert _add(auth, board_id, "Sneaky").status_code == 403
        assert auth.post(f"/cards/{card_id}/comments", {"body": "hi"}, htmx=True).status_code == 403


def test_assigning_a_card_tells_the_assignee_and_it_shows_in_my_tasks(app, auth, make_user):
    head, staff = make_user("head", "promotion"), make_user("staff", "promotion")
    board_id = _start(auth, head)
    soon = (date.today() + timedelta(days=1)).isoformat()
    later = (date.today() + timedelta(days=9)).isoformat()
    assert _add(auth, board_id, "Call the trade-show leads", staff, later).status_code == 200
    resp = _add(auth, board_id, "Count last week's calls", staff, soon)
    assert resp.status_code == 200 and "Count last week&#39;s calls" in resp.get_data(as_text=True)
    assert any("assigned you a task: Call the trade-show leads" in t for t in _notes(app, staff))
    _switch(auth, staff)
    page = auth.get("/my-tasks").get_data(as_text=True)
    assert page.index("Count last week") < page.index("Call the trade-show leads")  # soonest due first


def test_a_card_without_a_title_is_refused_next_to_the_field(app, auth, make_user):
    head = make_user("head", "promotion")
    board_id = _start(auth, head)
    resp = _add(auth, board_id, "  ", due="next friday")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "Give the date as YYYY-MM-DD." in body
    assert len(_cards(app, board_id)) == 2


def test_staff_move_their_own_cards_not_others_and_cannot_reassign(app, auth, make_user):
    head, staff, other = make_user("head", "promotion"), make_user("staff", "promotion"), make_user("staff", "promotion")
    board_id = _start(auth, head)
    _add(auth, board_id, "Mine", staff)
    _add(auth, board_id, "Theirs", other)
    cols, cards = _columns(app, board_id), _cards(app, board_id)
    _switch(auth, staff)
    mine, theirs = cards["Mine"], cards["Theirs"]
    resp = auth.post(f"/boards/{board_id}/columns/{cols['doing']}/cards",
                     {"moved": mine[0], "version": mine[1], "card": [mine[0]]}, htmx=True)
    assert resp.status_code == 200
    assert _cards(app, board_id)["Mine"][2] == "doing"
    assert auth.post(f"/boards/{board_id}/columns/{cols['doing']}/cards",
                     {"moved": theirs[0], "version": theirs[1], "card": [theirs[0]]}, htmx=True).status_code == 403
    version = _cards(app, board_id)["Mine"][1]
    auth.post(f"/cards/{mine[0]}/edit", {"version": version, "title": "Mine, renamed", "assignee_id": other.id,
                                         "priority": "high"}, htmx=True)
    with app.app_context():
        card = db.session.get(Card, mine[0])
        assert card.title == "Mine, renamed" and card.assignee_id == staff.id


def test_moving_someones_card_tells_them_and_the_overview_shows_the_move(app, auth, make_user):
    head, staff = make_user("head", "promotion", name="Hanna Head"), make_user("staff", "promotion")
    board_id = _start(auth, head)
    _add(auth, board_id, "Survey the callers", staff)
    cols, card = _columns(app, board_id), _cards(app, board_id)["Survey the callers"]
    resp = auth.post(f"/boards/{board_id}/move", {"card_id": card[0], "to_column": cols["done"],
                                                  "card_version": card[1]}, htmx=True)
    assert resp.status_code == 200 and 'id="board"' in resp.get_data(as_text=True)
    assert any("moved your task “Survey the callers” to Done" in t for t in _notes(app, staff))
    overview = auth.get("/overview").get_data(as_text=True)
    assert "Hanna Head moved “Survey the callers” from To do to Done" in overview
    assert "Count every response to promotion" in overview


def test_the_overview_counts_overdue_blocked_done_and_per_person(app, auth, make_user):
    head, staff = make_user("head", "promotion"), make_user("staff", "promotion", name="Sam Staff")
    board_id = _start(auth, head)
    _add(auth, board_id, "Late one", staff, (date.today() - timedelta(days=2)).isoformat())
    _add(auth, board_id, "Stuck one", staff)
    card = _cards(app, board_id)["Stuck one"]
    auth.post(f"/cards/{card[0]}/edit", {"version": card[1], "title": "Stuck one", "assignee_id": staff.id,
                                         "priority": "normal", "blocked": "1"}, htmx=True)
    with app.app_context():
        data = boards.overview(db.session, date.today())
        row = data.boards[0]
        assert (row["open"], row["overdue"], row["blocked"], row["done_week"]) == (4, 1, 1, 0)
        person = next(p for p in data.people if p["name"] == "Sam Staff")
        assert (person["open"], person["overdue"], person["blocked"]) == (2, 1, 1)
    _switch(auth, make_user("staff", "promotion"))
    assert auth.get("/overview").status_code == 403


def test_a_full_column_refuses_a_card_with_a_clear_message(app, auth, make_user):
    head = make_user("head", "promotion")
    board_id = _start(auth, head)  # "In progress" has a limit of 2 in the test definition
    for title in ("A", "B", "C"):
        _add(auth, board_id, title)
    cols, cards = _columns(app, board_id), _cards(app, board_id)
    for title in ("A", "B"):
        cid, version, _ = cards[title]
        assert auth.post(f"/boards/{board_id}/columns/{cols['doing']}/cards",
                         {"moved": cid, "version": version, "card": [cid]}, htmx=True).status_code == 200
    cid, version, _ = cards["C"]
    resp = auth.post(f"/boards/{board_id}/columns/{cols['doing']}/cards",
                     {"moved": cid, "version": version, "card": [cid]}, htmx=True)
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422 and resp.headers["HX-Retarget"] == "#board"
    assert "“In progress” already holds 2 cards, its work-in-progress limit" in body
    assert _cards(app, board_id)["C"][2] == "todo"
    assert "2 / 2" in body


def test_the_second_of_two_concurrent_moves_gets_a_message_and_a_fresh_board(app, auth, make_user, client):
    head = make_user("head", "promotion", name="First Mover")
    board_id = _start(auth, head)
    cols = _columns(app, board_id)
    cid, version, _ = _cards(app, board_id)["Weekly report"]
    # Both heads drew the board at the same version; the first move wins.
    assert auth.post(f"/boards/{board_id}/columns/{cols['doing']}/cards",
                     {"moved": cid, "version": version, "card": [cid]}, htmx=True).status_code == 200
    resp = auth.post(f"/boards/{board_id}/columns/{cols['done']}/cards",
                     {"moved": cid, "version": version, "card": [cid]}, htmx=True)
    body = resp.get_data(as_text=True)
    assert resp.status_code == 409
    assert "First Mover changed the card “Weekly report” while you were looking at an older board" in body
    assert _cards(app, board_id)["Weekly report"][2] == "doing"  # the first move stands; nothing lost
    assert f'data-id="{cid}" data-version="{version + 1}"' in body  # the refreshed board carries the new version


def test_dropping_within_a_column_stores_the_order(app, auth, make_user):
    head = make_user("head", "promotion")
    board_id = _start(auth, head)
    cols, cards = _columns(app, board_id), _cards(app, board_id)
    first, second = cards["Give every response channel a source"], cards["Weekly report"]
    resp = auth.post(f"/boards/{board_id}/columns/{cols['todo']}/cards",
                     {"moved": second[0], "version": second[1], "card": [second[0], first[0]]}, htmx=True)
    body = resp.get_data(as_text=True)
    assert body.index("Weekly report") < body.index("Give every response channel a source")
    assert _cards(app, board_id)["Give every response channel a source"][1] == first[1]  # neighbours keep versions


def test_checklist_comments_links_and_history_on_a_card(app, auth, make_user):
    head, staff = make_user("head", "promotion", name="Hanna Head"), make_user("staff", "promotion", name="Sam")
    board_id = _start(auth, head)
    with app.app_context():
        company = Company(legal_name="Ромашка", legal_form="ООО")
        db.session.add(company)
        db.session.commit()
        company_id = company.id
    cid, version, _ = _cards(app, board_id)["Give every response channel a source"]
    auth.post(f"/cards/{cid}/edit", {"version": version, "title": "Give every response channel a source",
                                     "assignee_id": staff.id, "priority": "high"}, htmx=True)
    _switch(auth, staff)
    with app.app_context():
        item = db.session.get(Card, cid).checklist[0]
    panel = auth.post(f"/cards/{cid}/checklist/{item.id}", {"done": "1"}, htmx=True).get_data(as_text=True)
    assert 'checked' in panel
    assert auth.post(f"/cards/{cid}/comments", {"body": "Phone is done"}, htmx=True).status_code == 200
    assert auth.post(f"/cards/{cid}/comments", {"body": "  "}, htmx=True).status_code == 422
    assert auth.post(f"/cards/{cid}/links", {"kind": "company", "target": company_id}, htmx=True).status_code == 200
    assert auth.post(f"/cards/{cid}/links", {"kind": "deal", "target": "999"}, htmx=True).status_code == 422
    assert auth.post(f"/cards/{cid}/links", {"kind": "campaign", "target": "12"}, htmx=True).status_code == 200
    page = auth.get(f"/cards/{cid}").get_data(as_text=True)
    assert "ООО Ромашка" in page and "Campaign #12" in page and "Phone is done" in page
    for line in ("Hanna Head:\n        created the card", "assigned it to Sam", "ticked “List every channel”",
                 "Sam:\n        commented"):
        assert " ".join(line.split()) in " ".join(page.split())
    assert any("Sam commented on “Give every response channel a source”: Phone is done" in t
               for t in _notes(app, head))


def test_a_card_with_a_long_history_shows_its_newest_events_and_the_whole_history_on_request(app, auth, make_user):
    from datetime import datetime, timezone

    from app.models.boards import CardEvent

    head = make_user("head", "promotion")
    board_id = _start(auth, head)
    cid, _version, _ = _cards(app, board_id)["Give every response channel a source"]
    with app.app_context():
        card = db.session.get(Card, cid)
        for n in range(boards.HISTORY_SHOWN + 10):
            db.session.add(CardEvent(card_id=cid, board_id=card.board_id, kind="linked", user_id=head.id,
                                     note=f"step {n:03d}", at=datetime.now(timezone.utc) + timedelta(minutes=n + 1)))
        db.session.commit()
    page = auth.get(f"/cards/{cid}").get_data(as_text=True)
    newest = f"step {boards.HISTORY_SHOWN + 9:03d}"
    assert newest in page and "step 010" in page and "step 009" not in page and "The whole history" in page
    whole = auth.get(f"/cards/{cid}", query_string={"history": "all"}).get_data(as_text=True)
    assert "step 000" in whole and newest in whole and "The whole history" not in whole


def test_the_boards_live_figure_changes_after_an_activity_is_logged(app, auth, make_user):
    head = make_user("head", "promotion")
    board_id = _start(auth, head)
    before = auth.get(f"/boards/{board_id}/figures", htmx=True).get_data(as_text=True)
    assert '<span class="num">0</span>' in before and "Activities logged this week" in before
    with app.app_context():
        company = Company(legal_name="Вектор")
        db.session.add(company)
        db.session.flush()
        db.session.add(Activity(kind="call", company_id=company.id, author_id=head.id, subject="Asked for a quote"))
        db.session.commit()
    after = auth.get(f"/boards/{board_id}/figures", htmx=True).get_data(as_text=True)
    assert '<span class="num">1</span>' in after


def test_reminders_for_due_tomorrow_and_overdue_are_sent_once(app, auth, make_user):
    head, staff = make_user("head", "promotion"), make_user("staff", "promotion")
    board_id = _start(auth, head)
    today = date.today()
    _add(auth, board_id, "Due soon", staff, (today + timedelta(days=1)).isoformat())
    _add(auth, board_id, "Late", staff, (today - timedelta(days=3)).isoformat())
    with app.app_context():
        assert boards.send_due_reminders(db.session, today) == 2
        assert boards.send_due_reminders(db.session, today) == 0
        db.session.commit()
    texts = _notes(app, staff)
    assert "Due tomorrow: Due soon" in texts
    assert f"Overdue since {(today - timedelta(days=3)).isoformat()}: Late" in texts


def test_the_weekly_workflow_rolls_over_and_carries_undone_cards(app, auth, make_user):
    head, staff = make_user("head", "sales"), make_user("staff", "sales")
    board_id = _start(auth, head, "weekly_sales_planning")
    _add(auth, board_id, "Call Ромашка about the renewal", staff)
    cols, cards = _columns(app, board_id), _cards(app, board_id)
    done_id, done_version, _ = cards["Write the week's plan"]
    auth.post(f"/boards/{board_id}/columns/{cols['done']}/cards", {"moved": done_id, "version": done_version},
              htmx=True)
    next_monday = weeks.monday(date.today()) + timedelta(days=7)
    with app.app_context():
        from app.services import workflow_definitions

        definitions = workflow_definitions.registry().workflows
        created = boards.roll_weekly_boards(db.session, next_monday, definitions)
        assert len(created) == 1 and created[0].period_start == next_monday
        new_id = created[0].id
        assert boards.roll_weekly_boards(db.session, next_monday, definitions) == []  # once a week
        assert db.session.get(Board, board_id).status == "closed"
        db.session.commit()
    new = _cards(app, new_id)
    assert "Call Ромашка about the renewal" in new and "Write the week's plan" in new  # carried + this week's own
    assert _cards(app, board_id) == {"Write the week's plan": (done_id, done_version + 1, "done")}
    page = auth.get(f"/boards/{new_id}").get_data(as_text=True)
    assert page.count("carried over") == 1


def test_a_russian_speaking_head_gets_the_board_in_russian(app, auth, make_user):
    head = make_user("head", "promotion")
    auth.login(head)
    auth.post("/language", {"lang": "ru"})
    board_id = _start(auth, head)
    page = auth.get(f"/boards/{board_id}").get_data(as_text=True)
    for text in ("Мои задачи", "Точный учёт откликов на продвижение", "К выполнению", "В работе",
                 "Назначить источник каждому каналу откликов", "Добавить карточку"):
        assert text in page


def test_a_boards_live_figures_are_counted_at_most_once_a_minute_by_a_process(app):
    """Every view of a board shows its figures, each counting the whole base: a process keeps them
    KEPT_FIGURES_SECONDS, then counts afresh."""
    from datetime import date

    from app.extensions import db
    from app.services import boards
    from app.services import workflow_definitions as registry

    with app.app_context():
        definition = next(d for d in registry.registry().workflows.values() if d.figures)
        app.config["KEPT_FIGURES_SECONDS"] = 60
        try:
            first = boards.board_figures(db.session, definition, date.today())
            again = boards.board_figures(db.session, definition, date.today())
            assert [f.name for f in first] == list(definition.figures)
            assert all(a is b for a, b in zip(first, again)), "kept, not counted again"
        finally:
            app.config["KEPT_FIGURES_SECONDS"] = 0
        fresh = boards.board_figures(db.session, definition, date.today())
        assert all(a is not b for a, b in zip(first, fresh)), "counted afresh once the time is up"
        assert [(f.name, f.value) for f in fresh] == [(f.name, f.value) for f in first]


def test_a_kept_figure_is_kept_in_each_readers_language(app):
    """A figure's label is text in the reader's language: a Russian reader's kept figure is not an English one's."""
    from datetime import date

    from app.extensions import db
    from app.i18n import speaking
    from app.services import boards
    from app.services import workflow_definitions as registry

    with app.app_context():
        definition = next(d for d in registry.registry().workflows.values() if d.figures)
        app.config["KEPT_FIGURES_SECONDS"] = 60
        try:
            with speaking("ru"):
                russian = boards.board_figures(db.session, definition, date.today())
            with speaking("en"):
                english = boards.board_figures(db.session, definition, date.today())
            with speaking("ru"):
                assert boards.board_figures(db.session, definition, date.today())[0] is russian[0]
        finally:
            app.config["KEPT_FIGURES_SECONDS"] = 0
        assert [f.label for f in russian] != [f.label for f in english]
        assert any(ch in russian[0].label.lower() for ch in "абвгдежзиклмнопрстуфхцчшщыэюя")


def test_the_home_pages_card_counts_are_what_my_tasks_lists(app, auth, make_user):
    """Overdue, due today and the rest of a person's open cards, counted in one statement, agree with the cards
    My tasks lists: a done card, another person's card and a card on a closed board are left out."""
    from datetime import datetime, timezone

    from app.models.boards import Board
    from app.services import boards

    head, staff = make_user("head", "promotion"), make_user("staff", "promotion")
    other = make_user("staff", "promotion")
    board_id = _start(auth, head)
    today = date.today()
    for title, who, due in (("late", staff, today - timedelta(days=2)), ("today", staff, today),
                            ("soon", staff, today + timedelta(days=3)), ("undated", staff, None),
                            ("finished", staff, today - timedelta(days=1)), ("theirs", other, today)):
        assert _add(auth, board_id, title, who, due.isoformat() if due else None).status_code == 200
    with app.app_context():
        finished = db.session.scalars(select(Card).where(Card.board_id == board_id, Card.title == "finished")).one()
        finished.done_at = datetime.now(timezone.utc)
        db.session.commit()
        open_cards, _done = boards.my_cards(db.session, staff.id, today)
        listed = (sum(1 for c in open_cards if c.due_on and c.due_on < today),
                  sum(1 for c in open_cards if c.due_on == today))
        counted = boards.my_card_counts(db.session, staff.id, today)
        assert counted == (*listed, len(open_cards) - sum(listed)) == (1, 1, 2)
        db.session.get(Board, board_id).status = "closed"
        db.session.commit()
        assert boards.my_card_counts(db.session, staff.id, today) == (0, 0, 0)
    _switch(auth, staff)
    assert "Overdue cards" not in auth.get("/").get_data(as_text=True)
