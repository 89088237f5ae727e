"""Recognising demo projects: every demo's project id starts with the same prefix, and
the id of the current demo changes whenever the demo's content does, so an older demo
is rebuilt rather than shown."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from review_desk.demo.register_export import load_demo_source

DEMO_ID_PREFIX = "00000000-demo-"


def project_id_of(path: Path) -> str | None:
    """Return the project id stored in an SQLite project file, or None."""
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
            row = connection.execute("SELECT id FROM review_project").fetchone()
    except sqlite3.Error:
        return None
    return str(row[0]) if row else None


def is_demo_project(path: Path) -> bool:
    """Return True when ``path`` holds a demo project (of any version)."""
    project_id = project_id_of(path)
    return bool(project_id and project_id.startswith(DEMO_ID_PREFIX))


def is_current_demo(path: Path) -> bool:
    """Return True when ``path`` holds the demo this version builds."""
    return bool(project_id_of(path) == load_demo_source()["project"]["id"])
