"""The publicity list carries where it stands (issue 17, part 2), through the command
line on the finalised demo: before any objection 第1版 and no objections' section;
while objections are open, 处理中; after one upheld (the list revised into version 2)
and one dismissed, 第2版 under version 2's hash (the hash ``rank --json`` and the
bundle give), both outcomes with the committee's reasons and 版本 1 → 2; after
publication the published list (正式发布) with its day. The results workbook's 参数与说明
lists both versions with the revision's reason and what changed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.small_project import cli
from tests.test_publicity_objections import _listed, at, decide_args, open_period, revise_args  # noqa: F401  (a fixture)

UPHELD_REASON = "经核实，合作企业数据不实，异议成立"
DISMISSED_REASON = "经核查，实训设备符合要求"


def _documents(capsys: pytest.CaptureFixture[str], project: str, folder: Path) -> tuple[str, str]:
    """``review-desk publicity`` as PDF and .xlsx; the text of each (lines joined)."""
    texts = []
    for suffix in (".pdf", ".xlsx"):
        target = folder / f"公示名单{suffix}"
        code, _out, err = cli(capsys, "publicity", project, "--out", str(target))
        assert code == 0, err
        if suffix == ".pdf":
            pages = PdfReader(target).pages
            texts.append("".join(p.extract_text() for p in pages).replace("\n", ""))
        else:
            sheet = load_workbook(target).active
            cells = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c]
            texts.append("\n".join(cells))
    return texts[0], texts[1]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code, out, err = cli(capsys, *argv)
    assert code == 0, err
    return out


def test_the_published_list_carries_its_version_and_the_objections(
    finalised_project: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    at: Callable[[str], None],  # noqa: F811
) -> None:
    project = str(finalised_project)
    upheld_code, dismissed_code = _listed(finalised_project)
    first_hash = json.loads(_run(capsys, "rank", project, "--json", "--resamples", "0"))[
        "finalised"
    ]["content_hash"]

    at("2026-12-03")
    _run(capsys, *open_period(project))
    for text in _documents(capsys, project, tmp_path):
        assert "第1版" in text and first_hash in text
        assert "异议处理情况" not in text and "正式发布" not in text
        # The period the agency opened, not the command's default days.
        assert "2026年12月1日至2026年12月7日" in text

    _run(
        capsys,
        "objection",
        "add",
        project,
        "--dossier",
        upheld_code,
        "--objector",
        "张三",
        "--grounds",
        "合作企业数据不实",
        "--received",
        "2026-12-02",
    )
    _run(
        capsys,
        "objection",
        "add",
        project,
        "--dossier",
        dismissed_code,
        "--anonymous",
        "--grounds",
        "实训设备不足",
    )
    pdf, sheet = _documents(capsys, project, tmp_path)
    for text in (pdf, sheet):
        assert "异议处理情况" in text and "处理中" in text and "2026-12-02" in text
        assert "张三" not in text  # the objector is never published

    _run(
        capsys,
        *decide_args(project, 1, "upheld", UPHELD_REASON),
    )
    revision = json.loads(
        _run(
            capsys,
            *revise_args(project, 1, upheld_code, "municipal", "异议成立，调整为市（县）级"),
            "--json",
        )
    )
    _run(
        capsys,
        *decide_args(project, 2, "dismissed", DISMISSED_REASON),
    )
    second_hash = revision["content_hash"]
    ranked = json.loads(_run(capsys, "rank", project, "--json", "--resamples", "0"))
    bundled = json.loads(
        _run(capsys, "bundle", project, "--out", str(tmp_path / "核验包.zip"), "--json")
    )
    assert ranked["finalised"]["content_hash"] == bundled["content_hash"] == second_hash
    pdf, sheet = _documents(capsys, project, tmp_path)
    for text in (pdf, sheet):
        assert "第2版" in text and second_hash in text and first_hash not in text
        assert "公示期间共收到异议 2 件" in text
        assert "维持异议" in text and "驳回异议" in text and "处理中" not in text
        assert UPHELD_REASON in text and DISMISSED_REASON in text
        assert upheld_code in text and dismissed_code in text
        assert "版本 1 → 2" in text
        assert "正式发布" not in text

    at("2026-12-08")
    _run(capsys, "publicity-period", "publish", project)
    pdf, sheet = _documents(capsys, project, tmp_path)
    for text in (pdf, sheet):
        assert "入选名单（正式发布）" in text and "发布日期：2026年12月8日" in text
        assert "拟入选名单公示" not in text and "第2版" in text and "维持异议" in text
    assert load_workbook(tmp_path / "公示名单.xlsx").properties.title.endswith("（正式发布）")

    workbook = tmp_path / "结果.xlsx"
    _run(capsys, "export", project, "--out", str(workbook), "--resamples", "0")
    rows = dict(
        row[:2]
        for row in load_workbook(workbook, read_only=True)["参数与说明"].iter_rows(values_only=True)
    )
    first, second = rows["名单第1版"], rows["名单第2版"]
    assert first_hash in first and "定稿" in first
    assert second_hash in second and "修订" in second
    assert f"理由：第 1 号异议成立：{UPHELD_REASON}" in second
    assert f"变动：{upheld_code} 省级基地（第1名） → 市县级基地（第1名）" in second


def test_a_list_before_its_publicity_period_is_version_1(
    finalised_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No period, no objection: 第1版 and no objections' section; 参数与说明 has
    version 1 only."""
    project = str(finalised_project)
    pdf, sheet = _documents(capsys, project, tmp_path)
    for text in (pdf, sheet):
        assert "第1版" in text and "拟入选名单公示" in text
        assert "异议处理情况" not in text and "第2版" not in text
