"""The results workbook streamed at national scale: stage subtotals count only the
criteria that apply, ``write_table``'s fast cell path writes what plain openpyxl
cells would, a table streamed from a generator is the table from a list, and the
criterion detail reads every score in its order through one chunked cursor."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text

from review_desk.project import Project
from review_desk.results.criterion_scores import criterion_scores
from review_desk.results.source import results_ranking
from review_desk.results.workbook import export_workbook
from review_desk.results.workbook_sheets import NAME_WIDTH
from review_desk.rubrics import active_rubric
from review_desk.storage import models as m
from tests.backends import raw_sql
from tests.results.test_workbook import _records


def test_stage_subtotals_count_only_the_criteria_that_apply(
    demo_project: Path, tmp_path: Path
) -> None:
    """Points an (old) sheet holds for a criterion that does not apply to the lead
    applicant's kind are shown in the detail but not counted in the stage subtotal,
    as the ranking does not count them."""
    with raw_sql(demo_project) as db:
        sheet_id, code, expert_id = db.execute(
            text(
                "SELECT sh.id, d.code, sh.expert_id FROM score_sheet sh "
                "JOIN dossier d ON d.id = sh.dossier_id "
                "JOIN applicant a ON a.id = d.lead_applicant_id "
                "WHERE sh.status = 'submitted' AND a.kind = 'enterprise' ORDER BY sh.id LIMIT 1"
            )
        ).one()
        # As an old project holds it: C2 applies to schools only.
        db.execute(
            text(
                "INSERT INTO score (sheet_id, criterion_id, points, comment) "
                "VALUES (:s, 'C2', 6, '')"
            ),
            {"s": sheet_id},
        )
    with Project(demo_project) as project:
        rubric = active_rubric(project)
        result = results_ranking(project, resamples=0)
        export_workbook(project, tmp_path / "w.xlsx", result=result)
    c2 = next(c for c in rubric.criteria if c.id == "C2")
    assert not c2.applies("enterprise")
    stage = next(s for s in rubric.stages if s.key == c2.stage)
    same_stage = [c for c in rubric.criteria if c.stage == c2.stage]
    labels = dict(zip(result.totals["expert_id"], result.totals["expert"], strict=True))
    detail = _records(load_workbook(tmp_path / "w.xlsx")["专家评分明细"])
    row = next(r for r in detail if r["申报编号"] == code and r["专家"] == labels[expert_id])
    assert row[f"C2 {c2.name}（{c2.max:g}）"] == 6
    counted = [row[f"{c.id} {c.name}（{c.max:g}）"] for c in same_stage if c.applies("enterprise")]
    assert row[f"{stage.name}小计"] == pytest.approx(sum(v for v in counted if v is not None))
    # Every other sheet's subtotals are the sum of its applicable criteria of the stage.
    with raw_sql(demo_project) as db:
        kinds = dict(
            db.execute(
                text(
                    "SELECT d.code, a.kind FROM dossier d "
                    "JOIN applicant a ON a.id = d.lead_applicant_id"
                )
            ).all()
        )
    for record in detail:
        kind = kinds[record["申报编号"]]
        for step in rubric.stages:
            points = [
                record[f"{c.id} {c.name}（{c.max:g}）"]
                for c in rubric.criteria
                if c.stage == step.key and c.applies(kind)
            ]
            known = [p for p in points if p is not None]
            expected = sum(known) if known else None
            assert record[f"{step.name}小计"] == pytest.approx(expected), (record, step.key)


def _reference_table(book, columns, rows) -> None:  # type: ignore[no-untyped-def]
    """What ``write_table`` writes, the plain way: one openpyxl cell per value with its
    style set through openpyxl's public attributes."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import PatternFill

    from review_desk.results.xlsx_tables import clean_text, excel_value, text_cell

    sheet = book.create_sheet("t")
    for row in rows:
        cells = []
        for column, value in zip(columns, row, strict=True):
            value = excel_value(value)
            if isinstance(value, str) and value.startswith("="):
                cells.append(text_cell(sheet, value))
                continue
            if value is None:
                cells.append(None)
                continue
            if isinstance(value, str):
                value = clean_text(value)
            cell = WriteOnlyCell(sheet, value)
            if column.number_format and not isinstance(value, str):
                cell.number_format = column.number_format
            colour = column.fill(row) if column.fill else None
            if colour:
                cell.fill = PatternFill("solid", fgColor=colour)
            cells.append(cell)
        sheet.append(cells)


def test_write_table_writes_each_value_as_openpyxl_would(tmp_path: Path) -> None:
    """The fast path of ``write_table`` (reused cells, registered styles, rows read
    once from a generator) writes the same values, types, number formats and fills as
    plain openpyxl cells would."""
    from datetime import UTC, date, datetime

    import numpy as np
    from openpyxl import Workbook

    from review_desk.results.xlsx_tables import Column, write_table

    columns = [
        Column("编号"),
        Column("分数", "0.00"),
        Column("层级", fill=lambda row: "C6EFCE" if row[2] == "省级" else None),
        Column("时间", "yyyy-mm-dd hh:mm"),
        Column("其他"),
    ]
    rows = [
        ["A-1", 81.5, "省级", datetime(2026, 5, 1, 8, 30, tzinfo=UTC), 3],
        ["A-2", np.float64(79.25), "市级", None, True],
        ["A-3", float("nan"), "省级", datetime(2026, 5, 2, 9, 0), "#N/A"],
        ["=1+1", "无", None, date(2026, 5, 3), np.int64(7)],
        ["A-5", None, "省级", None, "山西\x07学院"],
    ]

    def generated():  # type: ignore[no-untyped-def]
        yield from rows

    ours = Workbook(write_only=True)
    assert write_table(ours, "t", columns, generated(), print_title="t") == len(rows)
    ours.save(tmp_path / "ours.xlsx")
    theirs = Workbook(write_only=True)
    _reference_table(theirs, columns, [[c.header for c in columns], *rows])
    theirs.save(tmp_path / "theirs.xlsx")
    a = load_workbook(tmp_path / "ours.xlsx")["t"]
    b = load_workbook(tmp_path / "theirs.xlsx")["t"]
    assert a.max_row == b.max_row == len(rows) + 1
    for left, right in zip(a.iter_rows(min_row=2), b.iter_rows(min_row=2), strict=True):
        for x, y in zip(left, right, strict=True):
            assert (x.value, x.data_type, x.number_format) == (
                y.value,
                y.data_type,
                y.number_format,
            ), x.coordinate
            assert (x.fill.patternType, x.fill.fgColor.rgb) == (
                y.fill.patternType,
                y.fill.fgColor.rgb,
            ), x.coordinate
    assert a["E6"].value == "山西学院"


def test_sheet_scores_stream_every_score_in_the_detail_order(demo_readonly: Path) -> None:
    """Read a few scores at a time (chunks ending inside a sheet), the streamed sheets
    hold every score of every submitted sheet, in dossier code then expert order."""
    from review_desk.results.criterion_scores import sheet_scores

    with Project(demo_readonly) as project:
        frame = criterion_scores(project)
        streamed = list(sheet_scores(project, chunk=7))
        with project.reading() as session:
            codes = dict(session.execute(select(m.Dossier.id, m.Dossier.code)).all())
    assert len(streamed) == frame["sheet_id"].nunique() > 100
    keys = [(codes[s.dossier_id], s.expert_id, s.sheet_id) for s in streamed]
    assert keys == sorted(keys)
    got = {(s.sheet_id, c): p for s in streamed for c, p in s.scores.items()}
    expected = dict(
        zip(
            zip(frame["sheet_id"], frame["criterion_id"], strict=True), frame["points"], strict=True
        )
    )
    assert got == expected
    assert all(s.submitted_at is not None and s.submitted_at.tzinfo for s in streamed)


def test_a_table_streamed_from_a_generator_is_written_as_from_a_list(tmp_path: Path) -> None:
    """Rows a generator streams (spooled for the width pass) give the same sheet as the
    same rows in a list: widths, wrapped rows' heights, values and looks."""
    from openpyxl import Workbook

    from review_desk.results.xlsx_tables import Column, write_table

    columns = [
        Column("编号"),
        Column("牵头申报主体", max_width=NAME_WIDTH, wrap=True),
        Column("分数", "0.00"),
        Column("说明", max_width=26, wrap=True),
    ]
    rows = [
        [
            f"SX-{i:05d}",
            "山西省" + "智能制造产教融合" * (i % 4) + "学院",
            i * 1.25,
            "说明" * (i % 30),
        ]
        for i in range(5_000)
    ]
    paths = []
    for name, source in (("list", rows), ("generator", (list(r) for r in rows))):
        book = Workbook(write_only=True)
        assert write_table(book, "t", columns, source, print_title="t") == len(rows)
        paths.append(tmp_path / f"{name}.xlsx")
        book.save(paths[-1])
    a, b = (load_workbook(p)["t"] for p in paths)
    assert {k: v.width for k, v in a.column_dimensions.items()} == {
        k: v.width for k, v in b.column_dimensions.items()
    }
    assert a.column_dimensions["B"].width == NAME_WIDTH
    heights = {k: v.height for k, v in a.row_dimensions.items() if v.height}
    assert heights == {k: v.height for k, v in b.row_dimensions.items() if v.height}
    assert len(heights) > 1000
    for left, right in zip(a.iter_rows(), b.iter_rows(), strict=True):
        for x, y in zip(left, right, strict=True):
            assert (x.value, x.number_format, x.alignment.wrap_text) == (
                y.value,
                y.number_format,
                y.alignment.wrap_text,
            )
