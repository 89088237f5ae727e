"""Writing the expert roster template (专家名单): the headers ``review-desk experts
import`` reads, text format where Excel would spoil a number, input hints, and an
instructions sheet, in the style of the register template.

Like the register, the roster is a Chinese form exchanged with the agency's staff, so
its headers and instructions are part of the format, not UI text to translate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from review_desk.intake.template_sheet import list_columns, start_template_sheet

TITLE = "评审专家名单"
SHEET = "专家名单"
HEADER_ROW = 2
FIRST_DATA_ROW = 3
TEMPLATE_ROWS = 300


@dataclass(frozen=True)
class RosterColumn:
    """One column of the roster template."""

    key: str
    header: str
    required: bool
    width: int
    hint: str


# The headers are the first spelling of each column in ``pool.ROSTER_HEADERS``.
COLUMNS = (
    RosterColumn("seq", "序号", False, 6, "可不填。"),
    RosterColumn("name", "姓名", True, 12, "专家姓名。同名专家以“姓名+工作单位”区分。"),
    RosterColumn(
        "organisation",
        "工作单位",
        True,
        34,
        "单位全称。与申报主体或合作单位同名时，分配任务时自动回避。",
    ),
    RosterColumn("field", "专业领域", False, 20, "如“新能源材料”“智能制造”。"),
    RosterColumn("phone", "电话", False, 16, "手机或座机（如 0351-7010000），请保持文本格式。"),
    RosterColumn("email", "邮箱", False, 28, "电子邮箱，如 name@example.cn。"),
    RosterColumn("city", "所在城市", False, 12, "如“太原市”。项目启用同城回避时使用。"),
    RosterColumn("title", "职称", False, 12, "如“教授”“正高级工程师”。"),
    RosterColumn(
        "directions",
        "评审方向",
        False,
        16,
        "《通知》附件1的产业方向编号，多个用顿号分隔，如“7、12”。随机抽取按此筛选。",
    ),
    RosterColumn("majors", "对应专业", False, 20, "专业名称，多个用顿号分隔。"),
    RosterColumn(
        "availability",
        "可参加批次",
        False,
        16,
        "可参加的评审批次名称，多个用顿号分隔；不填表示均可。",
    ),
    RosterColumn("past_rounds", "参评经历", False, 16, "曾参加评审的批次，多个用顿号分隔。"),
    RosterColumn(
        "relations",
        "关联单位或人员",
        False,
        24,
        "专家声明存在关联关系、需要回避的单位或人员，多个用顿号分隔。",
    ),
    RosterColumn(
        "past_employers",
        "曾任职单位",
        False,
        24,
        "格式“单位（离职年份）”，多个用顿号分隔，如“山西大学（2022）”。近年任职的单位按规则回避。",
    ),
)


def write_roster(path: Path, rows: Sequence[dict[str, str]] = ()) -> None:
    """Write the roster template to ``path``, with ``rows`` (column key -> value) filled."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    border = start_template_sheet(sheet, TITLE, COLUMNS, header_row=HEADER_ROW, header_height=24)

    last = FIRST_DATA_ROW + max(TEMPLATE_ROWS, len(rows)) - 1
    for index, column in enumerate(COLUMNS, start=1):
        if column.key == "seq":
            continue
        letter = get_column_letter(index)
        # An input hint on every data cell; Excel checks only the length.
        validation = DataValidation(
            type="textLength", operator="lessThanOrEqual", formula1="200", allow_blank=True
        )
        validation.prompt = column.hint
        validation.promptTitle = column.header
        validation.showInputMessage = True
        validation.error = "内容过长（不超过 200 个字符）。"
        validation.errorTitle = column.header
        validation.showErrorMessage = True
        sheet.add_data_validation(validation)
        validation.add(f"{letter}{FIRST_DATA_ROW}:{letter}{last}")
    for r in range(FIRST_DATA_ROW, last + 1):
        values = rows[r - FIRST_DATA_ROW] if r - FIRST_DATA_ROW < len(rows) else None
        for c, column in enumerate(COLUMNS, start=1):
            cell = sheet.cell(row=r, column=c)
            if column.key == "phone":
                cell.number_format = "@"  # a phone number stays text, leading zero kept
            if values is not None:
                value = values.get(column.key)
                if column.key == "seq" and value is None:
                    value = str(r - FIRST_DATA_ROW + 1)
                cell.value = value
                cell.border = border

    # The roster is the first sheet: the import reads the first sheet of a workbook.
    notes = workbook.create_sheet("填写说明")
    notes.column_dimensions["A"].width = 14
    notes.column_dimensions["B"].width = 8
    notes.column_dimensions["C"].width = 90
    notes["A1"] = "评审专家名单填写说明"
    notes["A1"].font = Font(name="宋体", size=14, bold=True)
    notes["A3"] = (
        "每行填写一位专家。红色表头为必填项；表头行可在前 20 行内任意位置，"
        "列的顺序可以调整，但表头文字须保持（也接受“专家姓名”“所在单位”“联系电话”“电子邮箱”等写法）。"
    )
    notes["A4"] = (
        "导入时逐行检查：姓名和工作单位不能为空，电话和邮箱须格式正确，同一专家（姓名+工作单位）"
        "不能出现两次；有任何问题时整份名单都不导入，并列出问题所在的行和列。"
    )
    notes["A5"] = (
        "再次导入同一名单不会重复建档：姓名和工作单位相同的专家视为同一人，其余信息按新名单更新。"
        "导入命令：review-desk experts import 项目.rdp 专家名单.xlsx。"
        "所在城市、评审方向、对应专业、可参加批次、参评经历、关联单位或人员、曾任职单位为专家库信息："
        "随机抽取按评审方向和专业筛选、按可参加批次排除，回避规则读取工作单位、关联单位或人员、"
        "曾任职单位和所在城市。名单中没有的列，导入时保留专家库中已有的内容。"
    )
    list_columns(notes, COLUMNS)
    workbook.active = 0
    workbook.properties.title = TITLE
    workbook.properties.creator = "评审台 Review Desk"
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
