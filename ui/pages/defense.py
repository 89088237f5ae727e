"""答辩与考察: defense sessions with their dossiers in order, a countdown for the
presentation and the questions, each dossier's defense record (attendees, length,
questions and answers, notes), and the video inspection records."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from review_desk import defense, queries
from review_desk.changes import Changes
from review_desk.domain import DefenseMode
from review_desk.formatting import CHINA_TZ, local_time
from review_desk.i18n import _, tr
from review_desk.progress import Progress

from ui.models.row_table import Column
from ui.pages.base import Page
from ui.widgets.countdown import Countdown
from ui.widgets.data_table import DataTable


class SessionDialog(QDialog):
    """A new defense session: when, how, where, and which panel's dossiers."""

    def __init__(self, panels: list[queries.PanelRow], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("New defense session"))
        form = QFormLayout(self)
        self.name = QLineEdit(self)
        self.starts = QDateTimeEdit(QDateTime.currentDateTime(), self)
        self.starts.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.starts.setCalendarPopup(True)
        self.mode = QComboBox(self)
        for mode in DefenseMode:
            self.mode.addItem(mode.label, mode.value)
        self.mode.setCurrentIndex(self.mode.findData("hybrid"))
        self.platform = QLineEdit("腾讯会议", self)
        self.meeting_id = QLineEdit(self)
        self.room = QLineEdit(self)
        self.presentation = QSpinBox(self)
        self.presentation.setRange(1, 120)
        self.presentation.setValue(15)
        self.qa = QSpinBox(self)
        self.qa.setRange(1, 120)
        self.qa.setValue(10)
        self.panel = QComboBox(self)
        for panel in panels:
            self.panel.addItem(panel.name, panel.id)
        for caption, widget in (
            (_("Session name"), self.name),
            (_("Starts"), self.starts),
            (_("Mode"), self.mode),
            (_("Meeting platform"), self.platform),
            (_("Meeting ID"), self.meeting_id),
            (_("Room"), self.room),
            (_("Presentation (minutes)"), self.presentation),
            (_("Questions (minutes)"), self.qa),
            (_("Panel (its dossiers in order)"), self.panel),
        ):
            form.addRow(caption + "：", widget)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


class DefensePage(Page):
    """Sessions, the countdown, defense records and inspection records."""

    key = "defense"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            _(
                "The hybrid defense (互联网+现场答辩) and the video inspection (视频转播考察). "
                "The scores of these stages are entered on the scoring desk."
            ),
            parent,
        )
        self._sessions: list[defense.SessionRow] = []
        self._record: defense.RecordRow | None = None
        tabs = QTabWidget(self)
        self.tabs = tabs
        self.body.addWidget(tabs, 1)

        defense_tab = QWidget(tabs)
        layout = QHBoxLayout(defense_tab)
        left = QVBoxLayout()
        self.new_button = QPushButton(_("New session…"), defense_tab)
        left.addWidget(self.new_button)
        self.session_table = DataTable(
            [
                Column(_("Session"), lambda s: s.name),
                Column(_("Starts"), lambda s: local_time(s.starts_at)),
                Column(_("Mode"), lambda s: s.mode.label),
            ],
            searchable=False,
            stretch_column=0,
            parent=defense_tab,
        )
        left.addWidget(self.session_table, 1)
        self.session_info = QLabel("", defense_tab)
        self.session_info.setWordWrap(True)
        self.session_info.setObjectName("muted")
        left.addWidget(self.session_info)
        self.countdown = Countdown(defense_tab)
        left.addWidget(self.countdown)
        layout.addLayout(left, 2)

        right = QSplitter(Qt.Orientation.Vertical, defense_tab)
        self.records = DataTable(
            [
                Column(_("No."), lambda r: str(r.order), lambda r: r.order, True),
                Column(_("Dossier no."), lambda r: r.code),
                Column(_("Lead applicant"), lambda r: r.applicant),
                Column(_("Questions"), lambda r: str(len(r.questions)), align_right=True),
            ],
            searchable=False,
            stretch_column=2,
            parent=right,
        )
        editor = QWidget(right)
        form = QFormLayout(editor)
        self.attendees = QLineEdit(editor)
        self.length = QDoubleSpinBox(editor)
        self.length.setRange(0, 600)
        self.length.setDecimals(1)
        self.length.setSuffix(" " + _("min"))
        # 0 shows as "—": a length not recorded (None), not a presentation of 0 minutes.
        self.length.setSpecialValueText("—")
        self.notes = QPlainTextEdit(editor)
        self.notes.setMaximumHeight(70)
        self.questions = DataTable(
            [
                Column(_("Asked by"), lambda q: q.asker),
                Column(_("Question"), lambda q: q.question, tooltip=lambda q: q.question),
                Column(_("Answer"), lambda q: q.answer, tooltip=lambda q: q.answer),
            ],
            searchable=False,
            stretch_column=2,
            parent=editor,
        )
        add_row = QHBoxLayout()
        self.asker = QLineEdit(editor)
        self.asker.setPlaceholderText(_("asked by"))
        self.question = QLineEdit(editor)
        self.question.setPlaceholderText(_("question"))
        self.answer = QLineEdit(editor)
        self.answer.setPlaceholderText(_("answer"))
        self.add_button = QPushButton(_("Add"), editor)
        for widget, stretch in (
            (self.asker, 1),
            (self.question, 3),
            (self.answer, 3),
            (self.add_button, 0),
        ):
            add_row.addWidget(widget, stretch)
        self.save_button = QPushButton(_("Save the record"), editor)
        self.save_button.setObjectName("primaryButton")
        form.addRow(_("Attended for the applicant") + "：", self.attendees)
        form.addRow(_("Presentation length") + "：", self.length)
        form.addRow(_("Questions and answers") + "：", self.questions)
        form.addRow("", add_row)
        form.addRow(_("Panel's notes") + "：", self.notes)
        form.addRow("", self.save_button)
        right.addWidget(self.records)
        right.addWidget(editor)
        right.setSizes([220, 420])
        layout.addWidget(right, 5)
        tabs.addTab(defense_tab, _("Defense (互联网+现场答辩)"))

        inspection_tab = QWidget(tabs)
        inspection_layout = QHBoxLayout(inspection_tab)
        self.inspections = DataTable(
            [
                Column(_("Dossier no."), lambda r: r.code),
                Column(_("Lead applicant"), lambda r: r.applicant),
                Column(
                    _("Inspected"), lambda r: local_time(r.inspected_at) if r.inspected_at else "-"
                ),
            ],
            stretch_column=1,
            parent=inspection_tab,
        )
        inspection_layout.addWidget(self.inspections, 2)
        inspection_form_widget = QWidget(inspection_tab)
        inspection_form = QFormLayout(inspection_form_widget)
        self.inspected_at = QDateTimeEdit(QDateTime.currentDateTime(), inspection_form_widget)
        self.inspected_at.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.inspected_at.setCalendarPopup(True)
        self.site = QLineEdit(inspection_form_widget)
        self.shown = QPlainTextEdit(inspection_form_widget)
        self.findings = QPlainTextEdit(inspection_form_widget)
        self.inspection_save = QPushButton(_("Save the inspection record"), inspection_form_widget)
        self.inspection_save.setObjectName("primaryButton")
        for caption, field in (
            (_("Date and time"), self.inspected_at),
            (_("Site"), self.site),
            (_("What was shown"), self.shown),
            (_("Findings"), self.findings),
        ):
            inspection_form.addRow(caption + "：", field)
        inspection_form.addRow("", self.inspection_save)
        inspection_layout.addWidget(inspection_form_widget, 3)
        tabs.addTab(inspection_tab, _("Video inspection (视频转播考察)"))

        self.new_button.clicked.connect(self.new_session)
        self.session_table.row_selected.connect(self.show_session)
        self.records.row_selected.connect(self.show_record)
        self.add_button.clicked.connect(self.add_question)
        self.answer.returnPressed.connect(self.add_question)
        self.save_button.clicked.connect(self.save_record)
        self.inspections.row_selected.connect(self.show_inspection)
        self.inspection_save.clicked.connect(self.save_inspection)
        self._questions: list[defense.DefenseQuestion] = []

    def set_role(self, role: str) -> None:
        self.new_button.setVisible(role == "agency")

    def affected_by(self, changes: Changes) -> bool:
        return changes.defense or changes.experts or changes.dossiers

    def load(self) -> None:
        # A record shown before belongs to the project shown before (or is gone).
        self._record = None
        self._questions = []
        self.questions.set_rows(self._questions)
        for edit in (self.attendees, self.notes):
            edit.clear()
        self.length.setValue(0)
        if self.project is None:
            return
        self._sessions = defense.sessions(self.project)
        self.session_table.set_rows(self._sessions)
        self.session_table.select_first()
        self.inspections.set_rows(defense.inspections(self.project))
        self.inspections.select_first()

    def show_session(self, row: defense.SessionRow) -> None:
        """Show a session's dossiers and set the countdown to its limits."""
        where = [row.mode.label]
        if row.platform or row.meeting_id:
            where.append(f"{row.platform} {row.meeting_id}".strip())
        if row.room:
            where.append(row.room)
        self.session_info.setText(
            " · ".join(where)
            + "\n"
            + tr(
                "Presentation {p} min, questions {q} min",
                p=row.presentation_minutes,
                q=row.qa_minutes,
            )
        )
        self.countdown.set_limits(row.presentation_minutes, row.qa_minutes)
        self.records.set_rows(row.records)
        self.records.select_first()

    def show_record(self, row: defense.RecordRow) -> None:
        """Show a dossier's defense record in the editor."""
        self._record = row
        self.attendees.setText(row.attendees)
        self.length.setValue(row.presentation_minutes or 0)
        self._questions = list(row.questions)
        self.questions.set_rows(self._questions)
        self.notes.setPlainText(row.notes)

    def add_question(self) -> None:
        """Add the typed question and answer to the record (saved with it)."""
        if self._record is None:  # no dossier's record to add it to: keep the text
            return
        if not self.question.text().strip():
            self.question.setFocus()
            return
        self._questions.append(
            defense.DefenseQuestion(self.asker.text(), self.question.text(), self.answer.text())
        )
        self.questions.set_rows(self._questions)
        for edit in (self.question, self.answer):
            edit.clear()
        self.save_record()
        self.question.setFocus()

    def save_record(self) -> None:
        """Save the record of the selected dossier (in the background)."""
        project, record = self.project, self._record
        if project is None or record is None:
            return
        attendees, minutes = self.attendees.text(), self.length.value() or None
        questions, notes = list(self._questions), self.notes.toPlainText()
        session_id = next(s.id for s in self._sessions if any(r.id == record.id for r in s.records))

        def work(progress: Progress) -> list[defense.SessionRow]:
            defense.update_record(
                project,
                record.id,
                attendees=attendees,
                presentation_minutes=minutes,
                questions=questions,
                notes=notes,
            )
            return defense.sessions(project)

        def done(sessions: list[defense.SessionRow]) -> None:
            self._sessions = sessions
            self.session_table.set_rows(self._sessions)
            self.session_table.select_where(lambda s: s.id == session_id)
            self.records.select_where(lambda r: r.id == record.id)
            window = self.window()
            if hasattr(window, "statusBar"):
                window.statusBar().showMessage(_("Defense record saved"), 4000)

        self._write(_("Saving the defense record…"), work, done)

    def _write(
        self, title: str, work: Callable[[Progress], Any], done: Callable[[Any], object]
    ) -> None:
        """Run a write in the background and announce it to the other pages. A write
        still running (the previous question's save) is let finish first: a save is
        never dropped because another is under way."""
        self.wait()
        self.start_operation(title, work, done, changes=Changes(defense=True))

    def new_session(self) -> None:
        """Create a session for a panel's dossiers."""
        if self.project is None:
            return
        panels = queries.panels(self.project)
        dialog = SessionDialog(panels, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        panel_id = dialog.panel.currentData()
        if panel_id is None:
            self.show_message(_("Form a panel first: a session hears a panel's dossiers."), "error")
            return
        dossier_ids = defense.panel_dossier_ids(self.project, panel_id)
        starts = dialog.starts.dateTime().toPython()
        assert isinstance(starts, datetime)
        project = self.project
        name, mode = dialog.name.text(), DefenseMode(dialog.mode.currentData())
        platform, meeting_id, room = (
            dialog.platform.text(),
            dialog.meeting_id.text(),
            dialog.room.text(),
        )
        presentation, qa = dialog.presentation.value(), dialog.qa.value()

        def work(progress: Progress) -> None:
            defense.create_session(
                project,
                name=name,
                starts_at=starts.replace(tzinfo=CHINA_TZ),
                mode=mode,
                dossier_ids=dossier_ids,
                platform=platform,
                meeting_id=meeting_id,
                room=room,
                presentation_minutes=presentation,
                qa_minutes=qa,
                panel_id=panel_id,
            )

        self._write(_("Creating the session…"), work, lambda _none: self.load())

    def show_inspection(self, row: defense.InspectionRow) -> None:
        """Show a dossier's inspection record."""
        if row.inspected_at is not None:
            value = row.inspected_at.astimezone(CHINA_TZ).replace(tzinfo=None)
            self.inspected_at.setDateTime(QDateTime(value))
        else:  # not inspected yet: now, not the time of the dossier shown before
            self.inspected_at.setDateTime(QDateTime.currentDateTime())
        self.site.setText(row.site)
        self.shown.setPlainText(row.shown)
        self.findings.setPlainText(row.findings)

    def save_inspection(self) -> None:
        """Save the inspection record of the selected dossier."""
        project, row = self.project, self.inspections.selected_row()
        if project is None or row is None:
            return
        when = self.inspected_at.dateTime().toPython()
        assert isinstance(when, datetime)
        site, shown, findings = (
            self.site.text(),
            self.shown.toPlainText(),
            self.findings.toPlainText(),
        )

        def work(progress: Progress) -> list[defense.InspectionRow]:
            defense.save_inspection(
                project,
                row.dossier_id,
                inspected_at=when.replace(tzinfo=CHINA_TZ),
                site=site,
                shown=shown,
                findings=findings,
            )
            return defense.inspections(project)

        def done(rows: list[defense.InspectionRow]) -> None:
            self.inspections.set_rows(rows)
            self.inspections.select_where(lambda r: r.dossier_id == row.dossier_id)

        self._write(_("Saving the inspection…"), work, done)
