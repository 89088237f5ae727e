"""The assignment tab of 专家与分组: each dossier with its experts, each expert's load,
the automatic assignment (exact, or with a cap on every pair's probability), a dossier's
explanation (who was chosen and why, who was left out by which rule), and manual
changes recorded with their reason."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from review_desk import assigning
from review_desk.assigning import AssignSettings, Explained, Plan
from review_desk.assignment_view import AssignedExpert, AssignmentOverview, DossierAssignment
from review_desk.changes import Changes, Outcome
from review_desk.i18n import _, tr
from review_desk.pool import PoolExpert
from review_desk.progress import Progress

from ui.models.row_table import Column
from ui.pages.base import say
from ui.widgets.data_table import DataTable

if TYPE_CHECKING:
    from ui.pages.base import Page

WARNING = "#b3261e"


def expert_label(expert: AssignedExpert) -> str:
    """An assigned expert's name, marked when their scores are blocked."""
    if expert.recused:
        return expert.name + _("(recused)")
    if expert.conflict:
        return expert.name + _("(conflict)")
    return expert.name


def _blocked_tip(row: DossierAssignment) -> str:
    return "\n".join(f"{e.name}：{e.conflict or _('recused')}" for e in row.experts if e.blocked)


def _match(row: Explained) -> str:
    if row.cost == 0:
        return _("direction")
    if row.cost == 1:
        return _("majors")
    return "—"


class AssignmentTab(QWidget):
    """The assignments, computed and changed through the page's background operations."""

    def __init__(self, page: Page) -> None:
        super().__init__(page)
        self.page = page
        self.pool: list[PoolExpert] = []
        self.plan: Plan | None = None
        self._stored_plan: Plan | None = None  # stored, to explain once read again
        layout = QVBoxLayout(self)
        actions = QHBoxLayout()
        self.assign_button = QPushButton(_("Assign automatically…"), self)
        self.assign_button.setObjectName("primaryButton")
        self.change_button = QPushButton(_("Change the experts…"), self)
        self.explain_button = QPushButton(_("Explain the selected dossier"), self)
        for button in self.buttons():
            actions.addWidget(button)
        actions.addStretch(1)
        self.summary = QLabel(self)
        self.summary.setObjectName("muted")
        actions.addWidget(self.summary)
        layout.addLayout(actions)
        self.dossiers = DataTable(
            [
                # The applicant in the tooltip: the experts need the width.
                Column(_("Dossier no."), lambda r: r.code, tooltip=lambda r: r.applicant),
                Column(_("Direction"), lambda r: f"{r.direction_number:02d} {r.direction}"),
                Column(_("Experts"), lambda r: str(r.active), lambda r: r.active, True),
                Column(
                    _("Assigned experts"),
                    lambda r: "、".join(expert_label(e) for e in r.experts),
                    tooltip=_blocked_tip,
                    foreground=lambda r: WARNING if any(e.blocked for e in r.experts) else None,
                ),
            ],
            stretch_column=3,
            parent=self,
        )
        self.explained = DataTable(
            [
                Column(_("Expert"), lambda r: r.expert),
                Column(_("Chosen"), lambda r: "✓" if r.chosen else ""),
                Column(_("Match"), _match),
                Column(_("Why"), lambda r: r.reason, tooltip=lambda r: r.reason),
            ],
            searchable=False,
            stretch_column=3,
            parent=self,
        )
        self.explain_title = QLabel(
            _("Select a dossier and press 'Explain' to see why each expert was chosen or not."),
            self,
        )
        self.explain_title.setObjectName("muted")
        self.explain_title.setWordWrap(True)
        self.loads = DataTable(
            [
                Column(_("Expert"), lambda r: r.name, tooltip=lambda r: r.organisation),
                Column(_("Dossiers"), lambda r: str(r.assigned), lambda r: r.assigned, True),
                Column(_("Started"), lambda r: str(r.started), lambda r: r.started, True),
                Column(
                    _("Blocked"),
                    lambda r: str(r.blocked),
                    lambda r: r.blocked,
                    True,
                    foreground=lambda r: WARNING if r.blocked else None,
                ),
            ],
            searchable=False,
            stretch_column=0,
            parent=self,
        )
        right = QSplitter(Qt.Orientation.Vertical, self)
        upper = QWidget(right)
        upper_layout = QVBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.addWidget(self.explain_title)
        upper_layout.addWidget(self.explained, 1)
        right.addWidget(upper)
        right.addWidget(self.loads)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(self.dossiers)
        split.addWidget(right)
        split.setSizes([760, 520])
        layout.addWidget(split, 1)
        self.dossiers.row_selected.connect(self._show_explained)
        self.assign_button.clicked.connect(self.assign)
        self.change_button.clicked.connect(self.change)
        self.explain_button.clicked.connect(self.explain)

    def buttons(self) -> tuple[QPushButton, ...]:
        """The tab's action buttons."""
        return (self.assign_button, self.change_button, self.explain_button)

    def load(self, overview: AssignmentOverview, pool: list[PoolExpert]) -> None:
        """Show the assignments read by the page."""
        self.pool = pool
        # The project may have changed since the plan was made: explain anew, unless this
        # reading follows the plan just stored.
        self.plan, self._stored_plan = self._stored_plan, None
        selected = self.dossiers.selected_row()
        self.dossiers.set_rows(overview.dossiers)
        self.loads.set_rows(sorted(overview.loads, key=lambda r: (-r.assigned, r.id)))
        if selected is not None:
            self.dossiers.select_where(lambda r: r.id == selected.id)
        loads = [r.assigned for r in overview.loads if r.assigned]
        self.summary.setText(
            tr(
                "{pairs} assignments · loads {low}–{high} · {blocked} blocked",
                pairs=sum(len(r.experts) for r in overview.dossiers),
                low=min(loads, default=0),
                high=max(loads, default=0),
                blocked=sum(r.blocked for r in overview.loads),
            )
        )
        self.explained.set_rows([])
        row = self.dossiers.selected_row()
        if row is not None and self.plan is not None:
            self._show_explained(row)

    def _show_explained(self, row: DossierAssignment) -> None:
        if self.plan is None:
            self.explained.set_rows([])
            return
        self.explain_title.setText(
            tr(
                "{code}: candidates of the assignment computed with k = {k}",
                code=row.code,
                k=self.plan.settings.k,
            )
        )
        self.explained.set_rows(assigning.explain(self.plan, row.id))

    # ------------------------------------------------------------------ actions
    def assign(self) -> None:
        """Ask for the settings, compute the assignment, show it, and store it when the
        user agrees."""
        from ui.dialogs.assign_dialogs import AssignDialog

        project = self.page.project
        if project is None:
            return
        last = assigning.last_settings(project) or AssignSettings()
        dialog = AssignDialog(last, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        settings = dialog.settings()

        def computed(made: Plan) -> None:
            loads = [n for n in made.loads().values()]
            pairs = made.pairs()
            answer = QMessageBox.question(
                self,
                _("Assign automatically"),
                tr(
                    "{dossiers} dossiers, {pairs} assignments to {experts} experts; loads "
                    "{low}–{high}; cost {cost:g} ({weak} by majors rather than direction).\n\n"
                    "Store this assignment? The dossiers' present assignments are "
                    "replaced; work already started stays.",
                    dossiers=len(made.dossier_codes),
                    pairs=len(pairs),
                    experts=len(made.experts),
                    low=min(loads, default=0),
                    high=max(loads, default=0),
                    cost=made.result.cost,
                    weak=int(made.result.cost),
                ),
            )
            if answer != QMessageBox.StandardButton.Yes:
                return

            def store(_progress: Progress) -> Outcome[int]:
                return Outcome(assigning.store(project, made), Changes(experts=True))

            def stored(count: int) -> None:
                self._stored_plan = made
                self.page.load()
                say(self, tr("{count} assignments stored and audited.", count=count))

            self.page.start_operation(_("Assign automatically"), store, stored)

        self.page.start_operation(
            _("Assign automatically"), lambda _p: assigning.plan(project, settings), computed
        )

    def explain(self) -> None:
        """Recompute the last assignment (its settings, the project as it is) and show
        the selected dossier's candidates."""
        project = self.page.project
        row = self.dossiers.selected_row()
        if project is None:
            return
        if row is None:
            QMessageBox.information(self, _("Explain"), _("Select a dossier first."))
            return
        settings = assigning.last_settings(project) or AssignSettings()

        def done(made: Plan) -> None:
            self.plan = made
            current = self.dossiers.selected_row()
            if current is not None:
                self._show_explained(current)

        self.page.start_operation(
            _("Explain the selected dossier"),
            lambda _p: assigning.plan(project, settings),
            done,
            on_error=lambda error: self.explain_title.setText(str(error)),
        )

    def change(self) -> None:
        """Change the selected dossier's experts by hand, with a reason."""
        from review_desk.assignment_changes import change_assignment

        from ui.dialogs.assign_dialogs import ChangeDialog

        project = self.page.project
        row = self.dossiers.selected_row()
        if project is None:
            return
        if row is None:
            QMessageBox.information(self, _("Change the experts…"), _("Select a dossier first."))
            return
        dialog = ChangeDialog(row, self.pool, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        remove, add = dialog.remove.currentData(), dialog.add.currentData()
        reason = dialog.reason.toPlainText()

        def work(_progress: Progress) -> Outcome[object]:
            made = change_assignment(
                project, dossier_id=row.id, remove=remove, add=add, reason=reason
            )
            return Outcome(made, Changes(experts=True))

        def done(_made: object) -> None:
            self.page.load()
            say(
                self,
                tr("The experts of {code} are changed; the reason is recorded.", code=row.code),
            )

        self.page.start_operation(_("Change the experts…"), work, done)
