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
from review_desk.formal_review import PASSED
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
    page = window.pages["experts"]
    page.wait()  # the page reads in the background
    return page


def _draw_in_dialog(page: Any, monkeypatch: pytest.MonkeyPatch, public: str) -> list[Any]:
    """Make a draw for direction 1 through the dialog; return the result dialogs shown."""
    from ui.dialogs import draw_dialogs

    def fill(dialog: Any) -> int:
        index = dialog.direction.findData(1)
        dialog.direction.setCurrentIndex(index)
        dialog.experts.setValue(3)
        dialog.alternates.setValue(2)
        dialog.label.setText("第一组")
        dialog.panel.setText("抽取专家组")
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
    # The drawn experts became the panel's members.
    panels = {p.name: p for p in page.panels.model._rows}
    assert sorted(panels["抽取专家组"].members) == sorted(names[e] for e in made.selected)
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
        dialog.k_for.setText("7=x")
        assert not dialog.ok.isEnabled() and dialog.k_for_error.text()
        dialog.k_for.setText("7＝2")  # a full-width equals sign, as a Chinese keyboard types
        assert dialog.ok.isEnabled()
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
    assert len(asked) == 1 and "保存此分配" in asked[0], page.message_bar.label.text()
    [[solved]] = _sql(
        demo_project, "SELECT count(*) FROM audit_log WHERE action = 'assignment.solve'"
    )
    assert solved == 1
    # Every dossier that passed has at least 3 experts (more where work had started).
    rows = [
        page.assignment.dossiers.model.row_at(r)
        for r in range(page.assignment.dossiers.model.rowCount())
    ]
    k = {r.id: 2 if r.direction_number == 7 else 3 for r in rows}
    # The dossiers assigned: those that passed the formal review (the others keep theirs).
    passed = {
        d
        for (d,) in _sql(
            demo_project, f"SELECT dossier_id FROM formal_review WHERE verdict = '{PASSED}'"
        )
    }
    wrong = [
        (r.code, len(r.experts), sum(e.started for e in r.experts))
        for r in rows
        if r.id in passed and len(r.experts) != max(k[r.id], sum(e.started for e in r.experts))
    ]
    assert passed and any(k[d] == 2 for d in passed) and not wrong
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
    page.wait()
    assert "experts" in window.visible_page_keys()
    visible = [page.tabs.widget(i) for i in range(page.tabs.count()) if page.tabs.isTabVisible(i)]
    assert visible == [page.draws]
    assert page.draws.new_button.isHidden() and page.draws.refuse_button.isHidden()
    page.load()
    page.wait()
    page.draws.open_selected_record()
    page.wait()
    assert page.draws.viewer.viewer.page_count() >= 1
    page.draws.viewer.close()


def test_a_manual_change_is_stored_with_its_reason_and_a_conflict_refused(
    window, demo_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from review_desk.assignment_changes import assignment_changes

    from ui.dialogs import assign_dialogs

    page = _experts_page(window, demo_project)
    page.tabs.setCurrentWidget(page.assignment)
    table = page.assignment.dossiers
    # A dossier with an expert who has not started: the one to take off.
    rows = [table.model.row_at(r) for r in range(table.model.rowCount())]
    row = next(r for r in rows if any(not e.started for e in r.experts))
    table.select_where(lambda r: r.id == row.id)
    leaving = next(e for e in row.experts if not e.started)
    assigned = {e.id for e in row.experts}
    coming = next(e for e in page.assignment.pool if e.id not in assigned)

    def swap(dialog: Any) -> int:
        dialog.remove.setCurrentIndex(dialog.remove.findData(leaving.id))
        dialog.add.setCurrentIndex(dialog.add.findData(coming.id))
        assert not dialog.ok.isEnabled()  # no reason yet
        dialog.reason.setPlainText("专家临时因病无法评审")
        assert dialog.ok.isEnabled()
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(assign_dialogs.ChangeDialog, "exec", swap)
    page.assignment.change()
    page.wait()
    with Project(demo_project) as project:
        [change] = assignment_changes(project)
    assert (change.removed, change.added, change.reason) == (
        leaving.id,
        coming.id,
        "专家临时因病无法评审",
    )
    after = next(
        table.model.row_at(r)
        for r in range(table.model.rowCount())
        if table.model.row_at(r).id == row.id
    )
    assert coming.id in {e.id for e in after.experts} and leaving.id not in {
        e.id for e in after.experts
    }
    # A recused expert cannot be put on that dossier: refused, said, nothing stored.
    [[expert_id, dossier_id]] = _sql(
        demo_project, "SELECT expert_id, dossier_id FROM recusal LIMIT 1"
    )
    table.select_where(lambda r: r.id == dossier_id)

    def recused(dialog: Any) -> int:
        dialog.add.setCurrentIndex(dialog.add.findData(expert_id))
        dialog.reason.setPlainText("试图加入已回避的专家")
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(assign_dialogs.ChangeDialog, "exec", recused)
    before = _sql(demo_project, "SELECT count(*) FROM assignment")
    page.assignment.change()
    page.wait()
    assert _sql(demo_project, "SELECT count(*) FROM assignment") == before
    assert page.message_bar.isVisible() and "回避" in page.message_bar.label.text()
