"""Assigning the round's dossiers to its experts (issue 16, part 4): the problem read
from the project, solved exactly or with a cap on every pair's probability by
:mod:`scoring_models.assignment`, stored as the project's assignments and audited.

- **Experts:** those drawn (the members of every draw, refusals replaced), or when no
  draw was made, every expert of the pool available for the round. An expert's fields
  are the directions the pool records, else those of the panels they sit on.
- **Dossiers:** those that passed the formal review (all of them when none was run).
- **Candidates:** an expert on a dossier of one of their directions costs 0; an expert
  whose majors include one of the direction's majors costs 1 (a weaker match); anyone
  else is not a candidate. Recusals and every pair a conflict rule catches are left out,
  and reported per dossier with the rule.
- **Started work stays:** an expert who has a score sheet on a dossier keeps it; the
  dossier needs that many experts fewer, and the expert's load counts it.
- **Loads:** each expert between ``load_min`` and ``load_max`` dossiers; by default
  from 0 to two above the even share.

The plan is deterministic from the project and the settings (with the seed for the
capped variant), so :func:`plan` recomputes what was stored to explain it.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any, cast

from sqlalchemy import delete, select, tuple_
from sqlalchemy.orm import Session

from review_desk import audit, conflicts, draw, formal_review
from review_desk.audit import Clock, utc_now
from review_desk.errors import UserError
from review_desk.i18n import _, tr
from review_desk.project import Project
from review_desk.reasons import Reason, render
from review_desk.storage import models as m
from scoring_models.assignment import (
    Assignment,
    AssignmentProblem,
    Candidate,
    Dossier,
    Expert,
    Infeasible,
    assign,
)
from scoring_models.randomized_assignment import assign_randomized

FIELD_MATCH, MAJOR_MATCH = 0.0, 1.0  # the cost of a candidate by how well it fits
ACTION = "assignment.solve"
LOCK_KEY = "project"  # the write lock every change of the assignments takes


class AssigningError(UserError):
    """The assignment cannot be made as asked; the message says why."""


@dataclass(frozen=True)
class AssignSettings:
    """How to assign: ``k`` experts per dossier (``k_by_direction`` overriding it for
    some directions), loads within [``load_min``, ``load_max``] (None: 0, and two above
    the even share), and with ``cap`` the randomized variant, each pair's probability at most
    ``cap``, drawn with ``seed``."""

    k: int = 5
    k_by_direction: dict[int, int] = field(default_factory=dict)
    load_min: int | None = None
    load_max: int | None = None
    cap: float | None = None
    seed: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """As recorded in the audit log (and read back by :func:`last_settings`)."""
        data = asdict(self)
        data["k_by_direction"] = {str(d): k for d, k in sorted(self.k_by_direction.items())}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AssignSettings:
        """The settings as :meth:`as_dict` recorded them."""
        values = dict(data)
        values["k_by_direction"] = {int(d): int(k) for d, k in data["k_by_direction"].items()}
        return cls(**values)


@dataclass(frozen=True)
class Excluded:
    """An expert left out of a dossier's candidates, and why (a rule's reason)."""

    expert_id: int
    expert: str
    reason: str


@dataclass(frozen=True)
class Plan:
    """A solved assignment and what it was made from."""

    settings: AssignSettings
    result: Assignment
    kept: dict[int, tuple[int, ...]]  # dossier id -> experts kept for work started
    excluded: dict[int, tuple[Excluded, ...]]  # dossier id -> experts left out, why
    experts: tuple[int, ...]  # the experts assigned to (drawn, or available)
    expert_names: dict[int, str]  # every expert's name, by id
    dossier_codes: dict[int, str]

    def pairs(self) -> list[tuple[int, int]]:
        """Every (dossier id, expert id) of the plan: those solved and those kept."""
        solved = [(cast(int, d), cast(int, e)) for d, e in self.result.pairs()]
        kept = [(d, e) for d, experts in self.kept.items() for e in experts]
        return sorted(solved + kept)

    def digest(self) -> str:
        """SHA-256 of the pairs: the audit entry names the result by it."""
        return hashlib.sha256(json.dumps(self.pairs()).encode()).hexdigest()

    def loads(self) -> dict[int, int]:
        """Every expert's number of dossiers in the plan."""
        counts: dict[int, int] = defaultdict(int)
        for _dossier, expert in self.pairs():
            counts[expert] += 1
        return {e: counts.get(e, 0) for e in sorted({*self.experts, *counts})}


def started_work(session: Session) -> dict[int, list[int]]:
    """Every dossier's experts who have started scoring it (a score sheet exists), by
    id: their work stays, whatever the assignment becomes."""
    started: dict[int, list[int]] = defaultdict(list)
    # One sheet per rubric version: distinct, or a second version would count twice.
    for e, d in session.execute(
        select(m.ScoreSheet.expert_id, m.ScoreSheet.dossier_id)
        .distinct()
        .order_by(m.ScoreSheet.expert_id)
    ):
        started[int(d)].append(int(e))
    return started


def _experts(session: Session, round_name: str) -> list[m.Expert]:
    """The experts of the round: drawn, else available in the pool."""
    drawn = {
        expert
        for row in session.scalars(select(m.ExpertDraw))
        for expert in draw.members_of(row.selected, row.refusals)
    }
    experts = list(session.scalars(select(m.Expert).order_by(m.Expert.id)))
    if drawn:
        return [e for e in experts if e.id in drawn]
    return [e for e in experts if not e.availability or round_name in e.availability]


def _directions_of(session: Session, experts: list[m.Expert]) -> dict[int, set[int]]:
    """Each expert's directions: the pool's, else those of their panels."""
    by_panel: dict[int, set[int]] = defaultdict(set)
    for expert_id, direction_id in session.execute(
        select(m.PanelMember.expert_id, m.PanelDirection.direction_id).join(
            m.PanelDirection, m.PanelDirection.panel_id == m.PanelMember.panel_id
        )
    ):
        by_panel[int(expert_id)].add(int(direction_id))
    return {e.id: set(e.directions) or by_panel.get(e.id, set()) for e in experts}


def _dossiers(session: Session) -> list[m.Dossier]:
    """The dossiers to assign: passed the formal review (all when none was run)."""
    dossiers = list(session.scalars(select(m.Dossier).order_by(m.Dossier.code)))
    verdicts = {
        int(d): v
        for d, v in session.execute(select(m.FormalReview.dossier_id, m.FormalReview.verdict))
    }
    if not verdicts:
        return dossiers
    return [d for d in dossiers if verdicts.get(d.id) == formal_review.PASSED]


def _loads(settings: AssignSettings, needed: int, experts: int) -> tuple[int, int]:
    share = needed / experts if experts else 0.0
    low = settings.load_min if settings.load_min is not None else 0
    high = settings.load_max if settings.load_max is not None else math.ceil(share) + 2
    if low > high:
        raise AssigningError(
            tr("The lowest load {low} is above the highest {high}.", low=low, high=high)
        )
    return low, high


def plan(project: Project, settings: AssignSettings) -> Plan:
    """Solve the assignment for the project as it is now (nothing is stored)."""
    if settings.cap is not None and not 0 < settings.cap <= 1:
        raise AssigningError(_("The probability cap must be above 0 and at most 1."))
    if settings.cap is not None and settings.seed is None:
        raise AssigningError(_("A capped assignment needs a seed."))
    round_name = project.info().round_name
    found = conflicts.conflicts(project)
    with project.reading() as session:
        experts = _experts(session, round_name)
        if not experts:
            raise AssigningError(_("There is no expert to assign: draw them or import the pool."))
        directions = _directions_of(session, experts)
        majors = {d.id: set(d.majors) for d in session.scalars(select(m.Direction))}
        dossiers = _dossiers(session)
        recused = {
            (r.expert_id, r.dossier_id): r.reason for r in session.scalars(select(m.Recusal))
        }
        started = started_work(session)
        # Names of everyone shown: those assigned now, and those whose work stays (who
        # may not be among them, e.g. after a new draw).
        names = {int(i): str(n) for i, n in session.execute(select(m.Expert.id, m.Expert.name))}
    caught: dict[tuple[int, int], list[str]] = defaultdict(list)
    for conflict in found:
        caught[(conflict.expert_id, conflict.dossier_id)].append(conflict.reason)
    kept: dict[int, tuple[int, ...]] = {}
    excluded: dict[int, tuple[Excluded, ...]] = {}
    candidates: list[Candidate] = []
    wanted: list[Dossier] = []
    held: dict[int, int] = defaultdict(int)
    for dossier in dossiers:
        k = settings.k_by_direction.get(dossier.direction_id, settings.k)
        mine = tuple(started.get(dossier.id, ()))  # whoever scores it keeps it
        kept[dossier.id] = mine
        for expert_id in mine:
            held[expert_id] += 1
        left_out = []
        for expert in experts:
            pair = (expert.id, dossier.id)
            if expert.id in mine:
                continue
            reasons = ([recused[pair]] if pair in recused else []) + caught.get(pair, [])
            if reasons:
                left_out.append(Excluded(expert.id, expert.name, "；".join(reasons)))
                continue
            if dossier.direction_id in directions[expert.id]:
                candidates.append(Candidate(expert.id, dossier.id, FIELD_MATCH))
            elif majors.get(dossier.direction_id, set()) & set(expert.majors):
                candidates.append(Candidate(expert.id, dossier.id, MAJOR_MATCH))
        excluded[dossier.id] = tuple(left_out)
        # A direction is a family: its dossiers cost alike for every expert (the
        # solver then solves it as one; see scoring_models/assignment_families.py).
        wanted.append(Dossier(dossier.id, max(0, k - len(mine)), family=dossier.direction_id))
    low, high = _loads(settings, sum(d.k for d in wanted) + sum(held.values()), len(experts))
    problem = AssignmentProblem.build(
        [Expert(e.id, max(0, low - held[e.id]), max(0, high - held[e.id])) for e in experts],
        wanted,
        candidates,
    )
    try:
        result = (
            assign(problem)
            if settings.cap is None
            else assign_randomized(problem, settings.cap, int(settings.seed or 0))
        )
    except Infeasible as error:
        raise AssigningError(_infeasible(error, names, {d.id: d.code for d in dossiers})) from error
    return Plan(
        settings,
        result,
        kept,
        excluded,
        tuple(e.id for e in experts),
        names,
        {d.id: d.code for d in dossiers},
    )


def _infeasible(error: Infeasible, experts: dict[int, str], codes: dict[int, str]) -> str:
    """Why no assignment exists, in the user's language, naming dossiers by their code
    and experts by their name."""
    values = dict(error.values)  # the subject (a dossier's or an expert's id) as text
    subject = cast(int, error.subject)
    if "dossier" in values:
        values["dossier"] = codes.get(subject, values["dossier"])
    if "expert" in values:
        values["expert"] = experts.get(subject, values["expert"])
    return tr(error.template, **values)


def store(project: Project, made: Plan, *, actor: str = "agency", clock: Clock = utc_now) -> int:
    """Make the plan the project's assignments of its dossiers (those of work started
    stay), audited with the settings and the result's digest; return the number of
    assignments stored."""

    def work(session: Session) -> int:
        dossier_ids = list(made.dossier_codes)
        keep = [(e, d) for d, experts in made.kept.items() for e in experts]
        statement = delete(m.Assignment).where(m.Assignment.dossier_id.in_(dossier_ids))
        if keep:
            statement = statement.where(
                tuple_(m.Assignment.expert_id, m.Assignment.dossier_id).not_in(keep)
            )
        session.execute(statement)
        present = {
            (int(e), int(d))
            for e, d in session.execute(
                select(m.Assignment.expert_id, m.Assignment.dossier_id).where(
                    m.Assignment.dossier_id.in_(dossier_ids)
                )
            )
        }
        pairs = made.pairs()
        for dossier_id, expert_id in pairs:
            if (expert_id, dossier_id) not in present:
                session.add(m.Assignment(expert_id=expert_id, dossier_id=dossier_id))
        audit.record(
            session,
            actor=actor,
            action=ACTION,
            entity="assignment",
            entity_id=made.digest()[:16],
            after={
                "settings": made.settings.as_dict(),
                "dossiers": len(dossier_ids),
                "experts": len(made.experts),
                "assignments": len(pairs),
                "cost": made.result.cost,
                "sha256": made.digest(),
            },
            clock=clock,
        )
        return len(pairs)

    return project.write(work, key=LOCK_KEY)


def last_settings(project: Project) -> AssignSettings | None:
    """The settings of the last stored assignment, from the audit log."""
    with project.reading() as session:
        entry = session.scalars(
            select(m.AuditLog).where(m.AuditLog.action == ACTION).order_by(m.AuditLog.id.desc())
        ).first()
    if entry is None or not entry.after:
        return None
    return AssignSettings.from_dict(entry.after["settings"])


@dataclass(frozen=True)
class Explained:
    """A candidate of a dossier in a plan: chosen or not, and why, as text."""

    expert_id: int
    expert: str
    cost: float
    chosen: bool
    reason: str


def explain(made: Plan, dossier_id: int) -> list[Explained]:
    """A dossier's candidates in the plan, the chosen first, each with why; those kept
    for work started and those left out (recused, or caught by a conflict rule) after."""
    shown = []
    for p in made.result.explain(dossier_id):
        params = dict(p.reason.params)
        if "others" in params:  # experts named by their id: by their name
            others = cast(tuple[str, ...], params["others"])
            params["others"] = tuple(made.expert_names.get(int(o), o) for o in others)
        expert_id = cast(int, p.expert)
        shown.append(
            Explained(
                expert_id,
                made.expert_names.get(expert_id, str(expert_id)),
                p.cost,
                p.chosen,
                render(Reason(p.reason.code, params)),
            )
        )
    shown.sort(key=lambda x: (not x.chosen, x.cost, x.expert_id))
    for expert_id in made.kept.get(dossier_id, ()):
        name = made.expert_names.get(expert_id, str(expert_id))
        shown.append(Explained(expert_id, name, 0.0, True, _("kept: scoring has started")))
    for left in made.excluded.get(dossier_id, ()):
        shown.append(Explained(left.expert_id, left.expert, math.inf, False, left.reason))
    return shown
