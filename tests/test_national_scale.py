"""A national-shaped project of a few thousand dossiers ranks through the command line,
and the list agrees with an independent recomputation from the raw tables.

The project comes from ``review_desk.demo.national`` (panels of 5-7 experts per
direction, 5 of them per dossier, scores only for the criteria that apply, vetoes,
drafts, unscored dossiers). The recomputation reads the database with sqlite3 and the
rubric's TOML with tomllib, and follows docs/ranking.md with plain Python: it shares
no code with ``review_desk.ranking`` or ``scoring_models``.
"""

from __future__ import annotations

import itertools
import json
import math
import sqlite3
import tomllib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from review_desk.demo.national import build_national
from tests.built_once import built_once
from tests.support import run_cli

DOSSIERS = 3000
TOLERANCE = 1e-6  # the ranking rounds scores to 6 decimals


@dataclass
class Rubric:
    """The parts of the active rubric the recomputation needs, read from its TOML."""

    total: float
    weights: dict[str, float]
    criteria: dict[str, tuple[str, float, list[str]]]  # id: stage, max, applies_to
    bonus: list[tuple[str, Any, float]]  # fact, value, points
    bonus_cap: float
    vetoes: dict[str, int]  # id: threshold

    def applies(self, criterion: str, kind: str) -> bool:
        applies_to = self.criteria[criterion][2]
        return "all" in applies_to or kind in applies_to

    def stage_max(self, stage: str, kind: str) -> float:
        return sum(
            top
            for cid, (st, top, _a) in self.criteria.items()
            if st == stage and self.applies(cid, kind)
        )


def read_rubric(db: sqlite3.Connection) -> Rubric:
    """The project's active rubric, parsed from its stored TOML text."""
    (text,) = db.execute(
        "SELECT r.text FROM rubric r JOIN review_project p ON r.content_hash = p.active_rubric_hash"
    ).fetchone()
    source = tomllib.loads(text)
    criteria = {
        c["id"]: (c["stage"], float(c["max"]), list(c.get("applies_to", ["all"])))
        for group in source["group"]
        for c in group["criterion"]
    }
    bonus = source.get("bonus", {})
    return Rubric(
        total=float(source["rubric"]["total"]),
        weights={s["key"]: float(s["weight"]) for s in source["stage"]},
        criteria=criteria,
        bonus=[(b["fact"], b["equals"], float(b["points"])) for b in bonus.get("item", [])],
        bonus_cap=float(bonus.get("cap", 0)),
        vetoes={v["id"]: int(v["threshold"]) for v in source.get("veto", [])},
    )


def trimmed_mean(values: list[float]) -> float:
    """The documented method: one highest and one lowest dropped from 5 experts up."""
    ordered = sorted(values)
    if len(ordered) >= 5:
        ordered = ordered[1:-1]
    return sum(ordered) / len(ordered)


@dataclass
class Expected:
    """The independent recomputation of a project's list."""

    scores: dict[int, float]  # dossier id: consolidated score (with bonus)
    bases: dict[int, float]
    expert_totals: dict[tuple[int, int], float]  # (dossier, expert): weighted total
    flagged: set[tuple[int, int]]
    vetoed: set[int]
    failed: set[int]
    sheets: set[tuple[int, int]]  # (dossier, expert) with a submitted sheet


def recompute(db: sqlite3.Connection, rubric: Rubric) -> Expected:
    """Consolidated scores, expert totals, deviation flags and vetoes from raw SQL."""
    kinds: dict[int, str] = {}
    facts: dict[int, dict[str, Any]] = {}
    for dossier, kind, double_high, transfer, pilot, presence in db.execute(
        "SELECT d.id, a.kind, a.double_high, a.major_tech_transfer, "
        "a.pilot_enterprise_status, a.local_presence "
        "FROM dossier d JOIN applicant a ON a.id = d.lead_applicant_id"
    ):
        kinds[dossier] = kind
        facts[dossier] = {
            "double_high": double_high,
            "major_tech_transfer": bool(transfer),
            "pilot_enterprise_status": pilot,
            "local_presence": presence,
        }
    stage_points: dict[tuple[int, int], dict[str, float]] = defaultdict(
        lambda: dict.fromkeys(rubric.weights, 0.0)
    )
    for dossier, expert, criterion, points in db.execute(
        "SELECT sh.dossier_id, sh.expert_id, sc.criterion_id, sc.points FROM score sc "
        "JOIN score_sheet sh ON sh.id = sc.sheet_id "
        "WHERE sh.status = 'submitted' AND sc.points IS NOT NULL"
    ):
        sums = stage_points[dossier, expert]
        if rubric.applies(criterion, kinds[dossier]):
            sums[rubric.criteria[criterion][0]] += points
    expert_totals = {
        key: rubric.total
        * sum(
            rubric.weights[s] * sums[s] / rubric.stage_max(s, kinds[key[0]]) for s in rubric.weights
        )
        for key, sums in stage_points.items()
    }
    by_dossier: dict[int, list[tuple[int, dict[str, float]]]] = defaultdict(list)
    for (dossier, expert), sums in stage_points.items():
        by_dossier[dossier].append((expert, sums))
    bases, scores = {}, {}
    for dossier, sheets in by_dossier.items():
        kind = kinds[dossier]
        share = {
            s: trimmed_mean([sums[s] for _e, sums in sheets]) / rubric.stage_max(s, kind)
            for s in rubric.weights
        }
        bases[dossier] = (
            rubric.total
            * sum(rubric.weights[s] * share[s] for s in rubric.weights)
            / sum(rubric.weights.values())
        )
        earned = sum(p for fact, value, p in rubric.bonus if facts[dossier].get(fact) == value)
        scores[dossier] = bases[dossier] + min(earned, rubric.bonus_cap)
    flagged = set()
    for dossier, sheets in by_dossier.items():
        for expert, _sums in sheets:
            mine = expert_totals[dossier, expert]
            others = [expert_totals[dossier, e] for e, _s in sheets if e != expert]
            if not others:
                continue
            mean = sum(others) / len(others)
            by_percent = mean != 0 and abs(mine - mean) / abs(mean) > 0.30
            by_sd = False
            if len(others) >= 3:
                sd = math.sqrt(sum((o - mean) ** 2 for o in others) / (len(others) - 1))
                # Others that agree (equal points) have no spread, whatever the rounding.
                by_sd = sd > 1e-9 and abs(mine - mean) > 2 * sd
            if by_percent or by_sd:
                flagged.add((dossier, expert))
    raised: dict[tuple[int, str], int] = defaultdict(int)
    for dossier, veto in db.execute(
        "SELECT sh.dossier_id, vf.veto_id FROM veto_flag vf "
        "JOIN score_sheet sh ON sh.id = vf.sheet_id WHERE sh.status = 'submitted'"
    ):
        raised[dossier, veto] += 1
    vetoed = {d for (d, v), n in raised.items() if n >= rubric.vetoes[v]}
    failed = {
        d for (d,) in db.execute("SELECT dossier_id FROM formal_review WHERE verdict != 'passed'")
    }
    return Expected(scores, bases, expert_totals, flagged, vetoed, failed, set(stage_points))


@pytest.fixture(scope="module")
def national(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A national-shaped project of 3,000 dossiers and its ranked list (``rank --json
    --resamples 50`` through the command line)."""

    def build(folder: Path) -> None:
        path = folder / "national.rdp"
        build_national(path, dossiers=DOSSIERS, seed=7)
        done = run_cli("rank", str(path), "--json", "--resamples", "50", module="review_desk")
        assert done.returncode == 0, done.stderr
        (folder / "ranked.json").write_text(done.stdout, encoding="utf-8")

    # Built once per run, whichever xdist worker comes first; the tests only read it.
    folder = built_once(tmp_path_factory, "national", build)
    return folder / "national.rdp", json.loads((folder / "ranked.json").read_text("utf-8"))


def test_scores_agree_with_an_independent_recomputation(
    national: tuple[Path, dict[str, Any]],
) -> None:
    path, ranked = national
    with sqlite3.connect(path) as db:
        rubric = read_rubric(db)
        expected = recompute(db, rubric)
    rows = {row["dossier_id"]: row for row in ranked["rows"]}
    assert len(rows) == DOSSIERS
    assert not ranked["non_applicable_scores"]
    for dossier, row in rows.items():
        if dossier in expected.scores:
            assert row["score"] == pytest.approx(expected.scores[dossier], abs=TOLERANCE), dossier
            assert row["base"] == pytest.approx(expected.bases[dossier], abs=TOLERANCE), dossier
        else:
            assert row["score"] is None and row["tier"] == "ineligible", dossier
    assert max(expected.bases.values()) <= rubric.total
    assert max(expected.expert_totals.values()) <= rubric.total


def test_tiers_follow_the_scores_and_the_quotas(national: tuple[Path, dict[str, Any]]) -> None:
    path, ranked = national
    with sqlite3.connect(path) as db:
        rubric = read_rubric(db)
        expected = recompute(db, rubric)
        target, cap = db.execute(
            "SELECT provincial_target, per_direction_cap FROM review_project"
        ).fetchone()
    rows = ranked["rows"]
    provincial = [r for r in rows if r["tier"] == "provincial"]
    assert 0 < len(provincial) <= target
    per_direction: dict[int, int] = defaultdict(int)
    for row in provincial:
        per_direction[row["direction_id"]] += 1
        assert row["requested_level"] == "provincial" and row["eligible"]
    assert max(per_direction.values()) <= min(cap, 2)
    for row in rows:
        dossier = row["dossier_id"]
        ineligible = (
            dossier in expected.failed
            or dossier in expected.vetoed
            or dossier not in expected.scores
        )
        assert (row["tier"] == "ineligible") == ineligible, dossier
        assert row["vetoed"] == (dossier in expected.vetoed), dossier
    # A provincial candidate left out with a higher score than a selected one lost to
    # its direction's cap: its direction's places went to higher scores.
    lowest = min(r["score"] for r in provincial)
    for row in rows:
        if (
            row["tier"] in ("municipal", "not_recommended")
            and row["requested_level"] == "provincial"
            and row["score"] > lowest
        ):
            ahead = [
                r
                for r in provincial
                if r["direction_id"] == row["direction_id"] and r["score"] >= row["score"]
            ]
            assert len(ahead) == cap, row["code"]
    # Tied candidates share a score with another tied candidate.
    tied = [r["score"] for r in rows if r["tier"] == "tied"]
    assert all(tied.count(score) >= 2 for score in tied)


def test_every_panel_has_its_largest_complete_block(national: tuple[Path, dict[str, Any]]) -> None:
    path, ranked = national
    with sqlite3.connect(path) as db:
        members: dict[int, list[int]] = defaultdict(list)
        for panel, expert in db.execute(
            "SELECT panel_id, expert_id FROM panel_member ORDER BY expert_id"
        ):
            members[panel].append(expert)
        scored: dict[int, set[int]] = defaultdict(set)
        for expert, dossier in db.execute(
            "SELECT expert_id, dossier_id FROM score_sheet WHERE status = 'submitted'"
        ):
            scored[expert].add(dossier)
    entries = {entry["panel"]: entry for entry in ranked["reliability"]}
    assert set(entries) == set(members)
    for panel, experts in members.items():
        entry = entries[panel]
        block_experts, block_dossiers = entry["expert_ids"], entry["dossier_ids"]
        for expert in block_experts:
            assert set(block_dossiers) <= scored[expert], (panel, expert)
        # Brute force: the most experts with at least 3 dossiers in common, then the
        # most dossiers (docs/ranking.md, Reliability).
        best = (0, 0)
        for size in range(2, len(experts) + 1):
            for subset in itertools.combinations(experts, size):
                common = set.intersection(*(scored[e] for e in subset))
                if len(common) >= 3:
                    best = max(best, (size, len(common)))
        assert (entry["experts"], entry["dossiers"]) == best, panel
        assert entry["icc"] is not None and entry["exact"]


def test_deviation_flags_are_the_documented_few_per_cent(
    national: tuple[Path, dict[str, Any]],
) -> None:
    path, ranked = national
    with sqlite3.connect(path) as db:
        expected = recompute(db, read_rubric(db))
    flagged = {(d["dossier_id"], d["expert_id"]) for d in ranked["deviations"]}
    assert flagged == expected.flagged
    rate = len(flagged) / len(expected.sheets)
    assert 0.02 <= rate <= 0.05, rate
