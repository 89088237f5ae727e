"""Publicity and objections (公示与异议) through the command line on the finalised demo:
two objections, one upheld (the list is revised into version 2, version 1 kept) and one
dismissed; publication refused before the period ends and while an objection is open,
then accepted; the evidence file kept byte for byte; every step audited and the chain
intact; the exports read the latest version."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from review_desk.cli import publicity_cmd
from review_desk.project import Project
from review_desk.storage import models as m
from tests.small_project import cli

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Set the commands' clock to noon (UTC) of a day."""

    def set_day(day: str) -> None:
        now = datetime.fromisoformat(f"{day}T04:00:00").replace(tzinfo=UTC)
        monkeypatch.setattr(publicity_cmd, "_clock", lambda: lambda: now)

    return set_day


def open_period(project: str) -> tuple[str, ...]:
    """The command that opens the publicity period from 1 to 7 December 2026."""
    return (
        "publicity-period",
        "open",
        project,
        "--start",
        "2026-12-01",
        "--end",
        "2026-12-07",
        "--contact",
        "0351-1234567",
    )


def decide_args(project: str, number: int, outcome: str, reason: str) -> tuple[str, ...]:
    """The command by which the committee decides objection ``number``."""
    return ("objection", "decide", project, "--id", str(number), "--outcome", outcome,
            "--reason", reason)  # fmt: skip


def revise_args(project: str, number: int, code: str, tier: str, reason: str) -> tuple[str, ...]:
    """The command by which an upheld objection ``number`` moves ``code`` to ``tier``."""
    return ("objection", "revise", project, "--id", str(number), "--dossier", code,
            "--tier", tier, "--reason", reason)  # fmt: skip


def _listed(project: Path) -> tuple[str, str]:
    """A provincial dossier's code and another listed dossier's code."""
    with Project(project) as opened, opened.reading() as session:
        rows = session.scalars(select(m.FinalList)).one().rows
    provincial = [r["code"] for r in rows if r["adjusted_tier"] == "provincial"]
    return provincial[0], provincial[1]


def test_publicity_with_two_objections(
    finalised_project: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    at: Callable[[str], None],
) -> None:
    project = str(finalised_project)
    upheld_code, dismissed_code = _listed(finalised_project)
    evidence = tmp_path / "举报材料.pdf"
    evidence_bytes = b"%PDF-1.4\n" + bytes(range(256)) * 40
    evidence.write_bytes(evidence_bytes)

    at("2026-12-03")
    code, out, err = cli(capsys, *open_period(project))
    assert code == 0, err
    code, _, err = cli(
        capsys,
        "objection",
        "add",
        project,
        "--dossier",
        upheld_code,
        "--objector",
        "张三",
        "--contact",
        "138",
        "--grounds",
        "申报材料中的合作企业数据不实",
        "--evidence",
        str(evidence),
        "--received",
        "2026-12-02",
    )
    assert code == 0, err
    code, _, err = cli(
        capsys,
        "objection",
        "add",
        project,
        "--dossier",
        dismissed_code,
        "--anonymous",
        "--grounds",
        "该单位实训设备不足",
    )
    assert code == 0, err

    # Before the last day has passed: refused, in Chinese.
    at("2026-12-07")
    code, _, err = cli(capsys, "publicity-period", "publish", project)
    assert code == 2 and "公示期" in err and "2026-12-07" in err
    # After it, while objections are open: refused, naming them.
    at("2026-12-08")
    code, _, err = cli(capsys, "publicity-period", "publish", project)
    assert code == 2 and "异议" in err and "1" in err and "2" in err

    code, _, err = cli(
        capsys,
        "objection",
        "investigate",
        project,
        "--id",
        "1",
        "--assignee",
        "李四",
        "--findings",
        "核实：合作企业数据与工商登记不符",
    )
    assert code == 0, err
    code, _, err = cli(
        capsys,
        *decide_args(project, 1, "upheld", "异议成立"),
    )
    assert code == 0, err
    # Still refused: the upheld objection has not revised the list yet.
    code, _, err = cli(capsys, "publicity-period", "publish", project)
    assert code == 2 and "异议" in err
    code, out, err = cli(
        capsys,
        *revise_args(project, 1, upheld_code, "municipal", "异议成立，调整为市（县）级"),
        "--json",
    )
    assert code == 0, err
    revision = json.loads(out)
    assert revision["version"] == 2
    assert revision["content_hash"] != revision["previous_hash"]
    changed = {entry["code"]: entry for entry in revision["diff"]}
    assert changed[upheld_code]["before"]["tier"] == "provincial"
    assert changed[upheld_code]["after"]["tier"] == "municipal"
    code, _, err = cli(
        capsys,
        *decide_args(project, 2, "dismissed", "经核查，实训设备符合要求"),
    )
    assert code == 0, err
    code, out, err = cli(capsys, "objection", "list", project, "--json")
    listed = {row["id"]: row for row in json.loads(out)}
    assert listed[1]["status"] == "upheld" and listed[1]["resulting_version"] == 2
    assert listed[2]["status"] == "dismissed" and listed[2]["anonymous"]
    assert listed[2]["objector"] == ""

    code, out, err = cli(capsys, "publicity-period", "publish", project)
    assert code == 0, err
    assert revision["content_hash"] in out
    code, out, _ = cli(capsys, "publicity-period", "status", project, "--json")
    state = json.loads(out)
    assert state["state"] == "published"
    assert state["published_hash"] == revision["content_hash"] == state["content_hash"]
    assert state["objections"] == {"open": 0, "investigating": 0, "upheld": 1, "dismissed": 1}

    with Project(finalised_project) as opened, opened.reading() as session:
        versions = session.scalars(select(m.FinalList).order_by(m.FinalList.id)).all()
        assert [v.version for v in versions] == [1, 2]
        assert versions[0].content_hash == revision["previous_hash"]
        assert versions[1].previous_id == versions[0].id and "1" in versions[1].reason
        stored = session.scalars(select(m.ObjectionEvidence)).one()
        assert stored.size == len(evidence_bytes)
        assert opened.files.path_for(stored.sha256).read_bytes() == evidence_bytes
        actions = [a for (a,) in session.execute(select(m.AuditLog.action))]
    for action in (
        "publicity.open",
        "objection.add",
        "objection.investigate",
        "objection.decide",
        "committee.adjust",
        "ranking.revise",
        "publicity.close",
        "publicity.publish",
    ):
        assert action in actions, action
    assert actions.count("objection.add") == 2 and actions.count("objection.decide") == 2
    code, out, _ = cli(capsys, "audit", "verify", project)
    assert code == 0, out

    # Every reader takes the latest version.
    code, out, _ = cli(capsys, "rank", project, "--json", "--resamples", "0")
    finalised = json.loads(out)["finalised"]
    assert finalised["content_hash"] == revision["content_hash"]
    assert finalised["changed_since"] == []
    workbook = tmp_path / "结果.xlsx"
    code, _, err = cli(capsys, "export", project, "--out", str(workbook))
    assert code == 0, err
    cells = {
        str(cell.value)
        for sheet in load_workbook(workbook, read_only=True).worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    }
    assert any(revision["content_hash"] in text for text in cells)
    # Version 1's hash only in 参数与说明's history of the versions.
    assert [text for text in cells if revision["previous_hash"] in text] == [
        next(text for text in cells if text.startswith("内容校验码 " + revision["previous_hash"]))
    ]


def test_refusals(
    finalised_project: Path, capsys: pytest.CaptureFixture[str], at: Callable[[str], None]
) -> None:
    project = str(finalised_project)
    code_a, _code_b = _listed(finalised_project)
    at("2026-12-03")
    # No period yet.
    code, _, err = cli(
        capsys, "objection", "add", project, "--dossier", code_a, "--anonymous", "--grounds", "理由"
    )
    assert code == 2 and "公示期" in err
    assert cli(capsys, *open_period(project))[0] == 0
    code, _, err = cli(capsys, *open_period(project))
    assert code == 2 and "公示期" in err
    assert (
        cli(
            capsys,
            "objection",
            "add",
            project,
            "--dossier",
            code_a,
            "--anonymous",
            "--grounds",
            "理由",
        )[0]
        == 0
    )
    code, _, err = cli(
        capsys,
        *decide_args(project, 1, "upheld", "好"),
    )
    assert code == 2 and "理由" in err
    assert (
        cli(
            capsys,
            *decide_args(project, 1, "dismissed", "不成立"),
        )[0]
        == 0
    )
    # A decided objection no longer changes, and a dismissed one revises nothing.
    code, _, err = cli(
        capsys,
        *decide_args(project, 1, "upheld", "改为成立"),
    )
    assert code == 2
    code, _, err = cli(
        capsys,
        *revise_args(project, 1, code_a, "municipal", "委员会调整理由"),
    )
    assert code == 2 and "成立" in err
    # The ordinary path still refuses to touch the finalised list.
    code, _, err = cli(
        capsys,
        "adjust",
        project,
        "--dossier",
        code_a,
        "--tier",
        "municipal",
        "--reason",
        "委员会调整理由",
    )
    assert code == 2
    # Closing before the end is refused; after it, no more objections.
    code, _, err = cli(capsys, "publicity-period", "close", project)
    assert code == 2 and "2026-12-07" in err
    at("2026-12-08")
    assert cli(capsys, "publicity-period", "close", project)[0] == 0
    code, _, err = cli(
        capsys, "objection", "add", project, "--dossier", code_a, "--anonymous", "--grounds", "理由"
    )
    assert code == 2 and "公示期已结束" in err


def test_bundle_of_a_revised_list_verifies(
    finalised_project: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    at: Callable[[str], None],
) -> None:
    """The verification bundle carries the latest version and verifies against its hash
    (the committee's adjustment for the objection is in the bundle)."""
    project = str(finalised_project)
    code_a, _ = _listed(finalised_project)
    at("2026-12-03")
    for argv in (
        open_period(project),
        ("objection", "add", project, "--dossier", code_a, "--anonymous", "--grounds", "理由"),
        (*decide_args(project, 1, "upheld", "成立"),),
    ):
        assert cli(capsys, *argv)[0] == 0
    code, out, err = cli(
        capsys,
        *revise_args(project, 1, code_a, "not_recommended", "异议成立，不予推荐"),
        "--json",
    )
    assert code == 0, err
    new_hash = json.loads(out)["content_hash"]
    bundle = tmp_path / "核验包.zip"
    code, out, err = cli(capsys, "bundle", project, "--out", str(bundle), "--json")
    assert code == 0, err
    assert json.loads(out)["content_hash"] == new_hash
    code, out, err = cli(capsys, "verify", str(bundle), "--hash", new_hash)
    assert code == 0, out + err


@pytest.mark.sqlite_only("downgrades the project file itself")
def test_a_finalised_list_of_an_earlier_version_becomes_version_1(
    finalised_project: Path,
) -> None:
    """Migration 0013 on a project finalised before it: its list is version 1, with no
    reason and no previous version, under the same hash."""
    from review_desk.storage.database import make_engine, migrate, url_for

    with Project(finalised_project) as opened, opened.reading() as session:
        before = session.scalars(select(m.FinalList.content_hash)).one()
    engine = make_engine(url_for(finalised_project))
    migrate(engine, "0012", down=True)
    engine.dispose()
    with Project(finalised_project) as opened, opened.reading() as session:
        assert opened.db.upgraded_from == "0012"
        final = session.scalars(select(m.FinalList)).one()
        assert (final.version, final.reason, final.previous_id, final.diff) == (1, "", None, [])
        assert final.content_hash == before
        assert opened.verify_audit().intact
