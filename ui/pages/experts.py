"""专家与分组: the expert roster, the panels and the recusals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QMessageBox,
    QPushButton,
    QTabWidget,
    QWidget,
)

from review_desk import queries
from review_desk.changes import Changes, Outcome
from review_desk.formatting import local_time
from review_desk.i18n import _, tr
from review_desk.progress import Progress
from review_desk.project import Project

from ui.models.row_table import Column
from ui.pages.base import Page
from ui.widgets.data_table import DataTable


def recusal_source_label(source: str) -> str:
    """Return who raised a recusal, for display."""
    return {
        "expert": _("Declared by the expert"),
        "agency": _("Recorded by the agency"),
        "detected": _("Detected automatically"),
    }.get(source, source)


class ExpertsPage(Page):
    """Experts, panels and conflicts of interest."""

    key = "experts"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            _(
                "The expert roster, the panels with their leaders and directions, each expert's "
                "load, and the recusals (回避): import the roster, create panels, assign a panel's "
                "dossiers to its members, and record or detect conflicts of interest."
            ),
            parent,
        )
        actions = QHBoxLayout()
        self.roster_button = QPushButton(_("Import roster…"), self)
        self.panel_button = QPushButton(_("New panel…"), self)
        self.assign_button = QPushButton(_("Assign the selected panel's dossiers"), self)
        self.recusal_button = QPushButton(_("Record a recusal…"), self)
        self.detect_button = QPushButton(_("Detect conflicts of interest"), self)
        for button in (
            self.roster_button,
            self.panel_button,
            self.assign_button,
            self.recusal_button,
            self.detect_button,
        ):
            actions.addWidget(button)
        actions.addStretch(1)
        self.body.addLayout(actions)
        tabs = QTabWidget(self)
        self.experts = DataTable(
            [
                Column(_("Name"), lambda r: r.name),
                Column(_("Organisation"), lambda r: r.organisation),
                Column(_("Field"), lambda r: r.field),
                Column(_("Panel"), lambda r: "、".join(r.panels)),
                Column(_("Assigned"), lambda r: str(r.assigned), lambda r: r.assigned, True),
                Column(_("Submitted"), lambda r: str(r.submitted), lambda r: r.submitted, True),
                Column(_("Recused"), lambda r: str(r.recused), lambda r: r.recused, True),
                Column(_("Phone"), lambda r: r.phone),
                Column(_("Email"), lambda r: r.email),
            ],
            stretch_column=1,
            parent=tabs,
        )
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
        tabs.addTab(self.experts, _("Experts"))
        tabs.addTab(self.panels, _("Panels"))
        tabs.addTab(self.recusals, _("Recusals"))
        self.tabs = tabs
        self.body.addWidget(tabs, 1)
        self.roster_button.clicked.connect(self.import_roster)
        self.panel_button.clicked.connect(self.new_panel)
        self.assign_button.clicked.connect(self.assign_panel)
        self.recusal_button.clicked.connect(self.record_recusal)
        self.detect_button.clicked.connect(self.detect)

    def affected_by(self, changes: Changes) -> bool:
        return changes.experts or changes.dossiers

    def action_widgets(self) -> tuple[QWidget, ...]:
        return (
            self.roster_button,
            self.panel_button,
            self.assign_button,
            self.recusal_button,
            self.detect_button,
        )

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
        """Import experts from an Excel or CSV roster."""
        from pathlib import Path

        from review_desk import panels

        if self.project is None:
            return
        path, _filter = QFileDialog.getOpenFileName(
            self, _("Import roster"), "", _("Registers (*.xlsx *.csv);;All files (*)")
        )
        if not path:
            return

        def imported(result: Any) -> str | None:
            if not result.stored:
                QMessageBox.warning(
                    self,
                    _("Import roster"),
                    "\n".join(
                        tr(
                            "row {row} {column}「{value}」：{problem}",
                            row=i.row,
                            column=i.column,
                            value=i.value,
                            problem=i.problem,
                        )
                        for i in result.issues
                    ),
                )
                return None
            return tr(
                "Roster imported: {added} new, {updated} changed.",
                added=result.added,
                updated=result.updated,
            )

        def work(project: Project) -> Outcome[Any]:
            result = panels.import_roster(project, Path(path))
            return Outcome(result, Changes(experts=bool(result.stored)))  # refused: nothing

        self._write(_("Import roster"), work, imported)

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
        if self.project is None:
            return
        self.experts.set_rows(queries.experts(self.project))
        self.panels.set_rows(queries.panels(self.project))
        self.recusals.set_rows(queries.recusals(self.project))
