"""The rubric editor: live validation and totals, and a changed rubric in use becoming a
new version."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QDoubleSpinBox, QLineEdit, QMessageBox

from review_desk.changes import Changes
from review_desk.project import Project
from review_desk.rubrics import active_rubric


def _field(editor, caption: str):  # type: ignore[no-untyped-def]
    for row in range(editor.form.rowCount()):
        label = editor.form.itemAt(row, editor.form.ItemRole.LabelRole)
        if label is not None and label.widget().text().startswith(caption):
            return editor.form.itemAt(row, editor.form.ItemRole.FieldRole).widget()
    raise AssertionError(caption)


def test_editing_validates_live_and_makes_a_new_version(
    window, demo_project: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: None)
    assert window.open_project(str(demo_project))
    window.show_page("scoring")
    editor = window.pages["scoring"].rubric_editor
    assert editor.activate_button.isEnabled()
    assert editor._path[0] == "criterion"  # the first criterion is shown
    assert editor.bands_model.rowCount() == 4
    maximum = _field(editor, "满分")
    assert isinstance(maximum, QDoubleSpinBox)
    maximum.setValue(10.25)  # not a multiple of the step, and the bands no longer end at it
    assert not editor.activate_button.isEnabled()
    texts = [editor.problems.item(i).text() for i in range(editor.problems.count())]
    assert any("group[0].criterion[0].max" in t and "步长" in t for t in texts)
    maximum.setValue(12)
    editor.bands_model.item(0, 2).setText("12")  # 优 now ends at the new max
    assert editor.activate_button.isEnabled(), [
        editor.problems.item(i).text() for i in range(editor.problems.count())
    ]
    assert "基础资料评审 70" in editor.totals.text()  # materials now 68 + 2
    # The demo's sheets use the rubric, so a change needs a new version number.
    editor.tree.setCurrentItem(editor.tree.topLevelItem(0))
    version = _field(editor, "版本")
    assert isinstance(version, QLineEdit)
    version.setText("2022.2")
    version.textEdited.emit("2022.2")
    with Project(demo_project) as project:
        before = active_rubric(project).content_hash
    changed: list[object] = []
    window.operation_did_execute.connect(lambda changes, _source: changed.append(changes))
    editor.activate()
    window.pages["scoring"].wait()  # the rubric is written off the UI thread
    assert changed == [Changes(rubric=True)]  # the ranking and charts hear of it
    with Project(demo_project) as project:
        after = active_rubric(project)
    assert after.content_hash != before and after.version == "2022.2"
    assert after.criterion("A1").max == 12


def test_importing_a_hostile_rubric_file_says_where_it_fails(
    window, demo_project: Path, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QFileDialog

    from review_desk.rubrics import default_rubric_text

    assert window.open_project(str(demo_project))
    window.show_page("scoring")
    editor = window.pages["scoring"].rubric_editor
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text: warnings.append(text))
    nested = tmp_path / "nested.toml"
    nested.write_text("[rubric]\ndeep = " + "[" * 1000 + "]" * 1000 + "\n", encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(nested), ""))
    editor.import_file()  # the TOML parser would recurse 1,000 deep
    assert len(warnings) == 1 and "nested.toml" in warnings[0] and "第 2 行" in warnings[0]
    bom = tmp_path / "bom.toml"
    bom.write_text(default_rubric_text().replace("2022.1", "2022.9"), encoding="utf-8-sig")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(bom), ""))
    editor.import_file()  # a byte order mark, as Notepad writes it, is accepted
    assert len(warnings) == 1
    assert editor.source["rubric"]["version"] == "2022.9"
