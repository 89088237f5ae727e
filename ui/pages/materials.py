"""申报材料: the dossiers received, filtered and sorted, with the selected dossier's PDF
beside its checklist (each item jumps to its page) and its files and versions."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from review_desk import queries
from review_desk.changes import Changes
from review_desk.domain import ApplicantKind, CheckResult, Level, Verdict
from review_desk.formal_review import Check, verdict_label
from review_desk.formatting import file_size, local_time
from review_desk.i18n import _, tr

from ui.models.row_table import Column
from ui.pages.base import Page
from ui.widgets.data_table import DataTable
from ui.widgets.filter_bar import FilterBar
from ui.widgets.pdf_viewer import PdfViewer

VERDICT_COLOURS: dict[str, str] = {
    Verdict.PASSED: "#067647",
    Verdict.FAILED: "#b42318",
    Verdict.SUPPLEMENT: "#b54708",
}
RESULT_COLOURS = {
    CheckResult.PASS: "#067647",
    CheckResult.FAIL: "#b42318",
    CheckResult.MANUAL: "#b54708",
}


def kind_label(kind: str) -> str:
    """Return an applicant kind as shown ("" for an unknown kind)."""
    try:
        return ApplicantKind(kind).label
    except ValueError:
        return ""


def _dossier_columns() -> list[Column[queries.DossierRow]]:
    return [
        Column(_("Dossier no."), lambda r: r.code),
        Column(_("Lead applicant"), lambda r: r.applicant),
        Column(
            _("Direction"),
            lambda r: f"{r.direction_number:02d} {r.direction}",
            lambda r: r.direction_number,
        ),
        Column(_("Level"), lambda r: Level(r.level).label),
        Column(
            _("Formal review"),
            lambda r: verdict_label(r.verdict) if r.reviewed else _("Not reviewed"),
            foreground=lambda r: VERDICT_COLOURS.get(r.verdict or ""),
        ),
        Column(_("Kind"), lambda r: kind_label(r.applicant_kind)),
        Column(_("City"), lambda r: r.city or "-"),
        Column(_("Pages"), lambda r: str(r.pages), lambda r: r.pages, True),
        Column(
            _("Received"),
            lambda r: local_time(r.received_at) + ("  " + _("late") if r.late else ""),
            lambda r: r.received_at.isoformat() if r.received_at else "",
            foreground=lambda r: "#b42318" if r.late else None,
        ),
    ]


class MaterialsPage(Page):
    """The dossier list with the selected dossier's PDF, checklist and files."""

    key = "materials"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            _(
                "Every application received. Select one to read its material; the checklist "
                "beside it jumps to the page where each item of 附件3 was found."
            ),
            parent,
        )
        self._materials: list[queries.MaterialRow] = []
        self._current: queries.DossierRow | None = None

        actions = QHBoxLayout()
        self.import_button = QPushButton(_("Import register and materials…"), self)
        self.import_button.setObjectName("primaryButton")
        self.template_button = QPushButton(_("Save register template…"), self)
        self.history_button = QPushButton(_("Whole history…"), self)
        self.history_button.setToolTip(
            _(
                "a dossier's whole history: scores, list versions, objections, pilot year, "
                "recognition"
            )
        )
        actions.addWidget(self.import_button)
        actions.addWidget(self.template_button)
        actions.addWidget(self.history_button)
        self.body.addLayout(actions)

        self.table = DataTable(_dossier_columns(), stretch_column=1, parent=self)
        self.filters = FilterBar(self.table, self)
        self.filters.add(
            "direction", _("Direction"), lambda r: r.direction_number, lambda n: f"{n:02d}"
        )
        self.filters.add("kind", _("Kind"), lambda r: r.applicant_kind, kind_label)
        self.filters.add("city", _("City"), lambda r: r.city or "-")
        self.filters.add("level", _("Level"), lambda r: r.level, lambda v: Level(v).label)
        self.filters.add(
            "status",
            _("Status"),
            lambda r: r.verdict if r.reviewed else "-",
            lambda v: _("Not reviewed") if v == "-" else verdict_label(v),
        )
        self.filters.finish()
        actions.insertWidget(0, self.filters, 1)
        self.table.row_selected.connect(self.show_dossier)

        # Left: the list above the selected dossier's details; right: its PDF.
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        left = QSplitter(Qt.Orientation.Vertical, splitter)
        left.addWidget(self.table)
        detail = QWidget(left)
        side_layout = QVBoxLayout(detail)
        side_layout.setContentsMargins(0, 6, 0, 0)
        self.detail_title = QLabel("-", detail)
        self.detail_title.setObjectName("cardTitle")
        self.detail_title.setWordWrap(True)
        side_layout.addWidget(self.detail_title)
        self.tabs = QTabWidget(detail)
        info = QWidget(self.tabs)
        self.form = QFormLayout(info)
        self.detail: dict[str, QLabel] = {}
        for key, caption in (
            ("applicant", _("Lead applicant")),
            ("partners", _("Partners")),
            ("level", _("Level")),
            ("received", _("Received")),
        ):
            value = QLabel("-", info)
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.detail[key] = value
            self.form.addRow(caption + "：", value)
        self.checklist = DataTable(
            [
                Column[Check](_("Item"), lambda c: c.label_text, tooltip=lambda c: c.reason_text),
                Column[Check](
                    _("Result"),
                    lambda c: c.result.label,
                    foreground=lambda c: RESULT_COLOURS.get(c.result),
                ),
                Column[Check](_("Page"), lambda c: str(c.page or ""), align_right=True),
                Column[Check](_("Note"), lambda c: c.reason_text, tooltip=lambda c: c.reason_text),
            ],
            searchable=False,
            stretch_column=3,
            parent=self.tabs,
        )
        self.checklist.view.setToolTip(_("Click an item to go to its page"))
        self.checklist.row_selected.connect(self.jump_to_item)
        self.files = DataTable(
            [
                Column(_("File"), lambda r: r.filename, tooltip=lambda r: r.problem or r.sha256),
                Column(_("Version"), lambda r: f"v{r.version}" + ("" if r.is_current else " ×")),
                Column(_("Pages"), lambda r: str(r.page_count or "-"), align_right=True),
                Column(_("Size"), lambda r: file_size(r.size), lambda r: r.size, True),
                Column(_("Received"), lambda r: local_time(r.received_at)),
            ],
            searchable=False,
            stretch_column=0,
            parent=self.tabs,
        )
        self.files.row_selected.connect(self.show_material)
        self.tabs.addTab(self.checklist, _("Checklist"))
        self.tabs.addTab(info, _("Applicant"))
        self.tabs.addTab(self.files, _("Files"))
        side_layout.addWidget(self.tabs, 1)
        left.addWidget(detail)
        left.setSizes([430, 330])
        self.viewer = PdfViewer(splitter)
        self._shown_sha: str | None = None  # the file in the viewer, not loaded again
        splitter.addWidget(left)
        splitter.addWidget(self.viewer)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([640, 560])
        self.body.addWidget(splitter, 1)

        self.import_button.clicked.connect(self.open_intake)
        self.template_button.clicked.connect(self.save_template)
        self.history_button.clicked.connect(self.show_history)

    def set_role(self, role: str) -> None:
        self.import_button.setVisible(role == "agency")
        self.template_button.setVisible(role == "agency")
        # The history names the objectors and every expert: not for the experts.
        self.history_button.setVisible(role in ("agency", "committee"))

    def action_widgets(self) -> tuple[QWidget, ...]:
        return (self.history_button,)

    def show_history(self) -> None:
        """Read the selected dossier's whole history in the background and show it."""
        from review_desk.dossier_history import DossierHistory, dossier_history

        project, row = self.project, self.table.selected_row()
        if project is None:
            return
        if row is None:
            QMessageBox.information(self, _("Whole history…"), _("Select a dossier first."))
            return

        def done(history: DossierHistory) -> None:
            from ui.dialogs.history_dialog import HistoryDialog

            self.history_dialog = HistoryDialog(history, self)
            self.history_dialog.show()

        self.start_operation(
            _("Reading the history…"), lambda _progress: dossier_history(project, row.code), done
        )

    def affected_by(self, changes: Changes) -> bool:
        return changes.dossiers or changes.formal_review

    def load(self) -> None:
        if self.project is None:
            return
        rows = queries.dossiers(self.project)
        self.table.set_rows(rows)
        self.filters.set_rows(rows)
        if self._current is None or not self.table.select_where(lambda r: r.id == self._current.id):
            self.table.select_first()

    def select_dossier(self, dossier_id: int) -> bool:
        """Select the dossier with ``dossier_id`` (clearing the filters if they hide it)."""
        if self.table.select_where(lambda r: r.id == dossier_id):
            return True
        self.filters.clear()
        return self.table.select_where(lambda r: r.id == dossier_id)

    def show_dossier(self, row: queries.DossierRow) -> None:
        """Show the dossier's details, checklist and first current file."""
        if self.project is None:
            return
        from review_desk import formal_review

        self._current = row
        self.detail_title.setText(f"{row.code}  {row.platform_name}")
        self.detail["applicant"].setText(
            f"{row.applicant}（{kind_label(row.applicant_kind) or '-'}，{row.city or '-'}）"
        )
        self.detail["partners"].setText("、".join(row.partners) or _("none"))
        self.detail["level"].setText(
            f"{Level(row.level).label} · {row.direction_number:02d} {row.direction}"
        )
        received = local_time(row.received_at)
        if row.late:
            received += "  " + _("(after the deadline)")
        self.detail["received"].setText(received)
        self._materials = queries.materials(self.project, row.id)
        self.files.set_rows(self._materials)
        review = next(
            (r for r in formal_review.reviews(self.project) if r.dossier_id == row.id), None
        )
        items = [c for c in (review.checks if review else ()) if c.id.startswith("item:")]
        self.checklist.set_rows(items)
        current = [x for x in self._materials if x.is_current]
        if current:
            self.show_material(current[0])
        else:
            self.viewer.clear(_("No material file was received."))
            self._shown_sha = None

    def show_material(self, material: queries.MaterialRow) -> None:
        """Open one stored file in the viewer."""
        if self.project is None:
            return
        path = self.project.files.path_for(material.sha256)
        if self._shown_sha == material.sha256:
            return
        self._shown_sha = material.sha256 if self.viewer.load(path, material.filename) else None

    def jump_to_item(self, check: Check) -> None:
        """Go to the page where a checklist item was found."""
        material_id, page = check.material_id, check.page
        material = next((x for x in self._materials if x.id == material_id), None)
        if material is not None:
            self.show_material(material)
        if page:
            self.viewer.go_to_page(int(page) - 1)
            self.viewer.search(check.label_text.split(" ", 1)[-1], prefer_page=int(page) - 1)

    def open_intake(self) -> None:
        """Open the intake dialog; reload when something was imported."""
        if self.project is None:
            return
        from ui.dialogs.intake_dialog import IntakeDialog

        dialog = IntakeDialog(self.project, self)
        dialog.imported.connect(lambda _result: self._after_import())
        dialog.exec()

    def _after_import(self) -> None:
        """The dialog imported dossiers and ran their formal review off the UI thread:
        show them, and tell the other pages."""
        if self.project is None:
            return
        self.load()
        self.changed.emit(Changes(dossiers=True, formal_review=True))

    def save_template(self) -> None:
        """Save the register template where the user chooses."""
        path, _filter = QFileDialog.getSaveFileName(
            self, _("Save register template"), _("申报汇总表.xlsx"), _("Excel workbook (*.xlsx)")
        )
        if path:
            from review_desk.intake.register_template import write_register

            write_register(Path(path))
            window = self.window()
            if hasattr(window, "statusBar"):
                window.statusBar().showMessage(tr("Saved {path}", path=path), 5000)
