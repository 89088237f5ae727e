"""试点培育: the pilot year of the published list. The pilot period (started once, after
publication), the selected bases with their milestones done, overdue and last progress
report, and for the selected base its milestones (建设节点), progress reports (进展报告)
and the agency's notes (备注); a second tab lists what is overdue across all bases. The
page reads in the background and writes through the core (review_desk.pilot,
pilot_status, pilot_import, pilot_proposals); the committee reads only."""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from review_desk import pilot, pilot_import, pilot_proposals
from review_desk.changes import Changes, Outcome
from review_desk.domain import Tier
from review_desk.formatting import local_time
from review_desk.i18n import _, tr
from review_desk.pilot import BaseHistory, MilestoneRow
from review_desk.pilot_status import REPORT_DAYS
from review_desk.progress import Progress
from review_desk.publicity import today

from ui.current_user import current_user
from ui.models.row_table import Column
from ui.pages.base import Page, card, say
from ui.pages.pilot_view import (
    BaseLine,
    PilotRead,
    covers_text,
    milestone_state,
    period_text,
    read_page,
)
from ui.pages.registry import COMMITTEE
from ui.widgets.data_table import DataTable

RED = "#b3261e"
GREEN = "#1b6e3a"


class PilotPage(Page):
    """试点培育."""

    key = "pilot"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            _(
                "The one-year pilot of the bases on the published list: each base's "
                "milestones, progress reports and the agency's notes, and what is overdue."
            ),
            parent,
        )
        self.read: PilotRead | None = None
        self._role = ""
        self.viewer: QDialog | None = None

        top = QHBoxLayout()
        self.state = QLabel("-", self)
        self.state.setObjectName("cardTitle")
        self.state.setWordWrap(True)
        self.start_button = QPushButton(_("Start the pilot…"), self)
        self.start_button.setObjectName("primaryButton")
        top.addWidget(self.state, 1)
        top.addWidget(self.start_button)
        self.body.addLayout(top)
        self.counts = QLabel("", self)
        self.counts.setObjectName("muted")
        self.body.addWidget(self.counts)

        self.tabs = QTabWidget(self)
        self.tabs.addTab(self._bases_tab(), _("Bases"))
        self.tabs.addTab(self._overdue_tab(), _("Overdue list (逾期清单)"))
        self.body.addWidget(self.tabs, 1)

        self.table.row_selected.connect(self._show_base)
        self.late_only.toggled.connect(self._filter)
        self.start_button.clicked.connect(self.start_pilot)
        self.add_button.clicked.connect(self.add_milestone)
        self.propose_button.clicked.connect(self.propose)
        self.import_button.clicked.connect(self.import_sheet)
        self.template_button.clicked.connect(self.save_template)
        self.done_button.clicked.connect(self.mark_done)
        self.report_button.clicked.connect(self.add_report)
        self.view_button.clicked.connect(self.view_report)
        self.note_button.clicked.connect(self.add_note)
        self.milestones.row_selected.connect(lambda _row: self._enable())
        self.late.view.doubleClicked.connect(lambda _index: self._go_to(self.late))
        self.silent.view.doubleClicked.connect(lambda _index: self._go_to(self.silent))
        self.reports.row_selected.connect(lambda _row: self._enable())

    # ------------------------------------------------------------------ layout
    def _bases_tab(self) -> QWidget:
        tab = QWidget(self)
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(0, 8, 0, 0)
        bases_card, bases_layout = card("", tab)
        self.late_only = QCheckBox(_("Only overdue or without a recent report"), bases_card)
        bases_layout.addWidget(self.late_only)
        self.table = DataTable(
            [
                Column(_("Code"), lambda r: r.status.code),
                Column(_("Platform"), lambda r: r.platform, tooltip=lambda r: r.platform),
                Column(_("Lead applicant"), lambda r: r.status.applicant),
                Column(_("Tier on the list"), lambda r: Tier(r.status.tier).label),
                Column(
                    _("Milestones done"),
                    lambda r: f"{r.status.done}/{r.status.total}",
                    lambda r: (r.status.done, r.status.total),
                    True,
                ),
                Column(
                    _("Overdue"),
                    lambda r: str(r.status.overdue),
                    lambda r: r.status.overdue,
                    True,
                    foreground=lambda r: RED if r.status.overdue else None,
                ),
                Column(
                    _("Last report"),
                    lambda r: r.status.last_report.isoformat() if r.status.last_report else "—",
                    lambda r: r.status.last_report or date.min,
                ),
                Column(
                    _("Days since"),
                    lambda r: str(r.days_since),
                    lambda r: r.days_since,
                    True,
                    foreground=lambda r: RED if r.silent else None,
                ),
            ],
            stretch_column=1,
            parent=bases_card,
        )
        bases_layout.addWidget(self.table, 1)

        self.detail_tabs = QTabWidget(tab)
        self.detail_tabs.addTab(self._milestones_tab(), _("Milestones (建设节点)"))
        self.detail_tabs.addTab(self._reports_tab(), _("Progress reports (进展报告)"))
        self.detail_tabs.addTab(self._notes_tab(), _("Notes (备注)"))
        detail = QWidget(tab)
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        self.base_title = QLabel(_("Select a base to see its pilot."), detail)
        self.base_title.setObjectName("cardTitle")
        detail_layout.addWidget(self.base_title)
        detail_layout.addWidget(self.detail_tabs, 1)

        split = QSplitter(Qt.Orientation.Vertical, tab)
        split.addWidget(bases_card)
        split.addWidget(detail)
        split.setSizes([360, 320])
        layout.addWidget(split, 1)
        return tab

    @staticmethod
    def _button_row(layout: QVBoxLayout, buttons: tuple[QPushButton, ...]) -> None:
        row = QHBoxLayout()
        for button in buttons:
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)

    def _milestones_tab(self) -> QWidget:
        tab = QWidget(self)
        layout = QVBoxLayout(tab)
        self.add_button = QPushButton(_("Add a milestone…"), tab)
        self.propose_button = QPushButton(_("Propose from the plan…"), tab)
        self.import_button = QPushButton(_("Import a milestone sheet…"), tab)
        self.template_button = QPushButton(_("Download the sheet template…"), tab)
        self.done_button = QPushButton(_("Mark done…"), tab)
        self._button_row(
            layout,
            (
                self.add_button,
                self.propose_button,
                self.import_button,
                self.template_button,
                self.done_button,
            ),
        )
        self.milestones = DataTable(
            [
                Column(_("Task"), lambda r: r.title, tooltip=lambda r: r.description or r.title),
                Column(_("Due on"), lambda r: r.due_on.isoformat(), lambda r: r.due_on),
                Column(
                    _("Status"),
                    lambda r: milestone_state(r, self._today()),
                    foreground=self._milestone_colour,
                ),
                Column(_("Done on"), lambda r: r.done_on.isoformat() if r.done_on else "—"),
                Column(_("Completion note"), lambda r: r.done_note, tooltip=lambda r: r.done_note),
            ],
            searchable=False,
            stretch_column=0,
            parent=tab,
        )
        layout.addWidget(self.milestones, 1)
        return tab

    def _reports_tab(self) -> QWidget:
        tab = QWidget(self)
        layout = QVBoxLayout(tab)
        self.report_button = QPushButton(_("Upload a progress report…"), tab)
        self.view_button = QPushButton(_("View"), tab)
        self._button_row(layout, (self.report_button, self.view_button))
        self.reports = DataTable(
            [
                Column(
                    _("Submitted on"),
                    lambda r: r.submitted_on.isoformat(),
                    lambda r: r.submitted_on,
                ),
                Column(_("Period covered"), covers_text),
                Column(_("Summary"), lambda r: r.summary, tooltip=lambda r: r.summary),
                Column(_("File"), lambda r: r.name, tooltip=lambda r: r.name),
                Column(
                    _("Milestones"),
                    lambda r: str(len(r.milestones)),
                    lambda r: len(r.milestones),
                    True,
                ),
            ],
            searchable=False,
            stretch_column=2,
            parent=tab,
        )
        layout.addWidget(self.reports, 1)
        return tab

    def _notes_tab(self) -> QWidget:
        tab = QWidget(self)
        layout = QVBoxLayout(tab)
        self.note_button = QPushButton(_("Add a note…"), tab)
        self._button_row(layout, (self.note_button,))
        self.notes = DataTable(
            [
                Column(
                    _("Written at"),
                    lambda n: local_time(n.written_at),
                    lambda n: n.written_at,
                ),
                Column(_("Author"), lambda n: n.author),
                Column(_("Note text"), lambda n: n.text, tooltip=lambda n: n.text),
            ],
            searchable=False,
            stretch_column=2,
            parent=tab,
        )
        layout.addWidget(self.notes, 1)
        return tab

    def _overdue_tab(self) -> QWidget:
        tab = QWidget(self)
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(0, 8, 0, 0)
        late_card, late_layout = card(_("Overdue milestones"), tab)
        self.late = DataTable(
            [
                Column(_("Code"), lambda r: r.code),
                Column(_("Task"), lambda r: r.title, tooltip=lambda r: r.title),
                Column(_("Due on"), lambda r: r.due_on.isoformat(), lambda r: r.due_on),
                Column(
                    _("Days overdue"),
                    lambda r: str(r.days),
                    lambda r: r.days,
                    True,
                    foreground=lambda r: RED,
                ),
            ],
            stretch_column=1,
            parent=late_card,
        )
        late_layout.addWidget(self.late, 1)
        silent_card, silent_layout = card(
            tr("Bases without a progress report for {days} days or more", days=REPORT_DAYS), tab
        )
        self.silent = DataTable(
            [
                Column(_("Code"), lambda r: r.code),
                Column(
                    _("Last report"),
                    lambda r: r.last_report.isoformat() if r.last_report else _("none yet"),
                    lambda r: r.last_report or date.min,
                ),
                Column(
                    _("Days since"),
                    lambda r: str(r.days),
                    lambda r: r.days,
                    True,
                    foreground=lambda r: RED,
                ),
            ],
            stretch_column=1,
            parent=silent_card,
        )
        silent_layout.addWidget(self.silent, 1)
        split = QSplitter(Qt.Orientation.Horizontal, tab)
        split.addWidget(late_card)
        split.addWidget(silent_card)
        split.setSizes([780, 420])
        layout.addWidget(split, 1)
        return tab

    # ------------------------------------------------------------------ roles
    def _write_buttons(self) -> tuple[QPushButton, ...]:
        return (
            self.start_button,
            self.add_button,
            self.propose_button,
            self.import_button,
            self.template_button,
            self.done_button,
            self.report_button,
            self.note_button,
        )

    def action_widgets(self) -> tuple[QWidget, ...]:
        return (*self._write_buttons(), self.view_button)

    def set_role(self, role: str) -> None:
        """The agency keeps the pilot; the committee reads it."""
        self._role = role
        for button in self._write_buttons():
            button.setVisible(role != COMMITTEE)
        self._enable()

    def operation_ended(self) -> None:
        super().operation_ended()
        self._enable()

    def _enable(self) -> None:
        """Enable what the pilot's state allows (the core refuses the rest too)."""
        read = self.read
        started = read is not None and read.status is not None
        self.start_button.setEnabled(
            read is not None and read.status is None and read.published is not None
        )
        self.start_button.setVisible(self._role != COMMITTEE and not started)
        base = self.table.selected_row() if started else None
        for button in (
            self.add_button,
            self.propose_button,
            self.report_button,
            self.note_button,
        ):
            button.setEnabled(base is not None)
        self.import_button.setEnabled(started)
        self.template_button.setEnabled(started)
        milestone = self.milestones.selected_row()
        self.done_button.setEnabled(milestone is not None and milestone.status != "done")
        self.view_button.setEnabled(self.reports.selected_row() is not None)

    # ------------------------------------------------------------------ reading
    def affected_by(self, changes: Changes) -> bool:
        return changes.pilot or changes.publicity or changes.finalised

    def load(self) -> None:
        """Read the pilot in the background."""
        project = self.project
        if project is None:
            return
        started = self.start_operation(
            _("Reading the pilot year…"), lambda _progress: read_page(project), self._show
        )
        if started is None:
            self.stale = True

    def _today(self) -> date:
        return self.read.status.today if self.read and self.read.status else today()

    def _show(self, read: PilotRead) -> None:
        self.read = read
        self.state.setText(period_text(read))
        selected = self.table.selected_row()
        self.table.set_rows(read.bases)
        self._filter()
        if selected is None or not self.table.select_where(
            lambda r: r.status.dossier_id == selected.status.dossier_id
        ):
            self.table.select_first()
        if self.table.selected_row() is None:
            self._show_base(None)
        late = read.overdue
        self.late.set_rows(late.milestones if late else [])
        self.silent.set_rows(late.silent if late else [])
        if read.status is None:
            self.counts.setText("")
        else:
            self.counts.setText(
                tr(
                    "{bases} bases; milestones {done} of {total} done, {late} overdue; "
                    "{silent} bases without a report for {days} days.",
                    bases=len(read.bases),
                    done=sum(b.status.done for b in read.bases),
                    total=sum(b.status.total for b in read.bases),
                    late=len(late.milestones) if late else 0,
                    silent=len(late.silent) if late else 0,
                    days=REPORT_DAYS,
                )
            )
        self._enable()

    def _filter(self) -> None:
        predicate = (lambda r: r.late) if self.late_only.isChecked() else None
        self.table.set_filter("late", predicate)

    def _history(self) -> BaseHistory | None:
        base = self.table.selected_row()
        if base is None or self.read is None:
            return None
        return self.read.histories.get(base.status.dossier_id)

    def _show_base(self, base: BaseLine | None) -> None:
        history = self._history() if base is not None else None
        if history is None:
            self.base_title.setText(_("Select a base to see its pilot."))
            for table in (self.milestones, self.reports, self.notes):
                table.set_rows([])
        else:
            self.base_title.setText(
                f"{history.base.code}　{base.platform if base else ''}　{history.base.applicant}"
            )
            self.milestones.set_rows(history.milestones)
            self.reports.set_rows(history.reports)
            self.notes.set_rows(history.notes)
            self.reports.select_first()
        self._enable()

    def _go_to(self, table: DataTable) -> None:
        """Show the base of the overdue row double-clicked."""
        row = table.selected_row()
        if row is None:
            return
        self.late_only.setChecked(False)
        if self.table.select_where(lambda r: r.status.dossier_id == row.dossier_id):
            self.tabs.setCurrentIndex(0)

    def _milestone_colour(self, row: MilestoneRow) -> str | None:
        if row.status == "done":
            return GREEN
        return RED if row.due_on < self._today() else None

    # ------------------------------------------------------------------ actions
    def _run(self, title: str, work: Any, message: Any) -> None:
        """Run a write in the background; read the page again and say ``message`` (a
        text, or a function of the result)."""

        def done(result: object) -> None:
            self.load()
            say(self, message(result) if callable(message) else message)

        self.start_operation(title, lambda _progress: Outcome(work(), Changes(pilot=True)), done)

    def _base_label(self) -> tuple[int, str] | None:
        base = self.table.selected_row()
        if base is None:
            return None
        return base.status.dossier_id, f"{base.status.code} {base.platform}"

    def start_pilot(self) -> None:
        """Ask for the first day and start the pilot."""
        from ui.dialogs.pilot_dialogs import StartPilotDialog

        project = self.project
        if project is None or self.read is None or self.read.published is None:
            return
        dialog = StartPilotDialog(self.read.published, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        first, actor = dialog.starts_on(), current_user()
        self._run(
            _("Start the pilot"),
            lambda: pilot.start(project, starts_on=first, actor=actor),
            _("The pilot has started."),
        )

    def add_milestone(self) -> None:
        """Add a milestone to the selected base."""
        from ui.dialogs.pilot_dialogs import MilestoneDialog

        project, base = self.project, self._base_label()
        if project is None or base is None:
            return
        dialog = MilestoneDialog(base[1], self._today(), self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        (title, due, description), actor = dialog.values(), current_user()
        item = pilot.NewMilestone(base[0], title, due, description)
        self._run(
            _("Add a milestone"),
            lambda: pilot.add_milestones(project, [item], actor=actor),
            lambda ids: (
                _("The milestone is added.") if ids else _("The base has this milestone already.")
            ),
        )

    def propose(self) -> None:
        """Read the selected base's plan in the background and offer its dated entries
        as milestones; the checked ones are stored."""
        project, base = self.project, self._base_label()
        if project is None or base is None:
            return

        def offer(found: pilot_proposals.PlanProposals) -> None:
            from ui.dialogs.pilot_dialogs import ProposalsDialog

            dialog = ProposalsDialog(base[1], found, self)
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            chosen, actor = dialog.accepted_proposals(), current_user()
            self._run(
                _("Propose from the plan…"),
                lambda: pilot_proposals.accept(project, chosen, actor=actor),
                lambda ids: tr("{count} milestones stored from the plan.", count=len(ids)),
            )

        self.start_operation(
            _("Reading the plan…"),
            lambda _progress: pilot_proposals.from_plan(project, base[0]),
            offer,
        )

    def import_sheet(self) -> None:
        """Import a milestone sheet, all or nothing; its problems are listed."""
        project = self.project
        if project is None:
            return
        path, _filter = QFileDialog.getOpenFileName(
            self, _("Import a milestone sheet…"), "", _("Excel workbooks (*.xlsx)")
        )
        if not path:
            return
        actor = current_user()

        def work(_progress: Progress) -> Outcome[pilot_import.MilestoneImport]:
            result = pilot_import.import_milestones(project, Path(path), actor=actor)
            return Outcome(result, Changes(pilot=result.ok))

        def done(result: pilot_import.MilestoneImport) -> None:
            if not result.ok:
                from ui.dialogs.pilot_dialogs import ImportProblemsDialog

                self.problems = ImportProblemsDialog(result.issues, self)
                self.problems.exec()
                say(self, tr("Nothing imported: {count} problems.", count=len(result.issues)))
                return
            self.load()
            say(
                self,
                tr(
                    "Milestones imported: {stored} new of {rows} rows.",
                    stored=result.stored,
                    rows=result.rows,
                ),
            )

        self.start_operation(_("Import a milestone sheet…"), work, done)

    def save_template(self) -> None:
        """Write the milestone sheet template with the bases' codes."""
        project = self.project
        if project is None:
            return
        path, _filter = QFileDialog.getSaveFileName(
            self,
            _("Download the sheet template…"),
            pilot_import.TITLE + ".xlsx",
            _("Excel workbooks (*.xlsx)"),
        )
        if not path:
            return
        target = Path(path).with_suffix(".xlsx")
        self.start_operation(
            _("Download the sheet template…"),
            lambda _progress: pilot_import.write_template(target, project),
            lambda _none: say(self, tr("Template written to {path}", path=target)),
        )

    def mark_done(self) -> None:
        """Mark the selected milestone done on a day, with a note."""
        from ui.dialogs.pilot_dialogs import DoneDialog

        project, row = self.project, self.milestones.selected_row()
        if project is None or row is None:
            return
        dialog = DoneDialog(row.title, self._today(), self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        (day, note), actor = dialog.values(), current_user()
        self._run(
            _("Mark done…"),
            lambda: pilot.mark_done(project, row.id, done_on=day, note=note, actor=actor),
            _("The milestone is marked done."),
        )

    def add_report(self) -> None:
        """Upload a progress report of the selected base."""
        from ui.dialogs.pilot_dialogs import ReportDialog

        project, base, history = self.project, self._base_label(), self._history()
        if project is None or base is None or history is None or self.read is None:
            return
        status = self.read.status
        assert status is not None
        last = history.reports[-1].covers_to if history.reports else None
        if last is not None:
            last += timedelta(days=1)  # the next report starts where the last ended
        dialog = ReportDialog(
            base[1], history.milestones, self._today(), last or status.starts_on, self
        )
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        values, actor = dialog.values(), current_user()
        self._run(
            _("Upload a progress report…"),
            lambda: pilot.add_report(project, base[0], actor=actor, **values),  # type: ignore[arg-type]
            _("The progress report is stored."),
        )

    def view_report(self) -> None:
        """Copy the selected report out of the file store and show it."""
        project, row = self.project, self.reports.selected_row()
        if project is None or row is None:
            return
        folder = Path(tempfile.mkdtemp(prefix="review-desk-report-"))
        target = folder / Path(row.name).name

        def done(_none: object) -> None:
            from ui.dialogs.record_viewer import RecordViewer

            self.viewer = RecordViewer(target, row.name, row.name, self)
            self.viewer.show()

        self.start_operation(
            _("View"), lambda _progress: project.files.export(row.sha256, target), done
        )

    def add_note(self) -> None:
        """Write a note on the selected base."""
        from ui.dialogs.pilot_dialogs import NoteDialog

        project, base = self.project, self._base_label()
        if project is None or base is None:
            return
        dialog = NoteDialog(base[1], self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        text, actor = dialog.value(), current_user()
        self._run(
            _("Add a note…"),
            lambda: pilot.add_note(project, base[0], text, actor=actor),
            _("The note is added."),
        )
