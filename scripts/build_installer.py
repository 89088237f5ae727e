"""Build the one-folder installer with PyInstaller and check that it is the app.

    python scripts/build_installer.py [--skip-build] [--no-gui]

Runs PyInstaller on build_installer.spec, then ``scripts/smoke_frozen.py``: the frozen
``demo``, ``review``, ``rank`` and ``export`` must give the same results as the installed
package on the same input, and the frozen GUI must render every page. Prints the build
time, the folder's size and its largest parts; on Linux the folder must stay within
``--max-mb`` (265). Exit 0 only when all of this holds.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

import smoke_frozen  # noqa: E402 - a sibling script, found through the line above

# The cap catches what should not be in the app (test tools, Qt WebEngine, a second
# copy of a library). 250 MB held the app on one computer; a project on a server adds
# PostgreSQL's driver, psycopg with its own libpq and TLS libraries (about 12 MB).
MAX_MB = 265


def folder_size(path: Path) -> int:
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def largest_parts(folder: Path, count: int = 12) -> list[tuple[int, str]]:
    """The biggest entries: the executables, each package or library in ``_internal``,
    and PySide6's Qt libraries one by one (the largest package)."""
    parts: list[tuple[int, str]] = []
    internal = folder / "_internal"
    entries = [p for p in folder.iterdir() if p != internal]
    if internal.is_dir():
        entries += [p for p in internal.iterdir() if p.name != "PySide6"]
        qt = internal / "PySide6"
        if qt.is_dir():
            libs = qt / "Qt" / "lib"
            entries += [p for p in libs.iterdir()] if libs.is_dir() else []
            rest = sum(
                p.lstat().st_size
                for p in qt.rglob("*")
                if p.is_file() and not p.is_symlink() and libs not in p.parents
            )
            parts.append((rest, "_internal/PySide6 (without Qt/lib)"))
    for entry in entries:
        if entry.is_symlink():
            continue
        size = folder_size(entry) if entry.is_dir() else entry.stat().st_size
        parts.append((size, str(entry.relative_to(folder))))
    return sorted(parts, reverse=True)[:count]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-build", action="store_true", help="check the existing build")
    parser.add_argument("--no-gui", action="store_true", help="skip the screenshots")
    parser.add_argument("--max-mb", type=float, default=MAX_MB)
    args = parser.parse_args(argv)
    started = time.monotonic()
    if not args.skip_build:
        subprocess.run(
            [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "build_installer.spec"],
            cwd=ROOT,
            check=True,
        )
    built = time.monotonic() - started
    frozen = smoke_frozen.default_frozen()
    folder = frozen.parent
    version = subprocess.run(
        [frozen, "--version"],
        check=True,
        capture_output=True,
        text=True,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
    ).stdout.strip()
    print(f"frozen: {version}")
    try:
        for line in smoke_frozen.smoke(frozen, smoke_frozen.default_installed(), not args.no_gui):
            print(f"smoke: {line}")
    except smoke_frozen.SmokeFailure as failure:
        print(f"SMOKE TEST FAILED: {failure}", file=sys.stderr)
        return 1
    size_mb = folder_size(folder) / 1024 / 1024
    print(f"folder: {folder}")
    print(f"size:   {size_mb:.0f} MB")
    for size, name in largest_parts(folder):
        print(f"  {size / 1024 / 1024:6.1f} MB  {name}")
    if not args.skip_build:
        print(f"build:  {built:.0f} s")
    print(f"checks: {time.monotonic() - started - built:.0f} s")
    if sys.platform.startswith("linux") and size_mb > args.max_mb:
        print(
            f"BUILD TOO LARGE: {size_mb:.0f} MB > {args.max_mb:.0f} MB: look at the largest "
            "parts above for something that is not part of the app",
            file=sys.stderr,
        )
        return 1
    print("the frozen build is the app")
    return 0


if __name__ == "__main__":
    sys.exit(main())
