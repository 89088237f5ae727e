"""The whole history of one dossier in one place: what it applied for, its formal
review, every expert's score, its place in each version of the finalised list, the
objections about it and how they ended, its pilot year (milestones, progress reports,
notes) and its outcome in every recognition round made from the project. In a
recognition round's own project, the round's outcome for the base stands in for the
list. Read by ``review-desk history`` and the 全程记录 view of the dossiers page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from review_desk.errors import UserError
from review_desk.i18n import tr
from review_desk.objections import ObjectionRow, list_objections
from review_desk.pilot import BaseHistory, PilotError, base_history
from review_desk.project import Project
from review_desk.reasons import decode, render
from review_desk.recognition_round import LinkedOutcome, linked_outcomes
from review_desk.storage import models as m


@dataclass(frozen=True)
class ExpertScore:
    """One expert's score sheet for the dossier."""

    expert: str
    status: str
    total: float | None
    submitted_at: datetime | None


@dataclass(frozen=True)
class ListPlace:
    """The dossier in one version of the finalised list."""

    version: int
    content_hash: str
    score: float | None
    rank: int | None
    tier: str
    adjusted_tier: str
    reason: str
    adjustment_reason: str


@dataclass(frozen=True)
class RoundOutcome:
    """The base's outcome in this recognition round (its own project)."""

    score: float | None
    suggested: str | None
    outcome: str | None
    reason: str
    decided: bool


@dataclass(frozen=True)
class DossierHistory:
    """Everything recorded about one dossier, from application to recognition."""

    code: str
    platform_name: str
    applicant: str
    direction: str
    requested_level: str
    received_at: datetime | None
    kind: str
    formal_verdict: str | None
    expert_scores: list[ExpertScore]
    list_places: list[ListPlace]
    objections: list[ObjectionRow]
    pilot: BaseHistory | None
    recognition: list[LinkedOutcome]
    round_outcome: RoundOutcome | None

    def as_dict(self) -> dict[str, Any]:
        """As JSON data (``review-desk history --json``)."""

        def plain(value: Any) -> Any:
            if isinstance(value, datetime):
                return value.isoformat()
            if hasattr(value, "as_dict"):
                return value.as_dict()
            if hasattr(value, "__dataclass_fields__"):
                return {k: plain(v) for k, v in value.__dict__.items()}
            if isinstance(value, list):
                return [plain(v) for v in value]
            return value

        return {k: plain(v) for k, v in self.__dict__.items()}


class HistoryError(UserError):
    """The history cannot be read (no such dossier)."""


def _expert_scores(session: Session, dossier: m.Dossier) -> list[ExpertScore]:
    from review_desk.rubrics import load_rubric, rubric_text

    rubrics: dict[str, Any] = {}
    scores = []
    for sheet in session.scalars(
        select(m.ScoreSheet)
        .where(m.ScoreSheet.dossier_id == dossier.id)
        .options(selectinload(m.ScoreSheet.scores))
        .order_by(m.ScoreSheet.id)
    ):
        if sheet.rubric_hash not in rubrics:
            text = rubric_text(session, sheet.rubric_hash)
            rubrics[sheet.rubric_hash] = load_rubric(text) if text is not None else None
        rubric = rubrics[sheet.rubric_hash]
        scored = {x.criterion_id: x.points for x in sheet.scores if x.points is not None}
        total = (
            rubric.weighted_total(scored, dossier.lead_applicant.kind)
            if rubric is not None and scored
            else None
        )
        expert = session.get(m.Expert, sheet.expert_id)
        scores.append(
            ExpertScore(
                expert.name if expert else str(sheet.expert_id),
                sheet.status,
                total,
                sheet.submitted_at,
            )
        )
    return scores


def _list_places(session: Session, dossier_id: int) -> list[ListPlace]:
    places = []
    for final in session.scalars(select(m.FinalList).order_by(m.FinalList.id)):
        row = next((r for r in final.rows if r.get("dossier_id") == dossier_id), None)
        if row is None:
            continue
        places.append(
            ListPlace(
                final.version,
                final.content_hash,
                row.get("score"),
                row.get("rank"),
                str(row.get("tier") or ""),
                str(row.get("adjusted_tier") or ""),
                render(decode(row.get("reason"))),
                str(row.get("adjustment_reason") or ""),
            )
        )
    return places


def _round_outcome(project: Project, dossier_id: int) -> RoundOutcome | None:
    from review_desk.recognition import outcomes

    for base in outcomes(project):
        if base.dossier_id == dossier_id:
            return RoundOutcome(
                base.score, base.suggested, base.outcome, base.reason_text, base.decided
            )
    return None


def dossier_history(project: Project, code: str) -> DossierHistory:
    """The history of the dossier ``code`` (a :class:`HistoryError` when there is none)."""
    kind = project.info().kind
    with project.reading() as session:
        dossier = session.scalars(
            select(m.Dossier)
            .where(m.Dossier.code == code)
            .options(selectinload(m.Dossier.lead_applicant), selectinload(m.Dossier.direction))
        ).first()
        if dossier is None:
            raise HistoryError(tr("No dossier {code}.", code=code))
        review = session.scalars(
            select(m.FormalReview).where(m.FormalReview.dossier_id == dossier.id)
        ).first()
        expert_scores = _expert_scores(session, dossier)
        places = _list_places(session, dossier.id)
        try:
            pilot: BaseHistory | None = base_history(session, dossier.id)
        except PilotError:
            pilot = None
        dossier_id = dossier.id
        facts = (
            dossier.platform_name,
            dossier.lead_applicant.name,
            dossier.direction.short_name,
            dossier.requested_level,
            dossier.received_at,
        )
    objections = [o for o in list_objections(project) if o.code == code]
    recognition = linked_outcomes(project, code) if kind != "recognition" else []
    round_outcome = _round_outcome(project, dossier_id) if kind == "recognition" else None
    return DossierHistory(
        code,
        *facts,
        kind,
        review.verdict if review is not None else None,
        expert_scores,
        places,
        objections,
        pilot,
        recognition,
        round_outcome,
    )


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _tier(tier: str) -> str:
    from review_desk.domain import Tier

    try:
        return Tier(tier).label
    except ValueError:
        return tier or "—"


def sections(history: DossierHistory) -> list[tuple[str, list[str]]]:
    """The history as titled sections of lines, for the command line and the view."""
    from review_desk.formal_review import verdict_label
    from review_desk.objections import status_label
    from review_desk.recognition import outcome_label

    application = [
        tr(
            "{code} {platform}; lead applicant {applicant}; direction {direction}; "
            "applied for {level}",
            code=history.code,
            platform=history.platform_name,
            applicant=history.applicant,
            direction=history.direction,
            level=_tier(history.requested_level),
        ),
        tr(
            "Formal review: {verdict}",
            verdict=verdict_label(history.formal_verdict),
        ),
    ]
    scores = [
        tr(
            "{expert}: {total} ({status})",
            expert=s.expert,
            total=_score(s.total),
            status=sheet_status_label(s.status),
        )
        for s in history.expert_scores
    ] or [tr("No score sheet.")]
    result: list[tuple[str, list[str]]] = [
        (tr("Application"), application),
        (tr("Expert scores"), scores),
    ]
    if history.kind == "recognition":
        outcome = history.round_outcome
        result.append(
            (
                tr("Recognition outcome in this round"),
                [
                    tr(
                        "Score {score}; {outcome} ({decided}): {reason}",
                        score=_score(outcome.score),
                        outcome=outcome_label(outcome.outcome),
                        decided=tr("decided by the committee")
                        if outcome.decided
                        else tr("suggested by threshold"),
                        reason=outcome.reason,
                    )
                ]
                if outcome is not None
                else [tr("Not in this round's outcomes.")],
            )
        )
        return result
    places = [
        tr(
            "Version {version}: score {score}, rank {rank}, computed {computed} ({reason}); "
            "the committee moved it to {tier}: {adjustment}",
            version=p.version,
            score=_score(p.score),
            rank=p.rank if p.rank is not None else "—",
            computed=_tier(p.tier),
            reason=p.reason,
            tier=_tier(p.adjusted_tier),
            adjustment=p.adjustment_reason,
        )
        if p.adjustment_reason
        else tr(
            "Version {version}: score {score}, rank {rank}, {tier} — {reason}",
            version=p.version,
            score=_score(p.score),
            rank=p.rank if p.rank is not None else "—",
            tier=_tier(p.adjusted_tier),
            reason=p.reason,
        )
        for p in history.list_places
    ] or [tr("Not on a finalised list.")]
    result.append((tr("Finalised list"), places))
    result.append(
        (
            tr("Objections"),
            [
                tr(
                    "No. {id}, received {day}: {grounds} — {status}{reason}",
                    id=o.id,
                    day=o.received_on.isoformat(),
                    grounds=o.grounds,
                    status=status_label(o.status),
                    reason=f"：{o.decision_reason}" if o.decision_reason else "",
                )
                for o in history.objections
            ]
            or [tr("No objection.")],
        )
    )
    pilot = history.pilot
    if pilot is None:
        pilot_lines = [tr("Not a selected base: no pilot year.")]
    else:
        pilot_lines = [
            tr(
                "Milestone {due} {title}: {state}",
                due=x.due_on.isoformat(),
                title=x.title,
                state=tr("done on {day}", day=x.done_on.isoformat()) if x.done_on else tr("open"),
            )
            for x in pilot.milestones
        ]
        pilot_lines += [
            tr(
                "Report {day} {name}{summary}",
                day=r.submitted_on.isoformat(),
                name=r.name,
                summary=f"：{r.summary}" if r.summary else "",
            )
            for r in pilot.reports
        ]
        pilot_lines += [
            tr("Note by {author}: {text}", author=n.author, text=n.text) for n in pilot.notes
        ]
        pilot_lines = pilot_lines or [tr("Nothing recorded yet.")]
    result.append((tr("Pilot year"), pilot_lines))
    result.append(
        (
            tr("Recognition"),
            [
                tr(
                    "{round}: {outcome}{reason}",
                    round=r.round_name,
                    outcome=outcome_label(r.outcome) if r.outcome else r.note,
                    reason=f"（{r.reason}）" if r.reason else "",
                )
                for r in history.recognition
            ]
            or [tr("No recognition round yet.")],
        )
    )
    return result


def sheet_status_label(status: str) -> str:
    """A score sheet's status as shown."""
    from review_desk.domain import SheetStatus

    try:
        return SheetStatus(status).label
    except ValueError:
        return status
