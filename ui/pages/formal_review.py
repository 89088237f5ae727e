"""形式审查: each dossier's verdict with its reasons; reviewers decide checks by hand
(with a written reason), ask for supplements with a deadline, take in supplemented
files, and export the table. Every write (the first review of new dossiers included)
and the reading of a supplemented PDF run off the UI thread as the page's operation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import (
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from review_desk import formal_review as fr
from review_desk.changes import Changes
from review_desk.domain import Level
from review_desk.formatting import CHINA_TZ, local_time
from review_desk.i18n import _, tr
from review_desk.progress import Progress
from review_desk.project import Project
from review_desk.server.connection import logged_in

from ui.current_user import current_user
from ui.models.row_table import Column
from ui.pages.base import Page
from ui.pages.materials import RESULT_COLOURS, VERDICT_COLOURS, kind_label
from ui.pages.registry import REVIEWER
from ui.widgets.data_table import DataTable
from ui.widgets.filter_bar import FilterBar


def _review_columns() -> list[Column[fr.ReviewRow]]:
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
            _("Verdict"),
            lambda r: fr.verdict_label(r.verdict),
            foreground=lambda r: VERDICT_COLOURS.get(r.verdict or "", "#1d4f91"),
        ),
        Column(_("Reviewing department"), lambda r: r.department),
        Column(
            _("Supplement by"),
            lambda r: local_time(r.supplement_deadline) if r.supplement_deadline else "",
        ),
        Column(
            _("Reasons"), lambda r: "；".join(r.reasons), tooltip=lambda r: "\n".join(r.reasons)
        ),
    ]


class FormalReviewPage(Page):
    """Verdicts, reasons and the reviewer's actions."""

    key = "formal_review"

    def __init__(self, parent: QWidget | None = None) -> None:
        self._selection_subtitle = _(
            "Completeness against the checklist of 附件3 and the eligibility conditions of "
            "三、揭榜参考条件, with a verdict and reasons for each dossier."
        )
        super().__init__(self._selection_subtitle, parent)
        self._rows: list[fr.ReviewRow] = []
        self._shown_project: Project | None = None
        top = QHBoxLayout()
        self.counts = QLabel("", self)
        self.counts.setObjectName("cardTitle")
        top.addWidget(self.counts, 1)
        self.run_button = QPushButton(_("Run the checks again"), self)
        self.export_button = QPushButton(_("Export the table…"), self)
        top.addWidget(self.run_button)
        top.addWidget(self.export_button)
        self.body.addLayout(top)
        # A formal reviewer's department (logged in to a server as one): what they decide.
        self._department: str | None = None
        self._role = "agency"
        self.department_note = QLabel("", self)
        self.department_note.setObjectName("totals")
        self.department_note.setWordWrap(True)
        self.department_note.hide()
        self.body.addWidget(self.department_note)

        self.table = DataTable(_review_columns(), stretch_column=7, parent=self)
        self.filters = FilterBar(self.table, self)
        self.filters.add(
            "verdict",
            _("Verdict"),
            lambda r: r.verdict or "-",
            lambda v: fr.verdict_label(None if v == "-" else v),
        )
        self.filters.add("department", _("Reviewing department"), lambda r: r.department)
        self.filters.add(
            "direction", _("Direction"), lambda r: r.direction_number, lambda n: f"{n:02d}"
        )
        self.filters.add("kind", _("Kind"), lambda r: r.applicant_kind, kind_label)
        self.filters.finish()
        self.body.addWidget(self.filters)

        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.table)
        detail = QWidget(splitter)
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, 6, 0, 0)
        header = QHBoxLayout()
        self.detail_title = QLabel("-", detail)
        self.detail_title.setObjectName("cardTitle")
        header.addWidget(self.detail_title, 1)
        self.override_button = QPushButton(_("Decide the selected check…"), detail)
        self.supplement_request_button = QPushButton(_("Ask for a supplement…"), detail)
        self.supplement_button = QPushButton(_("Add supplemented file…"), detail)
        for button in (
            self.override_button,
            self.supplement_request_button,
            self.supplement_button,
        ):
            header.addWidget(button)
        detail_layout.addLayout(header)
        self.checks = DataTable(
            [
                Column[fr.Check](_("Check"), lambda c: c.label_text),
                Column[fr.Check](
                    _("Result"),
                    lambda c: c.result.label + (" ✎" if c.overridden else ""),
                    foreground=lambda c: RESULT_COLOURS.get(c.result),
                ),
                Column[fr.Check](
                    _("Reason"), lambda c: c.reason_text, tooltip=lambda c: c.reason_text
                ),
            ],
            searchable=False,
            stretch_column=2,
            parent=detail,
        )
        detail_layout.addWidget(self.checks, 1)
        splitter.addWidget(detail)
        splitter.setSizes([430, 300])
        self.body.addWidget(splitter, 1)

        self.table.row_selected.connect(self.show_review)
        self.checks.view.doubleClicked.connect(lambda _index: self.decide_check())
        self.run_button.clicked.connect(self.run_again)
        self.export_button.clicked.connect(self.export)
        self.override_button.clicked.connect(self.decide_check)
        self.supplement_request_button.clicked.connect(self.ask_supplement)
        self.supplement_button.clicked.connect(self.add_supplement)

    def affected_by(self, changes: Changes) -> bool:
        return changes.dossiers or changes.formal_review

    def operation_ended(self) -> None:
        super().operation_ended()
        self._enable_decisions(self.current())

    def set_role(self, role: str) -> None:
        """The agency runs the checks and takes in supplements; a formal reviewer decides
        checks and asks for supplements, for their own department's dossiers."""
        self._role = role
        agency = role != REVIEWER
        self.run_button.setVisible(agency)
        self.supplement_button.setVisible(agency)

    def may_decide(self, row: fr.ReviewRow | None) -> bool:
        """Whether the person may decide on ``row``'s dossier: a formal reviewer only on
        the kinds of applicant the notice gives their department (the server enforces it
        too)."""
        return row is not None and (self._department in (None, row.department_code))

    def _enable_decisions(self, row: fr.ReviewRow | None) -> None:
        allowed = self.may_decide(row)
        self.override_button.setEnabled(allowed)
        self.supplement_request_button.setEnabled(
            allowed and row is not None and row.verdict == fr.SUPPLEMENT
        )
        self.supplement_button.setEnabled(row is not None)

    def _take_account(self, project: Project) -> None:
        """Read who is logged in (on a server): a reviewer sees their department's
        dossiers first, and a note of what they may decide."""
        who = logged_in(project)
        capacity = who.capacity if who is not None else None
        department = capacity.department if capacity and capacity.kind == "reviewer" else None
        self._department = department
        self.department_note.setVisible(department is not None)
        if department is not None:
            self.department_note.setText(
                tr(
                    "You review for {department}: you may decide only on the kinds of "
                    "applicant the notice gives your department; the other dossiers are "
                    "shown for reference.",
                    department=fr.department_label(department),
                )
            )

    def action_widgets(self) -> tuple[QWidget, ...]:
        return (
            self.run_button,
            self.export_button,
            self.override_button,
            self.supplement_request_button,
            self.supplement_button,
        )

    def load(self) -> None:
        if self.project is None:
            return
        first = self._shown_project is not self.project
        if first:
            self._shown_project = self.project
            if self.subtitle_label is not None:
                # A recognition round checks the construction report, not 附件3.
                recognition = self.project.info().kind == "recognition"
                self.subtitle_label.setText(
                    _(
                        "Completeness of each application for recognition against the "
                        "checklist of the construction report, with a verdict and reasons."
                    )
                    if recognition
                    else self._selection_subtitle
                )
            self._take_account(self.project)
        rows = fr.reviews(self.project)
        self._show_rows(rows)
        if first and self._department is not None:
            box = self.filters.boxes["department"]
            index = box.findData(fr.department_label(self._department))
            if index >= 0:
                box.setCurrentIndex(index)
        if not rows and self._role != REVIEWER and self.project.summary().dossiers:
            # Dossiers never reviewed (taken in by an earlier version, or the review
            # failed then): review them now, in the background.
            self._write(_("Running the formal review…"), fr.run_review, notify=False)

    def _write(
        self,
        title: str,
        write: Callable[[Project], Any],
        dossier_id: int | None = None,
        changes: Changes | None = None,
        *,
        notify: bool = True,
    ) -> None:
        """Run ``write`` in the background, then show the reviews as they are now
        (reselecting ``dossier_id``) and tell the other pages what changed."""
        project = self.project
        if project is None:
            return

        def work(progress: Progress) -> list[fr.ReviewRow]:
            progress(0, 1, title)
            write(project)
            return fr.reviews(project)

        def done(rows: list[fr.ReviewRow]) -> None:
            self._show_rows(rows)
            if dossier_id is not None:
                self.table.select_where(lambda r: r.dossier_id == dossier_id)
            window = self.window()
            if notify and hasattr(window, "statusBar"):
                window.statusBar().showMessage(_("Formal review updated"), 4000)

        self.start_operation(title, work, done, changes=changes or Changes(formal_review=True))

    def _show_rows(self, rows: list[fr.ReviewRow]) -> None:
        selected = self.table.selected_row()
        self._rows = rows
        self.table.set_rows(self._rows)
        self.filters.set_rows(self._rows)
        counts = {
            v: sum(1 for r in self._rows if r.verdict == v)
            for v in (fr.PASSED, fr.SUPPLEMENT, fr.FAILED, None)
        }
        self.counts.setText("    ".join(f"{fr.verdict_label(v)} {n}" for v, n in counts.items()))
        if selected is None or not self.table.select_where(
            lambda r: r.dossier_id == selected.dossier_id
        ):
            self.table.select_first()

    def current(self) -> fr.ReviewRow | None:
        """Return the selected dossier's review."""
        row = self.table.selected_row()
        return row if isinstance(row, fr.ReviewRow) else None

    def show_review(self, row: fr.ReviewRow) -> None:
        """Show the checks of a dossier."""
        self.detail_title.setText(f"{row.code}  {row.applicant} · {fr.verdict_label(row.verdict)}")
        self.checks.set_rows(row.checks)
        self._enable_decisions(row)

    def run_again(self) -> None:
        """Run the automatic checks again (reviewers' decisions are kept); an error,
        e.g. eligibility rules it cannot apply, goes to the message bar."""
        self._write(_("Running the formal review…"), fr.run_review)

    def decide_check(self) -> None:
        """Open the override dialog for the selected check."""
        row, check = self.current(), self.checks.selected_row()
        if self.project is None or row is None:
            return
        if check is None:
            QMessageBox.information(self, _("Decide a check"), _("Select a check first."))
            return
        from ui.dialogs.override_dialog import OverrideDialog

        dialog = OverrideDialog(check, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        result, reason = dialog.decision()
        actor = current_user()
        self._write(
            _("Recording the decision…"),
            lambda project: fr.override(
                project, row.dossier_id, check.id, result, reason, actor=actor
            ),
            row.dossier_id,
        )

    def ask_supplement(self) -> None:
        """Set the deadline for a supplement."""
        row = self.current()
        if self.project is None or row is None:
            return
        dialog = QDialog(self)
        dialog.setWindowTitle(_("Ask for a supplement"))
        layout = QVBoxLayout(dialog)
        layout.addWidget(QLabel(tr("Supplement deadline for {code}:", code=row.code), dialog))
        edit = QDateTimeEdit(QDateTime.currentDateTime().addDays(7), dialog)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        layout.addWidget(edit)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, dialog
        )
        buttons.accepted.connect(dialog.accept)
        buttons.rejected.connect(dialog.reject)
        layout.addWidget(buttons)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        value = edit.dateTime().toPython()
        assert isinstance(value, datetime)
        deadline, actor = value.replace(tzinfo=CHINA_TZ), current_user()
        self._write(
            _("Recording the supplement request…"),
            lambda project: fr.request_supplement(project, row.dossier_id, deadline, actor=actor),
            row.dossier_id,
        )

    def add_supplement(self) -> None:
        """Take in a supplemented PDF as the dossier's new current material."""
        row = self.current()
        if self.project is None or row is None:
            return
        path, _filter = QFileDialog.getOpenFileName(
            self, _("Choose the supplemented PDF"), "", _("PDF files (*.pdf)")
        )
        if not path:
            return
        from review_desk.intake.supplement import add_supplement as add

        actor = current_user()
        # Reading and checking the PDF can take a while: in the background too.
        self._write(
            _("Taking in the supplemented file…"),
            lambda project: add(project, row.code, Path(path), actor=actor),
            row.dossier_id,
            Changes(dossiers=True, formal_review=True),
        )

    def export(self) -> None:
        """Write the formal-review table to an Excel file."""
        path, _filter = QFileDialog.getSaveFileName(
            self,
            _("Export the formal review"),
            _("形式审查结果.xlsx"),
            _("Excel workbook (*.xlsx)"),
        )
        if not path:
            return
        from review_desk.formal_review_export import export_reviews

        rows = list(self._rows)

        def saved(_result: object) -> None:
            window = self.window()
            if hasattr(window, "statusBar"):
                window.statusBar().showMessage(tr("Saved {path}", path=path), 5000)

        self.start_operation(
            _("Export the formal review"),
            lambda _progress: export_reviews(Path(path), rows),
            saved,
        )
