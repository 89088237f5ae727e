"""The score form of the expert's desk: one input per criterion, keyboard-first (type a
number, Enter saves and moves on), range and step checked as you type, band descriptors
and guidance for the current criterion at hand, live totals, the review opinion, veto
flags, autosave of every change with undo and redo, and submission."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTime, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut, QUndoCommand, QUndoStack
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
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from review_desk import scoring
from review_desk.i18n import _, tr
from review_desk.project import Project
from review_desk.sheet_changes import COMMENT, OPINION, SCORE, VETO, SheetChange
from scoring_models.rubric import Criterion, Rubric

_INVALID = "QLineEdit { border: 2px solid #d92d20; background: #fef3f2; }"


def parse_points(text: str) -> float | None:
    """Return the number typed (full-width digits and a comma decimal accepted)."""
    import unicodedata

    cleaned = unicodedata.normalize("NFKC", text).strip().replace(",", ".")
    if not cleaned:
        return None
    try:
        return float(cleaned)
    except ValueError:
        return float("nan")


class _ChangeCommand(QUndoCommand):
    """Wraps a SheetChange: redo writes it, undo writes its inverse."""

    def __init__(self, form: ScoreForm, change: SheetChange) -> None:
        super().__init__(tr("Change {field} {key}", field=change.field, key=change.key))
        self.form, self.change = form, change

    def redo(self) -> None:
        self.form.write(self.change)

    def undo(self) -> None:
        self.form.write(self.change.inverse())


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
        self.veto_boxes: dict[str, tuple[QCheckBox, QLineEdit]] = {}
        self._current: Criterion | None = None
        self._loading = False

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel("-", self)
        self.title.setObjectName("cardTitle")
        self.title.setWordWrap(True)
        self.subtitle = QLabel("", self)
        self.subtitle.setObjectName("muted")
        self.subtitle.setWordWrap(True)
        self.totals = QLabel("", self)
        self.totals.setObjectName("totals")
        self.totals.setWordWrap(True)
        for widget in (self.title, self.subtitle, self.totals):
            layout.addWidget(widget)

        split = QSplitter(Qt.Orientation.Vertical, self)
        self.scroll = QScrollArea(split)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.body = QWidget(self.scroll)
        self.grid = QGridLayout(self.body)
        self.grid.setColumnStretch(1, 1)
        self.grid.setVerticalSpacing(4)
        self.scroll.setWidget(self.body)
        split.addWidget(self.scroll)

        help_frame = QFrame(split)
        help_frame.setObjectName("card")
        help_layout = QVBoxLayout(help_frame)
        help_layout.setContentsMargins(10, 8, 10, 8)
        self.help_title = QLabel("", help_frame)
        self.help_title.setObjectName("cardTitle")
        self.help_text = QLabel("", help_frame)
        self.help_text.setWordWrap(True)
        self.help_text.setTextFormat(Qt.TextFormat.RichText)
        self.comment = QPlainTextEdit(help_frame)
        self.comment.setPlaceholderText(_("Comment on this criterion (optional)"))
        self.comment.setMaximumHeight(60)
        self.comment.setTabChangesFocus(True)
        help_scroll = QScrollArea(help_frame)
        help_scroll.setWidgetResizable(True)
        help_scroll.setFrameShape(QFrame.Shape.NoFrame)
        help_scroll.setWidget(self.help_text)
        for widget in (self.help_title, help_scroll, self.comment):
            help_layout.addWidget(widget)
        split.addWidget(help_frame)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setSizes([420, 170])
        self.comment.setMaximumHeight(48)
        layout.addWidget(split, 1)

        self.opinion = QPlainTextEdit(self)
        self.opinion.setPlaceholderText(_("Overall review opinion (评审意见)"))
        self.opinion.setMaximumHeight(64)
        self.opinion.setTabChangesFocus(True)
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
        self.status = QLabel("", self)
        self.status.setObjectName("muted")
        self.undo_button = QPushButton(_("Undo"), self)
        self.redo_button = QPushButton(_("Redo"), self)
        self.print_button = QPushButton(_("Print…"), self)
        self.print_button.setToolTip(
            _("Save the printable score sheet (PDF) with the signature line")
        )
        self.submit_button = QPushButton(_("Submit (Ctrl+Enter)"), self)
        self.submit_button.setObjectName("primaryButton")
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.print_button)
        bottom.addWidget(self.undo_button)
        bottom.addWidget(self.redo_button)
        bottom.addWidget(self.submit_button)
        layout.addLayout(bottom)

        self.undo_button.clicked.connect(self.undo_stack.undo)
        self.redo_button.clicked.connect(self.undo_stack.redo)
        self.undo_stack.canUndoChanged.connect(self.undo_button.setEnabled)
        self.undo_stack.canRedoChanged.connect(self.redo_button.setEnabled)
        self.submit_button.clicked.connect(self.submit)
        self.print_button.clicked.connect(self.print_sheet)
        self.comment.textChanged.connect(self._comment_changed)
        self.opinion.textChanged.connect(self._opinion_changed)
        for keys, slot in (
            (QKeySequence.StandardKey.Undo, self.undo_stack.undo),
            (QKeySequence.StandardKey.Redo, self.undo_stack.redo),
            (QKeySequence("Ctrl+Return"), self.submit),
            (QKeySequence("Ctrl+Enter"), self.submit),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
        self.setEnabled(False)

    # ---------------------------------------------------------------- loading
    def load(self, project: Project, expert_id: int, dossier_id: int, actor: str = "") -> None:
        """Show an expert's sheet for a dossier."""
        from sqlalchemy import select

        from review_desk.storage import models as m

        self.project, self.actor = project, actor
        self.state = scoring.load_sheet(project, expert_id, dossier_id)
        self.rubric = scoring.rubric_of(project, self.state)
        with project.reading() as session:
            dossier = session.get(m.Dossier, dossier_id)
            assert dossier is not None
            self.kind = dossier.lead_applicant.kind
            self.title.setText(f"{dossier.code}  {dossier.platform_name}")
            self.min_opinion = session.scalars(select(m.ReviewProject)).one().min_opinion_length
        self.subtitle.setText(f"{self.rubric.name} · {self.rubric.version}")
        self.undo_stack.clear()
        self._build()
        self.setEnabled(True)
        self._refresh()

    def _build(self) -> None:
        assert self.rubric is not None and self.state is not None
        self._loading = True
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget():
                item.widget().hide()  # gives up focus now, not when deleted later
                item.widget().deleteLater()
        self.inputs.clear()
        self.band_labels.clear()
        row = 0
        stage_names = {s.key: s.name for s in self.rubric.stages}
        for group in self.rubric.groups:
            applicable = [c for c in group.criteria if c.applies(self.kind)]
            if not applicable:
                continue
            header = QLabel(f"{group.id}  {group.name}", self.body)
            header.setObjectName("groupHeader")
            header.show()
            self.grid.addWidget(header, row, 0, 1, 4)
            row += 1
            for criterion in applicable:
                label = QLabel(f"{criterion.id}  {criterion.name}", self.body)
                label.setToolTip(stage_names.get(criterion.stage, criterion.stage))
                edit = QLineEdit(self.body)
                edit.setObjectName(f"points_{criterion.id}")
                edit.setFixedWidth(70)
                edit.setAlignment(Qt.AlignmentFlag.AlignRight)
                edit.setPlaceholderText("0–" + f"{criterion.max:g}")
                value = self.state.scores.get(criterion.id)
                edit.setText("" if value is None else f"{value:g}")
                edit.installEventFilter(self)
                edit.textEdited.connect(lambda text, c=criterion: self._check_typed(c, text))
                edit.returnPressed.connect(lambda c=criterion: self._commit_and_move(c))
                edit.editingFinished.connect(lambda c=criterion: self._commit(c))
                label.setBuddy(edit)
                maximum = QLabel(f"/ {criterion.max:g}", self.body)
                band = QLabel("", self.body)
                band.setObjectName("muted")
                band.setMinimumWidth(28)
                self.grid.addWidget(label, row, 1)
                self.grid.addWidget(edit, row, 2)
                self.grid.addWidget(maximum, row, 3)
                self.grid.addWidget(band, row, 0)
                self.inputs[criterion.id] = edit
                self.band_labels[criterion.id] = band
                for widget in (label, edit, maximum, band):
                    widget.show()  # at once, so that focus can go to the new inputs
                row += 1
        self.grid.setRowStretch(row, 1)
        while self.veto_area.count():
            item = self.veto_area.takeAt(0)
            if item.layout():
                while item.layout().count():
                    child = item.layout().takeAt(0)
                    if child.widget():
                        child.widget().deleteLater()
        self.veto_boxes.clear()
        for veto in self.rubric.vetoes:
            line = QHBoxLayout()
            box = QCheckBox(tr("Veto: {name}", name=veto.name), self)
            box.setToolTip(veto.description)
            reason = QLineEdit(self)
            reason.setPlaceholderText(_("reason for the veto"))
            current = self.state.vetoes.get(veto.id)
            box.setChecked(current is not None)
            reason.setText(current or "")
            reason.setEnabled(current is not None)
            box.toggled.connect(lambda on, v=veto.id: self._veto_toggled(v, on))
            reason.editingFinished.connect(lambda v=veto.id: self._veto_reason(v))
            line.addWidget(box)
            line.addWidget(reason, 1)
            self.veto_area.addLayout(line)
            self.veto_boxes[veto.id] = (box, reason)
        self.opinion.setPlainText(self.state.opinion)
        self._update_veto_toggle()
        self.veto_frame.setVisible(bool(self.state.vetoes))
        self.veto_toggle.setChecked(bool(self.state.vetoes))
        self._loading = False
        first = next(iter(self.inputs.values()), None)
        if first is not None:
            self._show_help(self.rubric.criterion(first.objectName().removeprefix("points_")))

    # ------------------------------------------------------------- behaviour
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if isinstance(watched, QLineEdit) and watched.objectName().startswith("points_"):
            if event.type() == QEvent.Type.FocusIn and self.rubric is not None:
                self._show_help(self.rubric.criterion(watched.objectName().removeprefix("points_")))
            elif event.type() == QEvent.Type.KeyPress:
                assert isinstance(event, QKeyEvent)
                # The sheet's undo, not the line edit's own: a keystroke saved is undone.
                if event.matches(QKeySequence.StandardKey.Undo):
                    self.undo_stack.undo()
                    return True
                if event.matches(QKeySequence.StandardKey.Redo):
                    self.undo_stack.redo()
                    return True
                if event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                    self._move(watched, 1 if event.key() == Qt.Key.Key_Down else -1)
                    return True
        return super().eventFilter(watched, event)

    def _show_help(self, criterion: Criterion) -> None:
        self._current = criterion
        self.help_title.setText(
            f"{criterion.id} {criterion.name}（{criterion.max:g} 分，步长 {criterion.step:g}）"
        )
        bands = "<br>".join(
            f"<b>{b.level}</b> {b.min:g}–{b.max:g}：{b.descriptor}" for b in criterion.bands
        )
        guidance = f"<i>{criterion.guidance}</i><br>" if criterion.guidance else ""
        self.help_text.setText(guidance + bands)
        self._loading = True
        self.comment.setPlainText(self.state.comments.get(criterion.id, "") if self.state else "")
        self._loading = False

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
        self.status.setText(
            tr("{name}: {problem}", name=criterion.id, problem=problem) if problem else ""
        )
        return problem

    def _commit(self, criterion: Criterion) -> bool:
        """Save the value in a criterion's input when it changed; False when invalid."""
        if self._loading or self.state is None or self.state.locked:
            return True
        edit = self.inputs[criterion.id]
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
        if self._commit(criterion):
            self._move(self.inputs[criterion.id], 1)

    def _move(self, edit: QLineEdit, step: int) -> None:
        edits = list(self.inputs.values())
        index = edits.index(edit) + step
        if 0 <= index < len(edits):
            edits[index].setFocus()
            edits[index].selectAll()
        elif index >= len(edits):
            self.opinion.setFocus()

    def _comment_changed(self) -> None:
        if self._loading or self.state is None or self._current is None or self.state.locked:
            return
        key = self._current.id
        old = self.state.comments.get(key, "")
        new = self.comment.toPlainText()
        if new != old:
            self.write(
                SheetChange(self.state.expert_id, self.state.dossier_id, COMMENT, key, old, new)
            )

    def _opinion_changed(self) -> None:
        self._update_opinion_count()
        if self._loading or self.state is None or self.state.locked:
            return
        new = self.opinion.toPlainText()
        if new != self.state.opinion:
            # Typing is saved as it goes; undo works on scores and flags, not letters.
            self.write(
                SheetChange(
                    self.state.expert_id,
                    self.state.dossier_id,
                    OPINION,
                    "",
                    self.state.opinion,
                    new,
                )
            )

    def _veto_toggled(self, veto_id: str, on: bool) -> None:
        _box, reason = self.veto_boxes[veto_id]
        reason.setEnabled(on)
        if self._loading or self.state is None or self.state.locked:
            return
        old = self.state.vetoes.get(veto_id)
        new = reason.text() if on else None
        if on:
            reason.setFocus()
        if new != old:
            self._push(
                SheetChange(self.state.expert_id, self.state.dossier_id, VETO, veto_id, old, new)
            )

    def _veto_reason(self, veto_id: str) -> None:
        box, reason = self.veto_boxes[veto_id]
        if self._loading or self.state is None or not box.isChecked() or self.state.locked:
            return
        old = self.state.vetoes.get(veto_id)
        if reason.text() != old:
            self._push(
                SheetChange(
                    self.state.expert_id, self.state.dossier_id, VETO, veto_id, old, reason.text()
                )
            )

    def _push(self, change: SheetChange) -> None:
        self.undo_stack.push(_ChangeCommand(self, change))

    def write(self, change: SheetChange) -> None:
        """Apply a change durably, then show it as saved (or say why it failed)."""
        assert self.project is not None and self.state is not None
        try:
            change.apply(self.project, self.actor)
        except scoring.ScoringError as error:
            self.status.setText(str(error))
            QMessageBox.warning(self, _("Cannot save"), str(error))
            return
        if change.field == SCORE:
            if change.new is None:
                self.state.scores.pop(change.key, None)
            else:
                self.state.scores[change.key] = change.new
            edit = self.inputs.get(change.key)
            if edit is not None and parse_points(edit.text()) != change.new:
                edit.setText("" if change.new is None else f"{change.new:g}")
        elif change.field == COMMENT:
            self.state.comments[change.key] = change.new or ""
        elif change.field == OPINION:
            self.state.opinion = change.new or ""
        elif change.field == VETO:
            if change.new is None:
                self.state.vetoes.pop(change.key, None)
            else:
                self.state.vetoes[change.key] = change.new
            box, reason = self.veto_boxes[change.key]
            self._loading = True
            box.setChecked(change.new is not None)
            reason.setText(change.new or "")
            self._loading = False
        if self.state.status == scoring.NOT_STARTED:
            self.state.status = scoring.DRAFT
        self.status.setText(tr("Saved {time}", time=QTime.currentTime().toString("HH:mm:ss")))
        self._refresh()
        self.saved.emit()

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
        if locked:
            self.status.setText(_("Submitted: the sheet is locked."))
        self._update_opinion_count()

    def print_sheet(self) -> None:
        """Save the printable score sheet as a PDF where the user chooses."""
        from pathlib import Path

        from PySide6.QtWidgets import QFileDialog

        from ui.printing import write_score_sheet_pdf

        if self.project is None or self.state is None:
            return
        path, _filter = QFileDialog.getSaveFileName(
            self, _("Save the score sheet"), _("评分表.pdf"), _("PDF files (*.pdf)")
        )
        if path:
            write_score_sheet_pdf(
                self.project, self.state.expert_id, self.state.dossier_id, Path(path)
            )
            self.status.setText(tr("Saved {path}", path=path))

    def submit(self) -> None:
        """Submit the sheet after a confirmation."""
        if self.project is None or self.state is None or self.state.locked:
            return
        for criterion_id in self.inputs:  # save what is typed but not yet committed
            if not self._commit(self.rubric.criterion(criterion_id)):  # type: ignore[union-attr]
                return
        assert self.rubric is not None
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
        try:
            self.state = scoring.submit(
                self.project, self.state.expert_id, self.state.dossier_id, actor=self.actor
            )
        except scoring.ScoringError as error:
            QMessageBox.warning(self, _("Cannot submit yet"), str(error))
            return
        self.undo_stack.clear()
        self._refresh()
        self.submitted.emit()
