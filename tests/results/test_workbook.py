"""The results workbook: content against the consolidation results cell by cell,
formatting spot checks, reading back with openpyxl and pandas, LibreOffice conversion,
the empty project, cancelling, and the CLI."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from review_desk.progress import Cancelled
from review_desk.project import Project
from review_desk.ranking import tier_label
from review_desk.results.criterion_scores import criterion_scores
from review_desk.results.source import results_ranking
from review_desk.results.workbook import export_workbook
from review_desk.results.workbook_sheets import NAME_WIDTH
from review_desk.results.xlsx_tables import TIER_FILLS, display_width
from review_desk.rubrics import active_rubric
from review_desk.storage import models as m
from tests.small_project import cli
from tests.support import libreoffice_convert, run_cli

SHEETS = [
    "推荐名单（省级）",
    "分方向排名",
    "市级推荐",
    "评分汇总",
    "专家评分明细",
    "偏离预警",
    "形式审查",
    "答辩与考察记录",
    "信度分析",
    "委员会调整记录",
    "参数与说明",
]


def _header(sheet) -> list[str]:  # type: ignore[no-untyped-def]
    return [c.value for c in sheet[1]]


def _records(sheet) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    header = _header(sheet)
    return [
        dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)
    ]


def _close(a: object, b: object) -> bool:
    if a is None or b is None or (isinstance(b, float) and math.isnan(b)):
        return a is None and (b is None or (isinstance(b, float) and math.isnan(b)))
    return abs(float(a) - float(b)) < 1e-9  # type: ignore[arg-type]


def test_workbook_matches_the_consolidation_cell_by_cell(
    finalised_project: Path, tmp_path: Path
) -> None:
    target = tmp_path / "结果.xlsx"
    with Project(finalised_project) as project:
        result = results_ranking(project, resamples=200)
        summary = export_workbook(project, target, result=result)
        rubric = active_rubric(project)
        scores = criterion_scores(project, rubric.content_hash)
        with project.reading() as session:
            head = session.scalars(select(m.AuditLog).order_by(m.AuditLog.id.desc())).first()
            platforms = dict(session.execute(select(m.Dossier.id, m.Dossier.platform_name)).all())
    assert summary.content_hash and summary.content_hash == result.finalised.content_hash
    book = load_workbook(target)
    assert book.sheetnames == SHEETS
    table = result.table

    # 推荐名单（省级）: the adjusted provincial list, best first, with its scores.
    provincial = table[table["adjusted_tier"] == "provincial"].sort_values("score", ascending=False)
    rows = _records(book["推荐名单（省级）"])
    assert [r["申报编号"] for r in rows] == list(provincial["code"])
    assert [r["序号"] for r in rows] == list(range(1, len(provincial) + 1))
    for row, expected in zip(rows, provincial.itertuples(), strict=True):
        assert _close(row["综合得分"], expected.score)
        assert row["牵头申报主体"] == expected.applicant
        assert row["平台载体名称"] == platforms[expected.dossier_id]
        assert row["联席会议确定层级"] == tier_label("provincial")
        assert row["计算层级"] == tier_label(expected.tier)
        assert _close(row["入选概率"], expected.p_provincial)
    adjusted = [r for r in rows if r["计算层级"] != r["联席会议确定层级"]]
    assert len(adjusted) == 1 and adjusted[0]["调整理由"] == "联席会议认定其示范作用突出"

    # 分方向排名: every dossier once, grouped by direction, best first within each.
    by_direction = _records(book["分方向排名"])
    assert sorted(r["申报编号"] for r in by_direction) == sorted(table["code"])
    for direction, part in pd.DataFrame(by_direction).groupby("方向序号"):
        ranked = part[part["综合排名"].notna()]
        assert list(ranked["综合排名"]) == sorted(ranked["综合排名"]), direction
        assert list(ranked["方向内名次"]) == list(range(1, len(ranked) + 1))
        unranked = part[part["综合排名"].isna()]
        assert unranked["方向内名次"].isna().all()
        assert list(part.index) == list(ranked.index) + list(unranked.index)

    # 市级推荐: the municipal candidates grouped by city.
    municipal = _records(book["市级推荐"])
    assert sorted(r["申报编号"] for r in municipal) == sorted(
        table[table["adjusted_tier"] == "municipal"]["code"]
    )
    cities = [r["所在城市"] for r in municipal]
    assert cities == sorted(cities, key=cities.index)  # contiguous groups
    for city in set(cities):
        numbers = [r["市内序号"] for r in municipal if r["所在城市"] == city]
        assert numbers == list(range(1, len(numbers) + 1))

    # 评分汇总: each expert's total, max, min, spread, consolidated score, flags.
    totals = result.totals
    summary_rows = {r["申报编号"]: r for r in _records(book["评分汇总"])}
    assert len(summary_rows) == len(table)
    for dossier in table.itertuples():
        row = summary_rows[dossier.code]
        assert _close(row["综合得分"], dossier.score)
        assert _close(row["合成分"], dossier.base)
        assert row["偏离预警"] == dossier.flags
        mine = totals[totals["dossier_id"] == dossier.dossier_id]
        for slot, (expert, total) in enumerate(
            zip(mine["expert"], mine["total"], strict=True), start=1
        ):
            assert row[f"专家{slot}"] == expert
            assert _close(row[f"专家{slot}得分"], total)
        assert row.get(f"专家{len(mine) + 1}") is None
        if len(mine):
            assert _close(row["最高分"], mine["total"].max())
            assert _close(row["最低分"], mine["total"].min())
            assert _close(row["极差"], mine["total"].max() - mine["total"].min())

    # 专家评分明细: every criterion score of every submitted sheet.
    detail = book["专家评分明细"]
    header = _header(detail)
    detail_rows = list(detail.iter_rows(min_row=2, values_only=True))
    assert len(detail_rows) == scores["sheet_id"].nunique()
    columns = {c.id: header.index(f"{c.id} {c.name}（{c.max:g}）") for c in rubric.criteria}
    cells = {
        (row[0], row[2], rubric_id): row[index]
        for row in detail_rows
        for rubric_id, index in columns.items()
    }
    codes = dict(zip(table["dossier_id"], table["code"], strict=True))
    names = dict(zip(totals["expert_id"], totals["expert"], strict=True))
    for score in scores.itertuples():
        key = (codes[score.dossier_id], names[score.expert_id], score.criterion_id)
        assert _close(cells[key], score.points)

    # 偏离预警: every flag with its explanation.
    flags = _records(book["偏离预警"])
    assert len(flags) == len(result.experts)
    assert all(r["已说明"] == "是" and r["说明"] == "专家书面说明：已复核材料" for r in flags)

    adjustments = _records(book["委员会调整记录"])
    assert len(adjustments) == 1
    assert adjustments[0]["调整为"] == tier_label("provincial")
    assert adjustments[0]["决定人"] == "联席会议"

    params = {r["参数/说明"]: r["内容"] for r in _records(book["参数与说明"])}
    assert params["名单校验码（SHA-256）"] == summary.content_hash
    assert params["指导标准校验码"] == rubric.content_hash
    assert params["审计链末端哈希（SHA-256）"] == head.entry_hash
    assert params["审计链完整"] == "是"
    assert params["每方向省级名额上限"] == 2

    reliability = _records(book["信度分析"])
    assert [r["专家组"] for r in reliability] and all(0 <= r["ICC(2,k)"] <= 1 for r in reliability)


def test_workbook_formatting(finalised_project: Path, tmp_path: Path) -> None:
    target = tmp_path / "results.xlsx"
    with Project(finalised_project) as project:
        summary = export_workbook(project, target, result=results_ranking(project, resamples=50))
    book = load_workbook(target)
    sheet = book["推荐名单（省级）"]
    header = sheet[1]
    assert all(c.font.bold for c in header)
    assert header[0].fill.fgColor.rgb.endswith("1F4E79")
    assert sheet.freeze_panes == "D2"
    assert sheet.auto_filter.ref == f"A1:L{sheet.max_row}"
    assert sheet["G2"].number_format == "0.00"
    assert sheet["L2"].number_format == "0.0%"
    assert sheet["I2"].fill.fgColor.rgb.endswith(TIER_FILLS["provincial"])
    # A column is as wide as its longest value, up to a limit beyond which names wrap.
    longest = max(display_width(c.value) for c in sheet["C"])
    width = sheet.column_dimensions["C"].width
    assert width >= min(longest, NAME_WIDTH)
    assert all(c.alignment.wrap_text for c in sheet["C"][1:] if display_width(c.value) > width)
    # Columns of Latin text are not made wide for nothing.
    assert sheet.column_dimensions["A"].width < 10
    assert sheet.page_setup.orientation == "landscape"
    assert str(sheet.page_setup.paperSize) == "9"
    assert _printed_scale(sheet) >= 73
    assert sheet.print_title_rows == "$1:$1"
    assert "&P" in sheet.oddFooter.center.text and "&N" in sheet.oddFooter.center.text
    assert "签字" in sheet.oddFooter.left.text
    assert summary.content_hash[:16] in sheet.oddFooter.right.text
    assert "推荐名单（省级）" in sheet.oddHeader.center.text
    for name in book.sheetnames:
        assert summary.content_hash[:16] in book[name].oddFooter.right.text, name
    assert book.properties.description == summary.content_hash
    assert book.properties.title and book.properties.creator
    # pandas reads every sheet with its header in the first row.
    frames = pd.read_excel(target, sheet_name=None, engine="openpyxl")
    assert list(frames) == SHEETS
    assert list(frames["推荐名单（省级）"]["申报编号"]) == [c.value for c in sheet["B"][1:]]


@pytest.fixture(scope="module")
def printed_workbook(finalised_source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The finalised demo's workbook printed to PDF by LibreOffice, once per run for the
    tests that only read the print (also when xdist runs them on two workers)."""
    from tests.built_once import built_once
    from tests.conftest import copy_project

    def build(folder: Path) -> None:
        target = folder / "results.xlsx"
        with Project(copy_project(finalised_source, folder / "final.rdp")) as project:
            export_workbook(project, target, result=results_ranking(project, resamples=0))
        libreoffice_convert(target, "pdf", folder)

    return built_once(tmp_path_factory, "printed-workbook", build) / "lo" / "results.pdf"


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_opens_the_workbook(printed_workbook: Path) -> None:
    from pypdf import PdfReader

    pdf = PdfReader(printed_workbook)
    assert len(pdf.pages) >= len(SHEETS)
    text = pdf.pages[0].extract_text()
    assert "推荐名单" in text and "第 1 页" in text


def test_unfinalised_and_empty_projects_export(demo_project: Path, tmp_path: Path) -> None:
    with Project(demo_project) as project:
        summary = export_workbook(
            project, tmp_path / "w.xlsx", result=results_ranking(project, resamples=0)
        )
    assert summary.content_hash is None
    book = load_workbook(tmp_path / "w.xlsx")
    assert "未定稿" in book["推荐名单（省级）"].oddFooter.right.text
    params = {r["参数/说明"]: r["内容"] for r in _records(book["参数与说明"])}
    assert params["是否定稿"] == "否（工作稿）"

    empty = Project.create(tmp_path / "empty.rdp", name="空项目")
    try:
        summary = export_workbook(empty, tmp_path / "empty.xlsx")
    finally:
        empty.close()
    book = load_workbook(tmp_path / "empty.xlsx")
    assert book.sheetnames == SHEETS
    assert book["推荐名单（省级）"].max_row == 1
    assert summary.rows["推荐名单（省级）"] == 0


def test_cancelled_export_leaves_the_earlier_file(demo_project: Path, tmp_path: Path) -> None:
    target = tmp_path / "w.xlsx"
    target.write_bytes(b"earlier")
    calls = []

    def progress(done: int, total: int, what: str) -> None:
        calls.append(what)
        if done >= 5:
            raise Cancelled

    with Project(demo_project) as project, pytest.raises(Cancelled):
        export_workbook(
            project, target, result=results_ranking(project, resamples=0), progress=progress
        )
    assert target.read_bytes() == b"earlier"
    assert not list(tmp_path.glob(".*.part"))
    assert len(calls) == 6  # stopped at the sixth step


def test_export_command(
    finalised_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out.xlsx"
    done = run_cli(
        "export",
        str(finalised_project),
        "--out",
        str(target),
        "--resamples",
        "0",
        module="review_desk",
    )
    assert done.returncode == 0, done.stderr
    assert "定稿名单校验码" in done.stdout and target.exists()
    # The refusal in-process (the entry point has run above).
    status, _out, err = cli(
        capsys, "export", str(finalised_project), "--out", str(tmp_path / "x.csv")
    )
    assert status == 2 and ".xlsx" in err
    assert not (tmp_path / "x.csv").exists()


def test_hostile_text_stays_text(demo_project: Path, tmp_path: Path) -> None:
    """Text from a register that looks like a formula, holds a control character or is
    too long for a cell is written as (clean) text: no formula, no repair prompt."""
    with Project(demo_project) as project:
        with project.transaction() as session:
            applicants = list(session.scalars(select(m.Applicant).order_by(m.Applicant.id)))
            applicants[0].name = '=HYPERLINK("http://example.com","点我")'
            applicants[1].name = "山西\x07某某学院"
        export_workbook(project, tmp_path / "w.xlsx", result=results_ranking(project, resamples=0))
    sheet = load_workbook(tmp_path / "w.xlsx")["分方向排名"]
    names = {c.value: c for c in sheet["E"][1:]}
    assert names['=HYPERLINK("http://example.com","点我")'].data_type == "s"
    assert "山西某某学院" in names
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)


def test_a_list_changed_after_finalising_is_not_stamped_as_final(
    finalised_project: Path, tmp_path: Path
) -> None:
    with Project(finalised_project) as project:
        with project.transaction() as session:
            for sheet in session.scalars(
                select(m.ScoreSheet).where(m.ScoreSheet.status == "submitted")
            ).all()[:12]:
                for score in sheet.scores:
                    score.points = 0
        result = results_ranking(project, resamples=0)
        assert result.finalised.changed_since
        export_workbook(project, tmp_path / "w.xlsx", result=result)
    book = load_workbook(tmp_path / "w.xlsx")
    footer = book["推荐名单（省级）"].oddFooter.right.text
    assert "不一致" in footer and result.finalised.content_hash[:16] in footer
    assert book.properties.description != result.finalised.content_hash


def test_names_in_headers_are_text(demo_project: Path, tmp_path: Path) -> None:
    with Project(demo_project) as project:
        with project.transaction() as session:
            experts = list(session.scalars(select(m.Expert).order_by(m.Expert.id)))
            experts[0].name = '=HYPERLINK("http://example.com")'
            experts[1].name = "李\x07秀梅"
            experts[2].name = experts[3].name  # two experts of one name
        export_workbook(project, tmp_path / "w.xlsx", result=results_ranking(project, resamples=0))
    book = load_workbook(tmp_path / "w.xlsx")
    summary = book["评分汇总"]
    header = [c.value for c in summary[1]]
    names = [
        cell
        for row in summary.iter_rows(min_row=2)
        for title, cell in zip(header, row, strict=True)
        if title
        and title.startswith("专家")
        and not title.endswith("得分")
        and cell.value is not None
    ]
    assert names and all(c.data_type == "s" for c in names)
    values = {c.value for c in names}
    assert '=HYPERLINK("http://example.com")' in values and "李秀梅" in values
    duplicated = {v for v in values if v.startswith(experts[3].name)}
    assert len(duplicated) == 2


def test_ties_follow_the_rank_and_unranked_have_no_place() -> None:
    from review_desk.results import workbook_sheets as sheets

    table = pd.DataFrame(
        {
            "dossier_id": [1, 2, 3],
            "code": ["A-1", "B-2", "C-3"],
            "applicant": ["甲", "乙", "丙"],
            "direction_id": [1, 1, 1],
            "direction": ["智能建造"] * 3,
            "city": ["太原市"] * 3,
            "requested_level": ["provincial"] * 3,
            "score": [80.0, 80.0, 95.0],
            "rank": [2, 1, None],  # B-2 wins the tie-break; C-3 is ineligible
            "tier": ["municipal", "provincial", "ineligible"],
            "adjusted_tier": ["municipal", "provincial", "ineligible"],
            "reason": ["", "", "不符合条件"],
        }
    )
    rows = list(sheets.direction_ranking(table).rows)
    assert [r[3] for r in rows] == ["B-2", "A-1", "C-3"]
    assert [r[2] for r in rows] == [1, 2, None]


def test_scores_of_an_earlier_rubric_version_stay_in_the_detail(
    demo_project: Path, tmp_path: Path
) -> None:
    from review_desk.rubrics import active_rubric, default_rubric_text, use_rubric

    with Project(demo_project) as project:
        before = active_rubric(project)
        text = default_rubric_text().replace(f'version = "{before.version}"', 'version = "9.9"', 1)
        use_rubric(project, text)
        assert active_rubric(project).version == "9.9"
        summary = export_workbook(
            project, tmp_path / "w.xlsx", result=results_ranking(project, resamples=0)
        )
    detail = _records(load_workbook(tmp_path / "w.xlsx")["专家评分明细"])
    assert summary.rows["专家评分明细"] == len(detail) > 100
    assert {r["指导标准版本"] for r in detail} == {before.version}


def test_an_independent_reader_sees_the_same_workbook(
    finalised_project: Path, tmp_path: Path
) -> None:
    """calamine (a Rust reader that shares no code with openpyxl) reads every sheet to
    the same values as openpyxl."""
    pytest.importorskip("python_calamine")
    target = tmp_path / "results.xlsx"
    with Project(finalised_project) as project:
        export_workbook(project, target, result=results_ranking(project, resamples=50))
    ours = pd.read_excel(target, sheet_name=None, engine="openpyxl")
    theirs = pd.read_excel(target, sheet_name=None, engine="calamine")
    assert list(ours) == list(theirs) == SHEETS
    for name in SHEETS:
        a, b = ours[name], theirs[name]
        assert list(a.columns) == list(b.columns), name
        assert a.shape == b.shape, name
        for column in a.columns:
            left, right = a[column].tolist(), b[column].tolist()
            for x, y in zip(left, right, strict=True):
                if isinstance(x, float) or isinstance(y, float):
                    assert (pd.isna(x) and pd.isna(y)) or abs(float(x) - float(y)) < 1e-9, (
                        name,
                        column,
                    )
                elif hasattr(x, "to_pydatetime") or hasattr(y, "to_pydatetime"):
                    assert pd.Timestamp(x).floor("s") == pd.Timestamp(y).floor("s"), (name, column)
                else:
                    assert x == y, (name, column, x, y)


# Printing. Excel measures a column of width w as w widths of "0" plus padding: about
# (7 w + 5) pixels of the default 11 pt font, at 0.75 pt a pixel.
A4_LANDSCAPE_WIDTH_PT = 841.89
BODY_FONT_PT = 11


def _columns_pt(sheet, letters=None) -> float:  # type: ignore[no-untyped-def]
    from openpyxl.utils import get_column_letter

    total = 0.0
    for index in range(1, sheet.max_column + 1):
        letter = get_column_letter(index)
        if letters is None or letter in letters:
            total += (sheet.column_dimensions[letter].width * 7 + 5) * 0.75
    return total


def _printed_scale(sheet) -> float:  # type: ignore[no-untyped-def]
    """The scale a sheet prints at: its own, or what fitting it to the page width gives."""
    setup = sheet.page_setup
    if sheet.sheet_properties.pageSetUpPr.fitToPage:
        usable = A4_LANDSCAPE_WIDTH_PT - 72 * (sheet.page_margins.left + sheet.page_margins.right)
        return float(min(1.0, usable / _columns_pt(sheet)) * 100)
    return float(setup.scale or 100)


def _finalised_by_the_committee(demo_project: Path) -> None:
    """What a user does: explain the flags, then ``review-desk finalise``."""
    from review_desk import ranking, ranking_decisions
    from review_desk.cli import main

    with Project(demo_project) as project:
        flags = ranking.compute(project, resamples=0).experts
        for dossier_id, expert_id in zip(flags["dossier_id"], flags["expert_id"], strict=True):
            ranking_decisions.explain_deviation(
                project, int(dossier_id), int(expert_id), "已复核材料，评分有据"
            )
    assert main(["finalise", str(demo_project)]) == 0


def test_every_sheet_prints_at_a_readable_size(finalised_project: Path, tmp_path: Path) -> None:
    """No sheet is squeezed: text of 11 pt prints at 8 pt or more, long sheets run over
    as many pages as they need (never "fit to one page tall"), the header row repeats,
    and a sheet too wide for the page splits its columns with the first ones repeated."""
    target = tmp_path / "results.xlsx"
    with Project(finalised_project) as project:
        export_workbook(project, target, result=results_ranking(project, resamples=0))
    book = load_workbook(target)
    for name in SHEETS:
        sheet = book[name]
        setup = sheet.page_setup
        assert setup.orientation == "landscape" and str(setup.paperSize) == "9", name
        scale = _printed_scale(sheet)
        assert scale * BODY_FONT_PT / 100 >= 8, (name, scale)
        if sheet.sheet_properties.pageSetUpPr.fitToPage:
            assert setup.fitToHeight == 0 and setup.fitToWidth == 1, name
        assert sheet.print_title_rows == "$1:$1", name
    # 130 sheets × 23 columns: far wider than a page at a readable size, so the columns
    # split across pages and the dossier, applicant and expert repeat on each.
    detail = book["专家评分明细"]
    assert detail.max_row > 100 and detail.max_column > 20
    assert not detail.sheet_properties.pageSetUpPr.fitToPage
    usable = A4_LANDSCAPE_WIDTH_PT - 72 * (detail.page_margins.left + detail.page_margins.right)
    assert _columns_pt(detail) * _printed_scale(detail) / 100 > usable
    assert detail.print_title_cols == "$A:$C"
    # The narrow lists fit one page wide at (nearly) full size.
    assert _printed_scale(book["参数与说明"]) >= 90


def test_long_names_wrap_in_rows_tall_enough(finalised_project: Path, tmp_path: Path) -> None:
    """Names, platform names, reasons and explanations longer than their column wrap,
    and the row is made tall enough for every line (not every program grows it)."""
    target = tmp_path / "results.xlsx"
    with Project(finalised_project) as project:
        with project.transaction() as session:
            dossier = session.scalars(select(m.Dossier).order_by(m.Dossier.id).limit(1)).one()
            dossier.platform_name = "山西省" + "智能制造与工业互联网产教融合实训" * 4 + "基地"
        export_workbook(project, target, result=results_ranking(project, resamples=0))
    book = load_workbook(target)
    checked = 0
    for name, header in [
        ("推荐名单（省级）", "牵头申报主体"),
        ("推荐名单（省级）", "平台载体名称"),
        ("分方向排名", "牵头申报主体"),
        ("分方向排名", "说明"),
        ("市级推荐", "平台载体名称"),
        ("形式审查", "理由"),
        ("偏离预警", "说明"),
        ("参数与说明", "内容"),
    ]:
        sheet = book[name]
        index = _header(sheet).index(header) + 1
        width = sheet.column_dimensions[sheet.cell(1, index).column_letter].width
        for row in range(2, sheet.max_row + 1):
            cell = sheet.cell(row, index)
            if not isinstance(cell.value, str):
                continue
            lines = sum(
                max(1, math.ceil(display_width(part) * 1.1 / width))
                for part in cell.value.split("\n")
            )
            if lines > 1:
                assert cell.alignment.wrap_text, (name, header, cell.value)
                height = sheet.row_dimensions[row].height
                assert height is not None and height >= 14 * lines, (name, cell.value, height)
                checked += 1
    assert checked >= 5


def test_parameters_name_the_committee_in_chinese(demo_project: Path, tmp_path: Path) -> None:
    from review_desk.cli import main

    _finalised_by_the_committee(demo_project)
    target = tmp_path / "结果.xlsx"
    assert main(["export", str(demo_project), "--out", str(target), "--resamples", "0"]) == 0
    book = load_workbook(target)
    params = {r["参数/说明"]: r["内容"] for r in _records(book["参数与说明"])}
    assert params["定稿人"] == "厅际联席会议"
    texts = [
        str(c)
        for name in SHEETS
        for row in book[name].iter_rows(values_only=True)
        for c in row
        if isinstance(c, str)
    ]
    assert not any("committee" in t for t in texts)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_prints_the_detail_over_several_pages(printed_workbook: Path) -> None:
    """Printed through LibreOffice, 专家评分明细 (130 rows × 23 columns) takes several
    pages, each with the header row and the page number of the total."""
    from pypdf import PdfReader

    pages = [page.extract_text() for page in PdfReader(printed_workbook).pages]
    detail = [text for text in pages if "　专家评分明细" in text]
    assert len(detail) > 1
    assert all("申报编号" in text for text in detail)  # the header row and first columns
    total = len(pages)
    assert f"第 1 页，共 {total} 页" in pages[0]
