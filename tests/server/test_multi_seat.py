"""Twenty seats at once on a project on a server: client processes, each logged in as
its own expert over loopback, autosave edits to their own score sheets for a minute
(``REVIEW_DESK_SEAT_SECONDS``, default 60). Afterwards every acknowledged edit is in
the database (a seat alone writes its fields, so the last acknowledged value of each
field is the stored one), the audit chain verifies, and the audit log holds one entry
per acknowledged save, with that save's value, in the order the seat saved them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from review_desk.project import Project
from tests.pg_cluster import Cluster
from tests.seat_client import SeatResult, loopback_url, prepare_seats, run_seats
from tests.server.conftest import demo_on_server

SEATS = 20
KEY = "seats"  # login roles are cluster-wide: this module's are seats.eID


def _seconds() -> float:
    return float(os.environ.get("REVIEW_DESK_SEAT_SECONDS", "60"))


def _stored(url: str, expert: int) -> dict[tuple[int, str], float | None]:
    """The points of each field of the expert's current sheets, as the admin reads them."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "SELECT sh.dossier_id, sc.criterion_id, sc.points FROM score sc "
                    "JOIN score_sheet sh ON sh.id = sc.sheet_id WHERE sh.expert_id = :e "
                    "AND sh.id = (SELECT max(s2.id) FROM score_sheet s2 "
                    "WHERE s2.expert_id = sh.expert_id AND s2.dossier_id = sh.dossier_id)"
                ),
                {"e": expert},
            ).all()
    finally:
        engine.dispose()
    return {(int(d), str(c)): p for d, c, p in rows}


def _audited(url: str, login: str) -> list[tuple[int, str, float]]:
    """The sheet changes the audit log holds from ``login``, in order."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "SELECT after FROM audit_log WHERE actor = :login "
                    "AND action = 'sheet.change' ORDER BY id"
                ),
                {"login": login},
            ).scalars()
            changes = []
            for after in rows:
                (change,) = after["changes"]
                changes.append((int(after["dossier_id"]), change["key"], change["value"]))
    finally:
        engine.dispose()
    return changes


@pytest.mark.multi_seat
def test_twenty_seats_autosaving_lose_nothing(pg_cluster: Cluster, demo_source: Path) -> None:
    made = demo_on_server(pg_cluster, KEY, demo_source)
    plans = prepare_seats(made.url, SEATS, KEY)
    assert len({p.expert_id for p in plans}) == SEATS
    urls = [loopback_url(made.url, plan.login) for plan in plans]
    seconds = _seconds()

    results: list[SeatResult] = run_seats(urls, plans, seconds, pause_ms=50.0)

    assert [r.errors for r in results] == [[] for _ in results]
    for result in results:
        assert len(result.edits) >= seconds, (result.login, len(result.edits))
        last = {(e.dossier_id, e.criterion_id): e.value for e in result.edits}
        stored = _stored(made.url, result.expert_id)
        assert {k: stored.get(k) for k in last} == last, result.login
        acknowledged = [(e.dossier_id, e.criterion_id, e.value) for e in result.edits]
        assert _audited(made.url, result.login) == acknowledged, result.login
    with Project(made.url) as project:
        report = project.verify_audit()
    assert report.intact, report.reason
