"""The formal review (形式审查): for each dossier, the 附件3 checklist and the
machine-checkable eligibility rules, each result with its reason, and a verdict.

Verdicts: passed (通过), failed (不通过: a hard condition is not met), supplement (需补正:
something missing that the applicant can supply), or None while a reviewer still has to
look (a scan without a text layer, a late submission, a direction without majors to
compare). A reviewer may override any result with a written reason; overrides survive
running the checks again. Every verdict change and override goes to the audit log.

Two reviewers deciding at once: every formal-review write (running the checks, an
override, a supplement deadline) holds the formal review's write lock
(:data:`REVIEW_LOCK`; on SQLite the database's one write lock) from its first statement,
and reads what it decides on (the overrides and verdict in force, the "before" of its
audit entry) under it. Decisions on one dossier are thus made one after the other: the
later one replaces the earlier visibly (its audit entry's "before" is the earlier
decision), never beside it, and a run of the checks never stores a verdict that
ignores an override committed meanwhile. One lock for all dossiers rather than one per
dossier: running the checks of a national round would otherwise take tens of thousands
of locks at once, beyond PostgreSQL's lock table; the decisions are short and rare.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from review_desk import audit, reference
from review_desk.audit import Clock, utc_now
from review_desk.domain import ApplicantKind, CheckResult, Severity, TextStatus, Verdict
from review_desk.errors import UserError

# The check and its one codec live in their own module; they are part of this one's API.
from review_desk.formal_review_checks import Check as Check
from review_desk.formal_review_checks import decode_check as decode_check
from review_desk.formal_review_checks import encode_check as encode_check
from review_desk.formal_review_checks import encode_checks as encode_checks
from review_desk.formal_review_checks import render_check as render_check
from review_desk.i18n import _, tr
from review_desk.project import Project
from review_desk.reasons import (
    CheckLabel,
    CheckReason,
    Reason,
)
from review_desk.storage import models as m
from scoring_models.rubric import N_

PASS, FAIL, MANUAL, INFO = CheckResult.PASS, CheckResult.FAIL, CheckResult.MANUAL, CheckResult.INFO
HARD, SOFT = Severity.HARD, Severity.SOFT
PASSED, FAILED, SUPPLEMENT = Verdict.PASSED, Verdict.FAILED, Verdict.SUPPLEMENT
MIN_REASON_LENGTH = 4
# The write lock that every formal-review decision holds (see the module's docstring).
REVIEW_LOCK = "formal_review"


_SCHOOLS = {
    ApplicantKind.UNIVERSITY.value,
    ApplicantKind.APPLIED_UNIVERSITY.value,
    ApplicantKind.VOCATIONAL_COLLEGE.value,
}
_ENTERPRISES = {ApplicantKind.ENTERPRISE.value, ApplicantKind.SERVICE_PROVIDER.value}


class ReviewError(UserError):
    """A formal-review action that cannot be done; the message is for the user."""


# The departments that review each applicant kind (the notice's section 四), stored as
# these codes and named when shown.
EDUCATION, INDUSTRY, DEVELOPMENT = "education", "industry", "development"
_DEPARTMENTS = {
    EDUCATION: N_("Provincial Department of Education"),
    INDUSTRY: N_("Provincial SASAC / Dept. of Industry and IT / SME Bureau"),
    DEVELOPMENT: N_("Provincial Development and Reform Commission"),
}


def department_code(kind: str) -> str:
    """Return the code of the department that reviews an applicant kind."""
    if kind in _SCHOOLS:
        return EDUCATION
    if kind in _ENTERPRISES:
        return INDUSTRY
    return DEVELOPMENT


def department_label(code: str) -> str:
    """Return a department as shown (a name stored by an older version as it is)."""
    label = _DEPARTMENTS.get(code)
    return _(label) if label is not None else code


def department_for(kind: str) -> str:
    """Return the department that reviews an applicant kind (the notice's section 四)."""
    return department_label(department_code(kind))


def verdict_label(verdict: Verdict | str | None) -> str:
    """Return a verdict as shown (None: a reviewer still has to look)."""
    return Verdict(verdict).label if verdict is not None else _("Awaiting manual check")


def result_label(result: CheckResult | str) -> str:
    """Return a check result as shown."""
    return CheckResult(result).label


def _say(code: str, **params: Any) -> Reason:
    return Reason(code, params)


def evaluate(dossier: m.Dossier, deadline: datetime | None, kind: str = "selection") -> list[Check]:
    """Return the automatic checks of one dossier (lead applicant, direction and
    materials loaded). Each check's ``label`` and ``reason`` are :class:`Reason` records;
    :func:`encode_checks` makes them the JSON a project stores.

    ``kind`` is the project's: a selection round checks 附件3 and the eligibility rules
    of 三、揭榜参考条件; a recognition round (认定验收) checks the construction report's
    checklist only (its bases were selected already: the conditions of applying do not
    apply again)."""
    checks: list[Check] = []
    materials = [x for x in dossier.materials if x.is_current]
    readable = [x for x in materials if x.text_status == TextStatus.OK]
    scans = [x for x in materials if x.text_status in (TextStatus.NO_TEXT, TextStatus.UNREAD, None)]
    # Encrypted, damaged, too costly, or a status from a newer reader: never searched.
    unreadable = [x for x in materials if x not in readable and x not in scans]
    for x in unreadable:
        checks.append(
            Check(
                f"file:{x.id}",
                _say(CheckLabel.FILE, name=x.filename),
                FAIL,
                _say(CheckReason.FILE_UNREADABLE, problem=x.problem),
                material_id=x.id,
            )
        )
    if not materials:
        checks.append(
            Check(
                "file:none",
                _say(CheckLabel.MATERIAL_FILES),
                FAIL,
                _say(CheckReason.NO_MATERIAL),
            )
        )
    for item in reference.checklist(kind):
        label = _say(CheckLabel.CHECKLIST_ITEM, number=item.number, title=item.short_title)
        found = next(
            (
                (x, (x.found_items or {}).get(item.key))
                for x in readable
                if (x.found_items or {}).get(item.key)
            ),
            None,
        )
        if found:
            material, page = found
            checks.append(
                Check(
                    f"item:{item.key}",
                    label,
                    PASS,
                    _say(CheckReason.ITEM_FOUND, page=page, file=material.filename),
                    page=page,
                    material_id=material.id,
                )
            )
        elif scans:
            unread = scans[0].text_status != TextStatus.NO_TEXT
            checks.append(
                Check(
                    f"item:{item.key}",
                    label,
                    MANUAL,
                    _say(
                        CheckReason.ITEM_UNSEARCHED if unread else CheckReason.ITEM_SCAN,
                        file=scans[0].filename,
                    ),
                    material_id=scans[0].id,
                )
            )
        elif unreadable:
            # A file that could not be read was never searched: the item may be in it.
            checks.append(
                Check(
                    f"item:{item.key}",
                    label,
                    MANUAL,
                    _say(
                        CheckReason.ITEM_UNREADABLE,
                        file=unreadable[0].filename,
                        problem=unreadable[0].problem or "",
                    ),
                    material_id=unreadable[0].id,
                )
            )
        elif materials:
            checks.append(
                Check(
                    f"item:{item.key}",
                    label,
                    FAIL,
                    _say(CheckReason.ITEM_MISSING, title=item.title),
                )
            )
    if kind == "selection":
        checks.extend(_rule_checks(dossier))
    if deadline and dossier.received_at and dossier.received_at > deadline:
        checks.append(
            Check(
                "late",
                _say(CheckLabel.DEADLINE),
                MANUAL,
                _say(
                    CheckReason.LATE,
                    received=dossier.received_at.isoformat(),
                    deadline=deadline.isoformat(),
                ),
            )
        )
    return checks


# A condition's outcome: the result, its reason and its severity.
_Outcome = tuple[CheckResult, Reason, Severity]


def _preference_value(value: object) -> str:
    """The recorded value of a preference fact, as a PREFERENCE_VALUES code."""
    if value in ("national", "provincial"):
        return str(value)
    return "tech_transfer" if value is True else "not_recorded"


def _rule_checks(dossier: m.Dossier) -> list[Check]:
    try:
        rules = reference.eligibility_rules()
    except reference.RulesError as error:
        raise ReviewError(str(error)) from error
    applicant = dossier.lead_applicant
    checks = []
    for rule in rules:
        if "all" not in rule.applies_to and applicant.kind not in rule.applies_to:
            continue
        label = _say(CheckLabel.CONDITION, clause=rule.clause)
        check_id = f"rule:{rule.id}"
        if rule.check == "expert":
            checks.append(
                Check(check_id, label, INFO, _say(CheckReason.FOR_EXPERTS, quote=rule.text))
            )
            continue
        if rule.preference:
            value = _preference_value(getattr(applicant, rule.fact or ""))
            checks.append(
                Check(
                    check_id,
                    label,
                    INFO,
                    _say(CheckReason.PREFERENCE, quote=rule.text, value=value),
                )
            )
            continue
        # The rules were checked when they loaded: every condition's fact has a check.
        result, reason, severity = CONDITION_CHECKS[rule.fact or ""](dossier, rule)
        checks.append(Check(check_id, label, result, reason, severity=severity))
    return checks


def _policy_list(dossier: m.Dossier, rule: reference.EligibilityRule) -> _Outcome:
    if dossier.has_policy_list:
        return PASS, _say(CheckReason.POLICY_LIST_STATED), SOFT
    return FAIL, _say(CheckReason.POLICY_LIST_MISSING, quote=rule.text), SOFT


def _pilot_enterprise(dossier: m.Dossier, rule: reference.EligibilityRule) -> _Outcome:
    status = dossier.lead_applicant.pilot_enterprise_status
    if status in rule.expect_any:
        code = CheckReason.PILOT_IN_POOL if status == "in_pool" else CheckReason.PILOT_APPLYING
        return PASS, _say(code), SOFT
    return FAIL, _say(CheckReason.PILOT_MISSING, quote=rule.text), SOFT


def _local_presence(dossier: m.Dossier, rule: reference.EligibilityRule) -> _Outcome:
    applicant = dossier.lead_applicant
    if applicant.local_presence in rule.expect_any or (applicant.in_shanxi and applicant.city):
        return PASS, _say(CheckReason.LOCAL_PRESENCE), SOFT
    return FAIL, _say(CheckReason.NO_LOCAL_PRESENCE, quote=rule.text), HARD


def _majors_match(dossier: m.Dossier, rule: reference.EligibilityRule) -> _Outcome:
    majors = set(dossier.direction.majors)
    own = set(dossier.lead_applicant.major_categories or [])
    if not majors:
        return MANUAL, _say(CheckReason.NO_MAJORS_TO_COMPARE), SOFT
    if not own:
        return FAIL, _say(CheckReason.NO_DISCIPLINE_GROUP, quote=rule.text), SOFT
    if own & majors:
        reason = _say(CheckReason.MAJORS_MATCH, own=sorted(own & majors), majors=sorted(majors))
        return PASS, reason, SOFT
    reason = _say(
        CheckReason.MAJORS_MISMATCH, own=sorted(own), majors=sorted(majors), quote=rule.text
    )
    return FAIL, reason, HARD


# The check of each condition fact a rule may name (``reference.CONDITION_FACTS``).
CONDITION_CHECKS: dict[str, Callable[[m.Dossier, reference.EligibilityRule], _Outcome]] = {
    "has_policy_list": _policy_list,
    "pilot_enterprise_status": _pilot_enterprise,
    "local_presence": _local_presence,
    "major_categories_match_direction": _majors_match,
}


def apply_overrides(checks: Sequence[Check], overrides: Iterable[m.FormalOverride]) -> list[Check]:
    """Return the checks with reviewers' decisions in place of automatic results."""
    by_id = {o.check_id: o for o in overrides}
    result = []
    for check in checks:
        override = by_id.get(check.id)
        if override is None:
            result.append(check)
        else:
            result.append(
                replace(
                    check,
                    automatic=check.result,
                    result=CheckResult(override.result),
                    reason=_say(
                        CheckReason.OVERRIDDEN,
                        reason=override.reason,
                        who=override.decided_by,
                        auto=check.result.value,
                    ),
                )
            )
    return result


def verdict_of(checks: Sequence[Check]) -> Verdict | None:
    """Return the verdict the check results lead to."""
    failed = [c for c in checks if c.result == CheckResult.FAIL]
    if any(c.severity == Severity.HARD for c in failed):
        return Verdict.FAILED
    if failed:
        return Verdict.SUPPLEMENT
    if any(c.result == CheckResult.MANUAL for c in checks):
        return None
    return Verdict.PASSED


@dataclass(frozen=True)
class ReviewRow:
    """The formal review of one dossier, for the table and the CLI. ``records`` are the
    checks as stored (JSON), ``checks`` the same as typed values, decoded when first
    asked for (a national round streams tens of thousands of reviews)."""

    dossier_id: int
    code: str
    applicant: str
    applicant_kind: str
    city: str
    direction: str
    direction_number: int
    level: str
    department_code: str
    verdict: Verdict | None
    records: list[dict[str, Any]]
    supplement_deadline: datetime | None
    reviewed_at: datetime

    @property
    def department(self) -> str:
        """The reviewing department as shown."""
        return department_label(self.department_code)

    @cached_property
    def checks(self) -> tuple[Check, ...]:
        """The checks (see :func:`decode_check`)."""
        return tuple(decode_check(c) for c in self.records)

    @property
    def reasons(self) -> list[str]:
        """The reasons of the checks that are not met or need a reviewer."""
        return [f"{c.label_text}：{c.reason_text}" for c in self.checks if c.open]

    def as_dict(self) -> dict[str, Any]:
        """Return the review as plain JSON-ready data."""
        return {
            "dossier": self.code,
            "applicant": self.applicant,
            "direction": self.direction_number,
            "level": self.level,
            "department": self.department,
            "verdict": self.verdict,
            "supplement_deadline": self.supplement_deadline.isoformat()
            if self.supplement_deadline
            else None,
            "reasons": self.reasons,
            "checks": [render_check(c) for c in self.records],
        }


def _load(
    session: Session, dossier_ids: list[int] | None = None, *, reviewed: bool = False
) -> list[m.Dossier]:
    query = select(m.Dossier).options(
        selectinload(m.Dossier.lead_applicant),
        selectinload(m.Dossier.direction),
        selectinload(m.Dossier.materials),
    )
    if dossier_ids is not None:
        query = query.where(m.Dossier.id.in_(dossier_ids))
    if reviewed:  # only those with a stored review: not a national round's every dossier
        query = query.where(m.Dossier.id.in_(select(m.FormalReview.dossier_id)))
    return list(session.scalars(query.order_by(m.Dossier.direction_id, m.Dossier.code)))


def _review_in_session(
    session: Session,
    dossiers: list[m.Dossier],
    deadline: datetime | None,
    actor: str,
    clock: Clock,
) -> None:
    kind = session.scalars(select(m.ReviewProject.kind)).one()
    overrides: dict[int, list[m.FormalOverride]] = {}
    for o in session.scalars(select(m.FormalOverride)):
        overrides.setdefault(o.dossier_id, []).append(o)
    existing = {r.dossier_id: r for r in session.scalars(select(m.FormalReview))}
    for dossier in dossiers:
        checks = apply_overrides(evaluate(dossier, deadline, kind), overrides.get(dossier.id, []))
        found = verdict_of(checks)
        # Plain JSON and text at the database boundary.
        stored = encode_checks(checks)
        verdict = found.value if found is not None else None
        department = department_code(dossier.lead_applicant.kind)
        review = existing.get(dossier.id)
        if review is None:
            review = m.FormalReview(
                dossier_id=dossier.id,
                department=department,
                checks=stored,
                verdict=verdict,
                reviewed_at=clock(),
                reviewer=actor,
            )
            session.add(review)
            audit.record(
                session,
                actor=actor,
                action="formal_review.verdict",
                entity="dossier",
                entity_id=dossier.code,
                after={"verdict": verdict},
                clock=clock,
            )
            continue
        if review.checks == stored and review.verdict == verdict:
            continue
        if review.verdict != verdict:
            audit.record(
                session,
                actor=actor,
                action="formal_review.verdict",
                entity="dossier",
                entity_id=dossier.code,
                before={"verdict": review.verdict},
                after={"verdict": verdict},
                clock=clock,
            )
        review.checks, review.verdict, review.department = stored, verdict, department
        review.reviewed_at, review.reviewer = clock(), actor
        if verdict != SUPPLEMENT:
            review.supplement_deadline = None


def run_review(
    project: Project,
    *,
    actor: str = "agency",
    clock: Clock = utc_now,
    dossier_ids: list[int] | None = None,
) -> list[ReviewRow]:
    """Run the formal review of every dossier (or of ``dossier_ids``) and store it."""
    deadline = project.info().deadline
    with project.writing(key=REVIEW_LOCK) as session:
        _review_in_session(session, _load(session, dossier_ids), deadline, actor, clock)
    return reviews(project)


def reviews(project: Project) -> list[ReviewRow]:
    """Return the stored formal reviews, in direction order."""
    return list(iter_reviews(project))


_REVIEW_FIELDS = [f.name for f in fields(ReviewRow)]
_VERDICTS = {v.value: v for v in Verdict}


def iter_reviews(project: Project, *, chunk: int = 2_000) -> Iterator[ReviewRow]:
    """The stored formal reviews, in direction order, read a chunk at a time as plain
    rows (a national round has tens of thousands: never all of them, nor their dossiers
    as objects, in memory at once)."""
    statement = (
        select(
            m.Dossier.id,
            m.Dossier.code,
            m.Applicant.name,
            m.Applicant.kind,
            m.Applicant.city,
            m.Direction.short_name,
            m.Dossier.direction_id,
            m.Dossier.requested_level,
            m.FormalReview.department,
            m.FormalReview.verdict,
            m.FormalReview.checks,
            m.FormalReview.supplement_deadline,
            m.FormalReview.reviewed_at,
        )
        .join(m.FormalReview, m.FormalReview.dossier_id == m.Dossier.id)
        .join(m.Applicant, m.Applicant.id == m.Dossier.lead_applicant_id)
        .join(m.Direction, m.Direction.id == m.Dossier.direction_id)
        .order_by(m.Dossier.direction_id, m.Dossier.code)
        .execution_options(yield_per=chunk)
    )
    with project.reading() as session:
        for row in session.execute(statement):
            values = dict(zip(_REVIEW_FIELDS, row, strict=True))
            verdict = values["verdict"]
            values["verdict"] = _VERDICTS[verdict] if verdict is not None else None
            yield ReviewRow(**values)


def override(
    project: Project,
    dossier_id: int,
    check_id: str,
    result: CheckResult | str,
    reason: str,
    *,
    actor: str = "agency",
    clock: Clock = utc_now,
) -> ReviewRow:
    """Replace an automatic result with a reviewer's decision and its written reason."""
    if result not in (PASS, FAIL):
        raise ReviewError(_("A decision is either met or not met."))
    if len(reason.strip()) < MIN_REASON_LENGTH:
        raise ReviewError(
            tr("Write the reason for the decision (at least {n} characters).", n=MIN_REASON_LENGTH)
        )
    deadline = project.info().deadline
    with project.writing(key=REVIEW_LOCK) as session:
        dossiers = _load(session, [dossier_id])
        if not dossiers:
            raise ReviewError(tr("No dossier with id {id}.", id=dossier_id))
        kind = session.scalars(select(m.ReviewProject.kind)).one()
        checks = {c.id: c for c in evaluate(dossiers[0], deadline, kind)}
        if check_id not in checks:
            raise ReviewError(tr("The dossier has no check {check}.", check=check_id))
        existing = session.scalars(
            select(m.FormalOverride).where(
                m.FormalOverride.dossier_id == dossier_id, m.FormalOverride.check_id == check_id
            )
        ).first()
        before = (
            {"result": existing.result, "reason": existing.reason}
            if existing
            else {"result": checks[check_id].result.value}
        )
        if existing is None:
            existing = m.FormalOverride(dossier_id=dossier_id, check_id=check_id)
            session.add(existing)
        existing.result, existing.reason = CheckResult(result).value, reason.strip()
        existing.decided_by, existing.decided_at = actor, clock()
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="formal_review.override",
            entity="dossier",
            entity_id=dossiers[0].code,
            before={"check": check_id, **before},
            after={
                "check": check_id,
                "result": CheckResult(result).value,
                "reason": reason.strip(),
            },
            clock=clock,
        )
        _review_in_session(session, dossiers, deadline, actor, clock)
    return next(r for r in reviews(project) if r.dossier_id == dossier_id)


def request_supplement(
    project: Project,
    dossier_id: int,
    deadline: datetime,
    *,
    actor: str = "agency",
    clock: Clock = utc_now,
) -> ReviewRow:
    """Set the deadline by which a dossier under 需补正 must be supplemented."""
    if deadline.tzinfo is None:
        raise ReviewError(_("The deadline needs a time zone."))
    with project.writing(key=REVIEW_LOCK) as session:
        review = session.scalars(
            select(m.FormalReview).where(m.FormalReview.dossier_id == dossier_id)
        ).first()
        if review is None or review.verdict != SUPPLEMENT:
            raise ReviewError(_("Only a dossier to be supplemented can be given a deadline."))
        before = review.supplement_deadline
        review.supplement_deadline = deadline
        dossier = session.get(m.Dossier, dossier_id)
        assert dossier is not None
        audit.record(
            session,
            actor=actor,
            action="formal_review.supplement_request",
            entity="dossier",
            entity_id=dossier.code,
            before={"deadline": before.isoformat() if before else None},
            after={"deadline": deadline.isoformat()},
            clock=clock,
        )
    return next(r for r in reviews(project) if r.dossier_id == dossier_id)
