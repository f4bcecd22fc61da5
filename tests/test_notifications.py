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
