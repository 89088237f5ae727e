"""The demo's register and material PDFs, written as an agency would receive them: a
filled 申报汇总表.xlsx and a folder of PDFs. The demo project is built by importing them
through the real intake, so the demo exercises the same path as real data."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from review_desk import reference
from review_desk.credit_code import make_code
from review_desk.demo.pdfs import dossier_pdf, scanned_pdf
from review_desk.demo.texts import KIND_NAMES, LEVEL_NAMES, DossierFacts
from review_desk.domain import ApplicantKind
from review_desk.intake.register_format import KIND_TEMPLATE_WORDS
from review_desk.intake.register_rows import default_platform_name
from review_desk.intake.register_template import write_register
from review_desk.paths import data_path

REGISTER_NAME = "申报汇总表.xlsx"
FILES_DIR = "申报材料"

# Registration authority and organisation kind of the credit code, by applicant kind
# (GB 32100-2015): 1x 机构编制 (government, public institutions), 9x 工商 (companies).
_CODE_PREFIX = {
    ApplicantKind.CITY_GOVERNMENT: "11",
    ApplicantKind.DEVELOPMENT_ZONE: "11",
    ApplicantKind.UNIVERSITY: "12",
    ApplicantKind.APPLIED_UNIVERSITY: "12",
    ApplicantKind.VOCATIONAL_COLLEGE: "12",
    ApplicantKind.ENTERPRISE: "91",
    ApplicantKind.SERVICE_PROVIDER: "91",
}
_OUTSIDE_DIVISIONS = {"北京": "110108", "上海": "310115"}
_PILOT = {"in_pool": "已纳入", "applying": "同步申请", None: "未纳入"}
_LOCAL = {"shanxi_subsidiary": "山西子公司", "shanxi_based": "山西本地", None: "无"}
_DOUBLE_HIGH = {"national": "国家级", "provincial": "省级", None: "否"}


def load_demo_source() -> dict[str, Any]:
    """Return the demo project's source data."""
    raw = data_path("demo", "demo_project.json").read_text(encoding="utf-8")
    return json.loads(raw)  # type: ignore[no-any-return]


def credit_code_for(kind: ApplicantKind, city: str, name: str, index: int) -> str:
    """Return the demo applicant's (valid, fictitious) credit code."""
    division = next((c.code for c in reference.cities() if c.name == city), None)
    if division is None:
        division = next((v for k, v in _OUTSIDE_DIVISIONS.items() if k in name), "140100")
    prefix = _CODE_PREFIX[kind]
    org_body = f"MA{index:06d}" if prefix.startswith("9") else f"{10000000 + index * 7919:08d}"
    return make_code(prefix[0], prefix[1], division, org_body)


def export_demo_register(
    folder: Path, rng: random.Random, register_name: str = REGISTER_NAME
) -> tuple[Path, Path]:
    """Write the demo register and PDFs into ``folder``; return (register, files folder)."""
    source = load_demo_source()
    deadline = datetime.fromisoformat(source["project"]["deadline"])
    directions = {d.number: d for d in reference.directions()}
    checklist = reference.checklist()
    applicants: list[dict[str, Any]] = source["applicants"]
    codes = {
        a["name"]: credit_code_for(ApplicantKind(a["kind"]), a["city"], a["name"], i)
        for i, a in enumerate(applicants, start=1)
    }
    files_dir = folder / FILES_DIR
    files_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for index, src in enumerate(applicants):
        kind = ApplicantKind(src["kind"])
        several = len(src["directions"]) > 1
        file_names = []
        for number in src["directions"]:
            direction = directions[number]
            facts = DossierFacts(
                applicant=src["name"],
                kind_label=KIND_NAMES[kind.value],
                city=src["city"],
                direction=direction,
                platform_name=default_platform_name(src["name"], number),
                level_label=LEVEL_NAMES[src["level"]],
                partners=tuple(src["partners"]),
            )
            if src["name"] in source["scanned"]:
                pdf, _pages = scanned_pdf(rng)
            else:
                missing = set(source["missing_sections"].get(src["name"], []))
                pdf, _pages = dossier_pdf(facts, checklist, missing, rng)
            name = (
                f"{src['name']}_{direction.short_name}_申报主体基础资料.pdf"
                if several
                else (f"{src['name']}_申报主体基础资料.pdf")
            )
            (files_dir / name).write_bytes(pdf)
            file_names.append(name)
        received = (
            deadline + timedelta(days=2, hours=3)
            if src["name"] in source["late"]
            else deadline - timedelta(days=rng.randrange(1, 15), minutes=rng.randrange(600))
        )
        rows.append(
            {
                "applicant": src["name"],
                "credit_code": codes[src["name"]],
                "kind": KIND_TEMPLATE_WORDS[kind],
                "city": src["city"],
                "direction": "、".join(directions[n].short_name for n in src["directions"]),
                "level": LEVEL_NAMES[src["level"]],
                "partners": "、".join(f"{p}（{codes[p]}）" for p in src["partners"]),
                "policy_list": "否"
                if "support.policy_list" in source["missing_sections"].get(src["name"], [])
                else "是",
                "pilot_enterprise": _PILOT[src.get("pilot_enterprise_status")]
                if kind is ApplicantKind.ENTERPRISE
                else None,
                "local_presence": _LOCAL[src.get("local_presence")]
                if kind is ApplicantKind.SERVICE_PROVIDER
                else None,
                "majors": "、".join(src.get("major_categories", [])) or None,
                "double_high": _DOUBLE_HIGH[src.get("double_high")]
                if kind is ApplicantKind.VOCATIONAL_COLLEGE
                else None,
                "tech_transfer": ("有" if src.get("major_tech_transfer") else "无")
                if kind is ApplicantKind.UNIVERSITY
                else None,
                "contact_name": rng.choice("王李张刘陈杨赵黄周吴")
                + rng.choice(("老师", "主任", "经理")),
                "contact_phone": f"0351-{rng.randrange(2000000, 9999999)}",
                # Half the rows name their files; the others rely on the naming rule.
                "files": "; ".join(file_names) if index % 2 == 0 and not several else None,
                "received_at": received,
            }
        )
    register = folder / register_name
    write_register(register, rows)
    return register, files_dir
