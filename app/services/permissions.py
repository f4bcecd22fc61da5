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


def can_manage_data(user) -> bool:
    """Duplicates, imports and verification are the CRM section's job (and admins')."""
    return is_admin(user) or (user.is_authenticated and user.unit is not None and user.unit.code == CRM_UNIT)
