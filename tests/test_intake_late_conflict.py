"""A conflict found after assignment by the register intake: the applicant's register
is taken in again with a new partner, the organisation of an expert already assigned to
the dossier. The intake records the recusal at once (blocking that expert's scores
there), drops the assignment, and warns on the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from tests.backends import raw_sql
from tests.intake import registers
from tests.small_project import APPLICANT, PDF_NAME, cli, make_project

ORGANISATION = "山西能源学院"


def test_a_new_partner_recuses_the_assigned_expert_and_warns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from review_desk.intake.register_template import write_register

    project = make_project(tmp_path, capsys)
    pool = tmp_path / "pool.csv"
    pool.write_text(f"姓名,工作单位,评审方向\n冯志远,{ORGANISATION},7\n", encoding="utf-8")
    code, out, err = cli(capsys, "experts", "import", str(project), str(pool))
    assert code == 0, out + err
    code, out, err = cli(capsys, "assign", "run", str(project), "--k", "1")
    assert code == 0, out + err
    # The same application again, now with the expert's organisation as a partner.
    register = tmp_path / "申报汇总表（更新）.xlsx"
    row = {
        "applicant": APPLICANT,
        "credit_code": registers.ENTERPRISE,
        "kind": "行业骨干企业",
        "city": "太原市",
        "direction": "新能源",
        "level": "省级",
        "policy_list": "是",
        "pilot_enterprise": "已纳入",
        "tech_transfer": "无",
        "partners": ORGANISATION,
        "files": PDF_NAME,
    }
    write_register(register, [row])
    code, out, err = cli(
        capsys,
        "intake",
        str(project),
        "--register",
        str(register),
        "--files",
        str(tmp_path / "files"),
    )
    assert code == 0, out + err
    assert "冯志远" in out and "回避" in out, out  # the warning, on the user's screen
    with raw_sql(project) as sql:
        recusals = sql.execute(
            text(
                "SELECT r.reason FROM recusal r JOIN expert e ON e.id = r.expert_id "
                "WHERE e.name = '冯志远'"
            )
        ).all()
        assigned = sql.execute(text("SELECT count(*) FROM assignment")).scalar_one()
    assert len(recusals) == 1 and ORGANISATION in recusals[0][0] and "分配后发现" in recusals[0][0]
    assert assigned == 0  # the pair is blocked, not merely flagged
