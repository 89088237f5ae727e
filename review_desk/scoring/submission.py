"""Submitting finished sheets in bulk without the desk: an expert who scored offline
(``review-desk sheets submit``), or the agency for a returned paper or Excel sheet.

Each sheet is submitted through the score-sheet service; a sheet that is not complete
stays a draft and is reported with what it lacks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from review_desk.audit import Clock, utc_now
from review_desk.i18n import tr
from review_desk.project import Project
from review_desk.rubrics import load_rubric, rubric_text
from review_desk.scoring.service import apply_in_session
from review_desk.scoring.state import (
    SUBMITTED,
    ScoringError,
    SheetBusy,
    assignment_problem,
    current_sheet,
    missing_for_submit,
    state_of,
)
from review_desk.storage import models as m
from review_desk.storage.locking import ProjectBusy


@dataclass
class SubmitReport:
    """Which sheets were submitted, which were already, and which stay drafts and why."""

    submitted: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    drafts: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Return the report as plain JSON-ready data."""
        return {"submitted": self.submitted, "already": self.already, "drafts": self.drafts}


def local_expert_id(project: Project) -> int | None:
    """Return the expert whose own copy this project is (opened from a work package)."""
    with project.reading() as session:
        settings = dict(session.execute(select(m.LocalSetting.key, m.LocalSetting.value)).all())
    if settings.get("role") != "expert" or not settings.get("expert_id", "").isdigit():
        return None
    return int(settings["expert_id"])


def submit_sheets(
    project: Project,
    expert_id: int,
    *,
    codes: list[str] | None = None,
    actor: str = "",
    clock: Clock = utc_now,
) -> SubmitReport:
    """Submit the expert's sheets of the dossiers ``codes`` (every started sheet when
    None) that are complete, in one transaction. An unknown code, or a dossier the
    expert may not score, is an error and nothing is submitted."""
    report = SubmitReport()

    def work(session: Session) -> None:
        wanted = _dossiers(session, expert_id, codes)
        info = session.scalars(select(m.ReviewProject)).one()
        for code, dossier in wanted:
            problem = assignment_problem(session, expert_id, dossier.id)
            if problem:
                raise ScoringError(f"{code}: {problem}")
            sheet = current_sheet(session, expert_id, dossier.id)
            if sheet is None:
                report.drafts[code] = [tr("{code} has not been scored", code=code)]
                continue
            if sheet.status == SUBMITTED:
                report.already.append(code)
                continue
            rubric = load_rubric(rubric_text(session, sheet.rubric_hash) or "")
            missing = missing_for_submit(
                state_of(sheet), rubric, dossier.lead_applicant.kind, info.min_opinion_length
            )
            if missing:
                report.drafts[code] = missing
                continue
            apply_in_session(
                session,
                expert_id,
                dossier.id,
                (),
                actor=actor or f"expert:{expert_id}",
                submit=True,
                clock=clock,
            )
            report.submitted.append(code)

    try:
        project.write(work, key=f"expert:{expert_id}")
    except ProjectBusy as busy:
        raise SheetBusy(busy) from busy
    return report


def _dossiers(
    session: Session, expert_id: int, codes: list[str] | None
) -> list[tuple[str, m.Dossier]]:
    if codes is None:
        rows = session.scalars(
            select(m.Dossier)
            .join(m.ScoreSheet, m.ScoreSheet.dossier_id == m.Dossier.id)
            .where(m.ScoreSheet.expert_id == expert_id)
            .order_by(m.Dossier.code)
        ).unique()
        return [(d.code, d) for d in rows]
    found = []
    for code in codes:
        dossier = session.scalars(select(m.Dossier).where(m.Dossier.code == code)).first()
        if dossier is None:
            raise ScoringError(tr("No dossier {code} in the project.", code=code))
        found.append((code, dossier))
    return found
