"""The materials page's PDF viewer follows the selected dossier, also back to a file it
showed before another dossier without a file cleared it."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def test_a_file_shown_again_after_a_dossier_without_one(window, demo_project: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    with sqlite3.connect(demo_project) as db:
        without, first = (
            row[0] for row in db.execute("SELECT id FROM dossier ORDER BY id LIMIT 2")
        )
        db.execute("UPDATE material SET is_current = 0 WHERE dossier_id = ?", (without,))
    db.close()
    assert window.open_project(str(demo_project))
    window.show_page("materials")
    page = window.pages["materials"]
    viewer = page.viewer
    assert page.table.select_where(lambda r: r.id == first)
    qtbot.waitUntil(lambda: viewer.page_count() > 0 and viewer.stack.currentIndex() == 1)
    assert page.table.select_where(lambda r: r.id == without)
    assert viewer.stack.currentIndex() == 0  # "no material file was received"
    assert page.table.select_where(lambda r: r.id == first)
    qtbot.waitUntil(lambda: viewer.page_count() > 0 and viewer.stack.currentIndex() == 1)
