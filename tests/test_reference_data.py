"""Reference data against the notice (../shared/seed, 附件1, 附件3, 三、揭榜参考条件)."""

from __future__ import annotations

import json
import subprocess
import sys

from review_desk import reference
from review_desk.domain import ApplicantKind


def test_thirty_directions_in_order() -> None:
    directions = reference.directions()
    assert [d.number for d in directions] == list(range(1, 31))
    assert all(d.name.endswith("产教融合平台载体和实训基地") for d in directions)
    assert len({d.name for d in directions}) == 30


def test_direction_spot_checks() -> None:
    by_number = {d.number: d for d in reference.directions()}
    assert by_number[1].name == "智能建造产教融合平台载体和实训基地"
    assert by_number[1].majors == ("土木建筑大类",)
    # The notice writes these two differently; we keep what it says.
    assert by_number[7].majors == ("资源与安全大类", "能源动力与材料大类")
    assert by_number[13].majors == ("资源环境与安全大类",)
    assert by_number[7].focus_areas == ("风能", "光伏", "太阳能", "生物质能", "氢能")
    assert by_number[8].focus_areas == ("半导体", "光电", "计算机（信创）")
    assert by_number[23].majors == (
        "财经商贸大类",
        "旅游大类",
        "公共管理与服务大类",
        "医药卫生大类",
        "教育与体育大类",
    )
    assert by_number[27].focus_areas == ("农产品精深加工十大产业集群",)
    assert by_number[28].focus_areas == () and by_number[28].majors == ("教育与体育大类",)
    assert by_number[29].majors == ("水利大类",)
    assert by_number[30].name == "其它产业类型产教融合平台载体和实训基地"
    assert by_number[30].focus_areas == () and by_number[30].majors == ()
    assert by_number[16].short_name == "智能电网和电力加工"


def test_checklist_follows_annex_3() -> None:
    items = reference.checklist()
    assert [i.key for i in items][:1] == ["profile"]
    plan = [i.title for i in items if i.key.startswith("plan.")]
    assert plan == [
        "建设的必要性和可行性",
        "建设思路",
        "建设目标",
        "重点建设任务",
        "经费预算",
        "建设进度",
        "预期效益",
        "保障措施",
    ]
    support = [i.short_title for i in items if i.key.startswith("support.")]
    assert support == ["政策清单", "土地及物理空间证明", "合作协议", "真实性承诺"]
    assert len(items) == 13


def test_eligibility_rules_cover_every_clause() -> None:
    rules = reference.eligibility_rules()
    assert {r.clause for r in rules} == {"1", "2", "3", "4", "5", "6"}
    assert {r.check for r in rules} == {"machine", "expert"}
    kinds = {k.value for k in ApplicantKind} | {"all"}
    for rule in rules:
        assert set(rule.applies_to) <= kinds, rule.id
        if rule.check == "machine":
            assert rule.fact, rule.id
    policy = next(r for r in rules if r.clause == "1")
    assert policy.applies_to == ("all",) and policy.check == "machine"


def test_quota_rules() -> None:
    quotas = reference.quota_rules()
    assert quotas.provincial_target == 10
    assert quotas.per_direction_cap == 2


def test_eleven_cities() -> None:
    cities = reference.cities()
    assert len(cities) == 11
    assert {c.name for c in cities} >= {"太原市", "大同市", "吕梁市", "运城市"}


def test_cli_directions_json() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "review_desk", "directions", "--json"],
        capture_output=True,
        check=True,
    )
    data = json.loads(result.stdout.decode("utf-8"))
    assert len(data) == 30
    assert set(data[0]) >= {"number", "name", "focus_areas", "majors"}
    assert data[6]["majors"] == ["资源与安全大类", "能源动力与材料大类"]
