"""Reading and checking registers: the template, a messy hand-made workbook, GBK CSV,
and arbitrary cell content."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from review_desk.intake.register_format import COLUMNS, column_for_header
from review_desk.intake.register_reader import (
    Cell,
    RawRow,
    RegisterReadError,
    RegisterTable,
    read_register,
)
from review_desk.intake.register_rows import (
    ERROR,
    check_register,
    match_direction,
    parse_datetime,
)
from review_desk.intake.register_template import write_register
from tests.intake import registers


def test_headers_are_matched_loosely() -> None:
    assert column_for_header("统一社会信用代码") == "credit_code"
    assert column_for_header(" 统一社会 信用代码（必填）") == "credit_code"
    assert column_for_header("ＰＤＦ文件") == "files"
    assert column_for_header("申报单位") == "applicant"
    assert column_for_header("备注") is None


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("7", 7),
        ("07", 7),
        ("７", 7),
        ("新能源", 7),
        ("新能源产教融合平台载体和实训基地", 7),
        ("智能网联新能源汽车", 12),
        (" 大数据 ", 3),
        ("31", None),
        ("新能源汽车", None),
        ("", None),
    ],
)
def test_directions_by_number_or_name(text: str, number: int | None) -> None:
    assert match_direction(text) == number


def test_dates_in_every_usual_form() -> None:
    for text in ("2022-01-20 15:30", "2022/1/20 15:30", "2022年1月20日 15:30", "2022.01.20 15:30"):
        parsed = parse_datetime(text)
        assert parsed is not None and (parsed.day, parsed.hour, parsed.minute) == (20, 15, 30)
        assert parsed.utcoffset() is not None
    assert parse_datetime("2022年1月20日") is not None
    assert parse_datetime(44581.5) is not None  # an Excel serial number
    assert parse_datetime("下周一") is None


def test_template_round_trip(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = tmp_path / "template.xlsx"
    write_register(path)
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["填写说明", "申报汇总表", "产业方向"]
    sheet = workbook["申报汇总表"]
    assert [c.value for c in sheet[2]][:3] == ["序号", "牵头申报主体", "统一社会信用代码"]
    validations = {str(v.sqref).split(":")[0][:1]: v for v in sheet.data_validations.dataValidation}
    assert "市人民政府" in validations["D"].formula1  # applicant kind
    assert "产业方向" in validations["F"].formula1  # directions from their sheet
    assert workbook["产业方向"].max_row == 31
    table = read_register(path)
    assert table.sheet == "申报汇总表" and table.header_row == 2 and table.rows == []
    assert table.missing_required == []


def test_messy_register_reports_exactly_the_mistakes(tmp_path: Path) -> None:
    path = tmp_path / "messy.xlsx"
    registers.write_messy_xlsx(path)
    table = read_register(path)
    assert table.header_row == 3
    check = check_register(table)
    errors = [i for i in check.issues if i.severity == ERROR]
    by_row = {}
    for issue in errors:
        by_row.setdefault(issue.row, []).append(issue)
    # Row 15's missing file is found when files are matched, not here.
    assert set(by_row) == registers.REFUSED_ROWS - {15}
    for row, issues in by_row.items():
        assert [i.column for i in issues] == [registers.EXPECTED_PROBLEM_COLUMNS[row]], issues
        assert all(i.sheet == "汇总" and i.problem and i.fix for i in issues)
    expected = registers.ENTERPRISE_2[17]
    assert expected in by_row[5][0].problem  # says what the check character should be
    assert "4" in by_row[6][0].problem  # names the row it duplicates
    valid = check.valid_applications()
    assert len(valid) == registers.VALID_APPLICATIONS + 1  # + row 15 (files checked later)
    college = next(a for a in valid if a.row == 12)
    assert college.city == "晋中市" and college.direction == 7
    assert college.major_categories == ["能源动力与材料大类", "装备制造大类"]
    assert college.partners[0].credit_code == registers.ENTERPRISE
    assert college.received_at is not None and college.received_at.hour == 16
    merged = [a for a in valid if a.credit_code == registers.ZONE]
    assert {a.applicant for a in merged} == {"长治高新技术产业开发区管理委员会"}
    assert {a.direction for a in merged} == {3, 4}
    assert {a.direction for a in valid if a.row == 4} == {7, 12}


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig", "utf-8"])
def test_csv_in_gbk_or_utf8(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "messy.csv"
    registers.write_messy_csv(path, encoding)
    check = check_register(read_register(path))
    refused = {i.row + 2 for i in check.issues if i.severity == ERROR}  # no title rows in CSV
    # Row 11's number is text in a CSV, so it is 18 digits with a wrong check character.
    assert refused == registers.REFUSED_ROWS - {15}
    assert len(check.valid_applications()) == registers.VALID_APPLICATIONS + 1


def test_unreadable_files_are_refused_clearly(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(RegisterReadError, match=r"broken\.xlsx"):
        read_register(broken)
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(RegisterReadError, match="xlsx"):
        read_register(old)
    no_header = tmp_path / "notes.csv"
    no_header.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    with pytest.raises(RegisterReadError, match=r"notes\.csv"):
        read_register(no_header)


_cell_values = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.datetimes(),
    st.sampled_from(["省级", "7、新能源", "是", "91350100M000100Y43", "太原", "企业", "高职高专"]),
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(st.fixed_dictionaries({c.key: _cell_values for c in COLUMNS}), max_size=6))
def test_any_cell_content_is_reported_never_crashes(rows: list[dict[str, object]]) -> None:
    from review_desk.intake.register_reader import cell_text

    raw_rows = []
    for number, values in enumerate(rows, start=2):
        row = RawRow(sheet="S", row=number)
        for index, column in enumerate(COLUMNS):
            value = values[column.key]
            row.cells[column.key] = Cell(value, cell_text(value), chr(65 + index), column.header)
        raw_rows.append(row)
    table = RegisterTable(Path("x.xlsx"), "S", 1, {}, {}, raw_rows, [])
    check = check_register(table)
    refused = check.refused_rows()
    for issue in check.issues:
        assert issue.row >= 2 and issue.problem and issue.fix
    for application in check.applications:
        assert application.row not in refused or application in check.applications
    for application in check.valid_applications():
        assert 1 <= application.direction <= 30 and len(application.credit_code) == 18
