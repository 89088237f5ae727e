"""The scoring desk's saves: every change to a sheet goes to one serial writer and
stays unsaved until the writer confirms it. A failed save keeps the value the expert
meant, is shown, and is tried again; the status line says truthfully where saving
stands (failed, saving, saved at, submitted).

Also the undo command the desk pushes for each change: redo writes it, undo writes its
inverse, and the saves of one burst of typing merge into one undo step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from PySide6.QtCore import QElapsedTimer, QObject, QTime, QTimer, Signal
from PySide6.QtGui import QUndoCommand

from review_desk import scoring
from review_desk.i18n import _, tr
from review_desk.project import Project
from review_desk.sheet_changes import SheetChange

from ui.serial_writer import Job, SerialWriter

RETRY_MS = 5000  # a failed save is tried again after this long, if nothing else did
PAUSE_MS = 1000  # typing that pauses this long is saved: the burst ends
MAX_UNSAVED_MS = 1000  # text typed without a pause is saved at least this often (a kill
# loses at most a second); such saves within one burst stay one undo step

FieldKey = tuple[int, int, str, str]  # expert, dossier, field, key


def key_of(change: SheetChange) -> FieldKey:
    """The field a change is about, across sheets."""
    return (change.expert_id, change.dossier_id, change.field, change.key)


@dataclass
class Unsaved:
    """The latest intended value of one field, not yet confirmed as written, and where
    it goes (a retry writes to the project it was made in, whatever is shown now)."""

    change: SheetChange
    seq: int
    project: Project
    actor: str
    error: BaseException | None = None


class SheetSaves(QObject):
    """The writes of one desk. ``saved(change)`` when one is confirmed, ``changed()``
    whenever where saving stands may have changed, ``retry_due()`` when failed saves
    should be tried again, ``job_done(job, result, error)`` for other work given to
    :meth:`put` (a submission)."""

    saved = Signal(object)
    changed = Signal()
    retry_due = Signal()
    job_done = Signal(object, object, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._unsaved: dict[FieldKey, Unsaved] = {}
        self.saved_at: QTime | None = None
        self._writer = SerialWriter()
        self._writer.finished.connect(self._on_written)
        self._retry_timer = QTimer(self)
        self._retry_timer.setSingleShot(True)
        self._retry_timer.setInterval(RETRY_MS)
        self._retry_timer.timeout.connect(self.retry_due)

    def send(self, change: SheetChange, project: Project, actor: str) -> None:
        """Hand a change to the writer; it stays unsaved until the writer confirms."""
        job = self._writer.put(lambda: change.apply(project, actor), tag=change)
        self._unsaved[key_of(change)] = Unsaved(change, job.seq, project, actor)
        self.changed.emit()

    def put(self, work: Callable[[], Any], tag: tuple[int, int]) -> None:
        """Queue other work behind the saves (its outcome comes as ``job_done``)."""
        self._writer.put(work, tag=tag)

    def retry_failed(self) -> None:
        """Send the failed saves again."""
        self._retry_timer.stop()
        for unsaved in list(self._unsaved.values()):
            if unsaved.error is not None:
                self.send(unsaved.change, unsaved.project, unsaved.actor)

    def wait(self) -> None:
        """Return once every save has been written or has failed."""
        self._writer.wait()

    def pending(self) -> bool:
        """True while a change is not yet confirmed as written."""
        return bool(self._unsaved)

    def failed(self, sheet: tuple[int, int] | None = None) -> list[Unsaved]:
        """The saves that failed (of one sheet, when given), kept until saved."""
        return [
            u
            for k, u in self._unsaved.items()
            if u.error is not None and (sheet is None or (k[0], k[1]) == sheet)
        ]

    def intended(self, expert_id: int, dossier_id: int) -> list[SheetChange]:
        """The changes to a sheet not yet confirmed: what the expert last entered."""
        return [
            u.change
            for u in self._unsaved.values()
            if (u.change.expert_id, u.change.dossier_id) == (expert_id, dossier_id)
        ]

    def discard_failed(self) -> None:
        """Give up the saves that failed (their project is closing)."""
        self._unsaved = {k: u for k, u in self._unsaved.items() if u.error is None}
        self._retry_timer.stop()
        self.changed.emit()

    def status(self, *, typing: bool, locked: bool) -> tuple[str, bool]:
        """The status line's text, and whether it reports a failure."""
        failed = self.failed()
        if failed:
            return (
                tr(
                    "Not saved: {error}. What you entered is kept and saved again shortly.",
                    error=str(failed[-1].error).rstrip("。."),
                ),
                True,
            )
        if typing or self._unsaved:
            return _("Saving…"), False
        if locked:
            return _("Submitted: the sheet is locked."), False
        if self.saved_at is not None:
            return tr("Saved {time}", time=self.saved_at.toString("HH:mm:ss")), False
        return "", False

    def _on_written(self, job: Job, result: object, error: BaseException | None) -> None:
        if not isinstance(job.tag, SheetChange):
            self.job_done.emit(job, result, error)
            return
        change = job.tag
        unsaved = self._unsaved.get(key_of(change))
        if unsaved is None or unsaved.seq != job.seq:
            return  # a later write of the same field decides
        if error is not None:
            unsaved.error = error  # kept as intended, tried again on the next flush
            self._retry_timer.start()
        else:
            del self._unsaved[key_of(change)]
            self.saved_at = QTime.currentTime()
        self.changed.emit()
        if error is None:
            self.saved.emit(change)


class TypingBursts(QObject):
    """Bursts of typing in a form's text fields, saved like a text editor saves: when
    typing pauses for PAUSE_MS, or at the latest MAX_UNSAVED_MS after the burst began.
    ``open`` maps each field typed in, (field, key), to its text before the burst;
    ``number`` is the undo step the burst's saves join. ``due(paused)`` says a save is
    due: at a pause (the burst ends), or within a burst that goes on."""

    due = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.open: dict[tuple[str, str], Any] = {}
        self.number = 0
        self._checkpoint = False  # the timer runs for a save within a burst, not a pause
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(lambda: self.due.emit(not self._checkpoint))
        self._clock = QElapsedTimer()

    def typed(self, field: str, key: str, before: Any) -> None:
        """Text was typed in a field whose value was ``before`` (kept from the first
        keystroke of the burst)."""
        if not self.open:
            self._clock.start()
        self.open.setdefault((field, key), before)
        until_checkpoint = MAX_UNSAVED_MS - self._clock.elapsed()
        self._checkpoint = until_checkpoint < PAUSE_MS
        self._timer.start(max(0, min(PAUSE_MS, until_checkpoint)))

    def take(self, *, pause: bool = True) -> tuple[int, dict[tuple[str, str], Any]]:
        """End the open bursts: return their undo step and what each field held before.
        Without ``pause`` (a save while typing goes on) the next save joins that step."""
        self._timer.stop()
        opened, self.open = self.open, {}
        number = self.number
        if pause:
            self.number += 1
        return number, opened

    def step(self) -> None:
        """Something other than typing happened: the next typing is a new undo step."""
        self.number += 1


class Applies(Protocol):
    """What an undo command writes its change through (the score form)."""

    def apply_change(self, change: SheetChange) -> None: ...


class ChangeCommand(QUndoCommand):
    """Wraps a SheetChange: redo applies it, undo applies its inverse. The saves of one
    burst of typing (``burst`` is its number) merge into one command: one undo step."""

    MERGEABLE = 1

    def __init__(self, form: Applies, change: SheetChange, burst: int | None = None) -> None:
        super().__init__(tr("Change {field} {key}", field=change.field, key=change.key))
        self.form, self.change, self.burst = form, change, burst

    def id(self) -> int:
        return -1 if self.burst is None else self.MERGEABLE

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, ChangeCommand) or other.burst != self.burst:
            return False
        if key_of(other.change) != key_of(self.change):
            return False
        self.change = replace(self.change, new=other.change.new)
        return True

    def redo(self) -> None:
        self.form.apply_change(self.change)

    def undo(self) -> None:
        self.form.apply_change(self.change.inverse())


def mark_draft(state: scoring.SheetState | None, change: SheetChange) -> None:
    """A sheet that was not started is a draft once a change to it is saved."""
    if (
        state is not None
        and (state.expert_id, state.dossier_id) == (change.expert_id, change.dossier_id)
        and state.status == scoring.NOT_STARTED
    ):
        state.status = scoring.DRAFT
