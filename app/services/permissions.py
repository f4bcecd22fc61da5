"""Who may change what: staff their own and their unit's records, heads their unit, admins everything."""
from __future__ import annotations

from flask import abort

CRM_UNIT = "crm"


def is_admin(user) -> bool:
    return bool(user and user.is_authenticated and user.role == "admin")


def same_unit(user, other_user_or_unit_id) -> bool:
    """True when the record's owner (a user or a unit id) is in the user's unit."""
    if other_user_or_unit_id is None:
        return False
    unit_id = getattr(other_user_or_unit_id, "unit_id", other_user_or_unit_id)
    return unit_id == user.unit_id


def can_edit_owned(user, owner) -> bool:
    """A record owned by a person: its owner, their unit, or an admin may change it."""
    if is_admin(user):
        return True
    if owner is None:
        return True
    return owner.id == user.id or same_unit(user, owner)


def can_edit_company(user, company) -> bool:
    """The CRM section keeps the whole base current; others edit their own and their unit's clients."""
    if is_admin(user) or user.unit.code == CRM_UNIT:
        return True
    return can_edit_owned(user, company.account_manager)


def can_delete_company(user, company) -> bool:
    """Deleting a client is a head's or admin's decision (or the CRM section head's)."""
    if is_admin(user):
        return True
    return user.role == "head" and can_edit_company(user, company)


def can_manage_unit(user, unit_id: int) -> bool:
    """Heads manage their own unit; admins any unit."""
    return is_admin(user) or (user.role == "head" and user.unit_id == unit_id)


def require(allowed: bool) -> None:
    """Stop the request with 403 when the rule says no."""
    if not allowed:
        abort(403)


def can_start_workflow(user, unit_id: int) -> bool:
    """Heads start their own unit's workflows; admins any unit's; staff none."""
    return can_manage_unit(user, unit_id)


def can_manage_board(user, board) -> bool:
    """The owning unit's head (or an admin) adds and assigns cards; other heads only read; closed boards are history."""
    return board.status == "active" and can_manage_unit(user, board.unit_id)


def can_work_on_card(user, card) -> bool:
    """Moving, ticking and commenting: the board's managers and the card's assignee."""
    return can_manage_board(user, card.board) or (card.board.status == "active" and card.assignee_id == user.id)


def can_see_overview(user) -> bool:
    """Heads and admins track every board."""
    return is_admin(user) or user.role == "head"


ACCOUNTS_UNIT = "accounts"


def can_assign_accounts(user) -> bool:
    """Naming a key account's manager and deputy is for admins and the head of account management."""
    return is_admin(user) or (user.role == "head" and user.unit.code == ACCOUNTS_UNIT)


def can_carry_for(user, manager, deputy_id: int | None) -> bool:
    """The account manager, their deputy, their head and admins speak to the client about a request."""
    if is_admin(user):
        return True
    if manager is not None and (manager.id == user.id or (user.role == "head" and user.unit_id == manager.unit_id)):
        return True
    return deputy_id is not None and deputy_id == user.id


def can_register_request(user, manager, deputy_id: int | None) -> bool:
    """Besides those who carry the account, a colleague in account management may register on their behalf."""
    return can_carry_for(user, manager, deputy_id) or user.unit.code == ACCOUNTS_UNIT


def can_see_request(user, manager, deputy_id: int | None, unit_ids) -> bool:
    """A request's details are for those who carry it and the departments it went to."""
    return can_carry_for(user, manager, deputy_id) or user.unit_id in set(unit_ids)


def can_act_for_unit(user, unit_id: int) -> bool:
    """A department's members (and admins) accept, answer or ask back on its share of a request."""
    return is_admin(user) or user.unit_id == unit_id


def can_restore_company(user, company) -> bool:
    """Undoing a deletion is an admin's call."""
    return is_admin(user)


def can_edit_contact(user, contact) -> bool:
    """A contact, with its phones and emails, follows its company; a contact without one is anyone's to keep."""
    if contact.company is not None:
        return can_edit_company(user, contact.company)
    return True


def can_edit_deal(user, deal) -> bool:
    """A deal belongs to its owner and their unit; without an owner, to whoever may edit the company."""
    if deal.owner is None:
        return can_edit_company(user, deal.company)
    return can_edit_owned(user, deal.owner)


def can_give_deal_to(user, owner) -> bool:
    """A deal is opened in one's own name; a head may give it to someone in their unit, an admin to anyone."""
    if is_admin(user) or owner is None:
        return True
    return owner.id == user.id or (user.role == "head" and owner.unit_id == user.unit_id)


def can_edit_activity(user, activity) -> bool:
    """An activity is its author's, and the company's editors may correct it."""
    return activity.author_id == user.id or can_edit_company(user, activity.company)


def can_log_activity(user, company) -> bool:
    """Anyone who talks to a current client records it: sales actions must land in the database."""
    return company.deleted_at is None


def can_edit_products(user) -> bool:
    """The catalogue is kept by admins."""
    return is_admin(user)


def can_manage_promotion(user) -> bool:
    """Campaigns, the plan and address lists: promotion staff, their head and admins."""
    return bool(user and user.is_authenticated and (user.role == "admin" or user.unit.code == "promotion"))


def can_see_sales_team(user) -> bool:
    """Every seller's plans, reviews and revenue together: the sales head and admins, not each seller."""
    return is_admin(user) or (user.role == "head" and user.unit is not None and user.unit.code == "sales")


def can_handle_response(user, response) -> bool:
    """Qualifying, converting into a deal, disqualifying: Promotion, and the seller the response was given to."""
    return can_manage_promotion(user) or (response is not None and response.handled_by_id == user.id)


def can_run_surveys(user) -> bool:
    """Client surveys are Promotion's work: their links, questions and recorded answers."""
    return can_manage_promotion(user)


def can_manage_data(user) -> bool:
    """Duplicates, imports and verification are the CRM section's job (and admins')."""
    return is_admin(user) or (user.is_authenticated and user.unit is not None and user.unit.code == CRM_UNIT)


def can_see_material(user, material) -> bool:
    """A private material is for its author's unit only (and admins); every list and page that names one asks this."""
    return is_admin(user) or not material.private or material.unit_id == user.unit_id


def can_read_history(user, company) -> bool:
    """A deleted client's field history (and its contacts' and deals') is for those who may restore it."""
    return company is None or company.deleted_at is None or can_restore_company(user, company)
