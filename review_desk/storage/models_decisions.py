"""The models of the committee's decisions and of the publication: adjustments and
deviation notes, the finalised list's versions, the publicity period, the objections
and their evidence. Imported into :mod:`review_desk.storage.models`, where every model
is reached (``m.FinalList``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from review_desk.storage.base import Base

if TYPE_CHECKING:
    from review_desk.storage.models import Dossier


class CommitteeAdjustment(Base):
    """A change the committee made to the computed list, always with a written reason."""

    __tablename__ = "committee_adjustment"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"))
    from_tier: Mapped[str] = mapped_column(String(20))
    to_tier: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[datetime]

    dossier: Mapped[Dossier] = relationship()


class DeviationNote(Base):
    """The written explanation of an abnormally high or low score (畸高畸低)."""

    __tablename__ = "deviation_note"
    __table_args__ = (UniqueConstraint("dossier_id", "expert_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"))
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id"))
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(20))  # expert, agency
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime]


class FinalList(Base):
    """A version of the finalised ranked list, locked with the content hash printed on
    every export. The first version is the committee's finalisation; each later one is a
    revision for an upheld objection (``reason`` names it, ``previous_id`` the version it
    revises, ``diff`` the dossiers whose tier or rank changed). The latest version (the
    highest id) is the list in force; no version is ever changed."""

    __tablename__ = "final_list"

    id: Mapped[int] = mapped_column(primary_key=True)
    finalised_at: Mapped[datetime]
    finalised_by: Mapped[str] = mapped_column(String(100))
    content_hash: Mapped[str] = mapped_column(String(64))
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    rows: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("final_list.id"))
    diff: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, default=list, server_default=sql_text("'[]'")
    )


class PublicityPeriod(Base):
    """The publicity period (公示期) of a finalised list: opened with its dates and
    contact, then closed; the list is published (正式发布) once it has ended and no
    objection is pending."""

    __tablename__ = "publicity_period"

    id: Mapped[int] = mapped_column(primary_key=True)
    opened_at: Mapped[datetime]
    opened_by: Mapped[str] = mapped_column(String)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    contact: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text)
    final_list_id: Mapped[int] = mapped_column(ForeignKey("final_list.id"))
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String)
    published_at: Mapped[datetime | None]
    published_by: Mapped[str | None] = mapped_column(String)
    published_hash: Mapped[str | None] = mapped_column(String)


class Objection(Base):
    """An objection (异议) received during a publicity period about one dossier: open,
    investigating, then upheld or dismissed by the committee with a written reason."""

    __tablename__ = "objection"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("publicity_period.id"))
    received_on: Mapped[date] = mapped_column(Date)
    objector: Mapped[str] = mapped_column(Text)  # '' when anonymous
    anonymous: Mapped[bool] = mapped_column(Boolean)
    contact: Mapped[str] = mapped_column(Text)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"))
    grounds: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String)  # open, investigating, upheld, dismissed
    assignee: Mapped[str] = mapped_column(Text, default="")
    findings: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String)
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    resulting_list_id: Mapped[int | None] = mapped_column(ForeignKey("final_list.id"))
    recorded_at: Mapped[datetime]
    recorded_by: Mapped[str] = mapped_column(String)

    dossier: Mapped[Dossier] = relationship()


class ObjectionEvidence(Base):
    """An evidence file of an objection, kept in the project's file store under its
    SHA-256 like a dossier's material."""

    __tablename__ = "objection_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    objection_id: Mapped[int] = mapped_column(ForeignKey("objection.id"))
    name: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String)
    size: Mapped[int] = mapped_column(BigInteger)
    added_at: Mapped[datetime]
    added_by: Mapped[str] = mapped_column(String)
