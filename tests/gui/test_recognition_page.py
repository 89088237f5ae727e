"""认定验收 as the agency and the committee use it: from the finalised selection demo a
round is created in its dialog (its link listed) and opened in the window, which then
shows the recognition pages only; on the demo recognition round the committee overrides
one base's suggestion with a written reason, is refused finalising while deviating
scores (畸高畸低) have no explanation, the agency explains them (one on the page's tab),
and the committee finalises (the 限期整改 without a deadline given one), after which
the decisions are read-only; the agency exports the recognition list (read back with
openpyxl) and the documents (read back with pypdf). Every other page opens on a
recognition round without an error."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFileDialog, QLabel

from review_desk import publicity, ranking_decisions
from review_desk.project import Project
from review_desk.recognition import outcomes
from tests.conftest import copy_project

from ui.dialogs.reason_dialog import ReasonDialog

SELECTION_ONLY = {"ranking", "charts", "export", "publicity"}


@pytest.fixture
def recognition_project(recognition_source: Path, tmp_path: Path) -> Path:
    """A private copy of the demo recognition round (its source stays where it is)."""
    return copy_project(recognition_source, tmp_path / "recognition.rdp")


def _page(window: Any, project: Path, role: str) -> Any:
    assert window.open_project(str(project))
    window.set_role(role)
    window.show_page("recognition")
    page = window.pages["recognition"]
    page.wait()  # the page reads in the background
    return page


def _accept(monkeypatch: pytest.MonkeyPatch, cls: type, fill: Any) -> None:
    def run(dialog: Any) -> int:
        fill(dialog)
        assert dialog.ok.isEnabled()
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(cls, "exec", run)


def _pdf_text(path: Path) -> str:
    return "".join(page.extract_text() or "" for page in PdfReader(path).pages).replace(" ", "")


def test_create_and_open_a_round_from_the_selection_project(
    window, finalised_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from ui.dialogs import recognition_dialogs as dialogs

    page = _page(window, finalised_project, "agency")
    assert page.faces.currentWidget() is page.selection_face
    assert page.create_button.isEnabled() and not page.open_button.isEnabled()
    assert page.links.model.rowCount() == 0
    target = tmp_path / "认定验收.rdp"
    chosen: dict[str, str] = {}

    def fill(dialog: Any) -> None:
        name = dialog.round_name.text()
        assert name.endswith("认定验收") and "首批" not in name
        dialog.location.setText(str(finalised_project))  # an existing file is refused
        assert not dialog.ok.isEnabled()
        dialog.round_name.setText("第二批平台认定验收")
        # The proposed file, beside the selection project, follows the name.
        assert dialog.location.text() == str(finalised_project.with_name("第二批平台认定验收.rdp"))
        dialog.location.setText(str(target))
        chosen["name"] = dialog.round_name.text()

    _accept(monkeypatch, dialogs.CreateRoundDialog, fill)
    page.create_button.click()
    page.wait()
    assert not page.message_bar.isVisible(), page.message_bar.label.text()
    assert page.links.model.rowCount() == 1
    link = page.links.model.row_at(0)
    assert (link.round_name, link.location, link.found) == (chosen["name"], str(target), True)
    assert page.open_button.isEnabled()

    page.open_button.click()
    page = window.pages["recognition"]
    page.wait()
    assert Path(window.project.location) == target
    keys = window.visible_page_keys()
    assert "recognition" in keys and not SELECTION_ONLY & set(keys)
    assert page.faces.currentWidget() is page.recognition_face
    assert page.table.model.rowCount() > 0
    assert "第1版" in page.source.text()
    assert "通过线 80 分" in page.thresholds.text()
    # Nothing scored yet: no suggestion, nothing to finalise with.
    assert all(page.table.model.row_at(i).outcome is None for i in range(3))


def test_a_selection_project_not_finalised_makes_no_round(window, demo_project: Path) -> None:  # type: ignore[no-untyped-def]
    page = _page(window, demo_project, "agency")
    assert "遴选名单尚未定稿" in page.selection_state.text()
    assert not page.create_button.isEnabled()


def test_committee_decides_and_finalises_agency_exports(
    window, recognition_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from ui.dialogs import recognition_dialogs as dialogs

    page = _page(window, recognition_project, "agency")
    keys = window.visible_page_keys()
    assert keys[-1] == "recognition" and not SELECTION_ONLY & set(keys)
    assert not page.decide_button.isVisible() and not page.list_button.isEnabled()
    assert "尚未定稿" in page.state.text()

    window.set_role("committee")
    assert window.visible_page_keys() == ["overview", "materials", "experts", "recognition"]
    assert page.decide_button.isVisible() and page.finalise_button.isVisible()
    assert page.table.select_where(lambda b: b.suggested == "passed")
    code = page.table.selected_row().code

    def override(dialog: Any) -> None:
        assert dialog.choices["passed"].isChecked()  # the suggestion, preselected
        assert not dialog.deadline.isEnabled()
        dialog.choices["failed"].setChecked(True)
        assert not dialog.ok.isEnabled()  # another outcome needs the written reason
        dialog.reason.setPlainText("经现场核查，建设任务完成情况与报告不符")

    _accept(monkeypatch, dialogs.DecideDialog, override)
    page.decide_button.click()
    page.wait()
    assert not page.message_bar.isVisible(), page.message_bar.label.text()
    decided = next(
        page.table.model.row_at(i)
        for i in range(page.table.model.rowCount())
        if page.table.model.row_at(i).code == code
    )
    assert decided.decided and decided.outcome == "failed"
    assert "联席会议已决定 1 个" in page.counts.text()
    assert page.table.selected_row().code == code  # still selected after reading again
    assert "联席会议决定不通过" in page.detail.text() and "报告不符" in page.detail.text()

    # 定稿 is refused while a deviating score (畸高畸低) has no written explanation, with
    # the core's reason naming the code and the expert.
    flags = page.read.deviations
    assert flags and not any(flag.explained for flag in flags)
    assert page.deviations.model.rowCount() == len(flags)
    assert page.reliability.model.rowCount() == 2  # the demo's two panels, by name
    assert page.reliability.model.index(0, 0).data() == "第一专家组（工业与信息）"
    assert "ICC" in page.reliability.model.headerData(3, Qt.Orientation.Horizontal)
    assert page.tabs.tabText(1).endswith(f"({len(flags)})")
    page.finalise_button.click()
    message = page.message_bar.label.text()
    assert page.message_bar.isVisible() and "畸高畸低分需要书面说明" in message, message
    assert all(f"{flag.code} {flag.expert}" in message for flag in flags)
    assert page.tabs.currentWidget() is page.deviations
    assert "尚未定稿" in page.state.text()

    # The agency explains: all but one through the core, the last one on the page.
    assert not page.explain_button.isVisible()
    last = page.deviations.selected_row()
    for flag in flags:
        if (flag.dossier_id, flag.expert_id) != (last.dossier_id, last.expert_id):
            ranking_decisions.explain_deviation(
                window.project, flag.dossier_id, flag.expert_id, "专家书面说明：已复核材料"
            )
    window.set_role("agency")
    page.load()
    page.wait()
    assert page.explain_button.isVisible() and page.explain_button.isEnabled()
    assert page.tabs.tabText(1).endswith("(1)")
    assert page.deviations.selected_row().code == last.code  # the one waiting, first
    assert (
        page.deviations.model.data(
            page.deviations.model.index(0, 6), Qt.ItemDataRole.ForegroundRole
        )
        .color()
        .name()
        == "#9b1c1c"
    )

    def explain(dialog: Any) -> None:
        assert last.code in dialog.findChild(QLabel).text()
        dialog.text.setPlainText("专家说明：现场核查时该基地设备尚未安装到位")

    _accept(monkeypatch, ReasonDialog, explain)
    page.deviations.view.doubleClicked.emit(page.deviations.model.index(0, 0))
    page.wait()
    assert not any(flag.explained is False for flag in page.read.deviations)
    noted = next(
        f
        for f in page.read.deviations
        if (f.dossier_id, f.expert_id) == (last.dossier_id, last.expert_id)
    )
    assert noted.note.startswith("专家说明：现场核查")
    assert page.tabs.tabText(1) == "畸高畸低分"

    window.set_role("committee")
    seen: dict[str, Any] = {}

    def confirm(dialog: Any) -> None:
        seen["missing"] = list(dialog.missing)
        seen["text"] = dialog.summary.text()

    _accept(monkeypatch, dialogs.FinaliseDialog, confirm)
    page.finalise_button.click()
    page.wait()
    assert not page.message_bar.isVisible(), page.message_bar.label.text()
    assert seen["missing"]  # no 限期整改 had its own deadline
    assert "通过 12 个，限期整改 13 个，不通过 13 个" in seen["text"]
    assert "已于" in page.state.text() and "名单哈希" in page.state.text()
    assert not page.decide_button.isEnabled() and not page.finalise_button.isEnabled()

    window.set_role("agency")
    assert page.list_button.isEnabled()
    workbook = tmp_path / "认定名单"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *a, **k: (str(workbook), "Excel (*.xlsx)")
    )
    page.list_button.click()
    page.wait()
    sheet = load_workbook(workbook.with_suffix(".xlsx")).active
    assert "认定验收（演示）认定名单" in str(sheet.cell(1, 1).value)
    listed = {
        sheet.cell(r, 2).value: (sheet.cell(r, 8).value, sheet.cell(r, 9).value)
        for r in range(3, 3 + 38)
    }
    assert listed[code] == ("不通过", "经现场核查，建设任务完成情况与报告不符")
    assert {outcome for outcome, _reason in listed.values()} == {"通过", "限期整改", "不通过"}
    # The 限期整改 without a deadline got the one given when finalising.
    deadline = publicity.today() + timedelta(dialogs.DEFAULT_RECTIFY_DAYS)
    day = f"{deadline.year}年{deadline.month}月{deadline.day}日"
    assert all(day in reason for outcome, reason in listed.values() if outcome == "限期整改")

    page.table.select_where(lambda b: b.code == code)
    page.document_button.click()
    page.wait()
    text = _pdf_text(page.viewer.path)
    assert code in text and "不通过" in text and "建设任务完成情况与报告不符" in text
    page.viewer.close()

    folder = tmp_path / "认定文件"
    folder.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    page.documents_button.click()
    page.wait()
    assert len(list(folder.glob("*.pdf"))) == 38

    with Project(recognition_project) as project:
        assert project.verify_audit().intact
        final = {b.code: b for b in outcomes(project)}
    assert final[code].outcome == "failed" and final[code].reason.startswith("经现场核查")


def test_every_page_opens_on_a_recognition_round(window, recognition_project: Path) -> None:  # type: ignore[no-untyped-def]
    assert window.open_project(str(recognition_project))
    for role in ("agency", "committee", "expert"):
        window.set_role(role)
        for key in window.visible_page_keys():
            window.show_page(key)
            page = window.pages[key]
            page.wait()
            assert page.message_bar.level != "error", (role, key, page.message_bar.label.text())
    # The overview names the selection round instead of quotas it does not have.
    overview = window.pages["overview"]
    assert "名单第1版" in overview.fields["quota"].text()
    assert overview.directions.view.isColumnHidden(5)
