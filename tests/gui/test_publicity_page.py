"""公示与异议 as the agency and the committee use it on the finalised demo: the period
opened in its dialog, two objections recorded (one with an evidence file), one
investigated, the committee upholding one and dismissing the other, the list revised
into version 2 (version 1 kept), publication refused while an objection is pending and
then done; the committee does not see the agency's buttons."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from PySide6.QtWidgets import QDialog, QMessageBox

from review_desk import list_versions, objections, publicity
from review_desk.project import Project


def _page(window: Any, project: Path, role: str) -> Any:
    assert window.open_project(str(project))
    window.set_role(role)
    window.show_page("publicity")
    page = window.pages["publicity"]
    page.wait()  # the page reads in the background
    return page


def _accept(monkeypatch: pytest.MonkeyPatch, cls: type, fill: Any) -> None:
    def run(dialog: Any) -> int:
        fill(dialog)
        assert dialog.ok.isEnabled()
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(cls, "exec", run)


def _listed(page: Any) -> list[tuple[int, str]]:
    return page.read.dossiers


def test_publicity_run_through_the_page(
    window, finalised_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from ui.dialogs import publicity_dialogs as dialogs

    page = _page(window, finalised_project, "agency")
    assert page.open_button.isEnabled() and not page.add_button.isEnabled()
    assert "尚未开启公示" in page.state.text()

    # The period ended yesterday: objections are still recorded until it is closed.
    today = publicity.today()

    def fill_period(dialog: Any) -> None:
        assert not dialog.ok.isEnabled()  # no contact yet
        start, end = today - timedelta(days=8), today - timedelta(days=1)
        dialog.starts.setDate(start)
        dialog.ends.setDate(end)
        dialog.contact.setText("0351-1234567")

    _accept(monkeypatch, dialogs.OpenPeriodDialog, fill_period)
    page.open_button.click()
    page.wait()
    assert "公示期已满（待结束）" in page.state.text() and "第1版" in page.state.text()

    first, second = _listed(page)[0], _listed(page)[1]
    evidence = tmp_path / "举报材料.pdf"
    evidence.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 8)

    def objection(target: tuple[int, str], anonymous: bool, files: list[Path]) -> Any:
        def fill(dialog: Any) -> None:
            assert not dialog.ok.isEnabled()
            dialog.dossier.setCurrentIndex(dialog.dossier.findData(target[0]))
            if anonymous:
                dialog.anonymous.setChecked(True)
            else:
                dialog.objector.setText("张三")
            dialog.grounds.setPlainText("申报材料中的合作企业数量与实际不符")
            for file in files:
                dialog.evidence.files.addItem(str(file))

        return fill

    _accept(monkeypatch, dialogs.ObjectionDialog, objection(first, False, [evidence]))
    page.add_button.click()
    page.wait()
    _accept(monkeypatch, dialogs.ObjectionDialog, objection(second, True, []))
    page.add_button.click()
    page.wait()
    assert page.table.model.rowCount() == 2
    # Pending objections block publication.
    assert not page.publish_button.isEnabled()

    page.table.select_where(lambda r: r.code == first[1].split()[0])
    _accept(
        monkeypatch,
        dialogs.InvestigateDialog,
        lambda d: (d.assignee.setText("李四"), d.findings.setPlainText("经核实情况属实")),
    )
    page.investigate_button.click()
    page.wait()

    # The committee decides: its view has no agency buttons.
    window.set_role("committee")
    assert not page.open_button.isVisible() and not page.add_button.isVisible()
    assert page.decide_button.isVisible()
    page.table.select_where(lambda r: r.code == first[1].split()[0])

    def uphold(dialog: Any) -> None:
        dialog.upheld.setChecked(True)
        dialog.reason.setPlainText("经调查异议属实，调整该申报档次")

    _accept(monkeypatch, dialogs.DecideDialog, uphold)
    page.decide_button.click()
    page.wait()
    page.table.select_where(lambda r: r.code == second[1].split()[0])

    def dismiss(dialog: Any) -> None:
        dialog.dismissed.setChecked(True)
        dialog.reason.setPlainText("匿名异议无事实依据，不予采纳")

    _accept(monkeypatch, dialogs.DecideDialog, dismiss)
    page.decide_button.click()
    page.wait()

    page.table.select_where(lambda r: r.status == "upheld")
    assert page.revise_button.isEnabled()

    def revise(dialog: Any) -> None:
        assert not dialog.ok.isEnabled()
        dialog.tier.setCurrentIndex(dialog.tier.findData("municipal"))
        dialog.add_button.click()
        dialog.reason.setPlainText("异议成立，改为市（县）级")

    _accept(monkeypatch, dialogs.ReviseDialog, revise)
    page.revise_button.click()
    page.wait()
    assert page.versions.model.rowCount() == 2
    assert "第2版" in page.state.text()

    window.set_role("agency")
    page.wait()
    assert page.publish_button.isEnabled()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    page.publish_button.click()
    page.wait()
    assert "已正式发布" in page.state.text()

    with Project(finalised_project) as project:
        versions = list_versions.versions(project)
        rows = {o.code: o for o in objections.list_objections(project)}
        state = publicity.status(project)
        assert project.verify_audit().intact
    assert [v.version for v in versions] == [1, 2]
    assert versions[1].diff[0]["code"] == first[1].split()[0]
    assert rows[first[1].split()[0]].status == "upheld"
    assert rows[first[1].split()[0]].evidence[0]["name"] == "举报材料.pdf"
    assert rows[second[1].split()[0]].status == "dismissed"
    assert rows[second[1].split()[0]].anonymous
    assert state.state == "published" and state.published_hash == versions[1].content_hash


def test_publicity_page_before_finalisation(window, demo_project: Path) -> None:  # type: ignore[no-untyped-def]
    page = _page(window, demo_project, "agency")
    assert "尚未定稿" in page.state.text()
    assert not page.open_button.isEnabled() and not page.publish_button.isEnabled()
