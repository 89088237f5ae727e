"""Background operations: the UI thread can wait for one without deadlocking, and the
result still arrives on the UI thread afterwards."""

from __future__ import annotations

import time

from PySide6.QtWidgets import QWidget


def test_wait_returns_while_the_ui_thread_waits(qtbot) -> None:  # type: ignore[no-untyped-def]
    from ui.operations import run_operation

    parent = QWidget()
    qtbot.addWidget(parent)
    results: list[object] = []

    def work(progress):  # type: ignore[no-untyped-def]
        progress(0, 1, "")
        time.sleep(0.2)
        return 42

    operation = run_operation(parent, "test", work, results.append, results.append)
    operation.wait()  # no event processing in between: must not wait for itself
    assert results == []  # the result is handed over on the UI thread, not before
    qtbot.waitUntil(lambda: results == [42], timeout=2000)


# One progress/cancel protocol and "what changed" -----------------------------------


def _operation(qtbot, work, changes=None):  # type: ignore[no-untyped-def]
    from review_desk.changes import NOTHING

    from ui.operations import Operation

    parent = QWidget()
    qtbot.addWidget(parent)
    operation = Operation(parent, "test", work, changes or NOTHING)
    seen: dict[str, list[object]] = {"done": [], "error": [], "cancelled": [], "changed": []}
    operation.done.connect(seen["done"].append)
    operation.error.connect(seen["error"].append)
    operation.cancelled.connect(lambda: seen["cancelled"].append(True))
    operation.changed.connect(seen["changed"].append)
    return operation, seen, parent  # the caller keeps the parent (and so the operation)


def test_an_outcome_hands_over_its_result_and_its_changes(qtbot) -> None:  # type: ignore[no-untyped-def]
    from review_desk.changes import Changes, Outcome

    reported: list[tuple[int, int, str]] = []

    def work(progress):  # type: ignore[no-untyped-def]
        progress(1, 2, "half")
        return Outcome("result", Changes(adjustments=True))

    operation, seen, _parent = _operation(qtbot, work)
    operation._worker.progressed.connect(lambda *args: reported.append(args))
    with qtbot.waitSignal(operation.ended, timeout=5000):
        operation.start()
    assert seen["done"] == ["result"]
    assert seen["changed"] == [Changes(adjustments=True)]
    assert reported == [(1, 2, "half")]


def test_the_declared_changes_come_only_after_success(qtbot) -> None:  # type: ignore[no-untyped-def]
    from review_desk.changes import Changes

    operation, seen, _parent = _operation(qtbot, lambda progress: 7, Changes(scores=True))
    with qtbot.waitSignal(operation.ended, timeout=5000):
        operation.start()
    assert seen["done"] == [7] and seen["changed"] == [Changes(scores=True)]

    def fail(progress):  # type: ignore[no-untyped-def]
        raise ValueError("no")

    operation, seen, _parent = _operation(qtbot, fail, Changes(scores=True))
    with qtbot.waitSignal(operation.ended, timeout=5000):
        operation.start()
    assert [str(e) for e in seen["error"]] == ["no"]
    assert seen["done"] == [] and seen["changed"] == []


def test_cancelling_raises_in_the_work_at_its_next_report(qtbot) -> None:  # type: ignore[no-untyped-def]
    import threading

    from review_desk.changes import Changes
    from review_desk.progress import Cancelled

    started, release = threading.Event(), threading.Event()
    stopped: list[bool] = []

    def work(progress):  # type: ignore[no-untyped-def]
        started.set()
        release.wait(5)
        try:
            progress(1, 2, "")
        except Cancelled:
            stopped.append(True)
            raise
        return "finished"

    operation, seen, _parent = _operation(qtbot, work, Changes(scores=True))
    operation.start()
    assert started.wait(5)
    operation.cancel()
    release.set()
    qtbot.waitUntil(lambda: bool(seen["cancelled"]), timeout=5000)
    assert stopped == [True]
    assert seen["done"] == [] and seen["error"] == [] and seen["changed"] == []


# The page base class owns the lifecycle ----------------------------------------------


def _page(qtbot, tmp_path):  # type: ignore[no-untyped-def]
    from review_desk.project import Project

    from ui.pages.base import Page

    class Probe(Page):
        key = "overview"

        def __init__(self) -> None:
            super().__init__("")
            self.loads = 0
            self.watch = "experts"

        def load(self) -> None:
            self.loads += 1

        def affected_by(self, changes):  # type: ignore[no-untyped-def]
            return bool(getattr(changes, self.watch))

    page = Probe()
    qtbot.addWidget(page)
    project = Project.create(tmp_path / "p.rdp", name="测试")
    page.set_project(project)
    return page, project


def test_one_page_operation_at_a_time_errors_on_its_bar(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import threading

    from review_desk.changes import Changes

    page, project = _page(qtbot, tmp_path)
    release = threading.Event()
    done: list[object] = []
    changed: list[object] = []
    page.changed.connect(changed.append)

    def slow(progress):  # type: ignore[no-untyped-def]
        release.wait(5)
        return "first"

    first = page.start_operation("t", slow, done.append, changes=Changes(experts=True))
    assert first is not None and page.busy()
    assert page.start_operation("t", lambda progress: "second", done.append) is None
    release.set()
    page.wait()
    assert not page.busy() and done == ["first"] and changed == [Changes(experts=True)]

    def fail(progress):  # type: ignore[no-untyped-def]
        raise OSError(28, "No space left on device")

    page.start_operation("t", fail, done.append)
    page.wait()
    assert page.message_bar.level == "error" and "磁盘空间不足" in page.message_bar.label.text()
    assert done == ["first"]
    project.close()


def test_a_defect_in_a_page_operation_goes_to_the_error_hook(qtbot, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import sys

    page, project = _page(qtbot, tmp_path)
    hooked: list[BaseException] = []
    monkeypatch.setattr(sys, "excepthook", lambda _type, error, _tb: hooked.append(error))

    def buggy(progress):  # type: ignore[no-untyped-def]
        return {}["missing"]

    page.start_operation("t", buggy, lambda _result: None)
    page.wait()
    assert [type(e) for e in hooked] == [KeyError]
    assert page.message_bar.isHidden()  # not a sentence for the user
    project.close()


def test_cancel_work_stops_the_page_operation(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import threading

    page, project = _page(qtbot, tmp_path)
    started, release = threading.Event(), threading.Event()
    cancelled: list[bool] = []

    def work(progress):  # type: ignore[no-untyped-def]
        started.set()
        release.wait(5)
        progress(1, 1, "")
        return "never"

    page.start_operation("t", work, cancelled.append, on_cancelled=lambda: cancelled.append(True))
    assert started.wait(5)
    page.cancel_work()
    release.set()
    page.wait()
    assert cancelled == [True] and not page.busy()
    project.close()


def test_a_hidden_page_reads_a_change_when_next_shown(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from review_desk.changes import Changes

    page, project = _page(qtbot, tmp_path)
    assert page.loads == 1
    page.on_changes(Changes(scores=True))  # not what it shows
    page.on_changes(Changes(experts=True), source=page)  # its own: refreshed already
    assert page.loads == 1 and not page.stale
    page.on_changes(Changes(experts=True))
    assert page.stale and page.loads == 1  # hidden: later
    page.show()
    qtbot.waitExposed(page)
    assert page.loads == 2 and not page.stale
    page.on_changes(Changes(experts=True))  # visible: at once
    assert page.loads == 3
    project.close()


def test_a_quick_operation_leaves_no_progress_dialog_to_pop_up(qtbot) -> None:  # type: ignore[no-untyped-def]
    """QProgressDialog arms its own timer at the first progress report and shows itself
    when it fires: after work that ended sooner, that was a stray dialog half a second
    later, the active window, whose Esc shortcut took the key from the window the user
    was in (the presentation window stayed open on Esc)."""
    from PySide6.QtCore import QTimer

    from ui.operations import run_operation

    parent = QWidget()
    qtbot.addWidget(parent)
    armed: list[QTimer] = []

    def work(progress):  # type: ignore[no-untyped-def]
        progress(0, 2, "")
        return 1

    operation = run_operation(parent, "test", work, lambda _result: None, lambda _error: None)
    dialog = operation._dialog
    operation.done.connect(
        lambda _result: armed.extend(t for t in dialog.findChildren(QTimer) if t.isActive())
    )
    with qtbot.waitSignal(operation.done, timeout=5000):
        pass
    assert armed == []
