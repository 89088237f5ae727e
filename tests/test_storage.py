"""Project storage: creation, pragmas, migrations on open, and refusal of what it can't open."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import select, text

from review_desk.project import Project
from review_desk.storage import models as m
from review_desk.storage.database import (
    APPLICATION_ID,
    HEAD_REVISION,
    KNOWN_REVISIONS,
    MIGRATIONS_DIR,
    ProjectOpenError,
    ProjectTooNewError,
    _alembic_config,
    make_engine,
    upgrade,
    url_for,
)


def test_known_revisions_match_alembic() -> None:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    script = ScriptDirectory.from_config(config)
    chain = [rev.revision for rev in reversed(list(script.walk_revisions()))]
    assert tuple(chain) == KNOWN_REVISIONS
    assert script.get_current_head() == HEAD_REVISION


def test_new_project_has_settings_and_directions(tmp_path: Path) -> None:
    path = tmp_path / "p.rdp"
    with Project.create(path, name="测试项目") as project:
        with project.db.engine.connect() as c:
            assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert c.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        with project.reading() as s:
            assert s.scalar(select(m.Direction.name).where(m.Direction.id == 7)) == (
                "新能源产教融合平台载体和实训基地"
            )
            assert len(s.scalars(select(m.Direction)).all()) == 30
        assert project.info().per_direction_cap == 2
    assert (tmp_path / "p.rdp").is_file()


def test_models_match_migrated_schema(new_location: Callable[[str], Path | str]) -> None:
    with (
        Project.create(new_location("p"), name="x") as project,
        project.db.engine.connect() as c,
    ):
        context = MigrationContext.configure(c, opts={"compare_type": True})
        assert compare_metadata(context, m.Base.metadata) == []


def test_foreign_keys_are_enforced(new_location: Callable[[str], Path | str]) -> None:
    from sqlalchemy.exc import IntegrityError

    with (
        Project.create(new_location("p"), name="x") as project,
        pytest.raises(IntegrityError),
        project.transaction() as s,
    ):
        s.add(
            m.Dossier(
                code="X-1",
                platform_name="x",
                lead_applicant_id=999,
                direction_id=1,
                requested_level="provincial",
            )
        )


def _make_old_project(path: Path) -> None:
    """A project file as the first schema version left it, with data in it."""
    engine = make_engine(url_for(path))
    upgrade(engine, "0001")
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO review_project (id, name, round_name, organiser, agency,"
                " created_at, provincial_target, provincial_tolerance, per_direction_cap,"
                " min_opinion_length) VALUES ('p1', '旧项目', '', '', '',"
                " '2022-01-01 00:00:00', 10, 2, 2, 50)"
            )
        )
    engine.dispose()


def test_older_project_is_upgraded_after_a_backup(tmp_path: Path) -> None:
    path = tmp_path / "old.rdp"
    _make_old_project(path)
    with Project(path) as project:
        assert project.db.upgraded_from == "0001"
        backup = project.db.backup
        assert backup is not None and backup.is_file()
        assert project.info().name == "旧项目"
        with project.reading() as s:
            assert s.scalars(select(m.Expert)).all() == []  # table of revision 0002 exists
    with sqlite3.connect(backup) as old:
        assert old.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
        assert old.execute("SELECT name FROM review_project").fetchone() == ("旧项目",)
    old.close()
    with Project(path) as again:
        assert again.db.upgraded_from is None and again.db.backup is None


def test_newer_project_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.rdp"
    Project.create(path, name="x").close()
    with sqlite3.connect(path) as c:
        c.execute("UPDATE alembic_version SET version_num = '9999'")
    c.close()
    with pytest.raises(ProjectTooNewError, match="9999"):
        Project(path)


def test_other_files_are_refused_clearly(tmp_path: Path) -> None:
    not_db = tmp_path / "notes.rdp"
    not_db.write_text("这不是数据库", encoding="utf-8")
    with pytest.raises(ProjectOpenError, match=r"notes\.rdp"):
        Project(not_db)
    other_db = tmp_path / "other.rdp"
    with sqlite3.connect(other_db) as c:
        c.execute("CREATE TABLE t (x)")
    c.close()
    with pytest.raises(ProjectOpenError, match=r"other\.rdp"):
        Project(other_db)
    with pytest.raises(ProjectOpenError):
        Project(tmp_path / "missing.rdp")
    existing = tmp_path / "exists.rdp"
    existing.write_bytes(b"")
    with pytest.raises(ProjectOpenError):
        Project.create(existing, name="x")


def test_alembic_env_refuses_to_run_without_app_connection(tmp_path: Path) -> None:
    engine = make_engine(url_for(tmp_path / "x.rdp"))
    with engine.connect() as c:
        config = _alembic_config(c)
    config.attributes.pop("connection")
    from alembic import command

    with pytest.raises(RuntimeError):
        command.upgrade(config, "head")


def test_project_with_data_is_upgraded_from_every_older_revision(
    demo_project: Path,
) -> None:
    """Upgrades rebuild tables that other tables reference; no data may be lost."""
    from review_desk.storage.database import migrate

    with Project(demo_project) as project:
        before = project.summary()
    for older in reversed(KNOWN_REVISIONS[1:-1]):
        engine = make_engine(url_for(demo_project))
        migrate(engine, older, down=True)
        engine.dispose()
        with Project(demo_project) as project:
            assert project.db.upgraded_from == older
            assert project.summary() == before
            assert project.verify_audit().intact


def test_a_read_only_project_cannot_be_written(
    new_location: Callable[[str], Path | str],
) -> None:
    from sqlalchemy.exc import DBAPIError

    from tests.exchange.test_packages import dump

    path = new_location("p")
    Project.create(path, name="只读").close()
    before = dump(path, audit=True)
    with Project(path, read_only=True) as project:
        assert project.info().name == "只读"
        with pytest.raises(DBAPIError, match=r"read-only|readonly"), project.transaction() as s:
            s.execute(text("UPDATE review_project SET name = 'changed'"))
    assert dump(path, audit=True) == before
    if isinstance(path, Path):
        assert not path.with_name(path.name + "-wal").exists()


def test_a_read_only_open_does_not_upgrade_an_older_project(tmp_path: Path) -> None:
    path = tmp_path / "old.rdp"
    _make_old_project(path)
    before = path.read_bytes()
    with pytest.raises(ProjectOpenError, match="请先用评审台打开以升级"):
        Project(path, read_only=True)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["old.rdp"]  # no backup, no WAL
    with Project(path) as project:  # opened for writing: upgraded and marked as ours
        assert project.db.upgraded_from == "0001"
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA application_id").fetchone() == (APPLICATION_ID,)
    connection.close()


def test_a_foreign_database_with_our_table_names_but_another_application_id(
    tmp_path: Path,
) -> None:
    path = tmp_path / "look-alike.rdp"
    Project.create(path, name="x").close()
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA application_id=1234")
    connection.close()
    before = path.read_bytes()
    with pytest.raises(ProjectOpenError, match="不是评审台项目文件"):
        Project(path)
    assert path.read_bytes() == before


@pytest.mark.skipif(
    sys.platform != "linux" or shutil.which("unshare") is None, reason="needs Linux unshare"
)
def test_a_full_disk_when_opening_is_named_as_such(tmp_path: Path) -> None:
    """The project is opened on a real full disk: a 1 MB tmpfs, mounted in a private
    mount namespace (no root needed, nothing left mounted), filled up before opening."""
    project = tmp_path / "p.rdp"
    Project.create(project, name="满盘").close()
    disk = tmp_path / "disk"
    disk.mkdir()
    script = (
        f"mount -t tmpfs -o size=1m tmpfs '{disk}' || exit 99; "
        f"cp '{project}' '{disk}/p.rdp' && "
        f"(dd if=/dev/zero of='{disk}/fill' bs=4k 2>/dev/null; true) && "
        f"exec '{sys.executable}' -m review_desk project info '{disk}/p.rdp'"
    )
    env = dict(os.environ, REVIEW_DESK_LOG_DIR=str(tmp_path / "logs"), REVIEW_DESK_LANG="zh_CN")
    result = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
    )
    if result.returncode == 99 or "unshare:" in result.stderr:
        pytest.skip(f"cannot mount a small disk here: {result.stderr.strip()}")
    assert result.returncode == 2
    assert result.stderr.strip() == f"错误：磁盘空间不足：{disk / 'p.rdp'}"


def test_a_server_location_is_shown_with_its_port_and_never_its_password() -> None:
    from review_desk.storage.database import shown_location

    socket = "postgresql+psycopg://wang:s3cret@/rd_x?host=/run/pg&port=6543"
    assert shown_location(socket) == "wang@/run/pg:6543/rd_x"
    assert shown_location("postgresql://li:pw@db.example:5433/rd_y") == "li@db.example:5433/rd_y"
    assert shown_location("postgresql://li@db.example/rd_y") == "li@db.example:5432/rd_y"
