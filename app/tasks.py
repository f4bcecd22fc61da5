"""RQ entry points of the foundation: thin, each calls one service and reports progress."""
from __future__ import annotations

from flask_babel import gettext as _

from app.extensions import db
from app.services.jobs import job_entry, report_progress


@job_entry("demo_seed")
def seed_demo_job(companies: int, seed: int) -> dict:
    """Generate more demo clients in the background (the job machinery's proof, end to end)."""
    from app.demo import seed_demo

    counts = seed_demo(db.session, companies=companies, seed=seed, progress=report_progress, batch=500)
    return {"text": _("%(companies)s companies, %(contacts)s contacts", companies=counts["companies"],
                      contacts=counts["contacts"])}
