"""The intake dialog: choose a register and a folder of PDFs, import them off the UI
thread with progress and cancel, and read the per-row report (which can be saved as an
Excel file with the offending cells highlighted)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from review_desk.i18n import _, tr
from review_desk.project import Project

from ui.models.row_table import Column
from ui.operations import Operation, run_operation
from ui.widgets.data_table import DataTable


def _path_row(parent: QWidget, placeholder: str) -> tuple[QHBoxLayout, QLineEdit, QPushButton]:
    row = QHBoxLayout()
    edit = QLineEdit(parent)
    edit.setPlaceholderText(placeholder)
    button = QPushButton(_("Browse…"), parent)
    row.addWidget(edit, 1)
    row.addWidget(button)
    return row, edit, button


class IntakeDialog(QDialog):
    """Import a register and its PDFs into the open project."""

    imported = Signal(object)  # the IntakeResult

    def __init__(self, project: Project, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.result: Any = None
        self.operation: Operation | None = None
        self.setWindowTitle(_("Import register and materials"))
        self.resize(980, 620)
        layout = QVBoxLayout(self)
        intro = QLabel(
            _(
                "The register (申报汇总表) is an .xlsx or .csv file, one row per application; "
                "the PDFs are matched by the 材料文件 column or by their file names. Nothing is "
                "imported while any row is refused, unless you choose to import the valid rows."
            ),
            self,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        row, self.register_edit, browse_register = _path_row(self, _("申报汇总表.xlsx"))
        form.addRow(_("Register") + "：", row)
        row, self.files_edit, browse_files = _path_row(self, _("folder with the PDFs"))
        form.addRow(_("Material folder") + "：", row)
        self.valid_only = QCheckBox(_("Import the valid rows even if others are refused"), self)
        form.addRow("", self.valid_only)
        layout.addLayout(form)
        self.summary = QLabel("", self)
        self.summary.setWordWrap(True)
        self.summary.setObjectName("cardTitle")
        layout.addWidget(self.summary)
        self.issues = DataTable(
            [
                Column(_("Row"), lambda i: str(i.row or ""), lambda i: i.row, True),
                Column(_("Column"), lambda i: i.column),
                Column(_("Header"), lambda i: i.header),
                Column(_("Value"), lambda i: i.value),
                Column(
                    _("Problem"),
                    lambda i: i.problem,
                    foreground=lambda i: "#b42318" if i.severity == "error" else "#b54708",
                ),
                Column(_("How to fix"), lambda i: i.fix, tooltip=lambda i: i.fix),
            ],
            stretch_column=5,
            parent=self,
        )
        layout.addWidget(self.issues, 1)
        buttons = QDialogButtonBox(self)
        self.import_button = buttons.addButton(_("Import"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setObjectName("primaryButton")
        self.report_button = buttons.addButton(
            _("Save problem report…"), QDialogButtonBox.ButtonRole.ActionRole
        )
        self.report_button.setEnabled(False)
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        layout.addWidget(buttons)

        browse_register.clicked.connect(self._choose_register)
        browse_files.clicked.connect(self._choose_folder)
        self.import_button.clicked.connect(self.start)
        self.report_button.clicked.connect(self.save_report)
        close.clicked.connect(self.reject)
        self.register_edit.textChanged.connect(self._suggest_folder)

    def _choose_register(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, _("Choose the register"), "", _("Registers (*.xlsx *.csv);;All files (*)")
        )
        if path:
            self.register_edit.setText(path)

    def _choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, _("Choose the folder with the PDFs"))
        if path:
            self.files_edit.setText(path)

    def _suggest_folder(self, text: str) -> None:
        if self.files_edit.text():
            return
        folder = Path(text).parent
        for name in ("申报材料", "材料", "PDF", "pdf"):
            if (folder / name).is_dir():
                self.files_edit.setText(str(folder / name))
                return

    def start(self) -> None:
        """Run the import in the background."""
        register = Path(self.register_edit.text().strip())
        files_text = self.files_edit.text().strip()
        files = Path(files_text) if files_text else None
        if not register.is_file():
            QMessageBox.warning(
                self, self.windowTitle(), tr("Register not found: {path}", path=register)
            )
            return
        if files is not None and not files.is_dir():
            QMessageBox.warning(
                self, self.windowTitle(), tr("Folder not found: {path}", path=files)
            )
            return
        from review_desk.intake.importer import run_intake

        valid_only = self.valid_only.isChecked()
        self.import_button.setEnabled(False)
        self.summary.setText(_("Importing…"))

        def work(progress: Any) -> Any:
            from review_desk.formal_review import run_review

            result = run_intake(
                self.project, register, files, valid_only=valid_only, progress=progress
            )
            if result.imported:
                # The new dossiers' formal review, here rather than on the UI thread;
                # no progress call before it: the intake is stored, so a cancel now
                # must not say that nothing was written.
                run_review(self.project)
            return result

        self.operation = run_operation(
            self, _("Importing the register…"), work, self._done, self._failed
        )
        self.operation.cancelled.connect(self._cancelled)

    def _done(self, result: Any) -> None:
        self.result = result
        self.import_button.setEnabled(True)
        self.issues.set_rows(result.issues)
        self.report_button.setEnabled(bool(result.issues))
        text = result.summary()
        if result.imported:
            self.imported.emit(result)
        if result.late_conflicts:
            # New partners caught assigned experts: their scores there are blocked now.
            from review_desk.conflicts import late_warning

            QMessageBox.warning(
                self,
                _("Conflicts found after assignment"),
                "\n".join(late_warning(c) for c in result.late_conflicts),
            )
        else:
            text = text.replace("--valid-only", _("the option above"))
        self.summary.setText(text)

    def _failed(self, error: BaseException) -> None:
        self.import_button.setEnabled(True)
        self.summary.setText(str(error))
        QMessageBox.critical(self, self.windowTitle(), str(error))

    def _cancelled(self) -> None:
        self.import_button.setEnabled(True)
        self.summary.setText(_("Import cancelled: nothing was written."))

    def save_report(self) -> None:
        """Write the problems, with highlighted cells, to an Excel file."""
        if self.result is None:
            return
        default = Path(self.register_edit.text()).with_name(_("problem report") + ".xlsx")
        path, _filter = QFileDialog.getSaveFileName(
            self, _("Save problem report"), str(default), _("Excel workbook (*.xlsx)")
        )
        if not path:
            return
        from review_desk.intake.report import write_issue_report

        write_issue_report(Path(path), Path(self.register_edit.text()), self.result.issues)
        self.summary.setText(tr("Report saved to {path}", path=path))

    def done(self, code: int) -> None:
        if self.operation is not None:
            self.operation.cancel()
            self.operation.wait()
        super().done(code)
