"""评分: the expert's scoring desk — my assignments with their status, and for the
selected dossier its PDF beside the score form — plus, for the agency, the progress of
every sheet and the reopening of submitted ones."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QInputDialog,
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
from review_desk.domain import SheetStatus
from review_desk.formatting import local_time, points
from review_desk.i18n import _, tr
from review_desk.server.connection import logged_in
from review_desk.sheet_changes import COMMENT, OPINION, VETO, SheetChange

from ui.current_user import current_user
from ui.models.row_table import Column
from ui.pages.base import Page
from ui.settings import Settings
from ui.widgets.data_table import DataTable
from ui.widgets.pdf_viewer import PdfViewer
from ui.widgets.score_form import ScoreForm

STATUS_COLOURS = {
    SheetStatus.SUBMITTED: "#067647",
    SheetStatus.DRAFT: "#b54708",
    SheetStatus.NOT_STARTED: "#667085",
}


def _describe(change: SheetChange) -> str:
    """Name the field a change is of, as the user knows it."""
    if change.field == OPINION:
        return _("Review opinion")
    if change.field == COMMENT:
        return tr("Comment on {id}", id=change.key)
    if change.field == VETO:
        return tr("Veto reason {id}", id=change.key)
    return change.key


class ScoringPage(Page):
    """The scoring desk and the progress of all sheets."""

    key = "scoring"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            _(
                "Score your assigned dossiers with the material beside the form. Scores are "
                "saved as entered, text when you pause; Enter moves to the next criterion; "
                "Ctrl+Z undoes."
            ),
            parent,
        )
        self.tabs = QTabWidget(self)
        self.body.addWidget(self.tabs, 1)

        desk = QWidget(self.tabs)
        desk_layout = QVBoxLayout(desk)
        desk_layout.setContentsMargins(0, 8, 0, 0)
        top = QHBoxLayout()
        self.expert_box = QComboBox(desk)
        caption = QLabel(_("Expert") + "：", desk)
        caption.setBuddy(self.expert_box)
        top.addWidget(caption)
        top.addWidget(self.expert_box)
        self.load_label = QLabel("", desk)
        self.load_label.setObjectName("muted")
        top.addWidget(self.load_label, 1)
        desk_layout.addLayout(top)
        splitter = QSplitter(Qt.Orientation.Horizontal, desk)
        self.assignments = DataTable(
            [
                Column(_("Dossier no."), lambda r: r.dossier_code),
                Column(
                    _("Status"),
                    lambda r: r.status.label,
                    foreground=lambda r: STATUS_COLOURS.get(r.status),
                ),
                Column(_("Lead applicant"), lambda r: r.applicant),
            ],
            stretch_column=2,  # last, and elided: code and status always show
            parent=splitter,
        )
        view = self.assignments.view
        # Tab leaves the list (to the PDF and the form) instead of walking its cells.
        view.setTabKeyNavigation(False)
        view.setTextElideMode(Qt.TextElideMode.ElideRight)
        # A narrow applicant column shows the start of its heading, not its middle.
        view.horizontalHeader().setDefaultAlignment(
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        )
        view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.viewer = PdfViewer(splitter)
        self.viewer.thumbnails_button.setChecked(False)
        self.form = ScoreForm(splitter)
        splitter.addWidget(self.assignments)
        splitter.addWidget(self.viewer)
        splitter.addWidget(self.form)
        splitter.setCollapsible(0, False)
        splitter.setCollapsible(2, False)
        splitter.setStretchFactor(1, 3)
        splitter.setStretchFactor(2, 2)
        splitter.setSizes([260, 480, 520])
        self.splitter = splitter
        desk_layout.addWidget(splitter, 1)
        self.tabs.addTab(desk, _("Scoring desk"))

        progress = QWidget(self.tabs)
        progress_layout = QVBoxLayout(progress)
        progress_layout.setContentsMargins(0, 8, 0, 0)
        actions = QHBoxLayout()
        actions.addStretch(1)
        self.reopen_button = QPushButton(_("Reopen the selected sheet…"), progress)
        actions.addWidget(self.reopen_button)
        progress_layout.addLayout(actions)
        self.table = DataTable(
            [
                Column(_("Expert"), lambda r: r.expert),
                Column(_("Dossier no."), lambda r: r.dossier_code),
                Column(_("Direction"), lambda r: r.direction),
                Column(
                    _("Status"),
                    lambda r: r.status.label,
                    foreground=lambda r: STATUS_COLOURS.get(r.status),
                ),
                Column(
                    _("Criteria scored"),
                    lambda r: f"{r.filled}/{r.criteria}",
                    lambda r: r.filled,
                    True,
                ),
                Column(_("Points so far"), lambda r: points(r.total), lambda r: r.total or 0, True),
                Column(_("Last change"), lambda r: local_time(r.updated_at)),
                Column(_("Platform"), lambda r: r.platform_name),
            ],
            stretch_column=7,
            parent=progress,
        )
        progress_layout.addWidget(self.table, 1)
        self.tabs.addTab(progress, _("Progress of all sheets"))
        from ui.widgets.rubric_editor import RubricEditor

        self.rubric_editor = RubricEditor(self.tabs)
        self.rubric_editor.use_requested.connect(self._use_rubric)
        self.tabs.addTab(self.rubric_editor, _("Guideline rubric (指导标准)"))

        self.expert_box.currentIndexChanged.connect(self._expert_chosen)
        self.assignments.row_selected.connect(self.open_assignment)
        # Moving through the list shows each dossier and keeps the keyboard in the list;
        # Enter (or a double click) on a row goes to the form to score it.
        view.activated.connect(self._enter_form)
        self.form.saved.connect(self._update_status)
        self.form.submitted.connect(self._after_submit)
        self.reopen_button.clicked.connect(self.reopen)
        self._role = "agency"
        self._shown_project: object = None
        self._account_expert: int | None = None

    def set_role(self, role: str) -> None:
        self._role = role
        self.tabs.setTabVisible(1, role == "agency")
        self.tabs.setTabVisible(2, role == "agency")
        # An expert has the desk alone: no tab bar with a single tab, more room to score.
        self.tabs.tabBar().setVisible(role == "agency")

    def affected_by(self, changes: Changes) -> bool:
        return changes.scores or changes.experts or changes.rubric or changes.dossiers

    def load(self) -> None:
        if self.project is None:
            return
        current = self.expert_box.currentData()
        if self._shown_project is not self.project:  # another project: its own expert
            self._shown_project = self.project
            current = self._settings().desk_expert(self.project.url)
            who = logged_in(self.project)
            self._account_expert = who.capacity.expert_id if who and who.capacity else None
        # An expert logged in to a server scores as themselves only.
        own = self._account_expert
        self.expert_box.blockSignals(True)
        self.expert_box.clear()
        for expert in queries.experts(self.project):
            if own is None or expert.id == own:
                self.expert_box.addItem(f"{expert.name}（{expert.organisation}）", expert.id)
        self.expert_box.setEnabled(own is None)
        index = self.expert_box.findData(current)
        self.expert_box.setCurrentIndex(max(index, 0))
        self.expert_box.blockSignals(False)
        self._load_assignments()
        self.table.set_rows(queries.score_sheets(self.project))
        self.rubric_editor.set_project(self.project)

    def _settings(self) -> Settings:
        """The window's settings (a page shown on its own uses the application's)."""
        settings = getattr(self.window(), "settings", None)
        return settings if isinstance(settings, Settings) else Settings()

    def expert_id(self) -> int | None:
        """Return the expert whose desk is shown."""
        value = self.expert_box.currentData()
        return int(value) if value is not None else None

    def _expert_chosen(self, _index: int) -> None:
        expert_id = self.expert_id()
        if self.project is not None and expert_id is not None:
            self._settings().set_desk_expert(self.project.url, expert_id)
        self._load_assignments()

    def _load_assignments(self) -> None:
        expert_id = self.expert_id()
        if self.project is None or expert_id is None:
            return
        rows = queries.expert_assignments(self.project, expert_id)
        self.assignments.set_rows(rows)
        self._fit_list()
        done = sum(1 for r in rows if r.status == SheetStatus.SUBMITTED)
        self.load_label.setText(tr("{done} of {count} submitted", done=done, count=len(rows)))
        self.assignments.select_first()

    def _fit_list(self) -> None:
        """Keep the dossier number and the status in view at any window size: the list
        is never narrower than those two columns and a glimpse of the applicant."""
        view = self.assignments.view
        header = view.horizontalHeader()
        needed = header.sectionSize(0) + header.sectionSize(1)
        needed += view.verticalScrollBar().sizeHint().width() + 2 * view.frameWidth()
        needed += view.fontMetrics().horizontalAdvance("申报主体…")
        self.assignments.setMinimumWidth(needed)

    def wait(self) -> None:
        """Save what the form still holds (before the project closes or the window
        goes); say what could not be saved, so that it can be copied."""
        super().wait()
        self.form.wait()
        failed = self.form.failed_saves()
        if failed:
            lines = "\n\n".join(f"{_describe(c)}：{c.new}" for c, _error in failed)
            QMessageBox.warning(
                self,
                _("Not saved"),
                tr(
                    "These entries could not be saved ({error}). Copy them before the "
                    "project closes:\n\n{entries}",
                    error=failed[-1][1],
                    entries=lines,
                ),
            )
            self.form.discard_unsaved()

    def open_assignment(self, row: queries.AssignmentRow) -> None:
        """Show the dossier's PDF and the expert's sheet."""
        if self.project is None:
            return
        expert_id = self.expert_id()
        assert expert_id is not None
        material = next(
            (x for x in queries.materials(self.project, row.dossier_id) if x.is_current), None
        )
        if material is not None:
            self.viewer.load(self.project.files.path_for(material.sha256), material.filename)
        else:
            self.viewer.clear(_("No material file was received."))
        # Who acts is who is at the desk: the expert, or an agency operator entering an
        # expert's paper sheet (recorded as the operator, on the expert's behalf).
        actor = f"expert:{expert_id}" if self._role == "expert" else current_user()
        self.form.load(self.project, expert_id, row.dossier_id, actor=actor)

    def _enter_form(self, _index: QModelIndex) -> None:
        """Go from the list to the form, at the first criterion still to score."""
        target = self.form.first_input()
        if target is None:
            return
        target.setFocus(Qt.FocusReason.OtherFocusReason)
        target.selectAll()

    def _update_status(self) -> None:
        row = self.assignments.selected_row()
        state = self.form.state
        if row is None or state is None or row.status == state.status:
            return
        self._reload_keep_selection(row.dossier_id)

    def _after_submit(self) -> None:
        row = self.assignments.selected_row()
        if row is not None:
            self._reload_keep_selection(row.dossier_id)
        self.changed.emit(Changes(scores=True))

    def _reload_keep_selection(self, dossier_id: int) -> None:
        expert_id = self.expert_id()
        if self.project is None or expert_id is None:
            return
        self.assignments.row_selected.disconnect(self.open_assignment)
        rows = queries.expert_assignments(self.project, expert_id)
        self.assignments.set_rows(rows)
        self._fit_list()
        self.assignments.select_where(lambda r: r.dossier_id == dossier_id)
        self.assignments.row_selected.connect(self.open_assignment)
        done = sum(1 for r in rows if r.status == SheetStatus.SUBMITTED)
        self.load_label.setText(tr("{done} of {count} submitted", done=done, count=len(rows)))
        self.table.set_rows(queries.score_sheets(self.project))

    def _use_rubric(self, text: str) -> None:
        """Make ``text`` the project's rubric, in the background."""
        from review_desk.rubrics import use_rubric

        project = self.project
        if project is None:
            return
        self.start_operation(
            _("Use for this project"),
            lambda _progress: use_rubric(project, text),
            self.rubric_editor.rubric_used,
            on_error=self.rubric_editor.rubric_refused,
            changes=Changes(rubric=True),
        )

    def reopen(self) -> None:
        """Reopen a submitted sheet, with the agency's written reason."""
        from review_desk import scoring

        row = self.table.selected_row()
        if self.project is None or row is None or row.sheet_id is None:
            return
        reason, ok = QInputDialog.getMultiLineText(
            self,
            _("Reopen the sheet"),
            tr(
                "Why is the sheet of {expert} for {code} reopened?",
                expert=row.expert,
                code=row.dossier_code,
            ),
        )
        if not ok:
            return
        project, sheet_id = self.project, row.sheet_id
        self.start_operation(
            _("Reopen the sheet"),
            lambda _progress: scoring.reopen(project, sheet_id, reason),
            lambda _result: self.load(),
            changes=Changes(scores=True),
        )
