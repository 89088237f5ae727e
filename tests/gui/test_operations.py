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
