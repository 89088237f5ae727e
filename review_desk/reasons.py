"""Reasons as records and as text: the codes of the formal review's checks, the one
JSON codec of a :class:`~scoring_models.reasons.Reason`, and its rendering in the
user's language.

A project stores reasons (the allocation's, in a finalised list; the formal review's, in
its checks) as ``{"code": ..., "params": {...}}``, never as text, so that a record and
the hash that seals it are the same whatever language the UI speaks. :func:`render`
turns a record into text through the one translation mechanism (each template is a
message of ``data/i18n/*.po``) when it is shown. Records written before reasons were
codes are plain text; they are decoded and shown as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from review_desk.formatting import local_time
from review_desk.i18n import _
from scoring_models.reasons import AllocationReason, Param, Reason
from scoring_models.rubric import N_

__all__ = [
    "AllocationReason",
    "CheckLabel",
    "CheckReason",
    "Reason",
    "decode",
    "encode",
    "render",
]


class CheckLabel(StrEnum):
    """What a formal-review check is about (its name in the table)."""

    FILE = "file"  # name (the file's name)
    MATERIAL_FILES = "material_files"
    CHECKLIST_ITEM = "checklist_item"  # number, title (附件3's words)
    CONDITION = "condition"  # clause (of 三、揭榜参考条件)
    DEADLINE = "deadline"


class CheckReason(StrEnum):
    """Why a formal-review check has its result; parameters in brackets."""

    FILE_UNREADABLE = "file_unreadable"  # problem
    NO_MATERIAL = "no_material"
    ITEM_FOUND = "item_found"  # page, file
    ITEM_UNSEARCHED = "item_unsearched"  # file
    ITEM_SCAN = "item_scan"  # file
    ITEM_UNREADABLE = "item_unreadable"  # file, problem (why it could not be read)
    ITEM_MISSING = "item_missing"  # title
    LATE = "late"  # received, deadline (ISO 8601 times)
    FOR_EXPERTS = "for_experts"  # quote (the rule's text)
    PREFERENCE = "preference"  # quote, value (a PREFERENCE_VALUES key)
    POLICY_LIST_STATED = "policy_list_stated"
    POLICY_LIST_MISSING = "policy_list_missing"  # quote
    PILOT_IN_POOL = "pilot_in_pool"
    PILOT_APPLYING = "pilot_applying"
    PILOT_MISSING = "pilot_missing"  # quote
    LOCAL_PRESENCE = "local_presence"
    NO_LOCAL_PRESENCE = "no_local_presence"  # quote
    NO_MAJORS_TO_COMPARE = "no_majors_to_compare"
    NO_DISCIPLINE_GROUP = "no_discipline_group"  # quote
    MAJORS_MATCH = "majors_match"  # own, majors (lists)
    MAJORS_MISMATCH = "majors_mismatch"  # own, majors (lists), quote
    OVERRIDDEN = "overridden"  # reason (the reviewer's words), who, auto (a result code)


# Each code's template: an English message translated through the catalog.
TEMPLATES: dict[str, str] = {
    AllocationReason.SELECTED: N_("selected: ranked {rank} with {score}"),
    AllocationReason.DIRECTION_FULL: N_(
        "direction {direction} already has its {cap} provincial places, taken by higher scores"
    ),
    AllocationReason.APPLICANT_FULL: N_("the applicant already has {cap} provincial places"),
    AllocationReason.TOTAL_FULL: N_("the {target} provincial places are taken by higher scores"),
    AllocationReason.TIED: N_(
        "tied with {others} at {score} for the last contested place; the committee decides"
    ),
    AllocationReason.HELD: N_("the place a tie above contests is held for the committee"),
    AllocationReason.REQUESTED_MUNICIPAL: N_("applied for the municipal/county level"),
    AllocationReason.BELOW_MIN: N_("score {score} is below the minimum {min}"),
    AllocationReason.INELIGIBLE: N_("not eligible (formal review or veto)"),
    AllocationReason.UNSCORED: N_("no submitted score sheet yet"),
    AllocationReason.TIE_BREAK_WON: N_(
        "selected: ranked {rank} with {score}, before {others} (same score) by the "
        "tie-break {tie_break}"
    ),
    AllocationReason.TIE_BREAK_LOST: N_(
        "same score {score} as {others}, who come first by the tie-break {tie_break}; "
        "no provincial place was left"
    ),
    CheckLabel.FILE: N_("File {name}"),
    CheckLabel.MATERIAL_FILES: N_("Material files"),
    CheckLabel.CONDITION: N_("Condition {clause}"),
    CheckLabel.DEADLINE: N_("Submission deadline"),
    CheckReason.FILE_UNREADABLE: N_("The file cannot be read: {problem}."),
    CheckReason.NO_MATERIAL: N_("No material file was received."),
    CheckReason.ITEM_FOUND: N_("Found on page {page} of {file}."),
    CheckReason.ITEM_UNSEARCHED: N_(
        "{file} has not been searched for the items: look for this item by hand."
    ),
    CheckReason.ITEM_SCAN: N_("{file} has no text layer (a scan): look for this item by hand."),
    CheckReason.ITEM_UNREADABLE: N_(
        "{file} could not be searched ({problem}): look for this item by hand."
    ),
    CheckReason.ITEM_MISSING: N_("Not found in the material files (附件3: {title})."),
    CheckReason.LATE: N_(
        "Received {received}, after the deadline {deadline}: decide whether to accept it."
    ),
    CheckReason.FOR_EXPERTS: N_("For the experts to judge: {quote}"),
    CheckReason.PREFERENCE: N_("Preference {quote}: {value}."),
    CheckReason.POLICY_LIST_STATED: N_(
        "The register states a city government support policy list."
    ),
    CheckReason.POLICY_LIST_MISSING: N_("No city government support policy list: {quote}"),
    CheckReason.PILOT_IN_POOL: N_("In the provincial pilot-enterprise pool."),
    CheckReason.PILOT_APPLYING: N_("Applying to enter the provincial pilot-enterprise pool."),
    CheckReason.PILOT_MISSING: N_(
        "Neither in the pilot-enterprise pool nor applying to enter it: "
        "{quote} Supplement the application to enter the pool."
    ),
    CheckReason.LOCAL_PRESENCE: N_("Based in Shanxi or has a Shanxi subsidiary."),
    CheckReason.NO_LOCAL_PRESENCE: N_("No Shanxi subsidiary or local service team: {quote}"),
    CheckReason.NO_MAJORS_TO_COMPARE: N_(
        "The direction lists no majors to compare: judge by hand."
    ),
    CheckReason.NO_DISCIPLINE_GROUP: N_("The register gives no discipline group: {quote}"),
    CheckReason.MAJORS_MATCH: N_("Discipline group {own} matches the direction ({majors})."),
    CheckReason.MAJORS_MISMATCH: N_(
        "Discipline group {own} does not match the direction's majors ({majors}): {quote}"
    ),
    CheckReason.OVERRIDDEN: N_("{reason} (decided by {who}; automatic result: {auto})"),
    # The assignment of experts to dossiers (scoring_models.assignment.AssignmentReason,
    # by value: importing it would load the solver with every command): cost, load,
    # load_min and load_max are the candidate's; others names experts.
    "chosen_cheapest": N_(
        "chosen: no candidate left out fits better (cost {cost}; load {load}, "
        "range {load_min}-{load_max})"
    ),
    "chosen_cheaper_full": N_(
        "chosen: the better-fitting {others} are at their highest load (cost {cost}; "
        "load {load}, range {load_min}-{load_max})"
    ),
    "chosen_for_minimum": N_(
        "chosen although {others} fit better: this expert needs their lowest load "
        "{load_min} (load {load})"
    ),
    "costlier": N_(
        "not chosen: fits less well (cost {cost}) than those chosen (cost {chosen_cost})"
    ),
    "tie": N_("not chosen: fits as well as one chosen (cost {cost}); either would do"),
    "expert_full": N_("not chosen: the expert is at their highest load {load_max}"),
    "others_at_minimum": N_(
        "not chosen: {others} need their lowest load and cannot give this place up"
    ),
    "drawn": N_("drawn, with probability {probability} (cost {cost})"),
    "not_drawn": N_("not drawn (probability {probability}, cost {cost})"),
}

# Templates made of the record's own words (reference data), with nothing to translate.
VERBATIM: dict[str, str] = {CheckLabel.CHECKLIST_ITEM: "{number} {title}"}

# Parameters holding a code that is shown as a label.
RESULT_LABELS = {
    "pass": N_("Met"),
    "fail": N_("Not met"),
    "manual": N_("Check by hand"),
    "info": N_("For the experts"),
}
PREFERENCE_VALUES = {
    "national": N_("national 双高计划 unit"),
    "provincial": N_("provincial 双高计划 unit"),
    "tech_transfer": N_("has major technology-transfer results"),
    "not_recorded": N_("not recorded"),
}
# The ranking's tie-break columns (``scoring_models.allocation`` names them in reasons).
TIE_BREAK_LABELS = {
    "double_high_rank": N_("双高计划 level (national before provincial)"),
    "tech_transfer": N_("major technology-transfer results"),
}
_CODED_PARAMS: dict[str, dict[str, str]] = {
    "auto": RESULT_LABELS,
    "value": PREFERENCE_VALUES,
    "tie_break": TIE_BREAK_LABELS,
}


def _number(value: float) -> str:
    """A score as the reasons show it: at most two decimals, no trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _moment(value: Param) -> str:
    return local_time(datetime.fromisoformat(str(value)))


def _quoted(value: Param) -> str:
    return f"“{value}”"


# Parameters shown in a form of their own, by name.
_FORMATS: dict[str, Callable[[Param], str]] = {
    "probability": lambda value: f"{float(value):.0%}",  # type: ignore[arg-type]
    "quote": _quoted,
    "received": _moment,
    "deadline": _moment,
}


def _shown(name: str, value: Param) -> str:
    if name in _FORMATS:
        return _FORMATS[name](value)
    if name in _CODED_PARAMS and isinstance(value, str):
        label = _CODED_PARAMS[name].get(value)
        return _(label) if label is not None else value
    if isinstance(value, tuple):
        # Translators: the separator of a list of names (dossier codes, majors).
        return _(", ").join(value)
    if isinstance(value, float):
        return _number(value)
    return str(value)


def render(reason: Reason | str | None) -> str:
    """The text of a reason in the current language; text stored before reasons were
    records is shown as it is."""
    if reason is None:
        return ""
    if isinstance(reason, str):
        return reason
    values = {name: _shown(name, value) for name, value in reason.params.items()}
    if reason.code in VERBATIM:
        return VERBATIM[reason.code].format(**values)
    template = TEMPLATES.get(reason.code)
    if template is None:  # a code from a newer version: show what it is, not nothing
        return str(reason)
    try:
        return _(template).format(**values)
    except KeyError:  # a record missing a parameter its template needs
        return str(reason)


def encode(reason: Reason | str) -> dict[str, Any] | str:
    """A reason as JSON data (the one codec of project records and the list's hash)."""
    if isinstance(reason, str):
        return reason
    params = {
        name: list(value) if isinstance(value, tuple) else value
        for name, value in reason.params.items()
    }
    return {"code": str(reason.code), "params": params}


def decode(value: object) -> Reason | str | None:
    """A reason from JSON data: a :class:`Reason`, or the plain text an older version
    stored (kept as it is), or None when there is none."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Mapping) and isinstance(value.get("code"), str):
        params = value.get("params") or {}
        if isinstance(params, Mapping):
            return Reason(value["code"], params)
    raise ValueError(f"not a stored reason: {value!r}")
