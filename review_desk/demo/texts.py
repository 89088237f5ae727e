"""Chinese text of the demo dossiers, laid out as 附件3 asks, generated from templates."""

from __future__ import annotations

import random
from dataclasses import dataclass

from review_desk.reference import ChecklistItem, DirectionInfo

# Dossier documents are official Chinese documents whatever the UI language is, so
# their vocabulary is fixed here rather than going through the UI translation.
KIND_NAMES = {
    "city_government": "市人民政府",
    "enterprise": "行业骨干企业",
    "university": "普通本科高校",
    "applied_university": "应用型本科高校",
    "vocational_college": "高职高专院校",
    "development_zone": "开发区",
    "service_provider": "专业服务商",
}
LEVEL_NAMES = {"provincial": "省级", "municipal": "市级", "county": "县级"}


@dataclass(frozen=True)
class DossierFacts:
    """What the text of one demo dossier is about."""

    applicant: str
    kind_label: str
    city: str
    direction: DirectionInfo
    platform_name: str
    level_label: str
    partners: tuple[str, ...]


def _focus(direction: DirectionInfo) -> str:
    return "、".join(direction.focus_areas) if direction.focus_areas else direction.short_name


def _majors(direction: DirectionInfo) -> str:
    return "、".join(direction.majors) if direction.majors else "相关专业（群）"


def section_paragraphs(item: ChecklistItem, facts: DossierFacts, rng: random.Random) -> list[str]:
    """Return the paragraphs of one checklist item for a dossier."""
    d = facts.direction
    place = facts.city or "山西省"
    partners = "、".join(facts.partners) if facts.partners else "省内相关职业院校和行业骨干企业"
    area = rng.randrange(8, 60) * 1000
    budget = rng.randrange(30, 180) * 100
    trainees = rng.randrange(20, 90) * 100
    stations = rng.randrange(12, 60)
    texts = {
        "profile": [
            f"{facts.applicant}（{facts.kind_label}）位于{place}，长期深耕{d.short_name}领域，"
            f"在{_focus(d)}等方面形成了较为完整的技术积累和人才培养体系。",
            f"本次联合{partners}共同揭榜，申报{facts.level_label}"
            f"“{facts.platform_name}”，对接{_majors(d)}。",
        ],
        "plan.necessity": [
            f"{d.short_name}是我省重点发展的产业集群方向。当前{place}相关企业技术技能人才缺口约"
            f"{trainees // 10}人，人才供给与产业需求之间存在结构性矛盾，"
            "建设产教融合实训基地十分必要。",
            "申报主体具备场地、设备、师资和合作企业等基础条件，地方政府已出台支持政策，项目具备可行性。",
        ],
        "plan.approach": [
            "坚持“政府引导、企业主导、院校参与、市场运作”的思路，按照共建、共享、共管的原则，"
            "打造集实践教学、社会培训、技术研发、技能鉴定于一体的综合性平台。",
        ],
        "plan.goals": [
            f"用三年时间，建成实训工位{stations * 10}个，年培训能力{trainees}人次，"
            f"开发{_focus(d)}方向课程包{stations // 3}个，形成可复制推广的产教融合模式。",
        ],
        "plan.tasks": [
            f"（1）建设{_focus(d)}实训中心；（2）共建产业学院和订单班；"
            "（3）建设“双师型”教师培训基地；（4）搭建技术研发与成果转化平台；（5）建设共享运行管理信息系统。",
        ],
        "plan.budget": [
            f"项目总投资{budget}万元，其中设备购置{budget * 55 // 100}万元，"
            f"场地改造{budget * 25 // 100}万元，"
            f"课程与师资建设{budget * 12 // 100}万元，运行维护{budget - budget * 92 // 100}万元。",
            "资金来源包括申报主体自筹、合作企业投入和地方政府配套资金。",
        ],
        # Dated entries, one per milestone of the one-year pilot (see review_desk.pilot_plan).
        "plan.schedule": [
            f"（1）2022年{5 + stations % 2}月底前：完成实训场地改造和设备招标采购；"
            "（2）2022年9月：完成设备安装调试，开展试运行；"
            f"（3）2022年12月底前：建成实训工位{stations * 10}个，开发课程包{stations // 3}个；"
            f"（4）2023年3月：开展首期社会培训{trainees // 10}人次，"
            "完成试点培育总结和认定申请准备。",
        ],
        "plan.benefits": [
            f"项目建成后，每年可为区域产业输送技术技能人才{trainees // 4}人，"
            "带动相关企业提质增效，显著提升区域产业人才供给能力。",
        ],
        "plan.safeguards": [
            "成立由主要负责同志任组长的建设领导小组，建立专班推进、定期调度、绩效考核机制，"
            "落实资金、场地和人员保障。",
        ],
        "support.policy_list": [
            f"{place.replace('山西省', '')}人民政府支持建设产教融合重大平台载体和实训基地的"
            "政策清单："
            "一、土地、规划政策；二、申报建设与运行管理政策；三、配套政策。（详见附件）",
        ],
        "support.land_space": [
            f"项目建设场地位于{place}，建筑面积约{area}平方米，产权清晰，已取得不动产权证书"
            "（或签订长期租赁、合作协议）。",
        ],
        "support.agreements": [
            f"{facts.applicant}与{partners}签订“政企行校”合作协议，明确各方出资比例、权利义务和运行机制。",
        ],
        "support.authenticity": [
            "本单位承诺所提交的全部材料真实、准确、完整，自愿落实《山西省产教融合重大平台载体和实训基地"
            "建设实施方案》要求，按照改革路径，承担改革任务，持续稳定推进建设运行。",
        ],
    }
    return texts[item.key]


def report_paragraphs(item: ChecklistItem, facts: DossierFacts, rng: random.Random) -> list[str]:
    """Return the paragraphs of one item of a base's construction report (建设情况报告)
    for the recognition round (认定验收)."""
    d = facts.direction
    place = facts.city or "山西省"
    stations = rng.randrange(12, 60) * 10
    trainees = rng.randrange(20, 90) * 100
    budget = rng.randrange(30, 180) * 100
    spent = budget * rng.randrange(78, 99) // 100
    companies = rng.randrange(6, 30)
    texts = {
        "report.goals": [
            f"试点培育期内，“{facts.platform_name}”按照揭榜时确定的建设目标推进建设，"
            f"已建成实训工位{stations}个，年培训能力达到{trainees}人次，"
            f"{_focus(d)}方向课程包开发完成率约{rng.randrange(80, 101)}%。",
        ],
        "report.tasks": [
            f"（1）{_focus(d)}实训中心建成并投入使用；（2）与{companies}家企业共建产业学院和订单班；"
            "（3）“双师型”教师培训基地完成首轮培训；（4）技术研发与成果转化平台开展横向项目；"
            "（5）共享运行管理信息系统上线运行。",
        ],
        "report.funds": [
            f"项目计划总投资{budget}万元，实际到位{spent}万元，到位率"
            f"{spent * 100 // budget}%；其中地方政府配套、申报主体自筹和合作企业投入均按协议拨付。",
            "资金实行专账核算、专款专用，已委托会计师事务所开展专项审计。",
        ],
        "report.mechanism": [
            "建立“政企行校”理事会和基地管理办公室，制定设备管理、共享预约、安全生产、"
            "绩效考核等管理制度，形成共建、共享、共管的运行机制。",
        ],
        "report.outcomes": [
            f"累计开展实训{trainees * 2}人次、社会培训{trainees // 2}人次，"
            f"对接{_majors(d)}，为{place}相关企业输送技术技能人才{trainees // 5}人，"
            f"面向{companies}家企业提供技术服务。",
        ],
        "report.problems": [
            "存在的主要问题：部分高端设备利用率不高，企业深度参与教学的长效机制仍需完善。"
            "整改措施：扩大共享开放范围，完善企业参与激励办法，建立设备使用月度通报制度。",
        ],
        "report.plan": [
            "下一步将持续推进建设运行，扩大实训规模，深化“政企行校”合作，"
            "力争形成可复制推广的产教融合典型经验。",
        ],
        "evidence.funds_audit": [
            f"会计师事务所出具的经费使用专项审计报告：项目资金{spent}万元，使用规范，未发现重大问题。",
        ],
        "evidence.regulations": [
            "《基地管理办法》《设备管理制度》《共享预约管理办法》《安全生产管理制度》《绩效考核办法》。",
        ],
        "support.authenticity": [
            "本单位承诺所提交的建设情况报告及佐证材料真实、准确、完整，如有不实，自愿承担相应责任。",
        ],
    }
    return texts[item.key]
