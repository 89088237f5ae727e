"""Cold start of Review Desk to the main window shown on the demo project.

Each run is a new Python process that imports the application, creates the window as
``review-desk gui PROJECT`` does, opens the demo project, shows the window, lets the
event loop paint it once, and exits. The wall time of the whole process is measured
from the parent. Target (issue 2): median <= 0.6 s on the 2-core reference machine.

    python benchmarks/startup.py [--runs 11]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DRIVER = """
import sys
from PySide6.QtCore import QSettings, QTimer
from ui.app import create_application
from ui.main_window import MainWindow
from ui.settings import Settings

app = create_application()
window = MainWindow(Settings(QSettings(sys.argv[2], QSettings.Format.IniFormat)))
window.show()
assert window.open_project(sys.argv[1])
QTimer.singleShot(0, app.quit)
app.exec()
assert window.project is not None and window.pages["overview"].tiles["dossiers"].value.text() != "-"
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "demo.rdp"
        subprocess.run(
            [sys.executable, "-m", "review_desk", "demo", str(project)],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        settings = Path(tmp) / "settings.ini"
        times = []
        for run in range(args.runs + 1):
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-c", DRIVER, str(project), str(settings)], check=True, env=env
            )
            elapsed = time.perf_counter() - start
            if run:  # the first run warms the OS file cache and writes .pyc files
                times.append(elapsed)
    print(f"runs:   {len(times)}")
    print(f"median: {statistics.median(times):.3f} s")
    print(f"min:    {min(times):.3f} s")
    print(f"max:    {max(times):.3f} s")
    print("target: median <= 0.600 s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
