"""Notifications: sent once per reminder, counted on the bell, opened to the thing they are about."""
from app.extensions import db
from app.services import notifications


def test_a_notification_shows_on_the_bell_and_opens_its_link(app, auth, make_user):
    user = make_user()
    with app.app_context():
        assert notifications.notify(db.session, [user.id], "assigned", "Card assigned to you", url="/jobs/",
                                    dedup_key="k1") == 1
        assert notifications.notify(db.session, [user.id], "assigned", "again", dedup_key="k1") == 0
        db.session.commit()
    auth.login(user)
    bell = auth.get("/notifications/bell", htmx=True).get_data(as_text=True)
    assert ">1<" in bell
    page = auth.get("/notifications").get_data(as_text=True)
    assert "Card assigned to you" in page
    with app.app_context():
        nid = notifications.recent(db.session, user.id)[0].id
    resp = auth.post(f"/notifications/{nid}/open")
    assert resp.status_code == 302 and resp.location.endswith("/jobs/")
    assert ">1<" not in auth.get("/notifications/bell", htmx=True).get_data(as_text=True)


def test_nobody_opens_another_persons_notification(app, auth, make_user):
    owner, other = make_user(), make_user()
    with app.app_context():
        notifications.notify(db.session, [owner.id], "x", "private")
        db.session.commit()
        nid = notifications.recent(db.session, owner.id)[0].id
    auth.login(other)
    assert auth.post(f"/notifications/{nid}/open").status_code == 404


def test_the_count_read_with_the_signed_in_person_is_forgotten_once_anything_changes(app, make_user):
    from app.services import settings

    user = make_user()
    with app.app_context():
        notifications.notify(db.session, [user.id], "x", "first")
        db.session.commit()
        notifications.remember_unread(db.session, user.id, 1)   # what load_user keeps for the request
        assert notifications.unread_count(db.session, user.id) == 1
        notifications.notify(db.session, [user.id], "x", "second")
        db.session.flush()
        assert notifications.unread_count(db.session, user.id) == 2     # read again, not the kept 1
        notifications.remember_unread(db.session, user.id, 2)
        notifications.mark_read(db.session, user.id)
        assert notifications.unread_count(db.session, user.id) == 0
        # the portal setting read with the person is kept the same way, and a change replaces it
        settings.remember(db.session, settings.TWO_STEP_FOR_EVERYONE, None)
        assert settings.two_step_for_everyone(db.session) is False
        settings.set_two_step_for_everyone(db.session, True, user.id)
        assert settings.two_step_for_everyone(db.session) is True
        db.session.rollback()


def test_every_page_shows_the_unread_count_read_in_the_same_statement_as_the_person(app, auth, make_user):
    from sqlalchemy import event

    user = make_user()
    with app.app_context():
        notifications.notify(db.session, [user.id], "x", "one")
        notifications.notify(db.session, [user.id], "y", "two")
        db.session.commit()
        engine = db.engine
    auth.login(user)
    statements = []
    grab = lambda conn, cursor, st, *a: statements.append(st)  # noqa: E731
    event.listen(engine, "before_cursor_execute", grab)
    try:
        bell = auth.get("/notifications/bell", htmx=True).get_data(as_text=True)
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    assert ">2<" in bell
    assert [s for s in statements if "notifications" in s] == [s for s in statements if "FROM users" in s]
    assert not [s for s in statements if "FROM portal_settings" in s and "FROM users" not in s]
