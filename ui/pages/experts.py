"""专家与分组: the expert pool, the draws, the assignment, the panels, and the recusals
and conflicts of interest."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from review_desk import assignment_view, draw, queries
from review_desk.changes import Changes, Outcome
from review_desk.conflicts import rule_label, status_label
from review_desk.draw import DrawResult
from review_desk.formatting import local_time
from review_desk.i18n import _, tr
from review_desk.pool import PoolExpert
from review_desk.pool import pool as pool_experts
from review_desk.progress import Progress
from review_desk.project import Project
from review_desk.queries import ExpertRow, PanelRow, RecusalRow

from ui.models.row_table import Column
from ui.pages.base import Page
from ui.pages.registry import COMMITTEE
from ui.widgets.data_table import DataTable

MAX_SHOWN = 30  # problems listed in the message; the rest are counted


def recusal_source_label(source: str) -> str:
    """Return who raised a recusal, for display."""
    return {
        "expert": _("Declared by the expert"),
        "agency": _("Recorded by the agency"),
        "detected": _("Detected automatically"),
    }.get(source, source)


def _list(values: list[Any]) -> str:
    return "、".join(str(v) for v in values) or "—"


def _bar(parent: QWidget, *buttons: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    for button in buttons:
        row.addWidget(button)
    row.addStretch(1)
    return row


@dataclass(frozen=True)
class PoolRow:
    """An expert of the pool with their panels and load."""

    expert: PoolExpert
    load: ExpertRow | None


class ExpertsPage(Page):
    """The expert pool, the draws, the assignment, the panels and the conflicts."""

    key = "experts"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            _(
                "The expert pool (专家库), the random draws in front of a supervisor, the "
                "assignment of the dossiers with each expert's load, the panels, and the "
                "recusals and conflicts of interest (回避)."
            ),
            parent,
        )
        self._role = "agency"
        tabs = QTabWidget(self)
        self.tabs = tabs
        # The pool.
        self.roster_button = QPushButton(_("Import the pool…"), self)
        self.template_button = QPushButton(_("Pool template…"), self)
        self.detect_button = QPushButton(_("Detect conflicts of interest"), self)
        self.experts = DataTable(
            [
                Column(_("Name"), lambda r: r.expert.name),
                Column(_("Organisation"), lambda r: r.expert.organisation),
                Column(_("City"), lambda r: r.expert.city),
                Column(_("Title"), lambda r: r.expert.title),
                Column(_("Field"), lambda r: r.expert.field),
                Column(
                    _("Directions"),
                    lambda r: _list(r.expert.directions),
                    tooltip=lambda r: _list(r.expert.directions),
                ),
                Column(
                    _("Majors"),
                    lambda r: _list(r.expert.majors),
                    tooltip=lambda r: _list(r.expert.majors),
                ),
                Column(
                    _("Available for"),
                    lambda r: (
                        _list(r.expert.availability) if r.expert.availability else _("every round")
                    ),
                ),
                Column(_("Panel"), lambda r: "、".join(r.load.panels) if r.load else ""),
                Column(
                    _("Assigned"),
                    lambda r: str(r.load.assigned if r.load else 0),
                    lambda r: r.load.assigned if r.load else 0,
                    True,
                ),
                Column(_("Phone"), lambda r: r.expert.phone),
            ],
            stretch_column=1,
            parent=tabs,
        )
        pool_tab = QWidget(tabs)
        pool_layout = QVBoxLayout(pool_tab)
        pool_layout.addLayout(
            _bar(pool_tab, self.roster_button, self.template_button, self.detect_button)
        )
        pool_layout.addWidget(self.experts, 1)
        # The draws and the assignment.
        from ui.pages.assignment_tab import AssignmentTab
        from ui.pages.draws_tab import DrawsTab

        self.draws = DrawsTab(self)
        self.assignment = AssignmentTab(self)
        # The panels.
        self.panel_button = QPushButton(_("New panel…"), self)
        self.assign_button = QPushButton(_("Assign the selected panel's dossiers"), self)
        self.panels = DataTable(
            [
                Column(_("Panel"), lambda r: r.name),
                Column(_("Leader"), lambda r: r.leader),
                Column(_("Members"), lambda r: "、".join(r.members)),
                Column(_("Dossiers"), lambda r: str(r.dossiers), lambda r: r.dossiers, True),
                Column(
                    _("Directions"),
                    lambda r: "、".join(r.directions),
                    tooltip=lambda r: "、".join(r.directions),
                ),
            ],
            searchable=False,
            stretch_column=4,
            parent=tabs,
        )
        panels_tab = QWidget(tabs)
        panels_layout = QVBoxLayout(panels_tab)
        panels_layout.addLayout(_bar(panels_tab, self.panel_button, self.assign_button))
        panels_layout.addWidget(self.panels, 1)
        # Recusals and conflicts.
        self.recusal_button = QPushButton(_("Record a recusal…"), self)
        self.recusals = DataTable(
            [
                Column(_("Expert"), lambda r: r.expert),
                Column(_("Dossier no."), lambda r: r.dossier_code),
                Column(_("Lead applicant"), lambda r: r.applicant),
                Column(_("Raised by"), lambda r: recusal_source_label(r.source)),
                Column(_("Recorded"), lambda r: local_time(r.declared_at)),
                Column(_("Reason"), lambda r: r.reason, tooltip=lambda r: r.reason),
            ],
            searchable=False,
            stretch_column=5,
            parent=tabs,
        )
        self.conflicts = DataTable(
            [
                Column(_("Expert"), lambda r: r.expert),
                Column(_("Dossier no."), lambda r: r.dossier),
                Column(_("Rule"), lambda r: rule_label(r.rule)),
                Column(
                    _("Status"),
                    lambda r: status_label(r.status),
                    foreground=lambda r: "#b3261e" if r.status == "after" else None,
                ),
                Column(_("Reason"), lambda r: r.reason, tooltip=lambda r: r.reason),
            ],
            stretch_column=4,
            parent=tabs,
        )
        recusals_tab = QWidget(tabs)
        recusals_layout = QVBoxLayout(recusals_tab)
        recusals_layout.addLayout(_bar(recusals_tab, self.recusal_button))
        recusals_layout.addWidget(QLabel(_("Recusals"), recusals_tab))
        recusals_layout.addWidget(self.recusals, 1)
        caught = QLabel(_("Pairs the conflict rules catch"), recusals_tab)
        recusals_layout.addWidget(caught)
        recusals_layout.addWidget(self.conflicts, 1)
        tabs.addTab(pool_tab, _("Expert pool"))
        tabs.addTab(self.draws, _("Draws"))
        tabs.addTab(self.assignment, _("Assignment"))
        tabs.addTab(panels_tab, _("Panels"))
        tabs.addTab(recusals_tab, _("Recusals and conflicts"))
        self.body.addWidget(tabs, 1)
        self.roster_button.clicked.connect(self.import_roster)
        self.template_button.clicked.connect(self.save_template)
        self.panel_button.clicked.connect(self.new_panel)
        self.assign_button.clicked.connect(self.assign_panel)
        self.recusal_button.clicked.connect(self.record_recusal)
        self.detect_button.clicked.connect(self.detect)

    def affected_by(self, changes: Changes) -> bool:
        return changes.experts or changes.dossiers

    def action_widgets(self) -> tuple[QWidget, ...]:
        return (
            self.roster_button,
            self.template_button,
            self.panel_button,
            self.assign_button,
            self.recusal_button,
            self.detect_button,
            *self.draws.buttons(),
            *self.assignment.buttons(),
        )

    def set_role(self, role: str) -> None:
        """The committee sees the draws alone (to open and verify their records); the
        rest is the agency's work."""
        self._role = role
        committee = role == COMMITTEE
        for index in range(self.tabs.count()):
            self.tabs.setTabVisible(index, not committee or self.tabs.widget(index) is self.draws)
        if committee:
            self.tabs.setCurrentWidget(self.draws)
        self.draws.set_committee(committee)

    def _write(
        self,
        title: str,
        write: Callable[[Project], Any],
        message: Callable[[Any], str | None],
    ) -> None:
        """Run ``write`` in the background; then read the page again and say
        ``message(result)`` in the status bar (nothing when it is None). ``write`` may
        return an ``Outcome`` to say what it changed; otherwise it changed the experts."""
        project = self.project
        if project is None:
            return

        def done(result: Any) -> None:
            text = message(result)
            if text is None:
                return
            self.load()
            window = self.window()
            if hasattr(window, "statusBar"):
                window.statusBar().showMessage(text, 6000)

        def work(_progress: Progress) -> Outcome[Any]:
            result = write(project)
            # A write that knows better says what it changed (a refused roster: nothing).
            return result if isinstance(result, Outcome) else Outcome(result, Changes(experts=True))

        self.start_operation(title, work, done)

    def import_roster(self) -> None:
        """Import experts into the pool from an Excel or CSV file: all or nothing, each
        problem located; conflicts the new data reveal on assigned pairs are recorded
        as recusals, and said."""
        from pathlib import Path

        from review_desk import pool
        from review_desk.conflicts import late_warning

        if self.project is None:
            return
        path, _filter = QFileDialog.getOpenFileName(
            self, _("Import the pool…"), "", _("Registers (*.xlsx *.csv);;All files (*)")
        )
        if not path:
            return

        def imported(result: Any) -> str | None:
            if not result.stored:
                lines = [
                    tr(
                        "sheet {sheet} row {row} column {letter} {column}「{value}」: {problem}",
                        sheet=i.sheet,
                        row=i.row,
                        letter=i.letter,
                        column=i.column,
                        value=i.value,
                        problem=i.problem,
                    )
                    for i in result.issues
                ]
                shown = lines[:MAX_SHOWN]
                if len(lines) > MAX_SHOWN:
                    shown.append(tr("… and {count} more.", count=len(lines) - MAX_SHOWN))
                QMessageBox.warning(
                    self,
                    _("Import the pool…"),
                    _("Nothing was imported; correct these and import again:")
                    + "\n\n"
                    + "\n".join(shown),
                )
                return None
            if result.late_conflicts:
                QMessageBox.warning(
                    self,
                    _("Conflicts found after assignment"),
                    "\n".join(late_warning(c) for c in result.late_conflicts),
                )
            return tr(
                "Experts imported: {added} new, {updated} changed, {unchanged} unchanged.",
                added=result.added,
                updated=result.updated,
                unchanged=result.unchanged,
            )

        def work(project: Project) -> Outcome[Any]:
            result = pool.import_pool(project, Path(path))
            return Outcome(result, Changes(experts=bool(result.stored)))  # refused: nothing

        self._write(_("Import the pool…"), work, imported)

    def save_template(self) -> None:
        """Write the pool's import template (an .xlsx with its columns explained)."""
        from pathlib import Path

        from review_desk.intake.roster_template import write_roster

        path, _filter = QFileDialog.getSaveFileName(
            self, _("Pool template…"), _("expert pool") + ".xlsx", _("Excel workbook (*.xlsx)")
        )
        if not path:
            return
        target = Path(path if path.lower().endswith(".xlsx") else path + ".xlsx")
        write_roster(target)
        window = self.window()
        if hasattr(window, "statusBar"):
            window.statusBar().showMessage(tr("Wrote {register}", register=target), 6000)

    def new_panel(self) -> None:
        """Create a panel."""
        from review_desk import panels

        from ui.dialogs.panel_dialogs import PanelDialog, checked

        if self.project is None:
            return
        dialog = PanelDialog(queries.experts(self.project), self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        name, leader = dialog.name.text(), dialog.leader.currentData()
        members, directions = checked(dialog.members), checked(dialog.directions)
        self._write(
            _("New panel…"),
            lambda project: panels.create_panel(project, name, leader, members, directions),
            lambda _result: _("Panel created"),
        )

    def assign_panel(self) -> None:
        """Assign the selected panel's dossiers to its members."""
        from review_desk import panels

        row = self.panels.selected_row()
        if self.project is None:
            return
        if row is None:
            self.tabs.setCurrentWidget(self.panels)
            QMessageBox.information(self, _("Assign"), _("Select a panel first."))
            return
        panel_id = row.id
        self._write(
            _("Assign"),
            lambda project: panels.assign_panel(project, panel_id),
            lambda added: tr("{count} assignments added.", count=added),
        )

    def record_recusal(self) -> None:
        """Record a recusal declared by an expert or the agency."""
        from review_desk import panels

        from ui.dialogs.panel_dialogs import RecusalDialog

        if self.project is None:
            return
        dialog = RecusalDialog(queries.experts(self.project), queries.dossiers(self.project), self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        expert_id, dossier_id = dialog.expert.currentData(), dialog.dossier.currentData()
        reason, source = dialog.reason.toPlainText(), dialog.source.currentData()
        self._write(
            _("Record a recusal…"),
            lambda project: panels.declare_recusal(
                project, expert_id, dossier_id, reason, source=source
            ),
            lambda _result: _("Recusal recorded"),
        )

    def detect(self) -> None:
        """Find conflicts of interest from the experts' organisations."""
        from review_desk import panels

        self._write(
            _("Detect conflicts of interest"),
            panels.detect_conflicts,
            lambda found: tr("{count} new conflicts of interest found.", count=found),
        )

    def load(self) -> None:
        """Read everything the tabs show in the background (at national scale the
        assignments and the conflict rules take seconds), then show it."""
        project = self.project
        if project is None:
            return
        committee = self._role == COMMITTEE
        started = self.start_operation(
            _("Reading the experts…"), lambda _progress: _read(project, committee), self._show
        )
        if started is None:  # another operation runs: read again once it has ended
            self.stale = True

    def _show(self, read: _Read) -> None:
        self.draws.show_draws(read.draws, read.pool)
        if read.overview is None:
            return  # the committee sees the draws alone
        loads = {r.id: r for r in read.loads}
        self.experts.set_rows([PoolRow(e, loads.get(e.id)) for e in read.pool])
        self.panels.set_rows(read.panels)
        self.recusals.set_rows(read.recusals)
        self.conflicts.set_rows(read.overview.conflicts)
        self.assignment.load(read.overview, read.pool)


@dataclass(frozen=True)
class _Read:
    """What the experts page shows, read off the UI thread."""

    pool: list[PoolExpert]
    draws: list[DrawResult]
    loads: list[ExpertRow]
    panels: list[PanelRow]
    recusals: list[RecusalRow]
    overview: assignment_view.AssignmentOverview | None


def _read(project: Project, committee: bool) -> _Read:
    pool, draws = pool_experts(project), draw.draws(project)
    if committee:
        return _Read(pool, draws, [], [], [], None)
    return _Read(
        pool,
        draws,
        queries.experts(project),
        queries.panels(project),
        queries.recusals(project),
        assignment_view.overview(project),
    )
