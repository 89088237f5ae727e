"""Writing the register template (申报汇总表): Chinese headers, drop-down lists for the
vocabularies, an instructions sheet, and optionally rows already filled in.

The register is a Chinese form exchanged with applicants, like the notice itself, so its
headers and instructions are part of the format, not UI text to translate.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from review_desk import reference
from review_desk.formatting import CHINA_TZ
from review_desk.intake.register_format import COLUMNS, KIND_TEMPLATE_WORDS
from review_desk.intake.template_sheet import list_columns, start_template_sheet

TITLE = "山西省产教融合重大平台载体和实训基地申报汇总表"
SHEET = "申报汇总表"
HEADER_ROW = 2
FIRST_DATA_ROW = 3
TEMPLATE_ROWS = 500

_LISTS = {
    "kind": [KIND_TEMPLATE_WORDS[k] for k in KIND_TEMPLATE_WORDS],
    "level": ["省级", "市级", "县级"],
    "policy_list": ["是", "否"],
    "pilot_enterprise": ["已纳入", "同步申请", "未纳入"],
    "local_presence": ["山西本地", "山西子公司", "世界500强本地团队", "无"],
    "double_high": ["国家级", "省级", "否"],
    "tech_transfer": ["有", "无"],
}


def write_register(path: Path, rows: Sequence[dict[str, Any]] = ()) -> None:
    """Write the register template to ``path``, with ``rows`` (column key -> value) filled."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    border = start_template_sheet(sheet, TITLE, COLUMNS, header_row=HEADER_ROW, header_height=32)

    # Lists: the short ones inline, the directions from a sheet of their own (an inline
    # list is limited to 255 characters).
    directions_sheet = workbook.create_sheet("产业方向")
    directions_sheet.append(
        ["序号", "简称", "平台载体和实训基地名称", "重点发展方向", "拟对接专业（群）"]
    )
    for d in reference.directions():
        directions_sheet.append([d.number, d.short_name, d.name, d.focus_text, "、".join(d.majors)])
    for letter, width in zip("ABCDE", (6, 18, 40, 50, 40), strict=True):
        directions_sheet.column_dimensions[letter].width = width
    directions_sheet.protection.sheet = True
    last = FIRST_DATA_ROW + max(TEMPLATE_ROWS, len(rows)) - 1
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        area = f"{letter}{FIRST_DATA_ROW}:{letter}{last}"
        if column.key in _LISTS:
            validation = DataValidation(
                type="list", formula1='"' + ",".join(_LISTS[column.key]) + '"', allow_blank=True
            )
        elif column.key == "direction":
            # Several directions may be typed into one cell, so the list only suggests.
            validation = DataValidation(
                type="list", formula1="=产业方向!$B$2:$B$31", allow_blank=True,
                showErrorMessage=False,
            )  # fmt: skip
        else:
            continue
        if column.key != "direction":
            validation.error = "请从下拉列表中选择。"
            validation.errorTitle = column.header
            validation.showErrorMessage = True
        validation.prompt = column.hint
        validation.promptTitle = column.header
        validation.showInputMessage = True
        sheet.add_data_validation(validation)
        validation.add(area)
    text_columns = {"credit_code", "contact_phone", "partners", "files"}
    for r, row in enumerate(rows, start=FIRST_DATA_ROW):
        for c, column in enumerate(COLUMNS, start=1):
            value = row.get(column.key)
            if column.key == "seq" and value is None:
                value = r - FIRST_DATA_ROW + 1
            cell = sheet.cell(row=r, column=c, value=value)
            cell.border = border
            if column.key in text_columns:
                cell.number_format = "@"
            if isinstance(value, datetime):
                cell.value = value.astimezone(CHINA_TZ).replace(tzinfo=None)
                cell.number_format = "yyyy-mm-dd hh:mm"
    for c, column in enumerate(COLUMNS, start=1):
        if column.key in text_columns:
            for r in range(FIRST_DATA_ROW + len(rows), last + 1):
                sheet.cell(row=r, column=c).number_format = "@"

    notes = workbook.create_sheet("填写说明", 0)
    notes.column_dimensions["A"].width = 26
    notes.column_dimensions["B"].width = 10
    notes.column_dimensions["C"].width = 90
    notes["A1"] = "申报汇总表填写说明"
    notes["A1"].font = Font(name="宋体", size=14, bold=True)
    notes["A3"] = (
        "每行填写一个牵头申报主体的一项申报；同时申报多个产业方向时，可在“产业方向”中用顿号分隔，每个方向生成一份揭榜申请。"
    )
    notes["A4"] = (
        "红色表头为必填项。统一社会信用代码、联系电话请保持“文本”格式，"
        "避免 Excel 将其转为数字而丢失末位。"
    )
    notes["A5"] = (
        "材料文件：可在“材料文件”列填写 PDF 文件名；也可不填，按文件命名规则匹配"
        "（文件名含申报主体全称或信用代码，同一主体申报多个方向时再含方向名称，"
        "如“某某公司_新能源.pdf”）。"
    )
    list_columns(notes, COLUMNS)
    workbook.active = 1
    workbook.properties.title = TITLE
    workbook.properties.creator = "评审台 Review Desk"
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
