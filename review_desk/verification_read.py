"""Reading a verification bundle (核验包): its layout, and the bounded, checked reading of
an untrusted zip into typed values. Whatever the file holds (a zip bomb, a missing
member, bad JSON, a value of the wrong type), reading fails with a
:class:`BundleError` that says where, never with another exception; nothing is read
beyond fixed limits.

The members and their fields are described in docs/results.md (*The verification
bundle*) and in the bundle's own README.txt."""

from __future__ import annotations

import io
import json
import math
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from review_desk.errors import UserError, os_error_message
from review_desk.exchange.zipsafe import ARCHIVE_ERRORS, UnsafeArchive, check_names, read_member
from review_desk.i18n import _, tr
from scoring_models.rubric import N_

FORMAT = "review-desk-verification-bundle"
VERSION = 1
README = "README.txt"
MANIFEST = "manifest.json"
FINAL_LIST = "final_list.json"
PARAMETERS = "parameters.json"
RUBRIC = "rubric.json"
DOSSIERS = "dossiers.json"
SCORES = "scores.json"
DECISIONS = "decisions.json"
AUDIT_HEAD = "audit_head.json"
JSON_MEMBERS = (MANIFEST, FINAL_LIST, PARAMETERS, RUBRIC, DOSSIERS, SCORES, DECISIONS, AUDIT_HEAD)
MEMBERS = (README, *JSON_MEMBERS)
# A national round (50,000 dossiers, 250,000 sheets) makes about 60 MB of scores.
MAX_MEMBER = 256 * 1024**2
MAX_TOTAL = 512 * 1024**2
# The largest whole number a field may hold (any id or count fits; numpy's do not
# overflow).
_LARGEST = 2**53


class BundleError(UserError):
    """The bundle cannot be read: damaged, hostile or not a bundle (exit code 2)."""

    exit_code = 2


@dataclass(frozen=True)
class BundleDossier:
    """A dossier as the ranking reads it: its lead applicant's facts, its direction
    and the formal review's verdict."""

    id: int
    code: str
    applicant_id: int
    direction_id: int
    direction: str
    requested_level: str
    applicant: str
    city: str
    kind: str
    double_high: str | None
    major_tech_transfer: bool
    pilot_enterprise_status: str | None
    local_presence: str | None
    formal_review: str | None


@dataclass(frozen=True)
class BundleSheet:
    """A submitted score sheet: its expert's pseudonym, its rubric version (content
    hash), its criterion scores and the vetoes it raised."""

    sheet: int
    dossier_id: int
    expert: str
    rubric: str
    scores: Mapping[str, float]
    vetoes: tuple[str, ...]


@dataclass(frozen=True)
class BundleAdjustment:
    """One of the committee's adjustments, in the order they were made."""

    dossier_id: int
    code: str
    from_tier: str
    to_tier: str
    reason: str
    decided_at: str
    decided_by: str


@dataclass(frozen=True)
class BundleExplanation:
    """The written explanation of a deviating score (畸高畸低)."""

    dossier_id: int
    code: str
    expert: str
    text: str
    source: str


@dataclass(frozen=True)
class Bundle:
    """Everything a bundle holds, checked for shape. ``rubrics`` are (stated content
    hash, parsed source) pairs, the active version first; ``experts`` (pseudonym,
    panel) pairs in the order of the experts' ids."""

    content_hash: str
    final_config: Mapping[str, Any]
    final_rows: Sequence[Mapping[str, Any]]
    finalised_at: str
    parameters: Mapping[str, Any]
    rubrics: Sequence[tuple[str, Mapping[str, Any]]]
    formal_review: bool
    dossiers: Sequence[BundleDossier]
    experts: Sequence[tuple[str, int | None]]
    sheets: Sequence[BundleSheet]
    adjustments: Sequence[BundleAdjustment]
    explanations: Sequence[BundleExplanation]
    audit_head: Mapping[str, Any]
    manifest: Mapping[str, Any]


def read_bundle(path: Path) -> Bundle:
    """Read and check a bundle file; raise :class:`BundleError`."""
    try:
        size = path.stat().st_size
        if size > MAX_TOTAL:
            raise BundleError(
                tr("{file}: the file is larger than a bundle can be.", file=path.name)
            )
        data = path.read_bytes()
    except OSError as error:
        raise BundleError(
            tr("{file}: cannot be read ({error})", file=path.name, error=os_error_message(error))
        ) from error
    return parse_bundle(read_members(data, path.name))


def read_members(data: bytes, name: str) -> dict[str, bytes]:
    """The members of a bundle's bytes, each read with a hard cap."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            check_names(archive, max_total=MAX_TOTAL, max_members=len(MEMBERS) * 2)
            present = set(archive.namelist())
            missing = [member for member in MEMBERS if member not in present]
            if missing:
                raise BundleError(
                    tr("{file}: missing {members}", file=name, members=", ".join(missing))
                )
            return {member: read_member(archive, member, MAX_MEMBER) for member in MEMBERS}
    except UnsafeArchive as error:
        raise BundleError(tr("{file}: {error}", file=name, error=error)) from error
    except ARCHIVE_ERRORS as error:  # every way a damaged archive fails to read
        raise BundleError(
            tr("{file}: not a readable zip archive ({error})", file=name, error=error)
        ) from error


def parse_bundle(members: Mapping[str, bytes]) -> Bundle:
    """The typed content of a bundle's members; raise :class:`BundleError` naming the
    member and the place of the first problem."""
    docs = {member: _json(member, members[member]) for member in JSON_MEMBERS}
    manifest = _Obj(docs[MANIFEST], f"{MANIFEST}:")
    if manifest.get("format", str) != FORMAT:
        raise BundleError(tr("{member}: not a Review Desk verification bundle", member=MANIFEST))
    if manifest.get("version", int) != VERSION:
        raise BundleError(
            tr(
                "{member}: bundle format version {version} is not supported",
                member=MANIFEST,
                version=manifest.raw("version"),
            )
        )
    final = _Obj(docs[FINAL_LIST], f"{FINAL_LIST}:")
    rubric = _Obj(docs[RUBRIC], f"{RUBRIC}:")
    dossiers = _Obj(docs[DOSSIERS], f"{DOSSIERS}:")
    scores = _Obj(docs[SCORES], f"{SCORES}:")
    decisions = _Obj(docs[DECISIONS], f"{DECISIONS}:")
    return Bundle(
        content_hash=final.get("content_hash", str),
        final_config=final.get("config", dict),
        final_rows=[row.value for row in final.objects("rows")],
        finalised_at=final.get("finalised_at", str),
        parameters=_config(
            _Obj(
                _Obj(docs[PARAMETERS], f"{PARAMETERS}:").get("config", dict),
                f"{PARAMETERS}: config",
            )
        ),
        rubrics=_versions(rubric),
        formal_review=dossiers.get("formal_review_run", bool),
        dossiers=[_dossier(d) for d in dossiers.objects("dossiers")],
        experts=[
            (e.get("expert", str), e.optional("panel", int)) for e in scores.objects("experts")
        ],
        sheets=[_sheet(s) for s in scores.objects("sheets")],
        adjustments=[_adjustment(a) for a in decisions.objects("adjustments")],
        explanations=[_explanation(e) for e in decisions.objects("explanations")],
        audit_head=_Obj(docs[AUDIT_HEAD], f"{AUDIT_HEAD}:").value,
        manifest=manifest.value,
    )


def _versions(rubric: _Obj) -> list[tuple[str, dict[str, Any]]]:
    """The rubric versions (at least one: the list's own)."""
    versions = [
        (v.get("content_hash", str), v.get("source", dict)) for v in rubric.objects("versions")
    ]
    if not versions:
        raise BundleError(tr("{where}: is empty", where=rubric.at("versions")))
    return versions


# The ranking configuration's fields and their types (``ranking_values.encode_config``);
# a field an older version did not store may be absent.
_CONFIG_FIELDS: dict[str, type] = {
    "method": str,
    "trim_min_experts": int,
    "normalise": bool,
    "normalise_min_dossiers": int,
    "deviation_percent": float,
    "deviation_sd": float,
    "weights": dict,
    "total": float,
    "rubric_hash": str,
    "provincial_target": int,
    "direction_cap": int,
    "direction_caps": dict,
    "min_score": float,
    "tie_breaks": list,
    "stability": dict,
}


def _config(config: _Obj) -> dict[str, Any]:
    """The ranking's parameters, each of its type (``decode_config`` reads them)."""
    for key, kind in _CONFIG_FIELDS.items():
        config.optional(key, kind)
    weights = _Obj(config.optional("weights", dict) or {}, config.at("weights"))
    for key in weights.value:
        weights.get(key, float)
    caps = _Obj(config.optional("direction_caps", dict) or {}, config.at("direction_caps"))
    for key in caps.value:
        caps.get(key, int)
        if not key.isdigit():
            raise BundleError(tr("{where}: {key} is not a direction id", where=caps.where, key=key))
    if config.optional("tie_breaks", list) is not None:
        config.strings("tie_breaks")
    stability = _Obj(config.optional("stability", dict) or {}, config.at("stability"))
    stability.optional("resamples", int)
    stability.optional("seed", int)
    return config.value


def _json(member: str, data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise BundleError(
            tr("{member}: not valid JSON ({error})", member=member, error=error)
        ) from error


def _no_constant(name: str) -> Any:
    raise ValueError(tr("{name} is not a number", name=name))


_KINDS: dict[type, str] = {
    int: N_("a whole number"),
    float: N_("a number"),
    str: N_("text"),
    bool: N_("true or false"),
    list: N_("a list"),
    dict: N_("an object"),
}


class _Obj:
    """A JSON object with where it is, whose fields are read with their type checked."""

    def __init__(self, value: Any, where: str) -> None:
        if not isinstance(value, dict):
            raise BundleError(
                tr("{where}: expected {kind}", where=where.rstrip(":"), kind=_(_KINDS[dict]))
            )
        self.value: dict[str, Any] = value
        self.where = where

    def raw(self, key: str) -> Any:
        """The field as it is (None when absent)."""
        return self.value.get(key)

    def get(self, key: str, kind: type) -> Any:
        """A field that must be there, of ``kind`` (``float`` takes any finite number)."""
        if key not in self.value:
            raise BundleError(
                tr("{where}: {key} is missing", where=self.where.rstrip(":"), key=key)
            )
        return self._checked(key, kind)

    def optional(self, key: str, kind: type) -> Any:
        """A field that may be absent or null."""
        return None if self.value.get(key) is None else self._checked(key, kind)

    def objects(self, key: str) -> list[_Obj]:
        """A field that is a list of objects."""
        items = self.get(key, list)
        return [_Obj(item, f"{self.at(key)}[{i}]") for i, item in enumerate(items)]

    def strings(self, key: str) -> list[str]:
        """A field that is a list of texts."""
        items = self.get(key, list)
        for i, item in enumerate(items):
            if not isinstance(item, str):
                where = f"{self.at(key)}[{i}]"
                raise BundleError(tr("{where}: expected {kind}", where=where, kind=_(_KINDS[str])))
        return list(items)

    def at(self, key: str) -> str:
        """Where a field is (``scores.json: sheets[3].scores``)."""
        return f"{self.where} {key}" if self.where.endswith(":") else f"{self.where}.{key}"

    def _checked(self, key: str, kind: type) -> Any:
        value = self.value[key]
        ok = (
            isinstance(value, int | float) and not isinstance(value, bool) and _finite(value)
            if kind is float
            else isinstance(value, int) and not isinstance(value, bool) and abs(value) <= _LARGEST
            if kind is int
            else isinstance(value, kind)
        )
        if not ok:
            raise BundleError(
                tr("{where}: expected {kind}", where=self.at(key), kind=_(_KINDS[kind]))
            )
        return float(value) if kind is float else value


def _finite(value: float) -> bool:
    """A finite number that a float holds (an integer of 400 digits is not)."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _dossier(d: _Obj) -> BundleDossier:
    return BundleDossier(
        id=d.get("id", int),
        code=d.get("code", str),
        applicant_id=d.get("applicant_id", int),
        direction_id=d.get("direction_id", int),
        direction=d.get("direction", str),
        requested_level=d.get("requested_level", str),
        applicant=d.get("applicant", str),
        city=d.get("city", str),
        kind=d.get("kind", str),
        double_high=d.optional("double_high", str),
        major_tech_transfer=d.get("major_tech_transfer", bool),
        pilot_enterprise_status=d.optional("pilot_enterprise_status", str),
        local_presence=d.optional("local_presence", str),
        formal_review=d.optional("formal_review", str),
    )


def _sheet(s: _Obj) -> BundleSheet:
    scores = _Obj(s.get("scores", dict), s.at("scores"))
    return BundleSheet(
        sheet=s.get("sheet", int),
        dossier_id=s.get("dossier_id", int),
        expert=s.get("expert", str),
        rubric=s.get("rubric", str),
        scores=_points(scores),
        vetoes=tuple(s.strings("vetoes")),
    )


def _points(scores: _Obj) -> dict[str, float]:
    """A sheet's criterion scores, each a finite number: checked at once (a national
    bundle holds millions), and one by one only to name the first that is not."""
    values = scores.value
    try:
        numbers = all(type(v) is float or type(v) is int for v in values.values())
        fast = numbers and math.isfinite(math.fsum(values.values()))
    except OverflowError:  # an integer too large for a float: named below
        fast = False
    if fast:
        return {key: float(value) for key, value in values.items()}
    return {key: scores.get(key, float) for key in values}


def _adjustment(a: _Obj) -> BundleAdjustment:
    return BundleAdjustment(
        dossier_id=a.get("dossier_id", int),
        code=a.get("code", str),
        from_tier=a.get("from_tier", str),
        to_tier=a.get("to_tier", str),
        reason=a.get("reason", str),
        decided_at=a.get("decided_at", str),
        decided_by=a.get("decided_by", str),
    )


def _explanation(e: _Obj) -> BundleExplanation:
    return BundleExplanation(
        dossier_id=e.get("dossier_id", int),
        code=e.get("code", str),
        expert=e.get("expert", str),
        text=e.get("text", str),
        source=e.get("source", str),
    )
