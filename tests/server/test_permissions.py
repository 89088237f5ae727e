"""The server enforces each role's rights (raw SQL, as any client could send it): an
expert sees only the dossiers assigned to them and not recused, and only their own
score sheets; a department's reviewer decides only its kinds of applicant; nobody
rewrites the audit log or signs an entry with someone else's name."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from review_desk.server.accounts import Capacity, add_user
from tests.pg_cluster import Cluster
from tests.server.conftest import demo_on_server as server_demo


@pytest.fixture(scope="module")
def demo_on_server(pg_cluster: Cluster, demo_source: Path) -> Iterator[dict[str, object]]:
    """The demo on the server with an account per kind of user."""
    made = server_demo(pg_cluster, "perm", demo_source)
    admin = sa.create_engine(made.url)
    with admin.connect() as connection:
        assigned = connection.execute(
            sa.text(
                "SELECT a.expert_id, a.dossier_id FROM assignment a WHERE NOT EXISTS "
                "(SELECT 1 FROM recusal r WHERE r.expert_id = a.expert_id "
                "AND r.dossier_id = a.dossier_id) ORDER BY a.expert_id, a.dossier_id"
            )
        ).all()
        recused = connection.execute(
            sa.text("SELECT expert_id, dossier_id FROM recusal ORDER BY expert_id")
        ).first()
    admin.dispose()
    assert recused is not None
    expert = int(recused[0])  # an expert with a recusal
    mine = {int(d) for e, d in assigned if int(e) == expert}
    add_user(made.url, "perm.li", Capacity("expert", expert_id=expert), "expert-password")
    other = next(int(e) for e, _d in assigned if int(e) != expert)
    add_user(made.url, "perm.other", Capacity("expert", expert_id=other), "expert-password")
    add_user(made.url, "perm.zhang", Capacity("agency"), "agency-password")
    add_user(made.url, "perm.wang", Capacity("reviewer", department="education"), "edu-password")
    add_user(made.url, "perm.chen", Capacity("committee"), "committee-password")
    yield {
        "url": made.url,
        "database": made.database,
        "expert": expert,
        "other": other,
        "mine": mine,
        "recused": int(recused[1]),
    }


def _as(cluster: Cluster, setup: dict[str, object], login: str) -> sa.Engine:
    passwords = {
        "perm.li": "expert-password",
        "perm.other": "expert-password",
        "perm.zhang": "agency-password",
        "perm.wang": "edu-password",
        "perm.chen": "committee-password",
    }
    return sa.create_engine(cluster.url(str(setup["database"]), login, passwords[login]))


def _rows(engine: sa.Engine, sql: str) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(sa.text(sql))]


def test_an_expert_sees_only_assigned_dossiers_and_own_sheets(
    pg_cluster: Cluster, demo_on_server: dict[str, object]
) -> None:
    expert = _as(pg_cluster, demo_on_server, "perm.li")
    try:
        dossiers = {int(r[0]) for r in _rows(expert, "SELECT id FROM dossier")}
        assert dossiers == demo_on_server["mine"] and demo_on_server["recused"] not in dossiers
        files = {int(r[0]) for r in _rows(expert, "SELECT dossier_id FROM material")}
        assert files <= dossiers
        # The bytes of files: those of the expert's dossiers only.
        visible = {
            str(r[0]) for r in _rows(expert, "SELECT DISTINCT sha256 FROM stored_file_chunk")
        }
        own = {str(r[0]) for r in _rows(expert, "SELECT sha256 FROM material")}
        assert visible == own and visible
        admin = sa.create_engine(pg_cluster.url(str(demo_on_server["database"])))
        try:
            every = {
                str(r[0]) for r in _rows(admin, "SELECT DISTINCT sha256 FROM stored_file_chunk")
            }
        finally:
            admin.dispose()
        assert visible < every
        owners = {int(r[0]) for r in _rows(expert, "SELECT expert_id FROM score_sheet")}
        assert owners <= {demo_on_server["expert"]}
        others = _rows(
            expert,
            f"SELECT s.id FROM score s JOIN score_sheet h ON h.id = s.sheet_id "
            f"WHERE h.expert_id = {demo_on_server['other']}",
        )
        assert others == []
        # Writing a sheet in another expert's name is refused by the server.
        with pytest.raises(sa.exc.DBAPIError, match="row-level security"), expert.begin() as c:
            c.execute(
                sa.text(
                    "INSERT INTO score_sheet (expert_id, dossier_id, rubric_hash, status, "
                    "opinion, updated_at, source, entered_by) VALUES (:e, :d, 'h', 'draft', "
                    "'', now(), 'desk', '')"
                ),
                {"e": demo_on_server["other"], "d": next(iter(demo_on_server["mine"]))},
            )
    finally:
        expert.dispose()


def test_agency_and_committee_see_everything(
    pg_cluster: Cluster, demo_on_server: dict[str, object]
) -> None:
    for login in ("perm.zhang", "perm.chen"):
        engine = _as(pg_cluster, demo_on_server, login)
        try:
            assert _rows(engine, "SELECT count(*) FROM dossier") == [(47,)]
            assert _rows(engine, "SELECT count(DISTINCT expert_id) FROM score_sheet")[0][0] > 2
        finally:
            engine.dispose()


def test_a_reviewer_decides_only_their_departments_applicants(
    pg_cluster: Cluster, demo_on_server: dict[str, object]
) -> None:
    reviewer = _as(pg_cluster, demo_on_server, "perm.wang")
    try:
        kinds = dict(
            (int(d), str(k))
            for d, k in _rows(
                reviewer,
                "SELECT d.id, p.kind FROM dossier d JOIN applicant p ON p.id = d.lead_applicant_id",
            )
        )
        school = next(d for d, k in kinds.items() if k.endswith(("university", "college")))
        firm = next(d for d, k in kinds.items() if k == "enterprise")

        def override(dossier: int) -> None:
            with reviewer.begin() as connection:
                connection.execute(
                    sa.text(
                        "INSERT INTO formal_override (dossier_id, check_id, result, reason, "
                        "decided_by, decided_at) VALUES (:d, 'manual', 'pass', '材料已核实', "
                        "'perm.wang', now())"
                    ),
                    {"d": dossier},
                )

        override(school)
        with pytest.raises(sa.exc.DBAPIError, match="row-level security"):
            override(firm)
    finally:
        reviewer.dispose()


@pytest.mark.parametrize("login", ["perm.li", "perm.zhang", "perm.chen", "perm.wang"])
def test_nobody_rewrites_the_audit_log_or_forges_its_actor(
    pg_cluster: Cluster, demo_on_server: dict[str, object], login: str
) -> None:
    engine = _as(pg_cluster, demo_on_server, login)
    try:
        for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
            with pytest.raises(sa.exc.DBAPIError), engine.begin() as connection:
                connection.execute(sa.text(statement))
        forged = (
            "INSERT INTO audit_log (id, at, actor, action, entity, entity_id, before, after, "
            "prev_hash, entry_hash) VALUES ((SELECT max(id) + 1 FROM audit_log), now(), "
            f"'{'perm.chen' if login != 'perm.chen' else 'perm.li'}', 'x', 'x', "
            "'', 'null', 'null', 'h', 'h')"
        )
        with (
            pytest.raises(sa.exc.DBAPIError, match="is not the login"),
            engine.begin() as connection,
        ):
            connection.execute(sa.text(forged))
    finally:
        engine.dispose()


def test_the_agency_cannot_finalise(pg_cluster: Cluster, demo_on_server: dict[str, object]) -> None:
    engine = _as(pg_cluster, demo_on_server, "perm.zhang")
    try:
        with pytest.raises(sa.exc.DBAPIError, match="permission denied"), engine.begin() as c:
            c.execute(
                sa.text(
                    "INSERT INTO final_list (finalised_at, finalised_by, content_hash, rows, "
                    "config) VALUES (now(), 'x', 'h', :rows, '{}')"
                ),
                {"rows": json.dumps([])},
            )
    finally:
        engine.dispose()


def test_an_expert_scores_through_the_app_under_their_own_name(
    pg_cluster: Cluster, demo_on_server: dict[str, object], tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from review_desk import scoring
    from review_desk.errors import NotPermitted
    from review_desk.project import Project
    from review_desk.scoring.state import ScoringError

    url = pg_cluster.url(str(demo_on_server["database"]), "perm.li", "expert-password")
    dossier = min(demo_on_server["mine"])  # type: ignore[call-overload]
    with Project(url, files_dir=tmp_path / "files") as project:
        scoring.set_score(project, int(demo_on_server["expert"]), dossier, "A1", 4.0)  # type: ignore[call-overload]
        assert (
            scoring.load_sheet(project, int(demo_on_server["expert"]), dossier).scores[  # type: ignore[call-overload]
                "A1"
            ]
            == 4.0
        )
        with project.reading() as session:
            actor = session.execute(
                sa.text("SELECT actor FROM audit_log ORDER BY id DESC LIMIT 1")
            ).scalar()
        assert actor == "perm.li"
        # Another expert's sheet: the app itself refuses (the assignment is not visible to
        # this account); the server would refuse the row anyway (see above).
        with pytest.raises((NotPermitted, ScoringError)):
            scoring.set_score(project, int(demo_on_server["other"]), dossier, "A1", 4.0)  # type: ignore[call-overload]


def test_an_experts_pages_read_only_what_the_expert_may_see(
    pg_cluster: Cluster, demo_on_server: dict[str, object], tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """What the expert's pages show, read through the app's own queries as the expert:
    before the assignments were limited too, the 评分 page failed on the assignments of
    other experts whose dossiers the expert may not see."""
    from review_desk import queries
    from review_desk.project import Project

    mine = demo_on_server["mine"]
    expert = int(demo_on_server["expert"])  # type: ignore[call-overload]
    url = pg_cluster.url(str(demo_on_server["database"]), "perm.li", "expert-password")
    with Project(url, files_dir=tmp_path / "files") as project:
        codes = {row.dossier_code for row in queries.score_sheets(project)}
        dossiers = queries.dossiers(project)
        assert {d.id for d in dossiers} == mine
        assert codes == {d.code for d in dossiers}
        assert {r.dossier_id for r in queries.expert_assignments(project, expert)} == mine
        for dossier in dossiers:
            assert all(m.filename for m in queries.materials(project, dossier.id))
        queries.recusals(project)
        queries.direction_counts(project)


def test_a_refused_write_is_a_clear_error_for_the_user(
    pg_cluster: Cluster, demo_on_server: dict[str, object], tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from review_desk.errors import NotPermitted
    from review_desk.project import Project

    url = pg_cluster.url(str(demo_on_server["database"]), "perm.li", "expert-password")
    with (
        Project(url, files_dir=tmp_path / "files") as project,
        pytest.raises(NotPermitted, match="无权"),
        project.transaction() as session,
    ):
        session.execute(sa.text("UPDATE review_project SET name = '改名'"))
