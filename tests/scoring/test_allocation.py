"""Allocation under the quotas: property tests against a brute-force reference on small
instances, exact ties at the cutoff, and determinism."""

from __future__ import annotations

import math
from itertools import combinations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring_models.allocation import (
    PROVINCIAL,
    TIED,
    AllocationInputError,
    AllocationRules,
    allocate,
)
from scoring_models.reasons import AllocationReason, Reason


def frame(rows: list[tuple[int, int, float, bool, bool]]) -> pd.DataFrame:
    """rows: (direction, applicant, score, eligible, provincial requested)."""
    return pd.DataFrame(
        {
            "dossier_id": list(range(1, len(rows) + 1)),
            "applicant_id": [r[1] for r in rows],
            "direction_id": [r[0] for r in rows],
            "city": ["太原市"] * len(rows),
            "requested_level": ["provincial" if r[4] else "municipal" for r in rows],
            "eligible": [r[3] for r in rows],
            "score": [r[2] for r in rows],
        }
    )


def brute_force(df: pd.DataFrame, rules: AllocationRules) -> set[int]:
    """The lexicographically best feasible set of provincial places (distinct scores)."""
    pool = df[df["eligible"] & (df["requested_level"] == "provincial")]
    if rules.min_score is not None:
        pool = pool[pool["score"] >= rules.min_score]
    ranked = pool.sort_values("score", ascending=False)
    ids = ranked["dossier_id"].tolist()
    best: tuple[float, ...] = ()
    chosen: set[int] = set()
    for size in range(min(len(ids), rules.provincial_target), -1, -1):
        for subset in combinations(ids, size):
            part = ranked[ranked["dossier_id"].isin(subset)]
            if (
                part.groupby("direction_id").size()
                > [rules.cap_for(d) for d in sorted(part["direction_id"].unique())]
            ).any():
                continue
            if (
                rules.applicant_cap is not None
                and (part.groupby("applicant_id").size() > rules.applicant_cap).any()
            ):
                continue
            key = tuple(sorted(part["score"], reverse=True))
            if key > best:
                best, chosen = key, set(subset)
    return chosen


instances = st.lists(
    st.tuples(
        st.integers(1, 3),
        st.integers(1, 4),
        st.integers(50, 99).map(float),
        st.booleans(),
        st.booleans(),
    ),
    min_size=1,
    max_size=7,
)


@settings(max_examples=200, deadline=None)
@given(instances, st.integers(1, 4), st.integers(1, 2), st.one_of(st.none(), st.just(1)))
def test_caps_are_kept_and_nobody_better_is_passed_over(
    rows: list[tuple[int, int, float, bool, bool]], target: int, cap: int, applicant_cap: int | None
) -> None:
    df = frame(rows)
    rules = AllocationRules(
        provincial_target=target, direction_cap=cap, applicant_cap=applicant_cap
    )
    result = allocate(df, rules).merge(df, on="dossier_id")
    chosen = result[result["tier"] == PROVINCIAL]
    assert len(chosen) <= target
    assert (chosen.groupby("direction_id").size() <= cap).all()
    if applicant_cap is not None:
        assert (chosen.groupby("applicant_id").size() <= applicant_cap).all()
    assert set(result.loc[~result["eligible"], "tier"]) <= {"ineligible"}
    assert (
        result.loc[result["eligible"] & (result["requested_level"] == "municipal"), "tier"]
        == "municipal"
    ).all()
    if df["score"].is_unique:
        assert set(chosen["dossier_id"]) == brute_force(df, rules)
        assert not result["tied"].any()
    # No selected candidate ranks below a passed-over one unless the latter had no room.
    passed = result[
        (result["tier"] == "municipal")
        & result["eligible"]
        & (result["requested_level"] == "provincial")
    ]
    for _, x in passed.iterrows():
        lower = chosen[chosen["score"] < x["score"]]
        if lower.empty:
            continue
        above = result[(result["score"] >= x["score"]) & result["tier"].isin([PROVINCIAL, TIED])]
        direction_full = (above["direction_id"] == x["direction_id"]).sum() >= cap
        applicant_full = (
            applicant_cap is not None
            and (above["applicant_id"] == x["applicant_id"]).sum() >= applicant_cap
        )
        assert direction_full or applicant_full, (x.to_dict(), lower.to_dict("records"))


@given(st.integers(2, 5), st.integers(0, 3))
def test_exact_ties_at_the_cutoff_are_tied(tied_count: int, places_left: int) -> None:
    above = (
        [(d, 100 + d, 99.0 - d, True, True) for d in range(1, 4 - places_left)]
        if places_left < 3
        else []
    )
    places = len(above) + places_left
    rows = (
        above
        + [(10 + i, 200 + i, 80.0, True, True) for i in range(tied_count)]
        + [(30, 300, 70.0, True, True)]
    )
    result = allocate(frame(rows), AllocationRules(provincial_target=places))
    tiers = dict(zip(result["dossier_id"], result["tier"], strict=True))
    tied_ids = list(range(len(above) + 1, len(above) + tied_count + 1))
    if places_left == 0:  # no place left to contest: they are simply municipal
        assert all(tiers[i] == "municipal" for i in tied_ids)
    elif tied_count > places_left:
        assert all(tiers[i] == TIED for i in tied_ids)
        assert tiers[len(rows)] != PROVINCIAL  # no lower candidate takes a contested place
    else:
        assert all(tiers[i] == PROVINCIAL for i in tied_ids)


def test_ties_never_broken_by_order_and_tie_breaks_do_break_them() -> None:
    rows = [(1, 1, 90.0, True, True), (1, 2, 90.0, True, True), (1, 3, 90.0, True, True)]
    df = frame(rows)
    first = allocate(df, AllocationRules(provincial_target=10, direction_cap=2))
    shuffled = allocate(df.iloc[[2, 0, 1]], AllocationRules(provincial_target=10, direction_cap=2))
    assert set(first["tier"]) == {TIED}
    assert first.to_csv(index=False) == shuffled.to_csv(index=False)
    df["double_high"] = [0, 1, 2]
    broken = allocate(
        df, AllocationRules(provincial_target=10, direction_cap=2, tie_breaks=["double_high"])
    )
    tiers = dict(zip(broken["dossier_id"], broken["tier"], strict=True))
    assert tiers == {3: PROVINCIAL, 2: PROVINCIAL, 1: "municipal"}
    # The direction's last place went to an equal score by the tie-break: the loser's
    # reason says so (not "taken by higher scores"), and both sides are marked.
    reason = broken.loc[broken["dossier_id"] == 1, "reason"].iloc[0]
    assert reason == Reason(
        AllocationReason.TIE_BREAK_LOST,
        {"others": ("2", "3"), "score": 90.0, "tie_break": "double_high"},
    )
    marks = dict(zip(broken["dossier_id"], broken["tie_break"], strict=True))
    assert marks == {3: "double_high", 2: "double_high", 1: "double_high"}
    winner = broken.loc[broken["dossier_id"] == 2, "reason"].iloc[0]
    assert winner == Reason(
        AllocationReason.TIE_BREAK_WON,
        {"others": ("1",), "rank": 2, "score": 90.0, "tie_break": "double_high"},
    )


def test_reasons_are_records_and_a_tie_names_the_codes() -> None:
    df = frame([(1, 1, 90.0, True, True), (1, 2, 90.0, True, True), (1, 3, 90.0, True, True)])
    df["code"] = ["SX-01-0003", "SX-01-0001", "SX-01-0002"]
    result = allocate(df, AllocationRules(provincial_target=10, direction_cap=2))
    reasons = dict(zip(result["dossier_id"], result["reason"], strict=True))
    assert reasons[1] == Reason(
        AllocationReason.TIED, {"others": ("SX-01-0001", "SX-01-0002"), "score": 90.0}
    )
    selected = allocate(df.iloc[:1], AllocationRules())["reason"].iloc[0]
    assert selected == Reason(AllocationReason.SELECTED, {"rank": 1, "score": 90.0})


def test_same_inputs_give_byte_identical_results() -> None:
    rows = [(d % 4, d, float(60 + (d * 37) % 40), d % 7 != 0, d % 5 != 0) for d in range(1, 60)]
    rules = AllocationRules(provincial_target=10, min_score=65)
    first = allocate(frame(rows), rules).to_csv().encode()
    assert all(allocate(frame(rows), rules).to_csv().encode() == first for _ in range(3))


def test_the_second_tie_break_is_named_when_the_first_is_equal() -> None:
    df = frame([(1, 1, 80.0, True, True), (2, 2, 80.0, True, True), (3, 3, 70.0, True, True)])
    df["code"] = ["SX-01-0001", "SX-02-0002", "SX-03-0003"]
    df["double_high"] = [1, 1, 0]
    df["transfer"] = [0, 1, 0]
    rules = AllocationRules(provincial_target=1, tie_breaks=["double_high", "transfer"])
    result = allocate(df, rules)
    reasons = dict(zip(result["dossier_id"], result["reason"], strict=True))
    assert reasons[1] == Reason(
        AllocationReason.TIE_BREAK_LOST,
        {"others": ("SX-02-0002",), "score": 80.0, "tie_break": "transfer"},
    )
    # A candidate with a lower score lost on score: its reason is unchanged.
    assert reasons[3] == Reason(AllocationReason.TOTAL_FULL, {"target": 1})


def test_a_tie_break_that_does_not_decide_is_not_named() -> None:
    # Equal scores, different tie-break values, but places for both: nothing decided.
    df = frame([(1, 1, 80.0, True, True), (2, 2, 80.0, True, True)])
    df["double_high"] = [0, 1]
    result = allocate(df, AllocationRules(provincial_target=2, tie_breaks=["double_high"]))
    assert set(result["tier"]) == {PROVINCIAL}
    assert result["tie_break"].isna().all()
    assert {r.code for r in result["reason"]} == {AllocationReason.SELECTED}


def _valid() -> pd.DataFrame:
    return frame([(1, 1, 90.0, True, True), (2, 2, 80.0, True, True), (3, 3, 70.0, False, True)])


@pytest.mark.parametrize(
    ("column", "row", "value", "problem"),
    [
        ("score", 1, math.nan, "score"),
        ("score", 0, math.inf, "score"),
        ("score", 2, -math.inf, "score"),
        ("score", 1, None, "score"),
        ("score", 1, "high", "score"),
        ("direction_id", 1, None, "direction_id"),
        ("direction_id", 0, math.nan, "direction_id"),
        ("eligible", 1, "no", "eligible"),
        ("eligible", 0, 1, "eligible"),
        ("eligible", 2, None, "eligible"),
    ],
)
def test_invalid_rows_are_refused_naming_them(
    column: str, row: int, value: object, problem: str
) -> None:
    df = _valid()
    df[column] = df[column].astype(object)
    df.at[row, column] = value
    with pytest.raises(AllocationInputError) as caught:
        allocate(df, AllocationRules())
    assert caught.value.problem == problem
    assert caught.value.rows == (int(df.at[row, "dossier_id"]),)
    assert str(df.at[row, "dossier_id"]) in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_a_tie_break_column_must_be_finite_numbers() -> None:
    df = _valid()
    df["double_high"] = [1.0, math.nan, 0.0]
    with pytest.raises(AllocationInputError) as caught:
        allocate(df, AllocationRules(tie_breaks=["double_high"]))
    assert caught.value.problem == "double_high" and caught.value.rows == (2,)


def test_every_invalid_row_is_named_not_only_the_first() -> None:
    df = _valid()
    df["score"] = [math.nan, 80.0, math.inf]
    with pytest.raises(AllocationInputError) as caught:
        allocate(df, AllocationRules())
    assert caught.value.rows == (1, 3)


@pytest.mark.parametrize(
    "rules",
    [
        AllocationRules(provincial_target=-1),
        AllocationRules(provincial_target=0),
        AllocationRules(direction_cap=-1),
        AllocationRules(direction_cap=0),
        AllocationRules(direction_caps={1: -1}),
        AllocationRules(applicant_cap=0),
        AllocationRules(min_score=math.nan),
    ],
)
def test_impossible_quotas_are_refused(rules: AllocationRules) -> None:
    with pytest.raises(AllocationInputError) as caught:
        allocate(_valid(), rules)
    assert caught.value.rows == ()


@settings(max_examples=100, deadline=None)
@given(st.permutations(list(range(6))))
def test_the_result_does_not_depend_on_the_input_order(order: list[int]) -> None:
    df = frame(
        [
            (1, 1, 90.0, True, True),
            (1, 2, 85.0, True, True),
            (1, 3, 85.0, True, True),
            (2, 4, 80.0, True, True),
            (2, 5, 80.0, True, False),
            (3, 6, 75.0, False, True),
        ]
    )
    df["tb"] = [0, 1, 0, 2, 0, 0]
    rules = AllocationRules(provincial_target=3, tie_breaks=["tb"])
    expected = allocate(df, rules).to_csv(index=False)
    assert allocate(df.iloc[order], rules).to_csv(index=False) == expected


tie_break_instances = st.lists(
    st.tuples(
        st.integers(1, 3),
        st.integers(1, 4),
        st.sampled_from([70.0, 80.0, 90.0]),
        st.booleans(),
        st.booleans(),
        st.integers(0, 2),
    ),
    min_size=1,
    max_size=7,
)


@settings(max_examples=200, deadline=None)
@given(tie_break_instances, st.integers(1, 4), st.integers(1, 2))
def test_with_a_tie_break_the_brute_force_agrees_and_every_reason_is_true(
    rows: list[tuple[int, int, float, bool, bool, int]], target: int, cap: int
) -> None:
    df = frame([r[:5] for r in rows])
    df["tb"] = [r[5] for r in rows]
    rules = AllocationRules(provincial_target=target, direction_cap=cap, tie_breaks=["tb"])
    result = allocate(df, rules).merge(df, on="dossier_id")
    keyed = df.assign(score=df["score"] + df["tb"] / 10)  # the same order as (score, tb)
    chosen = result[result["tier"] == PROVINCIAL]
    if keyed.loc[keyed["eligible"] & (keyed["requested_level"] == "provincial"), "score"].is_unique:
        assert set(chosen["dossier_id"]) == brute_force(keyed, rules)
    for _, x in result.iterrows():
        code = x["reason"].code
        params = x["reason"].params
        ahead = result[result["tier"].isin([PROVINCIAL, TIED])]  # selected or held
        equal = ahead[(ahead["score"] == x["score"]) & (ahead["tb"] > x["tb"])]
        if code == AllocationReason.TIE_BREAK_LOST:
            # Equal scores, ahead by the tie-break, took the places it needed.
            assert params["tie_break"] == "tb" and x["tie_break"] == "tb"
            named = {str(i) for i in params["others"]}
            assert named and named <= {str(i) for i in equal["dossier_id"]}
        elif code in (AllocationReason.TOTAL_FULL, AllocationReason.DIRECTION_FULL):
            # The places went to higher scores indeed (selected, or held by a tie).
            higher = result[
                (result["score"] > x["score"]) & result["tier"].isin([PROVINCIAL, TIED])
            ]
            if code == AllocationReason.TOTAL_FULL:
                assert len(higher) >= target
            else:
                assert (higher["direction_id"] == x["direction_id"]).sum() >= cap
        elif code == AllocationReason.TIE_BREAK_WON:
            assert x["tier"] == PROVINCIAL and x["tie_break"] == "tb"
        if code not in (AllocationReason.TIE_BREAK_LOST, AllocationReason.TIE_BREAK_WON):
            assert x["tie_break"] is None
