"""``review-desk server user add|list|disable``: real logins with SCRAM passwords in the
project's groups, refused passwords and roles, and a disabled account shut out."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from review_desk.project import Project
from review_desk.storage import models as m
from tests.pg_cluster import Cluster
from tests.support import run_cli


def _project(cluster: Cluster, folder: Path) -> str:
    key = f"acc{folder.name[-6:].replace('-', '_').lower()}"
    key = "".join(c for c in key if c.isalnum() or c == "_")
    made = run_cli("server", "create", cluster.url(), "--project", key, "--name", "账号", "--json")
    assert made.returncode == 0, made.stderr
    url = str(json.loads(made.stdout)["url"])
    with Project(url, files_dir=folder / "files") as project, project.transaction() as s:
        s.add(m.Expert(id=7, name="李明", organisation="太原理工大学"))
    return url


@pytest.fixture
def server_project(pg_cluster: Cluster, tmp_path: Path) -> str:
    return _project(pg_cluster, tmp_path)


@pytest.fixture(scope="module")
def untouched_project(pg_cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> str:
    """One project for the refusals: each leaves it as it was (checked by each)."""
    return _project(pg_cluster, tmp_path_factory.mktemp("refusals"))


def _add(url: str, name: str, role: str, password: str, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
    return run_cli("server", "user", "add", url, "--name", name, "--role", role, "--password-stdin")


def _connects(cluster: Cluster, url: str, login: str, password: str) -> bool:
    database = sa.make_url(url).database or ""
    engine = sa.create_engine(cluster.url(database, login, password))
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text("SELECT count(*) FROM dossier")).scalar() == 0
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()


def test_accounts_log_in_with_their_password_in_their_group(
    pg_cluster: Cluster, server_project: str, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    added = _add(server_project, "li.ming", "expert:7", "专家密码-2026!", monkeypatch)
    assert added.returncode == 0, added.stderr
    assert "专家 #7" in added.stdout
    reviewer = _add(server_project, "wang.edu", "reviewer:education", "审查密码-2026!", monkeypatch)
    assert reviewer.returncode == 0, reviewer.stderr
    assert _connects(pg_cluster, server_project, "li.ming", "专家密码-2026!")
    assert not _connects(pg_cluster, server_project, "li.ming", "wrong password")
    with sa.create_engine(pg_cluster.url()).connect() as admin:
        stored = admin.execute(
            sa.text("SELECT rolpassword FROM pg_authid WHERE rolname = 'li.ming'")
        ).scalar()
    assert stored.startswith("SCRAM-SHA-256$")  # never the password itself

    listed = run_cli("server", "user", "list", server_project, "--json")
    assert listed.returncode == 0, listed.stderr
    accounts = {a["login"]: a for a in json.loads(listed.stdout)}
    assert accounts["li.ming"]["kind"] == "expert" and accounts["li.ming"]["expert_id"] == 7
    assert accounts["wang.edu"]["department"] == "education"
    assert all(a["can_log_in"] and not a["disabled"] for a in accounts.values())

    disabled = run_cli("server", "user", "disable", server_project, "--name", "li.ming")
    assert disabled.returncode == 0, disabled.stderr
    assert not _connects(pg_cluster, server_project, "li.ming", "专家密码-2026!")
    again = {
        a["login"]: a
        for a in json.loads(run_cli("server", "user", "list", server_project, "--json").stdout)
    }
    assert again["li.ming"]["disabled"] and not again["li.ming"]["can_log_in"]
    audit = run_cli("audit", "verify", server_project)
    assert audit.returncode == 0, audit.stderr


@pytest.mark.parametrize(
    ("name", "role", "password", "says"),
    [
        ("zhao", "expert:99", "long-enough-pw", "专家 #99"),
        ("zhao", "reviewer:finance", "long-enough-pw", "reviewer:部门"),
        ("zhao", "boss", "long-enough-pw", "不是有效身份"),
        ("Zhao Wei", "agency", "long-enough-pw", "登录名"),
        ("zhao", "agency", "short", "10"),
    ],
)
def test_a_bad_account_is_refused_and_nothing_is_made(
    pg_cluster: Cluster,
    untouched_project: str,
    monkeypatch,
    name: str,
    role: str,
    password: str,
    says: str,
) -> None:  # type: ignore[no-untyped-def]
    refused = _add(untouched_project, name, role, password, monkeypatch)
    assert refused.returncode == 2 and says in refused.stderr, refused.stderr
    with sa.create_engine(pg_cluster.url()).connect() as admin:
        assert not admin.execute(
            sa.text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}
        ).first()
    listed = run_cli("server", "user", "list", untouched_project, "--json")
    assert json.loads(listed.stdout) == []


def test_an_account_added_twice_is_refused(server_project: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert _add(server_project, "sun", "agency", "agency-password", monkeypatch).returncode == 0
    again = _add(server_project, "sun", "committee", "agency-password", monkeypatch)
    assert again.returncode == 2 and "sun" in again.stderr
