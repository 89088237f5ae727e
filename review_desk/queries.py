"""Read-only queries that the pages and the CLI show: plain rows, no ORM objects, so the
UI never holds a session open."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from review_desk.domain import SheetStatus, Verdict
from review_desk.project import Project
from review_desk.storage import models as m


@dataclass(frozen=True)
class DossierRow:
    """One dossier with what the materials list shows."""

    id: int
    code: str
    platform_name: str
    applicant: str
    applicant_kind: str
    city: str
    direction_number: int
    direction: str
    level: str
    partners: tuple[str, ...]
    materials: int
    pages: int
    size: int
    received_at: datetime | None
    late: bool
    verdict: Verdict | None = None
    reviewed: bool = False


@dataclass(frozen=True)
class MaterialRow:
    """One stored file of a dossier."""

    id: int
    dossier_id: int
    filename: str
    sha256: str
    size: int
    page_count: int | None
    version: int
    is_current: bool
    received_at: datetime
    text_status: str | None = None
    problem: str = ""


@dataclass(frozen=True)
class ExpertRow:
    """One expert with the panels and load."""

    id: int
    name: str
    organisation: str
    field: str
    phone: str
    email: str
    panels: tuple[str, ...]
    assigned: int
    recused: int
    submitted: int


@dataclass(frozen=True)
class PanelRow:
    """One panel with its leader, members and directions."""

    id: int
    name: str
    leader: str
    members: tuple[str, ...]
    directions: tuple[str, ...]
    dossiers: int


@dataclass(frozen=True)
class RecusalRow:
    """A declared or detected conflict of interest."""

    expert: str
    dossier_code: str
    applicant: str
    reason: str
    source: str
    declared_at: datetime


@dataclass(frozen=True)
class AssignmentRow:
    """One of an expert's assigned dossiers, with the sheet's status."""

    dossier_id: int
    dossier_code: str
    applicant: str
    direction: str
    status: SheetStatus


@dataclass(frozen=True)
class SheetRow:
    """One assignment and the state of its score sheet."""

    sheet_id: int | None
    expert: str
    dossier_code: str
    platform_name: str
    direction: str
    status: SheetStatus
    filled: int
    criteria: int
    total: float | None
    updated_at: datetime | None


@dataclass(frozen=True)
class DirectionCount:
    """How many dossiers applied in a direction, by requested level."""

    number: int
    name: str
    provincial: int
    municipal: int
    county: int
    cap: int


def dossiers(project: Project) -> list[DossierRow]:
    """Return every dossier with its lead applicant, partners and current materials."""
    deadline = project.info().deadline
    with project.reading() as s:
        verdicts = {
            row.dossier_id: Verdict(row.verdict) if row.verdict is not None else None
            for row in s.execute(select(m.FormalReview.dossier_id, m.FormalReview.verdict))
        }
        rows = s.scalars(
            select(m.Dossier)
            .options(
                selectinload(m.Dossier.lead_applicant),
                selectinload(m.Dossier.direction),
                selectinload(m.Dossier.partners).selectinload(m.DossierPartner.applicant),
                selectinload(m.Dossier.materials),
            )
            .order_by(m.Dossier.direction_id, m.Dossier.code)
        ).all()
        result = []
        for d in rows:
            current = [x for x in d.materials if x.is_current]
            result.append(
                DossierRow(
                    id=d.id,
                    code=d.code,
                    platform_name=d.platform_name,
                    applicant=d.lead_applicant.name,
                    applicant_kind=d.lead_applicant.kind,
                    city=d.lead_applicant.city,
                    direction_number=d.direction_id,
                    direction=d.direction.short_name,
                    level=d.requested_level,
                    partners=tuple(p.applicant.name for p in d.partners),
                    materials=len(current),
                    pages=sum(x.page_count or 0 for x in current),
                    size=sum(x.size for x in current),
                    received_at=d.received_at,
                    late=bool(deadline and d.received_at and d.received_at > deadline),
                    verdict=verdicts.get(d.id),
                    reviewed=d.id in verdicts,
                )
            )
    return result


def materials(project: Project, dossier_id: int) -> list[MaterialRow]:
    """Return every stored version of a dossier's materials, newest first."""
    with project.reading() as s:
        rows = s.scalars(
            select(m.Material)
            .where(m.Material.dossier_id == dossier_id)
            .order_by(m.Material.is_current.desc(), m.Material.version.desc())
        ).all()
        return [
            MaterialRow(
                id=x.id,
                dossier_id=x.dossier_id,
                filename=x.filename,
                sha256=x.sha256,
                size=x.size,
                page_count=x.page_count,
                version=x.version,
                is_current=x.is_current,
                received_at=x.received_at,
                text_status=x.text_status,
                problem=x.problem,
            )
            for x in rows
        ]


def experts(project: Project) -> list[ExpertRow]:
    """Return the roster with each expert's panels and load."""
    with project.reading() as s:
        panel_names: dict[int, list[str]] = defaultdict(list)
        for expert_id, name in s.execute(
            select(m.PanelMember.expert_id, m.Panel.name).join(m.Panel)
        ):
            panel_names[expert_id].append(name)
        assigned = Counter(s.scalars(select(m.Assignment.expert_id)).all())
        recused = Counter(s.scalars(select(m.Recusal.expert_id)).all())
        submitted = Counter(
            s.scalars(
                select(m.ScoreSheet.expert_id).where(m.ScoreSheet.status == "submitted")
            ).all()
        )
        return [
            ExpertRow(
                id=e.id,
                name=e.name,
                organisation=e.organisation,
                field=e.field,
                phone=e.phone,
                email=e.email,
                panels=tuple(panel_names[e.id]),
                assigned=assigned[e.id],
                recused=recused[e.id],
                submitted=submitted[e.id],
            )
            for e in s.scalars(select(m.Expert).order_by(m.Expert.id))
        ]


def panel_names(project: Project) -> dict[int, str]:
    """Every panel's name by its id (one small read: the reliability tables name the
    panels)."""
    with project.reading() as s:
        return {int(i): str(name) for i, name in s.execute(select(m.Panel.id, m.Panel.name))}


def panels(project: Project) -> list[PanelRow]:
    """Return the panels with their leader, members and directions."""
    with project.reading() as s:
        names = {
            row.id: row.short_name
            for row in s.execute(select(m.Direction.id, m.Direction.short_name))
        }
        result = []
        for p in s.scalars(
            select(m.Panel)
            .options(
                selectinload(m.Panel.members).selectinload(m.PanelMember.expert),
                selectinload(m.Panel.directions),
                selectinload(m.Panel.leader),
            )
            .order_by(m.Panel.id)
        ):
            direction_ids = [pd.direction_id for pd in p.directions]
            count = s.scalar(select(func.count()).where(m.Dossier.direction_id.in_(direction_ids)))
            result.append(
                PanelRow(
                    id=p.id,
                    name=p.name,
                    leader=p.leader.name if p.leader else "",
                    members=tuple(pm.expert.name for pm in p.members),
                    directions=tuple(names[i] for i in direction_ids),
                    dossiers=int(count or 0),
                )
            )
        return result


def recusals(project: Project) -> list[RecusalRow]:
    """Return every recusal (on a server, those whose dossier the account may see: an
    expert does not see a dossier they are recused from)."""
    with project.reading() as s:
        rows = s.scalars(
            select(m.Recusal)
            .options(
                selectinload(m.Recusal.expert),
                selectinload(m.Recusal.dossier).selectinload(m.Dossier.lead_applicant),
            )
            .order_by(m.Recusal.id)
        ).all()
        return [
            RecusalRow(
                expert=r.expert.name,
                dossier_code=r.dossier.code,
                applicant=r.dossier.lead_applicant.name,
                reason=r.reason,
                source=r.source,
                declared_at=r.declared_at,
            )
            for r in rows
            if r.dossier is not None
        ]


def score_sheets(project: Project) -> list[SheetRow]:
    """Return every assignment with the state of its score sheet."""
    from review_desk.rubrics import active_rubric, load_rubric, rubric_text

    active = active_rubric(project)
    with project.reading() as s:
        rubrics = {active.content_hash: active}
        for content_hash in set(s.scalars(select(m.ScoreSheet.rubric_hash)).all()):
            text = rubric_text(s, content_hash)
            if text is not None:
                rubrics[content_hash] = load_rubric(text)
        sheets = {
            (sh.expert_id, sh.dossier_id): sh
            for sh in s.scalars(select(m.ScoreSheet).options(selectinload(m.ScoreSheet.scores)))
        }
        result = []
        for a in s.scalars(
            select(m.Assignment)
            .options(
                selectinload(m.Assignment.expert),
                selectinload(m.Assignment.dossier).selectinload(m.Dossier.direction),
                selectinload(m.Assignment.dossier).selectinload(m.Dossier.lead_applicant),
            )
            .order_by(m.Assignment.expert_id, m.Assignment.dossier_id)
        ):
            sheet = sheets.get((a.expert_id, a.dossier_id))
            rubric = rubrics.get(sheet.rubric_hash, active) if sheet else active
            kind = a.dossier.lead_applicant.kind
            scored = {
                x.criterion_id: x.points
                for x in (sheet.scores if sheet else [])
                if x.points is not None
            }
            result.append(
                SheetRow(
                    sheet_id=sheet.id if sheet else None,
                    expert=a.expert.name,
                    dossier_code=a.dossier.code,
                    platform_name=a.dossier.platform_name,
                    direction=a.dossier.direction.short_name,
                    status=SheetStatus(sheet.status) if sheet else SheetStatus.NOT_STARTED,
                    filled=len(scored),
                    criteria=sum(1 for c in rubric.criteria if c.applies(kind)),
                    total=rubric.weighted_total(scored, kind) if scored else None,
                    updated_at=sheet.updated_at if sheet else None,
                )
            )
        return result


def direction_counts(project: Project) -> list[DirectionCount]:
    """Return, for every direction, the dossiers by requested level and the cap."""
    info = project.info()
    with project.reading() as s:
        counts: dict[tuple[int, str], int] = {
            (direction_id, level): int(n)
            for direction_id, level, n in s.execute(
                select(m.Dossier.direction_id, m.Dossier.requested_level, func.count()).group_by(
                    m.Dossier.direction_id, m.Dossier.requested_level
                )
            )
        }
        return [
            DirectionCount(
                number=d.id,
                name=d.short_name,
                provincial=counts.get((d.id, "provincial"), 0),
                municipal=counts.get((d.id, "municipal"), 0),
                county=counts.get((d.id, "county"), 0),
                cap=d.provincial_cap if d.provincial_cap is not None else info.per_direction_cap,
            )
            for d in s.scalars(select(m.Direction).order_by(m.Direction.id))
        ]


def expert_assignments(project: Project, expert_id: int) -> list[AssignmentRow]:
    """Return an expert's assigned dossiers (recusals excluded) with their sheet status."""
    with project.reading() as s:
        status = {
            row.dossier_id: row.status
            for row in s.execute(
                select(m.ScoreSheet.dossier_id, m.ScoreSheet.status).where(
                    m.ScoreSheet.expert_id == expert_id
                )
            )
        }
        recused = set(
            s.scalars(select(m.Recusal.dossier_id).where(m.Recusal.expert_id == expert_id))
        )
        rows = s.scalars(
            select(m.Assignment)
            .where(m.Assignment.expert_id == expert_id)
            .options(
                selectinload(m.Assignment.dossier).selectinload(m.Dossier.lead_applicant),
                selectinload(m.Assignment.dossier).selectinload(m.Dossier.direction),
            )
        ).all()
        result = [
            AssignmentRow(
                dossier_id=a.dossier_id,
                dossier_code=a.dossier.code,
                applicant=a.dossier.lead_applicant.name,
                direction=a.dossier.direction.short_name,
                status=SheetStatus(status.get(a.dossier_id, SheetStatus.NOT_STARTED)),
            )
            for a in rows
            if a.dossier_id not in recused
        ]
        return sorted(result, key=lambda r: r.dossier_code)


@dataclass(frozen=True)
class SheetContext:
    """What the score form shows about a dossier beside the sheet itself."""

    dossier_code: str
    platform_name: str
    applicant_kind: str
    min_opinion_length: int


def sheet_context(project: Project, dossier_id: int) -> SheetContext:
    """Return the dossier's code, name and lead applicant's kind (which criteria apply),
    and the project's minimum opinion length, for the score form."""
    with project.reading() as s:
        dossier = s.get(m.Dossier, dossier_id)
        if dossier is None:
            raise KeyError(dossier_id)
        return SheetContext(
            dossier_code=dossier.code,
            platform_name=dossier.platform_name,
            applicant_kind=dossier.lead_applicant.kind,
            min_opinion_length=s.scalars(select(m.ReviewProject)).one().min_opinion_length,
        )
