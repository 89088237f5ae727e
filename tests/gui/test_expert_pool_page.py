"""专家与分组 as the agency and the committee use it: a draw made in its dialog with the
supervisor's value, shown and opened as a printable record; a refusal filled from the
alternates; the automatic assignment computed, confirmed, stored and explained; a pool
import that reveals a conflict on an assigned pair; the committee's view of the draws."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from PySide6.QtWidgets import QDialog, QMessageBox

from review_desk import draw
from review_desk.project import Project
from tests.backends import raw_sql


def _sql(location: Path, statement: str) -> list[Any]:
    from sqlalchemy import text

    with raw_sql(location) as connection:
        return [tuple(r) for r in connection.execute(text(statement))]


def _experts_page(window: Any, project: Path, role: str = "agency") -> Any:
    assert window.open_project(str(project))
    window.set_role(role)
    window.show_page("experts")
    return window.pages["experts"]


def _draw_in_dialog(page: Any, monkeypatch: pytest.MonkeyPatch, public: str) -> list[Any]:
    """Make a draw for direction 1 through the dialog; return the result dialogs shown."""
    from ui.dialogs import draw_dialogs

    def fill(dialog: Any) -> int:
        index = dialog.direction.findData(1)
        dialog.direction.setCurrentIndex(index)
        dialog.experts.setValue(3)
        dialog.alternates.setValue(2)
        dialog.label.setText("第一组")
        assert not dialog.ok.isEnabled()  # no public value yet: no draw
        dialog.public_value.setText(public)
        assert dialog.ok.isEnabled()
        return QDialog.DialogCode.Accepted

    shown: list[Any] = []
    monkeypatch.setattr(draw_dialogs.DrawDialog, "exec", fill)
    monkeypatch.setattr(draw_dialogs.DrawResultDialog, "exec", lambda d: shown.append(d) or 0)
    page.draws.new_draw()
    page.wait()
    return shown


def test_a_draw_is_made_shown_verified_and_its_record_opened(
    window, demo_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    page = _experts_page(window, demo_project)
    shown = _draw_in_dialog(page, monkeypatch, "3-5-1-6")
    assert len(shown) == 1
    with Project(demo_project) as project:
        [made] = draw.draws(project)
        names = {e.id: e.name for e in page.draws.pool.values()}
    assert made.public_value == "3-5-1-6" and made.params["label"] == "第一组"
    # The result is shown by name, with the seed committed before it.
    texts = [label.text() for label in shown[0].findChildren(type(shown[0].record_button))]
    assert texts  # the record button
    labels = " ".join(
        w.text() for w in shown[0].findChildren(__import__("PySide6.QtWidgets").QtWidgets.QLabel)
    )
    assert made.hashes["seed"] in labels
    assert all(names[e] in labels for e in made.selected)
    # The drawn order: 3 drawn, 2 alternates.
    assert page.draws.drawn.model.rowCount() == 5
    # The printable record opens in the application.
    shown[0].record_button.click()
    page.wait()
    viewer = page.draws.viewer
    assert viewer.viewer.page_count() >= 1 and viewer.path.stat().st_size > 1000
    viewer.close()
    # Verify: every draw recomputed matches, and the table says so.
    page.draws.verify()
    page.wait()
    assert page.draws.draws.model.data(page.draws.draws.model.index(0, 8)) == "一致"


def test_a_refusal_is_filled_from_the_alternates(
    window, demo_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from ui.dialogs import draw_dialogs

    page = _experts_page(window, demo_project)
    _draw_in_dialog(page, monkeypatch, "42")
    with Project(demo_project) as project:
        [made] = draw.draws(project)

    def refuse(dialog: Any) -> int:
        assert dialog.expert.count() == 3
        dialog.expert.setCurrentIndex(dialog.expert.findData(made.selected[1]))
        dialog.reason.setPlainText("因公出差，无法参加")
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(draw_dialogs.RefusalDialog, "exec", refuse)
    page.draws.record_refusal()
    page.wait()
    with Project(demo_project) as project:
        [after] = draw.draws(project)
        checks, chain = draw.verify(project)
    assert after.members == [made.selected[0], made.alternates[0], made.selected[2]]
    assert all(c.matches for c in checks) and chain.intact
    statuses = [page.draws.drawn.model.data(page.draws.drawn.model.index(r, 4)) for r in range(5)]
    assert statuses[1].startswith("拒绝：") and statuses[3] == "备选，已递补"


def test_the_assignment_is_computed_confirmed_stored_and_explained(
    window, demo_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from ui.dialogs import assign_dialogs

    page = _experts_page(window, demo_project)
    page.tabs.setCurrentWidget(page.assignment)

    def settings(dialog: Any) -> int:
        dialog.k.setValue(3)
        return QDialog.DialogCode.Accepted

    asked: list[str] = []
    monkeypatch.setattr(assign_dialogs.AssignDialog, "exec", settings)
    monkeypatch.setattr(
        QMessageBox,
        "question",
        lambda _p, _t, text, *a: asked.append(text) or QMessageBox.StandardButton.Yes,
    )
    page.assignment.assign()
    page.wait()  # computed, asked, then stored
    page.wait()
    assert len(asked) == 1 and "保存此分配" in asked[0]
    [[solved]] = _sql(
        demo_project, "SELECT count(*) FROM audit_log WHERE action = 'assignment.solve'"
    )
    assert solved == 1
    # Every dossier that passed has at least 3 experts (more where work had started).
    rows = [
        page.assignment.dossiers.model.row_at(r)
        for r in range(page.assignment.dossiers.model.rowCount())
    ]
    assert rows and all(len(r.experts) >= 3 for r in rows if r.experts)
    # The explanation of the selected dossier: its chosen candidates, each with why.
    page.assignment.dossiers.select_first()
    explained = page.assignment.explained.model
    chosen = [
        explained.row_at(r) for r in range(explained.rowCount()) if explained.row_at(r).chosen
    ]
    assert len(chosen) >= 3 and all(c.reason for c in chosen)


def test_a_pool_import_that_reveals_a_conflict_on_an_assigned_pair_warns(
    window, demo_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QFileDialog

    page = _experts_page(window, demo_project)
    [[applicant]] = _sql(
        demo_project,
        "SELECT a.name FROM assignment s JOIN expert e ON e.id = s.expert_id "
        "JOIN dossier d ON d.id = s.dossier_id JOIN applicant a ON a.id = d.lead_applicant_id "
        "WHERE e.name = '李秀梅' ORDER BY d.code LIMIT 1",
    )
    pool = tmp_path / "pool.csv"
    pool.write_text(
        f"姓名,工作单位,关联单位或人员\n李秀梅,山西省职业教育研究院,{applicant}\n", encoding="utf-8"
    )
    warnings: list[tuple[str, str]] = []
    monkeypatch.setattr(
        QMessageBox, "warning", lambda _p, title, text: warnings.append((title, text))
    )
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(pool), ""))
    page.import_roster()
    page.wait()
    assert len(warnings) == 1 and warnings[0][0] == "分配后发现利益冲突"
    assert "李秀梅" in warnings[0][1]
    # The pair is blocked: recused (the reason says it was found after assignment) and
    # off the dossier's experts in the assignment view.
    recusals = page.recusals.model
    late = [
        recusals.row_at(r)
        for r in range(recusals.rowCount())
        if recusals.row_at(r).expert == "李秀梅" and "分配后发现" in recusals.row_at(r).reason
    ]
    assert late
    dossiers = page.assignment.dossiers.model
    for row in (dossiers.row_at(r) for r in range(dossiers.rowCount())):
        if row.code in {r.dossier_code for r in late}:
            assert "李秀梅" not in [e.name for e in row.experts]


def test_the_committee_opens_the_draws_alone(
    window, demo_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    page = _experts_page(window, demo_project)
    _draw_in_dialog(page, monkeypatch, "7")
    window.set_role("committee")
    assert "experts" in window.visible_page_keys()
    visible = [page.tabs.widget(i) for i in range(page.tabs.count()) if page.tabs.isTabVisible(i)]
    assert visible == [page.draws]
    assert page.draws.new_button.isHidden() and page.draws.refuse_button.isHidden()
    page.load()
    page.draws.open_selected_record()
    page.wait()
    assert page.draws.viewer.viewer.page_count() >= 1
    page.draws.viewer.close()
