"""Improvement workflows at work: boards (a started workflow), their columns and the cards on them."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import TimestampMixin, UTCDateTime, VersionedMixin, utcnow

PRIORITIES = ("low", "normal", "high")
LINK_KINDS = ("company", "deal", "campaign", "list", "material")
BOARD_STATES = ("active", "closed")


class Board(TimestampMixin, db.Model):
    """One run of a workflow definition for one unit; a weekly workflow has one board per week."""

    __tablename__ = "boards"
    __table_args__ = (Index("ix_boards_key_unit", "workflow_key", "unit_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workflow_key: Mapped[str] = mapped_column(String(80))
    # Copied from the definition so a board survives its file being changed or removed.
    title_ru: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(10), default="active")
    period_start: Mapped[date | None] = mapped_column(Date)  # Monday of the week, for recurring workflows
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    unit = relationship("Unit", lazy="joined")
    started_by = relationship("User")
    columns: Mapped[list[BoardColumn]] = relationship(back_populates="board", order_by="BoardColumn.position",
                                                      cascade="all, delete-orphan", lazy="selectin")

    def title(self, locale: str = "ru") -> str:
        return self.title_ru if locale == "ru" else self.title_en

    @property
    def done_column(self) -> BoardColumn | None:
        return next((c for c in self.columns if c.is_done), None)


class BoardColumn(db.Model):
    """A column of a board (To do, In progress ...), with an optional work-in-progress limit."""

    __tablename__ = "board_columns"

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    title_ru: Mapped[str] = mapped_column(String(120))
    title_en: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(default=0)
    wip_limit: Mapped[int | None] = mapped_column()
    is_done: Mapped[bool] = mapped_column(default=False)

    board: Mapped[Board] = relationship(back_populates="columns")

    def title(self, locale: str = "ru") -> str:
        return self.title_ru if locale == "ru" else self.title_en


class Card(TimestampMixin, VersionedMixin, db.Model):
    """A task on a board; its version refuses a move based on a stale board."""

    __tablename__ = "board_cards"
    __table_args__ = (
        Index("ix_board_cards_column_pos", "board_id", "column_id", "position"),
        Index("ix_board_cards_assignee_due", "assignee_id", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    column_id: Mapped[int] = mapped_column(ForeignKey("board_columns.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    due_on: Mapped[date | None] = mapped_column(Date)
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    blocked: Mapped[bool] = mapped_column(default=False)
    carried_over: Mapped[bool] = mapped_column(default=False)  # an undone card brought into a new week
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)

    board: Mapped[Board] = relationship()
    column: Mapped[BoardColumn] = relationship()
    assignee = relationship("User", foreign_keys=[assignee_id])
    checklist: Mapped[list[CardChecklistItem]] = relationship(order_by="CardChecklistItem.position",
                                                              cascade="all, delete-orphan")
    comments: Mapped[list[CardComment]] = relationship(order_by="CardComment.id", cascade="all, delete-orphan")
    links: Mapped[list[CardLink]] = relationship(order_by="CardLink.id", cascade="all, delete-orphan")


class CardChecklistItem(db.Model):
    """One step of a card's checklist."""

    __tablename__ = "card_checklist_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("board_cards.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(default=0)
    done: Mapped[bool] = mapped_column(default=False)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CardComment(db.Model):
    """A comment on a card."""

    __tablename__ = "card_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("board_cards.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author = relationship("User", lazy="joined")


class CardLink(db.Model):
    """A card's link to a CRM record; campaigns, lists and materials are referred to by kind and id."""

    __tablename__ = "card_links"
    __table_args__ = (Index("ix_card_links_target", "kind", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("board_cards.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int] = mapped_column()
    label: Mapped[str] = mapped_column(String(300), default="")


class CardEvent(db.Model):
    """A line of a card's history: created, moved, reassigned, commented ... by whom and when."""

    __tablename__ = "card_events"
    __table_args__ = (Index("ix_card_events_card_at", "card_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("board_cards.id", ondelete="CASCADE"))
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # created, moved, reassigned, commented, checked, edited, carried
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    from_column_id: Mapped[int | None] = mapped_column(ForeignKey("board_columns.id", ondelete="SET NULL"))
    to_column_id: Mapped[int | None] = mapped_column(ForeignKey("board_columns.id", ondelete="SET NULL"))
    other_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(String(300))

    user = relationship("User", foreign_keys=[user_id], lazy="joined")
    other_user = relationship("User", foreign_keys=[other_user_id])
    card: Mapped[Card] = relationship()
    from_column = relationship("BoardColumn", foreign_keys=[from_column_id])
    to_column = relationship("BoardColumn", foreign_keys=[to_column_id])
