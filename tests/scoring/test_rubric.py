"""Rubric validation: each kind of mistake is named with its key path."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest

from review_desk.rubrics import default_rubric_text, problem_text
from scoring_models.rubric import RubricError, content_hash, parse_rubric, rubric_from_dict

DEFAULT = tomllib.loads(default_rubric_text())


def _problems(mutate: Any) -> list[str]:
    source = copy.deepcopy(DEFAULT)
    mutate(source)
    with pytest.raises(RubricError) as caught:
        rubric_from_dict(source, "r.toml")
    return [f"{p.path}: {p.message}" for p in caught.value.problems]


def test_default_rubric_is_valid_and_sensible() -> None:
    rubric = parse_rubric(default_rubric_text())
    assert rubric.is_template and rubric.total == 100
    assert [s.key for s in rubric.stages] == ["materials", "defense", "inspection"]
    assert abs(sum(s.weight for s in rubric.stages) - 1) < 1e-9
    assert len(rubric.criteria) >= 12 and len(rubric.vetoes) >= 2
    full = {c.id: c.max for c in rubric.criteria}
    assert rubric.weighted_total(full) == pytest.approx(100)
    assert rubric.weighted_total(full, "enterprise") == pytest.approx(100)  # C2 is for schools
    assert rubric.bonus_for({"double_high": "national", "major_tech_transfer": True}) == 5
    for criterion in rubric.criteria:
        assert criterion.check(criterion.max) is None and criterion.check(0) is None
        assert criterion.check(criterion.max + criterion.step) is not None
        assert criterion.check(criterion.step / 2) is not None
        assert criterion.band_of(criterion.max).level == "优"


def test_hash_ignores_layout_but_not_content() -> None:
    text = default_rubric_text()
    relaid = "# a comment\n" + text.replace("\n\n", "\n")
    assert parse_rubric(text).content_hash == parse_rubric(relaid).content_hash
    changed = copy.deepcopy(DEFAULT)
    changed["group"][0]["criterion"][0]["max"] = 12
    assert content_hash(changed) != parse_rubric(text).content_hash


def test_weights_that_do_not_sum() -> None:
    def change(s: dict[str, Any]) -> None:
        s["stage"][0]["weight"] = 0.6

    assert any("stage[*].weight" in p and "sum to 1" in p for p in _problems(change))


def test_band_gap_and_overlap() -> None:
    def gap(s: dict[str, Any]) -> None:
        s["group"][0]["criterion"][0]["band"][1]["min"] = 6.0  # 良 starts 1 below 中's max + step

    def overlap(s: dict[str, Any]) -> None:
        s["group"][0]["criterion"][0]["band"][1]["max"] = 9.0

    assert any("group[0].criterion[0].band" in p and "overlap" in p for p in _problems(gap))
    assert any("group[0].criterion[0].band" in p and "overlap" in p for p in _problems(overlap))

    def hole(s: dict[str, Any]) -> None:
        s["group"][0]["criterion"][0]["band"][2]["max"] = 5.0

    assert any("gap between" in p for p in _problems(hole))


def test_max_not_a_multiple_of_step_and_unknown_stage_and_duplicates() -> None:
    def change(s: dict[str, Any]) -> None:
        s["group"][0]["criterion"][0]["max"] = 10.25
        s["group"][0]["criterion"][1]["stage"] = "interview"
        s["group"][1]["criterion"][0]["id"] = "A1"
        s["veto"][0]["threshold"] = 0

    problems = _problems(change)
    assert any(p.startswith("group[0].criterion[0].max:") and "multiple" in p for p in problems)
    assert any(p.startswith("group[0].criterion[1].stage:") and "interview" in p for p in problems)
    assert any(p.startswith("group[1].criterion[0].id:") and "duplicate" in p for p in problems)
    assert any(p.startswith("veto[0].threshold:") for p in problems)


def test_missing_and_wrong_types_and_bad_toml(tmp_path: Path) -> None:
    def change(s: dict[str, Any]) -> None:
        del s["rubric"]["name"]
        s["group"][0]["criterion"][0]["step"] = "half"
        s["bonus"]["item"][0]["fact"] = "rich"

    problems = _problems(change)
    assert "rubric.name: missing" in problems
    assert any(p.startswith("group[0].criterion[0].step:") and "number" in p for p in problems)
    assert any(p.startswith("bonus.item[0].fact:") for p in problems)
    with pytest.raises(RubricError) as caught:
        parse_rubric("[rubric\nname=", "broken.toml")
    assert caught.value.problems[0].file == "broken.toml"
    assert "TOML" in problem_text(caught.value.problems[0])


def test_problems_are_translated_with_their_values() -> None:
    def change(s: dict[str, Any]) -> None:
        s["stage"][0]["weight"] = 0.6

    source = copy.deepcopy(DEFAULT)
    change(source)
    with pytest.raises(RubricError) as caught:
        rubric_from_dict(source, "r.toml")
    text = problem_text(caught.value.problems[0])
    assert text.startswith("r.toml: stage[*].weight:") and "0.6 + 0.3 + 0.2" in text
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_cli_validate(tmp_path: Path) -> None:
    import json

    from tests.support import run_cli

    good = run_cli("rubric", "validate", "data/rubrics/provincial_default.toml", "--json")
    assert good.returncode == 0 and json.loads(good.stdout)["valid"] is True
    bad = tmp_path / "bad.toml"
    bad.write_text(default_rubric_text().replace("weight = 0.5", "weight = 0.4"), encoding="utf-8")
    result = run_cli("rubric", "validate", str(bad), "--json")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["valid"] is False and data["problems"][0]["path"] == "stage[*].weight"


def test_toml_writer_round_trips_the_content() -> None:
    from scoring_models.rubric_toml import dump_rubric

    text = dump_rubric(DEFAULT, "written by a test")
    again = tomllib.loads(text)
    assert content_hash(again) == content_hash(DEFAULT)
    assert parse_rubric(text).content_hash == parse_rubric(default_rubric_text()).content_hash
