"""The expert pool's tables on a server (``conflict_rule``, ``expert_draw``, migration
0012), each role as its own login: the agency draws; the committee lists the draws and
verifies them, and reads them with raw SQL; an expert, a reviewer or the committee
cannot write a draw or a conflict rule, even with raw SQL; and ``server upgrade`` gives
a project of an earlier version the same rights."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from review_desk import pool
from review_desk.project import Project
from review_desk.server.accounts import add_user, parse_capacity
from review_desk.storage import models as m
from tests.pg_cluster import Cluster
from tests.server.conftest import demo_on_server
from tests.support import run_cli

KEY = "poolroles"
LOGINS = {
    "poolroles.agency": "agency",
    "poolroles.chair": "committee",
    "poolroles.edu": "reviewer:education",
}
PASSWORD = "pool-roles-pw"
NEW_TABLES = ("conflict_rule", "expert_draw")


@pytest.fixture(scope="module")
def server(
    pg_cluster: Cluster, demo_source: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """The demo on the server with a pool of direction 7 and an account per kind."""
    made = demo_on_server(pg_cluster, KEY, demo_source)
    rows = [[f"池专家{i}", f"池单位{i}", "", "", "7", "", "", ""] for i in range(8)]
    book = tmp_path_factory.mktemp("pool") / "pool.csv"
    with book.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["姓名", "工作单位", "所在城市", "职称", "评审方向", "对应专业",
                         "关联单位或人员", "曾任职单位"])  # fmt: skip
        writer.writerows(rows)
    with Project(made.url) as project:
        assert pool.import_pool(project, book).stored
        with project.reading() as session:
            expert = session.scalar(sa.select(sa.func.min(m.Expert.id)))
    for login, capacity in LOGINS.items():
        add_user(made.url, login, parse_capacity(capacity), PASSWORD)
    add_user(made.url, "poolroles.li", parse_capacity(f"expert:{expert}"), PASSWORD)
    urls = {
        login: pg_cluster.url(made.database, login, PASSWORD) for login in (*LOGINS, "poolroles.li")
    }
    yield {"admin": made.url, **urls}


def _draw(url: str) -> dict[str, object]:
    done = run_cli(
        "draw", "run", url, "--direction", "7", "--experts", "3", "--alternates", "1",
        "--public-value", "骰子 4-4-1", "--json", module="review_desk",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def test_the_agency_draws_and_the_committee_lists_and_verifies(server: dict[str, str]) -> None:
    made = _draw(server["poolroles.agency"])
    assert made["actor"] == "poolroles.agency"
    chair = server["poolroles.chair"]
    listed = run_cli("draw", "list", chair, "--json", module="review_desk")
    assert listed.returncode == 0, listed.stderr
    assert made["id"] in [d["id"] for d in json.loads(listed.stdout)]
    for login in ("poolroles.chair", "poolroles.li"):  # anyone may verify the draws
        verified = run_cli("draw", "verify", server[login], "--json", module="review_desk")
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert all(d["matches"] for d in json.loads(verified.stdout)["draws"])
    for login in ("poolroles.chair", "poolroles.li", "poolroles.edu"):
        engine = sa.create_engine(server[login])
        try:
            with engine.connect() as connection:
                seeds = connection.execute(sa.text("SELECT id, seed FROM expert_draw")).all()
                assert (made["id"], made["hashes"]["seed"]) in seeds  # type: ignore[index]
                connection.execute(sa.text("SELECT rule FROM conflict_rule")).all()
        finally:
            engine.dispose()


@pytest.mark.parametrize("login", ["poolroles.li", "poolroles.edu", "poolroles.chair"])
def test_only_the_agency_writes_draws_and_conflict_rules(
    server: dict[str, str], login: str
) -> None:
    made = _draw(server["poolroles.agency"])
    writes = [
        "INSERT INTO conflict_rule (rule, enabled, years, reason) "
        "VALUES ('city', true, NULL, '同城回避')",
        "UPDATE conflict_rule SET enabled = false",
        "DELETE FROM conflict_rule",
        "INSERT INTO expert_draw (drawn_at, actor, params, pool, rules, public_value, hashes, "
        "seed, selected, alternates, refusals) VALUES (now(), 'x', '{}', '[]', '[]', '1', "
        "'{}', 's', '[]', '[]', '[]')",
        f"UPDATE expert_draw SET public_value = '骰子 6-6-6' WHERE id = {made['id']}",
        f"DELETE FROM expert_draw WHERE id = {made['id']}",
    ]
    engine = sa.create_engine(server[login])
    try:
        for statement in writes:
            refused = pytest.raises(sa.exc.ProgrammingError, match="permission denied")
            with refused, engine.begin() as connection:
                connection.execute(sa.text(statement))
    finally:
        engine.dispose()
    verified = run_cli("draw", "verify", server["poolroles.chair"], module="review_desk")
    assert verified.returncode == 0, verified.stdout


def test_server_upgrade_gives_an_earlier_project_the_same_rights(server: dict[str, str]) -> None:
    """A project made before the pool's tables had no grants on them: as it would be
    after the migration alone, the committee cannot read the draws; ``server upgrade``
    grants them."""
    groups = ", ".join(f'"rd_{KEY}_{kind}"' for kind in ("agency", "reviewer", "expert",
                                                          "committee"))  # fmt: skip
    owner = sa.create_engine(server["admin"])
    try:
        with owner.begin() as connection:
            for table in NEW_TABLES:
                connection.execute(sa.text(f"REVOKE ALL ON {table} FROM {groups}"))
    finally:
        owner.dispose()
    chair = server["poolroles.chair"]
    assert run_cli("draw", "list", chair, module="review_desk").returncode != 0
    done = run_cli("server", "upgrade", server["admin"], module="review_desk")
    assert done.returncode == 0, done.stderr
    listed = run_cli("draw", "list", chair, "--json", module="review_desk")
    assert listed.returncode == 0, listed.stderr
    _draw(server["poolroles.agency"])
