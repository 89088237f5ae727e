"""The formal-review page when the eligibility rules cannot be applied: the reviewer is
told which rule is wrong, the checks are not run without it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from PySide6.QtWidgets import QMessageBox

from review_desk import paths, reference


@pytest.fixture
def broken_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    target = tmp_path / "data"
    shutil.copytree(paths.data_dir(), target)
    rules = target / "reference" / "eligibility_rules.toml"
    rules.write_text(
        rules.read_text(encoding="utf-8")
        + '\n[[rule]]\nid = "R9-golden-ticket"\nclause = "9"\ntext = "金色入场券"\n'
        'applies_to = ["all"]\ncheck = "machine"\nfact = "has_golden_ticket"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(paths, "data_dir", lambda: target)
    reference.eligibility_rules.cache_clear()
    yield
    reference.eligibility_rules.cache_clear()


def test_running_the_checks_with_an_unknown_fact_says_which_rule(
    window, demo_project: Path, broken_rules: None, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    boxes: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: boxes.append(text))
    assert window.open_project(str(demo_project))
    window.show_page("formal_review")
    page = window.pages["formal_review"]
    page.run_button.click()
    page.wait()
    # Said on the page's message bar, not in a modal box.
    shown = page.message_bar.label.text()
    assert not page.message_bar.isHidden() and page.message_bar.level == "error"
    assert "R9-golden-ticket" in shown and "has_golden_ticket" in shown
    assert not boxes
