"""A printable score sheet (PDF) for one expert and one dossier, with the signature line,
made with Qt's PDF writer so that it looks the same as the screen and needs no extra
library."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QMarginsF, QSizeF
from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter, QTextDocument

from review_desk import scoring
from review_desk.formatting import local_time
from review_desk.i18n import _
from review_desk.project import Project


def score_sheet_html(project: Project, expert_id: int, dossier_id: int) -> str:
    """Return the score sheet as HTML for Qt's text document."""
    from review_desk.storage import models as m

    state = scoring.load_sheet(project, expert_id, dossier_id)
    rubric = scoring.rubric_of(project, state)
    with project.reading() as session:
        dossier = session.get(m.Dossier, dossier_id)
        expert = session.get(m.Expert, expert_id)
        assert dossier is not None and expert is not None
        kind, code, platform = dossier.lead_applicant.kind, dossier.code, dossier.platform_name
        applicant, expert_name, organisation = (
            dossier.lead_applicant.name,
            expert.name,
            expert.organisation,
        )
    e = html.escape
    rows = []
    for group in rubric.groups:
        for c in group.criteria:
            if not c.applies(kind):
                continue
            value = state.scores.get(c.id)
            rows.append(
                f"<tr><td>{e(group.name)}</td><td>{e(c.id)} {e(c.name)}</td>"
                f"<td align='center'>{c.max:g}</td>"
                f"<td align='center'>{'' if value is None else f'{value:g}'}</td>"
                f"<td>{e(state.comments.get(c.id, ''))}</td></tr>"
            )
    totals = rubric.stage_totals(state.scores, kind)
    stage_line = "；".join(
        f"{e(s.name)} {totals[s.key]:g}/{rubric.stage_max(s.key, kind):g}" for s in rubric.stages
    )
    vetoes = "；".join(f"{e(k)}：{e(v)}" for k, v in state.vetoes.items()) or "无"
    status = "已提交" if state.locked else "未提交（草稿）"
    return f"""
    <html><body style="font-size:10.5pt">
    <h2 align="center">{e(rubric.name)}</h2>
    <p align="center">专家评分表（{e(rubric.version)}）</p>
    <p>申报编号：{e(code)}　　平台载体：{e(platform)}<br>
    牵头申报主体：{e(applicant)}<br>
    评审专家：{e(expert_name)}（{e(organisation)}）　　状态：{status}
    　　最后修改：{local_time(state.updated_at)}</p>
    <table border="1" cellspacing="0" cellpadding="4" width="100%">
    <tr style="background:#dce6f2">
    <th>一级指标</th><th>二级指标</th><th>满分</th><th>得分</th><th>评语</th></tr>
    {"".join(rows)}
    </table>
    <p>{stage_line}；总分 {rubric.weighted_total(state.scores, kind):.2f}</p>
    <p>否决项：{vetoes}</p>
    <p><b>评审意见：</b><br>{e(state.opinion).replace(chr(10), "<br>")}</p>
    <br><br>
    <p>专家签字：________________________　　　　日期：________________</p>
    </body></html>
    """


def write_score_sheet_pdf(project: Project, expert_id: int, dossier_id: int, target: Path) -> None:
    """Write the printable score sheet (A4 portrait) to ``target``."""
    writer = QPdfWriter(str(target))
    writer.setTitle(_("Score sheet"))
    writer.setCreator("Review Desk")
    # The text document lays out in 96-dpi pixels; printing at that resolution keeps
    # its point sizes true on paper.
    writer.setResolution(96)
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            QMarginsF(15, 15, 15, 15),
            QPageLayout.Unit.Millimeter,
        )
    )
    document = QTextDocument()
    document.setHtml(score_sheet_html(project, expert_id, dossier_id))
    rect = writer.pageLayout().paintRectPixels(writer.resolution())
    document.setPageSize(QSizeF(rect.width(), rect.height()))
    document.print_(writer)
