"""The post-list procedure's writes killed (SIGKILL) part-way, as a power cut or the
task manager would (issue 17's adversarial check): what is left is either nothing or
the whole result, and the command can simply be run again."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from review_desk.project import Project
from review_desk.storage import models as m
from tests.conftest import copy_project
from tests.small_project import cli

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
