"""The agency's setup from the command line: the roster template, importing the
experts, forming a panel, assigning it, a recusal, and the lists with ids and loads,
on a new project, the way a new user does it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.small_project import APPLICANT, cli, make_project

EXPERTS = [
    ("钱学文", "山西大学", "新能源材料", "0351-7010000", "qian@sxu.example.cn"),
    ("孙明", "太原科技大学", "机械工程", "13900000000", "sun@tyust.example.cn"),
    # Works for the applicant: the assignment detects the conflict and recuses her.
    ("李芳", APPLICANT, "电池管理", "13800000000", "li@xinghe.example.cn"),
]


def _fill(path: Path, rows: list[tuple[str, ...]]) -> None:
    """Fill the roster template's data rows the way a clerk does, in Excel's place."""
    workbook = load_workbook(path)
    sheet = workbook["专家名单"]
    headers = [c.value for c in sheet[2]]
    first = 3
    for offset, row in enumerate(rows):
        for column, value in zip(
            ("姓名", "工作单位", "专业领域", "电话", "邮箱"), row, strict=True
        ):
            sheet.cell(row=first + offset, column=headers.index(column) + 1, value=value)
    workbook.save(path)


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> object:
    code, out, err = cli(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_the_agency_is_set_up_headless(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = str(make_project(tmp_path, capsys))
    (dossier,) = _json(capsys, "review", project)  # type: ignore[misc]
    code_of_dossier = dossier["dossier"]

    roster = tmp_path / "专家名单.xlsx"
    code, out, err = cli(capsys, "template", "roster", str(roster))
    assert code == 0 and roster.exists(), err
    template = load_workbook(roster)
    assert template.sheetnames == ["专家名单", "填写说明"]  # the import reads the first
    assert [c.value for c in template["专家名单"][2]][:5] == [
        "序号",
        "姓名",
        "工作单位",
        "专业领域",
        "电话",
    ]
    _fill(roster, EXPERTS)

    imported = _json(capsys, "experts", "import", project, str(roster))
    assert imported == {**imported, "added": 3, "updated": 0, "stored": True, "issues": []}
    experts = _json(capsys, "experts", "list", project)
    ids = {e["name"]: e["id"] for e in experts}  # type: ignore[attr-defined]
    assert set(ids) == {"钱学文", "孙明", "李芳"}
    assert {e["organisation"] for e in experts} >= {"山西大学", APPLICANT}  # type: ignore[attr-defined]

    members = ",".join(str(ids[n]) for n in ("钱学文", "孙明", "李芳"))
    code, out, err = cli(
        capsys, "panels", "create", project, "新能源组",
        "--leader", str(ids["钱学文"]), "--members", members, "--directions", "7,12",
    )  # fmt: skip
    assert code == 0, err
    (panel,) = _json(capsys, "panels", "list", project)  # type: ignore[misc]
    assert panel["name"] == "新能源组" and panel["leader"] == "钱学文"
    assert set(panel["members"]) == {"钱学文", "孙明", "李芳"} and panel["dossiers"] == 1

    code, out, err = cli(capsys, "panels", "assign", project, "新能源组")
    assert code == 0, err
    assert "2" in out  # two assignments: 李芳 is recused (her organisation applies)

    code, out, err = cli(
        capsys, "recuse", project, "--expert", str(ids["孙明"]), "--dossier", code_of_dossier,
        "--reason", "曾为该单位提供咨询服务",
    )  # fmt: skip
    assert code == 0, err

    loads = {e["name"]: e for e in _json(capsys, "experts", "list", project)}  # type: ignore[attr-defined]
    assert (loads["钱学文"]["assigned"], loads["钱学文"]["recused"]) == (1, 0)
    assert (loads["孙明"]["assigned"], loads["孙明"]["recused"]) == (0, 1)
    assert (loads["李芳"]["assigned"], loads["李芳"]["recused"]) == (0, 1)
    assert loads["钱学文"]["panels"] == ["新能源组"]

    code, out, err = cli(capsys, "experts", "list", project)
    assert code == 0 and "钱学文" in out and "山西大学" in out and "新能源组" in out
    code, out, err = cli(capsys, "panels", "list", project)
    assert code == 0 and "新能源组" in out and "钱学文" in out


def test_setup_mistakes_are_refused_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = str(make_project(tmp_path, capsys, review=False))
    roster = tmp_path / "专家名单.xlsx"
    assert cli(capsys, "template", "roster", str(roster))[0] == 0
    _fill(roster, [("", "山西大学", "材料", "电话未知", "x@sxu.example.cn")])
    code, out, err = cli(capsys, "experts", "import", project, str(roster))
    assert code == 1, out + err
    assert "第 3 行" in out, out
    assert "姓名" in out and "电话" in out
    code, out, _err = cli(capsys, "experts", "list", project, "--json")
    assert json.loads(out) == []

    _fill(roster, [EXPERTS[0]])
    assert cli(capsys, "experts", "import", project, str(roster))[0] == 0
    for args in (
        (
            "panels",
            "create",
            project,
            "组",
            "--leader",
            "99",
            "--members",
            "99",
            "--directions",
            "7",
        ),
        (
            "panels",
            "create",
            project,
            "组",
            "--leader",
            "1",
            "--members",
            "1",
            "--directions",
            "31",
        ),
        ("panels", "create", project, "组", "--leader", "1", "--members", "x", "--directions", "7"),
        ("panels", "assign", project, "没有这个组"),
        ("recuse", project, "--expert", "1", "--dossier", "SX-99-9999", "--reason", "亲属关系回避"),
    ):
        code, out, err = cli(capsys, *args)
        assert code == 2, (args, out)
        assert err.strip() and "Traceback" not in err, args
