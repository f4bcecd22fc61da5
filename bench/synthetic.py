"""Deterministic synthetic CRM bases (companies, contacts) with a few % labelled near-duplicates.

Every entity is rebuilt from (seed, entity number), so a duplicate of any earlier entity can be
produced without keeping the base in memory: a million records stream in constant memory.
Each record carries "entity" (the truth) besides the CRM fields; the engine ignores it.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

_SURNAMES_RAW = (
    "Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков Федоров Морозов "
    "Волков Алексеев Лебедев Семенов Егоров Павлов Козлов Степанов Николаев Орлов Андреев "
    "Макаров Никитин Захаров Зайцев Соловьев Борисов Яковлев Григорьев Романов Воробьев "
    "Сергеев Кузьмин Фролов Александров Дмитриев Королев Гусев Киселев Ильин Максимов Поляков "
    "Сорокин Виноградов Ковалев Белов Медведев Антонов Тарасов Жуков Баранов Филиппов Комаров "
    "Давыдов Беляев Герасимов Богданов Осипов Сидоров Матвеев Титов Марков Миронов Крылов "
    "Куликов Карпов Власов Мельников Денисов Гаврилов Тихонов Казаков Афанасьев Данилов "
    "Савельев Тимофеев Фомин Чернов Абрамов Мартынов Ефимов Федотов Щербаков Назаров Калинин "
    "Исаев Чернышев Быков Маслов Родионов Коновалов Лазарев Воронин Климов Филатов Пономарев "
    "Голубев Кудрявцев Прохоров Наумов Потапов Журавлев Овчинников Трофимов Леонов Соболев "
    "Ермаков Колесников Гончаров Емельянов Никифоров Грачев Котов Гришин Ефремов Архипов "
    "Громов Кириллов Малышев Панов Моисеев Румянцев Акимов Кондратьев Бирюков Горбунов "
    "Анисимов Еремин Тихомиров Галкин Лукьянов Михеев Скворцов Юдин Белоусов Нестеров "
    "Симонов Прокофьев Харитонов Князев Цветков Левин Митрофанов Воронов Аксенов Софронов "
    "Мальцев Логинов Горшков Савин Краснов Майоров Демидов Елисеев Рыбаков Сафонов Плотников "
    "Демин Хохлов Фадеев Молчанов Игнатов Литвинов Ершов Ушаков Дементьев Рябов Мухин "
    "Калашников Леонтьев Лобанов Кузин Корнилов Евдокимов Бородин Платонов Некрасов Балашов "
    "Бобров Жданов Блинов Игнатьев Коротков Муравьев Крюков Беляков Богомолов Дроздов Лавров "
    "Зуев Петухов Ларин Никулин Серов Терентьев Зотов Устинов Фокин Самойлов Константинов "
    "Сахаров Шишкин Самсонов Черкасов Чистяков Носов Спиридонов Карасев Авдеев Воронцов "
    "Зверев Владимиров Селезнев Нечаев Кудряшов Седов Фирсов Андрианов Панин Головин Терехов "
    "Ульянов Шестаков Агеев Никонов Селиванов Баженов Гордеев Кожевников Пахомов Зимин "
    "Костин Широков Филимонов Ларионов Овсянников Сазонов Суворов Нефедов Корнилов Шубин "
    "Хрущев Царев Щукин Юрьев Яшин Жариков Цыганков Чайкин Шаповалов Хабибуллин Гарипов"
).split()
SURNAMES: tuple[str, ...] = tuple(dict.fromkeys(_SURNAMES_RAW))  # "Корнилов" was listed twice
MALE_NAMES = (
    "Александр Дмитрий Максим Сергей Андрей Алексей Артем Илья Кирилл Михаил Никита Матвей "
    "Роман Егор Арсений Иван Денис Евгений Даниил Тимофей Владислав Игорь Владимир Павел "
    "Руслан Марк Константин Тимур Олег Ярослав Антон Николай Глеб Данил Савелий Вадим Степан "
    "Юрий Богдан Артур Семен Макар Лев Виктор Елисей Виталий Вячеслав Захар Мирон Дамир "
    "Георгий Давид Платон Анатолий Григорий Демид Петр Леонид Эдуард Валерий Федор Аркадий"
).split()
FEMALE_NAMES = (
    "Анастасия Мария Анна Виктория Екатерина Наталья Марина Полина Софья Дарья Алиса Ксения "
    "Александра Елена Юлия Ирина Ольга Татьяна Светлана Алина Вероника Валерия Кристина "
    "Елизавета Варвара Людмила Галина Надежда Евгения Милана Ульяна Яна Диана Василиса Маргарита "
    "Алена Любовь Оксана Нина Лариса Зоя Жанна Инна Эльвира Эвелина Таисия Арина Ангелина"
).split()
EN_GIVEN = (
    "James John Robert Michael William David Richard Joseph Thomas Charles Mary Patricia "
    "Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Peter Paul Mark Laura Emma "
    "Oliver Harry Jack George Noah Olivia Amelia Isla Ava Mia Emily Sophie Grace Chloe Lucy"
).split()
EN_SURNAMES = (
    "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore "
    "Martin Jackson Thompson White Harris Clark Lewis Robinson Walker Young Allen King Wright "
    "Scott Green Baker Adams Nelson Hill Campbell Mitchell Roberts Carter Phillips Evans Turner "
    "Parker Collins Edwards Stewart Morris Murphy Cook Rogers Morgan Cooper Peterson Reed Bailey"
).split()
POSITIONS = (
    "Генеральный директор", "Коммерческий директор", "Главный бухгалтер", "Менеджер по закупкам",
    "Начальник отдела снабжения", "Инженер", "Главный инженер", "Руководитель проектов",
    "Менеджер по продажам", "Офис-менеджер", "Юрист", "Финансовый директор", "Sales manager",
    "Procurement manager", "CEO", "Технический директор", "Логист", "Специалист по тендерам",
)
ROOTS_A = (
    "Альфа Бета Гамма Дельта Омега Вектор Спектр Импульс Квант Сигма Гранит Кристалл Меридиан "
    "Горизонт Парус Маяк Вега Орион Сириус Атлант Титан Феникс Аврора Заря Рассвет Восход "
    "Ромашка Лютик Василек Березка Калина Рябина Сосна Кедр Дуб Ладога Волга Урал Сибирь Алтай "
    "Байкал Енисей Амур Кама Нева Ока Дон Кубань Таврида Полюс Север Юг Восток Запад Центр "
    "Прогресс Успех Лидер Партнер Союз Альянс Эталон Стандарт Формат Модуль Профиль Контур "
    "Ресурс Потенциал Капитал Актив Фактор Элемент Компонент Система Технология Решение Идея"
).split()
ROOTS_B = (
    "Строй Инвест Сервис Торг Пром Агро Мед Нефть Энерго Тех Техно Снаб Сбыт Транс Логистик "
    "Комплект Монтаж Проект Консалт Софт Телеком Электро Авто Металл Пласт Хим Фарм Текс Лес "
    "Маш Приборы Автоматика Инжиниринг Девелопмент Трейд Импорт Экспорт Дистрибуция Ритейл "
    "Маркет Групп Холдинг Кабель Трубы Насосы Станки Инструмент Упаковка Полимер Бетон Кровля"
).split()
SUFFIXES = ("", "", "", "", "", "Плюс", "М", "2000", "XXI", "Про", "Регион", "Север", "Юг",
            "-Центр", "-Сервис", "Групп", "НН", "СПб", "Урал", "-1", "-2", "Лтд")
CITIES = (
    "Москва", "Санкт-Петербург", "Новосибирск", "Екатеринбург", "Казань", "Нижний Новгород",
    "Челябинск", "Самара", "Омск", "Ростов-на-Дону", "Уфа", "Красноярск", "Воронеж", "Пермь",
    "Волгоград", "Краснодар", "Саратов", "Тюмень", "Тольятти", "Ижевск", "Барнаул", "Иркутск",
    "Ульяновск", "Хабаровск", "Ярославль", "Владивосток", "Махачкала", "Томск", "Оренбург",
)
STREETS = (
    "Ленина", "Мира", "Советская", "Гагарина", "Пушкина", "Лесная", "Садовая", "Молодежная",
    "Школьная", "Центральная", "Победы", "Кирова", "Заводская", "Октябрьская", "Московская",
    "Набережная", "Строителей", "Комсомольская", "Первомайская", "Новая", "Полевая", "Энтузиастов",
)
STREET_TYPES = (("ул.", "улица"), ("пр-т", "проспект"), ("пер.", "переулок"), ("ш.", "шоссе"))
LEGAL_FORMS = (
    ("ООО", "Общество с ограниченной ответственностью", "LLC", 0.70),
    ("АО", "Акционерное общество", "JSC", 0.12),
    ("ПАО", "Публичное акционерное общество", "PJSC", 0.02),
    ("ЗАО", "Закрытое акционерное общество", "CJSC", 0.04),
    ("ИП", "Индивидуальный предприниматель", "IE", 0.10),
    ("НКО", "Некоммерческая организация", "NPO", 0.02),
)
PUBLIC_DOMAINS = ("mail.ru", "yandex.ru", "gmail.com", "bk.ru", "list.ru", "rambler.ru")

_TR_SCHEMES = (
    {"х": "kh", "ц": "ts", "я": "ya", "ю": "yu", "щ": "shch", "й": "y", "ж": "zh", "ы": "y", "е": "e", "э": "e"},
    {"х": "kh", "ц": "tc", "я": "ia", "ю": "iu", "щ": "shch", "й": "i", "ж": "zh", "ы": "y", "е": "e", "э": "e"},
    {"х": "h", "ц": "c", "я": "ja", "ю": "ju", "щ": "sch", "й": "j", "ж": "zh", "ы": "y", "е": "e", "э": "e"},
)
_TR_BASE = dict(zip("абвгдзиклмнопрстуфчшъьё", ["a", "b", "v", "g", "d", "z", "i", "k", "l", "m", "n",
                                                 "o", "p", "r", "s", "t", "u", "f", "ch", "sh", "", "", "e"]))


def romanise(text: str, scheme: int = 0) -> str:
    """Latin spelling of Russian text in one of three common transliteration habits."""
    table = {**_TR_BASE, **_TR_SCHEMES[scheme % len(_TR_SCHEMES)]}
    out = []
    for ch in text:
        low = ch.lower()
        if low in table:
            lat = table[low]
            out.append(lat.capitalize() if ch != low else lat)
        else:
            out.append(ch)
    return "".join(out)


def typo(rng: random.Random, text: str) -> str:
    """One keyboard slip: a dropped, doubled, swapped or replaced letter."""
    if len(text) < 4:
        return text
    i = rng.randrange(1, len(text) - 1)
    if text[i].isdigit() or text[i - 1].isdigit() or text[i + 1].isdigit():
        return text  # a slip inside a number names another firm («№11» -> «№1»): undetectable
    kind = rng.randrange(4)
    if kind == 0:
        return text[:i] + text[i + 1:]
    if kind == 1:
        return text[:i] + text[i] + text[i:]
    if kind == 2:
        return text[:i - 1] + text[i] + text[i - 1] + text[i + 1:]
    alphabet = "абвгдежзиклмнопрстуфхцчшщыэюя" if "а" <= text[i].lower() <= "я" else "abcdefghiklmnoprstuvy"
    return text[:i] + rng.choice(alphabet) + text[i + 1:]


def make_inn(rng: random.Random) -> str:
    """A random 10-digit INN with a correct check digit."""
    digits = [rng.randrange(10) for _ in range(9)]
    digits[0] = rng.randrange(1, 10)
    w = (2, 4, 10, 3, 5, 9, 4, 6, 8)
    check = sum(d * k for d, k in zip(digits, w)) % 11 % 10
    return "".join(map(str, digits)) + str(check)


def format_phone(rng: random.Random, e164: str) -> str:
    """The same Russian number written the way people type it."""
    d = e164[2:]
    style = rng.randrange(5)
    if style == 0:
        return e164
    if style == 1:
        return f"8 ({d[:3]}) {d[3:6]}-{d[6:8]}-{d[8:]}"
    if style == 2:
        return f"+7 {d[:3]} {d[3:6]} {d[6:8]} {d[8:]}"
    if style == 3:
        return f"8{d}"
    return f"+7({d[:3]}){d[3:]}"


def _mobile(rng: random.Random) -> str:
    return "+79" + "".join(str(rng.randrange(10)) for _ in range(9))


def _landline(rng: random.Random) -> str:
    code = rng.choice(("495", "499", "812", "383", "343", "843", "831", "351", "846", "863"))
    return "+7" + code + "".join(str(rng.randrange(10)) for _ in range(7))


# --- companies -------------------------------------------------------------------------------


def company_entity(seed: int, e: int) -> dict[str, Any]:
    """Canonical facts of company number e (rebuilt identically on every call)."""
    rng = random.Random(seed * 1_000_003 + e)
    r = rng.random()
    acc = 0.0
    form = LEGAL_FORMS[0]
    for lf in LEGAL_FORMS:
        acc += lf[3]
        if r < acc:
            form = lf
            break
    if form[0] == "ИП":
        male = rng.random() < 0.6
        sur = rng.choice(SURNAMES) + ("" if male else "а")
        given = rng.choice(MALE_NAMES if male else FEMALE_NAMES)
        core = f"{sur} {given}"
    else:
        shape = rng.random()
        if shape < 0.45:
            core = rng.choice(ROOTS_A) + rng.choice(ROOTS_B).lower()
        elif shape < 0.8:
            core = rng.choice(ROOTS_A) + " " + rng.choice(ROOTS_B)
        else:
            core = rng.choice(ROOTS_B) + rng.choice(ROOTS_A).lower()
        suffix = rng.choice(SUFFIXES)
        if rng.random() < 0.5:
            core += " " + rng.choice(ROOTS_A)
        if suffix:
            core += suffix if suffix.startswith("-") else " " + suffix
    city = rng.choice(CITIES)
    stype = rng.choice(STREET_TYPES)
    # A domain belongs to one firm; namesake firms get their own (city code or a number).
    stem = romanise(core.replace(" ", "").replace("-", ""), rng.randrange(3)).lower()
    domain = f"{stem}-{e:x}" + rng.choice((".ru", ".ru", ".com", ".рф"))
    return {
        "entity": e,
        "form": form,
        "core": core,
        "inn": make_inn(rng) if rng.random() < 0.8 else None,
        "city": city,
        "street": (stype, rng.choice(STREETS), rng.randrange(1, 180), rng.randrange(1, 900)),
        "phones": [_landline(rng)] + ([_mobile(rng)] if rng.random() < 0.4 else []),
        "domain": domain,
        "email_local": rng.choice(("info", "office", "sales", "zakaz", "mail")),
    }


def _company_record(rng: random.Random, ent: dict[str, Any], rid: int, dup: bool) -> dict[str, Any]:
    short, full, latin, _ = ent["form"]
    core = ent["core"]
    if dup and rng.random() < 0.35:
        core = typo(rng, core)
    if dup and rng.random() < 0.2 and " " in core:
        a, b = core.split(" ", 1)
        core = f"{b} {a}"
    style = rng.random() if dup else rng.random() * 0.6
    if style < 0.45:
        name = f"{short} «{core}»"
    elif style < 0.6:
        name = f'{short} "{core}"'
    elif style < 0.75:
        name = f"{full} «{core}»"
    elif style < 0.85:
        name = f"{core}, {short}"
    else:
        name = f"{romanise(core, rng.randrange(3))} {latin}"
    stype, street, house, office = ent["street"]
    if rng.random() < 0.5:
        address = f"г. {ent['city']}, {stype[0]} {street}, д. {house}, оф. {office}"
    else:
        address = f"{ent['city']}, {stype[1]} {street}, дом {house}, офис {office}"
    phones = [format_phone(rng, p) for p in ent["phones"]]
    emails = [f"{ent['email_local']}@{ent['domain']}"]
    inn = ent["inn"]
    if dup:
        if rng.random() < 0.3:
            inn = None
        if rng.random() < 0.3:
            phones = phones[:1] if rng.random() < 0.5 else []
        if rng.random() < 0.3:
            emails = []
        elif rng.random() < 0.3:
            emails = [emails[0].upper()]
    return {
        "id": rid, "entity": ent["entity"], "name": name, "legal_form": "", "inn": inn,
        "phones": phones, "emails": emails, "addresses": [address], "city": ent["city"],
    }


def companies(n: int, seed: int = 7, dup_rate: float = 0.03) -> Iterator[dict[str, Any]]:
    """n company records; about dup_rate of them are near-duplicates of an earlier company."""
    rng = random.Random(seed)
    entities = 0
    for rid in range(n):
        if entities > 10 and rng.random() < dup_rate:
            ent = company_entity(seed, rng.randrange(entities))
            yield _company_record(rng, ent, rid, dup=True)
        else:
            ent = company_entity(seed, entities)
            entities += 1
            yield _company_record(rng, ent, rid, dup=False)


# --- contacts --------------------------------------------------------------------------------


PER_COMPANY = 20


def contact_entity(seed: int, e: int, n_companies: int) -> dict[str, Any]:
    """Canonical facts of contact number e (rebuilt identically on every call).

    Contacts come PER_COMPANY to a firm, drawn without repeats inside the firm, so two
    colleagues never share a name and a mailbox (real mail servers forbid that)."""
    company = (e // PER_COMPANY) % n_companies
    slot = e % PER_COMPANY
    crng = random.Random(seed * 3_000_017 + e // PER_COMPANY)
    ru_male, ru_female = len(SURNAMES) * len(MALE_NAMES), len(SURNAMES) * len(FEMALE_NAMES)
    pick = crng.sample(range(ru_male + ru_female + len(EN_SURNAMES) * len(EN_GIVEN)), PER_COMPANY)[slot]
    rng = random.Random(seed * 2_000_003 + e)
    comp = company_entity(seed, company)
    if pick < ru_male + ru_female:
        male = pick < ru_male
        k = pick if male else pick - ru_male
        names = MALE_NAMES if male else FEMALE_NAMES
        sur = SURNAMES[k // len(names)] + ("" if male else "а")
        given = names[k % len(names)]
        father = rng.choice(MALE_NAMES)
        if father.endswith(("й", "ь")):
            patr = father[:-1] + ("евич" if male else "евна")
        else:
            patr = father + ("ович" if male else "овна")
        russian = True
    else:
        k = pick % (len(EN_SURNAMES) * len(EN_GIVEN))
        sur, given, patr, russian = EN_SURNAMES[k // len(EN_GIVEN)], EN_GIVEN[k % len(EN_GIVEN)], "", False
    translit_local = romanise(given + "." + sur, rng.randrange(3)).lower()
    return {
        "entity": e, "sur": sur, "given": given, "patr": patr, "russian": russian,
        "company_id": company, "company_name": f"{comp['form'][0]} «{comp['core']}»",
        "mobile": _mobile(rng) if rng.random() < 0.8 else None,
        "office": comp["phones"][0],
        "email": f"{translit_local}@{comp['domain']}" if rng.random() < 0.7 else (
            f"{translit_local}{e}@{rng.choice(PUBLIC_DOMAINS)}"),
        "position": rng.choice(POSITIONS),
    }


def _contact_record(rng: random.Random, ent: dict[str, Any], rid: int, dup: bool) -> dict[str, Any]:
    sur, given, patr = ent["sur"], ent["given"], ent["patr"]
    if dup and rng.random() < 0.3:
        sur = typo(rng, sur)
    if dup and ent["russian"] and rng.random() < 0.2:
        sch = rng.randrange(3)
        sur, given, patr = romanise(sur, sch), romanise(given, sch), romanise(patr, sch)
    style = rng.random()
    if patr and style < 0.4:
        name = f"{sur} {given} {patr}"
    elif patr and style < 0.55 and dup:
        name = f"{sur} {given[0]}.{patr[0]}."
    elif style < 0.8:
        name = f"{given} {sur}"
    else:
        name = f"{sur} {given}"
    phones = [p for p in (ent["mobile"], ent["office"]) if p]
    phones = [format_phone(rng, p) for p in phones]
    emails = [ent["email"]]
    if dup:
        if rng.random() < 0.3:
            emails = []
        if rng.random() < 0.3 and len(phones) > 1:
            phones = phones[:1]
    rec: dict[str, Any] = {
        "id": rid, "entity": ent["entity"], "name": name, "phones": phones, "emails": emails,
        "position": ent["position"],
    }
    if dup and rng.random() < 0.5:
        rec["company_name"] = ent["company_name"]
    else:
        rec["company_id"] = ent["company_id"]
        rec["company_name"] = ent["company_name"]
    return rec


def contacts(n: int, seed: int = 11, dup_rate: float = 0.03) -> Iterator[dict[str, Any]]:
    """n contact records, PER_COMPANY to a firm; about dup_rate are near-duplicates of an earlier contact."""
    rng = random.Random(seed)
    n_companies = max(1, n // PER_COMPANY)
    entities = 0
    for rid in range(n):
        if entities > 10 and rng.random() < dup_rate:
            ent = contact_entity(seed, rng.randrange(entities), n_companies)
            yield _contact_record(rng, ent, rid, dup=True)
        else:
            ent = contact_entity(seed, entities, n_companies)
            entities += 1
            yield _contact_record(rng, ent, rid, dup=False)


# --- into the portal's tables ---------------------------------------------------------------------


def insert_base(session, kind: str, n: int, batch: int = 5000) -> int:
    """Write n synthetic companies or contacts (with their phones, emails and addresses) straight into the
    portal's tables, as a large import would leave them, so a full scan reads them from the database like
    any client base. Contacts get their firms (one per PER_COMPANY) first. Returns the records written."""
    from sqlalchemy import insert

    from app.models import Company, Contact
    from app.models.contact_points import Address, Email, Phone
    from app.services.contact_points import phone_key

    def write(table, rows: list[dict]) -> list[int]:
        if not rows:
            return []
        stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return [r[0] for r in session.execute(stmt, rows)]

    def points(owner: str, ids: list[int], recs: list[dict]) -> None:
        phones, emails, addresses = [], [], []
        for rid, rec in zip(ids, recs):
            for p in rec.get("phones") or []:
                if key := phone_key(p):
                    phones.append({owner: rid, "e164": key[:20]})
            for e in rec.get("emails") or []:
                emails.append({owner: rid, "address": e[:254]})
            for a in rec.get("addresses") or []:
                addresses.append({"company_id": rid, "street": a[:300]})
        for table, rows in ((Phone.__table__, phones), (Email.__table__, emails), (Address.__table__, addresses)):
            if rows:
                session.execute(insert(table), rows)

    def chunks(records):
        chunk = []
        for rec in records:
            chunk.append(rec)
            if len(chunk) >= batch:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    companies_t, contacts_t = Company.__table__, Contact.__table__
    if kind == "company":
        for chunk in chunks(companies(n)):
            ids = write(companies_t, [{"legal_name": r["name"], "name_sort": r["name"].lower()[:300],
                                       "inn": r["inn"], "city": r["city"]} for r in chunk])
            points("company_id", ids, chunk)
        return n
    firms: list[int] = []
    for start in range(0, max(1, n // PER_COMPANY), batch):
        count = min(batch, max(1, n // PER_COMPANY) - start)
        firms += write(companies_t, [{"legal_name": f"Фирма {start + i}", "name_sort": f"фирма {start + i}"}
                                     for i in range(count)])
    for chunk in chunks(contacts(n)):
        ids = write(contacts_t, [{"name": r["name"], "position": r.get("position"),
                                  "company_id": firms[r["company_id"]] if "company_id" in r else None}
                                 for r in chunk])
        points("contact_id", ids, chunk)
    return n
