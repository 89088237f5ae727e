"""The guideline rubric (指导标准): its schema, loading from TOML, validation and the
content hash every score records.

A rubric has stages with weights, a two-level criterion tree (一级指标 groups holding
二级指标 leaves with points, step, scoring bands and guidance), veto items (否决项) and
bonus items (加分项) computed from dossier facts, and the total the weighted stage
scores are scaled to. See docs/rubric-format.md for the file format with an example.
"""

from __future__ import annotations

import hashlib
import json
import math
import tomllib
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from scoring_models.rubric_outcome import OutcomeThresholds
from scoring_models.toml_depth import MAX_DEPTH, nesting_too_deep

STAGES = ("materials", "defense", "inspection")
APPLICANT_KINDS = (
    "city_government",
    "enterprise",
    "university",
    "applied_university",
    "vocational_college",
    "development_zone",
    "service_provider",
)
BAND_LEVELS = ("优", "良", "中", "差")
BONUS_FACTS = ("double_high", "major_tech_transfer", "pilot_enterprise_status", "local_presence")
_EPS = 1e-9
MAX_STEPS = 10_000  # scoring steps from 0 to a criterion's max
MAX_NUMBER = 1_000_000  # no points, weight or total beyond this
QUOTE_LIMIT = 80  # characters of a value quoted in a problem


def cut(value: Any, limit: int = QUOTE_LIMIT) -> Any:
    """Return a text value cut to ``limit`` characters (with an ellipsis); other values
    as they are."""
    if isinstance(value, str) and len(value) > limit:
        return value[: limit - 1] + "…"
    return value


def N_(template: str) -> str:
    """Mark a message template for translation (extracted with the UI's strings); the
    application translates it with its values, this package stays free of i18n."""
    return template


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a rubric: where (key path) and what, as a message template
    with its values."""

    path: str
    template: str
    file: str = ""
    values: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # A value from the file is quoted at most QUOTE_LIMIT characters long: a 1 MB
        # key must not come back whole in every problem that names it.
        object.__setattr__(self, "values", {k: cut(v) for k, v in self.values.items()})

    @property
    def message(self) -> str:
        """The message in English."""
        return self.template.format(**self.values)

    def __str__(self) -> str:
        where = f"{self.file}: " if self.file else ""
        return f"{where}{self.path}: {self.message}"

    def as_dict(self) -> dict[str, str]:
        """Return the problem as plain JSON-ready data."""
        return {"file": self.file, "path": self.path, "message": self.message}


class RubricError(Exception):
    """A rubric with problems; ``problems`` lists them all."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


@dataclass(frozen=True)
class Band:
    """A scoring band (优/良/中/差) with its point range and descriptor."""

    level: str
    min: float
    max: float
    descriptor: str


@dataclass(frozen=True)
class Criterion:
    """A leaf criterion (二级指标)."""

    id: str
    name: str
    group: str
    stage: str
    max: float
    step: float
    bands: tuple[Band, ...]
    guidance: str = ""
    applies_to: tuple[str, ...] = ("all",)

    def applies(self, kind: str) -> bool:
        """Return True when the criterion applies to an applicant kind."""
        return "all" in self.applies_to or kind in self.applies_to

    def check(self, points: float) -> tuple[str, dict[str, str]] | None:
        """Return why ``points`` is not a valid score (a message template and its
        values), or None when it is."""
        if not math.isfinite(points) or points < -_EPS or points > self.max + _EPS:
            return N_("out of range 0–{max}"), {"max": _num(self.max)}
        if not on_step(points, self.step):
            return N_("not a multiple of {step}"), {"step": _num(self.step)}
        return None

    def band_of(self, points: float) -> Band | None:
        """Return the band ``points`` falls in."""
        for band in self.bands:
            if band.min - _EPS <= points <= band.max + _EPS:
                return band
        return None


@dataclass(frozen=True)
class Group:
    """A first-level criterion (一级指标) and its leaves."""

    id: str
    name: str
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True)
class Stage:
    """A review stage with its weight in the total."""

    key: str
    name: str
    weight: float


@dataclass(frozen=True)
class Veto:
    """A veto item: ``threshold`` experts flagging it veto the dossier."""

    id: str
    name: str
    description: str
    threshold: int


@dataclass(frozen=True)
class BonusItem:
    """Bonus points given when a dossier fact has a value."""

    id: str
    name: str
    fact: str
    equals: Any
    points: float


@dataclass(frozen=True)
class Rubric:
    """A validated rubric."""

    id: str
    name: str
    version: str
    issuer: str
    total: float
    stages: tuple[Stage, ...]
    groups: tuple[Group, ...]
    vetoes: tuple[Veto, ...]
    bonus_items: tuple[BonusItem, ...]
    bonus_cap: float
    is_template: bool
    content_hash: str
    source: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)
    # A recognition rubric's pass thresholds; None for a selection rubric.
    outcome: OutcomeThresholds | None = None

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        """Every leaf criterion, in order."""
        return tuple(c for g in self.groups for c in g.criteria)

    def criterion(self, criterion_id: str) -> Criterion:
        """Return the leaf with ``criterion_id``."""
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        raise KeyError(criterion_id)

    def stage(self, key: str) -> Stage:
        """Return the stage with ``key``."""
        return next(s for s in self.stages if s.key == key)

    def stage_max(self, stage: str, kind: str = "") -> float:
        """Return the points available in a stage (for an applicant kind)."""
        return sum(
            c.max for c in self.criteria if c.stage == stage and (not kind or c.applies(kind))
        )

    def stage_totals(self, scores: dict[str, float], kind: str = "") -> dict[str, float]:
        """Return the points scored per stage."""
        totals = {s.key: 0.0 for s in self.stages}
        for c in self.criteria:
            if c.id in scores and (not kind or c.applies(kind)):
                totals[c.stage] += scores[c.id]
        return totals

    def weighted_total(self, scores: dict[str, float], kind: str = "") -> float:
        """Return the total on the rubric's scale: each stage's share of its maximum,
        weighted, times ``total`` (bonus and vetoes are for consolidation)."""
        totals = self.stage_totals(scores, kind)
        result = 0.0
        for s in self.stages:
            available = self.stage_max(s.key, kind)
            if available > 0:
                result += s.weight * totals[s.key] / available
        return result * self.total

    def bonus_for(self, facts: dict[str, Any]) -> float:
        """Return the bonus points a dossier's facts earn, capped."""
        earned = sum(
            item.points for item in self.bonus_items if facts.get(item.fact) == item.equals
        )
        return min(earned, self.bonus_cap)


def on_step(value: float, step: float) -> bool:
    """Return True when ``value`` is a whole number of ``step``s (within rounding)."""
    ratio = value / step if step else math.inf
    if not math.isfinite(ratio):
        return False
    return abs(ratio - round(ratio)) < 1e-6


def _num(value: float) -> str:
    return f"{value:g}"


def content_hash(source: dict[str, Any]) -> str:
    """Return the SHA-256 of a rubric's canonical content (comments and layout of the
    file do not count)."""
    canonical = json.dumps(source, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class _Reader:
    """Reads values from the parsed TOML, collecting problems with key paths."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def problem(self, path: str, template: str, **values: Any) -> None:
        self.problems.append(Problem(path, template, self.file, values))

    def text(self, table: dict[str, Any], key: str, path: str, *, required: bool = True) -> str:
        value = table.get(key)
        if value is None:
            if required:
                self.problem(f"{path}.{key}", N_("missing"))
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            self.problem(f"{path}.{key}", N_("must be a non-empty text"))
            return ""
        return value.strip()

    def number(self, table: dict[str, Any], key: str, path: str, *, positive: bool = True) -> float:
        value = table.get(key)
        if value is None:
            self.problem(f"{path}.{key}", N_("missing"))
            return 0.0
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            self.problem(f"{path}.{key}", N_("must be a number, not {value}"), value=repr(value))
            return 0.0
        if abs(value) > MAX_NUMBER:
            self.problem(
                f"{path}.{key}",
                N_("must be at most {limit}, not {value}"),
                limit=MAX_NUMBER,
                value=_num(value),
            )
            return 0.0
        if positive and value <= 0:
            self.problem(
                f"{path}.{key}", N_("must be greater than 0, not {value}"), value=_num(value)
            )
        elif value < 0:
            self.problem(
                f"{path}.{key}", N_("must not be negative, not {value}"), value=_num(value)
            )
        return float(value)

    def tables(self, table: dict[str, Any], key: str, path: str) -> list[dict[str, Any]]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.problem(f"{path}.{key}", N_("must be a list of tables ([[...]])"))
            return []
        return value


def parse_rubric(text: str, file: str = "") -> Rubric:
    """Parse and validate a rubric's TOML text; raise RubricError listing every problem.

    Whatever the text holds, the failure is a :class:`RubricError` with located
    problems, never another exception. A UTF-8 byte order mark at the start is ignored.
    """
    return rubric_from_dict(parse_source(text, file), file)


def parse_source(text: str, file: str = "") -> dict[str, Any]:
    """Parse a rubric's TOML text without validating it (an editor shows what it can);
    raise RubricError with a located problem when it is not TOML at all."""
    text = text.removeprefix("\ufeff")
    line = nesting_too_deep(text)
    if line is not None:
        raise RubricError(
            [
                Problem(
                    "(file)",
                    N_("line {line}: arrays or tables are nested more than {limit} deep"),
                    file,
                    {"line": line, "limit": MAX_DEPTH},
                )
            ]
        )
    try:
        source = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RubricError(
            [Problem("(file)", N_("not valid TOML: {error}"), file, {"error": cut(str(error))})]
        ) from error
    except (RecursionError, MemoryError, ValueError, OverflowError) as error:
        raise RubricError(
            [Problem("(file)", N_("cannot be read: {error}"), file, {"error": cut(str(error))})]
        ) from error
    return source


def rubric_from_dict(source: dict[str, Any], file: str = "") -> Rubric:
    """Validate a parsed rubric; raise RubricError listing every problem (and nothing
    else, whatever the content)."""
    try:
        return _rubric_from_dict(source, file)
    except (RecursionError, OverflowError, ValueError, TypeError) as error:
        # A shape the checks did not foresee is still a problem with the file.
        raise RubricError(
            [Problem("(file)", N_("cannot be read: {error}"), file, {"error": cut(str(error))})]
        ) from error


def _rubric_from_dict(source: dict[str, Any], file: str = "") -> Rubric:
    r = _Reader(file)
    head = source.get("rubric")
    if not isinstance(head, dict):
        r.problem("rubric", N_("missing: the file needs a [rubric] table"))
        head = {}
    rubric_id = r.text(head, "id", "rubric")
    name = r.text(head, "name", "rubric")
    version = r.text(head, "version", "rubric")
    issuer = r.text(head, "issuer", "rubric", required=False)
    total = r.number(head, "total", "rubric")
    is_template = bool(head.get("template", False))

    stages: list[Stage] = []
    for i, s in enumerate(r.tables(source, "stage", "")):
        path = f"stage[{i}]"
        key = r.text(s, "key", path)
        if key and key not in STAGES:
            r.problem(
                f"{path}.key",
                N_("unknown stage {key}; use one of {value}"),
                key=repr(key),
                value=", ".join(STAGES),
            )
        if key in {x.key for x in stages}:
            r.problem(f"{path}.key", N_("stage {key} is defined twice"), key=repr(key))
        stages.append(Stage(key, r.text(s, "name", path), r.number(s, "weight", path)))
    if not stages:
        r.problem("stage", N_("missing: define at least one [[stage]]"))
    elif abs(sum(s.weight for s in stages) - 1.0) > 1e-6:
        weights = " + ".join(_num(s.weight) for s in stages)
        r.problem(
            "stage[*].weight",
            N_("weights must sum to 1, not {weights} = {value}"),
            weights=weights,
            value=_num(sum(s.weight for s in stages)),
        )
    stage_keys = {s.key for s in stages}

    ids: dict[str, str] = {}

    def claim(identifier: str, path: str) -> None:
        if not identifier:
            return
        if identifier in ids:
            r.problem(
                path,
                N_("duplicate id {identifier} (also at {value})"),
                identifier=repr(identifier),
                value=ids[identifier],
            )
        else:
            ids[identifier] = path

    groups: list[Group] = []
    for gi, g in enumerate(r.tables(source, "group", "")):
        gpath = f"group[{gi}]"
        gid = r.text(g, "id", gpath)
        claim(gid, f"{gpath}.id")
        criteria: list[Criterion] = []
        for ci, c in enumerate(r.tables(g, "criterion", gpath)):
            cpath = f"{gpath}.criterion[{ci}]"
            criteria.append(_criterion(r, c, cpath, gid, stage_keys, claim))
        if not criteria:
            r.problem(
                f"{gpath}.criterion", N_("missing: a group needs at least one [[group.criterion]]")
            )
        groups.append(Group(gid, r.text(g, "name", gpath), tuple(criteria)))
    if not groups:
        r.problem("group", N_("missing: define at least one [[group]]"))
    for stage in stages:
        if stage.key and not any(c.stage == stage.key for g in groups for c in g.criteria):
            r.problem(
                f"stage[{stages.index(stage)}]",
                N_("stage {key} has no criteria"),
                key=repr(stage.key),
            )

    vetoes: list[Veto] = []
    for vi, v in enumerate(r.tables(source, "veto", "")):
        vpath = f"veto[{vi}]"
        vid = r.text(v, "id", vpath)
        claim(vid, f"{vpath}.id")
        threshold = v.get("threshold")
        if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
            r.problem(
                f"{vpath}.threshold",
                N_("must be a whole number of experts (1 or more), not {threshold}"),
                threshold=repr(threshold),
            )
            threshold = 1
        vetoes.append(
            Veto(
                vid,
                r.text(v, "name", vpath),
                r.text(v, "description", vpath, required=False),
                threshold,
            )
        )

    bonus = source.get("bonus", {})
    if not isinstance(bonus, dict):
        r.problem("bonus", N_("must be a table"))
        bonus = {}
    cap = r.number(bonus, "cap", "bonus", positive=False) if bonus else 0.0
    items: list[BonusItem] = []
    for bi, b in enumerate(r.tables(bonus, "item", "bonus")):
        bpath = f"bonus.item[{bi}]"
        bid = r.text(b, "id", bpath)
        claim(bid, f"{bpath}.id")
        fact = r.text(b, "fact", bpath)
        if fact and fact not in BONUS_FACTS:
            r.problem(
                f"{bpath}.fact",
                N_("unknown fact {fact}; use one of {value}"),
                fact=repr(fact),
                value=", ".join(BONUS_FACTS),
            )
        if "equals" not in b:
            r.problem(f"{bpath}.equals", N_("missing"))
        items.append(
            BonusItem(
                bid, r.text(b, "name", bpath), fact, b.get("equals"), r.number(b, "points", bpath)
            )
        )
    if items and cap <= 0:
        r.problem("bonus.cap", N_("must be greater than 0 when there are bonus items"))

    outcome = _outcome(r, source, total)

    if r.problems:
        raise RubricError(r.problems)
    return Rubric(
        id=rubric_id,
        name=name,
        version=version,
        issuer=issuer,
        total=total,
        stages=tuple(stages),
        groups=tuple(groups),
        vetoes=tuple(vetoes),
        bonus_items=tuple(items),
        bonus_cap=cap,
        is_template=is_template,
        content_hash=content_hash(source),
        source=source,
        outcome=outcome,
    )


def _outcome(r: _Reader, source: dict[str, Any], total: float) -> OutcomeThresholds | None:
    """The ``[outcome]`` table of a recognition rubric: ``pass`` and ``rectify``, each
    within 0..total, ``rectify`` not above ``pass``; None when the rubric has none."""
    if "outcome" not in source:
        return None
    table = source["outcome"]
    if not isinstance(table, dict):
        r.problem("outcome", N_("must be a table"))
        return None
    unknown = sorted(set(table) - {"pass", "rectify"})
    for key in unknown:
        r.problem(f"outcome.{key}", N_("unknown key; use pass and rectify"))
    values = {}
    for key in ("pass", "rectify"):
        value = r.number(table, key, "outcome", positive=False)
        if key in table and total > 0 and value > total + _EPS:
            r.problem(
                f"outcome.{key}",
                N_("must be at most the rubric's total {total}, not {value}"),
                total=_num(total),
                value=_num(value),
            )
        values[key] = value
    if values["rectify"] > values["pass"] + _EPS:
        r.problem(
            "outcome.rectify",
            N_("must not be above the pass threshold {limit}, not {value}"),
            limit=_num(values["pass"]),
            value=_num(values["rectify"]),
        )
    return OutcomeThresholds(values["pass"], values["rectify"])


def _criterion(
    r: _Reader,
    c: dict[str, Any],
    path: str,
    group: str,
    stage_keys: set[str],
    claim: Any,
) -> Criterion:
    cid = r.text(c, "id", path)
    claim(cid, f"{path}.id")
    stage = r.text(c, "stage", path)
    if stage and stage not in stage_keys:
        r.problem(
            f"{path}.stage",
            N_("unknown stage {stage}; the rubric defines {value}"),
            stage=repr(stage),
            value=", ".join(sorted(stage_keys)) or "none",
        )
    maximum = r.number(c, "max", path)
    step = r.number(c, "step", path)
    if maximum > 0 and step > maximum:
        r.problem(
            f"{path}.step",
            N_("the step {step} is larger than the max {maximum}"),
            step=_num(step),
            maximum=_num(maximum),
        )
        step = 0.0
    elif maximum > 0 and step > 0 and maximum / step > MAX_STEPS + _EPS:
        r.problem(
            f"{path}.step",
            N_("{count} steps from 0 to the max {maximum}: at most {limit}; use a larger step"),
            count=f"{maximum / step:.0f}",
            maximum=_num(maximum),
            limit=MAX_STEPS,
        )
        step = 0.0
    if maximum > 0 and step > 0 and not on_step(maximum, step):
        r.problem(
            f"{path}.max",
            N_("{maximum} is not a multiple of the step {step}"),
            maximum=_num(maximum),
            step=_num(step),
        )
    applies = c.get("applies_to", ["all"])
    if not isinstance(applies, list) or not applies:
        r.problem(f"{path}.applies_to", N_('must be a list of applicant kinds or ["all"]'))
        applies = ["all"]
    for kind in applies:
        if kind != "all" and kind not in APPLICANT_KINDS:
            r.problem(f"{path}.applies_to", N_("unknown applicant kind {kind}"), kind=repr(kind))
    bands: list[Band] = []
    for bi, b in enumerate(r.tables(c, "band", path)):
        bpath = f"{path}.band[{bi}]"
        level = r.text(b, "level", bpath)
        if level and level not in BAND_LEVELS:
            r.problem(
                f"{bpath}.level",
                N_("unknown level {level}; use {value}"),
                level=repr(level),
                value="/".join(BAND_LEVELS),
            )
        low = r.number(b, "min", bpath, positive=False)
        high = r.number(b, "max", bpath, positive=False)
        if low > high:
            r.problem(bpath, N_("min {low} is above max {high}"), low=_num(low), high=_num(high))
        if step > 0 and not (on_step(low, step) and on_step(high, step)):
            r.problem(
                bpath,
                N_("limits {low}–{high} are not on the step {step}"),
                low=_num(low),
                high=_num(high),
                step=_num(step),
            )
        bands.append(Band(level, low, high, r.text(b, "descriptor", bpath)))
    if not bands:
        r.problem(f"{path}.band", N_("missing: describe the scoring bands ([[...band]])"))
    elif maximum > 0 and step > 0:
        ordered = sorted(bands, key=lambda b: b.min)
        if abs(ordered[0].min) > _EPS:
            r.problem(
                f"{path}.band", N_("bands start at {low}, not at 0"), low=_num(ordered[0].min)
            )
        if abs(ordered[-1].max - maximum) > _EPS:
            r.problem(
                f"{path}.band",
                N_("bands end at {high}, not at the max {maximum}"),
                high=_num(ordered[-1].max),
                maximum=_num(maximum),
            )
        for lower, upper in pairwise(ordered):
            gap = upper.min - lower.max
            if gap > step + _EPS:
                r.problem(
                    f"{path}.band",
                    N_("gap between {high} and {low}"),
                    high=_num(lower.max),
                    low=_num(upper.min),
                )
            elif gap < step - _EPS:
                r.problem(
                    f"{path}.band",
                    N_("bands {level} and {level2} overlap ({low} ≤ {high})"),
                    level=lower.level,
                    level2=upper.level,
                    low=_num(upper.min),
                    high=_num(lower.max),
                )
    return Criterion(
        id=cid,
        name=r.text(c, "name", path),
        group=group,
        stage=stage,
        max=maximum,
        step=step,
        bands=tuple(sorted(bands, key=lambda b: -b.max)),
        guidance=r.text(c, "guidance", path, required=False),
        applies_to=tuple(applies),
    )
