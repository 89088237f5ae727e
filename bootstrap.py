#!/usr/bin/env python3
"""Set up Review Desk in a local virtual environment and run it or its tests.

    python3 bootstrap.py app     open Review Desk on the demo project
    python3 bootstrap.py test    run the whole test suite (offscreen); extra args go to pytest

The tests run in parallel, one pytest-xdist worker per processor (at most four), and
pytest prints the 15 slowest; ``-n 0`` runs them in this process, ``-m "not slow"``
leaves out the few that take seconds even when made fast. On Linux the tests' temporary
files go to a folder of the user's own in RAM (``/dev/shm``) when it has room, unless
``TMPDIR`` is set.

Needs only Python 3.11+. The first run creates ``.venv`` and installs the project into
it; later runs reinstall only when ``pyproject.toml`` changed. On Debian/Ubuntu run as
root (as CI does), it also installs the system pieces Qt needs that a bare machine
lacks: a Chinese font and Qt's runtime libraries.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".review-desk-installed"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")

# Debian packages for Qt's offscreen and desktop platforms and a CJK font. Newer Debian
# releases renamed some libraries (the t64 transition): both names are listed.
DEBIAN_PACKAGES = [
    "fonts-noto-cjk",
    "fontconfig",
    "libegl1",
    "libgl1",
    "libxkbcommon0",
    "libxkbcommon-x11-0",
    "libfontconfig1",
    "libdbus-1-3",
    "libxcb-cursor0",
    "libxcb-icccm4",
    "libxcb-keysyms1",
    "libxcb-shape0",
    "libxcb-xinerama0",
    "libxcb-randr0",
    "libxcb-render-util0",
    "libxcb-image0",
    "poppler-utils",
]
DEBIAN_ALTERNATIVES = [("libglib2.0-0t64", "libglib2.0-0")]


def say(message: str) -> None:
    print(f"[bootstrap] {message}", flush=True)


def run(*command: str | Path, **kwargs: object) -> int:
    return subprocess.call([str(c) for c in command], **kwargs)  # type: ignore[call-overload]


def _stamp(extras: str) -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()


def ensure_venv(extras: str) -> None:
    """Create .venv and install the project with ``extras`` unless already done."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this script must run on any Python to say so
        sys.exit("Review Desk needs Python 3.11 or newer.")
    if not PYTHON.exists():
        say(f"creating {VENV}")
        try:
            venv.EnvBuilder(with_pip=True).create(VENV)
        except Exception as error:  # Debian without python3-venv, for one
            sys.exit(
                f"could not create a virtual environment ({error}); "
                "on Debian/Ubuntu: apt-get install python3-venv"
            )
    wanted = _stamp(extras)
    if STAMP.exists() and wanted in STAMP.read_text().split():
        return
    say(f"installing Review Desk [{extras}] into .venv (first run takes a few minutes)")
    code = run(
        PYTHON,
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "-q",
        "-e",
        f"{ROOT}[{extras}]" if extras else str(ROOT),
    )
    if code != 0:
        sys.exit(code)
    # The test extra includes everything the app needs, so it satisfies both.
    STAMP.write_text("\n".join({wanted, _stamp("")}) + "\n")


def qt_loads() -> bool:
    probe = "from PySide6.QtWidgets import QApplication; from PySide6.QtPdf import QPdfDocument"
    return run(PYTHON, "-c", probe, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0


def cjk_font_present() -> bool:
    if not shutil.which("fc-list"):
        return False
    result = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True)
    return bool(result.stdout.strip())


def ensure_system_packages() -> None:
    """On Linux, make sure Qt can load and Chinese can be drawn; install what is missing
    when we may (root with apt-get), otherwise say what to install."""
    if not sys.platform.startswith("linux") or (qt_loads() and cjk_font_present()):
        return
    apt = shutil.which("apt-get")
    if apt and hasattr(os, "geteuid") and os.geteuid() == 0:
        say("installing Qt runtime libraries and a Chinese font with apt-get")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        run(apt, "update", "-qq", env=env)
        packages = list(DEBIAN_PACKAGES)
        for preferred, fallback in DEBIAN_ALTERNATIVES:
            known = subprocess.run(["apt-cache", "show", preferred], capture_output=True)
            packages.append(preferred if known.returncode == 0 else fallback)
        if run(apt, "install", "-y", "-qq", "--no-install-recommends", *packages, env=env):
            sys.exit("apt-get install failed")
        return
    say("Qt cannot load or no Chinese font is installed. On Debian/Ubuntu run:")
    say("  sudo apt-get install " + " ".join([*DEBIAN_PACKAGES, "libglib2.0-0"]))


MAX_WORKERS = 4


def pytest_arguments(rest: list[str]) -> list[str]:
    """pytest's arguments for ``test``: the slowest 15 printed, and one xdist worker per
    processor (at most ``MAX_WORKERS``, sharing the tests by work stealing) unless the
    caller chose (``-n``, ``-p no:xdist``) or only collects."""
    options = ["--durations=15"]
    chosen = any(
        arg in ("-n", "--numprocesses", "--collect-only", "--co", "no:xdist")
        or arg.startswith(("-n", "--numprocesses="))
        for arg in rest
    )
    if not chosen:
        workers = min(os.cpu_count() or 1, MAX_WORKERS)
        # worksteal: a worker that runs out of tests takes some of the other's, so the
        # run does not end with one worker alone on a queue of long tests.
        if workers > 1:
            options += ["-n", str(workers)]
            if not any(arg == "--dist" or arg.startswith("--dist=") for arg in rest):
                options += ["--dist", "worksteal"]
    return [*options, *rest]


# Where the tests' temporary files go when the machine has a RAM file system: the suite
# writes some 500 MB and commits to SQLite thousands of times, each commit synced to disk
# (PRAGMA synchronous=FULL); in RAM, syncing costs nothing.
RAM_FOLDER = Path("/dev/shm")
RAM_NEEDED = 2 * 1024**3


def ram_temp_folder(environ: dict[str, str]) -> Path | None:
    """A private folder for the run's temporary files in RAM (``/dev/shm`` on Linux),
    or None: the caller chose a ``TMPDIR``, or there is no RAM file system with room."""
    if environ.get("TMPDIR") or not RAM_FOLDER.is_dir() or not hasattr(os, "getuid"):
        return None
    try:
        if shutil.disk_usage(RAM_FOLDER).free < RAM_NEEDED:
            return None
        folder = RAM_FOLDER / f"review-desk-tests-{os.getuid()}"
        folder.mkdir(mode=0o700, exist_ok=True)
        status = folder.stat()
        if status.st_uid != os.getuid() or status.st_mode & 0o077:
            return None  # not this user's own: another's files could be read or planted
    except OSError:
        return None
    return folder


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("app", "test"):
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "app":
        ensure_venv("")
        ensure_system_packages()
        return run(BIN / "review-desk", "gui", "--demo", *rest)
    ensure_venv("test")
    ensure_system_packages()
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    # The suite starts some 250 Python processes (workers, commands, racing writers):
    # with a bytecode cache they do not each compile the sources again, and pytest keeps
    # its rewritten test modules. The cache is __pycache__, ignored by git.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    options = pytest_arguments(rest)
    ram = ram_temp_folder(env)
    if ram is not None:
        env["TMPDIR"] = str(ram)
        # pytest keeps the last runs' folders: in RAM, the last one only.
        options = ["-o", "tmp_path_retention_count=1", *options]
    code = run(PYTHON, "-m", "pytest", *options, cwd=ROOT, env=env)
    if code == 5:
        say("pytest collected no tests: that is a failure")
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
