"""A kill while an expert types the opinion loses at most about the last second: the
desk runs in a real process, typing a character every 60 ms, and is killed with
SIGKILL in the middle of a burst."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from review_desk import scoring
from review_desk.project import Project

ROOT = Path(__file__).resolve().parents[2]
TEXT = "评审意见逐字输入：建设基础扎实，方案完整可行，经费保障有力。" * 6
INTERVAL_MS = 60

TYPIST = f"""
import sys, time
from PySide6.QtCore import QSettings, QTimer
from ui.app import create_application
from ui.main_window import MainWindow
from ui.settings import Settings
app = create_application(["review-desk"])
window = MainWindow(Settings(QSettings(sys.argv[2], QSettings.Format.IniFormat)))
window.show()
assert window.open_project(sys.argv[1])
window.set_role("expert")
window.show_page("scoring")
page = window.pages["scoring"]
assert page.assignments.select_where(lambda r: r.status == "not_started")
form = page.form
form.opinion.setFocus()
text = {TEXT!r}
print("SHEET", form.state.expert_id, form.state.dossier_id, flush=True)
typed = 0
def type_one():
    global typed
    form.opinion.insertPlainText(text[typed])
    typed += 1
    print("TYPED", typed, flush=True)
timer = QTimer()
timer.timeout.connect(type_one)
timer.start({INTERVAL_MS})
app.exec()
"""


def test_a_kill_while_typing_loses_at_most_about_a_second(
    demo_project: Path, tmp_path: Path
) -> None:
    if sys.platform == "win32":
        pytest.skip("SIGKILL is POSIX")
    process = subprocess.Popen(
        [sys.executable, "-c", TYPIST, str(demo_project), str(tmp_path / "settings.ini")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert process.stdout is not None
    head = process.stdout.readline().split()
    assert head[0] == "SHEET", head
    expert, dossier = int(head[1]), int(head[2])
    typed, started = 0, time.monotonic()
    while typed < 40:  # some 2.4 s of typing without a pause (two one-second saves)
        line = process.stdout.readline().split()
        assert line and line[0] == "TYPED", line
        typed = int(line[1])
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    elapsed = time.monotonic() - started
    assert elapsed > 2.0
    with Project(demo_project) as project:
        stored = scoring.load_sheet(project, expert, dossier).opinion
    assert TEXT.startswith(stored)
    # At most what was typed in about the last second (plus the save's own time) is lost.
    per_second = typed / elapsed
    assert len(stored) >= typed - 1.5 * per_second - 2, (len(stored), typed, elapsed)
