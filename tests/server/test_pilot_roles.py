"""The pilot year on a server (migration 0014), each role as its own login: the agency
starts the pilot and keeps milestones, reports and notes; the committee reads them but
cannot write one, even with raw SQL; an expert sees nothing at all; every entry names
its login and the chain stays intact."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from review_desk.project import Project
from review_desk.server.accounts import add_user, parse_capacity
from review_desk.storage import models as m
from tests.pg_cluster import Cluster
from tests.server.conftest import demo_on_server
from tests.support import run_cli

KEY = "pilotroles"
PASSWORD = "pilot-roles-pw"


@pytest.fixture(scope="module")
def server(pg_cluster: Cluster, finalised_source: Path) -> Iterator[dict[str, str]]:
    """The finalised demo on the server, published, with an agency, a committee and an
    expert login."""
    made = demo_on_server(pg_cluster, KEY, finalised_source)
    with Project(made.url) as project, project.reading() as session:
        expert = session.scalar(sa.select(sa.func.min(m.Expert.id)))
        rows = session.scalars(sa.select(m.FinalList)).one().rows
    logins = {"pilot.agency": "agency", "pilot.chair": "committee",
              "pilot.li": f"expert:{expert}"}  # fmt: skip
    for login, capacity in logins.items():
        add_user(made.url, login, parse_capacity(capacity), PASSWORD)
    urls = {login: pg_cluster.url(made.database, login, PASSWORD) for login in logins}
    provincial = [r["code"] for r in rows if r["adjusted_tier"] == "provincial"]
    yield {"admin": made.url, "code": provincial[0], **urls}


def _cli(*args: str) -> tuple[int, str, str]:
    done = run_cli(*args, module="review_desk")
    return done.returncode, done.stdout, done.stderr


def test_roles_in_the_pilot_year(server: dict[str, str], tmp_path: Path) -> None:
    agency, chair, expert = server["pilot.agency"], server["pilot.chair"], server["pilot.li"]
    code = server["code"]
    # A publicity period that has ended already, then publication and the pilot.
    done = _cli("publicity-period", "open", agency, "--start", "2026-01-01", "--end",
                "2026-01-07", "--contact", "0351-1234567")  # fmt: skip
    assert done[0] == 0, done[2]
    assert _cli("publicity-period", "publish", agency)[0] == 0
    # Neither the committee nor an expert starts the pilot.
    assert _cli("pilot", "start", chair)[0] == 2
    assert _cli("pilot", "start", expert)[0] == 2
    done = _cli("pilot", "start", agency)
    assert done[0] == 0, done[2]
    done = _cli("pilot", "milestone", "add", agency, "--dossier", code, "--title",
                "完成实训场地改造", "--due", "2026-06-30")  # fmt: skip
    assert done[0] == 0, done[2]
    report = tmp_path / "进展报告.pdf"
    report.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 8 + b"\n%%EOF\n")
    done = _cli("pilot", "report", "add", agency, "--dossier", code, "--file", str(report),
                "--submitted", "2026-02-01", "--milestone", "1")  # fmt: skip
    assert done[0] == 0, done[2]
    assert _cli("pilot", "note", "add", agency, "--dossier", code, "--text", "现场调研")[0] == 0

    # The committee reads, but writes nothing: not through the commands, not with SQL.
    listed = _cli("pilot", "milestone", "list", chair, "--json")
    assert listed[0] == 0 and len(json.loads(listed[1])) == 1
    assert json.loads(_cli("pilot", "status", chair, "--json")[1])["bases"]
    for url in (chair, expert):
        assert _cli("pilot", "note", "add", url, "--dossier", code, "--text", "备注")[0] == 2
        assert _cli("pilot", "milestone", "done", url, "--id", "1")[0] == 2
        engine = sa.create_engine(url)
        try:
            with pytest.raises(sa.exc.DBAPIError), engine.begin() as connection:
                connection.exec_driver_sql(
                    "INSERT INTO pilot_note (dossier_id, text, author, written_at) "
                    "SELECT id, 'x', 'x', now() FROM dossier LIMIT 1"
                )
            with pytest.raises(sa.exc.DBAPIError), engine.begin() as connection:
                connection.exec_driver_sql("UPDATE pilot_milestone SET status = 'done'")
        finally:
            engine.dispose()
    # The expert sees no row of the pilot year at all.
    engine = sa.create_engine(expert)
    try:
        with engine.connect() as connection:
            for table in ("pilot_period", "pilot_milestone", "pilot_report", "pilot_note"):
                count = connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar()
                assert count == 0, table
    finally:
        engine.dispose()
    assert _cli("pilot", "status", expert)[0] == 2  # no pilot to be seen

    with Project(server["admin"]) as project, project.reading() as session:
        actors = dict(
            session.execute(
                sa.select(m.AuditLog.action, m.AuditLog.actor).where(
                    m.AuditLog.action.like("pilot.%")
                )
            ).all()
        )
    assert set(actors.values()) == {"pilot.agency"} and len(actors) == 4
    with Project(server["admin"]) as project, project.reading() as session:
        assert list(session.scalars(sa.select(m.PilotNote.author))) == ["pilot.agency"]
    assert _cli("audit", "verify", server["admin"])[0] == 0
