"""The recognition round on a server, each role as its own login: the agency reads the
outcomes but can neither decide a base nor finalise the recognition list, through the
command or with raw SQL; an expert neither; the agency explains the deviating scores,
which block finalising until then; the committee decides and finalises; every
entry names its login and the chain stays intact."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from review_desk.cli import main
from review_desk.project import Project
from review_desk.recognition import round_review
from review_desk.server.accounts import add_user, parse_capacity
from review_desk.storage import models as m
from tests.conftest import copy_project
from tests.pg_cluster import Cluster
from tests.server.conftest import demo_on_server
from tests.support import run_cli

KEY = "recogroles"
PASSWORD = "recognition-roles-pw"


@pytest.fixture(scope="module")
def server(
    pg_cluster: Cluster, finalised_source: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """The demo recognition round on the server with an agency, a committee and an
    expert login."""
    folder = tmp_path_factory.mktemp("recognition-roles")
    selection = copy_project(finalised_source, folder / "selection.rdp")
    recognition = folder / "recognition.rdp"
    assert main(["demo", str(recognition), "--recognition", str(selection)]) == 0
    made = demo_on_server(pg_cluster, KEY, recognition)
    with Project(made.url) as project, project.reading() as session:
        expert = session.scalar(sa.select(sa.func.min(m.Expert.id)))
        code = session.scalars(sa.select(m.Dossier.code).order_by(m.Dossier.code)).first()
    logins = {"recogroles.agency": "agency", "recogroles.chair": "committee",
              "recogroles.wang": f"expert:{expert}"}  # fmt: skip
    for login, capacity in logins.items():
        add_user(made.url, login, parse_capacity(capacity), PASSWORD)
    urls = {login: pg_cluster.url(made.database, login, PASSWORD) for login in logins}
    yield {"admin": made.url, "code": str(code), **urls}


def _cli(*args: str) -> tuple[int, str, str]:
    done = run_cli(*args, module="review_desk")
    return done.returncode, done.stdout, done.stderr


def test_only_the_committee_decides_and_finalises(server: dict[str, str]) -> None:
    agency, chair = server["recogroles.agency"], server["recogroles.chair"]
    expert, code = server["recogroles.wang"], server["code"]
    assert _cli("recognition", "outcomes", agency)[0] == 0
    for url in (agency, expert):
        done = _cli("recognition", "decide", url, "--dossier", code, "--outcome", "failed",
                    "--reason", "材料不实")  # fmt: skip
        assert done[0] == 2, done
        assert _cli("recognition", "finalise", url, "--rectify-deadline", "2024-03-31")[0] == 2
        engine = sa.create_engine(url)
        try:
            with pytest.raises(sa.exc.DBAPIError), engine.begin() as connection:
                connection.exec_driver_sql(
                    "INSERT INTO recognition_decision (dossier_id, outcome, reason, "
                    "decided_by, decided_at) SELECT id, 'passed', 'x', 'x', now() FROM dossier "
                    "LIMIT 1"
                )
            with pytest.raises(sa.exc.DBAPIError), engine.begin() as connection:
                connection.exec_driver_sql(
                    "INSERT INTO recognition_final (finalised_at, finalised_by, content_hash, "
                    "config, rows) VALUES (now(), 'x', 'x', '{}', '[]')"
                )
        finally:
            engine.dispose()
    done = _cli("recognition", "decide", chair, "--dossier", code, "--outcome", "failed",
                "--reason", "经复核不具备认定条件")  # fmt: skip
    assert done[0] == 0, done
    # The deviations (畸高畸低) wait for the agency's written explanations first.
    done = _cli("recognition", "finalise", chair, "--rectify-deadline", "2024-03-31")
    assert done[0] == 2 and "畸高畸低" in done[2], done
    with Project(agency) as project:
        flags = round_review(project).deviations()
    assert flags
    for flag in flags:
        assert main(["explain", agency, "--dossier", flag.code, "--expert",
                     str(flag.expert_id), "--text", "专家书面说明：已复核材料"]) == 0  # fmt: skip
    done = _cli("recognition", "finalise", chair, "--rectify-deadline", "2024-03-31")
    assert done[0] == 0, done
    with Project(server["admin"]) as project, project.reading() as session:
        entries = session.execute(
            sa.select(m.AuditLog.action, m.AuditLog.actor).where(
                m.AuditLog.action.in_(("recognition.decide", "recognition.finalise"))
            )
        ).all()
        assert sorted(entries) == [
            ("recognition.decide", "recogroles.chair"),
            ("recognition.finalise", "recogroles.chair"),
        ]
        explainers = session.scalars(
            sa.select(m.AuditLog.actor).where(m.AuditLog.action == "deviation.explain")
        ).all()
        assert set(explainers) == {"recogroles.agency"} and len(explainers) == len(flags)
        assert project.verify_audit().intact


def test_a_round_made_straight_on_a_server(
    pg_database: str, pg_files: Path, finalised_source: Path, tmp_path: Path
) -> None:
    """``recognition create`` into an empty server database: every base copied, and a
    row added afterwards numbered after the copied ones (the ids were given in bulk)."""
    from review_desk.recognition_round import create_round

    selection = copy_project(finalised_source, tmp_path / "selection.rdp")
    with Project(selection) as source, source.reading() as session:
        final = session.scalars(sa.select(m.FinalList).order_by(m.FinalList.id.desc())).first()
        assert final is not None
        selected = {
            r["code"] for r in final.rows if r["adjusted_tier"] in ("provincial", "municipal")
        }
    with create_round(selection, pg_database, round_name="认定验收", files_dir=pg_files) as made:
        with made.reading() as session:
            codes = set(session.scalars(sa.select(m.Dossier.code)))
            highest = session.scalar(sa.select(sa.func.max(m.Applicant.id)))
        assert codes == selected
        with made.transaction() as session:
            added = m.Applicant(name="新增单位", kind="enterprise")
            session.add(added)
            session.flush()
            assert added.id == highest + 1
        assert made.verify_audit().intact
