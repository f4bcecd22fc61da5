"""Demo work in every area on top of the demo client base, written through the areas' own services.

The client base (app/demo.py) is bulk-inserted for speed; the areas' work is small (tens to a few hundred rows per
area whatever the base size) and goes through the same services people use, so it obeys the same rules and stays
consistent: campaigns with spend and responses, the year plan, materials used in deals, week plans with reviews,
a survey with answers, key accounts with hand-overs and requests in every state, every workflow's board with
cards in every column, and the duplicate and verification queues. The same seed gives the same work.
"""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Company, Contact, Deal, Email, Phone, Product, Unit, User
from app.models.boards import Board, Card
from app.models.campaigns import Campaign


def _people(session: Session) -> dict[str, dict[str, list[User]]]:
    """Active people by unit code and role, in a stable order."""
    out: dict[str, dict[str, list[User]]] = {}
    for user in session.scalars(select(User).where(User.is_active_user.is_(True)).order_by(User.id)):
        out.setdefault(user.unit.code, {}).setdefault(user.role, []).append(user)
    return out


def _first(people, unit: str, role: str) -> User | None:
    return (people.get(unit, {}).get(role) or [None])[0]


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.utc)


def seed_areas(session: Session, seed: int = 1, today: date | None = None, upload_dir: Path | None = None,
               locale: str = "ru", queues: bool = True) -> dict[str, int]:
    """Fill every area once (a base that already has campaigns is left as it is); returns rows per area."""
    if session.scalar(select(func.count(Campaign.id))):
        return {}
    rng = random.Random(seed * 7919)
    today = today or date.today()
    people = _people(session)
    admin = _first(people, "distribution", "admin")
    if admin is None:
        return {}
    clients = list(session.scalars(select(Company).where(Company.status == "client", Company.deleted_at.is_(None))
                                   .order_by(Company.id).limit(400)))
    prospects = list(session.scalars(select(Company).where(Company.status == "prospect",
                                                           Company.deleted_at.is_(None))
                                     .order_by(Company.id).limit(200)))
    if len(clients) < 12:
        return {}
    counts: dict[str, int] = {}
    upload_dir = Path(upload_dir or "instance/uploads")
    campaign_ids = _promotion(session, rng, today, people, clients, prospects, counts)
    _materials(session, rng, today, people, counts, upload_dir)
    _week_plans(session, rng, today, people, clients, counts)
    _survey(session, rng, people, clients, campaign_ids, counts)
    _key_accounts(session, rng, today, people, clients, counts, upload_dir)
    _boards(session, rng, today, people, counts, locale)
    session.flush()
    if queues:
        _queues(session, counts)
    return counts


def _queues(session, counts) -> None:
    """The duplicate review queue filled by a scan of the base, as the nightly scan would leave it."""
    from app.services import duplicates, matching

    for kind in ("company", "contact"):
        counts[f"duplicate_groups_{kind}"] = duplicates.fill_queue(session, kind, matching.scan(session, kind))


def _promotion(session, rng, today, people, clients, prospects, counts) -> list[int]:
    """Two years of campaigns in several channels, their spend, the year plan and responses counted three ways."""
    from app.services import campaigns, promotion_plan, responses

    head = _first(people, "promotion", "head")
    staff = people.get("promotion", {}).get("staff", []) or [head]
    channels = [c for c in campaigns.channels(session) if c.active]
    year = today.year
    plans = {}
    for y in (year - 1, year):
        plan = promotion_plan.ensure_plan(session, y, head.id if head else None)
        cells = {}
        for month in range(1, 13):
            for chan in channels[:4]:
                cells[(month, chan.id)] = Decimal(rng.choice((20000, 35000, 50000, 80000)))
        promotion_plan.save_budget(session, plan.id, cells)
        plans[y] = plan
    themes = ["Весенняя рассылка", "Выставка «Металл-Экспо»", "Осенняя акция", "Вебинар для инженеров",
              "Каталог насосов", "Новогодняя рассылка", "Летний обзвон", "Реклама в отраслевом журнале",
              "Семинар для снабженцев", "Акция на приборы учёта", "Рассылка по дилерам", "Презентация новинок"]
    ids = []
    for i, theme in enumerate(themes):  # every eight weeks over two years: the newest runs now, the last is planned
        starts = today - timedelta(days=56 * (len(themes) - 2 - i) + 10)
        ends = starts + timedelta(days=rng.randint(14, 40))
        status = "finished" if ends < today else ("running" if starts <= today else "planned")
        chan = channels[i % len(channels)]
        campaign = campaigns.save_campaign(session, campaigns.CampaignInput(
            name=f"{theme} {starts.year}", channel_id=chan.id, status=status, starts_on=starts, ends_on=ends,
            planned_budget=Decimal(rng.choice((40000, 60000, 90000, 150000))),
            owner_id=rng.choice(staff).id, plan_id=plans[starts.year].id if starts.year in plans else None,
            audience="Клиенты и перспективные компании", notes=None))
        ids.append(campaign.id)
        if status != "planned":
            for _ in range(rng.randint(1, 3)):
                day = min(today, starts + timedelta(days=rng.randint(0, 20)))
                campaigns.add_spend(session, campaign.id, day, Decimal(rng.randint(8, 60) * 1000),
                                    rng.choice(("печать", "рассылка", "аренда стенда", "реклама")), None)
        if status == "finished" and i % 3 != 2:
            campaigns.mark_analysed(session, campaign.id, "Откликов больше, чем в прошлом году; повторить осенью.")
    counts["campaigns"] = len(ids)
    # Responses: known clients (some answering twice), newcomers, and some whose campaign nobody knows.
    n = 0
    pool = clients[:120] + prospects[:60]
    for cid in ids:
        campaign = session.get(Campaign, cid)
        if campaign.status == "planned":
            continue
        for _ in range(rng.randint(4, 10)):
            company = rng.choice(pool)
            contact = session.scalars(select(Contact).where(Contact.company_id == company.id).limit(1)).first()
            email = session.scalar(select(Email.address).where(Email.contact_id == contact.id).limit(1)) if contact \
                else None
            received = _at(min(today, campaign.starts_on + timedelta(days=rng.randint(0, 25))), rng.randint(9, 18))
            if received > _at(today, 23):
                received = _at(today, 9)
            for repeat in range(2 if rng.random() < 0.15 else 1):
                response = responses.record_response(session, responses.ResponseInput(
                    campaign_id=cid, name=contact.name if contact else None, email=email,
                    company_name=company.display_name, message="Просим прислать коммерческое предложение.",
                    received_at=received + timedelta(days=repeat), source="staff",
                    handled_by_id=rng.choice(staff).id, company_id=company.id))
                n += 1
                roll = rng.random()
                if not repeat and roll < 0.12:
                    responses.set_status(session, response.id, "converted", user_id=rng.choice(staff).id)
                elif not repeat and roll < 0.35:
                    responses.set_status(session, response.id, "qualified", user_id=rng.choice(staff).id)
                elif not repeat and roll < 0.45:
                    responses.set_status(session, response.id, "disqualified", reason="нет потребности",
                                         user_id=rng.choice(staff).id)
    for i in range(6):
        company = rng.choice(prospects or clients)
        responses.record_response(session, responses.ResponseInput(
            campaign_id=None, name=f"Посетитель {i + 1}", company_name=company.display_name,
            phone=session.scalar(select(Phone.e164).where(Phone.company_id == company.id).limit(1)),
            message="Узнали о вас от коллег.", received_at=_at(today - timedelta(days=6 + i * 5)), source="staff",
            handled_by_id=staff[0].id, company_id=company.id))
        n += 1
    counts["responses"] = n
    session.flush()
    return ids


def _materials(session, rng, today, people, counts, upload_dir) -> None:
    """Sales materials for part of the product x client-type matrix, used in won and lost deals."""
    from app.models import ClientType
    from app.services import materials

    author = _first(people, "promotion", "head") or _first(people, "distribution", "admin")
    sellers = people.get("sales", {}).get("staff", [])
    products = list(session.scalars(select(Product).order_by(Product.id)))
    types = list(session.scalars(select(ClientType).order_by(ClientType.id)))
    kinds = ["price_list", "presentation", "case_study", "data_sheet", "call_script", "scheme"]
    made = []
    for i, product in enumerate(products[:8]):
        ctypes = [types[i % len(types)].id] if types else []
        material = materials.create_material(
            session, author, title=f"{product.name}: {['прайс-лист', 'презентация', 'кейс клиента', 'паспорт', 'скрипт звонка', 'схема монтажа'][i % 6]}",
            kind=kinds[i % len(kinds)], product_ids=[product.id], client_type_ids=ctypes,
            seller_ids=[sellers[i % len(sellers)].id] if sellers and i % 3 == 0 else [],
            edition=f"{today.year}.{i % 3 + 1}", issued_on=today - timedelta(days=30 * i), private=False,
            link=f"https://intranet.example/materials/{i + 1}", upload=None, upload_dir=upload_dir,
            max_bytes=20 * 1024 * 1024)
        made.append(material)
    deals = list(session.scalars(select(Deal).where(Deal.stage.in_(("won", "lost"))).order_by(Deal.id).limit(60)))
    uses = 0
    for deal in deals:
        owner = session.get(User, deal.owner_id) if deal.owner_id else None
        if owner is None or not made:
            continue
        for material in rng.sample(made, k=min(len(made), rng.randint(1, 2))):
            materials.attach(session, owner, material.id, deal_id=deal.id)
            uses += 1
    counts["materials"], counts["material_uses"] = len(made), uses


def _week_plans(session, rng, today, people, clients, counts) -> None:
    """Six weeks of plans for each seller: tasks, the head's approval and the week-end review."""
    from app.services import week_plans
    from app.services.weeks import monday

    head = _first(people, "sales", "head")
    sellers = people.get("sales", {}).get("staff", [])
    actions = ("call", "meeting", "proposal", "send_material", "follow_up")
    this_week = monday(today)
    n = 0
    for seller in sellers:
        own = [c for c in clients if c.account_manager_id == seller.id] or clients[:20]
        for back in range(5, -1, -1):
            week = this_week - timedelta(weeks=back)
            plan = week_plans.get_plan(session, seller.id, week, create=True)
            tasks = []
            for _ in range(rng.randint(3, 6)):
                company = rng.choice(own)
                tasks.append(week_plans.add_task(session, seller, plan, company.id, rng.choice(actions),
                                                 rng.choice(("встреча назначена", "КП отправлено", "заказ",
                                                             "уточнить потребность"))))
            n += len(tasks)
            if back == 0:
                week_plans.set_status(session, seller, plan, "submitted")
                continue
            week_plans.set_status(session, seller, plan, "submitted")
            if head:
                week_plans.set_status(session, head, plan, "approved")
            session.flush()
            updates = {t.id: {"done": rng.random() < 0.75, "successful": rng.choice(("yes", "no", "")),
                              "outcome": rng.choice(("договорились", "перенесли", "отказ", ""))} for t in tasks}
            week_plans.review(session, seller, plan, updates, worked="Звонки постоянным клиентам",
                              not_worked="Холодные звонки без повода")
    counts["plan_tasks"] = n
    _recent_deal_activity(session, rng, today, sellers or [head], counts)


def _recent_deal_activity(session, rng, today, sellers, counts) -> None:
    """Most open deals had a call or meeting in the last two weeks, logged against the deal."""
    from app.services.activities import log_activity

    open_deals = list(session.scalars(select(Deal).where(Deal.stage.in_(("new", "proposal", "negotiation")))
                                      .order_by(Deal.id).limit(300)))
    n = 0
    for deal in open_deals:
        if rng.random() < 0.75:
            log_activity(session, author_id=deal.owner_id or sellers[0].id, company_id=deal.company_id,
                         kind=rng.choice(("call", "meeting", "email")), deal_id=deal.id, contact_id=deal.contact_id,
                         # never later than now: a call "today at 15:00" seeded in the morning is in the future
                         occurred_at=min(_at(today - timedelta(days=rng.randint(0, 12)), rng.randint(9, 18)),
                                         datetime.now(timezone.utc)),
                         subject="Обсудили условия поставки", outcome=rng.choice(("ждут счёт", "просят скидку",
                                                                                  "согласовывают у директора")))
            n += 1
    counts["deal_activities"] = n


def _survey(session, rng, people, clients, campaign_ids, counts) -> None:
    """A satisfaction survey of one product line x client type, sent to clients, some of whom answered."""
    from app.services import surveys

    author = _first(people, "promotion", "head") or _first(people, "distribution", "admin")
    line = session.scalar(select(Product.product_line).order_by(Product.id).limit(1))
    if not line:
        return
    survey = surveys.create(session, author, "Что ценят клиенты в насосах", [(line, None)],
                            campaign_id=campaign_ids[0] if campaign_ids else None)
    q1 = surveys.add_question(session, survey, "Насколько вы довольны оборудованием?", "scale")
    q2 = surveys.add_question(session, survey, "Что для вас важнее всего?", "choice",
                              "Цена\nСрок поставки\nСервис\nКачество")
    q3 = surveys.add_question(session, survey, "Что нам улучшить?", "text")
    session.flush()
    session.expire(survey, ["questions"])
    answered = 0
    for company in clients[:25]:
        surveys.invite(session, survey, company.id)
    for company in clients[:12]:
        surveys.record(session, survey, company.id, {
            f"q{q1.id}": str(rng.randint(3, 5)), f"q{q2.id}": rng.choice(("Цена", "Срок поставки", "Сервис")),
            f"q{q3.id}": rng.choice(("Быстрее отвечать на заявки", "Больше складских позиций", ""))},
            recorded_by_id=author.id)
        answered += 1
    counts["survey_answers"] = answered


def _key_accounts(session, rng, today, people, clients, counts, upload_dir) -> None:
    """Key accounts with managers and deputies, a hand-over, and requests in every state through departments."""
    from app.services import client_requests as cr
    from app.services import key_accounts

    managers = people.get("accounts", {}).get("staff", []) + people.get("accounts", {}).get("head", [])
    if not managers:
        return
    departments = [u for u in session.scalars(select(Unit).where(Unit.code.in_(
        ("logistics", "accounting", "sales", "promotion"))).order_by(Unit.id))]
    chosen = clients[:12]
    for i, company in enumerate(chosen):
        manager = managers[i % len(managers)]
        deputy = managers[(i + 1) % len(managers)] if len(managers) > 1 else None
        key_accounts.set_key_account(session, company.id, manager.id, deputy.id if deputy else None,
                                     "Крупный клиент отделения", managers[-1].id)
    if len(managers) > 1:  # a hand-over: the first account changes hands
        key_accounts.set_key_account(session, chosen[0].id, managers[1].id, managers[0].id,
                                     "Менеджер ушёл в отпуск на месяц", managers[-1].id)
    session.flush()
    subjects = ["Счёт на оплату поставки", "Срок отгрузки насосов", "Акт сверки за квартал", "Образцы каталога",
                "Скидка на годовой объём", "Доставка в филиал", "Копии сертификатов", "Изменение реквизитов"]
    n = 0
    for i, company in enumerate(chosen * 2):
        unit_ids = [departments[i % len(departments)].id]
        if i % 5 == 0 and len(departments) > 1:
            unit_ids.append(departments[(i + 1) % len(departments)].id)
        by = session.get(User, company.account_manager_id) or managers[0]
        contact_id = session.scalar(select(Contact.id).where(Contact.company_id == company.id).limit(1))
        req = cr.register_request(session, cr.NewRequest(
            company_id=company.id, subject=subjects[i % len(subjects)], unit_ids=unit_ids, contact_id=contact_id,
            details="Клиент просит ответить до конца недели.", channel=("phone", "email")[i % 2],
            asked_at=_at(today - timedelta(days=(i % 9) + 1)), due_on=today + timedelta(days=(i % 7) - 2)
            if i % 7 >= 2 else None), by.id, upload_dir, today=today - timedelta(days=10))
        n += 1
        session.flush()
        stage = i % 6   # 0 new, 1 accepted, 2 asked back, 3 answered, 4 relayed and closed, 5 closed and reopened
        for route in req.routes:
            worker = _first(people, route.unit.code, "staff") or _first(people, route.unit.code, "head")
            if worker is None or stage == 0:
                continue
            cr.accept(session, route.id, worker.id)
            if stage == 2:
                cr.ask_back(session, route.id, "Уточните номер договора, пожалуйста.", worker.id)
            if stage >= 3:
                cr.answer(session, route.id, "Готово, документы отправлены клиенту.", worker.id)
            if stage >= 4:
                cr.relay(session, route.id, "Передал ответ клиенту по почте.", by.id)
        if stage >= 4:
            cr.close(session, req.id, "Клиент подтвердил, что вопрос решён.", by.id)
        if stage == 5:
            cr.reopen(session, req.id, "Клиент прислал новые вопросы.", by.id)
    counts["key_accounts"], counts["client_requests"] = len(chosen), n


def _boards(session, rng, today, people, counts, locale) -> None:
    """Every workflow started by its unit's head, with cards in every column, comments and checklists."""
    from app.services import boards
    from app.services import workflow_definitions as registry

    cards = 0
    for definition in registry.registry().workflows.values():
        head = _first(people, definition.unit, "head")
        if head is None or session.scalar(select(Board.id).where(Board.workflow_key == definition.key)):
            continue
        board = boards.start_workflow(session, definition, head, today, locale)
        session.flush()
        staff = (people.get(definition.unit, {}).get("staff", []) or []) + [head]
        columns = list(board.columns)
        for i in range(len(columns) + 1):
            card = boards.add_card(session, board, head, f"{['Собрать данные', 'Обсудить с отделом', 'Подготовить отчёт', 'Проверить цифры', 'Согласовать с руководителем'][i % 5]} ({i + 1})",
                                   "Подробности в приложенных файлах.", staff[i % len(staff)].id,
                                   today + timedelta(days=rng.randint(-5, 14)), priority=("normal", "high")[i % 2])
            session.flush()
            target = columns[i % len(columns)]
            if card.column_id != target.id:
                if not target.wip_limit or session.scalar(select(func.count(Card.id)).where(
                        Card.column_id == target.id)) < target.wip_limit:  # a full column keeps the card out
                    boards.move_card(session, card, head, card.version, target)
            if i % 2 == 0:
                boards.add_comment(session, card, staff[i % len(staff)], "Начал, к пятнице будет черновик.")
            if i % 3 == 0:
                boards.add_checklist_item(session, card, "Выгрузить данные")
                boards.add_checklist_item(session, card, "Показать руководителю")
            cards += 1
    # Workflows cross units: everyone else gets a card on one of the boards (a figure to check, data to bring).
    with_cards = set(session.scalars(select(Card.assignee_id).where(Card.assignee_id.is_not(None),
                                                                     Card.done_at.is_(None))))
    running = list(session.scalars(select(Board).order_by(Board.id)))
    others = [u for unit in people.values() for role in unit.values() for u in role if u.id not in with_cards]
    for i, person in enumerate(others):
        if not running:
            break
        board = running[i % len(running)]
        head = session.get(User, board.started_by_id) or person
        boards.add_card(session, board, head, f"Дать данные отдела «{person.unit.name(locale)}» для отчёта",
                        "Нужны цифры за прошлый месяц.", person.id, today + timedelta(days=i % 5))
        cards += 1
    counts["cards"] = cards
