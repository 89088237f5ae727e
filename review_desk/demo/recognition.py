"""The demo's recognition round (认定验收), built from a finalised demo selection project
through the same code a real round goes through: the round is created from the list in
force, each base's construction report (a generated PDF with the recognition
checklist's sections) comes in as a supplement and is formally reviewed, the selection
demo's panels are formed again from the copied experts and assigned, and every
assignment gets a submitted score sheet against the recognition rubric (the selection
demo's score filler, with each base's quality set so that the outcomes span 通过, 限期整改
and 不通过)."""

from __future__ import annotations

import random
import tempfile
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from review_desk import panels, reference
from review_desk.demo.builder import ACTOR, SEED, _Clock, fill_scores
from review_desk.demo.pdfs import report_pdf
from review_desk.demo.texts import KIND_NAMES, LEVEL_NAMES, DossierFacts
from review_desk.intake.supplement import add_supplements
from review_desk.project import Project
from review_desk.recognition_round import create_round
from review_desk.rubrics import active_rubric
from review_desk.storage import models as m

DEMO_ROUND = "2023年度产教融合（重大）平台载体和实训基地认定验收（演示）"
# Each base's expected share of the points, in turn by code: well above the pass
# threshold (80 of 100), between the thresholds, below the rectification threshold (60).
QUALITIES = (0.9, 0.71, 0.45)
OPINION = (
    "建设情况报告内容完整，建设目标和重点任务按计划推进，经费使用基本规范，运行机制已初步建立。"
    "建议进一步提高设备共享利用率，完善企业深度参与的长效机制，按期完成后续建设任务。"
)


def build_recognition_demo(
    selection: str | Path,
    location: str | Path,
    *,
    round_name: str = DEMO_ROUND,
    files_dir: Path | None = None,
) -> Project:
    """Create the demo recognition round at ``location`` from the finalised selection
    project at ``selection`` and return it open."""
    clock = _Clock(datetime.fromisoformat("2023-03-01T09:00:00+08:00"))
    rng = random.Random(SEED + 1)
    project = create_round(
        selection, location, round_name=round_name, actor=ACTOR, files_dir=files_dir, clock=clock
    )
    try:
        _reports(project, rng, clock)
        _panels(project, selection, clock)
        active_rubric(project, actor=ACTOR, clock=clock)  # installs the recognition rubric
        with project.transaction() as session:
            codes = session.execute(select(m.Dossier.id).order_by(m.Dossier.code)).scalars()
            quality = {d: QUALITIES[i % len(QUALITIES)] for i, d in enumerate(codes)}
            fill_scores(
                session, project, rng, clock, quality=quality, complete=True, opinion=OPINION
            )
    except BaseException:
        project.close()
        raise
    return project


def _reports(project: Project, rng: random.Random, clock: _Clock) -> None:
    """Write each base's construction report and take it in as its material."""
    directions = {d.number: d for d in reference.directions()}
    items = reference.checklist("recognition")
    with project.reading() as session:
        dossiers = session.scalars(
            select(m.Dossier)
            .options(
                selectinload(m.Dossier.lead_applicant),
                selectinload(m.Dossier.partners).selectinload(m.DossierPartner.applicant),
            )
            .order_by(m.Dossier.code)
        ).all()
        facts = [
            (
                d.code,
                DossierFacts(
                    applicant=d.lead_applicant.name,
                    kind_label=KIND_NAMES.get(d.lead_applicant.kind, d.lead_applicant.kind),
                    city=d.lead_applicant.city,
                    direction=directions[d.direction_id],
                    platform_name=d.platform_name,
                    level_label=LEVEL_NAMES.get(d.requested_level, d.requested_level),
                    partners=tuple(p.applicant.name for p in d.partners),
                ),
            )
            for d in dossiers
        ]
    with tempfile.TemporaryDirectory(prefix="review-desk-recognition-demo-") as folder:
        files = []
        for code, about in facts:
            data, _pages = report_pdf(about, items, set(), rng)
            path = Path(folder) / f"{code}_建设情况报告.pdf"
            path.write_bytes(data)
            files.append((code, path, None))
        add_supplements(project, files, actor=ACTOR, clock=clock)


def _panels(project: Project, selection: str | Path, clock: _Clock) -> None:
    """Form the selection demo's panels again from the copied experts and assign each
    its directions' bases (conflicts recused)."""
    with Project(selection, read_only=True) as source, source.reading() as session:
        formed = [
            (
                panel.name,
                panel.leader.name if panel.leader else "",
                [member.expert.name for member in panel.members],
                [d.direction_id for d in panel.directions],
            )
            for panel in session.scalars(select(m.Panel).order_by(m.Panel.id))
        ]
    with project.reading() as session:
        experts = {e.name: e.id for e in session.scalars(select(m.Expert))}
    for name, leader, members, directions in formed:
        panel_id = panels.create_panel(
            project,
            name,
            experts[leader],
            [experts[n] for n in members],
            directions,
            actor=ACTOR,
            clock=clock,
        )
        panels.assign_panel(project, panel_id, actor=ACTOR, clock=clock)
