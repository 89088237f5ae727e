"""Excel score workbooks in the application (agency): write an expert's workbook, and
take returned workbooks back, submitting the complete rows when the experts have
finished. The work runs in the background; the report says, file by file, what was
stored, what was submitted, which rows stay drafts and why, and which cells were
refused."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from review_desk.changes import Changes, Outcome
from review_desk.i18n import _, tr
from review_desk.progress import Cancelled, Progress

from ui.models.row_table import Column
from ui.widgets.data_table import DataTable


def export_score_workbook(window: Any) -> None:
    """Agency: write one expert's Excel score workbook (for an expert without the app)."""
    from review_desk import queries
    from review_desk.score_sheets_excel import export_sheets

    project = window.project
    if project is None:
        return
    dialog = QDialog(window)
    dialog.setWindowTitle(_("Export an Excel score workbook"))
    form = QFormLayout(dialog)
    expert = QComboBox(dialog)
    for row in queries.experts(project):
        expert.addItem(f"{row.name}（{row.organisation}）", row.id)
    form.addRow(_("Expert") + "：", expert)
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, dialog
    )
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    form.addRow(buttons)
    if dialog.exec() != QDialog.DialogCode.Accepted or expert.currentData() is None:
        return
    name = expert.currentText().split("（")[0]
    target, _filter = QFileDialog.getSaveFileName(
        window,
        _("Export an Excel score workbook"),
        tr("评分表_{name}.xlsx", name=name),
        _("Excel workbooks (*.xlsx)"),
    )
    if not target:
        return
    expert_id = int(expert.currentData())
    window.run_operation(
        _("Writing the score workbook…"),
        lambda _progress: export_sheets(project, expert_id, Path(target)),
        lambda count: window.statusBar().showMessage(
            tr("Wrote {path} with {count} dossiers.", path=target, count=count), 8000
        ),
        lambda e: QMessageBox.critical(window, _("Export an Excel score workbook"), str(e)),
    )


@dataclass(frozen=True)
class WorkbookRow:
    """One line of the import report."""

    file: str
    outcome: str
    ok: bool
    detail: str


def import_score_workbooks(window: Any) -> None:
    """Agency: import returned Excel score workbooks, submitting the complete rows when
    the experts have finished (the choice of ``sheets import --submit``)."""
    from review_desk.score_sheets_excel import SheetsError, import_sheets
    from review_desk.scoring import ScoringError

    project = window.project
    if project is None:
        return
    files, _filter = QFileDialog.getOpenFileNames(
        window, _("Import Excel score workbooks"), "", _("Excel workbooks (*.xlsx)")
    )
    if not files:
        return
    dialog = QDialog(window)
    dialog.setWindowTitle(_("Import Excel score workbooks"))
    layout = QVBoxLayout(dialog)
    layout.addWidget(QLabel(tr("{count} workbooks chosen.", count=len(files)), dialog))
    submit = QCheckBox(
        _("The experts have finished: submit every complete row (the others stay drafts)"),
        dialog,
    )
    submit.setChecked(True)
    layout.addWidget(submit)
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, dialog
    )
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    layout.addWidget(buttons)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return
    chosen = submit.isChecked()

    def work(progress: Progress) -> Outcome[list[WorkbookRow]]:
        rows: list[WorkbookRow] = []
        for number, file in enumerate(files, start=1):
            path = Path(file)
            try:
                progress(number - 1, len(files), path.name)
            except Cancelled:
                if not rows:
                    raise
                break  # each workbook is imported on its own: report those done
            try:
                result = import_sheets(project, path, submit=chosen)
            except (SheetsError, ScoringError) as error:
                rows.append(WorkbookRow(path.name, _("refused"), False, str(error)))
                continue
            rows.append(_report_row(path.name, result, chosen))
        return Outcome(rows, Changes(scores=any(r.ok for r in rows)))

    window.run_operation(
        _("Importing score workbooks…"),
        work,
        lambda rows: WorkbookReport(rows, window).exec(),
        lambda e: QMessageBox.critical(window, _("Import Excel score workbooks"), str(e)),
    )


def _report_row(name: str, result: Any, submitted: bool) -> WorkbookRow:
    if not result.stored:
        cells = "；".join(f"{i.cell}「{i.value}」：{i.problem}" for i in result.issues)
        return WorkbookRow(name, _("nothing stored"), False, cells)
    parts = [tr("{sheets} sheets, {values} scores", sheets=result.sheets, values=result.values)]
    if submitted:
        parts.append(tr("{count} submitted", count=result.submitted))
        parts += [
            tr("{code} stays a draft: {reasons}", code=d.code, reasons="；".join(d.reasons))
            for d in result.drafts
        ]
    return WorkbookRow(name, _("stored"), True, "；".join(parts))


class WorkbookReport(QDialog):
    """What became of each imported score workbook."""

    def __init__(self, rows: list[WorkbookRow], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows = rows
        self.setWindowTitle(_("Imported score workbooks"))
        self.resize(900, 380)
        table = DataTable(
            [
                Column(_("File"), lambda r: r.file),
                Column(
                    _("Outcome"),
                    lambda r: r.outcome,
                    foreground=lambda r: "#067647" if r.ok else "#b42318",
                ),
                Column(_("Details"), lambda r: r.detail, tooltip=lambda r: r.detail),
            ],
            searchable=False,
            stretch_column=2,
            parent=self,
        )
        table.set_rows(rows)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(_("Every import is in the audit log, with the workbook's SHA-256."), self)
        )
        layout.addWidget(table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
