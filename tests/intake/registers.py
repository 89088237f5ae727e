"""Registers as people really make them, written with openpyxl for the tests: title rows
with merged cells, full-width and spaced headers, several directions in a cell, text
numbers and text dates, and deliberate mistakes."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from review_desk import reference
from review_desk.credit_code import make_code
from review_desk.demo.pdfs import dossier_pdf
from review_desk.demo.texts import DossierFacts

ENTERPRISE = make_code("9", "1", "140100", "MA7Q0001")
COLLEGE = make_code("1", "2", "140700", "40000001")
ZONE = make_code("1", "1", "140400", "40000002")
ENTERPRISE_2 = make_code("9", "1", "140200", "MA7Q0002")
BAD_CHECK = ENTERPRISE_2[:17] + ("0" if ENTERPRISE_2[17] != "0" else "1")

HEADERS = [
    "序 号",
    "申报单位",
    "统一社会信用代码*",
    "主体类型",
    "所在地市",
    "申报方向",
    "级别",
    "政策清单",
    "试点企业",
    "骨干专业群所属大类",
    "合作单位",
    "收到时间",
    "ＰＤＦ文件",
    "备注",
]


@dataclass(frozen=True)
class MessyRow:
    values: list[object]


# Row numbers below are the Excel rows (two title rows, the header in row 3).
ROWS: list[list[object]] = [
    # 4: valid, two directions in one cell, an Excel date
    [
        1,
        "太原星河智能科技有限公司",
        ENTERPRISE,
        "企业",
        "太原",
        "7；12",
        "省级",
        "是",
        "已纳入",
        None,
        None,
        datetime(2022, 1, 20, 15, 30),
        None,
        "",
    ],
    # 5: wrong check character
    [
        2,
        "大同明德科技有限公司",
        BAD_CHECK,
        "行业骨干企业",
        "大同市",
        "3",
        "省级",
        "是",
        "同步申请",
        None,
        None,
        "2022-01-19",
        None,
        "",
    ],
    # 6: duplicate of row 4 (same lead applicant, direction by full name)
    [
        3,
        "太原星河智能科技有限公司",
        ENTERPRISE,
        "企业",
        "太原市",
        "新能源产教融合平台载体和实训基地",
        "省级",
        "是",
        "已纳入",
        None,
        None,
        None,
        None,
        "重复",
    ],
    # 7: unknown applicant kind
    [
        4,
        "山西某研究所",
        make_code("1", "2", "140100", "40000003"),
        "研究所",
        "太原市",
        "24",
        "市级",
        "是",
        None,
        None,
        None,
        None,
        None,
        "",
    ],
    # 8: not a city of Shanxi
    [
        5,
        "北京云图科技有限公司",
        make_code("9", "1", "110108", "MA7Q0003"),
        "企业",
        "北京市",
        "3",
        "省级",
        "是",
        "已纳入",
        None,
        None,
        None,
        None,
        "",
    ],
    # 9: unknown direction
    [
        6,
        "晋城蓝海科技有限公司",
        make_code("9", "1", "140500", "MA7Q0004"),
        "企业",
        "晋城市",
        "新能源汽车",
        "省级",
        "是",
        "已纳入",
        None,
        None,
        None,
        None,
        "",
    ],
    # 10: not a level
    [
        7,
        "长治天宇科技有限公司",
        make_code("9", "1", "140400", "MA7Q0005"),
        "企业",
        "长治市",
        "9",
        "国家级",
        "是",
        "已纳入",
        None,
        None,
        None,
        None,
        "",
    ],
    # 11: the code typed as a number: Excel has already lost its last digits
    [
        8,
        "忻州数字科技有限公司",
        911409001234567000,
        "企业",
        "忻州市",
        "3",
        "省级",
        "是",
        "已纳入",
        None,
        None,
        None,
        None,
        "",
    ],
    # 12: valid college; text date in Chinese, majors, a partner with its code
    [
        9,
        "山西晋中职业技术学院",
        COLLEGE,
        "高职高专",
        "晋中",
        "新能源",
        "省级",
        "是",
        None,
        "能源动力与材料、装备制造大类",
        f"太原星河智能科技有限公司（{ENTERPRISE}）",
        "2022年1月20日 16:05",
        None,
        "",
    ],
    # 13-14: a development zone whose name is merged over two rows, one direction each
    [
        10,
        "长治高新技术产业开发区管理委员会",
        ZONE,
        "开发区",
        "长治市",
        "3",
        "市级",
        "是",
        None,
        None,
        None,
        None,
        None,
        "",
    ],
    [11, None, ZONE, "开发区", "长治市", "4", "市级", "是", None, None, None, None, None, ""],
    # 15: names a file that is not there
    [
        12,
        "阳泉绿能科技有限公司",
        make_code("9", "1", "140300", "MA7Q0006"),
        "企业",
        "阳泉市",
        "13",
        "县级",
        "否",
        "未纳入",
        None,
        None,
        None,
        "阳泉绿能_申报材料.pdf",
        "",
    ],
]
REFUSED_ROWS = {5, 6, 7, 8, 9, 10, 11, 15}
EXPECTED_PROBLEM_COLUMNS = {
    5: "C",
    6: "F",
    7: "D",
    8: "E",
    9: "F",
    10: "G",
    11: "C",
    15: "M",
}
VALID_APPLICATIONS = 5  # row 4 twice, 12, 13, 14


def write_messy_xlsx(path: Path) -> None:
    """Write the messy register."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "汇总"
    sheet.append(["2022年山西省产教融合重大平台载体和实训基地申报汇总表（第一批）"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    sheet.append(
        ["填报单位：山西省发展和改革委员会", None, None, None, None, "日期：2022年1月22日"]
    )
    sheet.merge_cells("A2:E2")
    sheet.append(HEADERS)
    for row in ROWS:
        sheet.append(row)
    sheet.merge_cells("B13:B14")
    sheet["K12"].number_format = "@"
    workbook.save(path)


def write_messy_csv(path: Path, encoding: str = "gb18030") -> None:
    """Write the same register as CSV (without title rows) in ``encoding``."""
    with path.open("w", encoding=encoding, newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(HEADERS)
        for row in ROWS:
            values = list(row)
            if values[1] is None:
                values[1] = "长治高新技术产业开发区管理委员会"
            writer.writerow(["" if v is None else v for v in values])


def write_pdfs(folder: Path) -> None:
    """Write the PDFs of the valid applications, named by the naming rule."""
    import random

    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(1)
    directions = {d.number: d for d in reference.directions()}
    for name, number, file_name in (
        ("太原星河智能科技有限公司", 7, "太原星河智能科技有限公司_新能源.pdf"),
        ("太原星河智能科技有限公司", 12, "太原星河智能科技有限公司_智能网联新能源汽车.pdf"),
        ("山西晋中职业技术学院", 7, f"{COLLEGE}_申报材料.pdf"),
        ("长治高新技术产业开发区管理委员会", 3, "长治高新技术产业开发区管理委员会_方向3.pdf"),
        ("长治高新技术产业开发区管理委员会", 4, "长治高新技术产业开发区管理委员会_工业互联网.pdf"),
    ):
        facts = DossierFacts(name, "企业", "太原市", directions[number], f"{name}基地", "省级", ())
        pdf, _pages = dossier_pdf(facts, reference.checklist(), set(), rng)
        (folder / file_name).write_bytes(pdf)
