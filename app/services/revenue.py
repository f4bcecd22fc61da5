"""Dept 4's question: which products and client types bring the revenue (one aggregate, Pareto, trend)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.i18n import N_, tr
from app.models.companies import ClientType, Company
from app.models.deals import Deal, DealLine
from app.models.products import Product
from app.services.exports import Column, Sheet, xlsx_bytes

PARETO_SHARE = 0.8
GRAINS = ("line", "product")


@dataclass
class Combination:
    """One product (or line) × client type cell of the analysis."""

    key: str
    client_type_id: int | None
    client_type: str
    revenue: Decimal
    deals: int
    previous: Decimal
    share: float = 0.0
    cumulative: float = 0.0
    in_pareto: bool = False

    @property
    def change(self) -> float | None:
        """Growth against the previous period of the same length; None when there was nothing before."""
        return float((self.revenue - self.previous) / self.previous) if self.previous else None


def previous_period(start: date, end: date) -> tuple[date, date]:
    """The period of the same length just before."""
    days = (end - start).days + 1
    return start - timedelta(days=days), start - timedelta(days=1)


def analyse(session: Session, start: date, end: date, grain: str = "line", locale: str = "en") -> dict:
    """Won revenue per combination for [start, end] and the previous period, in one grouped query."""
    prev_start, _prev_end = previous_period(start, end)
    key = Product.product_line if grain == "line" else Product.name
    current = case((Deal.closed_on >= start, DealLine.amount), else_=0)
    earlier = case((Deal.closed_on < start, DealLine.amount), else_=0)
    rows = session.execute(
        select(key, Company.client_type_id, func.sum(current), func.sum(earlier),
               func.count(func.distinct(case((Deal.closed_on >= start, Deal.id)))))
        .select_from(DealLine).join(Deal, Deal.id == DealLine.deal_id).join(Product, Product.id == DealLine.product_id)
        .join(Company, Company.id == Deal.company_id)
        .where(Deal.stage == "won", Deal.closed_on >= prev_start, Deal.closed_on <= end)
        .group_by(key, Company.client_type_id)).all()
    names = {t.id: t.name(locale) for t in session.scalars(select(ClientType))}
    combos = [Combination(k, ct, names.get(ct, "—"), Decimal(cur or 0), int(n or 0), Decimal(prev or 0))
              for k, ct, cur, prev, n in rows]
    return summarise(combos, start, end)


def summarise(combos: list[Combination], start: date, end: date) -> dict:
    """Shares, the cumulative Pareto line and totals over already-aggregated combinations."""
    total = sum((c.revenue for c in combos), Decimal(0))
    previous_total = sum((c.previous for c in combos), Decimal(0))
    combos = sorted((c for c in combos if c.revenue or c.previous), key=lambda c: (-c.revenue, c.key))
    running = Decimal(0)
    for c in combos:
        c.share = float(c.revenue / total) if total else 0.0
        c.in_pareto = bool(total) and c.revenue > 0 and float(running / total) < PARETO_SHARE
        running += c.revenue
        c.cumulative = float(running / total) if total else 0.0
    pareto = [c for c in combos if c.in_pareto]
    with_revenue = [c for c in combos if c.revenue]
    return {"start": start, "end": end, "combos": combos, "total": total, "previous_total": previous_total,
            "change": float((total - previous_total) / previous_total) if previous_total else None,
            "pareto": pareto, "pareto_count_share": len(pareto) / len(with_revenue) if with_revenue else None}


def top_combinations(session: Session, today: date, days: int = 365, limit: int = 5) -> list[Combination]:
    """The product line × client type pairs that made the most revenue in the last year."""
    result = analyse(session, today - timedelta(days=days - 1), today, "line")
    return [c for c in result["combos"] if c.revenue][:limit]


def export_xlsx(result: dict, grain: str = "line") -> bytes:
    """The analysis as a workbook through the one export writer: one row per combination, amounts and shares
    as numbers, product names never run as formulas, the total below the filtered rows."""
    columns = (Column(N_("Product line") if grain == "line" else N_("Product"), width=36),
               Column(N_("Client type"), width=24), Column(N_("Deals"), "integer", 10),
               Column(N_("Revenue"), "amount", 16), Column(N_("Share"), "percent", 10),
               Column(N_("Cumulative share"), "percent", 14), Column(N_("Previous period"), "amount", 18),
               Column(N_("In the 80 %"), width=14))
    rows = ([c.key, c.client_type, c.deals, c.revenue, round(c.share, 4), round(c.cumulative, 4), c.previous,
             "✓" if c.in_pareto else ""] for c in result["combos"])
    total = [tr("Total"), "", sum(c.deals for c in result["combos"]), result["total"], 1, None,
             result["previous_total"], ""]
    sheet = Sheet(tr("Revenue"), columns, rows, preamble=[[tr("Period"), result["start"], result["end"]], []],
                  footer=[total])
    return xlsx_bytes([sheet])
