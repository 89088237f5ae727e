"""Publicity and objections on a server (migration 0013), each role as its own login:
the agency opens the period and records and investigates objections but cannot decide
one; an expert can neither record nor decide one (nor see them), even with raw SQL; the
committee decides and revises the list; every entry names its login and the chain
stays intact."""

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

KEY = "pubobj"
PASSWORD = "publicity-roles-pw"


@pytest.fixture(scope="module")
def server(pg_cluster: Cluster, finalised_source: Path) -> Iterator[dict[str, str]]:
    """The finalised demo on the server with an agency, a committee and an expert login."""
    made = demo_on_server(pg_cluster, KEY, finalised_source)
    with Project(made.url) as project, project.reading() as session:
        expert = session.scalar(sa.select(sa.func.min(m.Expert.id)))
        rows = session.scalars(sa.select(m.FinalList)).one().rows
    logins = {"pubobj.agency": "agency", "pubobj.chair": "committee",
              "pubobj.li": f"expert:{expert}"}  # fmt: skip
    for login, capacity in logins.items():
        add_user(made.url, login, parse_capacity(capacity), PASSWORD)
    urls = {login: pg_cluster.url(made.database, login, PASSWORD) for login in logins}
    provincial = [r["code"] for r in rows if r["adjusted_tier"] == "provincial"]
    yield {"admin": made.url, "code": provincial[0], **urls}


def _cli(*args: str) -> tuple[int, str, str]:
    done = run_cli(*args, module="review_desk")
    return done.returncode, done.stdout, done.stderr


def test_roles_on_objections(server: dict[str, str]) -> None:
    agency, chair, expert = server["pubobj.agency"], server["pubobj.chair"], server["pubobj.li"]
    code = server["code"]
    # A period that has ended already (publication is not tested here).
    done = _cli("publicity-period", "open", agency, "--start", "2026-01-01", "--end",
                "2026-01-07", "--contact", "0351-1234567")  # fmt: skip
    assert done[0] == 0, done[2]
    # An expert cannot record an objection.
    done = _cli("objection", "add", expert, "--dossier", code, "--anonymous", "--grounds", "理由")
    assert done[0] == 2
    done = _cli("objection", "add", agency, "--dossier", code, "--objector", "张三",
                "--grounds", "合作企业数据不实")  # fmt: skip
    assert done[0] == 0, done[2]
    assert _cli("objection", "investigate", agency, "--id", "1", "--assignee", "李四")[0] == 0
    # Neither the expert nor the agency decides it, through the command or raw SQL.
    for url in (expert, agency):
        done = _cli("objection", "decide", url, "--id", "1", "--outcome", "upheld",
                    "--reason", "异议成立")  # fmt: skip
        assert done[0] == 2, done
        engine = sa.create_engine(url)
        try:
            with pytest.raises(sa.exc.DBAPIError), engine.begin() as connection:
                connection.exec_driver_sql(
                    "INSERT INTO objection (period_id, received_on, objector, anonymous, "
                    "contact, dossier_id, grounds, status, assignee, findings, "
                    "decision_reason, recorded_at, recorded_by) SELECT 1, DATE '2026-01-02', "
                    "'', true, '', id, 'x', 'upheld', '', '', '', now(), 'x' FROM dossier "
                    "LIMIT 1"
                )
            with pytest.raises(sa.exc.DBAPIError), engine.begin() as connection:
                connection.exec_driver_sql("UPDATE objection SET status = 'dismissed'")
        finally:
            engine.dispose()
    # The committee decides and revises the list.
    done = _cli("objection", "decide", chair, "--id", "1", "--outcome", "upheld",
                "--reason", "异议成立")  # fmt: skip
    assert done[0] == 0, done[2]
    done = _cli("objection", "revise", chair, "--id", "1", "--dossier", code, "--tier",
                "municipal", "--reason", "异议成立，调整为市（县）级", "--json")  # fmt: skip
    assert done[0] == 0, done[2]
    assert json.loads(done[1])["version"] == 2
    # The expert sees no objection at all.
    listed = _cli("objection", "list", expert, "--json")
    assert listed[0] == 0 and json.loads(listed[1]) == []
    with Project(server["admin"]) as project, project.reading() as session:
        actors = dict(
            session.execute(
                sa.select(m.AuditLog.action, m.AuditLog.actor).where(
                    m.AuditLog.action.in_(["objection.add", "objection.decide", "ranking.revise"])
                )
            ).all()
        )
    assert actors == {"objection.add": "pubobj.agency", "objection.decide": "pubobj.chair",
                      "ranking.revise": "pubobj.chair"}  # fmt: skip
    assert _cli("audit", "verify", server["admin"])[0] == 0
