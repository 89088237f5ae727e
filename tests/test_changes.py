"""The core's one progress protocol and its "what changed" value, without Qt."""

from __future__ import annotations

import pytest

from review_desk.changes import NOTHING, Changes, Outcome
from review_desk.progress import Cancelled, report


def test_changes_combine_and_say_what_they_touch() -> None:
    assert not NOTHING and not NOTHING.ranking and not NOTHING.ranking_decisions
    assert Changes(defense=True) and not Changes(defense=True).ranking
    assert Changes(adjustments=True).ranking and Changes(adjustments=True).ranking_decisions
    assert Changes(scores=True).ranking and not Changes(scores=True).ranking_decisions
    assert Changes(scores=True) | Changes(finalised=True) == Changes(scores=True, finalised=True)
    assert Changes.everything() == Changes.everything() | NOTHING
    assert all(vars(Changes.everything()).values())


def test_changes_are_values() -> None:
    with pytest.raises(AttributeError):
        Changes().scores = True  # type: ignore[misc]
    assert Outcome(3, Changes(rubric=True)) == Outcome(3, Changes(rubric=True))
    assert {Changes(scores=True), Changes(scores=True)} == {Changes(scores=True)}


def test_progress_is_reported_when_observed_and_cancels_by_raising() -> None:
    report(None, 1, 2, "nobody listens")  # unobserved work runs on
    seen: list[tuple[int, int, str]] = []
    report(lambda *args: seen.append(args), 1, 2, "half")
    assert seen == [(1, 2, "half")]

    def cancelling(done: int, total: int, message: str) -> None:
        raise Cancelled

    with pytest.raises(Cancelled):
        report(cancelling, 2, 2)
