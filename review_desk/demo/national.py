"""A synthetic national-scale project for benchmarks and tests; not the demo.

``build_national`` creates a real project (``Project.create``, the notice's 30
directions, a 30-criterion rubric) and bulk-loads it with sqlite3 ``executemany``:
applicants of the kinds the notice admits, in the cities of Shanxi, a minority with
the facts that earn bonus points; dossiers over the directions, mostly for the
provincial level; a formal review that most pass; per direction, panels of 5 to 7
experts (no expert in two panels), each dossier scored by ``experts_per_dossier``
members of its panel (so the designs are incomplete); scores only for the criteria
that apply to the lead applicant's kind, on each criterion's step within [0, max];
a few vetoes, some sheets left as drafts, some dossiers with no submitted sheet.

How the scores are made. Each dossier has a quality, varied per stage and per
criterion: that gives the panel's consensus points for each criterion. Experts apply
the rubric's bands consistently, so an expert's points equal the consensus except on
a few borderline criteria (``disagreement``: the chance, per criterion, of one step
up or down, leaning up for a lenient expert and down for a severe one); and a few
sheets (``outliers``) misjudge the whole dossier by 15-30 %.

Why so much agreement: the default deviation test (an expert's total more than 2
sample standard deviations of the other experts' from their mean, with 3 or more
others) flags, for any independent continuous disagreement between experts, about
17 % of the totals whatever its size (with 4 others the gap over the others' SD is
1.118 x a Student t with 3 degrees of freedom, and P(|t_3| > 1.789) = 0.172). A rate
of a few per cent needs experts who give the same points on nearly every criterion;
``disagreement=0.05`` shows the 17 % plateau.
"""

from __future__ import annotations

import copy
import importlib
import json
import sqlite3
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from review_desk.credit_code import make_code
from review_desk.project import Project
from review_desk.rubrics import default_rubric_text, use_rubric
from scoring_models.rubric import Rubric
from scoring_models.rubric_toml import dump_rubric

ACTOR = "全国规模数据生成"
SEED = 20221128
DOSSIERS_PER_PANEL = 120  # about what a panel of 5-7 can score in a round
SHEETS_PER_BLOCK = 20_000  # sheets whose scores are inserted at once
NOW = "2022-01-20 01:00:00.000000"  # naive UTC, as the models store timestamps

# The kinds the notice admits (review_desk.domain.ApplicantKind) and their share.
KINDS = {
    "vocational_college": 0.36,
    "enterprise": 0.30,
    "university": 0.14,
    "applied_university": 0.08,
    "service_provider": 0.05,
    "development_zone": 0.04,
    "city_government": 0.03,
}
KIND_NAMES = {
    "vocational_college": "职业技术学院",
    "enterprise": "集团有限公司",
    "university": "大学",
    "applied_university": "学院",
    "service_provider": "科技服务有限公司",
    "development_zone": "经济技术开发区管委会",
    "city_government": "人民政府",
}
# Cities of Shanxi (data/reference/cities.json) with a rough share of applicants.
CITIES = {
    "太原市": ("140100", 0.28),
    "大同市": ("140200", 0.08),
    "阳泉市": ("140300", 0.04),
    "长治市": ("140400", 0.09),
    "晋城市": ("140500", 0.07),
    "朔州市": ("140600", 0.04),
    "晋中市": ("140700", 0.10),
    "运城市": ("140800", 0.10),
    "忻州市": ("140900", 0.06),
    "临汾市": ("141000", 0.08),
    "吕梁市": ("141100", 0.06),
}
NAME_WORDS = ("工业", "信息", "能源", "煤炭", "交通", "建筑", "财贸", "农业", "医药", "旅游")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "建国立新秀梅志强海燕晓明文华丽娟卫东永红军平玉兰云飞"
ORGANISATIONS = (
    "太原理工大学",
    "山西大学",
    "中北大学",
    "山西财经大学",
    "山西省工业和信息化研究院",
    "晋能控股集团",
    "太钢集团",
    "山西省职业技术教育研究中心",
)
VETO_REASON = "经核实，申报材料与事实不符。"


@dataclass
class NationalSummary:
    """What was built: counts, the mix of applicant kinds, the build time."""

    path: Path
    applicants: int
    dossiers: int
    experts: int
    panels: int
    sheets_submitted: int
    sheets_draft: int
    scores: int
    formal_failed: int
    unscored_passed: int
    vetoed_dossiers: int
    kinds: dict[str, int] = field(default_factory=dict)
    totals_rebuilt: bool = False
    seconds: float = 0.0


def thirty_criteria_rubric() -> str:
    """The default rubric with each of its 15 criteria split in two: 30 criteria (each
    half keeps the criterion's maximum, step and applicability)."""
    source = tomllib.loads(default_rubric_text())
    source["rubric"]["id"] += "-national"
    source["rubric"]["name"] += "（全国规模：30项）"
    for group in source["group"]:
        group["criterion"] = [
            {**copy.deepcopy(c), "id": c["id"] + suffix, "name": c["name"] + suffix}
            for c in group["criterion"]
            for suffix in ("a", "b")
        ]
    return dump_rubric(source)


def build_national(
    path: str | Path,
    *,
    dossiers: int = 50_000,
    experts_per_dossier: int = 5,
    seed: int = SEED,
    disagreement: float = 0.003,
    outliers: float = 0.02,
) -> NationalSummary:
    """Create a national-shaped project at ``path`` (a new file) and return what was
    built. Deterministic for a given seed."""
    if experts_per_dossier < 1 or dossiers < 1:
        raise ValueError("dossiers and experts_per_dossier must be at least 1")
    start = time.perf_counter()
    path = Path(path)
    project = Project.create(path, name="全国规模测试项目", round_name="全国规模", actor=ACTOR)
    try:
        rubric = use_rubric(project, thirty_criteria_rubric(), actor=ACTOR)
    finally:
        project.close()
    rng = np.random.default_rng(seed)
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA synchronous=OFF")
        directions = [row[0] for row in db.execute("SELECT id FROM direction ORDER BY id")]
        shorts = dict(db.execute("SELECT id, short_name FROM direction").fetchall())
        plan = _plan(rng, dossiers, experts_per_dossier, directions)
        with db:
            _insert_applicants(db, rng, plan)
            _insert_dossiers(db, rng, plan)
            _insert_formal_review(db, plan)
            _insert_panels(db, rng, plan, shorts)
            scores = _insert_sheets_and_scores(db, rng, plan, rubric, disagreement, outliers)
            vetoed = _insert_vetoes(db, rng, plan, rubric)
        db.execute("ANALYZE")
    finally:
        db.close()
    rebuilt = _rebuild_totals(path)
    kinds, counts = np.unique(plan.kind[plan.lead], return_counts=True)
    return NationalSummary(
        path=path,
        applicants=len(plan.kind),
        dossiers=dossiers,
        experts=plan.experts,
        panels=len(plan.panel_members),
        sheets_submitted=int(plan.submitted.sum()),
        sheets_draft=int((~plan.submitted).sum()),
        scores=scores,
        formal_failed=int((plan.verdict == "failed").sum()),
        unscored_passed=int(plan.unscored.sum()),
        vetoed_dossiers=vetoed,
        kinds={str(k): int(n) for k, n in zip(kinds, counts, strict=True)},
        totals_rebuilt=rebuilt,
        seconds=time.perf_counter() - start,
    )


@dataclass
class _Plan:
    """The generated structure, as arrays (index = id - 1 unless said otherwise)."""

    kind: np.ndarray  # per applicant
    city: np.ndarray  # per applicant, index into CITIES
    lead: np.ndarray  # per dossier: index of its lead applicant
    direction: np.ndarray  # per dossier: direction id
    verdict: np.ndarray  # per dossier: passed, failed
    unscored: np.ndarray  # per dossier: passed, but no sheet submitted
    panel: np.ndarray  # per dossier: panel index (-1: not sent to experts)
    panel_members: list[list[int]]  # expert ids per panel
    panel_direction: list[int]
    experts: int
    sheet_dossier: np.ndarray  # per sheet: dossier index
    sheet_expert: np.ndarray  # per sheet: expert id
    submitted: np.ndarray  # per sheet


def _plan(rng: np.random.Generator, dossiers: int, per: int, directions: list[int]) -> _Plan:
    """Draw applicants, dossiers, verdicts, panels and who scores what."""
    # Most applicants lead one dossier; some lead a second one in another direction.
    applicants = max(1, round(dossiers * 0.92))
    kind = rng.choice(list(KINDS), size=applicants, p=list(KINDS.values()))
    shares = np.array([share for _code, share in CITIES.values()])
    city = rng.choice(len(CITIES), size=applicants, p=shares / shares.sum())
    second = rng.choice(applicants, size=dossiers - applicants, replace=dossiers > 2 * applicants)
    lead = np.concatenate([np.arange(applicants), second])
    popularity = rng.gamma(4.0, size=len(directions))
    direction = rng.choice(directions, size=dossiers, p=popularity / popularity.sum())
    first = dict(zip(lead[:applicants].tolist(), direction[:applicants].tolist(), strict=True))
    for i in range(applicants, dossiers):  # a second dossier: another direction
        while direction[i] == first[int(lead[i])]:
            direction[i] = rng.choice(directions)
    verdict = np.where(rng.random(dossiers) < 0.02, "failed", "passed")
    unscored = (verdict == "passed") & (rng.random(dossiers) < 0.002)
    panel = np.full(dossiers, -1)
    members: list[list[int]] = []
    panel_direction: list[int] = []
    next_expert = 1
    for d in directions:
        scored = np.flatnonzero((direction == d) & (verdict == "passed"))
        if not len(scored):
            continue
        count = max(1, round(len(scored) / DOSSIERS_PER_PANEL))
        shuffled = rng.permutation(scored)
        for k in range(count):
            size = max(per, int(rng.integers(5, 8)))
            members.append(list(range(next_expert, next_expert + size)))
            panel_direction.append(d)
            next_expert += size
            panel[shuffled[k::count]] = len(members) - 1
    # Each dossier sent to experts: ``per`` members of its panel, drawn at random.
    sent = np.flatnonzero(panel >= 0)
    sizes = np.array([len(m) for m in members])
    firsts = np.array([m[0] for m in members])
    widest = int(sizes.max()) if len(sizes) else per
    keys = rng.random((len(sent), widest))
    keys[np.arange(widest)[None, :] >= sizes[panel[sent]][:, None]] = np.inf
    seats = np.sort(np.argsort(keys, axis=1)[:, :per], axis=1)
    sheet_dossier = np.repeat(sent, per)
    sheet_expert = (firsts[panel[sent]][:, None] + seats).ravel()
    submitted = ~unscored[sheet_dossier] & (rng.random(len(sheet_dossier)) >= 0.01)
    return _Plan(
        kind=kind,
        city=city,
        lead=lead,
        direction=direction,
        verdict=verdict,
        unscored=unscored,
        panel=panel,
        panel_members=members,
        panel_direction=panel_direction,
        experts=next_expert - 1,
        sheet_dossier=sheet_dossier,
        sheet_expert=sheet_expert,
        submitted=submitted,
    )


def _insert_applicants(db: sqlite3.Connection, rng: np.random.Generator, plan: _Plan) -> None:
    """Applicants with names, credit codes, cities and the facts the rules read."""
    n = len(plan.kind)
    city_names = list(CITIES)
    draw = rng.random(n)
    double_high = np.where(
        plan.kind == "vocational_college",
        np.where(draw < 0.04, "national", np.where(draw < 0.16, "provincial", "")),
        "",
    )
    transfer_share = np.vectorize(
        {"university": 0.20, "applied_university": 0.10, "enterprise": 0.05}.get
    )(plan.kind, 0.0)
    transfer = rng.random(n) < transfer_share
    pilot = np.where(rng.random(n) < 0.75, "in_pool", "applying")
    presence = rng.choice(
        ["shanxi_subsidiary", "shanxi_based", "global500_local_team"], size=n, p=[0.6, 0.3, 0.1]
    )
    words = rng.choice(NAME_WORDS, size=n)

    def rows() -> Iterator[tuple[Any, ...]]:
        for i in range(n):
            kind, city = str(plan.kind[i]), city_names[int(plan.city[i])]
            division = CITIES[city][0]
            public = kind in ("vocational_college", "university", "applied_university")
            code = make_code("1" if public else "9", "2" if public else "1", division, f"N{i:07d}")
            yield (
                i + 1,
                f"{city[:-1]}{words[i]}{KIND_NAMES[kind]}（{i + 1:05d}）",
                code,
                kind,
                city,
                pilot[i] if kind == "enterprise" else None,
                presence[i] if kind == "service_provider" else None,
                double_high[i] or None,
                bool(transfer[i]),
            )

    db.executemany(
        "INSERT INTO applicant (id, name, credit_code, kind, city, in_shanxi, "
        "pilot_enterprise_status, local_presence, double_high, major_tech_transfer, "
        "major_categories, contact_name, contact_phone) "
        "VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?, '[]', '联系人', '0351-0000000')",
        rows(),
    )


def _insert_dossiers(db: sqlite3.Connection, rng: np.random.Generator, plan: _Plan) -> None:
    """Dossiers: code per direction, mostly for the provincial level."""
    levels = rng.choice(["provincial", "municipal", "county"], len(plan.lead), p=[0.8, 0.15, 0.05])
    sequence: dict[int, int] = {}

    def rows() -> Iterator[tuple[Any, ...]]:
        for i, (lead, direction) in enumerate(
            zip(plan.lead.tolist(), plan.direction.tolist(), strict=True)
        ):
            sequence[direction] = sequence.get(direction, 0) + 1
            yield (
                i + 1,
                f"SX-{direction:02d}-{sequence[direction]:05d}",
                f"产教融合实训基地{i + 1}",
                lead + 1,
                direction,
                str(levels[i]),
                NOW,
            )

    db.executemany(
        "INSERT INTO dossier (id, code, platform_name, lead_applicant_id, direction_id, "
        "requested_level, has_policy_list, received_at, status) "
        "VALUES (?, ?, ?, ?, ?, ?, 1, ?, 'received')",
        rows(),
    )


def _insert_formal_review(db: sqlite3.Connection, plan: _Plan) -> None:
    """One formal review per dossier with its verdict."""
    db.executemany(
        "INSERT INTO formal_review (dossier_id, department, checks, verdict, reviewed_at, "
        "reviewer) VALUES (?, '山西省发展和改革委员会', '[]', ?, ?, '形式审查组')",
        ((i + 1, str(v), NOW) for i, v in enumerate(plan.verdict)),
    )


def _insert_panels(
    db: sqlite3.Connection, rng: np.random.Generator, plan: _Plan, shorts: dict[int, str]
) -> None:
    """Experts, panels (leader: the first member), their directions and members, and
    the assignments of the dossiers to the experts who score them."""
    given = rng.choice(list(GIVEN), size=(plan.experts, 2))
    surnames = rng.choice(list(SURNAMES), size=plan.experts)
    organisations = rng.choice(ORGANISATIONS, size=plan.experts)
    expert_direction = {
        e: d for m, d in zip(plan.panel_members, plan.panel_direction, strict=True) for e in m
    }
    db.executemany(
        "INSERT INTO expert (id, name, organisation, field, phone, email) "
        "VALUES (?, ?, ?, ?, '', '')",
        (
            (
                e,
                f"{surnames[e - 1]}{''.join(given[e - 1])}",
                organisations[e - 1],
                shorts[expert_direction[e]],
            )
            for e in range(1, plan.experts + 1)
        ),
    )
    seen: dict[int, int] = {}
    names = []
    for d in plan.panel_direction:
        seen[d] = seen.get(d, 0) + 1
        names.append(f"{shorts[d]}第{seen[d]}组")
    db.executemany(
        "INSERT INTO panel (id, name, leader_id) VALUES (?, ?, ?)",
        ((p + 1, names[p], m[0]) for p, m in enumerate(plan.panel_members)),
    )
    db.executemany(
        "INSERT INTO panel_direction (panel_id, direction_id) VALUES (?, ?)",
        ((p + 1, d) for p, d in enumerate(plan.panel_direction)),
    )
    db.executemany(
        "INSERT INTO panel_member (panel_id, expert_id) VALUES (?, ?)",
        ((p + 1, e) for p, m in enumerate(plan.panel_members) for e in m),
    )
    db.executemany(
        "INSERT INTO assignment (expert_id, dossier_id, panel_id) VALUES (?, ?, ?)",
        zip(
            plan.sheet_expert.tolist(),
            (plan.sheet_dossier + 1).tolist(),
            (plan.panel[plan.sheet_dossier] + 1).tolist(),
            strict=True,
        ),
    )


def _points(
    rng: np.random.Generator,
    plan: _Plan,
    rubric: Rubric,
    disagreement: float,
    outliers: float,
) -> np.ndarray:
    """Every sheet's points per criterion (sheets x criteria; NaN: no score)."""
    criteria = rubric.criteria
    top = np.array([c.max for c in criteria])
    step = np.array([c.step for c in criteria])
    stages = [s.key for s in rubric.stages]
    stage_of = np.array([stages.index(c.stage) for c in criteria])
    dossiers = len(plan.lead)
    quality = rng.beta(5.0, 2.6, dossiers)
    share = (
        quality[:, None]
        + rng.normal(0, 0.04, (dossiers, len(stages)))[:, stage_of]
        + rng.normal(0, 0.06, (dossiers, len(criteria)))
    )
    consensus = np.rint(share * top / step)  # in steps
    rows = plan.sheet_dossier
    severity = rng.normal(0, 1, plan.experts + 1)[plan.sheet_expert]
    lean_up = rng.random((len(rows), len(criteria))) < 1 / (1 + np.exp(-severity))[:, None]
    moved = rng.random((len(rows), len(criteria))) < disagreement
    steps = consensus[rows] + np.where(moved, np.where(lean_up, 1, -1), 0)
    misjudged = rng.random(len(rows)) < outliers
    shift = rng.uniform(0.15, 0.30, len(rows)) * rng.choice([-1, 1], len(rows)) * misjudged
    steps += np.rint(shift[:, None] * top / step)
    points = np.clip(steps, 0, top / step) * step
    applies = np.array([[c.applies(str(k)) for c in criteria] for k in KINDS], dtype=bool)
    kind_index = {k: i for i, k in enumerate(KINDS)}
    sheet_kind = np.vectorize(kind_index.get)(plan.kind[plan.lead[rows]])
    scored = applies[sheet_kind]
    # A draft is unfinished: the first stage only.
    scored &= plan.submitted[:, None] | (stage_of == 0)[None, :]
    return np.where(scored, points, np.nan)


def _insert_sheets_and_scores(
    db: sqlite3.Connection,
    rng: np.random.Generator,
    plan: _Plan,
    rubric: Rubric,
    disagreement: float,
    outliers: float,
) -> int:
    """Score sheets (submitted or draft) and their scores; return the number of scores."""
    sheets = len(plan.sheet_dossier)
    status = np.where(plan.submitted, "submitted", "draft")
    db.executemany(
        "INSERT INTO score_sheet (id, expert_id, dossier_id, rubric_hash, status, opinion, "
        "updated_at, submitted_at, source, entered_by) "
        "VALUES (?, ?, ?, ?, ?, '', ?, ?, 'desk', ?)",
        (
            (
                s + 1,
                int(plan.sheet_expert[s]),
                int(plan.sheet_dossier[s]) + 1,
                rubric.content_hash,
                str(status[s]),
                NOW,
                NOW if plan.submitted[s] else None,
                ACTOR,
            )
            for s in range(sheets)
        ),
    )
    points = _points(rng, plan, rubric, disagreement, outliers)
    ids = [c.id for c in rubric.criteria]
    count = 0
    # A block of sheets at a time: Python's rows for 7 million scores at once would
    # take a gigabyte.
    for begin in range(0, sheets, SHEETS_PER_BLOCK):
        block = points[begin : begin + SHEETS_PER_BLOCK]
        sheet, criterion = np.nonzero(~np.isnan(block))
        db.executemany(
            "INSERT INTO score (sheet_id, criterion_id, points, comment) VALUES (?, ?, ?, '')",
            zip(
                (sheet + begin + 1).tolist(),
                [ids[c] for c in criterion.tolist()],
                block[sheet, criterion].tolist(),
                strict=True,
            ),
        )
        count += len(sheet)
    return count


def _insert_vetoes(
    db: sqlite3.Connection, rng: np.random.Generator, plan: _Plan, rubric: Rubric
) -> int:
    """Vetoes on a handful of submitted sheets: on half of the chosen dossiers as many
    experts as the veto's threshold raise it (vetoed), on the others one (not vetoed).
    Return the number of vetoed dossiers."""
    vetoes = rubric.vetoes
    if not vetoes:
        return 0
    by_dossier: dict[int, list[int]] = {}
    for s in np.flatnonzero(plan.submitted).tolist():
        by_dossier.setdefault(int(plan.sheet_dossier[s]), []).append(s + 1)
    candidates = sorted(by_dossier)
    chosen = rng.choice(
        candidates, size=min(len(candidates), max(4, len(plan.lead) // 5000)), replace=False
    )
    rows: list[tuple[int, str, str]] = []
    vetoed = 0
    for n, dossier in enumerate(chosen.tolist()):
        veto = vetoes[n % len(vetoes)]
        sheets = by_dossier[dossier]
        raise_count = min(veto.threshold, len(sheets)) if n % 2 == 0 else 1
        vetoed += raise_count >= veto.threshold
        rows += [(s, veto.id, VETO_REASON) for s in sheets[:raise_count]]
    db.executemany("INSERT INTO veto_flag (sheet_id, veto_id, reason) VALUES (?, ?, ?)", rows)
    return vetoed


def _rebuild_totals(path: Path) -> bool:
    """Rebuild the per-sheet stage totals the score-sheet service keeps, when this
    version has them (``review_desk.scoring.totals``): the bulk load bypassed the
    service. Return whether they were rebuilt."""
    try:
        totals = importlib.import_module("review_desk.scoring.totals")
    except ModuleNotFoundError:
        return False
    project = Project(path)
    try:
        totals.rebuild(project)
    finally:
        project.close()
    return True


def summary_json(summary: NationalSummary) -> str:
    """The summary as JSON text (for command lines)."""
    data = {**summary.__dict__, "path": str(summary.path)}
    return json.dumps(data, ensure_ascii=False, indent=1)
