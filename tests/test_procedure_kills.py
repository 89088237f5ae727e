"""The post-list procedure's writes killed (SIGKILL) part-way, as a power cut or the
task manager would (issue 17's adversarial check): what is left is either nothing or
the whole result, and the command can simply be run again: a recognition round's
creation (and the hidden file a killed one leaves, removed by the next), the list's
publication and its revision for an upheld objection, each killed at several points."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from review_desk.list_versions import versions
from review_desk.project import Project
from review_desk.storage import models as m
from tests.conftest import copy_project
from tests.small_project import cli
from tests.test_publicity_objections import _listed, open_period

ROUND = "2027年认定验收"


def _started(*argv: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "review_desk", *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_recognition_create_killed_leaves_nothing_or_the_whole_round(
    finalised_source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    selection = copy_project(finalised_source, tmp_path / "selection.rdp")
    target = tmp_path / "认定验收.rdp"
    with Project(selection) as source, source.reading() as session:
        final = session.scalars(select(m.FinalList)).one()
        bases = sum(r["adjusted_tier"] in ("provincial", "municipal") for r in final.rows)
    run = _started("recognition", "create", str(selection), "--out", str(target),
                   "--round-name", ROUND)  # fmt: skip
    # Killed once the new file exists: while it is being filled.
    deadline = time.monotonic() + 30
    while not any(tmp_path.glob("*认定验收*")) and run.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.002)
    run.send_signal(signal.SIGKILL)
    run.wait()
    if target.exists():  # finished before the kill: the whole round
        with Project(target) as project:
            assert project.summary().dossiers == bases
    else:  # nothing at the place asked for, no link to it: created again at once
        done = cli(capsys, "recognition", "create", str(selection), "--out", str(target),
                   "--round-name", ROUND)  # fmt: skip
        assert done[0] == 0, done
    with Project(selection) as source, source.reading() as session:
        links = session.scalars(select(m.RecognitionLink)).all()
    assert len(links) <= 1
    code = str(final.rows[0]["code"])
    history = cli(capsys, "history", str(selection), "--dossier", code)
    assert history[0] == 0 and "Traceback" not in history[2]
    assert cli(capsys, "audit", "verify", str(target))[0] == 0


def test_a_later_create_removes_what_a_killed_one_left(
    finalised_source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The hidden file a killed ``recognition create`` was building (and its journal)
    is removed by the next create; one a running process is building is left alone."""
    selection = copy_project(finalised_source, tmp_path / "selection.rdp")
    target = tmp_path / "认定验收.rdp"
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()  # a process id no longer running
    dead = tmp_path / f".{target.name}.{ended.pid}.creating"
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    running = tmp_path / f".{target.name}.{alive.pid}.creating"
    for left in (dead, dead.with_name(dead.name + "-wal"), running):
        left.write_bytes(b"SQLite format 3\x00" + bytes(4000))
    try:
        done = cli(capsys, "recognition", "create", str(selection), "--out", str(target),
                   "--round-name", ROUND)  # fmt: skip
    finally:
        alive.kill()
        alive.wait()
    assert done[0] == 0, done
    assert sorted(p.name for p in tmp_path.glob(".*creating*")) == [running.name]


# A command that imports everything, says so, then waits for its start file: killed a
# measured time after the start, it is killed in its work, not in Python's imports.
READY_THEN_GATED = """
import os, sys, time
from review_desk.cli import main
open(sys.argv[1] + ".ready", "w").close()
while not os.path.exists(sys.argv[1]):
    time.sleep(0.001)
sys.exit(main(sys.argv[2:]))
"""
FRACTIONS = (0.3, 0.65, 0.95, 1.1)  # of the time an uninterrupted run takes


def killed_at_several_points(
    template: Path, folder: Path, argv: Callable[[Path], tuple[str, ...]]
) -> list[Path]:
    """Run ``argv(copy)`` on copies of the project ``template``: once to the end, timing
    it to its last audit entry, then killed (SIGKILL) at :data:`FRACTIONS` of that time.
    The copies, the uninterrupted one first."""
    copies = [copy_project(template, folder / f"run{i}.rdp") for i in range(len(FRACTIONS) + 1)]
    gates = [folder / f"go{i}" for i in range(len(copies))]
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", READY_THEN_GATED, str(gate), *argv(copy)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for gate, copy in zip(gates, copies, strict=True)
    ]
    deadline = time.monotonic() + 60
    while not all(Path(f"{gate}.ready").exists() for gate in gates):
        assert time.monotonic() < deadline and all(run.poll() is None for run in runs)
        time.sleep(0.01)
    started = datetime.now(UTC)
    gates[0].touch()
    assert runs[0].wait(60) == 0
    with Project(copies[0]) as project, project.reading() as session:
        last = session.scalars(select(m.AuditLog.at).order_by(m.AuditLog.id.desc())).first()
    assert last is not None
    work = (last.replace(tzinfo=last.tzinfo or UTC) - started).total_seconds()
    for gate, run, fraction in zip(gates[1:], runs[1:], FRACTIONS, strict=True):
        gate.touch()
        time.sleep(max(work, 0.0) * fraction)
        run.send_signal(signal.SIGKILL)
        run.wait()
    return copies


def _audited(project: Project, action: str) -> list[m.AuditLog]:
    with project.reading() as session:
        return list(session.scalars(select(m.AuditLog).where(m.AuditLog.action == action)))


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_publication_killed_is_published_with_its_hash_or_not_at_all(
    finalised_source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = copy_project(finalised_source, tmp_path / "template.rdp")
    ended = date.today() - timedelta(days=8)  # the period is over by the real clock
    done = cli(capsys, "publicity-period", "open", str(template), "--start",
               str(ended - timedelta(days=6)), "--end", str(ended), "--contact",
               "0351-1234567")  # fmt: skip
    assert done[0] == 0, done
    copies = killed_at_several_points(
        template, tmp_path, lambda copy: ("publicity-period", "publish", str(copy))
    )
    outcomes = []
    for copy in copies:
        with Project(copy) as project:
            assert project.verify_audit().intact, copy
            with project.reading() as session:
                period = session.scalars(select(m.PublicityPeriod)).one()
                final = session.scalars(select(m.FinalList)).one()
                published = (period.published_at, period.published_hash, period.closed_at)
            entries = _audited(project, "publicity.publish")
        if published[0] is None:  # before: nothing of it, and it can simply be run again
            assert published == (None, None, None) and entries == [], copy
            if False not in outcomes:
                done = cli(capsys, "publicity-period", "publish", str(copy))
                assert done[0] == 0, done
        else:  # after: the whole of it
            assert published[1] == final.content_hash and published[2] is not None
            assert [e.after["content_hash"] for e in entries] == [final.content_hash]
        outcomes.append(published[0] is not None)
    assert outcomes[0]  # the uninterrupted run


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_revision_killed_is_a_version_with_its_audit_entry_or_nothing(
    finalised_source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = copy_project(finalised_source, tmp_path / "template.rdp")
    upheld, _other = _listed(template)
    for argv in (
        open_period(str(template)),
        ("objection", "add", str(template), "--dossier", upheld, "--anonymous", "--grounds",
         "合作企业已注销"),
        ("objection", "decide", str(template), "--id", "1", "--outcome", "upheld", "--reason",
         "异议属实"),
    ):  # fmt: skip
        done = cli(capsys, *argv)
        assert done[0] == 0, done
    revise = ("--id", "1", "--dossier", upheld, "--tier", "municipal", "--reason", "改为市级")
    copies = killed_at_several_points(
        template, tmp_path, lambda copy: ("objection", "revise", str(copy), *revise)
    )
    rerun: list[Path] = []  # a killed copy revised again (once is enough to show it)
    for copy in copies:
        with Project(copy) as project:
            assert project.verify_audit().intact, copy
            listed = versions(project)
            with project.reading() as session:
                objection = session.scalars(select(m.Objection)).one()
                adjusted = session.scalars(
                    select(m.CommitteeAdjustment).where(m.CommitteeAdjustment.reason == "改为市级")
                ).all()
            entries = _audited(project, "ranking.revise")
        if objection.resulting_list_id is None:  # before: run again, it revises
            assert [v.version for v in listed] == [1] and entries == [] and adjusted == []
            if not rerun:
                done = cli(capsys, "objection", "revise", str(copy), *revise)
                assert done[0] == 0, done
                rerun.append(copy)
        else:  # after: version 2, its audit entry and the adjustment, once each
            assert [v.version for v in listed] == [1, 2] and len(adjusted) == 1
            assert [e.after["content_hash"] for e in entries] == [listed[1].content_hash]
