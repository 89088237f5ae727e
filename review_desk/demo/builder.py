"""Build the demo project from ``data/demo`` deterministically: the same bytes of every
PDF and the same database content every time (fixed seed, fixed clock, fixed ids)."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from review_desk import audit, reference
from review_desk.credit_code import make_code
from review_desk.demo.outline import scoring_outline
from review_desk.demo.pdfs import dossier_pdf, scanned_pdf
from review_desk.demo.texts import KIND_NAMES, LEVEL_NAMES, DossierFacts, platform_name
from review_desk.domain import ApplicantKind, Level
from review_desk.paths import data_path
from review_desk.project import Project
from review_desk.storage import models as m

ACTOR = "演示数据生成"
SEED = 20220121
Progress = Callable[[int, int, str], None]

# Registration authority and organisation kind of the credit code, by applicant kind
# (GB 32100-2015 table 1): 1x 机构编制, 5x 民政, 9x 工商.
_CODE_PREFIX = {
    ApplicantKind.CITY_GOVERNMENT: "11",
    ApplicantKind.DEVELOPMENT_ZONE: "11",
    ApplicantKind.UNIVERSITY: "12",
    ApplicantKind.APPLIED_UNIVERSITY: "12",
    ApplicantKind.VOCATIONAL_COLLEGE: "12",
    ApplicantKind.ENTERPRISE: "91",
    ApplicantKind.SERVICE_PROVIDER: "91",
}
_OUTSIDE_DIVISIONS = {"北京": "110108", "上海": "310115"}


@dataclass
class _Clock:
    """A clock that ticks a fixed step each time it is read."""

    now: datetime
    step: timedelta = timedelta(minutes=7)

    def __call__(self) -> datetime:
        self.now += self.step
        return self.now


def load_demo_source() -> dict[str, Any]:
    """Return the demo project's source data."""
    return json.loads(data_path("demo", "demo_project.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _credit_code(kind: ApplicantKind, division: str, index: int) -> str:
    prefix = _CODE_PREFIX[kind]
    org_body = f"MA{index:06d}" if prefix.startswith("9") else f"{10000000 + index * 7919:08d}"
    return make_code(prefix[0], prefix[1], division, org_body)


def _division(city: str, name: str) -> str:
    for c in reference.cities():
        if c.name == city:
            return c.code
    for place, code in _OUTSIDE_DIVISIONS.items():
        if place in name:
            return code
    return "140100"


def build_demo(location: str | Path, progress: Progress | None = None) -> Project:
    """Create the demo project at ``location`` (a new file) and return it open."""
    source = load_demo_source()
    rng = random.Random(SEED)
    info = source["project"]
    deadline = datetime.fromisoformat(info["deadline"])
    clock = _Clock(datetime.fromisoformat("2022-01-05T09:00:00+08:00"))
    project = Project.create(
        location,
        name=info["name"],
        round_name=info["round_name"],
        deadline=deadline,
        actor=ACTOR,
        project_id=info["id"],
        clock=clock,
    )
    directions = {d.number: d for d in reference.directions()}
    checklist = reference.checklist()
    applicants_src: list[dict[str, Any]] = source["applicants"]
    total_steps = sum(len(a["directions"]) for a in applicants_src) + 3
    step = 0

    def tick(message: str) -> None:
        nonlocal step
        step += 1
        if progress:
            progress(step, total_steps, message)

    with project.transaction() as session:
        project_row = session.get(m.ReviewProject, info["id"])
        assert project_row is not None
        project_row.organiser = info["organiser"]
        project_row.agency = info["agency"]

        applicants: dict[str, m.Applicant] = {}
        for index, src in enumerate(applicants_src, start=1):
            kind = ApplicantKind(src["kind"])
            applicant = m.Applicant(
                name=src["name"],
                credit_code=_credit_code(kind, _division(src["city"], src["name"]), index),
                kind=kind.value,
                city=src["city"],
                in_shanxi=src.get("in_shanxi", True),
                pilot_enterprise_status=src.get("pilot_enterprise_status"),
                local_presence=src.get("local_presence"),
                double_high=src.get("double_high"),
                major_tech_transfer=src.get("major_tech_transfer", False),
                major_categories=src.get("major_categories", []),
                contact_name=rng.choice("王李张刘陈杨赵黄周吴") + rng.choice(("先生", "女士")),
                contact_phone=f"0351-{rng.randrange(2000000, 9999999)}",
            )
            session.add(applicant)
            applicants[applicant.name] = applicant
        session.flush()
        audit.record(
            session,
            actor=ACTOR,
            action="register.import",
            entity="applicant",
            after={"applicants": len(applicants)},
            clock=clock,
        )
        tick("申报主体")

        late = set(source["late"])
        scanned = set(source["scanned"])
        missing_by_name: dict[str, list[str]] = source["missing_sections"]
        dossiers: list[m.Dossier] = []
        for src in applicants_src:
            lead = applicants[src["name"]]
            kind = ApplicantKind(src["kind"])
            for direction_number in src["directions"]:
                direction = directions[direction_number]
                level = Level(src["level"])
                dossier_no = len(dossiers) + 1
                platform = platform_name(src["name"], direction)
                dossier = m.Dossier(
                    code=f"SX2022-{direction_number:02d}-{dossier_no:03d}",
                    platform_name=platform,
                    lead_applicant=lead,
                    direction_id=direction_number,
                    requested_level=level.value,
                    has_policy_list="support.policy_list"
                    not in missing_by_name.get(src["name"], []),
                    received_at=(deadline + timedelta(days=2, hours=3))
                    if src["name"] in late
                    else deadline
                    - timedelta(days=rng.randrange(1, 15), minutes=rng.randrange(600)),
                )
                for partner_name in src["partners"]:
                    dossier.partners.append(
                        m.DossierPartner(applicant=applicants[partner_name], role="合作单位")
                    )
                session.add(dossier)
                dossiers.append(dossier)
                facts = DossierFacts(
                    applicant=lead.name,
                    kind_label=KIND_NAMES[kind.value],
                    city=lead.city,
                    direction=direction,
                    platform_name=platform,
                    level_label=LEVEL_NAMES[level.value],
                    partners=tuple(src["partners"]),
                )
                if src["name"] in scanned:
                    pdf, pages = scanned_pdf(rng)
                else:
                    missing = set(missing_by_name.get(src["name"], []))
                    pdf, pages = dossier_pdf(facts, checklist, missing, rng)
                sha, size = project.files.put_bytes(pdf)
                assert dossier.received_at is not None
                dossier.materials.append(
                    m.Material(
                        filename=f"{dossier.code}_{lead.name}_申报主体基础资料.pdf",
                        sha256=sha,
                        size=size,
                        page_count=pages,
                        received_at=dossier.received_at,
                    )
                )
                tick(platform)
        session.flush()
        audit.record(
            session,
            actor=ACTOR,
            action="dossier.intake",
            entity="dossier",
            after={"dossiers": len(dossiers), "materials": len(dossiers)},
            clock=clock,
        )

        experts: dict[str, m.Expert] = {}
        for number, src in enumerate(source["experts"], start=1):
            expert = m.Expert(
                name=src["name"],
                organisation=src["organisation"],
                field=src["field"],
                phone=f"139{number:04d}{rng.randrange(1000, 9999)}",
                email=f"expert{number:02d}@review.example.cn",
            )
            session.add(expert)
            experts[expert.name] = expert
        session.flush()
        recusals: set[tuple[int, int]] = set()
        for panel_src in source["panels"]:
            panel = m.Panel(name=panel_src["name"], leader=experts[panel_src["leader"]])
            panel.members = [m.PanelMember(expert=experts[n]) for n in panel_src["members"]]
            panel.directions = [m.PanelDirection(direction_id=d) for d in panel_src["directions"]]
            session.add(panel)
            session.flush()
            for dossier in dossiers:
                if dossier.direction_id not in panel_src["directions"]:
                    continue
                for name in panel_src["members"]:
                    expert = experts[name]
                    parties = {dossier.lead_applicant.name} | {
                        p.applicant.name for p in dossier.partners
                    }
                    if expert.organisation in parties:
                        session.add(
                            m.Recusal(
                                expert=expert,
                                dossier=dossier,
                                reason=f"专家所在单位“{expert.organisation}”为该申报的参与主体。",
                                source="detected",
                                declared_at=clock(),
                            )
                        )
                        recusals.add((expert.id, dossier.id))
                        continue
                    session.add(m.Assignment(expert=expert, dossier=dossier, panel_id=panel.id))
        session.flush()
        for declared in source["declared_recusals"]:
            expert = experts[declared["expert"]]
            for dossier in dossiers:
                if dossier.lead_applicant.name != declared["applicant"]:
                    continue
                session.add(
                    m.Recusal(
                        expert=expert,
                        dossier=dossier,
                        reason=declared["reason"],
                        source="expert",
                        declared_at=clock(),
                    )
                )
                recusals.add((expert.id, dossier.id))
                assignment = session.query(m.Assignment).filter_by(
                    expert_id=expert.id, dossier_id=dossier.id
                )
                assignment.delete()
        session.flush()
        audit.record(
            session,
            actor=ACTOR,
            action="panel.assign",
            entity="assignment",
            after={
                "experts": len(experts),
                "panels": len(source["panels"]),
                "recusals": len(recusals),
            },
            clock=clock,
        )
        tick("专家与分组")

        _fill_scores(session, dossiers, rng, clock, scanned)
        tick("评分")
    return project


def _fill_scores(
    session: Any,
    dossiers: list[m.Dossier],
    rng: random.Random,
    clock: _Clock,
    scanned: set[str],
) -> None:
    """Give about two thirds of the assignments a score sheet: most submitted, some
    drafts, with each expert a little more or less lenient than the others."""
    rubric_hash, outline = scoring_outline()
    materials_only = [c for c in outline["criteria"] if c["stage"] == "materials"]
    quality = {d.id: min(0.95, max(0.4, rng.gauss(0.74, 0.1))) for d in dossiers}
    leniency: dict[int, float] = {}
    assignments = session.query(m.Assignment).order_by(m.Assignment.id).all()
    for assignment in assignments:
        draw = rng.random()
        if draw < 0.33:
            continue
        expert_id = assignment.expert_id
        leniency.setdefault(expert_id, rng.gauss(0.0, 0.05))
        submitted = draw > 0.45
        criteria = outline["criteria"] if submitted and rng.random() < 0.5 else materials_only
        sheet = m.ScoreSheet(
            expert_id=expert_id,
            dossier_id=assignment.dossier_id,
            rubric_hash=rubric_hash,
            status="submitted" if submitted else "draft",
            updated_at=clock(),
            submitted_at=None,
        )
        if submitted:
            sheet.submitted_at = sheet.updated_at
            sheet.opinion = (
                "申报材料较为完整，建设目标明确，重点任务与产业需求结合紧密，"
                "建议进一步细化经费预算和运行管理机制，加强与行业骨干企业的深度合作。"
            )
        filled = criteria if submitted else criteria[: rng.randrange(1, len(criteria) + 1)]
        for criterion in filled:
            raw = criterion["max"] * (
                quality[assignment.dossier_id] + leniency[expert_id] + rng.gauss(0, 0.05)
            )
            points = min(
                criterion["max"], max(0.0, round(raw / criterion["step"]) * criterion["step"])
            )
            sheet.scores.append(m.Score(criterion_id=criterion["id"], points=points))
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
                    "rubric_hash": rubric_hash,
                    "scores": {s.criterion_id: s.points for s in sheet.scores},
                },
                clock=clock,
            )
