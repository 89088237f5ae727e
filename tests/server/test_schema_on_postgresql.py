"""The project schema and the demo on PostgreSQL: the same migrations, the same content
as in a project file, and values that SQLite never limited fit the server too."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import text

from review_desk import ranking
from review_desk.demo import build_demo
from review_desk.project import Project
from review_desk.storage.database import HEAD_REVISION


def test_the_demo_builds_on_a_server_as_in_a_file(
    pg_database: str, pg_files: Path, demo_source: Path
) -> None:
    """Before 0009, the demo stopped at its fourth audit entry: a file's SHA-256 (64
    characters) as the entry's entity id, in a VARCHAR(50) that SQLite never enforced."""
    with build_demo(pg_database, files_dir=pg_files) as server:
        with server.reading() as session:
            assert session.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
                HEAD_REVISION
            )
        assert server.verify_audit().intact
        on_server = ranking.compute(server, resamples=0).table
    with Project(demo_source, read_only=True) as local:
        in_file = ranking.compute(local, resamples=0).table
    columns = ["code", "score", "rank", "tier", "reason"]
    pd.testing.assert_frame_equal(
        on_server[columns].reset_index(drop=True), in_file[columns].reset_index(drop=True)
    )


def test_no_text_column_is_length_limited_on_the_server(pg_database: str, pg_files: Path) -> None:
    Project.create(pg_database, name="试点", files_dir=pg_files).close()
    with Project(pg_database, files_dir=pg_files) as project, project.reading() as session:
        limited = (
            session.execute(
                text(
                    "SELECT table_name || '.' || column_name FROM information_schema.columns "
                    "WHERE table_schema = current_schema() AND data_type = 'character varying' "
                    "AND character_maximum_length IS NOT NULL AND table_name <> 'alembic_version'"
                )
            )
            .scalars()
            .all()
        )
        triggers = set(
            session.execute(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")).scalars()
        )
    assert limited == []
    # Set aside by 0009 and created again: the audit log's and the sheet totals'.
    assert {"audit_log_no_update", "score_totals_update"} <= triggers


def test_the_audit_log_refuses_changes_on_the_server(pg_database: str, pg_files: Path) -> None:
    """Raw SQL, as any client could send it: the server's trigger refuses both."""
    import sqlalchemy as sa

    Project.create(pg_database, name="试点", files_dir=pg_files).close()
    engine = sa.create_engine(pg_database)
    try:
        for statement in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
            with (
                pytest.raises(sa.exc.DBAPIError, match=r"append-only|audit"),
                engine.begin() as connection,
            ):
                connection.execute(text(statement))
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM audit_log")).scalar() == 1
    finally:
        engine.dispose()
