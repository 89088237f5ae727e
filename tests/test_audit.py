"""The audit log: append-only in the database, and a hash chain that names the first
broken entry."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from review_desk import audit
from review_desk.project import Project
from tests.backends import NewLocation, raw_sql
from tests.support import run_cli


def test_demo_chain_is_intact(demo_project: Path) -> None:
    with Project(demo_project) as project:
        report = project.verify_audit()
    assert report.intact and report.entries > 100
    result = run_cli("audit", "verify", str(demo_project))
    assert result.returncode == 0, result.stderr
    assert str(report.entries) in result.stdout


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_log SET actor = 'x' WHERE id = 3", "DELETE FROM audit_log WHERE id = 3"],
)
def test_database_refuses_update_and_delete(demo_project: Path, statement: str) -> None:
    with pytest.raises(DBAPIError, match="append-only"), raw_sql(demo_project) as c:
        c.execute(text(statement))
    with raw_sql(demo_project) as c:
        assert c.execute(text("SELECT actor FROM audit_log WHERE id = 3")).scalar() != "x"


def _tamper(location: Path | str, statement: str) -> None:
    """Change the log behind the triggers' back, as someone with the file (or the
    server's administrator) could."""
    with raw_sql(location) as c:
        if c.dialect.name == "postgresql":
            c.execute(text("DROP TRIGGER audit_log_no_update ON audit_log"))
        else:
            c.execute(text("DROP TRIGGER audit_log_no_update"))
            c.execute(text("DROP TRIGGER audit_log_no_delete"))
        c.execute(text(statement))


def test_edited_entry_is_named(demo_project: Path) -> None:
    _tamper(demo_project, "UPDATE audit_log SET after = '{\"scores\": {}}' WHERE id = 42")
    with Project(demo_project) as project:
        report = project.verify_audit()
    assert not report.intact and report.broken_id == 42
    result = run_cli("audit", "verify", str(demo_project), "--json")
    assert result.returncode == 1
    assert '"broken_id": 42' in result.stdout


def test_deleted_entry_is_named(demo_project: Path) -> None:
    _tamper(demo_project, "DELETE FROM audit_log WHERE id = 7")
    with Project(demo_project) as project:
        report = project.verify_audit()
    assert not report.intact and report.broken_id == 7


def test_rehashed_entry_breaks_the_next_link(demo_project: Path) -> None:
    """Recomputing an edited entry's own hash is caught by the entry after it."""
    with Project(demo_project) as project, project.reading() as s:
        entry = s.get(audit.AuditLog, 10)
        assert entry is not None
        forged = audit.entry_hash(
            entry_id=10,
            at=entry.at,
            actor="someone else",
            action=entry.action,
            entity=entry.entity,
            entity_id=entry.entity_id,
            before=entry.before,
            after=entry.after,
            prev_hash=entry.prev_hash,
        )
    _tamper(
        demo_project,
        f"UPDATE audit_log SET actor = 'someone else', entry_hash = '{forged}' WHERE id = 10",
    )
    with Project(demo_project) as project:
        report = project.verify_audit()
    assert not report.intact and report.broken_id == 11


def test_record_appends_linked_entries(new_location: NewLocation) -> None:
    with Project.create(new_location("p"), name="x") as project:
        with project.transaction() as s:
            first = audit.record(s, actor="甲", action="score.set", entity="score", after={"v": 1})
            second = audit.record(
                s, actor="乙", action="score.set", entity="score", before={"v": 1}, after={"v": 2}
            )
        assert second.prev_hash == first.entry_hash
        assert second.id == first.id + 1
        assert project.verify_audit().intact


APPENDER = """
import sys
from review_desk import audit
from review_desk.project import Project
failed = 0
with Project(sys.argv[1]) as project:
    for number in range(30):
        try:
            with project.transaction() as session:
                audit.record(session, actor="t", action="test", entity="x", entity_id=number)
        except Exception:
            failed += 1
print(failed)
"""


def test_processes_appending_at_once_all_succeed(new_location: NewLocation) -> None:
    """Two agency seats (or two imports) writing at the same moment: every append
    lands, in one unbroken chain."""
    import subprocess
    import sys

    path = new_location("p")
    Project.create(path, name="并发").close()
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", APPENDER, str(path)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    assert [p.communicate()[0].strip() for p in runs] == ["0"] * 4
    with Project(path) as project:
        report = project.verify_audit()
    assert report.intact
    assert report.entries >= 4 * 30
