"""The expert pool (专家库): experts kept beyond one round, imported from the roster
template (Excel or CSV) with every problem located (sheet, row, column) and nothing
stored while any remains.

Besides name, organisation, field and contact, an expert of the pool has a city, a
title, the notice's directions by number and majors, the rounds they can take part in,
the rounds already served, declared relations and earlier employers: what the draw
(review_desk.draw) and the conflict rules (review_desk.conflicts) read. The roster of
earlier versions is the same table and the same import: its files import as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from review_desk import audit
from review_desk.audit import Clock, utc_now
from review_desk.errors import UserError, file_refusal
from review_desk.formatting import shortened
from review_desk.i18n import _, tr
from review_desk.intake.bounded_read import FileRefused, first_sheet, run_limited
from review_desk.intake.register_reader import RegisterReadError, cell_text, column_letter
from review_desk.intake.text_normalize import fold
from review_desk.project import Project
from review_desk.storage import models as m

# Each column's spellings, the template's first (review_desk.intake.roster_template).
ROSTER_HEADERS = {
    "name": ("姓名", "专家姓名", "名字"),
    "organisation": ("工作单位", "单位", "所在单位"),
    "field": ("专业领域", "研究领域", "领域", "专业"),
    "phone": ("电话", "联系电话", "手机", "手机号"),
    "email": ("邮箱", "电子邮箱", "email", "e-mail"),
    "city": ("所在城市", "城市", "所在地"),
    "title": ("职称", "职务职称"),
    "directions": ("评审方向", "产业方向", "方向编号"),
    "majors": ("对应专业", "所学专业", "专业名称"),
    "availability": ("可参加批次", "可参加轮次"),
    "past_rounds": ("参评经历", "曾参评批次"),
    "relations": ("关联单位或人员", "需回避单位或人员", "声明关系"),
    "past_employers": ("曾任职单位", "工作经历"),
}
LIST_KEYS = ("directions", "majors", "availability", "past_rounds", "relations")
_PHONE = re.compile(r"^\+?[\d\- ()]{7,20}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SEPARATORS = re.compile(r"[、,，;；\n]+")
# 山西大学（2022） / 山西大学(2022) / 山西大学:2022, after NFKC.
_EMPLOYER = re.compile(r"^(?P<org>.+?)\s*(?:\((?P<y1>[^)]*)\)|:(?P<y2>.*))$")


class PoolError(UserError):
    """The pool cannot be read or changed so; the message is for the user."""


@dataclass(frozen=True)
class RosterIssue:
    """A problem in one cell of a roster: where (sheet, row, column) and what."""

    row: int
    column: str
    value: str
    problem: str
    sheet: str = ""
    letter: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", shortened(self.value))  # echoed, not the whole cell

    def as_dict(self) -> dict[str, Any]:
        """Return the issue as plain JSON-ready data."""
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "letter": self.letter,
            "value": self.value,
            "problem": self.problem,
        }


@dataclass
class RosterImport:
    """What importing a roster did."""

    issues: list[RosterIssue] = field(default_factory=list)
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    stored: bool = False
    # Conflicts the imported declarations reveal with experts already assigned: now
    # recused (their scores for those dossiers blocked), to be shown as a warning.
    late_conflicts: list[Any] = field(default_factory=list)


def split_list(text: str) -> list[str]:
    """The items of a cell holding a list (separated by 、 , ; or new lines)."""
    return [part.strip() for part in _SEPARATORS.split(text) if part.strip()]


def parse_employer(text: str) -> tuple[str, int] | None:
    """An earlier employer written ``单位（2022）`` (the year the expert left), or None
    when the text is not in that form."""
    import unicodedata

    match = _EMPLOYER.match(unicodedata.normalize("NFKC", text).strip())
    if match is None:
        return None
    year = (match.group("y1") or match.group("y2") or "").strip()
    if not re.fullmatch(r"(19|20)\d\d", year):
        return None
    return match.group("org").strip(), int(year)


def _read(path: Path) -> tuple[str, list[list[Any]]]:
    """Read a roster in a worker process limited in time and memory."""
    refusal = file_refusal(path)
    if refusal is not None:
        raise PoolError(refusal)
    try:
        return run_limited(first_sheet, path, file=path.name)
    except (FileRefused, RegisterReadError) as error:
        raise PoolError(str(error)) from error


def _header(rows: list[list[Any]]) -> tuple[int, dict[str, int]] | None:
    names = {fold(h).lower(): key for key, headers in ROSTER_HEADERS.items() for h in headers}
    for index, row in enumerate(rows[:20]):
        found = {
            names[fold(str(v)).lower()]: c
            for c, v in enumerate(row)
            if v is not None and fold(str(v)).lower() in names
        }
        if "name" in found and "organisation" in found:
            return index, found
    return None


class _Row:
    """One data row being checked: its values and where its problems are."""

    def __init__(
        self, sheet: str, number: int, columns: dict[str, int], issues: list[RosterIssue]
    ) -> None:
        self.sheet, self.number, self.columns, self.issues = sheet, number, columns, issues

    def problem(self, key: str, value: str, problem: str) -> None:
        self.issues.append(
            RosterIssue(
                self.number,
                ROSTER_HEADERS[key][0],
                value,
                problem,
                sheet=self.sheet,
                letter=column_letter(self.columns[key] + 1) if key in self.columns else "",
            )
        )


def _checked(row: _Row, values: dict[str, str], directions: set[int]) -> dict[str, Any]:
    """The expert's stored values from a row's cells, its problems noted on ``row``."""
    for key in ("name", "organisation"):
        if not values.get(key):
            row.problem(key, "", _("empty"))
    phone, email = values.get("phone", ""), values.get("email", "")
    if phone and not _PHONE.match(fold(phone)):
        row.problem("phone", phone, _("not a phone number"))
    if email and not _EMAIL.match(email):
        row.problem("email", email, _("not an e-mail address"))
    person: dict[str, Any] = {
        k: values[k]
        for k in ("name", "organisation", "field", "phone", "email", "city", "title")
        if k in values
    }
    for key in LIST_KEYS:
        if key in values:
            person[key] = split_list(values[key])
    if "directions" in person:
        numbers: list[int] = []
        for item in person["directions"]:
            if not fold(item).isdigit() or int(fold(item)) not in directions:
                row.problem("directions", item, tr("no industry direction numbered {id}", id=item))
            elif int(fold(item)) not in numbers:
                numbers.append(int(fold(item)))
        person["directions"] = numbers
    if "past_employers" in values:
        employers = []
        for item in split_list(values["past_employers"]):
            parsed = parse_employer(item)
            if parsed is None:
                row.problem(
                    "past_employers",
                    item,
                    _("write the organisation and the year the expert left, e.g. 山西大学（2022）"),
                )
            else:
                employers.append({"organisation": parsed[0], "until": parsed[1]})
        person["past_employers"] = employers
    return person


def check_roster(
    path: Path, directions: set[int]
) -> tuple[list[dict[str, Any]], list[RosterIssue]]:
    """Read and check a roster: the experts it lists, and every problem located."""
    sheet, rows = _read(path)
    found = _header(rows)
    if found is None:
        raise PoolError(_("No header row with 姓名 and 工作单位 found in the roster."))
    header_index, columns = found
    issues: list[RosterIssue] = []
    people: list[dict[str, Any]] = []
    seen: dict[tuple[str, str], int] = {}
    for number, cells in enumerate(rows[header_index + 1 :], start=header_index + 2):
        values = {k: cell_text(cells[c]) if c < len(cells) else "" for k, c in columns.items()}
        if not any(values.values()):
            continue
        row = _Row(sheet, number, columns, issues)
        person = _checked(row, values, directions)
        identity = (fold(values.get("name", "")), fold(values.get("organisation", "")))
        if identity in seen:
            row.problem(
                "name",
                values.get("name", ""),
                tr("the same expert as row {row}", row=seen[identity]),
            )
        seen[identity] = number
        people.append(person)
    return people, issues


def import_pool(
    project: Project, path: Path, *, actor: str = "agency", clock: Clock = utc_now
) -> RosterImport:
    """Import experts into the pool; nothing is stored while any row has a problem.
    Experts are matched by name and organisation; a column the file lacks leaves what
    the pool holds for it."""
    with project.reading() as session:
        directions = set(session.scalars(select(m.Direction.id)))
    people, issues = check_roster(path, directions)
    result = RosterImport(issues=issues)
    if issues:
        return result
    with project.transaction() as session:
        existing = {
            (fold(e.name), fold(e.organisation)): e for e in session.scalars(select(m.Expert))
        }
        for person in people:
            expert = existing.get((fold(person["name"]), fold(person["organisation"])))
            if expert is None:
                session.add(m.Expert(**person))
                result.added += 1
            elif any(getattr(expert, k) != v for k, v in person.items()):
                for k, v in person.items():
                    setattr(expert, k, v)
                result.updated += 1
            else:
                result.unchanged += 1
        if result.added or result.updated:
            audit.record(
                session,
                actor=actor,
                action="roster.import",
                entity="expert",
                entity_id=path.name,
                after={"added": result.added, "updated": result.updated},
                clock=clock,
            )
    result.stored = True
    if result.added or result.updated:
        from review_desk.conflicts import block_late

        result.late_conflicts = block_late(project, actor=actor, clock=clock)
    return result


@dataclass(frozen=True)
class PoolExpert:
    """An expert of the pool as listed."""

    id: int
    name: str
    organisation: str
    city: str
    title: str
    field: str
    directions: list[int]
    majors: list[str]
    phone: str
    email: str
    availability: list[str]
    past_rounds: list[str]
    relations: list[str]
    past_employers: list[dict[str, Any]]


def pool(project: Project) -> list[PoolExpert]:
    """Every expert of the pool, by id."""
    with project.reading() as session:
        return [
            PoolExpert(
                id=e.id,
                name=e.name,
                organisation=e.organisation,
                city=e.city,
                title=e.title,
                field=e.field,
                directions=list(e.directions),
                majors=list(e.majors),
                phone=e.phone,
                email=e.email,
                availability=list(e.availability),
                past_rounds=list(e.past_rounds),
                relations=list(e.relations),
                past_employers=list(e.past_employers),
            )
            for e in session.scalars(select(m.Expert).order_by(m.Expert.id))
        ]
