"""The 图表 and 导出 pages: charts computed off the UI thread, hover details and
click-through, presentation mode keys, and exports written from the page."""

from __future__ import annotations

from pathlib import Path

import pytest
from matplotlib.backend_bases import MouseEvent
from openpyxl import load_workbook
from pypdf import PdfReader

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from review_desk.charts import KINDS, kind_title


def _charts(window, project: Path, role: str = "committee"):  # type: ignore[no-untyped-def]
    assert window.open_project(str(project))
    window.set_role(role)
    window.show_page("charts")
    page = window.pages["charts"]
    page.wait()
    return page


def test_dashboard_shows_every_chart_with_hover_and_click(
    window, finalised_project: Path, qtbot
) -> None:  # type: ignore[no-untyped-def]
    page = _charts(window, finalised_project)
    assert page.data is not None and page.canvas.chart is not None
    assert "已定稿" in page.status.text()
    assert page.open_button.isVisible()  # the committee reads dossiers too
    for row in range(len(KINDS)):
        page.kinds.setCurrentRow(row)
        assert page.canvas.chart is not None and page.canvas.chart.kind == KINDS[row]
    page.kinds.setCurrentRow(0)
    chart = page.canvas.chart
    canvas = page.canvas.canvas
    canvas.draw()
    bar = chart.hits[0].artist
    x, y = bar.axes.transData.transform(
        (bar.get_x() + bar.get_width() / 2, bar.get_y() + bar.get_height() / 2)
    )
    MouseEvent("motion_notify_event", canvas, x, y)._process()
    top = page.data.table.sort_values("score", ascending=False).iloc[0]
    assert top["code"] in page.canvas.last_hover
    with qtbot.waitSignal(page.canvas.dossier_clicked) as clicked:
        MouseEvent("button_press_event", canvas, x, y, button=1)._process()
    assert clicked.args == [int(top["dossier_id"])]
    assert top["code"] in page.detail_title.text()
    assert page.fields["tier"].text() == "省级基地"
    page.radar_button.click()
    assert page.current_kind() == "radar"
    assert top["code"] in page.canvas.chart.figure.get_suptitle()


def test_clicking_through_to_the_dossier(window, demo_project: Path) -> None:  # type: ignore[no-untyped-def]
    page = _charts(window, demo_project, role="committee")
    assert "工作稿" in page.status.text()
    target = int(page.data.table.dropna(subset=["score"]).iloc[3]["dossier_id"])
    page.canvas.dossier_clicked.emit(target)
    assert page.open_button.isEnabled()
    page.open_button.click()
    assert window.current_page_key() == "materials"
    assert window.pages["materials"].table.selected_row().id == target
    assert not window.pages["materials"].import_button.isVisible()  # read-only


def test_presentation_mode_keys(window, finalised_project: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    page = _charts(window, finalised_project)
    assert page.present_shortcut.key().toString() == "F11"
    page.present_shortcut.activated.emit()
    presentation = page.presentation
    assert presentation is not None and presentation.isFullScreen()
    # Keys go to the active window's shortcuts first, as the user's would: wait until
    # the presentation is that window.
    qtbot.waitUntil(presentation.isActiveWindow)
    assert presentation.index == 0 and presentation.count.text() == f"1 / {len(KINDS)}"
    qtbot.keyClick(presentation, Qt.Key.Key_Right)
    assert presentation.index == 1 and presentation.canvas.chart.kind == KINDS[1]
    qtbot.keyClick(presentation, Qt.Key.Key_Left)
    qtbot.keyClick(presentation, Qt.Key.Key_Left)  # stays on the first
    assert presentation.index == 0
    qtbot.keyClick(presentation, Qt.Key.Key_End)
    qtbot.keyClick(presentation, Qt.Key.Key_Space)  # stays on the last
    assert presentation.index == len(KINDS) - 1
    assert presentation.title.text() == "入选概率（稳定性分析）"
    qtbot.keyClick(presentation, Qt.Key.Key_Home)
    qtbot.keyClick(presentation, Qt.Key.Key_PageDown)
    with qtbot.waitSignal(presentation.closed) as closed:
        qtbot.keyClick(presentation, Qt.Key.Key_Escape)
    assert closed.args == [1]
    assert page.presentation is None
    assert page.kinds.currentRow() == 1


def test_export_page_writes_the_workbook_and_publicity(
    window, finalised_project: Path, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda *args: shown.append(args[2]))
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: shown.append("warning:" + args[2]))
    assert window.open_project(str(finalised_project))
    window.set_role("committee")
    window.show_page("export")
    page = window.pages["export"]
    assert page.pdf_button.isEnabled() and "已定稿" in page.state.text()
    page.export_workbook(str(tmp_path / "结果.xlsx"))
    page.wait()
    assert (tmp_path / "结果.xlsx").exists(), shown
    assert "定稿名单校验码" in shown[-1]
    assert load_workbook(tmp_path / "结果.xlsx").sheetnames[0] == "推荐名单（省级）"
    page.phone.setText("0351-1234567")
    assert page.write_publicity(".pdf", str(tmp_path / "公示.pdf"))
    assert not page.pdf_button.isEnabled()  # written in the background
    page.wait()
    assert (tmp_path / "公示.pdf").read_bytes().startswith(b"%PDF")
    assert "定稿名单校验码" in shown[-1] and page.pdf_button.isEnabled()
    assert page.write_publicity(".xlsx", str(tmp_path / "公示.xlsx"))
    page.wait()
    assert load_workbook(tmp_path / "公示.xlsx").active is not None
    page.days.setValue(1)
    page.office.setText("")
    assert not page.write_publicity(".pdf", str(tmp_path / "no.pdf"))
    assert page.message_bar.level == "error" and not (tmp_path / "no.pdf").exists()


def test_export_page_without_a_finalised_list(window, demo_project: Path) -> None:  # type: ignore[no-untyped-def]
    assert window.open_project(str(demo_project))
    window.set_role("agency")
    window.show_page("export")
    page = window.pages["export"]
    assert not page.pdf_button.isEnabled() and not page.xlsx_button.isEnabled()
    assert "定稿后" in page.publicity_state.text()


def test_presentation_closes_with_the_project(window, finalised_project: Path) -> None:  # type: ignore[no-untyped-def]
    page = _charts(window, finalised_project)
    page.present()
    assert page.presentation is not None and page.presentation.parent() is window
    window.close_project()
    assert page.presentation is None


def test_pages_follow_a_finalisation_made_elsewhere(window, demo_project: Path) -> None:  # type: ignore[no-untyped-def]
    from review_desk import ranking, ranking_decisions

    charts = _charts(window, demo_project)
    assert "工作稿" in charts.status.text()
    window.show_page("export")
    export = window.pages["export"]
    assert not export.pdf_button.isEnabled()
    project = window.project
    result = ranking.compute(project, resamples=0)
    for flag in result.experts.itertuples():
        ranking_decisions.explain_deviation(
            project, int(flag.dossier_id), int(flag.expert_id), "已书面说明理由"
        )
    ranking_decisions.finalise(project)
    window.show_page("overview")
    window.show_page("export")
    assert export.pdf_button.isEnabled() and "已定稿" in export.state.text()
    window.show_page("charts")
    charts.wait()
    assert "已定稿" in charts.status.text()


@pytest.mark.slow
def test_export_page_saves_every_chart(
    window, demo_project: Path, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda *args: shown.append(args[2]))
    assert window.open_project(str(demo_project))
    window.show_page("export")
    page = window.pages["export"]
    folder = tmp_path / "图表"
    folder.mkdir()
    page.export_charts(str(folder))
    page.wait()
    files = sorted(p.name for p in folder.iterdir())
    assert len(files) == 2 * len(KINDS) + 1, shown
    assert {Path(f).suffix for f in files} == {".png", ".svg", ".pdf"}
    assert any("综合排名" in f for f in files)
    assert "13" in shown[-1]
    for name in files:
        data = (folder / name).read_bytes()
        assert data.startswith({".png": b"\x89PNG", ".svg": b"<?xml", ".pdf": b"%PDF"}[name[-4:]])
        assert len(data) > 5_000, name  # not blank
    # The album: one page per chart, its Chinese text selectable, in the embedded CJK font.
    reader = PdfReader(folder / "图表汇编.pdf")
    assert len(reader.pages) == len(KINDS)
    text = "".join(page.extract_text() for page in reader.pages)
    for kind in KINDS:
        assert kind_title(kind).split("（")[0] in text, kind
    fonts = {
        str(font["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert fonts and all("CJK" in font for font in fonts), fonts


def test_charts_page_saves_the_current_chart(
    window, demo_project: Path, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QFileDialog

    page = _charts(window, demo_project, role="agency")
    page.kinds.setCurrentRow(KINDS.index("directions"))
    target = tmp_path / "分方向.svg"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(target), ""))
    page.save_chart()
    page.wait()  # written in the background
    assert target.read_bytes().startswith(b"<?xml")

    warned: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: warned.append(args[2]))
    blocked = tmp_path / "一个文件"
    blocked.write_text("x")  # a file where the folder should be: the save fails
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(blocked / "图.png"), ""))
    page.save_chart()
    page.wait()
    assert warned and "一个文件" in warned[-1] and not page.busy()


def test_selecting_a_dossier_without_a_rank(window, demo_project: Path) -> None:  # type: ignore[no-untyped-def]
    """An ineligible dossier has no rank (pd.NA): its summary shows "-", not a crash."""
    page = _charts(window, demo_project, role="committee")
    table = page.data.table
    unranked = table[table["rank"].isna()]
    assert not unranked.empty  # the demo has ineligible dossiers
    row = unranked.iloc[0]
    page.canvas.dossier_clicked.emit(int(row["dossier_id"]))
    assert row["code"] in page.detail_title.text()
    assert page.fields["rank"].text() == "-"
    assert page.fields["tier"].text()
    assert page.open_button.isEnabled()
