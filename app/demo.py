"""A realistic, deterministic demo client base in Russian and English, fast enough for 200,000 companies.

Rows are written with Core bulk inserts in batches; the same seed always gives the same base.
A few percent of companies get a deliberate near-duplicate (typo, transliteration, legal form in
another language, phone written another way) so the duplicate tools have work to do.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Callable

import click
from flask import Flask
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.i18n import tr
from app.models import (
    Activity,
    Address,
    ClientType,
    Company,
    Contact,
    Deal,
    DealLine,
    Email,
    Phone,
    Product,
    Unit,
    User,
)
from app.services.jobs import job_entry, report_progress
from app.services import passwords
from app.services.org import seed_reference_data

DEMO_PASSWORD = "demo12345"

RU_ROOTS = ["Ромашка", "Василёк", "Север", "Вектор", "Альянс", "Гранит", "Меридиан", "Техносфера", "Стройресурс",
            "Энергомаш", "Агрокомплекс", "Трансойл", "Сибирь", "Урал", "Волга", "Дон", "Нева", "Балтика", "Кедр",
            "Сокол", "Орион", "Алмаз", "Прогресс", "Импульс", "Лидер", "Феникс", "Атлант", "Титан", "Зенит", "Полюс",
            "Радуга", "Берёзка", "Магистраль", "Горизонт", "Квант", "Спектр", "Аврора", "Вертикаль", "Славянка"]
RU_SUFFIXES = ["", "", "", "Сервис", "Групп", "Плюс", "Трейд", "Инвест", "Пром", "Снаб", "Торг", "Логистик", "Софт",
               "Холдинг", "Регион", "Центр", "М", "Юг", "Восток", "Партнёр"]
EN_WORDS = ["Northwind", "Blue", "River", "Summit", "Atlas", "Nova", "Pioneer", "Harbor", "Crest", "Vertex",
            "Granite", "Silver", "Oak", "Maple", "Falcon", "Orbit", "Prime", "Delta", "Apex", "Beacon"]
EN_SUFFIXES = ["Systems", "Trading", "Logistics", "Foods", "Industries", "Solutions", "Partners", "Supply", "Labs"]
RU_FORMS = ["ООО", "ООО", "ООО", "АО", "ПАО", "ИП", "ЗАО"]
EN_FORMS = ["LLC", "Ltd", "GmbH", "Inc", "B.V."]
FIRST_M = ["Александр", "Дмитрий", "Сергей", "Андрей", "Алексей", "Иван", "Михаил", "Николай", "Павел", "Олег"]
FIRST_F = ["Елена", "Ольга", "Наталья", "Татьяна", "Анна", "Мария", "Ирина", "Светлана", "Юлия", "Екатерина"]
LAST = ["Иванов", "Смирнов", "Кузнецов", "Попов", "Соколов", "Лебедев", "Козлов", "Новиков", "Морозов", "Петров",
        "Волков", "Соловьёв", "Васильев", "Зайцев", "Павлов", "Семёнов", "Голубев", "Виноградов", "Богданов", "Фёдоров"]
EN_FIRST = ["John", "Emma", "Oliver", "Sophie", "James", "Laura", "Peter", "Anna", "Mark", "Julia"]
EN_LAST = ["Smith", "Brown", "Taylor", "Wilson", "Clark", "Walker", "Hall", "Young", "King", "Wright"]
POSITIONS = ["Генеральный директор", "Коммерческий директор", "Менеджер по закупкам", "Главный инженер",
             "Финансовый директор", "Руководитель отдела снабжения", "Маркетолог", "Procurement manager", "CEO"]
CITIES = [("Москва", "Москва", "495", "101000"), ("Санкт-Петербург", "Санкт-Петербург", "812", "190000"),
          ("Новосибирск", "Новосибирская область", "383", "630000"), ("Екатеринбург", "Свердловская область", "343", "620000"),
          ("Казань", "Республика Татарстан", "843", "420000"), ("Нижний Новгород", "Нижегородская область", "831", "603000"),
          ("Самара", "Самарская область", "846", "443000"), ("Ростов-на-Дону", "Ростовская область", "863", "344000"),
          ("Краснодар", "Краснодарский край", "861", "350000"), ("Воронеж", "Воронежская область", "473", "394000")]
STREETS = ["ул. Ленина", "ул. Садовая", "пр-т Мира", "ул. Гагарина", "ул. Советская", "наб. Реки", "ул. Заводская",
           "ул. Промышленная", "пер. Почтовый", "ш. Энтузиастов"]
INDUSTRIES = ["Производство", "Розничная торговля", "Строительство", "Логистика", "ИТ", "Сельское хозяйство",
              "Энергетика", "Медицина", "Образование", "Финансы"]
PRODUCTS = [("Промышленные насосы НП-100", "Насосы", 185000), ("Насос дренажный ДН-20", "Насосы", 42000),
            ("Счётчик воды СВ-15", "Приборы учёта", 2900), ("Теплосчётчик ТС-7", "Приборы учёта", 38000),
            ("Сервисный контракт (год)", "Сервис", 120000), ("Монтаж оборудования", "Сервис", 65000),
            ("Шкаф управления ШУ-3", "Автоматика", 97000), ("Датчик давления ДД-1", "Автоматика", 8700),
            ("Обучение персонала", "Обучение", 45000), ("Запасные части (комплект)", "Запчасти", 23000)]
LATIN = {"а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i",
         "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
         "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "",
         "э": "e", "ю": "yu", "я": "ya"}
FORM_EN = {"ООО": "LLC", "АО": "JSC", "ПАО": "PJSC", "ЗАО": "CJSC", "ИП": "IE"}


def translit(text: str) -> str:
    """Simple Russian-to-Latin transliteration, as a person typing an English form would write it."""
    out = []
    for ch in text:
        low = ch.lower()
        if low in LATIN:
            t = LATIN[low]
            out.append(t.capitalize() if ch != low else t)
        else:
            out.append(ch)
    return "".join(out)


def inn_check_digit(digits: list[int], weights: list[int]) -> int:
    return sum(d * w for d, w in zip(digits, weights)) % 11 % 10


def make_inn(rng: random.Random, person: bool = False) -> str:
    """A valid Russian INN: 10 digits for organisations, 12 for sole traders."""
    if not person:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(8)]
        d.append(inn_check_digit(d, [2, 4, 10, 3, 5, 9, 4, 6, 8]))
        return "".join(map(str, d))
    d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(9)]
    d.append(inn_check_digit(d, [7, 2, 4, 10, 3, 5, 9, 4, 6, 8]))
    d.append(inn_check_digit(d, [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]))
    return "".join(map(str, d))


def _typo(rng: random.Random, s: str) -> str:
    if len(s) < 4:
        return s
    i = rng.randrange(1, len(s) - 1)
    op = rng.choice(("swap", "drop", "double"))
    if op == "swap":
        return s[:i] + s[i + 1] + s[i] + s[i + 2:]
    if op == "drop":
        return s[:i] + s[i + 1:]
    return s[:i] + s[i] + s[i:]


def _company_name(rng: random.Random) -> tuple[str, str, bool]:
    """(legal name, legal form, is Russian)."""
    if rng.random() < 0.85:
        name = rng.choice(RU_ROOTS)
        if rng.random() < 0.3:
            name = f"{name}-{rng.choice(RU_ROOTS)}"
        suffix = rng.choice(RU_SUFFIXES)
        if suffix:
            name = f"{name} {suffix}" if rng.random() < 0.6 else f"{name}-{suffix}"
        return name, rng.choice(RU_FORMS), True
    words = rng.sample(EN_WORDS, 2 if rng.random() < 0.4 else 1)
    return f"{' '.join(words)} {rng.choice(EN_SUFFIXES)}", rng.choice(EN_FORMS), False


def _phone(rng: random.Random, code: str) -> str:
    return f"+7{code}{rng.randint(1000000, 9999999)}"


def _latin_slug(text: str) -> str:
    return "".join(ch for ch in translit(text).lower() if ch.isalnum())[:20] or "company"


def new_password() -> str:
    """A demo password for a base that is not a fresh laptop's: random, printed once."""
    import secrets

    return secrets.token_urlsafe(12)   # 16 characters: well past the password rule's minimum


def seed_users(session: Session, password: str | None) -> tuple[dict[str, list[int]], bool]:
    """Demo people (an admin, a head and staff in each unit), only in a base with nobody in it yet.

    A base that already has people (real ones, or an earlier demo's) gets no accounts at all: demo data must never
    add a known password to a portal someone uses. Returns the people by unit and whether they were created."""
    from werkzeug.security import generate_password_hash

    seed_reference_data(session)
    units = {u.code: u for u in session.scalars(select(Unit))}
    created = False
    if password and not session.scalar(select(func.count(User.id))):
        # The password rule (services/passwords.py) holds for every demo password but one: DEMO_PASSWORD, the
        # README's, which `flask bootstrap` gives only to the first start of an empty embedded (SQLite) base.
        if password != DEMO_PASSWORD:
            passwords.check(password)
        pw = generate_password_hash(password)
        people = [("admin@demo.local", "Администратор", "admin", "distribution")]
        staff_names = iter(["Анна Белова", "Игорь Крылов", "Мария Орлова", "Пётр Зуев", "Олег Титов", "Вера Ланина",
                            "Юрий Рябов", "Нина Гусева", "Глеб Сомов", "Дарья Котова", "Лев Шубин", "Ева Лисина",
                            "Роман Фомин", "Алла Жукова", "Тимур Исаев", "Кира Носова", "Степан Дьяков",
                            "Зоя Маркова"])
        for code in ("promotion", "publications", "sales", "crm", "accounts", "accounting", "logistics"):
            people.append((f"head.{code}@demo.local", next(staff_names), "head", code))
            for i in (1, 2) if code in ("sales", "accounts", "promotion") else (1,):
                people.append((f"{code}{i}@demo.local", next(staff_names), "staff", code))
        for email, name, role, code in people:
            session.add(User(email=email, name=name, role=role, unit_id=units[code].id, password_hash=pw))
        session.commit()
        created = True
    by_unit: dict[str, list[int]] = {}
    for user in session.scalars(select(User)):
        by_unit.setdefault(user.unit.code, []).append(user.id)
    return by_unit, created


def seed_demo(session: Session, companies: int = 300, contacts_per_company: float = 2.5, seed: int = 1,
              duplicate_share: float = 0.03, progress: Callable[[float], None] | None = None,
              batch: int = 5000, areas: bool = True, password: str | None = None) -> dict:
    """Generate the demo base and, once, every area's work on it; returns how many rows of each kind were written.

    Demo people are made only in a base with nobody in it, with `password` (a random one when not given, returned
    as counts["password"]); with password=False no accounts are made at all (the web job)."""
    if not isinstance(companies, int) or companies < 0:
        raise ValueError(f"the number of companies must be a whole number of 0 or more, not {companies!r}")
    rng = random.Random(seed)
    if password is None:
        password = new_password()
    by_unit, made_people = seed_users(session, password or None)
    sellers = by_unit.get("sales", []) + by_unit.get("accounts", [])
    authors = sellers + by_unit.get("promotion", [])
    types = list(session.scalars(select(ClientType.id).order_by(ClientType.id)))

    if not session.scalar(select(func.count(Product.id))):
        session.execute(insert(Product), [{"name": n, "product_line": line, "price": Decimal(p)}
                                          for n, line, p in PRODUCTS])
        session.commit()
    products = session.execute(select(Product.id, Product.price)).all()

    ids = {t: (session.scalar(select(func.max(t.id))) or 0) for t in
           (Company, Contact, Phone, Email, Address, Deal, DealLine, Activity)}
    counts = dict.fromkeys(("companies", "contacts", "phones", "emails", "addresses", "deals", "activities"), 0)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    today = now.date()
    rows: dict[type, list[dict]] = {t: [] for t in ids}

    def next_id(model) -> int:
        ids[model] += 1
        return ids[model]

    def flush_rows() -> None:
        for model in (Company, Contact, Phone, Email, Address, Deal, DealLine, Activity):
            if rows[model]:
                session.execute(model.__table__.insert(), rows[model])
                rows[model].clear()
        session.commit()

    def add_company(name, form, ru, city_row, inn, phone, email_domain, status, ctype, manager, created,
                    external_id=None) -> int:
        cid = next_id(Company)
        city, region, code, postcode = city_row
        rows[Company].append(dict(
            id=cid, legal_name=name, legal_form=form, name_sort=name.lower(), inn=inn, country="RU" if ru else "GB",
            client_type_id=ctype, industry=rng.choice(INDUSTRIES), region=region, city=city, status=status,
            account_manager_id=manager, source=rng.choice(["выставка", "сайт", "рекомендация", "звонок", "рассылка"]),
            external_id=external_id, created_at=created, updated_at=created, version=1))
        rows[Phone].append(dict(id=next_id(Phone), company_id=cid, contact_id=None, e164=phone, kind="work",
                                created_at=created, updated_at=created, flagged_invalid=False,
                                verified_at=created if rng.random() < 0.6 else None))
        rows[Email].append(dict(id=next_id(Email), company_id=cid, contact_id=None, address=f"info@{email_domain}",
                                created_at=created, updated_at=created, flagged_invalid=False,
                                verified_at=created if rng.random() < 0.6 else None))
        rows[Address].append(dict(id=next_id(Address), company_id=cid, kind="legal", postcode=str(int(postcode) + rng.randint(0, 999)),
                                  region=region, city=city, street=f"{rng.choice(STREETS)}, д. {rng.randint(1, 150)}",
                                  country="RU", created_at=created, updated_at=created, flagged_invalid=False,
                                  verified_at=created if rng.random() < 0.5 else None))
        counts["companies"] += 1
        counts["phones"] += 1
        counts["emails"] += 1
        counts["addresses"] += 1
        return cid

    for i in range(companies):
        name, form, ru = _company_name(rng)
        city_row = rng.choice(CITIES)
        domain = f"{_latin_slug(name)}{i}.ru" if ru else f"{_latin_slug(name)}{i}.com"
        created = now - timedelta(days=rng.randint(0, 1500), minutes=rng.randint(0, 1440))
        status = rng.choices(("prospect", "client", "former"), (4, 5, 1))[0]
        manager = rng.choice(sellers) if sellers and rng.random() < 0.7 else None
        ctype = rng.choice(types) if types else None
        inn = make_inn(rng, person=(form == "ИП")) if ru else None
        phone = _phone(rng, city_row[2])
        cid = add_company(name, form, ru, city_row, inn, phone, domain, status, ctype, manager, created,
                          external_id=f"DEMO-{seed}-{i}")

        n_contacts = max(1, int(rng.expovariate(1 / contacts_per_company)))
        contact_ids = []
        for _ in range(n_contacts):
            kid = next_id(Contact)
            if ru:
                female = rng.random() < 0.5
                last = rng.choice(LAST) + ("а" if female else "")
                first = rng.choice(FIRST_F if female else FIRST_M)
                person = f"{last} {first}"
            else:
                first, last = rng.choice(EN_FIRST), rng.choice(EN_LAST)
                person = f"{first} {last}"
            dnc = rng.random() < 0.02
            rows[Contact].append(dict(id=kid, company_id=cid, name=person, position=rng.choice(POSITIONS),
                                      do_not_contact=dnc, do_not_contact_at=created if dnc else None,
                                      do_not_contact_reason="просил не звонить" if dnc else None,
                                      created_at=created, updated_at=created, version=1))
            rows[Phone].append(dict(id=next_id(Phone), company_id=cid, contact_id=kid,
                                    e164=f"+79{rng.randint(100000000, 999999999)}", kind="mobile",
                                    created_at=created, updated_at=created, flagged_invalid=False,
                                    verified_at=created if rng.random() < 0.5 else None))
            rows[Email].append(dict(id=next_id(Email), company_id=cid, contact_id=kid,
                                    address=f"{_latin_slug(first)[:1]}.{_latin_slug(last)}@{domain}",
                                    created_at=created, updated_at=created, flagged_invalid=False,
                                    verified_at=created if rng.random() < 0.5 else None))
            contact_ids.append(kid)
            counts["contacts"] += 1
            counts["phones"] += 1
            counts["emails"] += 1

        for _ in range(rng.choices((0, 1, 2, 3), (3, 4, 2, 1))[0]):
            did = next_id(Deal)
            stage = rng.choices(("new", "proposal", "negotiation", "won", "lost"), (2, 2, 1, 3, 2))[0]
            opened = created + timedelta(days=rng.randint(0, 400))
            if opened > now:
                opened = now - timedelta(days=rng.randint(1, 30))
            closed = (opened + timedelta(days=rng.randint(5, 120))).date() if stage in ("won", "lost") else None
            if closed and closed > today:
                closed = today
            total = Decimal(0)
            for _ in range(rng.randint(1, 3)):
                pid, price = rng.choice(products)
                qty = rng.randint(1, 20)
                amount = Decimal(price) * qty
                total += amount
                rows[DealLine].append(dict(id=next_id(DealLine), deal_id=did, product_id=pid, quantity=qty,
                                           amount=amount))
            rows[Deal].append(dict(id=did, title=f"Сделка {did}", company_id=cid,
                                   contact_id=rng.choice(contact_ids), owner_id=manager or (rng.choice(sellers) if sellers else None),
                                   stage=stage, lost_reason="цена" if stage == "lost" else None,
                                   expected_close=(opened + timedelta(days=45)).date(), closed_on=closed,
                                   amount=total, created_at=opened, updated_at=opened, version=1))
            counts["deals"] += 1

        for _ in range(rng.choices((0, 1, 3, 6), (2, 4, 3, 1))[0]):
            at = created + timedelta(days=rng.randint(0, max(1, (now - created).days)))
            kind = rng.choice(("call", "call", "meeting", "email", "note"))
            rows[Activity].append(dict(id=next_id(Activity), kind=kind, occurred_at=min(at, now),
                                       author_id=rng.choice(authors) if authors else None, company_id=cid,
                                       contact_id=rng.choice(contact_ids), subject={"call": "Звонок", "meeting": "Встреча",
                                       "email": "Письмо", "note": "Заметка"}[kind],
                                       outcome=rng.choice(["договорились о встрече", "просит КП", "не интересно",
                                                           "перезвонить через месяц", "отправили каталог"]),
                                       created_at=at, updated_at=at))
            counts["activities"] += 1

        if rng.random() < duplicate_share:
            _add_near_duplicate(rng, add_company, name, form, ru, city_row, inn, phone, domain, ctype, created)

        if len(rows[Company]) >= batch:
            flush_rows()
            if progress:
                progress(100.0 * (i + 1) / companies)
    flush_rows()
    _advance_sequences(session, [m.__table__.name for m in ids])
    from app.services import search

    search.reindex_all(session)
    if areas and made_people:   # the areas' work is done by the demo's own people, never by real ones
        from flask import current_app

        from app.demo_areas import seed_areas

        counts.update(seed_areas(session, seed=seed, upload_dir=current_app.config["UPLOAD_DIR"]))
        session.commit()
    if progress:
        progress(100.0)
    if made_people:
        counts["password"] = password
    return counts


def _advance_sequences(session: Session, tables: list[str]) -> None:
    """Rows were written with explicit ids; move PostgreSQL's id sequences past them so later inserts work."""
    if session.get_bind().dialect.name != "postgresql":
        return
    from sqlalchemy import text

    for table in tables:
        session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                             f"GREATEST((SELECT max(id) FROM {table}), 1))"))
    session.commit()


def _add_near_duplicate(rng, add_company, name, form, ru, city_row, inn, phone, domain, ctype, created) -> None:
    """The same client entered again the way people really do it."""
    variant = rng.choice(("typo", "translit", "phone_format", "form_only"))
    dup_name, dup_form, dup_phone, dup_inn = name, form, phone, inn
    if variant == "typo":
        dup_name = _typo(rng, name)
    elif variant == "translit" and ru:
        dup_name, dup_form = translit(name), FORM_EN.get(form, form)
    elif variant == "form_only":
        dup_form = FORM_EN.get(form, form) if ru else form
        dup_inn = None
    else:
        dup_inn = None
    # The duplicate's phone is written in another format and kept as text in the raw field; stored as E.164.
    add_company(dup_name, dup_form, ru, city_row, dup_inn, dup_phone, domain, "prospect", ctype, None,
                created + timedelta(days=rng.randint(1, 200)))


def register_cli(app: Flask) -> None:
    @app.cli.group("demo")
    def demo_cli():
        """Demo data."""

    @demo_cli.command("seed")
    @click.option("--companies", default=300, show_default=True)
    @click.option("--contacts-per-company", default=2.5, show_default=True)
    @click.option("--seed", default=1, show_default=True)
    def seed_cmd(companies: int, contacts_per_company: float, seed: int) -> None:
        """Generate a deterministic demo base; demo people (with a printed random password) only in an empty base."""
        import time

        start = time.perf_counter()
        counts = seed_demo(db.session, companies=companies, contacts_per_company=contacts_per_company, seed=seed,
                           progress=lambda p: click.echo(f"\r{p:5.1f} %", nl=False))
        password = counts.pop("password", None)
        click.echo(f"\nseeded {counts} in {time.perf_counter() - start:.1f}s")
        if password:
            echo_people(password)
        else:
            click.echo("No accounts were made: the base already has people.")


def echo_people(password: str) -> None:
    """Print who can sign in to a new demo base, and with which password."""
    click.echo(f"Sign in with the password {password} as any of these people:")
    for user in db.session.scalars(select(User).order_by(User.unit_id, User.role, User.email)):
        click.echo(f"  {user.email:32} {user.role:6} {user.unit.name('ru')} · {user.name}")


@job_entry("demo_seed")
def seed_demo_job(companies: int, seed: int) -> dict:
    """Generate more demo clients in the background (the job machinery's proof, end to end)."""
    counts = seed_demo(db.session, companies=companies, seed=seed, progress=report_progress, batch=500,
                       password=False)   # the web job never makes accounts
    return {"text": tr("%(companies)s companies, %(contacts)s contacts", companies=counts["companies"],
                       contacts=counts["contacts"])}
