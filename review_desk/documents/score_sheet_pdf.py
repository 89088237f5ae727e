"""The printed score sheet (专家评分表): one expert's scores of one dossier, criterion by
criterion, with the stage totals, the vetoes, the opinion and the lines the expert signs.

It is an official document, so it is made here in the core, not in the UI: the
contents are gathered into a :class:`ScoreSheetDocument` (plain values, testable without
a PDF) and written as an A4 PDF with reportlab and the standard CID font STSong-Light,
which PDF readers supply for Chinese, as the publicity list is.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from review_desk import scoring
from review_desk.atomic_file import replacing
from review_desk.documents.pdf_fonts import CHINESE_FONT, register_chinese_font
from review_desk.errors import UserError
from review_desk.formatting import local_time
from review_desk.i18n import _, tr
from review_desk.project import Project
from review_desk.storage import models as m


@dataclass(frozen=True)
class ScoreSheetLine:
    """One criterion of the sheet: its group, name, full marks, points and comment."""

    group: str
    criterion_id: str
    criterion: str
    max: float
    points: float | None
    comment: str


@dataclass(frozen=True)
class StageTotal:
    """The points of one stage (materials, defense, inspection) out of its maximum."""

    name: str
    points: float
    max: float


@dataclass(frozen=True)
class ScoreSheetDocument:
    """Everything the printed score sheet shows."""

    rubric_name: str
    rubric_version: str
    dossier_code: str
    platform_name: str
    applicant: str
    expert: str
    organisation: str
    submitted: bool
    updated_at: datetime | None
    lines: tuple[ScoreSheetLine, ...]
    stages: tuple[StageTotal, ...]
    total: float
    vetoes: tuple[tuple[str, str], ...]  # (veto name, reason)
    opinion: str


def score_sheet_document(project: Project, expert_id: int, dossier_id: int) -> ScoreSheetDocument:
    """Gather the score sheet of ``expert_id`` on ``dossier_id`` as it stands now."""
    state = scoring.load_sheet(project, expert_id, dossier_id)
    rubric = scoring.rubric_of(project, state)
    with project.reading() as session:
        dossier = session.get(m.Dossier, dossier_id)
        expert = session.get(m.Expert, expert_id)
        if dossier is None:
            raise UserError(tr("No dossier with id {id}.", id=dossier_id))
        if expert is None:
            raise UserError(tr("No expert with id {id}.", id=expert_id))
        kind, code, platform = dossier.lead_applicant.kind, dossier.code, dossier.platform_name
        applicant, expert_name, organisation = (
            dossier.lead_applicant.name,
            expert.name,
            expert.organisation,
        )
    lines = tuple(
        ScoreSheetLine(
            group=group.name,
            criterion_id=c.id,
            criterion=c.name,
            max=c.max,
            points=state.scores.get(c.id),
            comment=state.comments.get(c.id, ""),
        )
        for group in rubric.groups
        for c in group.criteria
        if c.applies(kind)
    )
    totals = rubric.stage_totals(state.scores, kind)
    veto_names = {v.id: v.name for v in rubric.vetoes}
    return ScoreSheetDocument(
        rubric_name=rubric.name,
        rubric_version=rubric.version,
        dossier_code=code,
        platform_name=platform,
        applicant=applicant,
        expert=expert_name,
        organisation=organisation,
        submitted=state.locked,
        updated_at=state.updated_at,
        lines=lines,
        stages=tuple(
            StageTotal(s.name, totals[s.key], rubric.stage_max(s.key, kind)) for s in rubric.stages
        ),
        total=rubric.weighted_total(state.scores, kind),
        vetoes=tuple((veto_names.get(k, k), reason) for k, reason in state.vetoes.items()),
        opinion=state.opinion,
    )


def _number(value: float) -> str:
    return f"{value:g}"


def write_score_sheet_pdf(
    project: Project, expert_id: int, dossier_id: int, target: Path
) -> ScoreSheetDocument:
    """Write the printable score sheet (A4 portrait) to ``target``; return what it shows.

    The file appears complete or not at all (written beside and then renamed).
    """
    document = score_sheet_document(project, expert_id, dossier_id)
    write_score_sheet(document, target)
    return document


def write_score_sheet(sheet: ScoreSheetDocument, target: Path) -> None:
    """Write ``sheet`` as an A4 PDF to ``target``."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    register_chinese_font()

    def para(text: str, style: Any) -> Any:
        # Paragraph reads its text as markup: names, comments and opinions are plain text.
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    title_style = ParagraphStyle(
        "title", fontName=CHINESE_FONT, fontSize=16, leading=24, alignment=TA_CENTER, wordWrap="CJK"
    )
    subtitle = ParagraphStyle("subtitle", parent=title_style, fontSize=11, leading=18)
    body = ParagraphStyle("body", fontName=CHINESE_FONT, fontSize=10.5, leading=17, wordWrap="CJK")
    cell = ParagraphStyle("cell", fontName=CHINESE_FONT, fontSize=9.5, leading=13, wordWrap="CJK")
    centred = ParagraphStyle("centred", parent=cell, alignment=TA_CENTER)
    head = ParagraphStyle("head", parent=centred, fontSize=10)

    status = _("Submitted") if sheet.submitted else _("Not submitted (draft)")
    story: list[Any] = [
        para(sheet.rubric_name, title_style),
        para(tr("Expert score sheet ({version})", version=sheet.rubric_version), subtitle),
        Spacer(1, 4 * mm),
        para(
            tr("Dossier no.: {code}", code=sheet.dossier_code)
            + "　　"
            + tr("Platform: {name}", name=sheet.platform_name),
            body,
        ),
        para(tr("Lead applicant: {name}", name=sheet.applicant), body),
        para(
            tr("Expert: {name} ({org})", name=sheet.expert, org=sheet.organisation)
            + "　　"
            + tr("Status: {status}", status=status)
            + "　　"
            + tr("Last changed: {time}", time=local_time(sheet.updated_at)),
            body,
        ),
        Spacer(1, 3 * mm),
    ]
    data = [
        [
            para(h, head)
            for h in (
                _("Primary indicator"),
                _("Secondary indicator"),
                _("Full marks"),
                _("Score"),
                _("Comment"),
            )
        ]
    ]
    for line in sheet.lines:
        data.append(
            [
                para(line.group, cell),
                para(f"{line.criterion_id} {line.criterion}", cell),
                para(_number(line.max), centred),
                para("" if line.points is None else _number(line.points), centred),
                para(line.comment, cell),
            ]
        )
    table = Table(data, colWidths=[30 * mm, 55 * mm, 16 * mm, 16 * mm, 53 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DCE6F2")),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#5B7A99")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    story.append(table)
    story.append(Spacer(1, 3 * mm))
    stages = "；".join(f"{s.name} {_number(s.points)}/{_number(s.max)}" for s in sheet.stages)
    story.append(para(f"{stages}；" + tr("Total {total}", total=f"{sheet.total:.2f}"), body))
    vetoes = "；".join(f"{name}：{reason}" for name, reason in sheet.vetoes) or _("None")
    story.append(para(tr("Vetoes: {vetoes}", vetoes=vetoes), body))
    # The opinion and the signature lines stay together: a signature never stands alone.
    story.append(
        KeepTogether(
            [
                Spacer(1, 2 * mm),
                para(_("Review opinion:"), body),
                para(sheet.opinion, body),
                Spacer(1, 12 * mm),
                para(
                    _("Expert's signature: ________________________")
                    + "　　　　"
                    + _("Date: ________________"),
                    body,
                ),
            ]
        )
    )

    output = io.BytesIO()
    SimpleDocTemplate(
        output,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=_("Score sheet"),
        author=sheet.expert,
        subject=f"{sheet.dossier_code} {sheet.expert}",
        creator="Review Desk",
        invariant=True,
    ).build(story)
    # Laid out in memory first, so a failure leaves no partial file behind.
    with replacing(target) as partial:
        partial.write_bytes(output.getvalue())
