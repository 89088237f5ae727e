"""Reference data of the notice, read from ``data/reference``: directions, checklist,
eligibility rules and quota rules.

The eligibility rules fail closed: a rule that names a fact, a kind of check or an
applicant kind the application does not know is refused when the rules load
(:class:`RulesError`), never left out of the formal review in silence.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from review_desk.domain import ApplicantKind
from review_desk.i18n import _, tr
from review_desk.paths import data_path

# The facts a "machine" rule may name: conditions are checked by the formal review
# (``formal_review.CONDITION_CHECKS``); preferences are shown to the experts and used by
# the rubric's bonus and tie-breaks.
CONDITION_FACTS = frozenset(
    {
        "has_policy_list",
        "pilot_enterprise_status",
        "local_presence",
        "major_categories_match_direction",
    }
)
PREFERENCE_FACTS = frozenset({"double_high", "major_tech_transfer"})
CHECK_KINDS = ("machine", "expert")


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


# The checklist file of each kind of project: a selection round's dossiers are checked
# against 附件3, a recognition round's construction reports (建设情况报告) against the
# recognition checklist.
CHECKLIST_FILES = {"selection": "checklist.json", "recognition": "recognition_checklist.json"}


@cache
def checklist(kind: str = "selection") -> tuple[ChecklistItem, ...]:
    """Return the checklist items of a kind of project (``selection``: 附件3;
    ``recognition``: the construction report's), in order."""
    name = CHECKLIST_FILES[kind]
    raw = json.loads(data_path("reference", name).read_text(encoding="utf-8"))
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


class RulesError(ValueError):
    """Eligibility rules the application cannot apply as written; the message, for the
    user, names the rule and what is wrong with it."""


def _rule(raw: dict[str, Any], number: int) -> EligibilityRule:
    """One rule of the TOML file, checked against what the application knows."""
    rule_id = str(raw.get("id") or tr("number {n}", n=number))
    for key in ("id", "clause", "text", "applies_to", "check"):
        if key not in raw:
            raise RulesError(
                tr("Eligibility rule {rule} lacks the field “{field}”.", rule=rule_id, field=key)
            )
    check = raw["check"]
    if check not in CHECK_KINDS:
        raise RulesError(
            tr(
                "Eligibility rule {rule}: check must be “machine” or “expert”, not “{check}”.",
                rule=rule_id,
                check=check,
            )
        )
    kinds = {k.value for k in ApplicantKind} | {"all"}
    for kind in raw["applies_to"]:
        if kind not in kinds:
            raise RulesError(
                tr(
                    "Eligibility rule {rule} applies to an unknown applicant kind “{kind}”.",
                    rule=rule_id,
                    kind=kind,
                )
            )
    fact = raw.get("fact")
    preference = bool(raw.get("preference", False))
    if check == "machine":
        if not fact:
            raise RulesError(
                tr(
                    "Eligibility rule {rule} is checked by the application but names no fact.",
                    rule=rule_id,
                )
            )
        known = PREFERENCE_FACTS if preference else CONDITION_FACTS
        if fact not in known:
            raise RulesError(
                tr(
                    "Eligibility rule {rule} names the fact “{fact}”, which the application "
                    "cannot check as a {kind}; the facts it knows: {known}.",
                    rule=rule_id,
                    fact=fact,
                    kind=_("preference") if preference else _("condition"),
                    known=", ".join(sorted(known)),
                )
            )
    return EligibilityRule(
        id=raw["id"],
        clause=raw["clause"],
        text=raw["text"],
        applies_to=tuple(raw["applies_to"]),
        check=check,
        fact=fact,
        preference=preference,
        expect=raw.get("expect"),
        expect_any=tuple(raw.get("expect_any", ())),
        evidence=raw.get("evidence"),
        note=raw.get("note", ""),
    )


def load_eligibility_rules(path: Path) -> tuple[EligibilityRule, ...]:
    """Read and check an eligibility rules file; :class:`RulesError` if the application
    could not apply a rule as written."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise RulesError(
            tr("The eligibility rules {path} cannot be read: {problem}", path=path, problem=error)
        ) from error
    return tuple(_rule(r, number) for number, r in enumerate(raw.get("rule", []), start=1))


@cache
def eligibility_rules() -> tuple[EligibilityRule, ...]:
    """Return the eligibility rules, each marked machine-checkable or for the experts."""
    return load_eligibility_rules(data_path("reference", "eligibility_rules.toml"))


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
