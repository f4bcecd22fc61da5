"""Every model, imported so that metadata and Alembic see them all."""
from app.models import crm as _crm_indexes  # noqa: F401
from app.models.accounts import AccountHandover, ClientRequest, KeyAccount, RequestAttachment, RequestRoute, RequestStep
from app.models.audit import AuditEntry
from app.models.boards import Board, BoardColumn, Card, CardChecklistItem, CardComment, CardEvent, CardLink  # noqa: F401
from app.models.companies import Address, ClientType, Company, Tag, company_tags
from app.models.contacts import Contact, Email, Phone
from app.models.duplicates import (  # noqa: F401
    DedupDecision,
    DedupGroup,
    DedupSettings,
    ImportMapping,
    ImportRun,
    Merge,
    MergedRecord,
)
from app.models.jobs import JobRecord
from app.models.notifications import Notification
from app.models.org import LoginAttempt, Unit, User
from app.models.promotion import AddressList, Campaign, CampaignSpend, Channel, PromotionPlan, Response, Segment  # noqa: F401
from app.models.sales import Activity, Deal, DealLine, Product
from app.models.sales_work import Material, MaterialUse, PlanTask, Survey, WeekPlan  # noqa: F401
from app.models.search import SearchToken

__all__ = [
    "Activity", "Address", "AuditEntry", "ClientType", "Company", "Contact", "Deal", "DealLine",
    "Email", "JobRecord", "LoginAttempt", "Notification", "Phone", "Product", "SearchToken", "Tag", "Unit", "User",
    "company_tags",
]
