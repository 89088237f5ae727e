"""``review-desk server create``: the project's database, its group roles and their
table permissions, checked by raw SQL as a member of each group."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from tests.pg_cluster import Cluster
from tests.support import run_cli


def _login(cluster: Cluster, name: str, group: str) -> None:
    admin = sa.create_engine(cluster.url(), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f"CREATE ROLE \"{name}\" LOGIN PASSWORD 'pw-{name}'"))
            connection.execute(sa.text(f'GRANT "{group}" TO "{name}"'))
    finally:
        admin.dispose()


def test_create_a_project_on_the_server_and_open_it(pg_cluster: Cluster) -> None:
    made = run_cli(
        "server", "create", pg_cluster.url(), "--project", "sxa", "--name", "山西试点", "--json"
    )
    assert made.returncode == 0, made.stderr
    out = json.loads(made.stdout)
    assert out["database"] == "rd_sxa" and out["groups"] == [
        "rd_sxa_agency",
        "rd_sxa_reviewer",
        "rd_sxa_expert",
        "rd_sxa_committee",
    ]
    # Every command takes the server URL where it takes a project file.
    info = run_cli("project", "info", out["url"], "--json")
    assert info.returncode == 0, info.stderr
    assert json.loads(info.stdout)["name"] == "山西试点"
    audit = run_cli("audit", "verify", out["url"])
    assert audit.returncode == 0, audit.stderr

    again = run_cli("server", "create", pg_cluster.url(), "--project", "sxa", "--name", "再建")
    assert again.returncode != 0 and "sxa" in again.stderr and "Traceback" not in again.stderr


@pytest.mark.parametrize("key", ["SX", "1abc", "a-b", "x" * 41, "a;drop"])
def test_a_bad_short_name_is_refused_before_anything_is_made(pg_cluster: Cluster, key: str) -> None:
    def made() -> tuple[int, int]:
        engine = sa.create_engine(pg_cluster.url())
        try:
            with engine.connect() as connection:
                roles = connection.execute(sa.text("SELECT count(*) FROM pg_roles")).scalar()
                bases = connection.execute(sa.text("SELECT count(*) FROM pg_database")).scalar()
                return int(roles or 0), int(bases or 0)
        finally:
            engine.dispose()

    before = made()
    refused = run_cli("server", "create", pg_cluster.url(), "--project", key, "--name", "项目")
    assert refused.returncode == 2 and "短名" in refused.stderr, refused.stderr
    assert made() == before


def test_each_group_can_do_only_what_its_grants_allow(pg_cluster: Cluster) -> None:
    made = run_cli("server", "create", pg_cluster.url(), "--project", "sxb", "--name", "权限")
    assert made.returncode == 0, made.stderr
    for name, group in [
        ("zhang_agency", "agency"),
        ("li_expert", "expert"),
        ("wang_committee", "committee"),
    ]:
        _login(pg_cluster, name, f"rd_sxb_{group}")

    def attempt(user: str, statement: str) -> bool:
        engine = sa.create_engine(pg_cluster.url("rd_sxb", user, f"pw-{user}"))
        try:
            with engine.begin() as connection:
                connection.execute(sa.text(statement))
            return True
        except sa.exc.DBAPIError as error:
            assert "permission denied" in str(error.orig) or "append-only" in str(error.orig)
            return False
        finally:
            engine.dispose()

    read = "SELECT count(*) FROM dossier"
    final = (
        "INSERT INTO final_list (finalised_at, finalised_by, content_hash, rows, config) "
        "VALUES (now(), 'x', 'h', '[]', '{}')"
    )
    assert attempt("zhang_agency", read) and attempt("li_expert", read)
    assert not attempt("zhang_agency", final)  # the agency computes; the committee decides
    assert not attempt("li_expert", final)
    assert not attempt("li_expert", "UPDATE review_project SET name = '改名'")
    for user in ("zhang_agency", "li_expert", "wang_committee"):
        assert not attempt(user, "UPDATE audit_log SET actor = 'someone'")
        assert not attempt(user, "DELETE FROM audit_log")
    assert attempt("wang_committee", final)


def test_a_project_of_an_earlier_version_is_upgraded_by_its_administrator(
    pg_cluster: Cluster,
) -> None:
    """A new version of Review Desk adds a migration, a table, a row policy: a person's
    account cannot change the schema and is told who must; ``server upgrade`` (as the
    administrator) brings the schema, the grants and the policies up to date."""
    from review_desk.storage.database import HEAD_REVISION, KNOWN_REVISIONS, make_engine, migrate

    made = run_cli(
        "server", "create", pg_cluster.url(), "--project", "sxold", "--name", "旧版", "--json"
    )
    assert made.returncode == 0, made.stderr
    url = json.loads(made.stdout)["url"]
    _login(pg_cluster, "sxold.agency", "rd_sxold_agency")
    previous = KNOWN_REVISIONS[-2]
    owner = make_engine(url)
    try:
        migrate(owner, previous, down=True)  # as an earlier version left it
        with owner.begin() as c:
            c.execute(sa.text("DROP POLICY rd_rows ON score_sheet"))
            c.execute(sa.text("DROP TRIGGER audit_log_actor ON audit_log"))
            c.execute(sa.text("CREATE TABLE added_later (id integer PRIMARY KEY)"))
    finally:
        owner.dispose()
    agency = pg_cluster.url("rd_sxold", "sxold.agency", "pw-sxold.agency")
    refused = run_cli("project", "info", agency)
    assert refused.returncode == 2 and "server upgrade" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr

    done = run_cli("server", "upgrade", url)
    assert done.returncode == 0, done.stderr
    assert previous in done.stdout
    owner = sa.create_engine(url)
    try:
        with owner.connect() as c:
            assert c.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == (
                HEAD_REVISION
            )
            policies = c.execute(sa.text("SELECT tablename FROM pg_policies")).scalars().all()
            assert "score_sheet" in policies
            trigger = "SELECT 1 FROM pg_trigger WHERE tgname = 'audit_log_actor'"
            assert c.execute(sa.text(trigger)).scalar() == 1
            may = "SELECT has_table_privilege('rd_sxold_agency', 'added_later', 'INSERT')"
            assert c.execute(sa.text(may)).scalar() is True
    finally:
        owner.dispose()
    opened = run_cli("project", "info", agency)
    assert opened.returncode == 0, opened.stderr
    assert run_cli("server", "upgrade", url).returncode == 0  # again: nothing to do
