"""The demo's pilot year (试点培育): on a demo project whose list is published, start the
pilot on the day of publication, accept the milestones each base's plan proposes, mark
the earlier ones done (some late, some not at all), store quarterly progress reports
(small real PDFs with Chinese text, as the dossiers are), write notes, and leave some
bases without a recent report, so that every pilot view shows real content. The same
function serves ``review-desk demo --pilot`` and the app.

:func:`publish_list` carries a freshly built demo to publication first (deviations
explained, list finalised, a week of publicity without objection, published).
"""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from review_desk import pilot, pilot_proposals
from review_desk.audit import Clock
from review_desk.demo.builder import _Clock
from review_desk.formatting import CHINA_TZ
from review_desk.pilot_plan import add_months
from review_desk.project import Project
from review_desk.publicity import today

AGENCY = "省产教融合工作专班"
COMMITTEE = "联席会议"
# The demo's publicity week and the day its pilot year is looked at.
PUBLICITY_START = date(2022, 3, 1)
PUBLICITY_END = date(2022, 3, 7)
PUBLISHED = date(2022, 3, 8)
PILOT_MONTHS_SHOWN = 8


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=CHINA_TZ)


def publish_list(project: Project) -> None:
    """Carry a demo project to a published list: every deviation explained, the list
    finalised, a publicity week with no objection, published on 8 March 2022."""
    from review_desk import publicity, ranking, ranking_decisions

    clock = _Clock(_at(PUBLICITY_START - timedelta(days=3)))
    flags = ranking.compute(project, resamples=0).experts
    for dossier_id, expert_id in zip(
        flags["dossier_id"].tolist(), flags["expert_id"].tolist(), strict=True
    ):
        ranking_decisions.explain_deviation(
            project, int(dossier_id), int(expert_id), "专家书面说明：已复核材料",
            actor=AGENCY, clock=clock,
        )  # fmt: skip
    ranking_decisions.finalise(project, actor=COMMITTEE, clock=clock)
    clock.now = _at(PUBLICITY_START, 9)
    publicity.open_period(
        project, starts_on=PUBLICITY_START, ends_on=PUBLICITY_END,
        contact="0351-4040000（省产教融合工作专班）", actor=AGENCY, clock=clock,
    )  # fmt: skip
    clock.now = _at(PUBLISHED, 9)
    publicity.publish(project, actor=AGENCY, clock=clock)


def report_pdf(
    base: pilot.Base, quarter: int, covers: tuple[date, date], lines: list[str]
) -> bytes:
    """A small progress report PDF with Chinese text."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    from review_desk.demo.pdfs import _FONT, _register_fonts

    _register_fonts()
    body = ParagraphStyle("body", fontName=_FONT, fontSize=12, leading=22, wordWrap="CJK")
    title = ParagraphStyle("title", fontName=_FONT, fontSize=18, leading=30)
    story: list[object] = [
        Paragraph(f"{base.applicant}试点培育第{quarter}季度进展报告", title),
        Spacer(1, 12),
        Paragraph(
            f"申报编号：{base.code}；报告期：{covers[0]:%Y年%m月%d日}至{covers[1]:%Y年%m月%d日}",
            body,
        ),
    ]
    story.extend(Paragraph(line, body) for line in lines)
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, title="试点培育进展报告（演示）", invariant=1).build(
        story
    )
    return buffer.getvalue()


@dataclass(frozen=True)
class PilotYear:
    """What :func:`fill_pilot_year` stored."""

    bases: int
    milestones: int
    done: int
    reports: int
    notes: int


def fill_pilot_year(project: Project, clock: Clock | None = None) -> PilotYear:
    """Fill the pilot year of a demo project whose list is published (see the module),
    as it stands eight months in (or on the clock's day, when earlier). ``clock`` gives
    the entries' times; by default a clock ticking from the day of publication, moved
    to the eighth month once the pilot has started."""
    with project.reading() as session:
        published = pilot.publication_day(session)
    own = _Clock(_at(published))
    ticking: Clock = clock or own
    period = pilot.start(project, actor=AGENCY, clock=ticking)
    own.now = _at(add_months(period.starts_on, PILOT_MONTHS_SHOWN))
    shown = min(add_months(period.starts_on, PILOT_MONTHS_SHOWN), today(ticking))
    with project.reading() as session:
        bases = list(pilot.selected_bases(session).values())
    proposals = pilot_proposals.from_plans(project, [b.dossier_id for b in bases])
    milestones = 0
    for found in proposals:
        milestones += len(pilot_proposals.accept(project, found, actor=AGENCY, clock=ticking))
    reports = notes = done = 0
    with tempfile.TemporaryDirectory() as folder:
        for index, base in enumerate(bases):
            rows = pilot.list_milestones(project, base.dossier_id)
            # Every third base is late with its second milestone; the rest keep up.
            for number, row in enumerate(rows):
                if row.due_on >= shown or (index % 3 == 0 and number >= 1):
                    continue
                finished = min(row.due_on - timedelta(days=(index + number) % 9), shown)
                pilot.mark_done(
                    project, row.id, done_on=finished, note="已按计划完成，附现场照片和验收记录。",
                    actor=AGENCY, clock=ticking,
                )  # fmt: skip
                done += 1
            # Quarterly reports; every fourth base stops after the first.
            quarters = 1 if index % 4 == 1 else 2
            for quarter in range(1, quarters + 1):
                first = add_months(period.starts_on, 3 * (quarter - 1))
                last = add_months(period.starts_on, 3 * quarter) - timedelta(days=1)
                covered = [r for r in rows if first <= r.due_on <= last]
                lines = [f"本季度围绕“{r.title}”推进建设。" for r in covered] or [
                    "本季度按建设方案推进场地、设备和师资建设。"
                ]
                if last + timedelta(days=10) > shown:
                    break
                file = Path(folder) / f"{base.code}_第{quarter}季度进展报告.pdf"
                file.write_bytes(report_pdf(base, quarter, (first, last), lines))
                pilot.add_report(
                    project, base.dossier_id, file, submitted_on=last + timedelta(days=10),
                    covers_from=first, covers_to=last,
                    summary=f"第{quarter}季度建设进展：" + "；".join(r.title for r in covered),
                    milestone_ids=[r.id for r in covered], actor=AGENCY, clock=ticking,
                )  # fmt: skip
                reports += 1
            if index % 2 == 0:
                pilot.add_note(
                    project, base.dossier_id,
                    "已赴现场调研，建设进度总体符合方案，提醒加快课程包开发。", actor=AGENCY,
                    clock=ticking,
                )  # fmt: skip
                notes += 1
    return PilotYear(len(bases), milestones, done, reports, notes)
