"""Every model, imported so that metadata and Alembic see them all."""
from app.models.activities import Activity
from app.models.address_lists import AddressList, Segment
from app.models.audit import AuditEntry
from app.models.boards import Board, BoardColumn, Card, CardChecklistItem, CardComment, CardEvent, CardLink
from app.models.campaigns import Campaign, CampaignSpend, Channel
from app.models.client_requests import ClientRequest, RequestAttachment, RequestRoute, RequestStep
from app.models.companies import ClientType, Company, Tag, company_tags
from app.models.contact_points import Address, Email, Phone
from app.models.contacts import Contact
from app.models.deals import Deal, DealLine
from app.models.duplicates import DuplicateDecision, DuplicateGroup
from app.models.imports import ImportMapping, ImportRun
from app.models.jobs import JobRecord
from app.models.key_accounts import AccountHandover, KeyAccount
from app.models.matching import MatchingSettings
from app.models.materials import Material, MaterialUse
from app.models.merges import Merge, MergedRecord
from app.models.notifications import Notification
from app.models.org import LoginAttempt, RecoveryCode, Unit, User
from app.models.products import Product
from app.models.promotion_plan import PromotionPlan
from app.models.responses import Response
from app.models.search import SearchDocument, SearchToken
from app.models.settings import PortalSetting
from app.models.surveys import Survey
from app.models.week_plans import PlanTask, WeekPlan

__all__ = [
    "AccountHandover", "Activity", "Address", "AddressList", "AuditEntry", "Board", "BoardColumn", "Campaign",
    "CampaignSpend", "Card", "CardChecklistItem", "CardComment", "CardEvent", "CardLink", "Channel", "ClientRequest",
    "ClientType", "Company", "company_tags", "Contact", "Deal", "DealLine", "DuplicateDecision", "DuplicateGroup",
    "MatchingSettings", "Email", "ImportMapping", "ImportRun", "JobRecord", "KeyAccount", "LoginAttempt", "Material",
    "MaterialUse", "Merge", "MergedRecord", "Notification", "Phone", "PlanTask", "PortalSetting", "Product", "PromotionPlan", "RecoveryCode",
    "RequestAttachment", "RequestRoute", "RequestStep", "Response", "SearchDocument", "SearchToken", "Segment", "Survey", "Tag", "Unit",
    "User", "WeekPlan",
]
