"""The printed score sheet is made in the core: a real PDF (read back with pypdf) with
the dossier, the expert, each criterion's points and the lines the expert signs."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from review_desk import scoring
from review_desk.documents.score_sheet_pdf import score_sheet_document, write_score_sheet_pdf
from review_desk.errors import UserError
from review_desk.project import Project
from tests.panel_project import (
    EXPERTS,
    OPINION,
    PanelProject,
    copy_panel_project,
    panel_project_once,
    score_first_expert,
)


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> tuple[PanelProject, int]:
    """The small panel project with the first expert's sheet scored and commented (the
    tests only read it)."""
    made = copy_panel_project(
        panel_project_once(tmp_path_factory), tmp_path_factory.mktemp("sheet")
    )
    return made, score_first_expert(made)


def test_the_document_holds_every_applicable_criterion(scored: tuple[PanelProject, int]) -> None:
    made, expert = scored
    with Project(made.path) as project:
        sheet = score_sheet_document(project, expert, made.dossier_id)
        state = scoring.load_sheet(project, expert, made.dossier_id)
    assert sheet.dossier_code == made.dossier_code
    assert (sheet.expert, sheet.organisation) == EXPERTS[0][:2]
    assert not sheet.submitted
    assert sheet.lines and all(line.points is not None for line in sheet.lines)
    assert {line.criterion_id: line.points for line in sheet.lines} == state.scores
    assert sheet.lines[0].comment == "场地照片清晰"
    assert sheet.opinion == OPINION
    assert sheet.total > 0 and sheet.stages


def test_the_pdf_shows_dossier_expert_scores_and_signature(
    scored: tuple[PanelProject, int], tmp_path: Path
) -> None:
    made, expert = scored
    target = tmp_path / "out" / "评分表.pdf"
    with Project(made.path) as project:
        sheet = write_score_sheet_pdf(project, expert, made.dossier_id, target)
    reader = PdfReader(target)
    text = "".join(page.extract_text() for page in reader.pages)
    compact = "".join(text.split())
    assert made.dossier_code in compact
    assert EXPERTS[0][0] in compact and EXPERTS[0][1] in compact
    assert "".join(sheet.applicant.split()) in compact
    for line in sheet.lines:
        assert line.criterion_id in compact
    # Each criterion's row reads: id, name, full marks, points.
    for line in sheet.lines:
        assert line.points is not None
        row = f"{line.criterion_id}{''.join(line.criterion.split())}"
        assert row in compact
        after = compact.split(row, 1)[1]
        assert after.startswith(f"{line.max:g}{line.points:g}"), (row, after[:20])
    assert f"总分{sheet.total:.2f}" in compact
    assert "专家签字" in compact and "日期" in compact
    assert "场地照片清晰" in compact
    assert not list(target.parent.glob(".*.part"))


def test_an_unknown_expert_is_refused_and_nothing_written(
    scored: tuple[PanelProject, int], tmp_path: Path
) -> None:
    made, _expert = scored
    target = tmp_path / "none.pdf"
    with Project(made.path) as project, pytest.raises(UserError):
        write_score_sheet_pdf(project, 999, made.dossier_id, target)
    assert not target.exists()
