"""A stale save merges: two people edit the same company or contact from the same version. Different fields:
both changes are kept. The same field: the clash is shown next to it and nothing is saved; saving again keeps
the second person's value there and the first person's changes everywhere else."""
from html.parser import HTMLParser

from app.extensions import db
from app.models.companies import Company
from app.models.contacts import Contact
from tests.companies_support import make_company, make_contact
from tests.conftest import Auth


class _Form(HTMLParser):
    """What a browser would send for the page's edit form: every input, select and textarea with its value."""

    def __init__(self, action_part: str):
        super().__init__()
        self.action_part, self.inside, self.fields = action_part, False, []
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and self.action_part in (a.get("action") or ""):
            self.inside = True
        if not self.inside:
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "button"):
            if a.get("type") != "checkbox" or "checked" in a:
                self.fields.append([a["name"], a.get("value") or ""])
        elif tag == "select":
            self._select = [a["name"], None, None]
        elif tag == "option" and self._select is not None:
            if self._select[2] is None:
                self._select[2] = a.get("value", "")
            if "selected" in a:
                self._select[1] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = [a["name"], ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self._select is not None:
            name, chosen, first = self._select
            self.fields.append([name, chosen if chosen is not None else first or ""])
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.fields.append(self._textarea)
            self._textarea = None


def _open(auth: Auth, url: str) -> dict:
    """Open the edit page and read its form as the browser holds it."""
    return _read(auth.get(url).get_data(as_text=True), url)


def _read(html: str, url: str) -> dict:
    parser = _Form(url)
    parser.feed(html)
    assert parser.fields, "the page shows no edit form"
    return dict(parser.fields)


def _person(app, make_user, name: str) -> Auth:
    auth = Auth(app.test_client())
    auth.login(make_user("staff", "crm", name=name))
    return auth


def _row(form: dict, name: str) -> str:
    """The name of the form's first phone or email row (rows are numbered as the page built them)."""
    return next(k for k in form if k.startswith(name + "-"))


def _field_block(html: str, field_id: str) -> str:
    start = html.index(f'id="field-{field_id}"')
    return html[html.rindex("<div", 0, start):html.index("</div>", start)]


def test_two_people_change_different_company_fields_and_both_changes_are_kept(app, make_user):
    cid = make_company(app)
    url = f"/crm/companies/{cid}/edit"
    anna, boris = _person(app, make_user, "Анна"), _person(app, make_user, "Борис")
    form_a, form_b = _open(anna, url), _open(boris, url)
    assert form_a["version"] == "1" and form_a["original-city"] == "Москва"
    form_b.update(city="Казань", region="Татарстан")
    assert boris.post(url, form_b).status_code == 302
    form_a.update(industry="Насосы", notes="Звонить после обеда")
    assert anna.post(url, form_a).status_code == 302  # an older copy, merged
    with app.app_context():
        company = db.session.get(Company, cid)
        assert (company.city, company.region) == ("Казань", "Татарстан")  # Борис's changes are not reverted
        assert (company.industry, company.notes) == ("Насосы", "Звонить после обеда")
        assert company.version == 3


def test_the_same_company_field_is_a_clash_shown_next_to_it_and_nothing_is_saved(app, make_user):
    cid = make_company(app)
    url = f"/crm/companies/{cid}/edit"
    anna, boris = _person(app, make_user, "Анна"), _person(app, make_user, "Борис")
    form_a, form_b = _open(anna, url), _open(boris, url)
    form_b.update(city="Казань", region="Татарстан")
    assert boris.post(url, form_b).status_code == 302
    form_a.update(city="Самара", industry="Насосы")
    refused = anna.post(url, form_a)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "someone else changed the same fields" in html
    city = _field_block(html, "city")
    assert "has-error" in city and "«Казань»" in city and 'value="Самара"' in city  # hers kept, theirs named
    assert "has-error" not in _field_block(html, "industry")
    with app.app_context():
        company = db.session.get(Company, cid)
        assert (company.city, company.region, company.industry) == ("Казань", "Татарстан", None)
    # She saves again from the page she was shown: her city and industry, his region stays.
    again = _read(html, url)
    assert again["region"] == "Татарстан" and again["industry"] == "Насосы" and again["version"] == "2"
    assert anna.post(url, again).status_code == 302
    with app.app_context():
        company = db.session.get(Company, cid)
        assert (company.city, company.region, company.industry) == ("Самара", "Татарстан", "Насосы")


def test_the_same_value_typed_by_both_is_no_clash(app, make_user):
    cid = make_company(app)
    url = f"/crm/companies/{cid}/edit"
    anna, boris = _person(app, make_user, "Анна"), _person(app, make_user, "Борис")
    form_a, form_b = _open(anna, url), _open(boris, url)
    form_b.update(city="Казань")
    assert boris.post(url, form_b).status_code == 302
    form_a.update(city="Казань", tags="ключевой")
    assert anna.post(url, form_a).status_code == 302
    with app.app_context():
        company = db.session.get(Company, cid)
        assert company.city == "Казань" and [t.name for t in company.tags] == ["ключевой"]


def test_two_people_change_different_contact_fields_and_both_changes_are_kept(app, make_user):
    cid = make_company(app)
    kid = make_contact(app, cid, phones=["+79161234567"])
    url = f"/crm/contacts/{kid}/edit"
    anna, boris = _person(app, make_user, "Анна"), _person(app, make_user, "Борис")
    form_a, form_b = _open(anna, url), _open(boris, url)
    form_b.update({_row(form_b, "phones"): "+7 916 765-43-21", _row(form_b, "emails"): "ivanov@romashka.ru"})
    assert boris.post(url, form_b).status_code == 302
    form_a.update(position="Главный инженер", notes="Любит чай")
    assert anna.post(url, form_a).status_code == 302
    with app.app_context():
        contact = db.session.get(Contact, kid)
        assert (contact.position, contact.notes) == ("Главный инженер", "Любит чай")
        assert [p.e164 for p in contact.phones] == ["+79167654321"]  # his phone is not reverted
        assert [e.address for e in contact.emails] == ["ivanov@romashka.ru"]


def test_the_same_contact_field_is_a_clash_and_nothing_is_saved(app, make_user):
    cid = make_company(app)
    kid = make_contact(app, cid, phones=["+79161234567"])
    url = f"/crm/contacts/{kid}/edit"
    anna, boris = _person(app, make_user, "Анна"), _person(app, make_user, "Борис")
    form_a, form_b = _open(anna, url), _open(boris, url)
    form_b.update({"position": "Директор", _row(form_b, "phones"): "+7 916 765-43-21"})
    assert boris.post(url, form_b).status_code == 302
    form_a.update({"position": "Инженер", "notes": "Любит чай"})
    refused = anna.post(url, form_a)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409
    position = _field_block(html, "position")
    assert "has-error" in position and "«Директор»" in position and 'value="Инженер"' in position
    assert "+7 916 765-43-21" in _field_block(html, _row(_read(html, url), "phones"))  # untouched: his phone
    with app.app_context():
        contact = db.session.get(Contact, kid)
        assert (contact.position, contact.notes) == ("Директор", None)
        assert [p.e164 for p in contact.phones] == ["+79167654321"]


def test_a_clash_on_the_phones_of_a_contact(app, make_user):
    cid = make_company(app)
    kid = make_contact(app, cid, phones=["+79161234567"])
    url = f"/crm/contacts/{kid}/edit"
    anna, boris = _person(app, make_user, "Анна"), _person(app, make_user, "Борис")
    form_a, form_b = _open(anna, url), _open(boris, url)
    form_b[_row(form_b, "phones")] = "+7 916 765-43-21"
    assert boris.post(url, form_b).status_code == 302
    form_a[_row(form_a, "phones")] = "+7 916 000-00-01"
    refused = anna.post(url, form_a)
    assert refused.status_code == 409
    html = refused.get_data(as_text=True)
    assert "«+7 916 765-43-21»" in _field_block(html, _row(_read(html, url), "phones"))
    with app.app_context():
        assert [p.e164 for p in db.session.get(Contact, kid).phones] == ["+79167654321"]


def test_click_to_edit_on_an_older_page_merges_too(app, make_user):
    cid = make_company(app)
    anna, boris = _person(app, make_user, "Анна"), _person(app, make_user, "Борис")
    city = anna.get(f"/crm/companies/{cid}/field/city?edit=1", htmx=True).get_data(as_text=True)
    assert 'name="original-city" value="Москва"' in city
    name = boris.get(f"/crm/companies/{cid}/field/legal_name?edit=1", htmx=True).get_data(as_text=True)
    assert 'name="original-legal_name" value="Ромашка"' in name
    renamed = boris.post(f"/crm/companies/{cid}/field/legal_name",
                         {"legal_name": "Лютик", "version": "1", "original-legal_name": "Ромашка"}, htmx=True)
    assert renamed.status_code == 200
    saved = anna.post(f"/crm/companies/{cid}/field/city", {"city": "Тверь", "version": "1", "original-city": "Москва"},
                      htmx=True)
    assert saved.status_code == 200  # another field changed meanwhile: merged
    clash = boris.post(f"/crm/companies/{cid}/field/city", {"city": "Омск", "version": "2", "original-city": "Москва"},
                       htmx=True)
    html = clash.get_data(as_text=True)
    assert clash.status_code == 409 and "«Тверь»" in html and 'value="Омск"' in html
    with app.app_context():
        company = db.session.get(Company, cid)
        assert (company.legal_name, company.city) == ("Лютик", "Тверь")


def test_the_clash_speaks_russian(app, make_user):
    cid = make_company(app)
    url = f"/crm/companies/{cid}/edit"
    anna, boris = _person(app, make_user, "Анна"), _person(app, make_user, "Борис")
    anna.post("/language", {"lang": "ru", "next": url})
    form_a, form_b = _open(anna, url), _open(boris, url)
    form_b["city"] = "Казань"
    assert boris.post(url, form_b).status_code == 302
    form_a["city"] = "Самара"
    html = anna.post(url, form_a).get_data(as_text=True)
    assert "Каждое отмечено у самого поля" in html
    assert "это поле изменил другой человек: «Казань»" in _field_block(html, "city")
