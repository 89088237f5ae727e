"""Conflict rules (回避规则): which expert may not review which dossier, and why.

The rules are the project's, each on or off with the reason it states: the same
organisation as the lead applicant or a partner; a relation the expert declared with an
organisation or a person of the dossier; optionally the same city as the lead
applicant; employment at an applicant in the last N years. :func:`conflicts` reports
every expert–dossier pair a rule catches, with the rule and its reason, and whether the
pair was already assigned ("after assignment": a partner added, a relation declared
since) or recused.

:func:`record_conflicts` records a recusal (source ``detected``) for every pair not yet
recused, with the rules' reasons, in one audited transaction: the score-sheet service
refuses a recused expert's scores (review_desk.scoring.state.standing), so a conflict
found after assignment blocks that expert's scores for that dossier from then on.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from review_desk import audit
from review_desk.audit import Clock, utc_now
from review_desk.errors import UserError
from review_desk.i18n import _, tr
from review_desk.intake.text_normalize import fold
from review_desk.project import Project
from review_desk.storage import models as m

BEFORE, AFTER, RECUSED = "before_assignment", "after_assignment", "recused"


class ConflictRuleError(UserError):
    """A conflict rule cannot be set so; the message is for the user."""


@dataclass(frozen=True)
class Rule:
    """A conflict rule as the project sets it."""

    rule: str
    enabled: bool
    years: int | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """Return the rule as plain JSON-ready data (what the draw's seed covers)."""
        return asdict(self)


# The rules and their default settings; the reasons are the project's own text, stored
# in its records (like every reason of a recusal), so they are not translated.
DEFAULT_RULES = (
    Rule("organisation", True, None, "专家所在单位为该申报的牵头单位或合作单位，应当回避。"),
    Rule("relation", True, None, "专家声明与该申报的参与单位或其人员存在关联关系，应当回避。"),
    Rule("city", False, None, "专家与牵头单位在同一城市，按本项目规定回避。"),
    Rule("employment", True, 3, "专家近年内曾在该申报的参与单位任职，应当回避。"),
)
RULE_NAMES = tuple(r.rule for r in DEFAULT_RULES)


def rule_label(rule: str) -> str:
    """What a rule checks, for the user."""
    labels = {
        "organisation": _("same organisation as the lead applicant or a partner"),
        "relation": _("a declared relation"),
        "city": _("same city as the lead applicant"),
        "employment": _("employed at an applicant in the last years"),
    }
    return labels.get(rule, rule)


def status_label(status: str) -> str:
    """A conflict's status, for the user."""
    labels = {
        BEFORE: _("before assignment"),
        AFTER: _("after assignment"),
        RECUSED: _("recused"),
    }
    return labels.get(status, status)


def rules_in(session: Session) -> list[Rule]:
    """The project's rules: each default setting, replaced where the project set it."""
    stored = {r.rule: r for r in session.scalars(select(m.ConflictRule))}
    return [
        Rule(r.rule, s.enabled, s.years, s.reason) if (s := stored.get(r.rule)) else r
        for r in DEFAULT_RULES
    ]


def rules(project: Project) -> list[Rule]:
    """The project's conflict rules."""
    with project.reading() as session:
        return rules_in(session)


def set_rule(
    project: Project,
    rule: str,
    *,
    enabled: bool | None = None,
    years: int | None = None,
    reason: str | None = None,
    actor: str = "agency",
    clock: Clock = utc_now,
) -> Rule:
    """Turn a rule on or off, set its years or its reason; audited."""
    if rule not in RULE_NAMES:
        raise ConflictRuleError(
            tr(
                "No conflict rule {rule}: the rules are {names}.",
                rule=rule,
                names=", ".join(RULE_NAMES),
            )
        )
    if years is not None and (rule != "employment" or not 1 <= years <= 30):
        raise ConflictRuleError(_("Only the employment rule has years, from 1 to 30."))
    if reason is not None and len(reason.strip()) < 4:
        raise ConflictRuleError(_("Write the rule's reason."))
    with project.transaction() as session:
        before = next(r for r in rules_in(session) if r.rule == rule)
        after = Rule(
            rule,
            before.enabled if enabled is None else enabled,
            before.years if years is None else years,
            before.reason if reason is None else reason.strip(),
        )
        row = session.get(m.ConflictRule, rule)
        if row is None:
            session.add(m.ConflictRule(**after.as_dict()))
        else:
            row.enabled, row.years, row.reason = after.enabled, after.years, after.reason
        audit.record(
            session,
            actor=actor,
            action="conflict_rule.set",
            entity="conflict_rule",
            entity_id=rule,
            before=before.as_dict(),
            after=after.as_dict(),
            clock=clock,
        )
    return after


@dataclass(frozen=True)
class Conflict:
    """An expert–dossier pair a rule catches, with the reason."""

    expert_id: int
    expert: str
    dossier_id: int
    dossier: str
    rule: str
    reason: str
    status: str

    def as_dict(self) -> dict[str, Any]:
        """Return the conflict as plain JSON-ready data."""
        return asdict(self)


@dataclass(frozen=True)
class _Dossier:
    """What the rules read of a dossier (plain columns: 50,000 of them load fast)."""

    id: int
    code: str
    city: str  # the lead applicant's


@dataclass(frozen=True)
class _Applicant:
    name: str
    contact_name: str
    city: str


_Party = tuple[_Dossier, str]  # a dossier and what the organisation or person is in it


def _dossiers(
    session: Session, dossier_id: int | None
) -> tuple[list[_Dossier], dict[str, list[_Party]], dict[str, list[_Party]]]:
    """The dossiers, and the dossiers by the folded names of their organisations and of
    their people."""
    applicants = {
        int(i): _Applicant(str(n), str(c or ""), str(t or ""))
        for i, n, c, t in session.execute(
            select(m.Applicant.id, m.Applicant.name, m.Applicant.contact_name, m.Applicant.city)
        )
    }
    rows = select(m.Dossier.id, m.Dossier.code, m.Dossier.lead_applicant_id)
    partners_of = select(m.DossierPartner.dossier_id, m.DossierPartner.applicant_id).order_by(
        m.DossierPartner.id
    )
    if dossier_id is not None:
        rows = rows.where(m.Dossier.id == dossier_id)
        partners_of = partners_of.where(m.DossierPartner.dossier_id == dossier_id)
    partners: dict[int, list[int]] = defaultdict(list)
    for d, a in session.execute(partners_of):
        partners[int(d)].append(int(a))
    dossiers: list[_Dossier] = []
    organisations: dict[str, list[_Party]] = defaultdict(list)
    people: dict[str, list[_Party]] = defaultdict(list)
    for d, code, lead in session.execute(rows.order_by(m.Dossier.id)):
        dossier = _Dossier(int(d), str(code), applicants[int(lead)].city)
        dossiers.append(dossier)
        taking_part = [(applicants[int(lead)], "牵头单位")]
        taking_part += [(applicants[a], "合作单位") for a in partners.get(int(d), [])]
        for applicant, role in taking_part:
            organisations[fold(applicant.name)].append((dossier, f"{role}“{applicant.name}”"))
            if applicant.contact_name.strip():
                people[fold(applicant.contact_name)].append(
                    (dossier, f"{role}联系人“{applicant.contact_name}”")
                )
    return dossiers, organisations, people


def _caught(
    expert: m.Expert,
    on: dict[str, Rule],
    dossiers: list[_Dossier],
    year: int,
    organisations: dict[str, list[_Party]],
    people: dict[str, list[_Party]],
) -> list[tuple[_Dossier, str, str]]:
    """Every (dossier, rule, reason) the enabled rules catch for one expert."""
    found: list[tuple[_Dossier, str, str]] = []
    if "organisation" in on:
        for dossier, what in organisations.get(fold(expert.organisation), []):
            found.append((dossier, "organisation", f"{on['organisation'].reason}（{what}）"))
    if "relation" in on:
        for declared in expert.relations:
            for dossier, what in organisations.get(fold(declared), []) + people.get(
                fold(declared), []
            ):
                found.append(
                    (dossier, "relation", f"{on['relation'].reason}（声明“{declared}”：{what}）")
                )
    if "employment" in on:
        since = year - (on["employment"].years or 0)
        for job in expert.past_employers:
            if int(job.get("until", 0)) < since:
                continue
            for dossier, what in organisations.get(fold(str(job.get("organisation", ""))), []):
                found.append(
                    (
                        dossier,
                        "employment",
                        f"{on['employment'].reason}（{job['until']}年前任职于{what}）",
                    )
                )
    if "city" in on and expert.city.strip():
        for dossier in dossiers:
            if fold(dossier.city) == fold(expert.city):
                found.append((dossier, "city", f"{on['city'].reason}（{expert.city}）"))
    return found


def find_in(
    session: Session, *, year: int, expert_id: int | None = None, dossier_id: int | None = None
) -> list[Conflict]:
    """Every pair the enabled rules catch, one entry per rule, by dossier and expert;
    only those of one expert and/or one dossier when ``expert_id``/``dossier_id`` say."""
    on = {r.rule: r for r in rules_in(session) if r.enabled}
    if not on:
        return []
    dossiers, organisations, people = _dossiers(session, dossier_id)
    order = {name: i for i, name in enumerate(RULE_NAMES)}
    experts = select(m.Expert)
    if expert_id is not None:
        experts = experts.where(m.Expert.id == expert_id)
    caught = [
        (expert.id, expert.name, dossier, rule, reason)
        for expert in session.scalars(experts)
        for dossier, rule, reason in _caught(expert, on, dossiers, year, organisations, people)
    ]
    # The pairs' status, read for the experts caught alone (none, most often).
    who = sorted({e for e, *_rest in caught})
    recused: set[tuple[int, int]] = set()
    started: set[tuple[int, int]] = set()
    for part in range(0, len(who), 500):
        some = who[part : part + 500]
        for table, into in (
            (m.Recusal, recused),
            (m.Assignment, started),
            (m.ScoreSheet, started),
        ):
            into |= {
                (int(e), int(d))
                for e, d in session.execute(
                    select(table.expert_id, table.dossier_id).where(table.expert_id.in_(some))
                )
            }
    found: dict[tuple[int, int, str], Conflict] = {}
    for expert, name, dossier, rule, reason in caught:
        pair = (expert, dossier.id)
        status = RECUSED if pair in recused else AFTER if pair in started else BEFORE
        found.setdefault(
            (expert, dossier.id, rule),
            Conflict(expert, name, dossier.id, dossier.code, rule, reason, status),
        )
    return sorted(found.values(), key=lambda c: (c.dossier, c.expert_id, order[c.rule]))


def conflicts(project: Project, *, clock: Clock = utc_now) -> list[Conflict]:
    """Every expert–dossier pair the project's rules catch (reading only)."""
    with project.reading() as session:
        return find_in(session, year=clock().year)


def record_conflicts(
    project: Project, *, actor: str = "agency", clock: Clock = utc_now, only_after: bool = False
) -> list[Conflict]:
    """Record a recusal for every caught pair not yet recused (its assignment dropped),
    with the rules' reasons, audited; return those conflicts as found. ``only_after``:
    only the pairs found after assignment (the others are left out when assigning)."""
    wanted = (AFTER,) if only_after else (BEFORE, AFTER)
    with project.transaction() as session:
        new = [c for c in find_in(session, year=clock().year) if c.status in wanted]
        pairs: dict[tuple[int, int], list[Conflict]] = defaultdict(list)
        for conflict in new:
            pairs[(conflict.expert_id, conflict.dossier_id)].append(conflict)
        for (expert_id, dossier_id), caught in pairs.items():
            late = "（分配后发现）" if caught[0].status == AFTER else ""
            session.add(
                m.Recusal(
                    expert_id=expert_id,
                    dossier_id=dossier_id,
                    reason="".join(c.reason for c in caught) + late,
                    source="detected",
                    declared_at=clock(),
                )
            )
            for assignment in session.scalars(
                select(m.Assignment).where(
                    m.Assignment.expert_id == expert_id, m.Assignment.dossier_id == dossier_id
                )
            ):
                session.delete(assignment)
        if pairs:
            audit.record(
                session,
                actor=actor,
                action="recusal.detect",
                entity="recusal",
                after={
                    "found": len(pairs),
                    "pairs": [
                        {
                            "expert": e,
                            "dossier": d,
                            "rules": [c.rule for c in caught],
                            "after_assignment": caught[0].status == AFTER,
                        }
                        for (e, d), caught in pairs.items()
                    ],
                },
                clock=clock,
            )
    return new


def block_late(
    project: Project, *, actor: str = "agency", clock: Clock = utc_now
) -> list[Conflict]:
    """After new data (an expert's declarations, a dossier's partners): when experts are
    assigned already, record the recusals of the assigned pairs the rules now catch, so
    that a conflict found after assignment blocks that expert's scores for that dossier
    at once; return them, for a visible warning. Nothing is done
    (and nothing returned) before any assignment."""
    with project.reading() as session:
        assigned = session.scalar(select(m.Assignment.id).limit(1)) is not None
        assigned = assigned or session.scalar(select(m.ScoreSheet.id).limit(1)) is not None
    if not assigned:
        return []
    return record_conflicts(project, actor=actor, clock=clock, only_after=True)


def late_warning(conflict: Conflict) -> str:
    """The warning shown for a conflict found after assignment (now recused)."""
    return tr(
        "Warning: a conflict found after assignment: expert {expert} × {dossier} ({reason}); "
        "recused, their scores for it are blocked.",
        expert=conflict.expert,
        dossier=conflict.dossier,
        reason=conflict.reason,
    )
