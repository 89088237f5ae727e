"""Helpers shared by tests."""

from __future__ import annotations

import subprocess
import sys


def run_cli(*args: str, module: str = "ui") -> subprocess.CompletedProcess[str]:
    """Run ``review-desk`` (``python -m ui``, or the headless ``review_desk``) with args."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
