"""The members of a return package as typed values, checked field by field.

A return's signature proves who sent it, not that its content is well formed: an
expert's own build, or a bug, can sign anything. Every member is parsed here into
frozen dataclasses before anything is written; a member that is not exactly the
expected shape is refused with the place that is wrong (``records.json: defense[0].notes:
not text``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from review_desk.i18n import _, tr


class MalformedContent(Exception):
    """A member of a return package is not what the format says; the message says where."""


@dataclass(frozen=True)
class ReturnedSheet:
    """An expert's sheet of one dossier as returned."""

    dossier_id: int
    dossier_code: str
    rubric_hash: str
    status: str
    opinion: str
    updated_at: datetime | None
    submitted_at: datetime | None
    scores: dict[str, float]
    comments: dict[str, str]
    vetoes: dict[str, str]

    @property
    def empty(self) -> bool:
        """True when the sheet holds nothing the expert entered."""
        return not (self.scores or self.comments or self.opinion.strip() or self.vetoes)


@dataclass(frozen=True)
class ReturnedRecusal:
    """A conflict of interest the expert declared."""

    dossier_id: int
    reason: str


@dataclass(frozen=True)
class ReturnedDefense:
    """The expert's own record of a dossier's defense."""

    dossier_id: int
    attendees: str
    presentation_minutes: float | None
    questions: tuple[dict[str, str], ...]
    notes: str


@dataclass(frozen=True)
class ReturnedInspection:
    """The expert's own record of a dossier's video inspection."""

    dossier_id: int
    inspected_at: datetime | None
    site: str
    shown: str
    findings: str
    notes: str


@dataclass(frozen=True)
class ReturnContent:
    """Everything a return package carries besides its manifest."""

    sheets: tuple[ReturnedSheet, ...]
    recusals: tuple[ReturnedRecusal, ...]
    defense: tuple[ReturnedDefense, ...]
    inspection: tuple[ReturnedInspection, ...]


def _fail(where: str, problem: str) -> MalformedContent:
    return MalformedContent(f"{where}: {problem}")


def _object(
    value: Any, where: str, keys: set[str], optional: frozenset[str] = frozenset()
) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(where, _("not an object"))
    missing = keys - set(value)
    if missing:
        raise _fail(where, tr("missing {names}", names=", ".join(sorted(missing))))
    unknown = set(value) - keys - optional
    if unknown:
        raise _fail(where, tr("unknown {names}", names=", ".join(sorted(unknown)[:5])))
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(where, _("not a list"))
    return value


def _int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**31:
        raise _fail(where, _("not a valid id"))
    return value


def _str(value: Any, where: str, limit: int = 100_000) -> str:
    if not isinstance(value, str):
        raise _fail(where, _("not text"))
    if len(value) > limit:
        raise _fail(where, _("text too long"))
    return value


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(where, _("not a number"))
    return float(value)


def _time(value: Any, where: str) -> datetime | None:
    if value is None:
        return None
    text = _str(value, where, 64)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise _fail(where, _("not a date and time")) from error
    if moment.tzinfo is None:
        raise _fail(where, _("a time without its time zone"))
    return moment


def _text_map(value: Any, where: str, numbers: bool = False) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(where, _("not an object"))
    result: dict[str, Any] = {}
    for key, item in value.items():
        _str(key, where, 50)
        inner = f"{where}.{key}"
        result[key] = _number(item, inner) if numbers else _str(item, inner, 20_000)
    return result


def _sheet(value: Any, where: str) -> ReturnedSheet:
    keys = {
        "dossier_id",
        "rubric_hash",
        "status",
        "opinion",
        "updated_at",
        "submitted_at",
        "scores",
        "comments",
        "vetoes",
    }
    data = _object(value, where, keys, frozenset({"dossier_code"}))
    status = _str(data["status"], f"{where}.status", 20)
    if status not in ("draft", "submitted"):
        raise _fail(f"{where}.status", _("unknown status"))
    return ReturnedSheet(
        dossier_id=_int(data["dossier_id"], f"{where}.dossier_id"),
        dossier_code=_str(data.get("dossier_code", ""), f"{where}.dossier_code", 30),
        rubric_hash=_str(data["rubric_hash"], f"{where}.rubric_hash", 64),
        status=status,
        opinion=_str(data["opinion"], f"{where}.opinion", 20_000),
        updated_at=_time(data["updated_at"], f"{where}.updated_at"),
        submitted_at=_time(data["submitted_at"], f"{where}.submitted_at"),
        scores=_text_map(data["scores"], f"{where}.scores", numbers=True),
        comments=_text_map(data["comments"], f"{where}.comments"),
        vetoes=_text_map(data["vetoes"], f"{where}.vetoes"),
    )


def _defense(value: Any, where: str) -> ReturnedDefense:
    data = _object(
        value, where, {"dossier_id", "attendees", "presentation_minutes", "questions", "notes"}
    )
    minutes = data["presentation_minutes"]
    questions = []
    for index, item in enumerate(_list(data["questions"], f"{where}.questions")):
        inner = f"{where}.questions[{index}]"
        entry = _object(item, inner, {"question"}, frozenset({"asker", "answer"}))
        questions.append({k: _str(v, f"{inner}.{k}", 20_000) for k, v in entry.items()})
    return ReturnedDefense(
        dossier_id=_int(data["dossier_id"], f"{where}.dossier_id"),
        attendees=_str(data["attendees"], f"{where}.attendees", 20_000),
        presentation_minutes=(
            None if minutes is None else _number(minutes, f"{where}.presentation_minutes")
        ),
        questions=tuple(questions),
        notes=_str(data["notes"], f"{where}.notes", 20_000),
    )


def _inspection(value: Any, where: str) -> ReturnedInspection:
    keys = {"dossier_id", "inspected_at", "site", "shown", "findings", "notes"}
    data = _object(value, where, keys)
    return ReturnedInspection(
        dossier_id=_int(data["dossier_id"], f"{where}.dossier_id"),
        inspected_at=_time(data["inspected_at"], f"{where}.inspected_at"),
        site=_str(data["site"], f"{where}.site", 200),
        shown=_str(data["shown"], f"{where}.shown", 20_000),
        findings=_str(data["findings"], f"{where}.findings", 20_000),
        notes=_str(data["notes"], f"{where}.notes", 20_000),
    )


def _json(name: str, data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise MalformedContent(tr("{name}: not valid JSON", name=name)) from error


def _no_constant(name: str) -> Any:
    raise ValueError(name)  # NaN and Infinity are not JSON


def parse_content(members: dict[str, bytes]) -> ReturnContent:
    """Parse and check the three content members; raise MalformedContent saying where."""
    sheets_data = _list(_json("scores.json", members["scores.json"]), "scores.json")
    sheets = tuple(_sheet(v, f"scores.json[{i}]") for i, v in enumerate(sheets_data))
    ids = [s.dossier_id for s in sheets]
    if len(ids) != len(set(ids)):
        raise MalformedContent(_("scores.json: a dossier appears twice"))
    recusal_data = _list(_json("recusals.json", members["recusals.json"]), "recusals.json")
    recusals = []
    for index, value in enumerate(recusal_data):
        where = f"recusals.json[{index}]"
        data = _object(value, where, {"dossier_id", "reason"}, frozenset({"source", "declared_at"}))
        recusals.append(
            ReturnedRecusal(
                _int(data["dossier_id"], f"{where}.dossier_id"),
                _str(data["reason"], f"{where}.reason", 20_000),
            )
        )
    records = _object(
        _json("records.json", members["records.json"]), "records.json", {"defense", "inspection"}
    )
    defense = tuple(
        _defense(v, f"records.json.defense[{i}]")
        for i, v in enumerate(_list(records["defense"], "records.json.defense"))
    )
    inspection = tuple(
        _inspection(v, f"records.json.inspection[{i}]")
        for i, v in enumerate(_list(records["inspection"], "records.json.inspection"))
    )
    for name, rows in (("defense", defense), ("inspection", inspection)):
        ids = [r.dossier_id for r in rows]
        if len(ids) != len(set(ids)):
            raise MalformedContent(tr("records.json: {name}: a dossier appears twice", name=name))
    return ReturnContent(sheets, tuple(recusals), defense, inspection)
