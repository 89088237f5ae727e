"""Helpers shared by tests."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path


def run_cli(*args: str, module: str = "ui") -> subprocess.CompletedProcess[str]:
    """Run ``review-desk`` with ``args`` as its entry point does (``python -m ui``, or the
    headless ``review_desk``), in this process: its exit code, and its standard output
    and error as text. In-process, like click's ``CliRunner``: a new Python process per
    command cost half a second of imports, 40 times over. The process itself (start-up,
    imports, exit codes, encodings, tracebacks) is checked by :func:`run_cli_process`
    in ``test_cli.py``, ``test_cli_errors.py`` and the frozen build's smoke test."""
    from review_desk.cli import main

    gui = None
    if module == "ui":
        from ui.launcher import run_gui as gui
    out, err = _text_stream(), _text_stream()
    saved = sys.stdout, sys.stderr, sys.unraisablehook
    sys.stdout, sys.stderr = out, err
    try:
        try:
            code = main(list(args), gui=gui)
        except SystemExit as exited:  # argparse refusing the arguments (or --help)
            code = exited.code if isinstance(exited.code, int) else 2
        out.flush()
        err.flush()
    finally:
        sys.stdout, sys.stderr, sys.unraisablehook = saved
    return subprocess.CompletedProcess(["review-desk", *args], code, _value(out), _value(err))


def _text_stream() -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="replace", newline="")


def _value(stream: io.TextIOWrapper) -> str:
    if stream.closed:  # closed by the command (a broken pipe): nothing more to read
        return ""
    buffer = stream.buffer
    assert isinstance(buffer, io.BytesIO)
    return buffer.getvalue().decode("utf-8", errors="replace")


def run_cli_process(*args: str, module: str = "ui") -> subprocess.CompletedProcess[str]:
    """Run ``review-desk`` (``python -m ui``, or the headless ``review_desk``) with args
    in a process of its own."""
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
