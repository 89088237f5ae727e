"""Build the demo project deterministically (fixed seed, fixed clock, fixed ids).

The demo's register and PDFs are written to a temporary folder and imported through the
real intake; then the expert panels, assignments, recusals and partly filled score
sheets are added, and the formal review is run.
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from review_desk import audit
from review_desk.audit import Clock
from review_desk.demo.register_export import export_demo_register, load_demo_source
from review_desk.formal_review import run_review
from review_desk.i18n import tr
from review_desk.intake.importer import run_intake
from review_desk.progress import Progress
from review_desk.project import Project
from review_desk.rubrics import active_rubric
from review_desk.scoring import totals
from review_desk.storage import models as m

ACTOR = "演示数据生成"
SEED = 20220121

__all__ = ["ACTOR", "build_demo", "fill_scores", "load_demo_source"]


@dataclass
class _Clock:
    """A clock that ticks a fixed step each time it is read."""

    now: datetime
    step: timedelta = timedelta(minutes=7)

    def __call__(self) -> datetime:
        self.now += self.step
        return self.now


def build_demo(
    location: str | Path, progress: Progress | None = None, *, files_dir: Path | None = None
) -> Project:
    """Create the demo project at ``location`` (a new file, or an empty server database
    with ``files_dir`` for its files) and return it open."""
    source = load_demo_source()
    rng = random.Random(SEED)
    info = source["project"]
    clock = _Clock(datetime.fromisoformat("2022-01-05T09:00:00+08:00"))
    project = Project.create(
        location,
        name=info["name"],
        round_name=info["round_name"],
        deadline=datetime.fromisoformat(info["deadline"]),
        actor=ACTOR,
        project_id=info["id"],
        files_dir=files_dir,
        clock=clock,
    )
    try:
        _fill(project, source, rng, clock, progress)
    except BaseException:
        project.close()
        raise
    return project


def _fill(
    project: Project,
    source: dict[str, Any],
    rng: random.Random,
    clock: _Clock,
    progress: Progress | None,
) -> None:
    def report(done: int, total: int, message: str) -> None:
        if progress:
            progress(done, total + 2, message)

    with tempfile.TemporaryDirectory(prefix="review-desk-demo-") as folder:
        report(0, 1, tr("Writing the demo dossiers"))
        register, files = export_demo_register(Path(folder), rng)
        result = run_intake(
            project, register, files, actor=ACTOR, progress=report, clock=clock, workers=2
        )
    if not result.imported or not result.ok:
        raise RuntimeError(f"the demo register did not import cleanly: {result.as_dict()}")
    with project.transaction() as session:
        project_row = session.get(m.ReviewProject, source["project"]["id"])
        assert project_row is not None
        project_row.organiser = source["project"]["organiser"]
        project_row.agency = source["project"]["agency"]
        _panels(session, source, rng, clock)
    active_rubric(project, actor=ACTOR, clock=clock)  # installs the default rubric
    with project.transaction() as session:
        fill_scores(session, project, rng, clock)
    run_review(project, actor=ACTOR, clock=clock)
    _defense(project, clock)
    if progress:
        progress(1, 1, tr("Demo project ready"))


def _panels(session: Session, source: dict[str, Any], rng: random.Random, clock: _Clock) -> None:
    """Add the experts and panels, assign each panel's dossiers to its members, and record
    the recusals: detected (the expert's organisation takes part) and declared."""
    dossiers = session.scalars(
        select(m.Dossier)
        .options(
            selectinload(m.Dossier.lead_applicant),
            selectinload(m.Dossier.partners).selectinload(m.DossierPartner.applicant),
        )
        .order_by(m.Dossier.id)
    ).all()
    experts: dict[str, m.Expert] = {}
    for number, src in enumerate(source["experts"], start=1):
        # The pool's fields: an expert's directions are those of the panel they sit on.
        directions = sorted(
            {d for p in source["panels"] if src["name"] in p["members"] for d in p["directions"]}
        )
        expert = m.Expert(
            name=src["name"],
            organisation=src["organisation"],
            field=src["field"],
            phone=f"139{number:04d}{rng.randrange(1000, 9999)}",
            email=f"expert{number:02d}@review.example.cn",
            city=src.get("city", ""),
            title=src.get("title", ""),
            majors=list(src.get("majors", [])),
            directions=directions,
        )
        session.add(expert)
        experts[expert.name] = expert
    session.flush()
    recusals = 0
    declared = {(d["expert"], d["applicant"]): d["reason"] for d in source["declared_recusals"]}
    for panel_src in source["panels"]:
        panel = m.Panel(name=panel_src["name"], leader=experts[panel_src["leader"]])
        panel.members = [m.PanelMember(expert=experts[n]) for n in panel_src["members"]]
        panel.directions = [m.PanelDirection(direction_id=d) for d in panel_src["directions"]]
        session.add(panel)
        session.flush()
        for dossier in dossiers:
            if dossier.direction_id not in panel_src["directions"]:
                continue
            parties = {dossier.lead_applicant.name} | {p.applicant.name for p in dossier.partners}
            for name in panel_src["members"]:
                expert = experts[name]
                reason, source_kind = None, ""
                if expert.organisation in parties:
                    reason = f"专家所在单位“{expert.organisation}”为该申报的参与主体。"
                    source_kind = "detected"
                elif (name, dossier.lead_applicant.name) in declared:
                    reason = declared[(name, dossier.lead_applicant.name)]
                    source_kind = "expert"
                if reason:
                    session.add(
                        m.Recusal(
                            expert=expert,
                            dossier=dossier,
                            reason=reason,
                            source=source_kind,
                            declared_at=clock(),
                        )
                    )
                    recusals += 1
                else:
                    session.add(m.Assignment(expert=expert, dossier=dossier, panel_id=panel.id))
    session.flush()
    audit.record(
        session,
        actor=ACTOR,
        action="panel.assign",
        entity="assignment",
        after={"experts": len(experts), "panels": len(source["panels"]), "recusals": recusals},
        clock=clock,
    )


def _defense(project: Project, clock: _Clock) -> None:
    """Schedule the first panel's first defense session, with two dossiers' records
    filled in, and record two video inspections."""
    from review_desk import defense

    with project.reading() as session:
        panel = session.scalars(select(m.Panel).order_by(m.Panel.id)).first()
        assert panel is not None
        directions = [pd.direction_id for pd in panel.directions]
        dossier_ids = session.scalars(
            select(m.Dossier.id)
            .where(m.Dossier.direction_id.in_(directions))
            .order_by(m.Dossier.code)
            .limit(6)
        ).all()
        panel_id = panel.id
    starts = datetime.fromisoformat("2022-02-15T09:00:00+08:00")
    session_id = defense.create_session(
        project,
        name="第一专家组 第1场",
        starts_at=starts,
        mode="hybrid",
        dossier_ids=list(dossier_ids),
        platform="腾讯会议",
        meeting_id="618 233 905",
        room="山西省发展和改革委员会 三楼会议室",
        presentation_minutes=15,
        qa_minutes=10,
        panel_id=panel_id,
        actor=ACTOR,
        clock=clock,
    )
    records = next(s for s in defense.sessions(project) if s.id == session_id).records
    answers = [
        [
            {
                "asker": "王建国",
                "question": "实训工位数量与年培训能力如何测算？",
                "answer": "按每个工位每年服务约 40 人次测算，已与 6 家合作企业确认培训需求。",
            },
            {
                "asker": "刘海燕",
                "question": "地方配套资金是否已列入财政预算？",
                "answer": "市财政已列入 2022 年预算，首期 800 万元，见政策清单第 2 项。",
            },
        ],
        [
            {
                "asker": "张志强",
                "question": "与合作院校的专业群如何对接？",
                "answer": "对接电子与信息大类 3 个专业，共建订单班。",
            },
        ],
    ]
    for record, questions in zip(records, answers, strict=False):
        defense.update_record(
            project,
            record.id,
            attendees="项目负责人、技术负责人、合作院校代表",
            presentation_minutes=14.5,
            questions=[defense.DefenseQuestion(**q) for q in questions],
            notes="汇报条理清楚，答辩基本准确；建议补充运行管理机制细节。",
            actor=ACTOR,
            clock=clock,
        )
    for dossier_id in dossier_ids[:2]:
        defense.save_inspection(
            project,
            dossier_id,
            inspected_at=starts + timedelta(days=7),
            site="实训基地主楼及实训车间（视频转播）",
            shown="实训车间、智能产线、共享预约系统演示",
            findings="场地与申报材料一致，设备已部分到位，共享预约系统已上线试运行。",
            actor=ACTOR,
            clock=clock,
        )


SELECTION_OPINION = (
    "申报材料较为完整，建设目标明确，重点任务与产业需求结合紧密，具备较好的建设基础。"
    "建议进一步细化经费预算和运行管理机制，加强与行业骨干企业的深度合作。"
)


def fill_scores(
    session: Session,
    project: Project,
    rng: random.Random,
    clock: Clock,
    *,
    quality: Mapping[int, float] | None = None,
    complete: bool = False,
    opinion: str = SELECTION_OPINION,
) -> None:
    """Give about two thirds of the assignments a score sheet against the active rubric:
    most submitted (every applicable criterion and an opinion), some drafts (the
    materials stage under way), each expert a little more or less lenient than others.

    ``quality`` sets each dossier's expected share of the points (drawn otherwise);
    ``complete`` gives every assignment a submitted sheet (the recognition demo)."""
    rubric = active_rubric(project, actor=ACTOR, clock=clock)
    dossiers = {
        d.id: d
        for d in session.scalars(select(m.Dossier).options(selectinload(m.Dossier.lead_applicant)))
    }
    if quality is None:
        quality = {d: min(0.95, max(0.4, rng.gauss(0.74, 0.1))) for d in sorted(dossiers)}
    leniency: dict[int, float] = {}
    assignments = session.scalars(select(m.Assignment).order_by(m.Assignment.id)).all()
    for assignment in assignments:
        draw = 1.0 if complete else rng.random()
        if draw < 0.33:
            continue
        expert_id = assignment.expert_id
        kind = dossiers[assignment.dossier_id].lead_applicant.kind
        leniency.setdefault(expert_id, rng.gauss(0.0, 0.05))
        submitted = draw > 0.45
        applicable = [c for c in rubric.criteria if c.applies(kind)]
        materials = [c for c in applicable if c.stage == "materials"]
        filled = applicable if submitted else materials[: rng.randrange(1, len(materials) + 1)]
        sheet = m.ScoreSheet(
            expert_id=expert_id,
            dossier_id=assignment.dossier_id,
            rubric_hash=rubric.content_hash,
            status="submitted" if submitted else "draft",
            updated_at=clock(),
            submitted_at=None,
            opinion="",
        )
        if submitted:
            sheet.submitted_at = sheet.updated_at
            sheet.opinion = opinion
        for criterion in filled:
            raw = criterion.max * (
                quality[assignment.dossier_id] + leniency[expert_id] + rng.gauss(0, 0.05)
            )
            points = min(criterion.max, max(0.0, round(raw / criterion.step) * criterion.step))
            sheet.scores.append(m.Score(criterion_id=criterion.id, points=points, comment=""))
        session.add(sheet)
        session.flush()
        if submitted:
            audit.record(
                session,
                actor=f"expert:{expert_id}",
                action="scoresheet.submit",
                entity="score_sheet",
                entity_id=sheet.id,
                after={
                    "dossier_id": assignment.dossier_id,
                    "rubric_hash": rubric.content_hash,
                    "scores": {s.criterion_id: s.points for s in sheet.scores},
                },
                clock=clock,
            )
    # Written here directly, not through the score-sheet service: fill their totals.
    session.flush()
    totals.rebuild_in_session(session)
