"""The printable record of a draw (抽取记录): its inputs, their hashes and the seed, the
drawn experts and alternates in drawn order, the refusals, and lines for the
supervisor's and the clerk's signatures. An A4 PDF in the publicity list's font."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from sqlalchemy import select

from review_desk.documents.pdf_fonts import CHINESE_FONT, register_chinese_font
from review_desk.draw import DrawResult, check_draw, draw
from review_desk.formatting import local_time
from review_desk.i18n import _, tr
from review_desk.project import Project
from review_desk.storage import models as m


@dataclass(frozen=True)
class RecordFacts:
    """What the record names besides the draw: the project, the direction, the experts."""

    project: str
    direction: str
    experts: dict[int, tuple[str, str]]  # id -> (name, organisation)
    entries: list[tuple[int, str]]  # the draw's audit entries: (id, action)


def _facts(project: Project, result: DrawResult) -> RecordFacts:
    with project.reading() as session:
        info = session.scalars(select(m.ReviewProject)).one()
        direction = ""
        if result.params.get("direction") is not None:
            row = session.get(m.Direction, result.params["direction"])
            direction = f"{result.params['direction']:02d} {row.name}" if row else ""
        wanted = {*result.selected, *result.alternates}
        experts = {
            e.id: (e.name, e.organisation)
            for e in session.scalars(select(m.Expert).where(m.Expert.id.in_(wanted)))
        }
        entries = [
            (int(e.id), str(e.action))
            for e in session.execute(
                select(m.AuditLog.id, m.AuditLog.action)
                .where(m.AuditLog.entity == "expert_draw", m.AuditLog.entity_id == str(result.id))
                .order_by(m.AuditLog.id)
            )
        ]
    return RecordFacts(info.round_name.strip() or info.name, direction, experts, entries)


def write_draw_record(project: Project, draw_id: int, target: Path) -> None:
    """Write the record of draw ``draw_id`` as an A4 PDF."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    result = draw(project, draw_id)
    facts = _facts(project, result)
    check = check_draw(project, draw_id)
    verified = (
        _("Recomputed when printed: the draw matches its record and the audit log.")
        if check.matches
        else tr(
            "Recomputed when printed: the draw does NOT match: {problems}",
            problems="；".join(check.problems),
        )
    )
    register_chinese_font()
    title = ParagraphStyle(
        "title", fontName=CHINESE_FONT, fontSize=18, leading=28, alignment=TA_CENTER
    )
    heading = ParagraphStyle(
        "heading", fontName=CHINESE_FONT, fontSize=13, leading=22, spaceBefore=8, keepWithNext=1
    )
    cell = ParagraphStyle("cell", fontName=CHINESE_FONT, fontSize=9.5, leading=13, wordWrap="CJK")
    mono = ParagraphStyle("mono", parent=cell, fontName="Courier", fontSize=8, wordWrap="CJK")

    def para(text: str, style: Any = cell) -> Any:
        return Paragraph(escape(text), style)

    def table(rows: list[list[Any]], widths: list[float]) -> Any:
        grid = Table(rows, colWidths=[w * mm for w in widths], repeatRows=0)
        grid.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#8899AA")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#EEF2F7")),
                ]
            )
        )
        return grid

    params = result.params
    inputs = [
        [para(_("Round")), para(facts.project)],
        [para(_("Draw")), para(f"#{result.id}  {params.get('label') or params.get('panel', '')}")],
        [
            para(_("Drawn at")),
            para(f"{local_time(datetime.fromisoformat(result.drawn_at))}  {result.actor}"),
        ],
        [para(_("Direction")), para(facts.direction or "—")],
        [para(_("Fields")), para("、".join(params.get("fields", [])) or "—")],
        [
            para(_("Experts and alternates")),
            para(
                tr(
                    "{experts} experts, {alternates} alternates",
                    experts=params["experts"],
                    alternates=params["alternates"],
                )
            ),
        ],
        [para(_("Eligible experts in the pool")), para(str(result.pool_size))],
        [para(_("Public value")), para(result.public_value)],
    ]
    hashes = [
        [para(_("the pool snapshot")), para(result.hashes["pool"], mono)],
        [para(_("the conflict rules")), para(result.hashes["rules"], mono)],
        [para(_("the draw's parameters")), para(result.hashes["params"], mono)],
        [para(_("the public value")), para(result.hashes["public_value"], mono)],
        [para(_("the seed")), para(result.hashes["seed"], mono)],
    ]
    refused = {r["expert"]: r for r in result.refusals}
    replaced = {r["replacement"]: r["expert"] for r in result.refusals if r["replacement"]}
    drawn = [[para(_("Order")), para(_("Expert")), para(_("Drawn as")), para(_("Status"))]]
    for order, expert in enumerate([*result.selected, *result.alternates], start=1):
        name, organisation = facts.experts.get(expert, ("?", ""))
        role = _("expert") if expert in result.selected else _("alternate")
        if expert in refused:
            status = tr("refused: {reason}", reason=refused[expert]["reason"])
        elif expert in replaced:
            status = tr("replaces expert {id}", id=replaced[expert])
        elif expert in result.members:
            status = _("on the panel")
        else:
            status = _("in reserve")
        drawn.append(
            [
                para(str(order)),
                para(f"#{expert} {name}（{organisation}）"),
                para(role),
                para(status),
            ]
        )
    story = [
        Paragraph(escape(_("Record of the random draw of experts")), title),
        Paragraph(escape(_("Inputs")), heading),
        table(inputs, [45, 125]),
        Paragraph(escape(_("SHA-256 of the inputs and the seed")), heading),
        table(hashes, [45, 125]),
        Paragraph(escape(_("Result in drawn order")), heading),
        table(drawn, [14, 80, 22, 54]),
        Spacer(1, 4 * mm),
        para(
            tr(
                "Audit log entries: {entries}. Anyone with the project can recompute the draw: "
                "review-desk draw verify PROJECT.",
                entries=", ".join(f"{i} {a}" for i, a in facts.entries),
            )
        ),
        para(verified),
        Spacer(1, 14 * mm),
        table(
            [
                [
                    para(_("Supervisor (signature)")),
                    para(""),
                    para(_("Clerk (signature)")),
                    para(""),
                ],
                [para(_("Date")), para(""), para(_("Date")), para("")],
            ],
            [32, 53, 32, 53],
        ),
    ]
    target.parent.mkdir(parents=True, exist_ok=True)
    document = SimpleDocTemplate(
        str(target),
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=_("Record of the random draw of experts"),
    )
    document.build(story)
