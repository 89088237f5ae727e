"""Each step of ``ranking.compute`` alone (``review_desk.ranking_steps``): consolidating,
allocating, analysing, the committee's adjustments and the comparison with the
finalised list on a crafted bundle of inputs (no database), and reading on a small
project made through the command line."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from review_desk import ranking
from review_desk.domain import Tier
from review_desk.project import Project
from review_desk.ranking_steps import (
    Adjustment,
    LockedList,
    RankingInputs,
    allocate_tiers,
    analyse,
    apply_adjustments,
    compare_with_final,
    consolidate,
    final_rows,
    read_inputs,
)
from review_desk.ranking_values import DeviationDirection
from review_desk.rubrics import default_rubric_text, load_rubric
from review_desk.scoring.totals import SheetTotals
from tests.backends import NewLocation
from tests.small_project import APPLICANT, make_project

RUBRIC = load_rubric(default_rubric_text())


def _dossier(
    dossier_id: int, code: str, direction_id: int, level: str, applicant: str
) -> tuple[Any, ...]:
    """A dossier row in ``DOSSIER_COLUMNS`` order: id, code, lead applicant id,
    direction id, requested level, applicant, city, kind, the four bonus facts, the
    direction's short name and its own cap (none)."""
    direction = {1: "一", 2: "二"}[direction_id]
    facts = (None, False, None, None)
    city = "太原市"
    return (
        dossier_id, code, 10 + dossier_id, direction_id, level, applicant, city, "enterprise",
        *facts, direction, None,
    )  # fmt: skip


DOSSIERS = [
    _dossier(1, "A-01", 1, "provincial", "甲"),
    _dossier(2, "A-02", 1, "provincial", "乙"),
    _dossier(3, "B-01", 2, "provincial", "丙"),
    _dossier(4, "B-02", 2, "municipal", "丁"),
    _dossier(5, "B-03", 2, "provincial", "戊"),
]

# Each expert's points per stage (materials, defense, inspection) per dossier; dossier
# 5 has no sheet. Expert 104 is far below the others on dossier 1.
SHEETS = {
    (1, 101): (60, 28, 19),
    (1, 102): (58, 27, 18),
    (1, 103): (59, 29, 19),
    (1, 104): (20, 10, 6),
    (2, 101): (50, 25, 16),
    (2, 102): (52, 24, 17),
    (2, 103): (51, 25, 16),
    (3, 101): (55, 26, 18),
    (3, 102): (54, 27, 18),
    (3, 103): (56, 26, 17),
    (4, 101): (40, 20, 12),
    (4, 102): (41, 19, 13),
    (4, 103): (39, 20, 12),
}


def _versions() -> list[SheetTotals]:
    keys = list(SHEETS)
    return [
        SheetTotals(
            content_hash=RUBRIC.content_hash,
            stages=tuple(stage.key for stage in RUBRIC.stages),
            sheet_id=np.arange(1, len(keys) + 1, dtype=np.int64),
            dossier_id=np.array([d for d, _e in keys], dtype=np.int64),
            expert_id=np.array([e for _d, e in keys], dtype=np.int64),
            points=np.array([SHEETS[k] for k in keys], dtype=float),
            uncounted=np.zeros(len(keys), dtype=np.int64),
        )
    ]


def _inputs(**changes: Any) -> RankingInputs:
    values: dict[str, Any] = {
        "rubric": RUBRIC,
        "versions": _versions(),
        "dossiers": DOSSIERS,
        "provincial_target": 2,
        "direction_cap": 1,
        "panels": {101: 1, 102: 1, 103: 1, 104: 1},
        "expert_names": {101: "赵", 102: "钱", 103: "孙", 104: "李"},
        **changes,
    }
    return RankingInputs(**values)


def _config(inputs: RankingInputs, **options: Any) -> ranking.RankingConfig:
    return ranking.ranking_config(inputs, **{"resamples": 0, **options})


def _by_code(table: pd.DataFrame) -> dict[str, dict[str, Any]]:
    return {str(r["code"]): r for r in table.to_dict("records")}


def test_consolidating_scores_every_dossier_with_its_sheets() -> None:
    inputs = _inputs(verdicts={1: "passed", 2: "passed", 3: "failed", 4: "passed", 5: "passed"})
    done = consolidate(inputs, _config(inputs).consolidation)
    rows = _by_code(done.candidates)
    assert set(rows) == {"A-01", "A-02", "B-01", "B-02", "B-03"}
    assert rows["A-02"]["score"] > rows["B-02"]["score"] > 0
    assert rows["A-01"]["experts"] == 4 and rows["B-03"]["experts"] == 0
    # No sheet: unscored, not eligible; a failed formal review: not eligible.
    assert np.isnan(rows["B-03"]["score"]) and rows["B-03"]["unscored"]
    assert not rows["B-01"]["eligible"] and rows["A-02"]["eligible"]
    assert rows["B-02"]["requested_level"] == "municipal"
    assert set(done.experts["expert_id"]) == {101, 102, 103, 104}
    assert (done.ranked["score"] >= -1).all()


def test_allocating_fills_the_places_under_the_quotas() -> None:
    inputs = _inputs()
    config = _config(inputs)
    table = allocate_tiers(consolidate(inputs, config.consolidation), config)
    rows = _by_code(table)
    provincial = {code for code, r in rows.items() if r["tier"] == Tier.PROVINCIAL}
    # Two places, one per direction: the best of each direction.
    assert len(provincial) == 2
    assert {"B-01"} <= provincial and len(provincial & {"A-01", "A-02"}) == 1
    assert rows["B-02"]["tier"] == Tier.MUNICIPAL  # asked for municipal only
    assert rows["B-03"]["tier"] != Tier.PROVINCIAL
    assert all(r["reason"] for r in rows.values())
    # A place fewer: only the best one is provincial.
    fewer = _config(inputs, target=1)
    table = allocate_tiers(consolidate(inputs, fewer.consolidation), fewer)
    assert int((table["tier"] == Tier.PROVINCIAL).sum()) == 1


def test_analysing_flags_deviations_with_their_explanations() -> None:
    inputs = _inputs(notes={(1, 104): "专家书面说明：材料有缺项"})
    config = _config(inputs)
    done = consolidate(inputs, config.consolidation)
    analysis = analyse(inputs, done, allocate_tiers(done, config), config)
    flagged = analysis.flagged
    low = flagged[(flagged["dossier_id"] == 1) & (flagged["expert_id"] == 104)]
    assert len(low) == 1
    assert bool(low["explained"].iloc[0]) and low["note"].iloc[0] == "专家书面说明：材料有缺项"
    assert low["expert"].iloc[0] == "李" and low["code"].iloc[0] == "A-01"
    rows = _by_code(analysis.table)
    assert rows["A-01"]["flags"] == len(flagged[flagged["dossier_id"] == 1])
    assert rows["B-02"]["flags"] == 0
    # Without resamples, stability is not measured.
    assert analysis.table["p_provincial"].isna().all() and not analysis.table["fragile"].any()
    assert set(analysis.leniency["expert"]) == {"赵", "钱", "孙", "李"}
    assert [entry.panel for entry in analysis.reliability] == [1]
    assert analysis.reliability[0].icc is not None and analysis.reliability[0].experts >= 2


def test_analysing_with_resamples_measures_stability() -> None:
    inputs = _inputs()
    config = _config(inputs, resamples=50)
    done = consolidate(inputs, config.consolidation)
    table = analyse(inputs, done, allocate_tiers(done, config), config).table
    assert table["p_provincial"].dropna().between(0, 1).all()
    assert table["p_provincial"].notna().any()


def test_adjustments_stand_beside_the_computed_tiers() -> None:
    inputs = _inputs()
    config = _config(inputs)
    done = consolidate(inputs, config.consolidation)
    table = allocate_tiers(done, config)
    adjusted = apply_adjustments(table, {4: Adjustment(Tier.PROVINCIAL, "联席会议认定")})
    rows = _by_code(adjusted)
    assert rows["B-02"]["tier"] == Tier.MUNICIPAL
    assert rows["B-02"]["adjusted_tier"] == Tier.PROVINCIAL
    assert rows["B-02"]["adjustment_reason"] == "联席会议认定"
    others = adjusted[adjusted["code"] != "B-02"]
    assert (others["adjusted_tier"] == others["tier"]).all()
    assert (others["adjustment_reason"] == "").all()
    assert "adjusted_tier" not in table.columns  # the step does not change its input


def test_comparing_with_the_final_list_names_what_changed() -> None:
    inputs = _inputs()
    config = _config(inputs)
    done = consolidate(inputs, config.consolidation)
    table = apply_adjustments(allocate_tiers(done, config), {})
    when = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)
    locked = LockedList("f" * 64, when, "联席会议", final_rows(table))
    same = compare_with_final(table, locked)
    assert same is not None and same.changed_since == ()
    assert (same.content_hash, same.finalised_at, same.finalised_by) == ("f" * 64, when, "联席会议")
    assert compare_with_final(table, None) is None
    # A score changed after finalising, and a dossier the locked list does not hold.
    rows = [dict(r) for r in final_rows(table)]
    rows[0]["score"] = (rows[0]["score"] or 0) + 1
    dropped = rows.pop()
    stale = compare_with_final(table, LockedList("f" * 64, when, "联席会议", rows))
    assert stale is not None and stale.changed_since == tuple(
        sorted([rows[0]["code"], dropped["code"]])
    )


def test_reading_takes_what_the_project_holds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], new_location: NewLocation
) -> None:
    path = make_project(tmp_path, capsys, location=new_location("p"))
    with Project(path) as project:
        inputs = read_inputs(project)
        info = project.info()
        result = ranking.compute(project, resamples=0)
    assert [row[5] for row in inputs.dossiers] == [APPLICANT]
    assert inputs.provincial_target == info.provincial_target
    assert inputs.direction_cap == info.per_direction_cap
    assert list(inputs.verdicts) == [inputs.dossiers[0][0]]
    assert sum(len(v.sheet_id) for v in inputs.versions) == 0
    assert inputs.final is None and not inputs.adjustments and not inputs.non_applicable
    # compute composes the steps on what was read.
    assert result.finalised is None and len(result.table) == 1
    assert result.config.provincial_target == info.provincial_target
    assert np.isnan(result.table["score"].iloc[0])


def test_the_analysis_reads_as_typed_rows() -> None:
    inputs = _inputs(notes={(1, 104): "专家书面说明：材料有缺项"})
    config = _config(inputs)
    done = consolidate(inputs, config.consolidation)
    table = apply_adjustments(allocate_tiers(done, config), {})
    analysis = analyse(inputs, done, table, config)
    result = ranking.RankResult(
        config, analysis.table, analysis.flagged, analysis.leniency, analysis.reliability
    )
    flags = {(f.dossier_id, f.expert_id): f for f in result.deviation_flags()}
    low = flags[(1, 104)]
    assert low.direction is DeviationDirection.LOW and low.gap_percent < -30
    assert low.explained and low.note == "专家书面说明：材料有缺项" and low.expert == "李"
    assert all(f.code == "A-01" for f in flags.values())
    lenient = {row.expert: row for row in result.leniency_rows()}
    assert set(lenient) == {"赵", "钱", "孙", "李"} and lenient["李"].leniency < 0
    # What-if: one place fewer moves one candidate down.
    fewer = _config(inputs, target=1)
    other = allocate_tiers(consolidate(inputs, fewer.consolidation), fewer)
    [change] = ranking.what_if_rows(result, ranking.RankResult(fewer, other, *[pd.DataFrame()] * 2))
    assert change.tier_before is Tier.PROVINCIAL and change.tier_after is not Tier.PROVINCIAL
    assert change.score_before == change.score_after


def test_the_summary_and_the_directions_are_counted_from_the_list() -> None:
    """What the ranking page heads its table with and its by-direction tab, computed in
    the core from the typed rows (the page only shows them)."""
    from review_desk.ranking_values import direction_summaries

    inputs = _inputs(notes={(1, 104): "专家书面说明：材料有缺项"})
    config = _config(inputs)
    done = consolidate(inputs, config.consolidation)
    table = apply_adjustments(allocate_tiers(done, config), {})
    analysis = analyse(inputs, done, table, config)
    result = ranking.RankResult(
        config, analysis.table, analysis.flagged, analysis.leniency, analysis.reliability
    )
    rows = result.rank_rows()
    summary = result.summary()
    assert summary.provincial == sum(r.adjusted_tier == Tier.PROVINCIAL for r in rows) == 2
    assert summary.municipal == sum(r.adjusted_tier == Tier.MUNICIPAL for r in rows)
    explained = [f.explained for f in result.deviation_flags()]
    assert summary.unexplained_deviations == explained.count(False)
    directions = direction_summaries(rows, config)
    assert sum(d.candidates for d in directions) == len(rows)
    assert [d.provincial for d in directions] == [1, 1]  # one place per direction (cap 1)
    assert all(d.provincial <= d.cap == 1 for d in directions)
    for d in directions:
        chosen = [r for r in rows if r.direction == d.direction and r.adjusted_tier == "provincial"]
        assert d.selected == "、".join(f"{r.code} {r.applicant}" for r in chosen)
        scores = [r.score for r in rows if r.direction == d.direction and r.score is not None]
        assert d.best == max(scores)
