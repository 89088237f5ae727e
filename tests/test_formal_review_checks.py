"""Formal-review checks as typed values: the one codec of their stored JSON keeps what
earlier versions wrote (records, overrides, old text), and the verdict follows from
the results and severities."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from review_desk import formal_review as fr
from review_desk.domain import CheckResult, Severity, Verdict
from review_desk.formal_review import Check
from review_desk.project import Project
from review_desk.reasons import CheckLabel, CheckReason, Reason
from review_desk.storage import models as m
from tests.backends import NewLocation
from tests.small_project import make_project

# As a project stores them: a record, a reviewer's decision, text from an old version.
STORED: list[dict[str, Any]] = [
    {
        "id": "item:plan.goals",
        "label": {"code": "checklist_item", "params": {"number": 2, "title": "建设目标"}},
        "result": "pass",
        "reason": {"code": "item_found", "params": {"page": 3, "file": "a.pdf"}},
        "severity": "soft",
        "page": 3,
        "material_id": 7,
    },
    {
        "id": "item:plan.benefits",
        "label": {"code": "checklist_item", "params": {"number": 4, "title": "预期效益"}},
        "result": "pass",
        "reason": {
            "code": "overridden",
            "params": {"reason": "第 3 页", "who": "张审查", "auto": "fail"},
        },
        "severity": "soft",
        "page": None,
        "material_id": None,
        "automatic": "fail",
        "overridden": True,
    },
    {
        "id": "rule:R1-policy-list",
        "label": "条件1",
        "result": "fail",
        "reason": "旧版本写下的理由：缺少政策清单",
        "severity": "soft",
        "page": None,
        "material_id": None,
    },
]


@pytest.mark.parametrize("stored", STORED, ids=lambda s: s["id"])
def test_stored_checks_decode_and_encode_back_unchanged(stored: dict[str, Any]) -> None:
    check = fr.decode_check(json.loads(json.dumps(stored)))
    assert fr.encode_check(check) == stored
    assert list(fr.encode_check(check)) == list(stored)


def test_decoded_checks_are_typed() -> None:
    found, decided, old = (fr.decode_check(s) for s in STORED)
    assert found.result is CheckResult.PASS and found.severity is Severity.SOFT
    assert isinstance(found.label, Reason) and found.page == 3 and not found.overridden
    assert decided.overridden and decided.automatic is CheckResult.FAIL
    assert "张审查" in decided.reason_text
    assert old.label_text == "条件1" and old.reason_text.startswith("旧版本")
    assert old.open and not found.open


def _check(result: CheckResult, severity: Severity = Severity.SOFT) -> Check:
    label, reason = Reason(CheckLabel.DEADLINE, {}), Reason(CheckReason.LATE, {})
    return Check("x", label, result, reason, severity)


def test_the_verdict_follows_the_results() -> None:
    met, info = _check(CheckResult.PASS), _check(CheckResult.INFO)
    assert fr.verdict_of([met, info]) is Verdict.PASSED
    assert fr.verdict_of([met, _check(CheckResult.MANUAL)]) is None
    assert fr.verdict_of([met, _check(CheckResult.FAIL)]) is Verdict.SUPPLEMENT
    hard = _check(CheckResult.FAIL, Severity.HARD)
    assert fr.verdict_of([hard, _check(CheckResult.FAIL), _check(CheckResult.MANUAL)]) is (
        Verdict.FAILED
    )
    assert Verdict.SUPPLEMENT.label == fr.verdict_label("supplement")
    assert CheckResult.MANUAL.label == fr.result_label("manual")


def test_a_stored_review_is_not_rewritten_by_running_the_checks_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], new_location: NewLocation
) -> None:
    path = make_project(tmp_path, capsys, location=new_location("p"))
    with Project(path) as project:
        with project.reading() as session:
            before = session.scalars(select(m.FormalReview)).one()
            stored, reviewed_at = before.checks, before.reviewed_at
            entries = len(session.scalars(select(m.AuditLog)).all())
        rows = fr.run_review(project)
        with project.reading() as session:
            after = session.scalars(select(m.FormalReview)).one()
            assert after.checks == stored and after.reviewed_at == reviewed_at
            assert len(session.scalars(select(m.AuditLog)).all()) == entries
    [row] = rows
    assert row.verdict is None or isinstance(row.verdict, Verdict)
    assert [fr.encode_check(c) for c in row.checks] == stored
