"""The score form's "Print…" writes the score sheet PDF through the core, off the UI
thread, to the path the user picks."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from PySide6.QtWidgets import QFileDialog

from review_desk.project import Project
from tests.panel_project import copy_panel_project, panel_project_once, score_first_expert

from ui.widgets.score_form import ScoreForm


def test_print_writes_the_sheet_where_the_user_chooses(
    qtbot,
    qapp,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "project").mkdir()
    made = copy_panel_project(panel_project_once(tmp_path_factory), tmp_path / "project")
    expert = score_first_expert(made)
    target = tmp_path / "out" / "评分表.pdf"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", staticmethod(lambda *_args: (str(target), ""))
    )
    with Project(made.path) as project:
        form = ScoreForm()
        qtbot.addWidget(form)
        form.load(project, expert, made.dossier_id)
        form.print_button.click()
        qtbot.waitUntil(lambda: "已保存" in form.status.text(), timeout=10_000)
    assert str(target) in form.status.text()
    text = "".join(page.extract_text() for page in PdfReader(target).pages)
    assert made.dossier_code in text and "专家签字" in "".join(text.split())
