"""The eligibility rules fail closed: a rule the application cannot check as written is
an error when the rules load, never a check silently left out of the formal review."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from review_desk import formal_review as fr
from review_desk import paths, reference
from review_desk.project import Project

SHIPPED = paths.data_path("reference", "eligibility_rules.toml")

UNKNOWN_FACT = """
[[rule]]
id = "R9-golden-ticket"
clause = "9"
text = "申报主体应持有金色入场券。"
applies_to = ["all"]
check = "machine"
fact = "has_golden_ticket"
expect = true
"""


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shipped data that the application reads instead."""
    target = tmp_path / "data"
    shutil.copytree(paths.data_dir(), target)
    monkeypatch.setattr(paths, "data_dir", lambda: target)
    reference.eligibility_rules.cache_clear()
    yield target
    reference.eligibility_rules.cache_clear()


def _append(data_dir: Path, text: str) -> None:
    rules = data_dir / "reference" / "eligibility_rules.toml"
    rules.write_text(rules.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_a_rule_with_an_unknown_fact_stops_the_formal_review(
    data_dir: Path, demo_readonly: Path
) -> None:
    _append(data_dir, UNKNOWN_FACT)
    with Project(demo_readonly) as project, pytest.raises(fr.ReviewError) as raised:
        fr.run_review(project)
    message = str(raised.value)
    assert "R9-golden-ticket" in message and "has_golden_ticket" in message
    assert "资格条件" in message  # a Chinese message for the user


def test_loading_a_rules_file_with_an_unknown_fact_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(SHIPPED.read_text(encoding="utf-8") + UNKNOWN_FACT, encoding="utf-8")
    with pytest.raises(reference.RulesError, match=r"R9-golden-ticket.*has_golden_ticket"):
        reference.load_eligibility_rules(path)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        # A preference names a fact that is not recorded.
        (
            UNKNOWN_FACT.replace('check = "machine"', 'check = "machine"\npreference = true'),
            "has_golden_ticket",
        ),
        # A machine rule without a fact.
        (UNKNOWN_FACT.replace('fact = "has_golden_ticket"\n', ""), None),
        # A misspelt kind of check.
        (UNKNOWN_FACT.replace('check = "machine"', 'check = "machin"'), "machin"),
        # A fact that exists, but as a preference where a condition is checked.
        (UNKNOWN_FACT.replace("has_golden_ticket", "double_high"), "double_high"),
    ],
)
def test_every_rule_the_code_cannot_check_is_refused(
    tmp_path: Path, change: str, named: str | None
) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(SHIPPED.read_text(encoding="utf-8") + change, encoding="utf-8")
    with pytest.raises(reference.RulesError, match="R9-golden-ticket") as raised:
        reference.load_eligibility_rules(path)
    if named:
        assert named in str(raised.value)


def test_the_shipped_rules_load_and_every_fact_is_checked() -> None:
    rules = reference.load_eligibility_rules(SHIPPED)
    facts = {r.fact for r in rules if r.check == "machine"}
    assert facts <= reference.CONDITION_FACTS | reference.PREFERENCE_FACTS
    assert set(fr.CONDITION_CHECKS) == reference.CONDITION_FACTS
