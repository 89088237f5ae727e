"""认定验收: the recognition round. In a selection project, the rounds made from it
(created from the finalised list, opened in the window); in a recognition project, its
source and pass thresholds, each base's score and suggested outcome beside the
committee's decision, the finalisation of the recognition list, and its documents. The
page reads in the background and writes through the core (review_desk.recognition,
review_desk.recognition_round, review_desk.results.recognition_docs)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from review_desk import queries
from review_desk.changes import Changes, Outcome
from review_desk.i18n import _, tr
from review_desk.progress import Progress
from review_desk.recognition import BaseOutcome, outcome_label
from review_desk.results.publicity import level_label

from ui.current_user import current_user
from ui.models.row_table import Column
from ui.pages.base import Page, card, say
from ui.pages.recognition_view import (
    RecognitionRead,
    SelectionRead,
    decision_text,
    detail_text,
    found_text,
    read_page,
    score_text,
    short_hash,
    when,
)
from ui.pages.registry import AGENCY, COMMITTEE
from ui.widgets.data_table import DataTable
from ui.widgets.review_quality import (
    UNEXPLAINED_COLOUR,
    deviation_columns,
    explanation_prompt,
    reliability_columns,
)

OUTCOME_COLOURS = {"passed": "#1e7b34", "rectify": "#a15c00", "failed": "#b3261e"}
_MISSING_COLOUR = "#b3261e"
_DECIDED = Changes(recognition=True)
# The widest a column of the bases' table is sized to (by its index), leaving the rest
# to the reason.
_WIDEST = {1: 210, 2: 92, 3: 56, 4: 70, 5: 56, 6: 86, 7: 100, 9: 100}


class RecognitionPage(Page):
    """认定验收."""

    key = "recognition"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            _(
                "The recognition round of the selected bases: scores against the pass "
                "thresholds, the committee's decision on each base, and the recognition list "
                "and documents made from the finalised decisions."
            ),
            parent,
        )
        self._role = ""
        self.read: SelectionRead | RecognitionRead | None = None
        self.viewer: QDialog | None = None
        self.faces = QStackedWidget(self)
        self.selection_face = self._build_selection_face()
        self.recognition_face = self._build_recognition_face()
        self.faces.addWidget(self.selection_face)
        self.faces.addWidget(self.recognition_face)
        self.body.addWidget(self.faces, 1)

    # ------------------------------------------------------------------ layout
    @staticmethod
    def _label(parent: QWidget, name: str = "") -> QLabel:
        label = QLabel("", parent)
        if name:
            label.setObjectName(name)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    def _build_selection_face(self) -> QWidget:
        face = QWidget(self)
        layout = QVBoxLayout(face)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(12)
        self.selection_state = self._label(face, "cardTitle")
        row = QHBoxLayout()
        self.create_button = QPushButton(_("Create the recognition round…"), face)
        self.create_button.setObjectName("primaryButton")
        self.open_button = QPushButton(_("Open"), face)
        row.addWidget(self.create_button)
        row.addWidget(self.open_button)
        row.addStretch(1)
        rounds_card, rounds_layout = card(_("Recognition rounds made from this project"), face)
        self.links = DataTable(
            [
                Column(_("Round name"), lambda r: r.round_name),
                Column(_("Location"), lambda r: r.location, tooltip=lambda r: r.location),
                Column(_("Created"), lambda r: when(r.created_at), lambda r: r.created_at),
                Column(_("By"), lambda r: r.created_by),
                Column(
                    _("Project file"),
                    found_text,
                    foreground=lambda r: None if r.found else _MISSING_COLOUR,
                ),
            ],
            searchable=False,
            stretch_column=0,
            parent=rounds_card,
        )
        rounds_layout.addWidget(self.links, 1)
        layout.addWidget(self.selection_state)
        layout.addLayout(row)
        layout.addWidget(rounds_card, 1)
        self.links.row_selected.connect(lambda _row: self._enable())
        self.links.view.doubleClicked.connect(lambda _index: self.open_round())
        self.create_button.clicked.connect(self.create_round)
        self.open_button.clicked.connect(self.open_round)
        return face

    def _build_recognition_face(self) -> QWidget:
        face = QWidget(self)
        layout = QVBoxLayout(face)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(12)
        about, about_layout = card(_("The round"), face)
        self.source = self._label(about)
        self.thresholds = self._label(about)
        self.state = self._label(about, "cardTitle")
        self.counts = self._label(about, "muted")
        for label in (self.state, self.source, self.thresholds, self.counts):
            about_layout.addWidget(label)
        row = QHBoxLayout()
        self.decide_button = QPushButton(_("Decide…"), face)
        self.explain_button = QPushButton(_("Explain a deviation…"), face)
        self.finalise_button = QPushButton(_("Finalise…"), face)
        self.finalise_button.setObjectName("primaryButton")
        self.list_button = QPushButton(_("Export the recognition list…"), face)
        self.document_button = QPushButton(_("Recognition document…"), face)
        self.documents_button = QPushButton(_("All recognition documents…"), face)
        self.source_button = QPushButton(_("Open the selection project"), face)
        for button in self._recognition_buttons():
            row.addWidget(button)
        row.addStretch(1)
        self.tabs = QTabWidget(face)
        bases_card = QWidget(self.tabs)
        bases_layout = QVBoxLayout(bases_card)
        bases_layout.setContentsMargins(0, 8, 0, 0)
        self.table = DataTable(
            [
                Column(_("Code"), lambda b: b.code),
                Column(_("Platform name"), lambda b: b.platform, tooltip=lambda b: b.platform),
                Column(_("Selected level"), lambda b: level_label(b.level)),
                Column(_("Experts"), lambda b: str(b.experts), lambda b: b.experts, True),
                Column(_("Score"), score_text, lambda b: b.score or -1.0, True),
                Column(_("Veto"), lambda b: _("vetoed") if b.vetoed else ""),
                Column(
                    _("Suggested outcome"),
                    lambda b: outcome_label(b.suggested),
                    foreground=lambda b: OUTCOME_COLOURS.get(b.suggested or ""),
                    tooltip=lambda b: b.suggestion_text,
                ),
                Column(
                    _("Committee's decision"),
                    lambda b: decision_text(b, self._finalised()),
                    tooltip=lambda b: "" if b.decided else _("not decided (suggestion stands)"),
                    foreground=lambda b: (
                        OUTCOME_COLOURS.get(b.outcome or "") if b.decided else "#666666"
                    ),
                ),
                Column(_("Reason"), lambda b: b.reason_text, tooltip=lambda b: b.reason_text),
                Column(_("Rectify by"), self._deadline),
            ],
            stretch_column=8,
            parent=bases_card,
        )
        bases_layout.addWidget(self.table, 1)
        self.detail = self._label(bases_card)
        bases_layout.addWidget(self.detail)
        self.tabs.addTab(bases_card, _("Bases"))
        self.deviations = DataTable(deviation_columns(), stretch_column=6, parent=self.tabs)
        self.tabs.addTab(self.deviations, _("Deviations (畸高畸低)"))
        self._panel_names: dict[int, str] = {}
        self.reliability = DataTable(
            reliability_columns(self._panel_name),
            searchable=False,
            stretch_column=6,
            parent=self.tabs,
        )
        self.tabs.addTab(self.reliability, _("Reliability"))
        layout.addWidget(about)
        layout.addLayout(row)
        layout.addWidget(self.tabs, 1)
        self.deviations.row_selected.connect(lambda _row: self._enable())
        self.deviations.view.doubleClicked.connect(lambda _index: self.explain())
        self.explain_button.clicked.connect(self.explain)
        self.table.row_selected.connect(self._show_detail)
        self.table.view.doubleClicked.connect(lambda _index: self.decide())
        self.decide_button.clicked.connect(self.decide)
        self.finalise_button.clicked.connect(self.finalise)
        self.list_button.clicked.connect(self.export_list)
        self.document_button.clicked.connect(self.show_document)
        self.documents_button.clicked.connect(self.export_documents)
        self.source_button.clicked.connect(self.open_source)
        return face

    # ------------------------------------------------------------------ roles
    def _recognition_buttons(self) -> tuple[QPushButton, ...]:
        return (
            self.decide_button,
            self.explain_button,
            self.finalise_button,
            self.list_button,
            self.document_button,
            self.documents_button,
            self.source_button,
        )

    def action_widgets(self) -> tuple[QWidget, ...]:
        return (self.create_button, self.open_button, *self._recognition_buttons())

    def set_role(self, role: str) -> None:
        """The agency creates rounds and explains deviations; the committee decides and
        finalises; both read and export the list and the documents."""
        self._role = role
        committee = role == COMMITTEE
        self.create_button.setVisible(role == AGENCY)
        self.explain_button.setVisible(role == AGENCY)
        self.decide_button.setVisible(committee)
        self.finalise_button.setVisible(committee)

    def operation_ended(self) -> None:
        super().operation_ended()
        self._enable()

    def _enable(self) -> None:
        """Enable what the round's state allows (the core refuses the rest too)."""
        read = self.read
        selection = read if isinstance(read, SelectionRead) else None
        self.create_button.setEnabled(selection is not None and selection.refusal is None)
        link = self.links.selected_row()
        self.open_button.setEnabled(selection is not None and link is not None and link.found)
        recognition = read if isinstance(read, RecognitionRead) else None
        open_round = recognition is not None and recognition.final is None
        finalised = recognition is not None and recognition.final is not None
        base = self.table.selected_row()
        self.decide_button.setEnabled(open_round and base is not None)
        self.explain_button.setEnabled(open_round and bool(recognition and recognition.deviations))
        self.finalise_button.setEnabled(open_round and bool(recognition and recognition.bases))
        self.list_button.setEnabled(finalised)
        self.documents_button.setEnabled(finalised)
        self.document_button.setEnabled(finalised and base is not None)
        source = recognition.info.source_location if recognition else ""
        self.source_button.setEnabled(
            bool(source) and ("://" not in source and Path(source).exists())
        )

    # ------------------------------------------------------------------ reading
    def _panel_name(self, panel_id: int) -> str:
        """A panel's name in the reliability table (its number until names are read)."""
        return self._panel_names.get(panel_id, str(panel_id))

    def affected_by(self, changes: Changes) -> bool:
        return (
            changes.recognition
            or changes.explanations
            or changes.finalised
            or changes.scores
            or changes.formal_review
            or changes.rubric
            or changes.dossiers
        )

    def load(self) -> None:
        """Read the round (or the rounds made from this project) in the background."""
        project = self.project
        if project is None:
            return
        started = self.start_operation(
            _("Reading the recognition round…"), lambda _progress: read_page(project), self._show
        )
        if started is None:
            self.stale = True

    def _show(self, read: SelectionRead | RecognitionRead) -> None:
        self.read = read
        if isinstance(read, SelectionRead):
            self._show_selection(read)
        else:
            self._show_recognition(read)
        self._enable()

    def _show_selection(self, read: SelectionRead) -> None:
        self.faces.setCurrentWidget(self.selection_face)
        if read.refusal is not None:
            self.selection_state.setText(read.refusal)
        else:
            self.selection_state.setText(
                _("The list is finalised: a recognition round can be made from its selected bases.")
            )
        selected = self.links.selected_row()
        self.links.set_rows(read.links)
        header = self.links.view.horizontalHeader()
        header.resizeSection(1, min(self.links.view.sizeHintForColumn(1) + 12, 420))
        if selected is None or not self.links.select_where(
            lambda r: r.location == selected.location
        ):
            self.links.select_first()

    def _show_recognition(self, read: RecognitionRead) -> None:
        self.faces.setCurrentWidget(self.recognition_face)
        info = read.info
        self.source.setText(
            tr(
                "Made from {project} ({round}), list version {version}, hash {hash}",
                project=info.source_name,
                round=info.source_round_name,
                version=info.source_list_version or "—",
                hash=short_hash(info.source_list_hash),
            )
        )
        self.source.setToolTip(info.source_location)
        if read.thresholds is not None:
            self.thresholds.setText(
                tr(
                    "Pass threshold {pass_score}, rectification threshold {rectify_score}: "
                    "a score at or above the pass threshold passes, one below the "
                    "rectification threshold fails, a vetoed base fails.",
                    pass_score=f"{read.thresholds.pass_score:g}",
                    rectify_score=f"{read.thresholds.rectify_score:g}",
                )
            )
        else:
            self.thresholds.setText(read.problem)
        if read.final is not None:
            self.state.setText(
                tr(
                    "Finalised on {when}: the decisions are locked. List hash {hash}",
                    when=when(read.final.finalised_at),
                    hash=read.final.content_hash,
                )
            )
        else:
            self.state.setText(
                _("Not finalised: the committee decides each base, then finalises the list.")
            )
        bases = read.bases
        self.counts.setText(
            tr(
                "{total} bases: {passed} passed, {rectify} to rectify, {failed} failed, "
                "{none} without an outcome; the committee has decided {decided}.",
                total=len(bases),
                passed=sum(1 for b in bases if b.outcome == "passed"),
                rectify=sum(1 for b in bases if b.outcome == "rectify"),
                failed=sum(1 for b in bases if b.outcome == "failed"),
                none=sum(1 for b in bases if b.outcome is None),
                decided=sum(1 for b in bases if b.decided),
            )
            + " "
            + tr(
                "Deviations {count}, of which without an explanation {unexplained}.",
                count=len(read.deviations),
                unexplained=len(read.unexplained()),
            )
        )
        self._show_quality(read)
        if read.problem and read.thresholds is not None:
            self.show_message(read.problem, "warning")
        selected = self.table.selected_row()
        self.table.set_rows(bases)
        # The reason (stretched) needs the room: the platform's name and the reason show
        # whole in their tooltips and below the table.
        header = self.table.view.horizontalHeader()
        for column, widest in _WIDEST.items():
            header.resizeSection(column, min(header.sectionSize(column), widest))
        if selected is None or not self.table.select_where(lambda b: b.code == selected.code):
            self.table.select_first()

    def _show_quality(self, read: RecognitionRead) -> None:
        """The deviation flags (the unexplained ones first) and each panel's reliability;
        the deviations tab's title counts those still waiting for an explanation."""
        selected = self.deviations.selected_row()
        flags = sorted(read.deviations, key=lambda f: (f.explained, f.code, f.expert))
        self.deviations.set_rows(flags)
        if selected is None or not self.deviations.select_where(
            lambda f: (f.dossier_id, f.expert_id) == (selected.dossier_id, selected.expert_id)
        ):
            self.deviations.select_first()
        waiting = len(read.unexplained())
        title = _("Deviations (畸高畸低)")
        index = self.tabs.indexOf(self.deviations)
        self.tabs.setTabText(index, f"{title} ({waiting})" if waiting else title)
        self.tabs.tabBar().setTabTextColor(
            index, QColor(UNEXPLAINED_COLOUR if waiting else self.palette().text().color())
        )
        self._panel_names = queries.panel_names(self.project) if self.project else {}
        self.reliability.set_rows(read.reliability)

    def _finalised(self) -> bool:
        """Whether the recognition list shown is finalised."""
        return isinstance(self.read, RecognitionRead) and self.read.final is not None

    def _deadline(self, base: BaseOutcome) -> str:
        """The deadline of a 限期整改: the finalised list's once finalised (it may be the
        one given to all at finalisation), else the committee's."""
        read = self.read
        if isinstance(read, RecognitionRead) and read.final is not None:
            row = next((r for r in read.final.rows if r["code"] == base.code), None)
            return str(row["deadline"] or "") if row else ""
        return base.deadline.isoformat() if base.deadline else ""

    def _show_detail(self, base: BaseOutcome) -> None:
        self.detail.setText(detail_text(base, self._deadline(base), self._finalised()))
        self._enable()

    # ------------------------------------------------------------------ actions
    def _run(self, title: str, work: Any, message: Any, changes: Changes = _DECIDED) -> None:
        """Run a write in the background; read the page again and say ``message``
        (a text, or a function of the result)."""

        def done(result: object) -> None:
            self.load()
            say(self, message(result) if callable(message) else message)

        self.start_operation(title, lambda _progress: Outcome(work(), changes), done)

    def create_round(self) -> None:
        """Ask for the round's name and the new project file, and create the round."""
        from review_desk.recognition_round import create_round

        from ui.dialogs.recognition_dialogs import CreateRoundDialog

        project, read = self.project, self.read
        if project is None or not isinstance(read, SelectionRead):
            return
        folder = project.path.parent if project.path is not None else None
        dialog = CreateRoundDialog(read.info.round_name, folder, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        (round_name, location), actor = dialog.values(), current_user()
        selection = project.path or project.location

        def work() -> str:
            create_round(selection, location, round_name=round_name, actor=actor).close()
            return location

        self._run(
            _("Create the recognition round"),
            work,
            lambda path: tr("The recognition round is created: {path}", path=path),
        )

    def open_round(self) -> None:
        """Open the selected recognition round in this window."""
        link = self.links.selected_row()
        window = self.window()
        if link is None or not link.found or not hasattr(window, "open_project"):
            return
        window.open_project(link.location)

    def open_source(self) -> None:
        """Open the selection project this round was made from."""
        window = self.window()
        if not isinstance(self.read, RecognitionRead) or not hasattr(window, "open_project"):
            return
        window.open_project(self.read.info.source_location)

    def _selected_base(self) -> BaseOutcome | None:
        row = self.table.selected_row()
        if row is None:
            self.show_message(_("Select a base first."), "info")
        return row  # type: ignore[no-any-return]

    def decide(self) -> None:
        """The committee's decision on the selected base."""
        from review_desk import publicity, recognition

        from ui.dialogs.recognition_dialogs import DecideDialog

        project, base = self.project, self._selected_base()
        if project is None or base is None or not self.decide_button.isEnabled():
            return
        dialog = DecideDialog(base, publicity.today(), self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        (outcome, reason, deadline), actor = dialog.values(), current_user(COMMITTEE)
        self._run(
            _("Decide…"),
            lambda: recognition.decide(
                project, base.code, outcome, reason, deadline=deadline, actor=actor
            ),
            lambda row: tr("{code}: {outcome}", code=row.code, outcome=outcome_label(row.outcome)),
        )

    def explain(self) -> None:
        """Record why the selected deviating score is what it is (the agency, as in the
        selection's ranking)."""
        from review_desk import ranking_decisions

        from ui.dialogs.reason_dialog import ReasonDialog

        project, flag = self.project, self.deviations.selected_row()
        if project is None or not self.explain_button.isEnabled():
            return
        if flag is None:
            self.tabs.setCurrentWidget(self.deviations)
            self.show_message(_("Select a deviating score first."), "info")
            return
        dialog = ReasonDialog(_("Explain a deviation"), explanation_prompt(flag), self)
        if flag.note:
            dialog.text.setPlainText(flag.note)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        note, actor = dialog.values()[1], current_user()
        self.clear_message()
        self._run(
            _("Recording the explanation…"),
            lambda: ranking_decisions.explain_deviation(
                project, flag.dossier_id, flag.expert_id, note, actor=actor
            ),
            tr("Explanation recorded: {code} {expert}", code=flag.code, expert=flag.expert),
            Changes(explanations=True),
        )

    def finalise(self) -> None:
        """Confirm the counts per outcome and lock the recognition list; refused, with
        the core's reason, while a deviating score has no written explanation."""
        from review_desk import publicity, recognition
        from review_desk.ranking_decisions import deviation_refusal

        from ui.dialogs.recognition_dialogs import FinaliseDialog

        project, read = self.project, self.read
        if project is None or not isinstance(read, RecognitionRead):
            return
        waiting = read.unexplained()
        if waiting:
            self.tabs.setCurrentWidget(self.deviations)
            self.show_message(
                deviation_refusal([(f.code, f.expert) for f in waiting])
                + _(" The agency records each explanation on this tab."),
                "warning",
            )
            return
        self.clear_message()
        dialog = FinaliseDialog(read.bases, publicity.today(), self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        deadline, actor = dialog.rectify_deadline(), current_user(COMMITTEE)
        self._run(
            _("Finalise…"),
            lambda: recognition.finalise(project, rectify_deadline=deadline, actor=actor),
            lambda content_hash: tr(
                "Recognition list finalised; content hash {hash}", hash=content_hash
            ),
        )

    def _round_name(self) -> str:
        read = self.read
        return read.final.round_name if isinstance(read, RecognitionRead) and read.final else ""

    def export_list(self) -> None:
        """Write the recognition list as .xlsx or .pdf, by the file type chosen."""
        from ui.dialogs.recognition_dialogs import _file_name

        project = self.project
        if project is None:
            return
        xlsx, pdf = _("Excel workbook (*.xlsx)"), _("PDF files (*.pdf)")
        name = _file_name(tr("Recognition list of {round}", round=self._round_name()))
        path, chosen = QFileDialog.getSaveFileName(
            self, _("Export the recognition list…"), name + ".xlsx", f"{xlsx};;{pdf}"
        )
        if not path:
            return
        target = Path(path)
        if target.suffix.lower() not in (".xlsx", ".pdf"):
            target = target.with_name(target.name + (".pdf" if chosen == pdf else ".xlsx"))

        def work(_progress: Progress) -> Path:
            from review_desk.recognition import recognition_list
            from review_desk.results.recognition_docs import write_list_pdf, write_list_xlsx

            writer = write_list_pdf if target.suffix.lower() == ".pdf" else write_list_xlsx
            writer(target, recognition_list(project))
            return target

        self.start_operation(
            _("Export the recognition list…"),
            work,
            lambda written: say(self, tr("Written: {path}", path=written)),
        )

    def show_document(self) -> None:
        """Show the selected base's recognition document, to read, save or print."""
        project, base = self.project, self._selected_base()
        if project is None or base is None:
            return
        folder = Path(tempfile.mkdtemp(prefix="review-desk-recognition-"))

        def work(_progress: Progress) -> Path:
            from review_desk.recognition import recognition_list
            from review_desk.results.recognition_docs import safe_name, write_document_pdf

            target = folder / safe_name(base.code)
            write_document_pdf(target, recognition_list(project), base.code)
            return target

        def done(path: Path) -> None:
            from ui.dialogs.record_viewer import RecordViewer

            name = tr("{code} recognition document", code=base.code) + ".pdf"
            self.viewer = RecordViewer(path, name, name, self)
            self.viewer.show()

        self.start_operation(_("Recognition document…"), work, done)

    def export_documents(self) -> None:
        """Write every base's recognition document into a folder."""
        project = self.project
        if project is None:
            return
        chosen = QFileDialog.getExistingDirectory(self, _("Folder for the recognition documents"))
        if not chosen:
            return
        folder = Path(chosen)

        def work(progress: Progress) -> int:
            from review_desk.recognition import recognition_list
            from review_desk.results.recognition_docs import safe_name, write_document_pdf

            listing = recognition_list(project)
            for number, row in enumerate(listing.rows, start=1):
                write_document_pdf(folder / safe_name(row["code"]), listing, row["code"])
                progress(number, len(listing.rows), row["code"])
            return len(listing.rows)

        self.start_operation(
            _("All recognition documents…"),
            work,
            lambda count: say(
                self, tr("Written: {path} ({count} documents)", path=folder, count=count)
            ),
        )
