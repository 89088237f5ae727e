"""Milestones proposed from a base's plan (建设实施方案 (六) 建设进度): the dossier's
current materials whose text layer has the 建设进度 section (``found_items`` names its
page) are read again by the intake's PDF reader (in a worker process, limited in time
and memory) and the section's dated entries become proposals
(:func:`review_desk.pilot_plan.propose`) that the agency confirms. When nothing can be
proposed the result says why: a scan without a text layer, no 建设进度 section, or a
section without a date.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from review_desk.audit import Clock, utc_now
from review_desk.domain import TextStatus
from review_desk.i18n import _
from review_desk.intake.pdf_worker import PdfReport, PdfWorkers
from review_desk.pilot import NewMilestone, add_milestones, base_of, running_pilot
from review_desk.pilot_plan import Proposal, propose
from review_desk.project import Project
from review_desk.storage import models as m

SECTION = "plan.schedule"


@dataclass(frozen=True)
class PlanProposals:
    """What the plan proposes for a base: the proposals, the file and page read, and
    why there are none (``reason`` is '' when there are)."""

    dossier_id: int
    proposals: list[Proposal] = field(default_factory=list)
    file: str = ""
    page: int | None = None
    reason: str = ""
    # The pilot's first day: a plan's date before it (a plan written for an earlier
    # start) is proposed but marked, and not checked by default in the page.
    starts_on: date | None = None

    def early(self, proposal: Proposal) -> bool:
        """Whether ``proposal`` falls due before the pilot starts."""
        return self.starts_on is not None and proposal.due_on < self.starts_on

    def as_dict(self) -> dict[str, Any]:
        """As JSON data (``pilot milestone propose --json``)."""
        return {
            "dossier_id": self.dossier_id,
            "file": self.file,
            "page": self.page,
            "reason": self.reason,
            "starts_on": self.starts_on.isoformat() if self.starts_on else None,
            "proposals": [{**p.as_dict(), "before_start": self.early(p)} for p in self.proposals],
        }


def _without_section(dossier_id: int, materials: list[m.Material]) -> PlanProposals:
    """Why a dossier whose materials have no 建设进度 section proposes nothing."""
    if any(x.text_status == TextStatus.NO_TEXT for x in materials):
        reason = _(
            "The plan is a scan without a text layer: nothing can be proposed. Add the "
            "milestones one by one or import them from a sheet."
        )
    else:
        reason = _("No 建设进度 section was found in the dossier's materials.")
    return PlanProposals(dossier_id, reason=reason)


def from_plans(project: Project, dossier_ids: Sequence[int]) -> list[PlanProposals]:
    """The milestones each base's plan proposes, in the order given (nothing is
    stored); the plans are read by one pool of PDF readers."""
    with project.reading() as session:
        start = running_pilot(session).starts_on
        materials: dict[int, list[m.Material]] = {}
        for dossier_id in dossier_ids:
            base_of(session, dossier_id)
            materials[dossier_id] = list(
                session.scalars(
                    select(m.Material)
                    .where(m.Material.dossier_id == dossier_id, m.Material.is_current.is_(True))
                    .order_by(m.Material.id)
                )
            )
        session.expunge_all()
    results: dict[int, PlanProposals] = {}
    plans: dict[str, tuple[int, m.Material]] = {}
    for dossier_id, found in materials.items():
        with_section = [x for x in found if SECTION in (x.found_items or {})]
        if with_section:
            path = str(project.files.path_for(with_section[0].sha256))
            plans[path] = (dossier_id, with_section[0])
        else:
            results[dossier_id] = _without_section(dossier_id, found)
    if plans:
        with PdfWorkers(workers=min(2, len(plans))) as pool:
            for report in pool.read([Path(p) for p in plans], sections=[SECTION]):
                dossier_id, material = plans[report.path]
                results[dossier_id] = _proposed(dossier_id, material, report, start)
    return [results[dossier_id] for dossier_id in dossier_ids]


def _proposed(
    dossier_id: int, material: m.Material, report: PdfReport, start: date
) -> PlanProposals:
    """The proposals of one plan read by the PDF reader."""
    page = int((material.found_items or {})[SECTION])
    text = report.sections.get(SECTION, "")
    if not report.readable or not text.strip():
        reason = report.message or _("The 建设进度 section has no text.")
        return PlanProposals(dossier_id, file=material.filename, page=page, reason=reason)
    proposals = propose(text, start)
    reason = "" if proposals else _("No line of the 建设进度 section has a date.")
    return PlanProposals(dossier_id, proposals, material.filename, page, reason, start)


def from_plan(project: Project, dossier_id: int) -> PlanProposals:
    """The milestones the base's plan proposes (nothing is stored)."""
    return from_plans(project, [dossier_id])[0]


def accept(
    project: Project,
    found: PlanProposals,
    *,
    actor: str = "agency",
    clock: Clock = utc_now,
) -> list[int]:
    """Store the proposals as the base's milestones (source ``plan``; those it has
    already are skipped); return the ids stored."""
    items = [NewMilestone(found.dossier_id, p.title, p.due_on, p.line) for p in found.proposals]
    return add_milestones(project, items, source="plan", actor=actor, clock=clock)
