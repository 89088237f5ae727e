"""Helpers shared by tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def run_cli(*args: str, module: str = "ui") -> subprocess.CompletedProcess[str]:
    """Run ``review-desk`` (``python -m ui``, or the headless ``review_desk``) with args."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )


def libreoffice_convert(source: Path, to: str, folder: Path) -> Path:
    """Convert ``source`` with headless LibreOffice (its own throwaway profile) into
    ``folder``; return the converted file (same name, extension ``to``)."""
    out = folder / "lo"
    done = subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{folder / 'lo-profile'}",
            "--headless",
            "--convert-to",
            to,
            "--outdir",
            str(out),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    converted = out / f"{source.stem}.{to}"
    assert done.returncode == 0 and converted.is_file(), done.stderr
    return converted
