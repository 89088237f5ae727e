"""The expert pool, the conflict rules and the verifiable draw, the way the agency and
an outsider use them: the pool imported (located errors, all or nothing), conflicts
reported per pair with their reasons and blocking scores when found after assignment,
a draw that reproduces bit for bit from its record, and ``draw verify`` catching a
record edited afterwards with raw SQL."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from review_desk import conflicts, draw, pool, scoring
from review_desk.project import Project
from review_desk.storage import models as m
from tests.backends import raw_sql
from tests.small_project import cli
from tests.support import run_cli

HEADERS = [
    "姓名",
    "工作单位",
    "所在城市",
    "职称",
    "评审方向",
    "对应专业",
    "关联单位或人员",
    "曾任职单位",
]
CLOCK = lambda: datetime(2026, 6, 1, tzinfo=UTC)  # noqa: E731


def _pool_file(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        writer.writerows(rows)
    return path


def _new_experts(count: int, direction: int = 7) -> list[list[str]]:
    return [
        [f"池专家{i:02d}", f"池单位{i:02d}", "晋中市", "教授", str(direction), "新能源材料", "", ""]
        for i in range(count)
    ]


@pytest.fixture
def pooled(demo_project: Path, tmp_path: Path) -> Path:
    """The demo with twelve more experts of direction 7 in its pool (the demo's own
    second panel, five experts, covers direction 7 too: 17 in all)."""
    with Project(demo_project) as project:
        result = pool.import_pool(project, _pool_file(tmp_path / "pool.csv", _new_experts(12)))
        assert result.stored and result.added == 12, result.issues
    return demo_project


def test_the_import_locates_every_problem_and_stores_nothing(
    demo_project: Path, tmp_path: Path
) -> None:
    from review_desk.intake.roster_template import write_roster

    book = tmp_path / "专家库.xlsx"
    code = run_cli("experts", "template", str(book), module="review_desk")
    assert code.returncode == 0, code.stderr
    good = {"name": "周岚", "organisation": "中北大学", "directions": "7、12"}
    write_roster(
        book,
        [
            good,
            {"name": "吴江", "organisation": "太原理工大学", "directions": "7、99"},
            {"name": "郑和", "organisation": "山西大学", "past_employers": "山西农林大学"},
            {"name": "", "organisation": "山西大学", "email": "no-at-sign"},
        ],
    )
    with Project(demo_project) as project:
        before = project.summary().experts
    done = run_cli(
        "experts", "import", str(demo_project), str(book), "--json", module="review_desk"
    )
    assert done.returncode == 1
    issues = json.loads(done.stdout)["issues"]
    located = {(i["sheet"], i["row"], i["letter"], i["column"]) for i in issues}
    assert located == {
        ("专家名单", 4, "I", "评审方向"),
        ("专家名单", 5, "N", "曾任职单位"),
        ("专家名单", 6, "B", "姓名"),
        ("专家名单", 6, "F", "邮箱"),
    }
    assert next(i for i in issues if i["column"] == "评审方向")["value"] == "99"
    with Project(demo_project) as project:
        assert project.summary().experts == before  # all or nothing
    write_roster(book, [good, {**good, "name": "吴江", "past_employers": "山西大学（2024）"}])
    done = run_cli("experts", "import", str(demo_project), str(book), module="review_desk")
    assert done.returncode == 0, done.stdout
    listed = run_cli("experts", "list", str(demo_project), "--json", module="review_desk")
    kept = {e["name"]: e for e in json.loads(listed.stdout)}
    assert kept["周岚"]["directions"] == [7, 12]
    assert kept["吴江"]["past_employers"] == [{"organisation": "山西大学", "until": 2024}]
    assert kept["吴江"]["assigned"] == 0  # the roster's columns are still there


def _dossier_facts(project: Project) -> tuple[int, str, str, str, str]:
    """A dossier with a partner: its id, lead's name, city, the partner, its code."""
    with project.reading() as s:
        partner = s.scalars(select(m.DossierPartner)).first()
        assert partner is not None
        dossier = partner.dossier
        return (
            dossier.id,
            dossier.lead_applicant.name,
            dossier.lead_applicant.city,
            partner.applicant.name,
            dossier.code,
        )


def test_each_rule_catches_its_pairs_with_its_reason(demo_project: Path, tmp_path: Path) -> None:
    with Project(demo_project) as project:
        dossier_id, lead, city, partner, _code = _dossier_facts(project)
        rows = [
            ["甲", lead, "", "", "", "", "", ""],
            ["乙", "无关单位一", "", "", "", "", partner, ""],
            ["丙", "无关单位二", "", "", "", "", "", f"{lead}（2024）"],
            ["丁", "无关单位三", "", "", "", "", "", f"{lead}（2010）"],
            ["戊", "无关单位四", city, "", "", "", "", ""],
        ]
        assert pool.import_pool(project, _pool_file(tmp_path / "p.csv", rows)).stored
        found = [c for c in conflicts.conflicts(project, clock=CLOCK) if c.dossier_id == dossier_id]
        caught = {(c.expert, c.rule) for c in found}
        assert {("甲", "organisation"), ("乙", "relation"), ("丙", "employment")} <= caught
        assert not {n for n, _r in caught} & {"丁", "戊"}  # left long ago; city rule off
        reasons = {r.rule: r.reason for r in conflicts.rules(project)}
        for c in found:
            assert c.reason.startswith(reasons[c.rule]) and c.status == conflicts.BEFORE
        assert lead in next(c.reason for c in found if c.expert == "甲")
        conflicts.set_rule(project, "city", enabled=True)
        conflicts.set_rule(project, "employment", years=20)
        caught = {
            (c.expert, c.rule)
            for c in conflicts.conflicts(project, clock=CLOCK)
            if c.dossier_id == dossier_id
        }
        assert {("戊", "city"), ("丁", "employment")} <= caught
        with pytest.raises(conflicts.ConflictRuleError):
            conflicts.set_rule(project, "city", years=3)


def test_a_conflict_found_after_assignment_blocks_the_scores(
    demo_project: Path, tmp_path: Path
) -> None:
    with Project(demo_project) as project:
        with project.reading() as s:
            scored = {(x.expert_id, x.dossier_id) for x in s.scalars(select(m.ScoreSheet))}
            assignment = next(
                a
                for a in s.scalars(select(m.Assignment))
                if (a.expert_id, a.dossier_id) not in scored
            )
            expert = s.get(m.Expert, assignment.expert_id)
            dossier = s.get(m.Dossier, assignment.dossier_id)
            assert expert is not None and dossier is not None
            name, organisation = expert.name, expert.organisation
            lead, dossier_id = dossier.lead_applicant.name, dossier.id
        scoring.set_score(project, assignment.expert_id, dossier_id, "A1", 5)
    # The expert declares a relation with the applicant after the assignment.
    rows = [[name, organisation, "", "", "", "", lead, ""]]
    done = run_cli(
        "experts", "import", str(demo_project), str(_pool_file(tmp_path / "p.csv", rows)),
        module="review_desk",
    )  # fmt: skip
    # The import itself finds the conflict, warns and records the recusal at once.
    assert done.returncode == 0, done.stdout
    assert "警告：分配后发现回避情形" in done.stdout and lead in done.stdout
    check = run_cli("experts", "conflicts", str(demo_project), "--json", module="review_desk")
    assert check.returncode == 0  # recused already: no warning left
    late = [
        c
        for c in json.loads(check.stdout)["conflicts"]
        if (c["expert_id"], c["dossier_id"]) == (assignment.expert_id, dossier_id)
    ]
    assert [(c["rule"], c["status"]) for c in late] == [("relation", "recused")]
    with Project(demo_project) as project:
        with pytest.raises(scoring.ScoringError):
            scoring.set_score(project, assignment.expert_id, dossier_id, "A1", 6)
        with project.reading() as s:
            recusal = s.scalars(
                select(m.Recusal).where(
                    m.Recusal.expert_id == assignment.expert_id, m.Recusal.dossier_id == dossier_id
                )
            ).one()
            assert recusal.source == "detected" and "分配后发现" in recusal.reason
            assert lead in recusal.reason
            entry = s.scalars(
                select(m.AuditLog)
                .where(m.AuditLog.action == "recusal.detect")
                .order_by(m.AuditLog.id.desc())
            ).first()
            assert entry is not None and entry.after is not None
            assert {"expert": assignment.expert_id, "dossier": dossier_id, "rules": ["relation"],
                    "after_assignment": True} in entry.after["pairs"]  # fmt: skip
    recorded = run_cli("experts", "conflicts", str(demo_project), "--record", module="review_desk")
    assert recorded.returncode == 0, recorded.stderr  # nothing left to record


def test_the_draw_reproduces_from_its_record_and_any_input_changes_it(pooled: Path) -> None:
    with Project(pooled) as project:
        result = draw.run_draw(
            project, public_value="骰子 3-5-2", experts=5, alternates=3, direction=7, clock=CLOCK
        )
        with project.reading() as s:
            row = s.get(m.ExpertDraw, result.id)
            assert row is not None
            record = json.loads(
                json.dumps(
                    {
                        "pool": row.pool,
                        "rules": row.rules,
                        "params": row.params,
                        "public": row.public_value,
                    }
                )
            )
            actions = [
                e.action
                for e in s.scalars(
                    select(m.AuditLog)
                    .where(m.AuditLog.entity == "expert_draw")
                    .order_by(m.AuditLog.id)
                )
            ]
    assert actions == ["draw.commit", "draw.result"]
    assert len(record["pool"]) == 17 and all(7 in p["directions"] for p in record["pool"])
    hashes = draw.input_hashes(record["pool"], record["rules"], record["params"], record["public"])
    assert hashes == result.hashes
    expected = (result.selected, result.alternates)
    assert draw.compute(hashes["seed"], record["pool"], record["params"]) == expected
    assert len(set(result.selected + result.alternates)) == 8

    def outcome(pool_: list, rules: list, params: dict, public: str) -> tuple[list[int], list[int]]:
        seed = draw.input_hashes(pool_, rules, params, public)["seed"]
        return draw.compute(seed, pool_, params)

    base = (record["pool"], record["rules"], record["params"], record["public"])
    assert outcome(*base) == expected
    one_less = [p for p in record["pool"] if p["id"] != result.alternates[-1]]
    other_field = [dict(record["pool"][0], majors=["化工"]), *record["pool"][1:]]
    city_on = [dict(r, enabled=True) if r["rule"] == "city" else r for r in record["rules"]]
    for changed in (
        (one_less, *base[1:]),
        (other_field, *base[1:]),
        (base[0], city_on, *base[2:]),
        (*base[:2], dict(record["params"], label="第二组"), base[3]),
        (*base[:3], "骰子 3-5-3"),
    ):
        assert outcome(*changed) != expected, changed[1:]
    # The same through the project: a rule or the public value changed, another result.
    with Project(pooled) as project:
        again = draw.run_draw(
            project, public_value="骰子 3-5-3", experts=5, alternates=3, direction=7
        )
        assert (again.selected, again.alternates) != expected
        conflicts.set_rule(project, "city", enabled=True)
        third = draw.run_draw(
            project, public_value="骰子 3-5-2", experts=5, alternates=3, direction=7
        )
        assert third.hashes["rules"] != result.hashes["rules"]
        assert (third.selected, third.alternates) != expected
        checks, chain = draw.verify(project)
        assert chain.intact and [c.problems for c in checks] == [[], [], []]


def test_refusals_are_filled_from_the_alternates_in_drawn_order(
    pooled: Path, tmp_path: Path
) -> None:
    run = run_cli(
        "draw", "run", str(pooled), "--direction", "7", "--experts", "5", "--alternates", "2",
        "--public-value", "2026-06-01 上证指数收盘 3321.45", "--json", module="review_desk",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    first, second = result["selected"][1], result["selected"][3]
    for expert in (first, second):
        refused = run_cli(
            "draw", "refuse", str(pooled), "--draw", str(result["id"]), "--expert", str(expert),
            "--reason", "时间冲突", module="review_desk",
        )  # fmt: skip
        assert refused.returncode == 0, refused.stderr
    not_on_panel = run_cli(
        "draw", "refuse", str(pooled), "--draw", str(result["id"]), "--expert", str(first),
        "--reason", "再次拒绝", module="review_desk",
    )  # fmt: skip
    assert not_on_panel.returncode == 2
    with Project(pooled) as project:
        kept = draw.draw(project, result["id"])
    assert [r["replacement"] for r in kept.refusals] == result["alternates"]
    panel = list(result["selected"])
    panel[1], panel[3] = result["alternates"]
    assert kept.members == panel
    assert run_cli("draw", "verify", str(pooled), module="review_desk").returncode == 0
    pdf = tmp_path / "抽取记录.pdf"
    printed = run_cli(
        "draw", "record", str(pooled), "--draw", str(result["id"]), "--out", str(pdf),
        module="review_desk",
    )  # fmt: skip
    assert printed.returncode == 0, printed.stderr
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 2000


def _draw_once(project_path: Path) -> dict[str, Any]:
    run = run_cli(
        "draw", "run", str(project_path), "--direction", "7", "--experts", "4",
        "--alternates", "2", "--public-value", "361", "--json", module="review_desk",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    verified = run_cli("draw", "verify", str(project_path), module="review_desk")
    assert verified.returncode == 0, verified.stdout
    return dict(json.loads(run.stdout))


def test_verify_names_a_draw_whose_public_value_was_edited(pooled: Path) -> None:
    result = _draw_once(pooled)
    with raw_sql(pooled) as connection:
        connection.execute(
            text("UPDATE expert_draw SET public_value = :v WHERE id = :id"),
            {"v": "362", "id": result["id"]},
        )
    verified = run_cli("draw", "verify", str(pooled), module="review_desk")
    assert verified.returncode == 1
    assert f"Draw {result['id']}" in verified.stdout or f"抽取 {result['id']}" in verified.stdout
    assert "public value" in verified.stdout or "公开随机值" in verified.stdout
    with Project(pooled) as project:
        assert not draw.check_draw(project, int(result["id"])).matches


def test_verify_names_a_draw_whose_result_was_edited(pooled: Path) -> None:
    result = _draw_once(pooled)
    selected = list(result["selected"])
    swapped = json.dumps([*selected[1:], result["alternates"][0]])
    with raw_sql(pooled) as connection:
        cast = "CAST(:v AS json)" if connection.dialect.name == "postgresql" else ":v"
        connection.execute(
            text(f"UPDATE expert_draw SET selected = {cast} WHERE id = :id"),
            {"v": swapped, "id": result["id"]},
        )
    verified = run_cli("draw", "verify", str(pooled), "--json", module="review_desk")
    assert verified.returncode == 1
    (check,) = json.loads(verified.stdout)["draws"]
    assert check["draw"] == result["id"] and not check["matches"]
    assert len(check["problems"]) == 1  # the result, and nothing else


def test_a_draw_needs_enough_eligible_experts(pooled: Path) -> None:
    with Project(pooled) as project:
        with pytest.raises(draw.DrawError, match="17"):
            draw.run_draw(project, public_value="1", experts=15, alternates=3, direction=7)
        with pytest.raises(draw.DrawError):
            draw.run_draw(project, public_value=" ", experts=1, direction=7)
        with project.reading() as s:
            assert s.scalar(select(func.count(m.ExpertDraw.id))) == 0


def _panel(project_path: Path, name: str) -> tuple[list[int], int | None, list[int]]:
    """A panel's members, leader and directions."""
    with Project(project_path) as project, project.reading() as s:
        panel = s.scalars(select(m.Panel).where(m.Panel.name == name)).one()
        return (
            [p.expert_id for p in panel.members],
            panel.leader_id,
            [d.direction_id for d in panel.directions],
        )


def test_a_draw_for_a_panel_fills_it_and_a_refusal_swaps_in_the_alternate(
    pooled: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["draw", "run", str(pooled), "--direction", "7", "--experts", "4",
            "--alternates", "2", "--public-value", "骰子 6-1-4", "--json"]  # fmt: skip
    status, out, err = cli(capsys, *args, "--panel", "新能源抽取组")
    assert status == 0, err
    result = json.loads(out)
    assert result["params"]["panel"] == "新能源抽取组"
    members, leader, directions = _panel(pooled, "新能源抽取组")
    assert sorted(members) == sorted(result["selected"]) and leader == result["selected"][0]
    assert directions == [7]
    # The panel's name is one of the hashed inputs: without it, another seed.
    status, out, err = cli(capsys, *args)
    assert status == 0, err
    assert json.loads(out)["hashes"]["params"] != result["hashes"]["params"]

    leading = result["selected"][0]
    status, _out, err = cli(
        capsys, "draw", "refuse", str(pooled), "--draw", str(result["id"]),
        "--expert", str(leading), "--reason", "出差",
    )  # fmt: skip
    assert status == 0, err
    members, leader, _directions = _panel(pooled, "新能源抽取组")
    assert sorted(members) == sorted([result["alternates"][0], *result["selected"][1:]])
    assert leader == result["alternates"][0]  # the replacement takes the leader's place
    assert cli(capsys, "draw", "verify", str(pooled))[0] == 0

    # Drawn again for the same panel: its members are replaced by the new draw's.
    status, out, err = cli(capsys, *args[:-2], "骰子 2-2-5", "--json", "--panel", "新能源抽取组")
    assert status == 0, err
    again = json.loads(out)
    members, leader, _directions = _panel(pooled, "新能源抽取组")
    assert sorted(members) == sorted(again["selected"]) and leader in again["selected"]
    status, out, err = cli(capsys, "draw", "verify", str(pooled), "--json")
    assert status == 0, out
    assert [c["matches"] for c in json.loads(out)["draws"]] == [True, True, True]


def test_a_draw_without_a_panel_keeps_the_parameters_of_older_draws(
    pooled: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Draws made before ``--panel`` existed have no "panel" parameter; one made without
    a panel has none either, so both hash and verify as they always did."""
    with Project(pooled) as project:
        with project.reading() as s:
            panels = s.scalar(select(func.count(m.Panel.id)))
        result = draw.run_draw(project, public_value="17", experts=3, direction=7, clock=CLOCK)
    assert set(result.params) == {"direction", "fields", "experts", "alternates", "round", "label"}
    status, out, err = cli(capsys, "draw", "verify", str(pooled))
    assert status == 0, out + err
    with Project(pooled) as project:
        fields = ["新能源材料"]
        with pytest.raises(draw.DrawError, match="--direction"):
            draw.run_draw(project, public_value="18", experts=3, fields=fields, panel="新组")
        with pytest.raises(draw.DrawError):
            draw.run_draw(project, public_value="18", experts=3, direction=7, panel=" ")
        with project.reading() as s:
            assert s.scalar(select(func.count(m.Panel.id))) == panels
            assert s.scalar(select(func.count(m.ExpertDraw.id))) == 1
