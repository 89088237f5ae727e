"""The score form of the expert's desk: one input per criterion, keyboard-first (type a
number, Enter saves and moves on), range and step checked as you type, band descriptors
and guidance for the current criterion at hand, live totals, the review opinion, veto
flags, autosave with undo and redo, and submission.

Saving works as a text editor's does. A score or a veto flag is saved when it is
entered. Text (the opinion, a criterion's comment, a veto's reason) is saved when typing
pauses, when the field loses focus, when another dossier is shown and when the desk
closes; a burst of typing is one save, one audit entry and one undo step. Every write
goes through one serial writer off the UI thread, so a busy database never freezes the
desk; the status line says 保存中… until the write is confirmed, then 已保存 and the
time, and a failed write is shown, kept and tried again (the text stays as typed)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QHideEvent, QKeyEvent, QKeySequence, QShortcut, QUndoStack
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from review_desk import queries, scoring
from review_desk.i18n import _, tr
from review_desk.project import Project
from review_desk.scoring.state import field_value, parse_points, set_field
from review_desk.sheet_changes import COMMENT, OPINION, SCORE, VETO, SheetChange
from scoring_models.rubric import Criterion, Rubric

from ui.serial_writer import Job
from ui.widgets.criteria_grid import ERROR_TEXT, build_criteria, build_vetoes, clear
from ui.widgets.sheet_saves import ChangeCommand, SheetSaves, TypingBursts, mark_draft

_INVALID = "QLineEdit { border: 2px solid #d92d20; background: #fef3f2; }"


class ScoreForm(QWidget):
    """The form for one expert and one dossier."""

    saved = Signal()
    submitted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project: Project | None = None
        self.state: scoring.SheetState | None = None
        self.rubric: Rubric | None = None
        self.kind = ""
        self.min_opinion = 0
        self.actor = ""
        self.undo_stack = QUndoStack(self)
        self.inputs: dict[str, QLineEdit] = {}
        self.band_labels: dict[str, QLabel] = {}
        self.problems: dict[str, QLabel] = {}  # why a typed value is refused
        self.veto_boxes: dict[str, tuple[QCheckBox, QLineEdit]] = {}
        self._current: Criterion | None = None
        self._loading = False
        # Saving: the writes, confirmed or failed (saves), and the typing not yet
        # handed to them (bursts).
        self.saves = SheetSaves(self)
        self.saves.changed.connect(self._update_status)
        self.saves.retry_due.connect(self.flush)
        self.saves.saved.connect(self._on_saved)
        self.saves.job_done.connect(self._on_submitted)
        self.bursts = TypingBursts(self)
        self.bursts.due.connect(self._burst_due)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel("-", self)
        self.title.setObjectName("cardTitle")
        self.title.setWordWrap(True)
        # The rubric's name and version: in the title's tooltip, not a line of its own,
        # so that the criteria area keeps the height (at 1360x860 every line counts).
        self.totals = QLabel("", self)
        self.totals.setObjectName("totals")
        self.totals.setWordWrap(True)
        for widget in (self.title, self.totals):
            layout.addWidget(widget)

        split = QSplitter(Qt.Orientation.Vertical, self)
        self.criteria_scroll = QScrollArea(split)
        self.criteria_scroll.setWidgetResizable(True)
        self.criteria_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.body = QWidget(self.criteria_scroll)
        self.grid = QGridLayout(self.body)
        self.grid.setColumnStretch(1, 1)
        self.grid.setVerticalSpacing(4)
        self.criteria_scroll.setWidget(self.body)
        self.criteria_scroll.viewport().installEventFilter(self)
        split.addWidget(self.criteria_scroll)

        help_frame = QFrame(split)
        help_frame.setObjectName("card")
        help_layout = QVBoxLayout(help_frame)
        help_layout.setContentsMargins(10, 8, 10, 8)
        self.help_title = QLabel("", help_frame)
        self.help_title.setObjectName("cardTitle")
        self.help_title.setWordWrap(True)
        self.help_text = QLabel("", help_frame)
        self.help_text.setWordWrap(True)
        self.help_text.setTextFormat(Qt.TextFormat.RichText)
        self.comment = QPlainTextEdit(help_frame)
        self.comment.setPlaceholderText(_("Comment on this criterion (optional)"))
        self.comment.setTabChangesFocus(True)
        self.comment.setUndoRedoEnabled(False)  # the sheet's undo, by bursts
        help_scroll = QScrollArea(help_frame)
        help_scroll.setWidgetResizable(True)
        help_scroll.setFrameShape(QFrame.Shape.NoFrame)
        help_scroll.setWidget(self.help_text)
        help_scroll.setMinimumHeight(2 * self.fontMetrics().lineSpacing())
        for help_widget in (self.help_title, help_scroll, self.comment):
            help_layout.addWidget(help_widget)
        help_layout.setStretchFactor(help_scroll, 1)
        split.addWidget(help_frame)
        # The criteria get most of the height: the help panel needs its title, two
        # lines of guidance and the comment box, and scrolls for the rest.
        split.setStretchFactor(0, 5)
        split.setStretchFactor(1, 1)
        split.setSizes([560, 130])
        self.comment.setMaximumHeight(48)
        layout.addWidget(split, 1)

        self.opinion = QPlainTextEdit(self)
        self.opinion.setPlaceholderText(_("Overall review opinion (评审意见)"))
        self.opinion.setMaximumHeight(64)
        self.opinion.setTabChangesFocus(True)
        self.opinion.setUndoRedoEnabled(False)  # the sheet's undo, by bursts
        self.opinion_count = QLabel("", self)
        self.opinion_count.setObjectName("muted")
        opinion_head = QHBoxLayout()
        opinion_head.addWidget(QLabel(_("Review opinion") + "：", self))
        opinion_head.addStretch(1)
        opinion_head.addWidget(self.opinion_count)
        self.veto_toggle = QToolButton(self)
        self.veto_toggle.setCheckable(True)
        self.veto_toggle.setAutoRaise(True)
        opinion_head.addWidget(self.veto_toggle)
        layout.addLayout(opinion_head)
        layout.addWidget(self.opinion)
        self.veto_frame = QWidget(self)
        self.veto_area = QVBoxLayout(self.veto_frame)
        self.veto_area.setContentsMargins(0, 0, 0, 0)
        self.veto_frame.setVisible(False)
        self.veto_toggle.toggled.connect(self.veto_frame.setVisible)
        layout.addWidget(self.veto_frame)

        bottom = QHBoxLayout()
        # The save status has a line of its own, always there (so that a message does
        # not shift the form), and wraps: it never widens the form nor squeezes the
        # buttons.
        self.status = QLabel("", self)
        self.status.setObjectName("muted")
        self.status.setWordWrap(True)
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.status.setMinimumHeight(self.fontMetrics().lineSpacing())
        layout.addWidget(self.status)
        self.undo_button = QPushButton(_("Undo"), self)
        self.redo_button = QPushButton(_("Redo"), self)
        self.print_button = QPushButton(_("Print…"), self)
        self.print_button.setToolTip(
            _("Save the printable score sheet (PDF) with the signature line")
        )
        self.submit_button = QPushButton(_("Submit (Ctrl+Enter)"), self)
        self.submit_button.setObjectName("primaryButton")
        bottom.addStretch(1)
        bottom.addWidget(self.print_button)
        bottom.addWidget(self.undo_button)
        bottom.addWidget(self.redo_button)
        bottom.addWidget(self.submit_button)
        layout.addLayout(bottom)

        self.undo_button.clicked.connect(self.undo)
        self.redo_button.clicked.connect(self.redo)
        self.undo_stack.canUndoChanged.connect(self.undo_button.setEnabled)
        self.undo_stack.canRedoChanged.connect(self.redo_button.setEnabled)
        self.undo_button.setEnabled(self.undo_stack.canUndo())
        self.redo_button.setEnabled(self.undo_stack.canRedo())
        self.submit_button.clicked.connect(self.submit)
        self.print_button.clicked.connect(self.print_sheet)
        self.comment.textChanged.connect(self._comment_changed)
        self.opinion.textChanged.connect(self._opinion_changed)
        for text_field in (self.comment, self.opinion):
            text_field.installEventFilter(self)
        for keys, slot in (
            (QKeySequence.StandardKey.Undo, self.undo),
            (QKeySequence.StandardKey.Redo, self.redo),
            (QKeySequence("Ctrl+Return"), self.submit),
            (QKeySequence("Ctrl+Enter"), self.submit),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
        self.setEnabled(False)

    # ---------------------------------------------------------------- loading
    def load(self, project: Project, expert_id: int, dossier_id: int, actor: str = "") -> None:
        """Show an expert's sheet for a dossier (what is being typed in the one shown
        before is saved first)."""
        self.flush()
        self.project, self.actor = project, actor
        state = scoring.load_sheet(project, expert_id, dossier_id)
        # Writes still on their way (or failed and waiting for a retry) are what the
        # expert last entered: show them, not the older stored values.
        for change in self.saves.intended(expert_id, dossier_id):
            set_field(state, change.field, change.key, change.new)
        self.state = state
        self.rubric = scoring.rubric_of(project, state)
        context = queries.sheet_context(project, dossier_id)
        self.kind = context.applicant_kind
        self.min_opinion = context.min_opinion_length
        self.title.setText(f"{context.dossier_code}  {context.platform_name}")
        rubric_name = f"{self.rubric.name} · {self.rubric.version}"
        self.title.setToolTip(rubric_name)
        self.totals.setToolTip(rubric_name)
        self.undo_stack.clear()
        self.saves.saved_at = None
        self._build()
        self.setEnabled(True)
        self._refresh()

    @contextmanager
    def _quiet(self) -> Iterator[None]:
        """Widgets set from the sheet, not typed: their signals change nothing. Nests
        (restores what it found), so that an inner quiet block does not end an outer
        one too early."""
        was, self._loading = self._loading, True
        try:
            yield
        finally:
            self._loading = was

    def _build(self) -> None:
        assert self.rubric is not None and self.state is not None
        with self._quiet():
            self._build_widgets()
        first = next(iter(self.inputs.values()), None)
        if first is not None:
            self._show_help(self.rubric.criterion(first.objectName().removeprefix("points_")))

    def _build_widgets(self) -> None:
        assert self.rubric is not None and self.state is not None
        clear(self.grid)
        self.inputs.clear()
        self.band_labels.clear()
        self.problems.clear()
        for row in build_criteria(self.grid, self.body, self.rubric, self.kind, self.state.scores):
            criterion, edit = row.criterion, row.edit
            edit.installEventFilter(self)
            edit.textEdited.connect(lambda text, c=criterion: self._check_typed(c, text))
            edit.returnPressed.connect(lambda c=criterion: self._commit_and_move(c))
            edit.editingFinished.connect(lambda c=criterion: self._commit(c))
            self.inputs[criterion.id] = edit
            self.band_labels[criterion.id] = row.band
            self.problems[criterion.id] = row.problem
        self.criteria_scroll.verticalScrollBar().setValue(0)
        clear(self.veto_area)
        self.veto_boxes = build_vetoes(self.veto_area, self, self.rubric, self.state.vetoes)
        for veto_id, (box, reason) in self.veto_boxes.items():
            reason.installEventFilter(self)
            box.toggled.connect(lambda on, v=veto_id: self._veto_toggled(v, on))
            reason.textEdited.connect(lambda _text, v=veto_id: self._typed(VETO, v))
        self.opinion.setPlainText(self.state.opinion)
        self._update_veto_toggle()
        self.veto_frame.setVisible(bool(self.state.vetoes))
        self.veto_toggle.setChecked(bool(self.state.vetoes))

    def first_input(self) -> QLineEdit | None:
        """The input where scoring goes on: the first criterion without a score."""
        edits = list(self.inputs.values())
        return next((e for e in edits if not e.text().strip()), edits[0] if edits else None)

    # ------------------------------------------------------------- behaviour
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if watched is self.criteria_scroll.viewport():
            if kind == QEvent.Type.Resize:
                # The area shrank (a message elsewhere took a line): keep the field
                # being typed in in view.
                focused = self.focusWidget()
                if isinstance(focused, QLineEdit) and focused in self.inputs.values():
                    self.criteria_scroll.ensureWidgetVisible(focused, 8, 24)
            return super().eventFilter(watched, event)
        if kind == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            # The sheet's undo, not the field's own: what was saved is undone, a burst
            # of typing at a time.
            if event.matches(QKeySequence.StandardKey.Undo):
                self.undo()
                return True
            if event.matches(QKeySequence.StandardKey.Redo):
                self.redo()
                return True
        is_points = isinstance(watched, QLineEdit) and watched.objectName().startswith("points_")
        if is_points:
            assert isinstance(watched, QLineEdit)
            if kind == QEvent.Type.FocusIn and self.rubric is not None and not self._loading:
                self.criteria_scroll.ensureWidgetVisible(watched, 8, 24)
                self._show_help(self.rubric.criterion(watched.objectName().removeprefix("points_")))
            elif kind == QEvent.Type.KeyPress:
                assert isinstance(event, QKeyEvent)
                if event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                    self._move(watched, 1 if event.key() == Qt.Key.Key_Down else -1)
                    return True
        elif kind == QEvent.Type.FocusOut:
            self.flush()  # leaving a text field ends its burst of typing
        return super().eventFilter(watched, event)

    def _show_help(self, criterion: Criterion) -> None:
        if self._current is not None and self._current.id != criterion.id:
            self._end_bursts()  # the comment box is about to show another criterion
        self._current = criterion
        self.help_title.setText(
            f"{criterion.id} {criterion.name}（{criterion.max:g} 分，步长 {criterion.step:g}）"
        )
        bands = "<br>".join(
            f"<b>{b.level}</b> {b.min:g}–{b.max:g}：{b.descriptor}" for b in criterion.bands
        )
        guidance = f"<i>{criterion.guidance}</i><br>" if criterion.guidance else ""
        self.help_text.setText(guidance + bands)
        with self._quiet():
            self.comment.setPlainText(
                self.state.comments.get(criterion.id, "") if self.state else ""
            )

    @property
    def problem(self) -> QLabel | None:
        """The message shown for a refused value (of the current criterion first)."""
        if self._current is not None and self._current.id in self.problems:
            current = self.problems[self._current.id]
            if current.isVisibleTo(self.body):
                return current
        shown = [p for p in self.problems.values() if p.isVisibleTo(self.body)]
        return shown[-1] if shown else None

    def _show_problem(self, criterion: Criterion, text: str | None) -> None:
        label = self.problems.get(criterion.id)
        if label is None:
            return
        label.setText(text or "")
        label.setVisible(bool(text))
        edit = self.inputs[criterion.id]
        if text and edit.hasFocus():
            self.grid.activate()  # place the message before scrolling to it
            self.criteria_scroll.ensureWidgetVisible(label, 8, 8)
            self.criteria_scroll.ensureWidgetVisible(edit, 8, 8)

    def _check_typed(self, criterion: Criterion, text: str) -> str | None:
        """Show whether the typed text is a valid score; return the problem, if any."""
        edit = self.inputs[criterion.id]
        value = parse_points(text)
        problem = None
        if value is not None:
            if value != value:  # NaN: not a number
                problem = _("not a number")
            else:
                checked = criterion.check(value)
                problem = tr(checked[0], **checked[1]) if checked else None
        edit.setStyleSheet(_INVALID if problem else "")
        edit.setToolTip(problem or "")
        self._show_problem(
            criterion,
            tr("{name}: {problem}", name=criterion.id, problem=problem) if problem else None,
        )
        return problem

    def _commit(self, criterion: Criterion) -> bool:
        """Save the value in a criterion's input when it changed; False when invalid."""
        if self._loading or self.state is None or self.state.locked:
            return True
        edit = self.inputs.get(criterion.id)
        if edit is None:  # an echo from an input of the sheet shown before
            return True
        if self._check_typed(criterion, edit.text()):
            return False
        value = parse_points(edit.text())
        old = self.state.scores.get(criterion.id)
        if value != old:
            self._push(
                SheetChange(
                    self.state.expert_id, self.state.dossier_id, SCORE, criterion.id, old, value
                )
            )
        return True

    def _commit_and_move(self, criterion: Criterion) -> None:
        edit = self.inputs.get(criterion.id)
        if edit is not None and self._commit(criterion):
            self._move(edit, 1)

    def _move(self, edit: QLineEdit, step: int) -> None:
        edits = list(self.inputs.values())
        index = edits.index(edit) + step
        if 0 <= index < len(edits):
            edits[index].setFocus()
            edits[index].selectAll()
        elif index >= len(edits):
            self.opinion.setFocus()

    # ---------------------------------------------------------- text bursts
    def _comment_changed(self) -> None:
        if self._current is not None:
            self._typed(COMMENT, self._current.id)

    def _opinion_changed(self) -> None:
        self._update_opinion_count()
        self._typed(OPINION, "")

    def _typed(self, field: str, key: str) -> None:
        """Text was typed: open a burst for the field (remembering the text before it)
        and save when typing pauses, or at the latest after a second (TypingBursts)."""
        if self._loading or self.state is None or self.state.locked:
            return
        if field == VETO and not self.veto_boxes[key][0].isChecked():
            return
        self.bursts.typed(field, key, field_value(self.state, field, key))
        self._update_status()

    def _burst_due(self, paused: bool) -> None:
        if paused:
            self.flush()
        else:
            self._end_bursts(pause=False)  # saved, and typing goes on in the same step

    def _text_in_widget(self, field: str, key: str) -> str | None:
        if field == OPINION:
            return self.opinion.toPlainText()
        if field == COMMENT:
            return self.comment.toPlainText()
        box, reason = self.veto_boxes[key]
        return reason.text() if box.isChecked() else None

    def _end_bursts(self, *, pause: bool = True) -> None:
        """Make each open burst of typing one change: saved, and one undo step. With
        ``pause`` false (a save while typing goes on), the next save of the same field
        joins this one's undo step."""
        burst, bursts = self.bursts.take(pause=pause)
        if self.state is None or self.state.locked:
            return
        for (field, key), before in bursts.items():
            if field == COMMENT and (self._current is None or self._current.id != key):
                continue  # cannot happen: the box is flushed before it changes criterion
            if field == VETO and key not in self.veto_boxes:
                continue
            text = self._text_in_widget(field, key)
            if text != before:
                self._push(
                    SheetChange(
                        self.state.expert_id, self.state.dossier_id, field, key, before, text
                    ),
                    burst,
                )
        self._update_status()

    def flush(self) -> None:
        """End every burst of typing now and try failed saves again (on a pause, a
        focus-out, before another sheet is shown and on close)."""
        self._end_bursts()
        self.saves.retry_failed()
        self._update_status()

    def wait(self) -> None:
        """Flush, and return once every save has been written or has failed."""
        self.flush()
        self.saves.wait()

    def has_unsaved(self) -> bool:
        """True while something typed or entered is not yet confirmed as written."""
        return bool(self.bursts.open) or self.saves.pending()

    def failed_saves(self) -> list[tuple[SheetChange, BaseException]]:
        """The changes whose save failed, with why (kept until saved or discarded)."""
        return [(u.change, u.error) for u in self.saves.failed() if u.error is not None]

    def hideEvent(self, event: QHideEvent) -> None:
        self.flush()  # the page is left: what is being typed is saved
        super().hideEvent(event)

    # --------------------------------------------------------------- vetoes
    def _veto_toggled(self, veto_id: str, on: bool) -> None:
        _box, reason = self.veto_boxes[veto_id]
        reason.setEnabled(on)
        if self._loading or self.state is None or self.state.locked:
            return
        self._end_bursts()
        old = self.state.vetoes.get(veto_id)
        new = reason.text() if on else None
        if on:
            reason.setFocus()
        if new != old:
            self._push(
                SheetChange(self.state.expert_id, self.state.dossier_id, VETO, veto_id, old, new)
            )

    # ----------------------------------------------------- changes and saving
    def _push(self, change: SheetChange, burst: int | None = None) -> None:
        if burst is None:
            self.bursts.step()  # anything else in between ends a burst's step
        self.undo_stack.push(ChangeCommand(self, change, burst))

    def undo(self) -> None:
        """Undo the last change (a burst of typing ends first, and is what is undone)."""
        self._end_bursts()
        self.undo_stack.undo()

    def redo(self) -> None:
        """Redo the last change undone."""
        self._end_bursts()
        self.undo_stack.redo()

    def apply_change(self, change: SheetChange) -> None:
        """Make ``change`` what the sheet holds: shown at once, written in the
        background (redo and undo of the undo stack come here)."""
        if self.state is None or (change.expert_id, change.dossier_id) != (
            self.state.expert_id,
            self.state.dossier_id,
        ):
            return
        set_field(self.state, change.field, change.key, change.new)
        with self._quiet():
            self._show_change(change)
        assert self.project is not None
        self.saves.send(change, self.project, self.actor)
        self._refresh()

    def _show_change(self, change: SheetChange) -> None:
        if change.field == SCORE:
            edit = self.inputs.get(change.key)
            if edit is not None and parse_points(edit.text()) != change.new:
                edit.setText("" if change.new is None else f"{change.new:g}")
                edit.setStyleSheet("")
        elif change.field == COMMENT:
            if self._current is None or self._current.id != change.key:
                if self.rubric is not None:
                    self._show_help(self.rubric.criterion(change.key))
            elif self.comment.toPlainText() != (change.new or ""):
                self.comment.setPlainText(change.new or "")
                self.comment.moveCursor(self.comment.textCursor().MoveOperation.End)
        elif change.field == OPINION:
            if self.opinion.toPlainText() != (change.new or ""):
                self.opinion.setPlainText(change.new or "")
                self.opinion.moveCursor(self.opinion.textCursor().MoveOperation.End)
        elif change.field == VETO:
            box, reason = self.veto_boxes[change.key]
            box.setChecked(change.new is not None)
            reason.setEnabled(change.new is not None)
            if reason.text() != (change.new or ""):
                reason.setText(change.new or "")

    def discard_unsaved(self) -> None:
        """Give up the saves that failed (their project is closing)."""
        self.saves.discard_failed()

    def _on_saved(self, change: SheetChange) -> None:
        mark_draft(self.state, change)
        self.saved.emit()

    def _update_status(self) -> None:
        """Say truthfully where saving stands: failed, saving, saved, or locked."""
        text, failed = self.saves.status(
            typing=bool(self.bursts.open), locked=self.state is not None and self.state.locked
        )
        self.status.setStyleSheet(ERROR_TEXT if failed else "")
        self.status.setText(text)

    def _update_veto_toggle(self) -> None:
        count = len(self.state.vetoes) if self.state else 0
        self.veto_toggle.setText(tr("Veto items ({count} flagged)", count=count))

    def _update_opinion_count(self) -> None:
        n = len(self.opinion.toPlainText().strip())
        self.opinion_count.setText(tr("{n} characters (at least {min})", n=n, min=self.min_opinion))

    def _refresh(self) -> None:
        if self.rubric is None or self.state is None:
            return
        for criterion_id, label in self.band_labels.items():
            value = self.state.scores.get(criterion_id)
            band = self.rubric.criterion(criterion_id).band_of(value) if value is not None else None
            label.setText(band.level if band else "")
        totals = self.rubric.stage_totals(self.state.scores, self.kind)
        parts = [
            f"{s.name} {totals[s.key]:g}/{self.rubric.stage_max(s.key, self.kind):g}"
            for s in self.rubric.stages
        ]
        total = self.rubric.weighted_total(self.state.scores, self.kind)
        self.totals.setText("　".join(parts) + "　" + tr("Total {total}", total=f"{total:.2f}"))
        locked = self.state.locked
        for edit in self.inputs.values():
            edit.setReadOnly(locked)
        self.opinion.setReadOnly(locked)
        self.comment.setReadOnly(locked)
        for box, reason in self.veto_boxes.values():
            box.setEnabled(not locked)
            reason.setReadOnly(locked)
        self.submit_button.setEnabled(not locked)
        self._update_veto_toggle()
        self._update_opinion_count()
        self._update_status()

    def print_sheet(self) -> None:
        """Save the printable score sheet as a PDF where the user chooses; the core
        writes it, in the background."""
        from pathlib import Path

        from PySide6.QtWidgets import QFileDialog

        from review_desk.documents.score_sheet_pdf import write_score_sheet_pdf

        from ui.operations import run_operation

        if self.project is None or self.state is None:
            return
        self.wait()  # the PDF shows what was entered
        path, _filter = QFileDialog.getSaveFileName(
            self, _("Save the score sheet"), _("评分表.pdf"), _("PDF files (*.pdf)")
        )
        if not path:
            return
        project, expert_id, dossier_id = self.project, self.state.expert_id, self.state.dossier_id
        self.print_operation = run_operation(
            self,
            _("Writing the score sheet…"),
            lambda _progress: write_score_sheet_pdf(project, expert_id, dossier_id, Path(path)),
            lambda _sheet: self.status.setText(tr("Saved {path}", path=path)),
            lambda error: QMessageBox.warning(self, _("Score sheet"), str(error)),
        )

    # ------------------------------------------------------------ submission
    def submit(self) -> None:
        """Submit the sheet after a confirmation, once everything entered is saved."""
        if self.project is None or self.state is None or self.state.locked:
            return
        assert self.rubric is not None
        for criterion_id in self.inputs:  # save what is typed but not yet committed
            if not self._commit(self.rubric.criterion(criterion_id)):
                return
        self._end_bursts()
        missing = scoring.missing_for_submit(self.state, self.rubric, self.kind, self.min_opinion)
        if missing:
            QMessageBox.warning(self, _("Cannot submit yet"), "\n".join(missing))
            return
        answer = QMessageBox.question(
            self,
            _("Submit the score sheet"),
            _("After submission the sheet is locked; only the agency can reopen it. Submit?"),
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        # Only what was written can be submitted: wait for the writes, and stop at a
        # failed one (its text stays here, unsaved, and is tried again).
        self.wait()
        sheet = (self.state.expert_id, self.state.dossier_id)
        failed = self.saves.failed(sheet)
        if failed:
            QMessageBox.warning(self, _("Cannot submit yet"), str(failed[-1].error))
            return
        project, actor = self.project, self.actor
        self.saves.put(lambda: scoring.submit(project, sheet[0], sheet[1], actor=actor), sheet)
        self.submit_button.setEnabled(False)
        self.status.setText(_("Submitting…"))

    def _on_submitted(self, job: Job, result: object, error: BaseException | None) -> None:
        current = self.state
        here = current is not None and (current.expert_id, current.dossier_id) == job.tag
        if error is not None:
            if here:
                self.submit_button.setEnabled(True)
                self._update_status()
            QMessageBox.warning(self, _("Cannot submit yet"), str(error))
            return
        if here:
            assert isinstance(result, scoring.SheetState)
            self.state = result
            self.undo_stack.clear()
            self._refresh()
        self.submitted.emit()
