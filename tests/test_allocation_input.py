"""What the ranking refuses to allocate on, as a user meets it, and the tie-break
reasons in the user's language."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from review_desk.i18n import current_locale, set_locale
from review_desk.reasons import render
from scoring_models.reasons import AllocationReason, Reason
from tests.backends import raw_sql
from tests.support import run_cli


def test_a_negative_direction_cap_in_a_project_is_refused_naming_the_direction(
    demo_project: Path,
) -> None:
    with raw_sql(demo_project) as db:
        db.execute(text("UPDATE direction SET provincial_cap = -1 WHERE id = 8"))
    result = run_cli("rank", str(demo_project), "--resamples", "0", module="review_desk")
    assert result.returncode == 2
    assert "方向 8 的省级名额上限至少为 1（不能为 -1）" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_tie_break_reasons_name_the_tie_break_not_higher_scores() -> None:
    lost = Reason(
        AllocationReason.TIE_BREAK_LOST,
        {"others": ("SX-01-0002",), "score": 80.5, "tie_break": "double_high_rank"},
    )
    won = Reason(
        AllocationReason.TIE_BREAK_WON,
        {"others": ("SX-01-0001",), "rank": 2, "score": 80.5, "tie_break": "tech_transfer"},
    )
    before = current_locale()
    set_locale("zh_CN")
    try:
        assert render(lost) == (
            "与SX-01-0002同分（80.5），按并列规则「“双高计划”层级（国家级优先于省级）」排在其后，"
            "已无省级名额"
        )
        assert "重大科技转化成果" in render(won) and "SX-01-0001" in render(won)
    finally:
        set_locale(before)
