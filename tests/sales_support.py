"""Small builders for the sales tests: products, clients and deals written straight to the database."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from app.models.companies import ClientType, Company
from app.models.deals import Deal, DealLine
from app.models.products import Product


def product(session, name: str, line: str) -> Product:
    p = Product(name=name, product_line=line, price=Decimal("100"))
    session.add(p)
    session.commit()
    return p


def client_type(session, code: str) -> ClientType:
    return session.scalar(select(ClientType).where(ClientType.code == code))


def company(session, name: str, type_code: str = "corporate", manager_id: int | None = None) -> Company:
    c = Company(legal_name=name, name_sort=name.lower(), client_type_id=client_type(session, type_code).id,
                account_manager_id=manager_id, status="client")
    session.add(c)
    session.commit()
    return c


def deal(session, comp: Company, owner_id: int | None, stage: str = "won", closed_on: date | None = None,
         lines: list[tuple[Product, int]] = (), title: str | None = None) -> Deal:
    d = Deal(title=title or f"Deal with {comp.legal_name}", company_id=comp.id, owner_id=owner_id, stage=stage,
             closed_on=closed_on if stage in ("won", "lost") else None)
    d.lines = [DealLine(product_id=p.id, amount=Decimal(a)) for p, a in lines]
    d.recompute_amount()
    session.add(d)
    session.commit()
    return d


def switch_user(auth, user) -> None:
    """Sign the current person out and another in, as on a shared computer."""
    auth.client.post("/logout", headers={"X-CSRFToken": auth.token})
    auth.login(user)
