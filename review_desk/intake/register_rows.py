"""Turning register rows into checked applications: each cell parsed and validated, each
problem reported with where it is, what is wrong and how to fix it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from review_desk import reference
from review_desk.credit_code import ALPHABET, check_character, is_valid
from review_desk.domain import ApplicantKind, Level
from review_desk.formatting import CHINA_TZ, shortened
from review_desk.i18n import _, tr
from review_desk.intake.register_format import (
    COLUMN_BY_KEY,
    DOUBLE_HIGH_WORDS,
    KIND_WORDS,
    LEVEL_WORDS,
    LOCAL_PRESENCE_WORDS,
    NO_WORDS,
    PILOT_WORDS,
    YES_WORDS,
)
from review_desk.intake.register_reader import Cell, RawRow, RegisterTable
from review_desk.intake.text_normalize import fold, split_list

ERROR, WARNING = "error", "warning"

# The 19 major categories of the vocational education catalogue, plus the notice's own
# spelling 资源与安全大类 (row 7 of 附件1).
MAJOR_CATEGORIES = (
    "农林牧渔大类", "资源环境与安全大类", "资源与安全大类", "能源动力与材料大类", "土木建筑大类",
    "水利大类", "装备制造大类", "生物与化工大类", "轻工纺织大类", "食品药品与粮食大类",
    "交通运输大类", "电子与信息大类", "医药卫生大类", "财经商贸大类", "旅游大类",
    "文化艺术大类", "新闻传播大类", "教育与体育大类", "公安与司法大类", "公共管理与服务大类",
)  # fmt: skip
_DIRECTION_SUFFIXES = (
    "产教融合平台载体和实训基地",
    "产教融合实训基地",
    "产教融合平台",
    "方向",
    "产业",
)
_PDF_NAME = re.compile(r"[^;；\n\r、,，|]+?\.pdf", re.IGNORECASE)
_PARTNER = re.compile(r"^(?P<name>.+?)\s*[（(]\s*(?P<code>[0-9A-Za-z]{15,20})\s*[)）]$")
_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
    "%Y/%m/%d", "%Y.%m.%d %H:%M", "%Y.%m.%d", "%Y%m%d",
)  # fmt: skip
_CN_DATE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日\s*(?:(\d{1,2})[:：时](\d{1,2})分?)?$")


@dataclass(frozen=True)
class Issue:
    """A problem with one cell (or a whole row), for the user to fix."""

    sheet: str
    row: int
    column: str  # the Excel column letter, "" for the whole row
    header: str
    value: str
    problem: str
    fix: str
    severity: str = ERROR

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", shortened(self.value))  # echoed, not the whole cell

    def as_dict(self) -> dict[str, Any]:
        """Return the issue as plain JSON-ready data."""
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "header": self.header,
            "value": self.value,
            "problem": self.problem,
            "fix": self.fix,
            "severity": self.severity,
        }


@dataclass(frozen=True)
class Partner:
    """A partner named in the register, with its credit code when given."""

    name: str
    credit_code: str | None


@dataclass
class Application:
    """One application (one dossier) read from a register row."""

    sheet: str
    row: int
    applicant: str
    credit_code: str
    kind: ApplicantKind
    city: str
    direction: int
    level: Level
    platform_name: str
    partners: list[Partner]
    has_policy_list: bool
    pilot_enterprise_status: str | None
    local_presence: str | None
    major_categories: list[str]
    double_high: str | None
    major_tech_transfer: bool
    contact_name: str
    contact_phone: str
    files: list[str]
    received_at: datetime | None
    file_cell: str = ""  # the column letter of 材料文件, for reporting


@dataclass
class RegisterCheck:
    """Everything read from a register: the applications and the problems."""

    table: RegisterTable
    applications: list[Application] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)

    def refused_rows(self) -> set[int]:
        """Return the rows with at least one error."""
        return {i.row for i in self.issues if i.severity == ERROR}

    def valid_applications(self) -> list[Application]:
        """Return the applications of rows without errors."""
        refused = self.refused_rows()
        return [a for a in self.applications if a.row not in refused]


class _RowParser:
    """Parses one row, collecting issues instead of stopping at the first."""

    def __init__(self, row: RawRow, issues: list[Issue]) -> None:
        self.row = row
        self.issues = issues

    def report(self, key: str, problem: str, fix: str, severity: str = ERROR) -> None:
        cell = self.row.cells.get(key)
        column = COLUMN_BY_KEY[key]
        self.issues.append(
            Issue(
                sheet=self.row.sheet,
                row=self.row.row,
                column=cell.column_letter if cell else "",
                header=cell.header if cell else column.header,
                value=cell.text if cell else "",
                problem=problem,
                fix=fix,
                severity=severity,
            )
        )

    def text(self, key: str) -> str:
        return self.row.text(key)

    def cell(self, key: str) -> Cell | None:
        return self.row.cells.get(key)

    def required(self, key: str) -> str | None:
        value = self.text(key)
        if not value:
            self.report(key, _("empty"), tr("Fill in {header}.", header=COLUMN_BY_KEY[key].header))
            return None
        return value

    def credit_code(self) -> str | None:
        cell = self.cell("credit_code")
        if (
            cell is not None
            and isinstance(cell.value, int | float)
            and not isinstance(cell.value, bool)
        ):
            self.report(
                "credit_code",
                _("stored as a number, so Excel has dropped digits"),
                _("Format the cell as text (文本) and type the 18-character code again."),
            )
            return None
        raw = self.required("credit_code")
        if raw is None:
            return None
        code = fold(raw).upper()
        if len(code) != 18:
            self.report(
                "credit_code",
                tr("has {n} characters, not 18", n=len(code)),
                _(
                    "Copy the 18-character code from the business licence or legal person "
                    "certificate."
                ),
            )
            return None
        bad = sorted({c for c in code if c not in ALPHABET})
        if bad:
            self.report(
                "credit_code",
                tr("contains characters a credit code never has: {chars}", chars=" ".join(bad)),
                _("Check for the letters I, O, S, V, Z (not used) mistyped for 1, 0, 5, U, 2."),
            )
            return None
        if not is_valid(code):
            self.report(
                "credit_code",
                tr(
                    "check character is wrong (the first 17 characters give {expected}, "
                    "not {actual})",
                    expected=check_character(code[:17]),
                    actual=code[17],
                ),
                _("Compare the code with the licence character by character."),
            )
            return None
        return code

    def kind(self) -> ApplicantKind | None:
        raw = self.required("kind")
        if raw is None:
            return None
        kind = KIND_WORDS.get(fold(raw))
        if kind is None:
            self.report(
                "kind",
                _("not a known applicant kind"),
                _(
                    "Use one of 市人民政府, 行业骨干企业, 普通本科, 应用型本科, 高职高专, "
                    "开发区, 专业服务商."
                ),
            )
        return kind

    def city(self, kind: ApplicantKind | None) -> str | None:
        raw = fold(self.text("city"))
        if not raw:
            if kind is ApplicantKind.SERVICE_PROVIDER:
                return ""
            self.report(
                "city", _("empty"), _("Fill in one of the 11 prefecture-level cities of Shanxi.")
            )
            return None
        raw = raw.removeprefix("山西省").removeprefix("山西")
        name = raw if raw.endswith("市") else raw + "市"
        if name in {c.name for c in reference.cities()}:
            return name
        self.report(
            "city",
            _("not a prefecture-level city of Shanxi"),
            _(
                "Use one of 太原市, 大同市, 阳泉市, 长治市, 晋城市, 朔州市, 晋中市, 运城市, "
                "忻州市, 临汾市, 吕梁市."
            ),
        )
        return None

    def directions(self) -> list[int]:
        raw = self.required("direction")
        if raw is None:
            return []
        numbers: list[int] = []
        for item in split_list(raw):
            number = match_direction(item)
            if number is None:
                self.report(
                    "direction",
                    tr("unknown industry direction: {item}", item=item),
                    _("Write the number (1-30) or name of a direction of 附件1, e.g. 7 or 新能源."),
                )
            elif number in numbers:
                self.report(
                    "direction",
                    tr("direction {item} is listed twice", item=item),
                    _("List each direction once."),
                )
            else:
                numbers.append(number)
        return numbers

    def level(self) -> Level | None:
        raw = self.required("level")
        if raw is None:
            return None
        level = LEVEL_WORDS.get(fold(raw))
        if level is None:
            self.report("level", _("not a level"), _("Write 省级, 市级 or 县级."))
        return level

    def yes_no(self, key: str, *, required: bool) -> bool | None:
        raw = fold(self.text(key)).lower()
        if not raw:
            if required:
                self.report(key, _("empty"), _("Write 是 or 否."))
            return None
        if raw in YES_WORDS:
            return True
        if raw in NO_WORDS:
            return False
        self.report(key, _("not yes or no"), _("Write 是 or 否."))
        return None

    def word(self, key: str, words: dict[str, Any], allowed: str) -> tuple[bool, Any]:
        raw = fold(self.text(key))
        if not raw:
            return True, None
        if raw in words:
            return True, words[raw]
        self.report(
            key, _("not one of the allowed values"), tr("Write one of: {allowed}.", allowed=allowed)
        )
        return False, None

    def majors(self) -> list[str]:
        result = []
        for item in split_list(self.text("majors")):
            name = fold(item)
            name = name if name.endswith("大类") else name + "大类"
            if name in MAJOR_CATEGORIES:
                result.append(name)
            else:
                self.report(
                    "majors",
                    tr("unknown major category: {item}", item=item),
                    _(
                        "Use the category names of the vocational education catalogue, "
                        "e.g. 装备制造大类."
                    ),
                )
        return result

    def partners(self) -> list[Partner]:
        result = []
        for item in split_list(self.text("partners")):
            match = _PARTNER.match(item)
            if match:
                code = fold(match["code"]).upper()
                if not is_valid(code):
                    self.report(
                        "partners",
                        tr("the credit code of partner {name} is not valid", name=match["name"]),
                        _("Correct the code in brackets, or leave it out."),
                    )
                    continue
                result.append(Partner(match["name"].strip(), code))
            else:
                result.append(Partner(item, None))
        return result

    def files(self) -> list[str]:
        raw = self.text("files")
        if not raw:
            return []
        names = [n.strip() for n in _PDF_NAME.findall(raw)]
        if not names:
            self.report(
                "files",
                _("no PDF file name found"),
                _("Write the file names with their .pdf ending, separated by semicolons."),
            )
        return names

    def received_at(self) -> datetime | None:
        cell = self.cell("received_at")
        if cell is None or not cell.text:
            return None
        parsed = parse_datetime(cell.value)
        if parsed is None:
            self.report(
                "received_at",
                _("not a date and time"),
                _("Write it like 2022-01-20 16:30, or use an Excel date."),
            )
        return parsed


def match_direction(text: str) -> int | None:
    """Return the direction number that ``text`` names (number, short or full name)."""
    folded = fold(text)
    if folded.isdigit():
        number = int(folded)
        return number if 1 <= number <= 30 else None
    for suffix in _DIRECTION_SUFFIXES:
        if folded.endswith(suffix) and len(folded) > len(suffix):
            folded = folded[: -len(suffix)]
            break
    for d in reference.directions():
        if folded in (fold(d.short_name), fold(d.name)):
            return d.number
    return None


def parse_datetime(value: Any) -> datetime | None:
    """Return a timestamp (China Standard Time when none is given) from an Excel date,
    a date, or text in the usual Chinese and ISO forms."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=CHINA_TZ)
    if isinstance(value, int | float) and not isinstance(value, bool) and 20000 < value < 80000:
        # An Excel serial date stored as a plain number (1900 date system).
        return (datetime(1899, 12, 30) + timedelta(days=float(value))).replace(tzinfo=CHINA_TZ)
    text = fold(str(value)) if value is not None else ""
    spaced = re.sub(r"(\d)(\d{2}:\d{2})", r"\1 \2", text)  # fold removed the space
    for candidate in (spaced, text):
        try:
            parsed = datetime.fromisoformat(candidate)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=CHINA_TZ)
        except ValueError:
            pass
        for fmt in _DATE_FORMATS:
            try:
                return datetime.strptime(candidate, fmt).replace(tzinfo=CHINA_TZ)
            except ValueError:
                continue
    match = _CN_DATE.match(text)
    if match:
        year, month, day, hour, minute = (int(g) if g else 0 for g in match.groups())
        try:
            return datetime(year, month, day, hour, minute, tzinfo=CHINA_TZ)
        except ValueError:
            return None
    return None


_NAME_SUFFIXES = (
    "集团有限公司",
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "管理委员会",
    "人民政府",
)


def default_platform_name(applicant: str, direction: int) -> str:
    """Return the platform name used when the register gives none: the applicant's name
    without its legal-form suffix, the direction, and 产教融合实训基地."""
    short = next(d.short_name for d in reference.directions() if d.number == direction)
    stem = applicant.split("（")[0].split("(")[0]
    for suffix in _NAME_SUFFIXES:
        if stem.endswith(suffix) and len(stem) > len(suffix):
            stem = stem[: -len(suffix)]
            break
    return f"{stem}{short}产教融合实训基地"


def check_register(table: RegisterTable) -> RegisterCheck:
    """Parse and validate every row of a register."""
    result = RegisterCheck(table)
    for header in table.missing_required:
        result.issues.append(
            Issue(
                sheet=table.sheet,
                row=table.header_row,
                column="",
                header=header,
                value="",
                problem=tr("required column {header} is missing", header=header),
                fix=tr("Add a column headed {header}.", header=header),
            )
        )
    seen: dict[tuple[str, int], int] = {}
    names: dict[str, tuple[str, int]] = {}
    for row in table.rows:
        parser = _RowParser(row, result.issues)
        applicant = parser.required("applicant")
        code = parser.credit_code()
        kind = parser.kind()
        city = parser.city(kind)
        directions = parser.directions()
        level = parser.level()
        has_policy = parser.yes_no("policy_list", required=True)
        _ok, pilot = parser.word("pilot_enterprise", PILOT_WORDS, "已纳入, 同步申请, 未纳入")
        _ok, local = parser.word(
            "local_presence", LOCAL_PRESENCE_WORDS, "山西本地, 山西子公司, 世界500强本地团队, 无"
        )
        _ok, double_high = parser.word("double_high", DOUBLE_HIGH_WORDS, "国家级, 省级, 否")
        tech = parser.yes_no("tech_transfer", required=False)
        majors = parser.majors()
        partners = parser.partners()
        files = parser.files()
        received = parser.received_at()
        if applicant and code:
            earlier = names.setdefault(code, (applicant, row.row))
            if fold(earlier[0]) != fold(applicant):
                parser.report(
                    "credit_code",
                    tr(
                        "the same code is given for {other} in row {row}",
                        other=earlier[0],
                        row=earlier[1],
                    ),
                    _("Each applicant has its own code: check which row is wrong."),
                )
        for direction in directions:
            if code:
                first = seen.setdefault((code, direction), row.row)
                if first != row.row:
                    parser.report(
                        "direction",
                        tr(
                            "duplicate application: row {row} already applies for this "
                            "direction with the same lead applicant",
                            row=first,
                        ),
                        _("Delete one of the two rows, or correct its direction."),
                    )
                    continue
            if None in (applicant, code, kind, city, level, has_policy):
                continue
            assert applicant and code and kind and level is not None and city is not None
            result.applications.append(
                Application(
                    sheet=row.sheet,
                    row=row.row,
                    applicant=applicant,
                    credit_code=code,
                    kind=kind,
                    city=city,
                    direction=direction,
                    level=level,
                    platform_name=row.text("platform_name")
                    or default_platform_name(applicant, direction),
                    partners=partners,
                    has_policy_list=bool(has_policy),
                    pilot_enterprise_status=pilot,
                    local_presence=local,
                    major_categories=majors,
                    double_high=double_high,
                    major_tech_transfer=bool(tech),
                    contact_name=row.text("contact_name"),
                    contact_phone=row.text("contact_phone"),
                    files=files,
                    received_at=received,
                    file_cell=row.cells["files"].column_letter if "files" in row.cells else "",
                )
            )
    return result
