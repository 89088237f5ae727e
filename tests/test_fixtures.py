"""The suite's own fixtures: the shared read-only demo notices a test that changes it."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.mark.sqlite_only("the project file's fingerprint")
def test_a_change_to_the_shared_demo_is_seen(demo_project: Path) -> None:
    """What the ``demo_readonly`` fixture compares before and after each test changes
    when a test writes to the project or its file store."""
    from sqlalchemy import text

    from review_desk.project import Project
    from tests.conftest import _fingerprint

    before = _fingerprint(demo_project)
    assert _fingerprint(demo_project) == before
    with Project(demo_project) as project, project.transaction() as session:
        session.execute(text("UPDATE review_project SET round_name = round_name || '!'"))
    assert _fingerprint(demo_project)[0] != before[0]
    store = demo_project.with_name(demo_project.name + ".files")
    (store / "extra.pdf").write_bytes(b"%PDF")
    assert _fingerprint(demo_project)[1] != before[1]
