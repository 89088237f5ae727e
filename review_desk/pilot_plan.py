"""Milestones proposed from a dossier's plan: the lines of its 建设进度 section (附件3
二、(六)) that carry a date and a task.

Pure functions over the section's text (read from the plan PDF's text layer by the
intake's PDF reader), so they are tested without any PDF. A date is an absolute day or
month (``2022年6月``, ``2022年6月底前``, ``2022.06``, ``2022年6月15日``), a half or a
quarter of a year (``2022年上半年``, ``2022年第三季度``), a year (``2023年``), or a part
of the pilot counted from its first day (``第一季度``, ``第3个月``, ``上半年`` with no
year). A due day is the last day of what the date names; an entry naming several dates
is due on the latest.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

MAX_TITLE = 200
MIN_TITLE = 2

_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_YEAR = r"(?P<y>(?:19|20)\d\d)"
_SMALL = r"(?P<n>\d{1,2}|[一二三四五六七八九十]{1,3})"


@dataclass(frozen=True)
class Proposal:
    """A milestone proposed from the plan: its task, due day and the line it came from."""

    title: str
    due_on: date
    line: str

    def as_dict(self) -> dict[str, str]:
        """As JSON data (``pilot milestone propose --json``)."""
        return {"title": self.title, "due_on": self.due_on.isoformat(), "line": self.line}


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it has fewer days)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _number(text: str) -> int:
    """An Arabic or a Chinese number up to 99 (三, 十, 十二, 二十)."""
    if text.isdigit():
        return int(text)
    if "十" not in text:
        return _CN_DIGITS.get(text, 0)
    tens, _sep, ones = text.partition("十")
    return _CN_DIGITS.get(tens, 1) * 10 + _CN_DIGITS.get(ones, 0)


def _valid_month(year: int, month: int) -> date | None:
    return _month_end(year, month) if 1 <= month <= 12 else None


def _day(match: re.Match[str], start: date) -> date | None:
    try:
        return date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        return None


def _month(match: re.Match[str], start: date) -> date | None:
    year, month = int(match["y"]), int(match["m"])
    end = _valid_month(year, month)
    if end is None:
        return None
    part = match["part"] or ""
    if part == "上旬":
        return date(year, month, 10)
    if part == "中旬":
        return date(year, month, 20)
    return end


def _part_of_year(match: re.Match[str], start: date) -> date | None:
    year, part = int(match["y"]), match["part"]
    if part in ("上半年", "年中"):
        return date(year, 6, 30)
    quarter = re.search(r"[1-4一二三四]", part)
    if "季度" in part or part.startswith("Q"):
        return _month_end(year, 3 * _number(quarter.group()) if quarter else 12)
    return date(year, 12, 31)  # 下半年, 年底, 年末, 底


def _year(match: re.Match[str], start: date) -> date | None:
    return date(int(match["y"]), 12, 31)


def _relative_quarter(match: re.Match[str], start: date) -> date | None:
    n = _number(match["n"])
    return add_months(start, 3 * n) - timedelta(days=1) if 1 <= n <= 4 else None


def _relative_month(match: re.Match[str], start: date) -> date | None:
    n = _number(match["n"])
    return add_months(start, n) - timedelta(days=1) if 1 <= n <= 24 else None


def _relative_half(match: re.Match[str], start: date) -> date | None:
    months = 6 if match["part"] in ("上半年", "前半年") else 12
    return add_months(start, months) - timedelta(days=1)


# Tried in this order; a span matched by one is not read again by a later one.
_PATTERNS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str], date], date | None]], ...] = (
    (re.compile(_YEAR + r"[年.\-/](?P<m>\d{1,2})[月.\-/](?P<d>\d{1,2})日?"), _day),
    (
        re.compile(
            _YEAR + r"(?:年(?P<m>\d{1,2})月|[.\-/](?P<m2>\d{1,2})(?![\d.\-/]))"
            r"(?P<part>上旬|中旬|下旬|底|末)?"
        ),
        lambda match, start: _month(_with_month(match), start),
    ),
    (
        re.compile(
            _YEAR + r"年(?:度)?(?P<part>上半年|下半年|年中|年底|年末|底|末|"
            r"第?[一二三四1-4]季度|Q[1-4])"
        ),
        _part_of_year,
    ),
    (re.compile(_YEAR + r"年度?"), _year),
    (re.compile(r"(?:试点|培育)*期?第" + _SMALL + r"季度"), _relative_quarter),
    (re.compile(r"(?:试点|培育)*期?(?:第|前)" + _SMALL + r"个?月"), _relative_month),
    (
        re.compile(r"(?:试点|培育)+期?(?P<part>上半年|前半年|下半年|后半年|期末|期满)"),
        _relative_half,
    ),
)


def _with_month(match: re.Match[str]) -> re.Match[str]:
    """``match`` with its month in the group ``m`` whichever spelling matched."""
    if match["m"] is not None:
        return match
    text = f"{match['y']}年{match['m2']}月{match['part'] or ''}"
    again = re.match(_YEAR + r"年(?P<m>\d{1,2})月(?P<part>上旬|中旬|下旬|底|末)?", text)
    assert again is not None
    return again


# Entries: separated by ; 。 or before an enumerator (1) （一） 第一阶段.
_SPLIT = re.compile(
    r"[;。]|(?=\((?:\d{1,2}|[一二三四五六七八九十]{1,3})\))|(?=第[一二三四五六七八九十]+阶段)"
)
_ENUMERATOR = re.compile(
    r"^(\((?:\d{1,2}|[一二三四五六七八九十]{1,3})\)|第[一二三四五六七八九十]+阶段|\d{1,2}[、.])"
)
# What is left around a date once it is cut out: 前 之前 以前 底前 内 起 至 and punctuation.
_LEAD = re.compile(r"^(?:[,:、\-—~至到]|之前|以前|以内|前后|前|内|起|底|末)+")
_TRAIL = re.compile(r"(?:[,:、\-—~至到(]|之前|以前|前)+$")


# Back to the full-width punctuation of Chinese text once the entry is read.
_WIDE = str.maketrans({",": "，", ":": "：", "(": "（", ")": "）", "!": "！", "?": "？"})


def entries(text: str) -> list[str]:
    """The section's entries, white space removed (PDF text wraps anywhere), full-width
    punctuation folded."""
    folded = unicodedata.normalize("NFKC", text)
    folded = re.sub(r"\s+", "", folded)
    return [part for part in _SPLIT.split(folded) if part]


def _dated(entry: str, start: date) -> tuple[date, str] | None:
    """The latest date an entry names and the entry with its dates cut out, or None."""
    masked = entry
    found: list[tuple[int, int, date]] = []
    for pattern, to_day in _PATTERNS:
        for match in pattern.finditer(masked):
            day = to_day(match, start)
            if day is None:
                continue
            found.append((match.start(), match.end(), day))
        for begin, end, _day in found:
            masked = masked[:begin] + "\0" * (end - begin) + masked[end:]
    if not found:
        return None
    kept = "".join(" " if ch == "\0" else ch for ch in masked)
    return max(day for _b, _e, day in found), kept


def _title(text: str) -> str:
    """The task: the entry without its enumerator, its dates and the words around them."""
    parts = [part.strip() for part in text.split(" ") if part.strip()]
    cleaned = []
    for part in parts:
        part = _ENUMERATOR.sub("", part)
        part = _TRAIL.sub("", _LEAD.sub("", part))
        if part:
            cleaned.append(part)
    title = "，".join(cleaned).strip(",，:：")
    return title.translate(_WIDE)[:MAX_TITLE]


def propose(text: str, pilot_start: date) -> list[Proposal]:
    """The milestones a 建设进度 section proposes: one per entry with a date and a task,
    in the section's order. Parts of the pilot (第一季度) count from ``pilot_start``."""
    proposals: list[Proposal] = []
    for entry in entries(text):
        dated = _dated(entry, pilot_start)
        if dated is None:
            continue
        due, rest = dated
        title = _title(rest)
        if len(title) < MIN_TITLE:
            continue
        proposals.append(Proposal(title, due, entry))
    return proposals


def parse_day(text: str) -> date | None:
    """A due day written in a cell: a day (2022-06-30, 2022/6/30, 2022.06.30,
    2022年6月30日) or a month (2022年6月, 2022-06: its last day); None otherwise."""
    folded = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    for pattern, to_day in _PATTERNS[:2]:
        match = pattern.fullmatch(folded)
        if match is not None:
            return to_day(match, date.min)
    return None
