"""Test data shared by the data-quality tests: a company with an optional phone, saved directly."""
from app.extensions import db
from app.models import Company, Phone


def add_company(name, form="ООО", inn=None, phone=None, city="Москва", website=None) -> int:
    """Save one company (inside an app context) and return its id."""
    c = Company(legal_name=name, legal_form=form, name_sort=name.lower(), inn=inn, city=city, website=website)
    db.session.add(c)
    db.session.flush()
    if phone:
        db.session.add(Phone(company_id=c.id, e164=phone))
    db.session.commit()
    return c.id
