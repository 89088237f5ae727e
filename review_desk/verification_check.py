"""Verifying a verification bundle (核验包): the list computed again from the bundle
alone, through the ranking's own steps (``ranking.compute_from`` on a
``RankingInputs`` made from the bundle, the way ``ranking_steps.read_inputs`` makes it
from a project), the committee's adjustments applied, the content hash computed as
finalisation computes it (``ranking_values.list_content_hash``) and compared with the
published one. Every difference is named: a parameter, a dossier's score, rank or tier,
the finalised list's own file.

No path, database or project is read here: the bundle's values are all there is."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from review_desk.domain import Tier
from review_desk.i18n import _, tr
from review_desk.ranking import RankingError, check_parameters, compute_from, ranking_config
from review_desk.ranking_steps import Adjustment, RankingInputs, final_rows
from review_desk.ranking_values import (
    RankingConfig,
    StabilityConfig,
    decode_config,
    encode_config,
    list_content_hash,
)
from review_desk.rubrics import problem_text
from review_desk.scoring.totals import SheetTotals, of_scores
from review_desk.verification_read import (
    DECISIONS,
    DOSSIERS,
    RUBRIC,
    SCORES,
    Bundle,
    BundleError,
)
from scoring_models.rubric import N_, Rubric, RubricError, rubric_from_dict

# The finalised list's fields, as the differences name them.
_FIELDS = {
    "score": N_("score"),
    "rank": N_("rank"),
    "tier": N_("computed tier"),
    "adjusted_tier": N_("adjusted tier"),
    "adjustment_reason": N_("adjustment reason"),
    "reason": N_("reason"),
    "code": N_("code"),
    "applicant": N_("applicant"),
    "direction": N_("direction"),
}


@dataclass(frozen=True)
class Verification:
    """The outcome of verifying a bundle: the hash it should have, the hash of the list
    computed from it, and what differs (empty when it verifies)."""

    published_hash: str
    recomputed_hash: str
    differences: tuple[str, ...]
    dossiers: int
    sheets: int
    scores: int
    audit_head: Mapping[str, Any]

    @property
    def matches(self) -> bool:
        """Whether the bundle gives exactly the published list."""
        return self.published_hash == self.recomputed_hash and not self.differences

    def as_dict(self) -> dict[str, Any]:
        """The outcome as plain JSON data (``verify --json``)."""
        return {
            "matches": self.matches,
            "published_hash": self.published_hash,
            "recomputed_hash": self.recomputed_hash,
            "differences": list(self.differences),
            "dossiers": self.dossiers,
            "sheets": self.sheets,
            "scores": self.scores,
            "audit_head": dict(self.audit_head),
        }


def verify(bundle: Bundle, expected_hash: str | None = None) -> Verification:
    """Compute the list again from ``bundle`` and compare it with the published one
    (``expected_hash``, e.g. read off the published list, or else the hash the bundle
    states). Raise :class:`BundleError` when the bundle's content does not fit together
    (a sheet of an unknown dossier, a rubric that is not valid)."""
    published = (expected_hash or bundle.content_hash).strip().lower()
    differences: list[str] = []
    if expected_hash and published != bundle.content_hash:
        differences.append(
            tr(
                "The bundle's finalised list has hash {stated}, not the published {published}.",
                stated=bundle.content_hash,
                published=published,
            )
        )
    if list_content_hash(bundle.final_config, bundle.final_rows) != bundle.content_hash:
        differences.append(
            _("final_list.json has been changed: its content does not give its hash.")
        )
    inputs, stated = _inputs(bundle)
    for content_hash, rubric in stated:
        if rubric.content_hash != content_hash:
            differences.append(
                tr(
                    "The rubric {name} has been changed: its content does not give its hash "
                    "{hash}.",
                    name=rubric.name,
                    hash=content_hash[:16],
                )
            )
    parameters = decode_config(bundle.parameters)
    config = _config(inputs, parameters)
    differences += _parameter_differences(bundle, config)
    try:
        check_parameters(
            inputs.rubric,
            target=config.provincial_target,
            cap=config.direction_cap,
            min_score=config.min_score,
            trim_min=config.trim_min_experts,
        )
        # The stability analysis is not in the list: never run what a bundle asks for.
        quick = replace(config, stability=StabilityConfig(0, config.stability.seed))
        rows = final_rows(compute_from(inputs, quick).table)
    except (RankingError, ValueError, KeyError, TypeError, ArithmeticError) as error:
        # Values no finalised list can have (a tie-break column that does not exist...).
        differences.append(tr("The list cannot be computed: {error}", error=error))
        rows = []
    differences += _row_differences(bundle.final_rows, rows)
    return Verification(
        published_hash=published,
        recomputed_hash=list_content_hash(encode_config(config), rows),
        differences=tuple(differences),
        dossiers=len(bundle.dossiers),
        sheets=len(bundle.sheets),
        scores=sum(len(sheet.scores) for sheet in bundle.sheets),
        audit_head=bundle.audit_head,
    )


def _rubrics(bundle: Bundle) -> list[tuple[str, Rubric]]:
    """Each rubric version of the bundle, parsed by the app's own validation."""
    parsed = []
    for index, (content_hash, source) in enumerate(bundle.rubrics):
        try:
            parsed.append((content_hash, rubric_from_dict(dict(source))))
        except RubricError as error:
            raise BundleError(
                tr(
                    "{where}: not a valid rubric: {problems}",
                    where=f"{RUBRIC}: versions[{index}].source",
                    problems="；".join(problem_text(p) for p in error.problems),
                )
            ) from error
    return parsed


def _inputs(bundle: Bundle) -> tuple[RankingInputs, list[tuple[str, Rubric]]]:
    """What ``ranking_steps.read_inputs`` reads of a project, made from the bundle:
    each sheet's stage totals computed from its criterion scores as the score-sheet
    service computes them (``totals.of_scores``); the experts numbered in the order of
    their pseudonyms, which is the order of their ids (every order the ranking sorts
    by is kept)."""
    stated = _rubrics(bundle)
    rubrics = dict(stated)
    parameters = decode_config(bundle.parameters)
    dossiers = {d.id: d for d in bundle.dossiers}
    if len(dossiers) != len(bundle.dossiers):
        raise BundleError(tr("{where}: a dossier is listed twice", where=f"{DOSSIERS}: dossiers"))
    experts = {name: number for number, (name, _panel) in enumerate(bundle.experts, start=1)}
    by_version: dict[str, list[tuple[int, int, int, list[float | None], int]]] = {}
    vetoes: dict[tuple[int, str], int] = {}
    for index, sheet in enumerate(bundle.sheets):
        where = f"{SCORES}: sheets[{index}]"
        dossier = dossiers.get(sheet.dossier_id)
        if dossier is None:
            raise BundleError(
                tr("{where}: no dossier {id} in the bundle", where=where, id=sheet.dossier_id)
            )
        if sheet.expert not in experts:
            raise BundleError(
                tr("{where}: no expert {name} in the bundle", where=where, name=sheet.expert)
            )
        version = rubrics.get(sheet.rubric)
        if version is None:
            raise BundleError(
                tr(
                    "{where}: no rubric version {hash} in the bundle",
                    where=where,
                    hash=sheet.rubric[:16],
                )
            )
        totals, uncounted = of_scores(version, dossier.kind, sheet.scores.items())
        by_version.setdefault(sheet.rubric, []).append(
            (sheet.sheet, sheet.dossier_id, experts[sheet.expert], json.loads(totals), uncounted)
        )
        for veto in sheet.vetoes:
            vetoes[sheet.dossier_id, veto] = vetoes.get((sheet.dossier_id, veto), 0) + 1
    versions = [
        _sheet_totals(content_hash, rubrics[content_hash], rows)
        for content_hash, rows in sorted(by_version.items())
    ]
    caps = {int(k): int(v) for k, v in parameters.direction_caps.items()}
    rows = [
        (
            d.id,
            d.code,
            d.applicant_id,
            d.direction_id,
            d.requested_level,
            d.applicant,
            d.city,
            d.kind,
            d.double_high,
            d.major_tech_transfer,
            d.pilot_enterprise_status,
            d.local_presence,
            d.direction,
            caps.get(d.direction_id),
        )
        for d in bundle.dossiers
    ]
    adjustments: dict[int, Adjustment] = {}
    for index, adjustment in enumerate(bundle.adjustments):
        if adjustment.to_tier not in Tier.decisions():
            raise BundleError(
                tr(
                    "{where}: {tier} is not a tier",
                    where=f"{DECISIONS}: adjustments[{index}].to_tier",
                    tier=adjustment.to_tier,
                )
            )
        adjustments[adjustment.dossier_id] = Adjustment(Tier(adjustment.to_tier), adjustment.reason)
    inputs = RankingInputs(
        rubric=stated[0][1],
        versions=versions,
        dossiers=rows,
        provincial_target=parameters.provincial_target,
        direction_cap=parameters.direction_cap,
        verdicts={d.id: d.formal_review for d in bundle.dossiers} if bundle.formal_review else {},
        panels={experts[name]: panel for name, panel in bundle.experts if panel is not None},
        vetoes=[(d, v, n) for (d, v), n in sorted(vetoes.items())],
        adjustments=adjustments,
        notes={
            (e.dossier_id, experts[e.expert]): e.text
            for e in bundle.explanations
            if e.expert in experts
        },
        expert_names={number: name for name, number in experts.items()},
    )
    return inputs, stated


def _sheet_totals(
    content_hash: str, version: Rubric, rows: list[tuple[int, int, int, list[float | None], int]]
) -> SheetTotals:
    """One rubric version's sheets as the ranking reads them (by sheet number)."""
    rows = sorted(rows, key=lambda row: row[0])
    stages = tuple(stage.key for stage in version.stages)
    points = np.array(
        [[np.nan if v is None else v for v in row[3]] for row in rows], dtype=float
    ).reshape(len(rows), len(stages))
    return SheetTotals(
        content_hash,
        stages,
        np.array([row[0] for row in rows], dtype=np.int64),
        np.array([row[1] for row in rows], dtype=np.int64),
        np.array([row[2] for row in rows], dtype=np.int64),
        points,
        np.array([row[4] for row in rows], dtype=np.int64),
    )


def _config(inputs: RankingInputs, parameters: RankingConfig) -> RankingConfig:
    """The configuration the app makes of the parameters (``ranking.ranking_config``:
    the weights, total and content hash from the bundle's rubric)."""
    config = ranking_config(
        inputs,
        **parameters.options(),
        resamples=parameters.stability.resamples,
        seed=parameters.stability.seed,
    )
    return replace(config, tie_breaks=parameters.tie_breaks)


def _plain(value: Any) -> Any:
    """JSON data as stored and compared (keys as text)."""
    return json.loads(json.dumps(value, ensure_ascii=False, sort_keys=True, default=str))


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _parameter_differences(bundle: Bundle, config: RankingConfig) -> list[str]:
    """The parameters that differ from those the list was finalised with: as the bundle
    states them, or as they follow from its rubric."""
    published = _plain(bundle.final_config)
    stated = _plain(bundle.parameters)
    recomputed = _plain(encode_config(config))
    found = []
    for key in sorted(published.keys() | stated.keys() | recomputed.keys()):
        before = published.get(key)
        if stated.get(key) != before:
            now = stated.get(key)
        elif recomputed.get(key) != before:
            now = recomputed.get(key)
        else:
            continue
        found.append(
            tr(
                "Parameter {name} differs from the published one: published {published}, "
                "in the bundle {bundle}.",
                name=key,
                published=_shown(before),
                bundle=_shown(now),
            )
        )
    return found


def _row_differences(
    published: Sequence[Mapping[str, Any]], recomputed: Sequence[Mapping[str, Any]]
) -> list[str]:
    """Each dossier whose row differs between the published list and the list
    computed again, with the fields that differ."""
    before = {row.get("dossier_id"): row for row in published}
    after = {row.get("dossier_id"): row for row in recomputed}
    found = []
    for key in [*before, *(k for k in after if k not in before)]:
        old, new = before.get(key), after.get(key)
        code = (old or new or {}).get("code", key)
        if old is None:
            found.append(tr("Dossier {code} is not in the published list.", code=code))
            continue
        if new is None:
            found.append(tr("Dossier {code} is not in the list computed again.", code=code))
            continue
        if old == new:
            # Equal as they are, equal as stored: the field by field comparison through
            # JSON is only for rows that differ (a national list has 50,000).
            continue
        changes = [
            tr(
                "{field} published {published}, computed again {recomputed}",
                field=_(_FIELDS[field]) if field in _FIELDS else field,
                published=_shown(old.get(field)),
                recomputed=_shown(new.get(field)),
            )
            for field in [*_FIELDS, *sorted((old.keys() | new.keys()) - _FIELDS.keys())]
            if _plain(old.get(field)) != _plain(new.get(field))
        ]
        if changes:
            found.append(tr("Dossier {code}: {changes}", code=code, changes="；".join(changes)))
    if not found and [r.get("dossier_id") for r in published] != [
        r.get("dossier_id") for r in recomputed
    ]:
        found.append(_("The dossiers are listed in another order than published."))
    return found
