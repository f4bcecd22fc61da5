"""Deals with their product lines, and their place on the company timeline."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app.i18n import N_, label, money
from app.i18n import tr as _
from app.i18n import trp as _p
from app.models.base import utcnow
from app.models.contacts import Contact
from app.models.deals import DEAL_STAGES, Deal, DealLine
from app.models.org import User
from app.models.products import Product
from app.services import numbers, permissions, timeline
from app.services.companies import get_company
from app.services.errors import RuleError
from app.services.records import check_version, clean_fields, flush_or_conflict, length_errors, raise_errors
from app.services.timeline import TimelineItem


def _decimal(value, precision=numbers.MONEY) -> Decimal | None:
    """A line's number: the form's Decimal, or text read by the one number rule (RuleError when bad)."""
    if value in (None, ""):
        return None
    if isinstance(value, Decimal):
        if not value.is_finite() or abs(value) > precision.maximum:
            raise RuleError(numbers.too_large(precision))
        return value
    return numbers.parse_decimal_input(value, precision, minimum=None)


def save_deal(session: Session, company_id: int, data: dict, lines: list[dict], deal_id: int | None = None,
              version: int | None = None, by=None) -> Deal:
    """Create or change a deal; its amount is the sum of its lines; a lost deal needs a reason; the person
    saving (`by`; None for jobs and commands) names as owner only themselves or whom they may give it to."""
    company = get_company(session, company_id)
    data = clean_fields(data, ("title", "contact_id", "owner_id", "stage", "lost_reason", "expected_close"))
    errors = length_errors(Deal, data)
    if by is not None:
        current = session.get(Deal, deal_id) if deal_id is not None else None
        owner_id = data.get("owner_id")
        if current is None or owner_id != current.owner_id:
            owner = session.get(User, owner_id) if owner_id else None
            if (owner_id and owner is None) or not permissions.can_give_deal_to(by, owner):
                errors["owner_id"] = _("Open the deal in your own name; a head may give it to someone in their unit.")
    if not data.get("title"):
        errors["title"] = _("The deal needs a title.")
    if data.get("stage") not in DEAL_STAGES:
        errors["stage"] = _("Choose a stage from the list.")
    if data.get("stage") == "lost" and not data.get("lost_reason"):
        errors["lost_reason"] = _("Say why the deal was lost.")
    if data.get("contact_id"):
        contact = session.get(Contact, data["contact_id"])
        if contact is None or contact.company_id != company.id:
            errors["contact_id"] = _("Choose a contact of this company.")
    clean_lines = []
    for i, line in enumerate(lines):
        if not line.get("product_id"):
            continue
        product_id = numbers.id_or_none(line["product_id"])
        product = session.get(Product, product_id) if product_id else None
        try:
            qty = _decimal(line.get("quantity"), numbers.QUANTITY) or Decimal(1)
            amount = _decimal(line.get("amount"))
        except RuleError as exc:
            errors[f"lines-{i}-amount"] = exc.message
            continue
        if product is None:
            errors[f"lines-{i}-product_id"] = _("Choose a product from the catalogue.")
            continue
        if qty <= 0 or (amount is not None and amount < 0):
            errors[f"lines-{i}-amount"] = _("Quantity and amount cannot be negative.")
            continue
        if amount is None:
            amount = (product.price * qty).quantize(Decimal("0.01"))
        if amount > numbers.MONEY.maximum:
            errors[f"lines-{i}-amount"] = numbers.too_large(numbers.MONEY)
            continue
        clean_lines.append((product, qty, amount))
    if sum((amount for _product, _qty, amount in clean_lines), Decimal(0)) > numbers.MONEY.maximum:
        errors.setdefault("lines-0-amount", _("The deal's total is too large: at most %(max)s.",
                                                max=numbers.shown(numbers.MONEY.maximum)))
    if data.get("stage") != "lost":
        data["lost_reason"] = None
    raise_errors(errors)
    if deal_id is None:
        deal = Deal(company_id=company.id)
        session.add(deal)
    else:
        deal = session.get(Deal, deal_id)
        if deal is None or deal.company_id != company.id:
            raise LookupError(deal_id)
        check_version(session, deal, "deals", version)
    was_closed = deal.stage in ("won", "lost")
    for key, value in data.items():
        setattr(deal, key, value)
    if deal.stage in ("won", "lost") and not was_closed:
        deal.closed_on = utcnow().date()
    elif deal.stage not in ("won", "lost"):
        deal.closed_on = None
    deal.lines.clear()
    for product, qty, amount in clean_lines:
        deal.lines.append(DealLine(product=product, quantity=qty, amount=amount))
    deal.recompute_amount()
    flush_or_conflict(session, Deal, "deals", deal.id or 0, version)
    return deal


def deal_timeline(session: Session, company_id: int, before: datetime | None, limit: int, viewer=None) -> list[TimelineItem]:
    """Deals as they were opened (their later changes come through the change source); the columns shown."""
    rows = _timeline_rows(session, company_id, before, limit)
    return [TimelineItem(at, "deal", _("Deal opened: %(title)s", title=title), f"{stage_label(stage)} · {money(amount)}",
                         None, owner) for at, title, stage, amount, owner in rows]


@timeline.source_query
def _timeline_rows():
    return (select(Deal.created_at, Deal.title, Deal.stage, Deal.amount, User.name)
            .outerjoin(User, User.id == Deal.owner_id).where(Deal.company_id == bindparam("company_id")),
            Deal.created_at, (Deal.created_at.desc(), Deal.id.desc()))


STAGE_WORDS = {"proposal": N_("proposal"), "negotiation": N_("negotiation"), "won": N_("won"), "lost": N_("lost")}


def stage_label(stage: str) -> str:
    """A deal's stage in words ("new" has its own context: a new deal, not a new response)."""
    return _p("deal stage", "new") if stage == "new" else label(STAGE_WORDS, stage)


