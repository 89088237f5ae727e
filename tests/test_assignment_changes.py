"""Manual changes of a dossier's experts through ``review-desk assign change``: a swap is
stored in one transaction and audited with its reason, listed by ``assign changes`` and
``assign explain``; every refusal (no reason, nothing to do, an expert not assigned or
already assigned, work started, a recusal, a conflict rule) names what stands in the
way and leaves the assignments as they were, read with raw SQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select, text

from review_desk.project import Project
from review_desk.storage import models as m
from tests.backends import raw_sql
from tests.small_project import cli


def _assignments(project: Path) -> list[tuple[int, int]]:
    """Every (expert, dossier) assigned, as another program reads the database."""
    with raw_sql(project) as connection:
        rows = connection.execute(
            text("SELECT expert_id, dossier_id FROM assignment ORDER BY expert_id, dossier_id")
        )
        return [(int(e), int(d)) for e, d in rows]


class Facts:
    """A dossier of the demo and the experts around it."""

    def __init__(self, project: Path) -> None:
        with Project(project) as opened, opened.reading() as s:
            sheets = {
                (int(e), int(d))
                for e, d in s.execute(select(m.ScoreSheet.expert_id, m.ScoreSheet.dossier_id))
            }
            assigned = {
                (int(e), int(d))
                for e, d in s.execute(select(m.Assignment.expert_id, m.Assignment.dossier_id))
            }
            experts = [int(e) for e in s.scalars(select(m.Expert.id).order_by(m.Expert.id))]
            names = {int(i): str(n) for i, n in s.execute(select(m.Expert.id, m.Expert.name))}
            # A dossier with a started expert, an unstarted one and an outsider.
            for dossier in s.scalars(select(m.Dossier).order_by(m.Dossier.code)):
                on = [e for e in experts if (e, dossier.id) in assigned]
                started = [e for e in on if (e, dossier.id) in sheets]
                fresh = [e for e in on if (e, dossier.id) not in sheets]
                outside = [e for e in experts if e not in on and (e, dossier.id) not in sheets]
                if started and fresh and len(outside) >= 3:
                    break
            else:  # pragma: no cover - the demo has such a dossier
                raise AssertionError("no suitable dossier in the demo")
            self.dossier_id, self.code = dossier.id, dossier.code
            self.lead = dossier.lead_applicant.name
        self.started, self.fresh, self.outside = started[0], fresh[0], outside
        self.names = names


def _change(capsys: pytest.CaptureFixture[str], project: Path, *args: str) -> tuple[int, str]:
    status, _out, err = cli(capsys, "assign", "change", str(project), *args)
    return status, err


def test_a_swap_is_stored_audited_and_listed(
    demo_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    facts = Facts(demo_project)
    incoming = facts.outside[0]
    before = _assignments(demo_project)
    status, out, err = cli(
        capsys, "assign", "change", str(demo_project), "--dossier", facts.code,
        "--remove", str(facts.fresh), "--add", str(incoming), "--reason", "专家出差无法参加",
    )  # fmt: skip
    assert status == 0, err
    assert facts.names[incoming] in out and "专家出差无法参加" in out
    after = _assignments(demo_project)
    assert set(before) - set(after) == {(facts.fresh, facts.dossier_id)}
    assert set(after) - set(before) == {(incoming, facts.dossier_id)}
    with Project(demo_project) as project:
        assert project.verify_audit().intact
        with project.reading() as s:
            entry = s.scalars(
                select(m.AuditLog).where(m.AuditLog.action == "assignment.change")
            ).one()
    assert entry.entity == "assignment" and entry.entity_id == str(facts.dossier_id)
    assert entry.after is not None and entry.after["reason"] == "专家出差无法参加"

    status, out, err = cli(capsys, "assign", "changes", str(demo_project), "--json")
    assert status == 0, err
    (listed,) = json.loads(out)
    assert listed == {
        "at": listed["at"],
        "actor": "agency",
        "dossier_id": facts.dossier_id,
        "dossier_code": facts.code,
        "removed": facts.fresh,
        "removed_name": facts.names[facts.fresh],
        "added": incoming,
        "added_name": facts.names[incoming],
        "reason": "专家出差无法参加",
    }
    # Once an assignment is solved, explaining the dossier shows the change with its reason.
    assert cli(capsys, "assign", "run", str(demo_project), "--k", "4", "--dry-run")[0] == 0
    assert cli(capsys, "assign", "run", str(demo_project), "--k", "4")[0] == 0
    status, out, err = cli(capsys, "assign", "explain", str(demo_project), "--dossier", facts.code)
    assert status == 0, err
    assert "专家出差无法参加" in out and "替换为" in out


def test_each_refusal_names_the_reason_and_changes_nothing(
    demo_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    facts = Facts(demo_project)
    before = _assignments(demo_project)
    name = facts.names
    recused, spare = facts.outside[0], facts.outside[1]
    status, _out, err = cli(
        capsys, "recuse", str(demo_project), "--expert", str(recused),
        "--dossier", facts.code, "--reason", "与申报单位有合作关系",
    )  # fmt: skip
    assert status == 0, err
    code = ["--dossier", facts.code]
    refused = {
        "请填写调整的理由": [*code, "--add", str(spare), "--reason", " 甲 "],
        "请指明要移出的专家": [*code, "--reason", "调整"],
        f"专家{name[spare]}未分配": [*code, "--remove", str(spare), "--reason", "调整"],
        f"专家{name[facts.started]}已开始评审": [
            *code, "--remove", str(facts.started), "--add", str(spare), "--reason", "调整",
        ],
        f"专家{name[facts.fresh]}已分配": [*code, "--add", str(facts.fresh), "--reason", "调整"],
        "与申报单位有合作关系": [*code, "--add", str(recused), "--reason", "调整"],
        "没有 id 为 99999 的专家": ["--add", "99999", "--dossier", facts.code, "--reason", "调整"],
        "没有编号为 NO-SUCH": ["--dossier", "NO-SUCH", "--add", str(spare), "--reason", "调整"],
    }  # fmt: skip
    for expected, args in refused.items():
        status, err = _change(capsys, demo_project, *args)
        assert status == 2 and expected in err and "Traceback" not in err, (expected, err)
        assert _assignments(demo_project) == before
    status, out, _err = cli(capsys, "assign", "changes", str(demo_project))
    assert status == 0 and "尚无" in out


def test_a_pair_a_conflict_rule_catches_is_refused(
    demo_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    facts = Facts(demo_project)
    spare = facts.outside[2]
    # The expert declares a relation with the dossier's lead applicant (no recusal yet).
    with raw_sql(demo_project) as connection:
        cast = "CAST(:r AS json)" if connection.dialect.name == "postgresql" else ":r"
        connection.execute(
            text(f"UPDATE expert SET relations = {cast} WHERE id = :id"),
            {"r": json.dumps([facts.lead], ensure_ascii=False), "id": spare},
        )
    before = _assignments(demo_project)
    status, err = _change(
        capsys, demo_project, "--dossier", facts.code, "--remove", str(facts.fresh),
        "--add", str(spare), "--reason", "换人",
    )  # fmt: skip
    assert status == 2 and facts.names[spare] in err and facts.lead in err, err
    assert "关联关系" in err  # the rule's reason
    assert _assignments(demo_project) == before
