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
