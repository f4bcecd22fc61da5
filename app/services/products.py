"""The product catalogue."""
from __future__ import annotations

from sqlalchemy.orm import Session

from app.i18n import tr as _
from app.models.products import Product
from app.services.deals import _decimal
from app.services.errors import RuleError
from app.services.records import clean_fields, length_errors, raise_errors


def save_product(session: Session, data: dict, product_id: int | None = None) -> Product:
    """Add or change a catalogue entry."""
    data = clean_fields(data, ("name", "product_line", "price", "active"))
    errors = length_errors(Product, data)
    for key in ("name", "product_line"):
        if not data.get(key):
            errors[key] = _("This field is required.")
    try:
        price = _decimal(data.get("price"))
    except RuleError as exc:
        price, errors["price"] = None, exc.message
    if price is None or price < 0:
        errors.setdefault("price", _("Enter a price of 0 or more."))
    raise_errors(errors)
    data["price"] = price
    data["active"] = bool(data.get("active", True))
    product = Product() if product_id is None else session.get(Product, product_id)
    if product is None:
        raise LookupError(product_id)
    for key, value in data.items():
        setattr(product, key, value)
    session.add(product)
    session.flush()
    return product


# ---------------------------------------------------------------- activities

