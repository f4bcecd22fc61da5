"""Dept 5's library: upload rules, who may see a material, the coverage matrix and what effective sellers use."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import and_, case, func, or_, select, true
from sqlalchemy.orm import Session

from app.i18n import file_size
from app.i18n import tr as _
from app.models.activities import Activity
from app.models.companies import ClientType
from app.models.deals import Deal
from app.models.materials import MATERIAL_KINDS, Material, MaterialUse, material_client_types, material_products
from app.models.org import Unit, User
from app.models.products import Product
from app.services import notifications, permissions
from app.services.errors import RuleError

# Extension -> the content type it is served with; nothing else may be uploaded.
ALLOWED_TYPES = {
    "pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg",
    "gif": "image/gif", "txt": "text/plain", "csv": "text/csv",
    "doc": "application/msword", "xls": "application/vnd.ms-excel", "ppt": "application/vnd.ms-powerpoint",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text", "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
}
EXECUTABLE_EXTENSIONS = {"exe", "dll", "com", "bat", "cmd", "msi", "scr", "sh", "bash", "ps1", "vbs", "js", "jar",
                         "apk", "app", "bin", "elf", "so", "dylib", "py", "pl", "php", "cgi", "run", "deb", "rpm",
                         "hta", "lnk", "reg", "wsf", "html", "htm", "svg"}
# Leading bytes of programs: Windows PE, ELF, Mach-O (both byte orders, fat), scripts with a shebang.
EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe",
                    b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe", b"#!")
# What a file of each kind must start with, so a renamed program or page is not served as a document.
EXPECTED_MAGIC = {
    "pdf": (b"%PDF",), "png": (b"\x89PNG",), "jpg": (b"\xff\xd8\xff",), "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
    "docx": (b"PK\x03\x04",), "xlsx": (b"PK\x03\x04",), "pptx": (b"PK\x03\x04",),
    "odt": (b"PK\x03\x04",), "ods": (b"PK\x03\x04",), "odp": (b"PK\x03\x04",),
    "doc": (b"\xd0\xcf\x11\xe0",), "xls": (b"\xd0\xcf\x11\xe0",), "ppt": (b"\xd0\xcf\x11\xe0",),
}


class MaterialError(RuleError):
    """An upload or link is refused; `field` names the form field the message belongs next to."""


@dataclass
class UploadedFile:
    """The parts of an upload the rules look at (a werkzeug FileStorage fits)."""

    filename: str
    stream: BinaryIO


def check_and_store(upload: UploadedFile, upload_dir: Path, max_bytes: int) -> tuple[str, str, str, int]:
    """Refuse executables (by name and by content) and oversized files; store under a random name.

    Returns (original name, stored name, content type, size)."""
    name = Path(upload.filename or "").name.strip()
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if not name:
        raise MaterialError(_("Choose a file to upload."), "file")
    if ext in EXECUTABLE_EXTENSIONS or any(p in EXECUTABLE_EXTENSIONS for p in name.lower().split(".")[1:]):
        raise MaterialError(_("Programs and scripts cannot be uploaded (%(name)s).", name=name), "file")
    if ext not in ALLOWED_TYPES:
        raise MaterialError(_("Files of type .%(ext)s are not accepted. Allowed: %(allowed)s.",
                                      ext=ext or "?", allowed=", ".join(sorted(ALLOWED_TYPES))), "file")
    data = upload.stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise MaterialError(_("The file is larger than the limit of %(limit)s.", limit=file_size(max_bytes)), "file")
    if not data:
        raise MaterialError(_("The file is empty."), "file")
    if data.startswith(EXECUTABLE_MAGIC):
        raise MaterialError(_("This file is a program, not a document; it was refused."), "file")
    expected = EXPECTED_MAGIC.get(ext)
    if expected and not data.startswith(expected):
        raise MaterialError(_("The file's content does not match its .%(ext)s name.", ext=ext), "file")
    if ext in ("txt", "csv") and b"\x00" in data[:4096]:
        raise MaterialError(_("The file's content does not match its .%(ext)s name.", ext=ext), "file")
    stored = secrets.token_hex(16)
    folder = upload_dir / "materials"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / stored).write_bytes(data)
    return name[:255], stored, ALLOWED_TYPES[ext], len(data)


def stored_path(upload_dir: Path, material: Material) -> Path:
    return upload_dir / "materials" / material.stored_name


def create_material(session: Session, author: User, *, title: str, kind: str, product_ids: list[int],
                    client_type_ids: list[int], seller_ids: list[int], edition: str, issued_on: date | None,
                    private: bool, link: str | None, upload: UploadedFile | None, upload_dir: Path,
                    max_bytes: int) -> Material:
    """Check the fields, keep the file outside the database, and record the material."""
    title = (title or "").strip()
    if not title:
        raise MaterialError(_("Give the material a title."), "title")
    if kind not in MATERIAL_KINDS:
        raise MaterialError(_("Choose a kind."), "kind")
    link = (link or "").strip() or None
    has_file = upload is not None and bool(upload.filename)
    if not has_file and not link:
        raise MaterialError(_("Upload a file or give a link."), "file")
    if link and not link.lower().startswith(("https://", "http://")):
        raise MaterialError(_("A link must start with http:// or https://."), "link")
    material = Material(title=title[:300], kind=kind, edition=(edition or "1").strip()[:40] or "1",
                        issued_on=issued_on or date.today(), author_id=author.id, unit_id=author.unit_id,
                        private=private, link=None if has_file else link)
    if has_file:
        material.file_name, material.stored_name, material.content_type, material.size = check_and_store(
            upload, upload_dir, max_bytes)
    material.products = list(session.scalars(select(Product).where(Product.id.in_(product_ids))))
    material.client_types = list(session.scalars(select(ClientType).where(ClientType.id.in_(client_type_ids))))
    material.sellers = list(session.scalars(select(User).where(User.id.in_(seller_ids))))
    session.add(material)
    session.flush()
    return material


def visible_clause(user):
    """permissions.can_see_material as SQL: public materials, private ones of the user's own unit (admins all)."""
    if permissions.is_admin(user):
        return true()
    return or_(Material.private.is_(False), Material.unit_id == user.unit_id)


def can_open(user, material: Material) -> bool:
    """A private material is for its author's unit only."""
    return permissions.can_see_material(user, material)


def library(session: Session, user, kind: str | None = None, product_id: int | None = None,
            client_type_id: int | None = None) -> list[dict]:
    """The materials a user may see, each with its use count and share in won vs lost deals."""
    stats = usage_stats(session)
    stmt = select(Material).where(visible_clause(user)).order_by(Material.created_at.desc(), Material.id.desc())
    if kind:
        stmt = stmt.where(Material.kind == kind)
    if product_id:
        stmt = stmt.where(Material.products.any(Product.id == product_id))
    if client_type_id:
        stmt = stmt.where(Material.client_types.any(ClientType.id == client_type_id))
    return [{"material": m, **stats.get(m.id, {"uses": 0, "won": 0, "lost": 0, "won_share": None})}
            for m in session.scalars(stmt)]


def usage_stats(session: Session) -> dict[int, dict]:
    """Per material: uses, distinct won and lost deals it was used in, and the won share of those closed."""
    deal_of_use = func.coalesce(MaterialUse.deal_id, Activity.deal_id)
    rows = session.execute(
        select(MaterialUse.material_id, func.count(MaterialUse.id),
               func.count(func.distinct(case((Deal.stage == "won", Deal.id)))),
               func.count(func.distinct(case((Deal.stage == "lost", Deal.id)))))
        .outerjoin(Activity, Activity.id == MaterialUse.activity_id)
        .outerjoin(Deal, Deal.id == deal_of_use)
        .group_by(MaterialUse.material_id)).all()
    out = {}
    for mid, uses, won, lost in rows:
        out[mid] = {"uses": uses, "won": won, "lost": lost, "won_share": won / (won + lost) if won + lost else None}
    return out


def coverage(session: Session, user) -> dict:
    """Products × client types with the number of materials in each cell; empty cells are the gaps."""
    products = list(session.scalars(select(Product).where(Product.active.is_(True))
                                    .order_by(Product.product_line, Product.name)))
    types = list(session.scalars(select(ClientType).where(ClientType.active.is_(True)).order_by(ClientType.id)))
    counts = {(p, t): n for p, t, n in session.execute(
        select(material_products.c.product_id, material_client_types.c.client_type_id,
               func.count(func.distinct(Material.id)))
        .join(material_products, material_products.c.material_id == Material.id)
        .join(material_client_types, material_client_types.c.material_id == Material.id)
        .where(visible_clause(user))
        .group_by(material_products.c.product_id, material_client_types.c.client_type_id))}
    cells = len(products) * len(types)
    covered = sum(1 for p in products for t in types if counts.get((p.id, t.id)))
    return {"products": products, "types": types, "counts": counts, "cells": cells, "covered": covered,
            "share": covered / cells if cells else None}


def attach(session: Session, user, material_id: int, deal_id: int | None = None,
           activity_id: int | None = None) -> MaterialUse:
    """Record that a material was used in a deal or an activity (once per pair)."""
    material = session.get(Material, material_id)
    if material is None or not can_open(user, material):
        raise MaterialError(_("Choose a material."), "material_id")
    if activity_id is not None:
        activity = session.get(Activity, activity_id)
        deal_id = activity.deal_id if activity else None
    existing = session.scalar(select(MaterialUse).where(
        MaterialUse.material_id == material_id,
        MaterialUse.activity_id == activity_id if activity_id else MaterialUse.activity_id.is_(None),
        MaterialUse.deal_id == deal_id if deal_id else MaterialUse.deal_id.is_(None)))
    if existing:
        return existing
    use = MaterialUse(material_id=material_id, deal_id=deal_id, activity_id=activity_id, user_id=user.id)
    session.add(use)
    session.flush()
    return use


def uses_for(session: Session, user, deal_id: int | None = None, activity_id: int | None = None) -> list[MaterialUse]:
    """The materials used in a deal or an activity, as far as this person may see them."""
    stmt = (select(MaterialUse).join(Material, Material.id == MaterialUse.material_id).where(visible_clause(user))
            .order_by(MaterialUse.used_at))
    if deal_id:
        stmt = stmt.where(MaterialUse.deal_id == deal_id)
    if activity_id:
        stmt = stmt.where(MaterialUse.activity_id == activity_id)
    return list(session.scalars(stmt))


def effective_sellers(session: Session, user, min_closed: int = 3, limit: int = 10) -> list[dict]:
    """Sellers ranked by win rate (with enough closed deals), each with the materials in their won deals
    that this person may see."""
    won = func.sum(case((Deal.stage == "won", 1), else_=0))
    closed = func.count(Deal.id)
    rows = session.execute(
        select(Deal.owner_id, won, closed).where(Deal.stage.in_(("won", "lost")), Deal.owner_id.is_not(None))
        .group_by(Deal.owner_id).having(closed >= min_closed)
        .order_by((won * 1.0 / closed).desc(), closed.desc()).limit(limit)).all()
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_([r[0] for r in rows])))}
    deal_of_use = func.coalesce(MaterialUse.deal_id, Activity.deal_id)
    used = session.execute(
        select(Deal.owner_id, Material, func.count(func.distinct(Deal.id)))
        .select_from(MaterialUse).join(Material, Material.id == MaterialUse.material_id)
        .outerjoin(Activity, Activity.id == MaterialUse.activity_id)
        .join(Deal, and_(Deal.id == deal_of_use, Deal.stage == "won"))
        .where(Deal.owner_id.in_(list(users)), visible_clause(user))
        .group_by(Deal.owner_id, Material.id).order_by(func.count(func.distinct(Deal.id)).desc())).all()
    by_seller: dict[int, list] = {}
    for owner_id, material, n in used:
        by_seller.setdefault(owner_id, []).append((material, n))
    return [{"seller": users[uid], "won": int(w or 0), "closed": c, "win_rate": (w or 0) / c,
             "materials": by_seller.get(uid, [])} for uid, w, c in rows]


COLLECT_MATERIALS_WORKFLOW = "collect_seller_materials"  # workflows/collect_seller_materials.toml


def propose_material_card(session: Session, proposer: User, seller_id: int, note: str,
                          url: str | None = None) -> int:
    """Ask Dept 5 to turn what an effective seller uses into a material: a card on their running
    "collect what effective sellers use" board when there is one, and a notification to their heads."""
    from app.services import boards

    seller = session.get(User, seller_id)
    text = _("Make a material from what %(seller)s uses: %(note)s", seller=seller.name if seller else "?",
             note=note or _("see their won deals"))
    unit = session.scalar(select(Unit).where(Unit.code == "publications"))
    board = boards.active_board(session, COLLECT_MATERIALS_WORKFLOW, unit.id) if unit else None
    if board is not None:
        boards.add_card(session, board, proposer, text[:300], url, None, None)
    heads = session.scalars(select(User.id).join(Unit, Unit.id == User.unit_id)
                            .where(Unit.code == "publications", User.role == "head"))
    return notifications.notify(session, heads, "material_task", text, url=url)
