"""The typed values of the ranked list and their codecs: the configuration's JSON is key
for key what earlier versions stored and hashed, what they stored decodes, and the
table's rows become typed rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from review_desk.domain import Level, Tier
from review_desk.ranking_values import (
    FinalisedList,
    NonApplicableScore,
    PanelReliability,
    RankingConfig,
    StabilityConfig,
    decode_config,
    encode_config,
    encode_finalised,
    encode_non_applicable,
    encode_reliability,
    rank_rows,
)
from scoring_models.aggregation import ConsolidationConfig

CONFIG = RankingConfig(
    consolidation=ConsolidationConfig(
        method="trimmed",
        trim_min_experts=5,
        normalise=False,
        deviation_percent=30.0,
        deviation_sd=2.0,
        weights={"materials": 0.5, "defense": 0.3, "inspection": 0.2},
        total=100.0,
        rubric_hash="b736f329",
    ),
    provincial_target=10,
    direction_cap=2,
    direction_caps={7: 3},
    min_score=None,
    tie_breaks=("double_high_rank", "tech_transfer"),
    stability=StabilityConfig(resamples=1000, seed=20220121),
)

# What the previous version's compute() put in RankResult.config for CONFIG: the
# finalised list's hash is computed over its canonical JSON.
PREVIOUS = {
    "method": "trimmed",
    "trim_min_experts": 5,
    "normalise": False,
    "normalise_min_dossiers": 3,
    "deviation_percent": 30.0,
    "deviation_sd": 2.0,
    "weights": {"materials": 0.5, "defense": 0.3, "inspection": 0.2},
    "total": 100.0,
    "rubric_hash": "b736f329",
    "provincial_target": 10,
    "direction_cap": 2,
    "direction_caps": {7: 3},
    "min_score": None,
    "tie_breaks": ["double_high_rank", "tech_transfer"],
    "stability": {"resamples": 1000, "seed": 20220121},
}


def _canonical(config: object) -> str:
    return json.dumps(config, ensure_ascii=False, sort_keys=True, default=str)


def test_the_config_encodes_as_the_previous_version_hashed_it() -> None:
    encoded = encode_config(CONFIG)
    assert encoded == PREVIOUS and list(encoded) == list(PREVIOUS)
    assert _canonical(encoded) == _canonical(PREVIOUS)


def test_a_stored_config_decodes_and_encodes_back() -> None:
    stored = json.loads(json.dumps(PREVIOUS))  # as the database gives it: text keys
    assert stored["direction_caps"] == {"7": 3}
    config = decode_config(stored)
    assert config == CONFIG
    assert config.cap_of(7) == 3 and config.cap_of(8) == 2
    assert config.options() == {
        "method": "trimmed",
        "trim_min": 5,
        "normalise": False,
        "deviation_percent": 30.0,
        "deviation_sd": 2.0,
        "target": 10,
        "cap": 2,
        "min_score": None,
    }


def test_an_older_config_without_newer_keys_takes_the_defaults() -> None:
    old = {k: v for k, v in PREVIOUS.items() if k not in ("normalise_min_dossiers", "stability")}
    config = decode_config(old)
    assert config.consolidation.normalise_min_dossiers == 3
    assert config.stability.resamples == 0


def test_the_other_values_encode_as_json() -> None:
    when = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)
    final = FinalisedList("ab" * 32, when, "联席会议", ("A-01",))
    assert encode_finalised(final) == {
        "content_hash": "ab" * 32,
        "finalised_at": "2026-05-01T09:30:00+00:00",
        "finalised_by": "联席会议",
        "changed_since": ["A-01"],
    }
    assert encode_finalised(None) is None
    empty = encode_reliability(PanelReliability(3))
    assert empty["panel"] == 3 and empty["icc"] is None and empty["dossier_ids"] == []
    full = encode_reliability(
        PanelReliability(3, 3, 2, {"ICC(2,k)": 0.8}, 0.7, 6, (1, 2, 3), ("a", "b", "c"))
    )
    assert full["icc"] == {"ICC(2,k)": 0.8} and full["dossier_codes"] == ["a", "b", "c"]
    assert json.loads(json.dumps(full)) == full
    assert encode_non_applicable(NonApplicableScore("A-01", "赵", "C2", 6.0)) == {
        "code": "A-01",
        "expert": "赵",
        "criterion": "C2",
        "points": 6.0,
    }


def test_rank_rows_are_typed() -> None:
    table = pd.DataFrame(
        {
            "dossier_id": [1, 2],
            "code": ["A-01", "A-02"],
            "applicant": ["甲", "乙"],
            "direction_id": [1, 1],
            "direction": ["一", "一"],
            "requested_level": ["provincial", "municipal"],
            "score": [88.5, np.nan],
            "experts": [5, 0],
            "rank": [1.0, np.nan],
            "tier": ["provincial", "ineligible"],
            "adjusted_tier": ["provincial", "municipal"],
            "adjustment_reason": ["", "联席会议认定"],
            "flags": [1, 0],
            "p_provincial": [0.9, np.nan],
            "fragile": [False, False],
            "reason": ["第 1 名", "未评分"],
        }
    )
    first, second = rank_rows(table)
    assert first.tier is Tier.PROVINCIAL and first.requested_level is Level.PROVINCIAL
    assert first.rank == 1 and first.score == 88.5 and not first.adjusted
    assert second.score is None and second.rank is None and second.p_provincial is None
    assert second.adjusted_tier is Tier.MUNICIPAL and second.adjusted
    assert second.adjustment_reason == "联席会议认定"


def test_tiers_are_labelled() -> None:
    from review_desk.ranking import TIERS, tier_label

    assert Tier.TIED in TIERS and Tier.TIED not in Tier.decisions()
    assert tier_label("provincial") == Tier.PROVINCIAL.label
    assert tier_label(None) == "" and tier_label("unknown") == "unknown"
