"""A small project with a panel: the one-dossier project of :mod:`tests.small_project`
plus two experts from a roster, a panel on the dossier's direction and its assignment,
all through the command line, as an agency sets it up."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, cast

import pytest
from openpyxl import load_workbook

from tests.small_project import cli, make_project

EXPERTS = [
    ("钱学文", "山西大学", "新能源材料", "0351-7010000", "qian@sxu.example.cn"),
    ("孙明", "太原科技大学", "机械工程", "13900000000", "sun@tyust.example.cn"),
]
ROSTER_COLUMNS = ("姓名", "工作单位", "专业领域", "电话", "邮箱")
PANEL = "新能源组"
OPINION = "材料完整，建设目标明确，重点任务具体可行，经费预算合理，保障措施有力。"


@dataclass(frozen=True)
class PanelProject:
    """Where the project is and the ids a test needs."""

    path: Path
    experts: dict[str, int]  # by name
    panel_id: int
    dossier_id: int
    dossier_code: str


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> object:
    code, out, err = cli(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def make_panel_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> PanelProject:
    """The one-dossier project with both experts on a panel that is assigned the dossier."""
    path = make_project(tmp_path, capsys)
    project = str(path)
    roster = tmp_path / "专家名单.xlsx"
    code, _out, err = cli(capsys, "template", "roster", str(roster))
    assert code == 0, err
    workbook = load_workbook(roster)
    sheet = workbook["专家名单"]
    headers = [c.value for c in sheet[2]]
    for offset, row in enumerate(EXPERTS):
        for column, value in zip(ROSTER_COLUMNS, row, strict=True):
            sheet.cell(row=3 + offset, column=headers.index(column) + 1, value=value)
    workbook.save(roster)
    code, _out, err = cli(capsys, "experts", "import", project, str(roster))
    assert code == 0, err
    experts = {e["name"]: e["id"] for e in _json(capsys, "experts", "list", project)}  # type: ignore[attr-defined]
    members = ",".join(str(experts[name]) for name, *_rest in EXPERTS)
    code, _out, err = cli(
        capsys, "panels", "create", project, PANEL,
        "--leader", str(experts[EXPERTS[0][0]]), "--members", members, "--directions", "7",
    )  # fmt: skip
    assert code == 0, err
    code, _out, err = cli(capsys, "panels", "assign", project, PANEL)
    assert code == 0, err
    (panel,) = _json(capsys, "panels", "list", project)  # type: ignore[misc]
    from review_desk import queries
    from review_desk.project import Project

    with Project(path) as opened:
        (row,) = queries.dossiers(opened)
    return PanelProject(path, experts, int(panel["id"]), row.id, row.code)


class _Captured:
    """What :func:`tests.small_project.cli` needs of ``capsys``, for a builder that runs
    outside a test (a module-scoped fixture cannot take the function-scoped capsys)."""

    def __init__(self) -> None:
        self.out, self.err = io.StringIO(), io.StringIO()

    def readouterr(self) -> tuple[str, str]:
        out, err = self.out.getvalue(), self.err.getvalue()
        for stream in (self.out, self.err):
            stream.seek(0)
            stream.truncate()
        return out, err


def build_panel_project(folder: Path) -> PanelProject:
    """:func:`make_panel_project` in ``folder``, without a test's capsys: build it once
    per module and give each test a copy (:func:`copy_panel_project`)."""
    captured = _Captured()
    with redirect_stdout(captured.out), redirect_stderr(captured.err):
        return make_panel_project(folder, cast(Any, captured))


def panel_project_once(tmp_path_factory: pytest.TempPathFactory) -> PanelProject:
    """The panel project built once per test run (shared by the xdist workers and by the
    modules that use it); the tests only read it or copy it (:func:`copy_panel_project`)."""
    from tests.built_once import built_once

    def build(folder: Path) -> None:
        made = build_panel_project(folder)
        ids = {**asdict(made), "path": made.path.relative_to(folder).as_posix()}
        (folder / "panel.json").write_text(json.dumps(ids), encoding="utf-8")

    folder = built_once(tmp_path_factory, "panel-project", build)
    ids = json.loads((folder / "panel.json").read_text(encoding="utf-8"))
    return PanelProject(**{**ids, "path": folder / ids["path"]})


def copy_panel_project(source: PanelProject, folder: Path) -> PanelProject:
    """A copy of a built panel project (database and file store) in ``folder``."""
    from tests.conftest import copy_project

    return replace(source, path=copy_project(source.path, folder / source.path.name))


def score_first_expert(made: PanelProject) -> int:
    """Score the first expert's sheet of the dossier (not submitted): distinct points
    for each applicable criterion, a comment on the first and the opinion; return the
    expert's id."""
    from review_desk import scoring
    from review_desk.project import Project
    from review_desk.queries import sheet_context

    expert = made.experts[EXPERTS[0][0]]
    with Project(made.path) as project:
        state = scoring.load_sheet(project, expert, made.dossier_id)
        rubric = scoring.rubric_of(project, state)
        kind = sheet_context(project, made.dossier_id).applicant_kind
        for number, c in enumerate(c for c in rubric.criteria if c.applies(kind)):
            # Distinct points (multiples of the step) so that each can be told apart.
            points = max(c.max - c.step * (number % 3 + 1), 0)
            scoring.set_score(project, expert, made.dossier_id, c.id, points)
        scoring.set_comment(project, expert, made.dossier_id, rubric.criteria[0].id, "场地照片清晰")
        scoring.set_opinion(project, expert, made.dossier_id, OPINION)
    return expert
