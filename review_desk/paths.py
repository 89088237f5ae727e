"""Where the shipped reference data lives, in a checkout, an installed wheel or a frozen build."""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path


@cache
def data_dir() -> Path:
    """Return the folder that holds the shipped ``data/`` tree.

    A frozen (PyInstaller) build unpacks it beside the executable, a wheel carries it
    as ``review_desk/_data``, and a source checkout or editable install has it at the
    repository root.
    """
    candidates = []
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        candidates.append(Path(frozen_root) / "data")
    package_dir = Path(__file__).resolve().parent
    candidates += [package_dir / "_data", package_dir.parent / "data"]
    for candidate in candidates:
        if (candidate / "reference").is_dir():
            return candidate
    raise FileNotFoundError(
        "Review Desk reference data not found; looked in: " + ", ".join(map(str, candidates))
    )


def data_path(*parts: str) -> Path:
    """Return a path inside the shipped data folder."""
    return data_dir().joinpath(*parts)


ORGANISATION = "ReviewDesk"
APPLICATION = "Review Desk"


def user_data_dir() -> Path:
    """Return this user's data folder for Review Desk (not created here).

    The same folder Qt's ``QStandardPaths.AppDataLocation`` names for the application
    (organisation "ReviewDesk", application "Review Desk"), so that the command line and
    the window keep their logs in one place without the core importing Qt.
    """
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or home / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    return base / ORGANISATION / APPLICATION


def log_dir() -> Path:
    """Return the folder of the error log: ``$REVIEW_DESK_LOG_DIR``, else ``logs`` in the
    user data folder."""
    override = os.environ.get("REVIEW_DESK_LOG_DIR")
    return Path(override) if override else user_data_dir() / "logs"


def user_cache_dir() -> Path:
    """Return this user's cache folder for Review Desk (not created here): what can be
    made again from elsewhere, such as local copies of a server project's files.
    ``$REVIEW_DESK_CACHE_DIR`` overrides it."""
    override = os.environ.get("REVIEW_DESK_CACHE_DIR")
    if override:
        return Path(override)
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = home / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache")
    return base / ORGANISATION / APPLICATION
