"""The models of the recognition round (认定验收): the links between a selection round
and the recognition rounds made from it, the committee's decision on each base and the
finalised recognition list. Imported into :mod:`review_desk.storage.models`, where every
model is reached (``m.RecognitionDecision``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Date, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from review_desk.storage.base import Base

if TYPE_CHECKING:
    from review_desk.storage.models import Dossier


class RecognitionLink(Base):
    """A recognition round made from this (selection) project: where it is, its project
    id and round name, so that a base's history can find its recognition outcome."""

    __tablename__ = "recognition_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    location: Mapped[str] = mapped_column(Text)
    project_id: Mapped[str] = mapped_column(String)
    round_name: Mapped[str] = mapped_column(Text)
    list_hash: Mapped[str] = mapped_column(String)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String)


class RecognitionDecision(Base):
    """The committee's decision on a base (通过 / 限期整改 / 不通过) with its written
    reason and, for 限期整改, the deadline; beside the suggestion it accepts or
    overrides. Rows are never changed: a later decision on the same base replaces it."""

    __tablename__ = "recognition_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"))
    outcome: Mapped[str] = mapped_column(String)  # passed, rectify, failed
    suggested: Mapped[str | None] = mapped_column(String)
    score: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)
    deadline: Mapped[date | None] = mapped_column(Date)
    decided_by: Mapped[str] = mapped_column(String)
    decided_at: Mapped[datetime]

    dossier: Mapped[Dossier] = relationship()


class RecognitionFinal(Base):
    """The finalised recognition list (认定名单), locked with its content hash: the
    outcome of every base with its score, reason and deadline, and the thresholds and
    rubric it was decided under."""

    __tablename__ = "recognition_final"

    id: Mapped[int] = mapped_column(primary_key=True)
    finalised_at: Mapped[datetime]
    finalised_by: Mapped[str] = mapped_column(String)
    content_hash: Mapped[str] = mapped_column(String)
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    rows: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
