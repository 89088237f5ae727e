"""Reference data of the notice, read from ``data/reference``: directions, checklist,
eligibility rules and quota rules."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from review_desk.paths import data_path


@dataclass(frozen=True)
class DirectionInfo:
    """One industry direction of 附件1."""

    number: int
    name: str
    short_name: str
    focus_areas: tuple[str, ...]
    focus_text: str
    majors: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """Return the direction as plain JSON-ready data."""
        return {
            "number": self.number,
            "name": self.name,
            "short_name": self.short_name,
            "focus_areas": list(self.focus_areas),
            "focus_text": self.focus_text,
            "majors": list(self.majors),
        }


@dataclass(frozen=True)
class ChecklistItem:
    """One item of the dossier checklist (附件3)."""

    key: str
    section: str
    number: str
    title: str
    short_title: str
    required: bool


@dataclass(frozen=True)
class EligibilityRule:
    """One condition of 三、揭榜参考条件."""

    id: str
    clause: str
    text: str
    applies_to: tuple[str, ...]
    check: str  # "machine" or "expert"
    fact: str | None = None
    preference: bool = False
    expect: Any = None
    expect_any: tuple[str, ...] = ()
    evidence: str | None = None
    note: str = ""


@dataclass(frozen=True)
class QuotaRules:
    """How many provincial bases: a target with a tolerance, and a cap per direction."""

    provincial_target: int
    provincial_tolerance: int
    per_direction_cap: int
    per_direction_overrides: dict[int, int] = field(default_factory=dict)


@cache
def directions() -> tuple[DirectionInfo, ...]:
    """Return the 30 industry directions of 附件1 in their official order."""
    raw = json.loads(data_path("reference", "directions.json").read_text(encoding="utf-8"))
    return tuple(
        DirectionInfo(
            number=int(d["number"]),
            name=d["name"],
            short_name=d["short_name"],
            focus_areas=tuple(d["focus_areas"]),
            focus_text=d["focus_text"],
            majors=tuple(d["majors"]),
        )
        for d in raw["directions"]
    )


@cache
def checklist() -> tuple[ChecklistItem, ...]:
    """Return the 附件3 checklist items, in order."""
    raw = json.loads(data_path("reference", "checklist.json").read_text(encoding="utf-8"))
    return tuple(
        ChecklistItem(
            key=item["key"],
            section=section["title"],
            number=item["number"],
            title=item["title"],
            short_title=item.get("short_title", item["title"]),
            required=bool(item["required"]),
        )
        for section in raw["sections"]
        for item in section["items"]
    )


@cache
def eligibility_rules() -> tuple[EligibilityRule, ...]:
    """Return the eligibility rules, each marked machine-checkable or for the experts."""
    raw = tomllib.loads(
        data_path("reference", "eligibility_rules.toml").read_text(encoding="utf-8")
    )
    return tuple(
        EligibilityRule(
            id=r["id"],
            clause=r["clause"],
            text=r["text"],
            applies_to=tuple(r["applies_to"]),
            check=r["check"],
            fact=r.get("fact"),
            preference=bool(r.get("preference", False)),
            expect=r.get("expect"),
            expect_any=tuple(r.get("expect_any", ())),
            evidence=r.get("evidence"),
            note=r.get("note", ""),
        )
        for r in raw["rule"]
    )


@cache
def quota_rules() -> QuotaRules:
    """Return the default quota rules of the notice."""
    raw = tomllib.loads(data_path("reference", "quota_rules.toml").read_text(encoding="utf-8"))
    return QuotaRules(
        provincial_target=int(raw["provincial_target"]),
        provincial_tolerance=int(raw["provincial_tolerance"]),
        per_direction_cap=int(raw["per_direction_cap"]),
    )


@dataclass(frozen=True)
class City:
    """A prefecture-level city of Shanxi with its administrative division code."""

    name: str
    code: str


@cache
def cities() -> tuple[City, ...]:
    """Return the 11 prefecture-level cities of Shanxi."""
    raw = json.loads(data_path("reference", "cities.json").read_text(encoding="utf-8"))
    return tuple(City(name=c["name"], code=c["code"]) for c in raw["cities"])
