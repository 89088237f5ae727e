"""The post-list procedure raced by real processes (issue 17's adversarial check): two
committee seats deciding one objection, two revisions for two upheld objections, a
recognition decision landing while the list is being finalised, two finalisations at
once, and a formal review failed while a base's outcome is being decided."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from review_desk import recognition
from review_desk.list_versions import versions
from review_desk.project import Project
from review_desk.storage import models as m
from tests.conftest import copy_project
from tests.small_project import cli
from tests.test_publicity_objections import at, decide_args, open_period  # noqa: F401  (a fixture)

# A command that waits for a start file, so that both processes have imported
# everything and start their work at the same moment.
GATED = """
import os, sys, time
while not os.path.exists(sys.argv[1]):
    time.sleep(0.001)
from review_desk.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _command(*argv: str) -> list[str]:
    return [sys.executable, "-m", "review_desk", *argv]


def race(folder: Path, *commands: tuple[str, ...]) -> list[tuple[int, str, str]]:
    """Run the commands in processes of their own, released at the same moment: each
    one's exit code, output and error."""
    go = folder / "go"
    go.unlink(missing_ok=True)
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", GATED, str(go), *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        for argv in commands
    ]
    time.sleep(1.5)  # the imports
    go.touch()
    return [(run.wait(60), *run.communicate()) for run in runs]


def test_objections_decided_and_revised_at_once(
    finalised_project: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    at: Callable[[str], None],  # noqa: F811
) -> None:
    project = str(finalised_project)
    with Project(project) as opened, opened.reading() as session:
        rows = session.scalars(select(m.FinalList)).one().rows
    codes = [r["code"] for r in rows if r["adjusted_tier"] == "provincial"][:3]
    at("2026-12-02")
    assert cli(capsys, *open_period(project))[0] == 0
    for code in codes:
        done = cli(capsys, "objection", "add", project, "--dossier", code, "--anonymous",
                   "--grounds", "申报材料不实")  # fmt: skip
        assert done[0] == 0, done

    # Two seats decide objection 1 at once: exactly one wins, the other is refused.
    decided = race(
        tmp_path,
        (*decide_args(project, 1, "upheld", "经核实异议属实"),),
        (*decide_args(project, 1, "dismissed", "材料齐全不予采纳"),),
    )
    assert sorted(code for code, _, _ in decided) == [0, 2], decided
    [refused] = [err for code, _, err in decided if code == 2]
    assert "已作出决定" in refused and "Traceback" not in refused

    # Objections 2 and 3 upheld, then revised at once: versions 2 and 3, each its diff.
    for number in ("2", "3"):
        done = cli(capsys, "objection", "decide", project, "--id", number, "--outcome",
                   "upheld", "--reason", "异议成立")  # fmt: skip
        assert done[0] == 0, done
    revised = race(
        tmp_path,
        *[
            (
                "objection",
                "revise",
                project,
                "--id",
                number,
                "--dossier",
                code,
                "--tier",
                "municipal",
                "--reason",
                "异议成立，改为市（县）级",
            )
            for number, code in (("2", codes[1]), ("3", codes[2]))
        ],
    )
    assert [code for code, _, _ in revised] == [0, 0], revised
    for _code, out, _err in revised:  # the diff as users read it, not Python's repr
        assert "省级基地" in out and "市县级基地" in out and "{" not in out, out
    with Project(project) as opened:
        listed = versions(opened)
        assert opened.verify_audit().intact
    assert [v.version for v in listed] == [1, 2, 3]
    assert sorted(v.diff[0]["code"] for v in listed[1:]) == sorted(codes[1:])
    assert all(len(v.diff) == 1 for v in listed[1:])


def test_a_decision_landing_while_the_round_is_finalised(
    explained_recognition_source: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another seat's decision committed after ``finalise`` read the outcomes but
    before it locked them: the finalised list holds that decision."""
    round_path = _round(explained_recognition_source, tmp_path)
    read_json = json.loads(cli(capsys, "recognition", "outcomes", str(round_path), "--json")[1])
    code = next(row["code"] for row in read_json["bases"] if row["suggested"] == "passed")
    read = recognition.round_review
    decided: list[subprocess.CompletedProcess[str]] = []

    def read_then_another_seat_decides(project: Project) -> recognition.RoundReview:
        result = read(project)
        if not decided:
            decided.append(
                subprocess.run(
                    _command(
                        "recognition",
                        "decide",
                        str(round_path),
                        "--dossier",
                        code,
                        "--outcome",
                        "failed",
                        "--reason",
                        "现场核查发现设备未到位",
                    ),
                    capture_output=True,
                    text=True,
                    encoding="utf-8",
                    check=False,
                )
            )
        return result

    monkeypatch.setattr(recognition, "round_review", read_then_another_seat_decides)
    done = cli(capsys, "recognition", "finalise", str(round_path), "--rectify-deadline",
               "2028-06-30")  # fmt: skip
    assert decided[0].returncode == 0, decided[0].stderr
    with Project(round_path) as opened, opened.reading() as session:
        final = session.scalars(select(m.RecognitionFinal)).one_or_none()
    # Either the decision is in the finalised list, or finalising was refused.
    if done[0] == 0:
        assert final is not None
        row = next(row for row in final.rows if row["code"] == code)
        assert row["outcome"] == "failed" and row["decided"], row
    else:
        assert final is None and done[0] == 2 and "Traceback" not in done[2], done


def _round(explained_recognition: Path, folder: Path) -> Path:
    """A private copy of the demo recognition round, its deviations explained (so that
    it can be finalised)."""
    return copy_project(explained_recognition, folder / "认定验收.rdp")


def test_two_finalisations_at_once(
    explained_recognition_source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two seats finalise the round at once: one list, one audit entry, the other seat
    told the list is finalised already."""
    round_path = _round(explained_recognition_source, tmp_path)
    command = ("recognition", "finalise", str(round_path), "--rectify-deadline", "2028-06-30")
    finalised = race(tmp_path, command, command)
    assert sorted(code for code, _, _ in finalised) == [0, 2], finalised
    [refused] = [err for code, _, err in finalised if code == 2]
    assert "已定稿" in refused and "Traceback" not in refused, refused
    with Project(round_path) as opened:
        with opened.reading() as session:
            lists = session.scalars(select(m.RecognitionFinal)).all()
            entries = session.scalars(
                select(m.AuditLog).where(m.AuditLog.action == "recognition.finalise")
            ).all()
        assert opened.verify_audit().intact
    assert len(lists) == 1 and len(entries) == 1
    assert entries[0].after["hash"] == lists[0].content_hash


def test_a_decision_while_the_formal_review_changes(
    explained_recognition_source: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A reviewer fails a base's formal review after ``decide`` read its suggestion
    (通过) but before it locked: the decision is not stored with the stale suggestion."""
    round_path = _round(explained_recognition_source, tmp_path)
    rows = json.loads(cli(capsys, "recognition", "outcomes", str(round_path), "--json")[1])
    code = next(row["code"] for row in rows["bases"] if row["suggested"] == "passed")
    read = recognition.outcomes
    changed: list[subprocess.CompletedProcess[str]] = []

    def read_then_the_review_fails(project: Project) -> list[recognition.BaseOutcome]:
        result = read(project)
        if not changed:
            changed.append(
                subprocess.run(
                    _command(
                        "review",
                        str(round_path),
                        "--override",
                        code,
                        "item:report.goals",
                        "fail",
                        "--reason",
                        "简介缺页",
                    ),
                    capture_output=True,
                    text=True,
                    encoding="utf-8",
                    check=False,
                )
            )
        return result

    monkeypatch.setattr(recognition, "outcomes", read_then_the_review_fails)
    done = cli(capsys, "recognition", "decide", str(round_path), "--dossier", code,
               "--outcome", "passed")  # fmt: skip
    assert changed[0].returncode == 0, changed[0].stderr
    monkeypatch.setattr(recognition, "outcomes", read)
    with Project(round_path) as opened:
        current = next(row for row in read(opened) if row.code == code)
        with opened.reading() as session:
            stored = session.scalars(select(m.RecognitionDecision)).all()
    assert current.suggested is None  # the formal review no longer passes
    if done[0] == 0:  # stored: with the suggestion in force when it was taken
        [decision] = stored
        assert decision.suggested == current.suggested, decision.suggested
    else:  # refused: accepting 通过 is now an override, which needs a reason
        assert not stored and done[0] == 2 and "Traceback" not in done[2], done
