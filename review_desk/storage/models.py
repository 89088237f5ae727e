"""SQLAlchemy 2 typed models of the glossary entities (ARCHITECTURE.md).

One database holds one review project. Every table here is created by the Alembic
migrations in ``review_desk/storage/migrations``; a test checks that the models and
the migrated schema agree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from review_desk.storage.base import NAMING, Base


class ReviewProject(Base):
    """One review round (评审项目/批次: a selection round, or a recognition round made
    from one) and its parameters."""

    __tablename__ = "review_project"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    round_name: Mapped[str] = mapped_column(String(200), default="")
    organiser: Mapped[str] = mapped_column(String(200), default="")
    agency: Mapped[str] = mapped_column(String(200), default="")
    deadline: Mapped[datetime | None]
    created_at: Mapped[datetime]
    provincial_target: Mapped[int] = mapped_column(Integer, default=10)
    provincial_tolerance: Mapped[int] = mapped_column(Integer, default=2)
    per_direction_cap: Mapped[int] = mapped_column(Integer, default=2)
    min_opinion_length: Mapped[int] = mapped_column(Integer, default=50)
    # The rubric new score sheets use (content hash of a row of ``rubric``).
    active_rubric_hash: Mapped[str | None] = mapped_column(String(64))
    # 'selection' (遴选) or 'recognition' (认定验收: made from a selection project,
    # whose id, name, round name, finalised list version and hash, and location as
    # given are kept here).
    kind: Mapped[str] = mapped_column(String, default="selection", server_default="selection")
    source_project_id: Mapped[str | None] = mapped_column(String)
    source_name: Mapped[str] = mapped_column(Text, default="", server_default="")
    source_round_name: Mapped[str] = mapped_column(Text, default="", server_default="")
    source_list_version: Mapped[int | None] = mapped_column(Integer)
    source_list_hash: Mapped[str | None] = mapped_column(String)
    source_location: Mapped[str] = mapped_column(Text, default="", server_default="")


class RubricVersion(Base):
    """A version of a guideline rubric (指导标准), kept as its TOML text.

    Rows are never changed: editing a rubric stores a new version. A version that any
    score sheet uses is locked (see review_desk.rubrics).
    """

    __tablename__ = "rubric"

    id: Mapped[int] = mapped_column(primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    rubric_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(50))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100), default="")


class Direction(Base):
    """An industry direction (产业方向) of 附件1, copied into the project."""

    __tablename__ = "direction"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    short_name: Mapped[str] = mapped_column(String(50))
    focus_areas: Mapped[list[str]]
    majors: Mapped[list[str]]
    # A per-direction cap that overrides the project's per_direction_cap when set.
    provincial_cap: Mapped[int | None]

    dossiers: Mapped[list[Dossier]] = relationship(back_populates="direction")


class Applicant(Base):
    """An applicant (申报主体), identified by its unified social credit code."""

    __tablename__ = "applicant"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # A partner named in a register without its code has none (NULLs never collide).
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    city: Mapped[str] = mapped_column(String(20), default="")
    in_shanxi: Mapped[bool] = mapped_column(Boolean, default=True)
    # Facts the eligibility rules read (data/reference/eligibility_rules.toml).
    pilot_enterprise_status: Mapped[str | None] = mapped_column(String(20))
    local_presence: Mapped[str | None] = mapped_column(String(30))
    double_high: Mapped[str | None] = mapped_column(String(20))
    major_tech_transfer: Mapped[bool] = mapped_column(Boolean, default=False)
    major_categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    contact_name: Mapped[str] = mapped_column(String(50), default="")
    contact_phone: Mapped[str] = mapped_column(String(30), default="")


class Dossier(Base):
    """One application (揭榜申请) of a lead applicant for one direction at one level."""

    __tablename__ = "dossier"
    __table_args__ = (UniqueConstraint("lead_applicant_id", "direction_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    platform_name: Mapped[str] = mapped_column(String(200))
    lead_applicant_id: Mapped[int] = mapped_column(ForeignKey("applicant.id"))
    direction_id: Mapped[int] = mapped_column(ForeignKey("direction.id"))
    requested_level: Mapped[str] = mapped_column(String(20))
    has_policy_list: Mapped[bool] = mapped_column(Boolean, default=False)
    received_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(30), default="received")

    lead_applicant: Mapped[Applicant] = relationship()
    direction: Mapped[Direction] = relationship(back_populates="dossiers")
    partners: Mapped[list[DossierPartner]] = relationship(
        back_populates="dossier", cascade="all, delete-orphan"
    )
    materials: Mapped[list[Material]] = relationship(back_populates="dossier")


class DossierPartner(Base):
    """A partner (合作方) of a dossier besides its lead applicant."""

    __tablename__ = "dossier_partner"
    __table_args__ = (UniqueConstraint("dossier_id", "applicant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id", ondelete="CASCADE"))
    applicant_id: Mapped[int] = mapped_column(ForeignKey("applicant.id"))
    role: Mapped[str] = mapped_column(String(100), default="")

    dossier: Mapped[Dossier] = relationship(back_populates="partners")
    applicant: Mapped[Applicant] = relationship()


class Material(Base):
    """A file received for a dossier, kept in the file store under its SHA-256.

    A supplement (补正) adds a new version and marks the earlier one not current; no
    version is ever deleted.
    """

    __tablename__ = "material"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"))
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int]
    page_count: Mapped[int | None]
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    received_at: Mapped[datetime]
    # Checklist keys found in the text layer with their pages, e.g. {"plan.goals": 4};
    # None when the file has not been read.
    found_items: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # ok, no_text (a scan: needs a manual check), encrypted, damaged, too_costly; None
    # when not yet read. ``problem`` says what is wrong for the last four.
    text_status: Mapped[str | None] = mapped_column(String(20))
    problem: Mapped[str] = mapped_column(Text, default="")
    source_path: Mapped[str] = mapped_column(Text, default="")

    dossier: Mapped[Dossier] = relationship(back_populates="materials")


class FormalReview(Base):
    """The formal review (形式审查) of a dossier: the checks, their results and the verdict.

    ``checks`` holds the automatic results, each a dict with ``id``, ``label``,
    ``result`` (pass, fail, manual, info), ``reason``, ``severity`` (hard: not eligible;
    soft: can be supplemented) and ``page``; reviewers' overrides are kept apart in
    :class:`FormalOverride` so that running the checks again never loses them.
    """

    __tablename__ = "formal_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), unique=True)
    department: Mapped[str] = mapped_column(String(100))
    checks: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    verdict: Mapped[str | None] = mapped_column(String(20))  # passed, failed, supplement
    supplement_deadline: Mapped[datetime | None]
    reviewed_at: Mapped[datetime]
    reviewer: Mapped[str] = mapped_column(String(100))

    dossier: Mapped[Dossier] = relationship()


class FormalOverride(Base):
    """A reviewer's decision replacing an automatic check result, with the reason."""

    __tablename__ = "formal_override"
    __table_args__ = (UniqueConstraint("dossier_id", "check_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"))
    check_id: Mapped[str] = mapped_column(String(60))
    result: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[datetime]


class Expert(Base):
    """An expert (专家) of the roster."""

    __tablename__ = "expert"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    organisation: Mapped[str] = mapped_column(String(200))
    field: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    email: Mapped[str] = mapped_column(String(100), default="")
    public_key: Mapped[str | None] = mapped_column(Text)
    # The pool (专家库, review_desk.pool): kept beyond one round.
    city: Mapped[str] = mapped_column(String, default="")
    title: Mapped[str] = mapped_column(String, default="")
    # The notice's directions by number, and majors (专业) by name.
    directions: Mapped[list[int]] = mapped_column(JSON, default=list)
    majors: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The rounds the expert can take part in (empty: any), and those already served.
    availability: Mapped[list[str]] = mapped_column(JSON, default=list)
    past_rounds: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Organisations or persons the expert declared a relation with.
    relations: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Earlier employers: [{"organisation": ..., "until": year}, ...].
    past_employers: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class ConflictRule(Base):
    """A project's setting of a conflict rule (回避规则, review_desk.conflicts): on or
    off, its number of years where it has one, and the reason it states. A rule with no
    row has its default setting."""

    __tablename__ = "conflict_rule"

    rule: Mapped[str] = mapped_column(String, primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    years: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)


class ExpertDraw(Base):
    """A random draw of experts (随机抽取, review_desk.draw): its inputs (the parameters,
    the eligible pool's snapshot, the conflict rules, the supervisor's public value),
    their hashes and the seed, the drawn experts and alternates in drawn order, and the
    refusals with their replacements. ``draw verify`` recomputes it from this row and
    the audit log's entries."""

    __tablename__ = "expert_draw"

    id: Mapped[int] = mapped_column(primary_key=True)
    drawn_at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    pool: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    public_value: Mapped[str] = mapped_column(Text)
    hashes: Mapped[dict[str, Any]] = mapped_column(JSON)
    seed: Mapped[str] = mapped_column(String)
    selected: Mapped[list[int]] = mapped_column(JSON)
    alternates: Mapped[list[int]] = mapped_column(JSON)
    # [{"expert": id, "reason": ..., "replacement": id or None, "at": iso time}, ...]
    refusals: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class Panel(Base):
    """An expert panel (专家组) with a leader, covering some directions."""

    __tablename__ = "panel"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("expert.id"))

    leader: Mapped[Expert | None] = relationship()
    members: Mapped[list[PanelMember]] = relationship(cascade="all, delete-orphan")
    directions: Mapped[list[PanelDirection]] = relationship(cascade="all, delete-orphan")


class PanelMember(Base):
    """An expert's membership of a panel."""

    __tablename__ = "panel_member"
    __table_args__ = (UniqueConstraint("panel_id", "expert_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panel.id", ondelete="CASCADE"))
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id"))

    expert: Mapped[Expert] = relationship()


class PanelDirection(Base):
    """A direction a panel covers."""

    __tablename__ = "panel_direction"
    __table_args__ = (UniqueConstraint("panel_id", "direction_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panel.id", ondelete="CASCADE"))
    direction_id: Mapped[int] = mapped_column(ForeignKey("direction.id"))


class Assignment(Base):
    """A dossier assigned to an expert for review."""

    __tablename__ = "assignment"
    __table_args__ = (UniqueConstraint("expert_id", "dossier_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id"))
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"))
    panel_id: Mapped[int | None] = mapped_column(ForeignKey("panel.id"))

    expert: Mapped[Expert] = relationship()
    dossier: Mapped[Dossier] = relationship()


class Recusal(Base):
    """A conflict of interest (回避): the expert may neither score nor see the scores."""

    __tablename__ = "recusal"
    __table_args__ = (UniqueConstraint("expert_id", "dossier_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id"))
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"))
    reason: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(20))
    declared_at: Mapped[datetime]

    expert: Mapped[Expert] = relationship()
    dossier: Mapped[Dossier] = relationship()


class ScoreSheet(Base):
    """One expert's scores of one dossier under one rubric version (评分表)."""

    __tablename__ = "score_sheet"
    __table_args__ = (UniqueConstraint("expert_id", "dossier_id", "rubric_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id"))
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"))
    rubric_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    opinion: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    # Where the sheet's content last came from: desk, excel (a returned workbook),
    # return_package (a signed return), with the file's SHA-256 and who entered it.
    source: Mapped[str] = mapped_column(String(20), default="desk")
    source_sha256: Mapped[str | None] = mapped_column(String(64))
    entered_by: Mapped[str] = mapped_column(String(100), default="")
    # The counted points per stage (JSON array in the order of the rubric's stages) and
    # the number of points for criteria that do not apply: kept by the score-sheet
    # service, cleared by database triggers when anything else changes what they sum
    # (review_desk.scoring.totals). None: not known, computed when read.
    stage_totals: Mapped[str | None] = mapped_column(Text, default=None)
    uncounted_scores: Mapped[int | None] = mapped_column(Integer, default=None)

    expert: Mapped[Expert] = relationship()
    dossier: Mapped[Dossier] = relationship()
    scores: Mapped[list[Score]] = relationship(back_populates="sheet", cascade="all, delete-orphan")
    vetoes: Mapped[list[VetoFlag]] = relationship(cascade="all, delete-orphan")


class VetoFlag(Base):
    """An expert's veto flag (否决项) on a dossier, with the reason."""

    __tablename__ = "veto_flag"
    __table_args__ = (UniqueConstraint("sheet_id", "veto_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("score_sheet.id", ondelete="CASCADE"))
    veto_id: Mapped[str] = mapped_column(String(50))
    reason: Mapped[str] = mapped_column(Text)


class Score(Base):
    """The points one expert gave one criterion, with an optional comment."""

    __tablename__ = "score"
    __table_args__ = (UniqueConstraint("sheet_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("score_sheet.id", ondelete="CASCADE"))
    criterion_id: Mapped[str] = mapped_column(String(50))
    # None: a comment written before (or without) points.
    points: Mapped[float | None] = mapped_column(Float)
    comment: Mapped[str] = mapped_column(Text, default="")

    sheet: Mapped[ScoreSheet] = relationship(back_populates="scores")


class DefenseSession(Base):
    """A defense session (答辩场次): when, how, where, and the dossiers in order."""

    __tablename__ = "defense_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    starts_at: Mapped[datetime]
    mode: Mapped[str] = mapped_column(String(20))
    platform: Mapped[str] = mapped_column(String(50), default="")
    meeting_id: Mapped[str] = mapped_column(String(50), default="")
    room: Mapped[str] = mapped_column(String(100), default="")
    presentation_minutes: Mapped[int] = mapped_column(Integer, default=15)
    qa_minutes: Mapped[int] = mapped_column(Integer, default=10)
    panel_id: Mapped[int | None] = mapped_column(ForeignKey("panel.id"))

    records: Mapped[list[DefenseRecord]] = relationship(
        back_populates="session", order_by="DefenseRecord.order_index"
    )


class DefenseRecord(Base):
    """The record of a dossier's defense (互联网+现场答辩)."""

    __tablename__ = "defense_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"))
    session_at: Mapped[datetime]
    mode: Mapped[str] = mapped_column(String(20))
    platform: Mapped[str] = mapped_column(String(50), default="")
    meeting_id: Mapped[str] = mapped_column(String(50), default="")
    room: Mapped[str] = mapped_column(String(100), default="")
    presenter: Mapped[str] = mapped_column(String(50), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    session_id: Mapped[int | None] = mapped_column(ForeignKey("defense_session.id"))
    order_index: Mapped[int] = mapped_column(Integer, default=0)
    attendees: Mapped[str] = mapped_column(Text, default="")
    presentation_minutes: Mapped[float | None] = mapped_column(Float)
    # [{"asker": ..., "question": ..., "answer": ...}, ...]
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    dossier: Mapped[Dossier] = relationship()
    session: Mapped[DefenseSession | None] = relationship(back_populates="records")


class DefenseNote(Base):
    """One expert's own record of a dossier's defense, as returned in their package.

    Kept per expert, apart from the panel's shared :class:`DefenseRecord`, so that two
    panel members' returns never overwrite each other.
    """

    __tablename__ = "defense_note"
    __table_args__ = (UniqueConstraint("expert_id", "dossier_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id"))
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"))
    attendees: Mapped[str] = mapped_column(Text, default="")
    presentation_minutes: Mapped[float | None] = mapped_column(Float)
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    notes: Mapped[str] = mapped_column(Text, default="")
    package_id: Mapped[str] = mapped_column(String(36), default="")
    updated_at: Mapped[datetime]

    expert: Mapped[Expert] = relationship()
    dossier: Mapped[Dossier] = relationship()


class InspectionNote(Base):
    """One expert's own record of a dossier's video inspection, as returned in their
    package (kept per expert, apart from the shared :class:`InspectionRecord`)."""

    __tablename__ = "inspection_note"
    __table_args__ = (UniqueConstraint("expert_id", "dossier_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id"))
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"))
    inspected_at: Mapped[datetime | None]
    site: Mapped[str] = mapped_column(String(200), default="")
    shown: Mapped[str] = mapped_column(Text, default="")
    findings: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    package_id: Mapped[str] = mapped_column(String(36), default="")
    updated_at: Mapped[datetime]

    expert: Mapped[Expert] = relationship()
    dossier: Mapped[Dossier] = relationship()


class InspectionRecord(Base):
    """The record of a dossier's video inspection (视频转播考察)."""

    __tablename__ = "inspection_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"))
    inspected_at: Mapped[datetime]
    site: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    shown: Mapped[str] = mapped_column(Text, default="")
    findings: Mapped[str] = mapped_column(Text, default="")

    dossier: Mapped[Dossier] = relationship()


class ReturnPackage(Base):
    """A signed score return taken in at the agency (kept, with its file, for history)."""

    __tablename__ = "return_package"
    # One package per expert and sequence number: two imports racing cannot both take
    # the same place (rows left by an earlier version's race are "conflicted").
    __table_args__ = (
        Index(
            "uq_return_package_expert_sequence",
            "expert_id",
            "sequence",
            unique=True,
            sqlite_where=sql_text("status IN ('accepted', 'superseded')"),
            postgresql_where=sql_text("status IN ('accepted', 'superseded')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    package_id: Mapped[str] = mapped_column(String(36), unique=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id"))
    sequence: Mapped[int] = mapped_column(Integer)
    file_sha256: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20))  # accepted, superseded, conflicted
    manifest: Mapped[dict[str, Any]] = mapped_column(JSON)


class LocalSetting(Base):
    """A setting of this copy of the project (on an expert's machine: who the expert is,
    the sequence number of the last return)."""

    __tablename__ = "local_setting"

    key: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class ServerAccount(Base):
    """A person's database login in a project on a server, and in what capacity: the
    agency, a department's formal reviewer, an expert, or the committee."""

    __tablename__ = "server_account"

    login: Mapped[str] = mapped_column(String, primary_key=True)
    kind: Mapped[str] = mapped_column(String)  # agency, reviewer, expert, committee
    department: Mapped[str | None] = mapped_column(String)  # a reviewer's department code
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("expert.id"))
    display_name: Mapped[str] = mapped_column(String, default="")
    disabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]


class StoredFile(Base):
    """A dossier file kept in the database (a project on a server): its digest and size;
    its bytes are its :class:`StoredFileChunk` rows."""

    __tablename__ = "stored_file"

    # Unlimited on both backends (as every text on the server since 0009): a digest's
    # form is checked where it comes in.
    sha256: Mapped[str] = mapped_column(String, primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]


class StoredFileChunk(Base):
    """One piece (1 MiB, the last one shorter) of a stored file, numbered from 0."""

    __tablename__ = "stored_file_chunk"

    sha256: Mapped[str] = mapped_column(ForeignKey("stored_file.sha256"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class AuditLog(Base):
    """An append-only, hash-chained record of a change that matters (审计日志).

    ``entry_hash`` is the SHA-256 of the entry's canonical content and the previous
    entry's hash; triggers refuse UPDATE and DELETE (see the first migration).
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    entity: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[str] = mapped_column(String(50), default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)


# The committee's decisions and the publication, and the pilot year, live in modules of
# their own (this one had grown past 700 lines); they are part of this module's namespace,
# as ``m.FinalList``.
from review_desk.storage.models_decisions import (  # noqa: E402
    CommitteeAdjustment,
    DeviationNote,
    FinalList,
    Objection,
    ObjectionEvidence,
    PublicityPeriod,
)
from review_desk.storage.models_pilot import (  # noqa: E402
    PilotMilestone,
    PilotNote,
    PilotPeriod,
    PilotReport,
    PilotReportMilestone,
)
from review_desk.storage.models_recognition import (  # noqa: E402
    RecognitionDecision,
    RecognitionFinal,
    RecognitionLink,
)

__all__ = [
    "NAMING",
    "Base",
    "CommitteeAdjustment",
    "DeviationNote",
    "FinalList",
    "Objection",
    "ObjectionEvidence",
    "PilotMilestone",
    "PilotNote",
    "PilotPeriod",
    "PilotReport",
    "PilotReportMilestone",
    "PublicityPeriod",
    "RecognitionDecision",
    "RecognitionFinal",
    "RecognitionLink",
]
