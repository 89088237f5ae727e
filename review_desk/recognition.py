"""The outcome of a recognition round (认定验收): per base 通过 / 限期整改 / 不通过, by the
rubric's pass thresholds, decided by the committee, and locked in the recognition list
(认定名单).

The scores are the ranking's: :func:`review_desk.ranking_steps.read_inputs` and
:func:`~review_desk.ranking_steps.analyse_scores` (the same trimmed mean, stage weights,
vetoes and formal-review verdicts, the same deviation flags and panel reliability), with
no quota allocation. Deviating scores (畸高畸低) are explained with
:func:`review_desk.ranking_decisions.explain_deviation`, as in the selection, before
finalising. Each base gets a
suggested outcome with its reason, a record (code and parameters, like the ranking's
reasons) rendered in the user's language when shown. The committee accepts the
suggestion or overrides it with a written reason, and gives 限期整改 a deadline;
:func:`finalise` locks the decisions under a content hash (the finalised list's hash
function). Every decision and the finalisation are audited.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from review_desk import audit
from review_desk.audit import Clock, utc_now
from review_desk.domain import Verdict
from review_desk.i18n import _, tr
from review_desk.project import Project
from review_desk.ranking import ranking_config
from review_desk.ranking_decisions import deviation_refusal
from review_desk.ranking_steps import analyse_scores, read_inputs
from review_desk.ranking_values import (
    DeviationFlag,
    PanelReliability,
    deviation_flags,
    encode_deviations,
    encode_reliability,
    list_content_hash,
    unexplained_deviations,
)
from review_desk.reasons import encode
from review_desk.recognition_round import RecognitionError, require_recognition
from review_desk.rubrics import active_rubric
from review_desk.storage import models as m
from review_desk.storage.locking import ProjectBusy
from scoring_models.reasons import Reason
from scoring_models.rubric import N_
from scoring_models.rubric_outcome import OutcomeThresholds

PASSED, RECTIFY, FAILED = "passed", "rectify", "failed"
OUTCOMES = (PASSED, RECTIFY, FAILED)
MIN_REASON = 2
# The write lock of the committee's recognition decisions.
LOCK = "recognition"
ATTEMPTS = 3  # readings of the outcomes before finalising gives up as busy

_OUTCOME_LABELS = {
    PASSED: N_("Passed"),
    RECTIFY: N_("Rectify within a deadline"),
    FAILED: N_("Failed"),
}
# The suggestion's reasons: code -> template (a message of data/i18n/zh_CN.po).
_REASONS = {
    "score_passed": N_("Consolidated score {score}, not below the pass threshold {pass_score}"),
    "score_rectify": N_(
        "Consolidated score {score}, below the pass threshold {pass_score} and not below "
        "the rectification threshold {rectify_score}"
    ),
    "score_failed": N_(
        "Consolidated score {score}, below the rectification threshold {rectify_score}"
    ),
    "vetoed": N_("Vetoed: a veto item was raised by the rubric's number of experts"),
    "unscored": N_("No submitted score sheet yet"),
    "formal_review": N_("The formal review has not passed ({verdict})"),
}


def outcome_label(outcome: str | None) -> str:
    """An outcome as shown (通过 / 限期整改 / 不通过); an unknown one as it is."""
    if outcome is None:
        return _("Not decided")
    template = _OUTCOME_LABELS.get(outcome)
    return _(template) if template is not None else outcome


def render_reason(record: Mapping[str, Any] | Reason | None) -> str:
    """A suggestion's reason record as text in the current language."""
    if record is None:
        return ""
    code, params = (
        (record.code, dict(record.params))
        if isinstance(record, Reason)
        else (str(record.get("code")), dict(record.get("params") or {}))
    )
    template = _REASONS.get(code)
    if template is None:
        return f"{code}{params}"
    if "verdict" in params:
        verdict = params["verdict"]
        params["verdict"] = Verdict(str(verdict)).label if verdict else _("Awaiting manual check")
    return tr(template, **params)


def _score(value: float) -> str:
    return f"{value:.2f}"


@dataclass(frozen=True)
class BaseOutcome:
    """One base of the round: its consolidated score, the suggested outcome with its
    reason, and the committee's decision (``outcome`` is the decision, or the
    suggestion while the committee has not decided)."""

    dossier_id: int
    code: str
    platform: str
    applicant: str
    direction_id: int
    direction: str
    level: str
    score: float | None
    experts: int
    vetoed: bool
    suggested: str | None
    suggestion: Reason
    decided: bool
    outcome: str | None
    reason: str  # the committee's written reason ('' when it accepted without one)
    deadline: date | None
    decided_by: str

    @property
    def suggestion_text(self) -> str:
        """The suggestion's reason as text."""
        return render_reason(self.suggestion)

    @property
    def reason_text(self) -> str:
        """The reason shown for the outcome: the committee's, else the suggestion's."""
        return self.reason or self.suggestion_text

    def as_dict(self) -> dict[str, Any]:
        """JSON data (``recognition outcomes --json``)."""
        return {
            "code": self.code,
            "platform": self.platform,
            "applicant": self.applicant,
            "direction": self.direction_id,
            "level": self.level,
            "score": self.score,
            "experts": self.experts,
            "vetoed": self.vetoed,
            "suggested": self.suggested,
            "suggestion": self.suggestion_text,
            "suggestion_record": encode(self.suggestion),
            "decided": self.decided,
            "outcome": self.outcome,
            "reason": self.reason_text,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "decided_by": self.decided_by,
        }


def suggest(
    score: float | None, vetoed: bool, verdict: str | None, thresholds: OutcomeThresholds
) -> tuple[str | None, Reason]:
    """The suggested outcome of a base and its reason: by the thresholds on its
    consolidated score; 不通过 when vetoed; none while the formal review has not passed
    or no sheet is submitted."""
    if verdict != Verdict.PASSED:
        return None, Reason("formal_review", {"verdict": verdict or ""})
    if vetoed:
        return FAILED, Reason("vetoed")
    if score is None:
        return None, Reason("unscored")
    outcome = thresholds.outcome_of(score)
    params = {
        "score": _score(score),
        "pass_score": f"{thresholds.pass_score:g}",
        "rectify_score": f"{thresholds.rectify_score:g}",
    }
    return outcome, Reason(f"score_{outcome}", params)


def _thresholds(project: Project) -> tuple[OutcomeThresholds, str]:
    rubric = active_rubric(project)
    if rubric.outcome is None:
        raise RecognitionError(
            tr(
                "The rubric {name} sets no pass thresholds ([outcome] pass and rectify): "
                "use a recognition rubric.",
                name=rubric.name,
            )
        )
    return rubric.outcome, rubric.content_hash


def _latest_decisions(session: Session) -> dict[int, m.RecognitionDecision]:
    rows = session.scalars(select(m.RecognitionDecision).order_by(m.RecognitionDecision.id))
    return {row.dossier_id: row for row in rows}


@dataclass(frozen=True)
class RoundReview:
    """A recognition round as read now: each base's outcome (``bases``, in code order),
    the deviation flags (畸高畸低) with their explanations (``flags``, the ranking's
    ``RankResult.experts``) and each panel's reliability, all from the ranking's own
    analysis."""

    bases: list[BaseOutcome]
    flags: pd.DataFrame
    reliability: list[PanelReliability]

    def deviations(self) -> list[DeviationFlag]:
        """The deviation flags as typed rows, for showing."""
        return deviation_flags(self.flags)

    def unexplained(self) -> list[tuple[str, str]]:
        """The flags without a written explanation (code, expert): they block
        finalising."""
        return unexplained_deviations(self.flags)

    def as_dict(self) -> dict[str, Any]:
        """JSON data (``recognition outcomes --json``)."""
        return {
            "bases": [base.as_dict() for base in self.bases],
            "deviations": encode_deviations(self.flags),
            "reliability": [encode_reliability(entry) for entry in self.reliability],
        }


def outcomes(project: Project) -> list[BaseOutcome]:
    """Every base of the round in code order, with its score, suggestion and decision."""
    return round_review(project).bases


def round_review(project: Project) -> RoundReview:
    """Every base's outcome, the deviation flags and each panel's reliability, from one
    reading: the ranking's consolidation and analysis (:func:`ranking_steps.analyse_scores`,
    with the project's default options), without its allocation of places."""
    with project.reading() as session:
        require_recognition(session)
    thresholds, _hash = _thresholds(project)
    inputs = read_inputs(project)
    consolidated, analysis = analyse_scores(inputs, ranking_config(inputs, resamples=0))
    candidates = consolidated.candidates
    with project.reading() as session:
        decisions = _latest_decisions(session)
        platforms = {
            int(i): str(name)
            for i, name in session.execute(select(m.Dossier.id, m.Dossier.platform_name))
        }
    # No formal review run yet: nothing has passed it (unlike the ranking, which then
    # lets every dossier through, a recognition outcome needs the report checked).
    verdicts = inputs.verdicts
    result = []
    records = cast(list[dict[str, Any]], candidates.sort_values("code").to_dict("records"))
    for row in records:
        dossier_id = int(row["dossier_id"])
        score = float(row["score"]) if math.isfinite(row["score"]) else None
        suggested, suggestion = suggest(
            score, bool(row["vetoed"]), verdicts.get(dossier_id), thresholds
        )
        decision = decisions.get(dossier_id)
        result.append(
            BaseOutcome(
                dossier_id=dossier_id,
                code=str(row["code"]),
                platform=platforms.get(dossier_id, ""),
                applicant=str(row["applicant"]),
                direction_id=int(row["direction_id"]),
                direction=str(row["direction"]),
                level=str(row["requested_level"]),
                score=score,
                experts=int(row["experts"]),
                vetoed=bool(row["vetoed"]),
                suggested=suggested,
                suggestion=suggestion,
                decided=decision is not None,
                outcome=decision.outcome if decision else suggested,
                reason=decision.reason if decision else "",
                deadline=decision.deadline if decision else None,
                decided_by=decision.decided_by if decision else "",
            )
        )
    return RoundReview(result, analysis.flagged, analysis.reliability)


def _refuse_if_finalised(session: Session) -> None:
    if session.scalar(select(m.RecognitionFinal.id)) is not None:
        raise RecognitionError(
            _("The recognition list is finalised: its decisions no longer change.")
        )


def decide(
    project: Project,
    code: str,
    outcome: str,
    reason: str = "",
    *,
    deadline: date | None = None,
    actor: str = "committee",
    clock: Clock = utc_now,
) -> BaseOutcome:
    """The committee's decision on a base: the suggested outcome accepted (a reason is
    optional) or another one with a written reason of at least :data:`MIN_REASON`
    characters; 限期整改 with its deadline day."""
    if outcome not in OUTCOMES:
        raise RecognitionError(_("Choose passed, rectify or failed."))
    reason = reason.strip()
    if outcome == RECTIFY and deadline is None:
        raise RecognitionError(_("Rectification within a deadline needs the deadline day."))
    if outcome != RECTIFY and deadline is not None:
        raise RecognitionError(_("Only rectification within a deadline has a deadline day."))
    for _attempt in range(ATTEMPTS):
        with project.reading() as session:
            seen = audit.chain_head(session)
        base = _checked_base(project, code, outcome, reason)
        with project.writing(key=LOCK) as session:
            _refuse_if_finalised(session)
            # A score, a formal review or a decision committed since the base was read:
            # its suggestion may have changed, so read it again.
            if audit.chain_head(session) != seen:
                continue
            _store_decision(session, base, outcome, reason, deadline, actor, clock)
            break
    else:
        raise ProjectBusy(
            _("The base's outcome changed while it was being decided: try again shortly.")
        )
    return next(row for row in outcomes(project) if row.code == code)


def _checked_base(project: Project, code: str, outcome: str, reason: str) -> BaseOutcome:
    """The base ``code`` as it stands, refused when deciding ``outcome`` instead of its
    suggestion comes without a written reason."""
    base = next((row for row in outcomes(project) if row.code == code), None)
    if base is None:
        raise RecognitionError(tr("No base {code} in this round.", code=code))
    if outcome != base.suggested and len(reason) < MIN_REASON:
        raise RecognitionError(
            tr(
                "The suggested outcome is {suggested}: deciding {outcome} instead needs the "
                "committee's written reason (at least {n} characters).",
                suggested=outcome_label(base.suggested),
                outcome=outcome_label(outcome),
                n=MIN_REASON,
            )
        )
    return base


def _store_decision(
    session: Session,
    base: BaseOutcome,
    outcome: str,
    reason: str,
    deadline: date | None,
    actor: str,
    clock: Clock,
) -> None:
    """Store and audit the committee's decision on ``base`` in the locked session."""
    previous = _latest_decisions(session).get(base.dossier_id)
    session.add(
        m.RecognitionDecision(
            dossier_id=base.dossier_id,
            outcome=outcome,
            suggested=base.suggested,
            score=base.score,
            reason=reason,
            deadline=deadline,
            decided_by=actor,
            decided_at=clock(),
        )
    )
    audit.record(
        session,
        actor=actor,
        action="recognition.decide",
        entity="dossier",
        entity_id=base.code,
        before={
            "outcome": previous.outcome if previous else None,
            "suggested": base.suggested,
            "score": base.score,
        },
        after={
            "outcome": outcome,
            "reason": reason,
            "deadline": deadline.isoformat() if deadline else None,
            "override": outcome != base.suggested,
        },
        clock=clock,
    )


def final_row(base: BaseOutcome, deadline: date | None) -> dict[str, Any]:
    """A base as the finalised list keeps it (plain JSON values; the suggestion as its
    record, the reason shown as text in the committee's words or the suggestion's)."""
    return {
        "dossier_id": base.dossier_id,
        "code": base.code,
        "platform": base.platform,
        "applicant": base.applicant,
        "direction_id": base.direction_id,
        "direction": base.direction,
        "level": base.level,
        "score": round(base.score, 4) if base.score is not None else None,
        "experts": base.experts,
        "vetoed": base.vetoed,
        "suggested": base.suggested,
        "suggestion": encode(base.suggestion),
        "decided": base.decided,
        "outcome": base.outcome,
        "reason": base.reason,
        "reason_text": base.reason_text,
        "deadline": deadline.isoformat() if deadline else None,
    }


def finalise(
    project: Project,
    *,
    rectify_deadline: date | None = None,
    actor: str = "committee",
    clock: Clock = utc_now,
) -> str:
    """Lock the round's outcomes in the recognition list under a content hash; return
    it. Refused while a base has no outcome (no suggestion and no decision), while a
    deviating score (畸高畸低) has no written explanation (as the selection's list), or
    while a 限期整改 has no deadline (``rectify_deadline`` gives one to those the committee
    gave none); refused once finalised."""
    for _attempt in range(ATTEMPTS):
        with project.reading() as session:
            seen = audit.chain_head(session)
        review = round_review(project)
        thresholds, rubric_hash = _thresholds(project)
        final_rows = _final_rows(review, rectify_deadline)
        with project.writing(key=LOCK) as session:
            _refuse_if_finalised(session)
            # A decision (or a score) committed since the outcomes were read: read again.
            if audit.chain_head(session) != seen:
                continue
            return _lock(session, final_rows, thresholds, rubric_hash, actor, clock)
    raise ProjectBusy(
        _(
            "The outcomes changed while they were being finalised: other seats are saving. "
            "Try again shortly."
        )
    )


def _final_rows(review: RoundReview, rectify_deadline: date | None) -> list[dict[str, Any]]:
    """The rows to lock, refused while a base has no outcome, a deviation no
    explanation or a 限期整改 no deadline."""
    rows = review.bases
    undecided = [row.code for row in rows if row.outcome is None]
    if undecided:
        raise RecognitionError(
            tr(
                "These bases have no outcome yet (no score or formal review not passed, and "
                "no decision): {codes}",
                codes="、".join(undecided),
            )
        )
    unexplained = review.unexplained()
    if unexplained:
        raise RecognitionError(deviation_refusal(unexplained))
    no_deadline = [row.code for row in rows if row.outcome == RECTIFY and row.deadline is None]
    if no_deadline and rectify_deadline is None:
        raise RecognitionError(
            tr(
                "Rectification within a deadline needs its deadline day: {codes} (decide "
                "them with --deadline, or finalise with --rectify-deadline).",
                codes="、".join(no_deadline),
            )
        )
    return [
        final_row(row, row.deadline or (rectify_deadline if row.outcome == RECTIFY else None))
        for row in rows
    ]


def _lock(
    session: Session,
    final_rows: list[dict[str, Any]],
    thresholds: OutcomeThresholds,
    rubric_hash: str,
    actor: str,
    clock: Clock,
) -> str:
    """Store the finalised recognition list in the locked session; its content hash."""
    record = require_recognition(session)
    config = {
        "kind": "recognition",
        "round_name": record.round_name,
        "rubric_hash": rubric_hash,
        "pass": thresholds.pass_score,
        "rectify": thresholds.rectify_score,
        "source_project": record.source_project_id,
        "source_list_hash": record.source_list_hash,
    }
    content_hash = list_content_hash(config, final_rows)
    session.add(
        m.RecognitionFinal(
            finalised_at=clock(),
            finalised_by=actor,
            content_hash=content_hash,
            config=config,
            rows=final_rows,
        )
    )
    counts = {o: sum(1 for r in final_rows if r["outcome"] == o) for o in OUTCOMES}
    audit.record(
        session,
        actor=actor,
        action="recognition.finalise",
        entity="recognition_final",
        entity_id=content_hash[:16],
        after={"hash": content_hash, "bases": len(final_rows), **counts},
        clock=clock,
    )
    return content_hash


@dataclass(frozen=True)
class RecognitionList:
    """The finalised recognition list (认定名单) as the exports read it."""

    round_name: str
    project_name: str
    content_hash: str
    finalised_at: datetime
    rows: list[dict[str, Any]]
    issuer: str

    def of_outcome(self, outcome: str) -> list[dict[str, Any]]:
        """The rows with this outcome, in code order."""
        return [r for r in self.rows if r["outcome"] == outcome]

    def row(self, code: str) -> dict[str, Any]:
        """The row of base ``code``; refused when the list has none."""
        for row in self.rows:
            if row["code"] == code:
                return row
        raise RecognitionError(tr("No base {code} in this round.", code=code))


def recognition_list(project: Project) -> RecognitionList:
    """The finalised recognition list; refused before finalisation."""
    with project.reading() as session:
        record = require_recognition(session)
        final = session.scalars(
            select(m.RecognitionFinal).order_by(m.RecognitionFinal.id.desc())
        ).first()
        if final is None:
            raise RecognitionError(
                _(
                    "The recognition list is not finalised: the list and the documents are "
                    "made from the committee's finalised decisions only."
                )
            )
        return RecognitionList(
            round_name=record.round_name or record.name,
            project_name=record.name,
            content_hash=final.content_hash,
            finalised_at=final.finalised_at,
            rows=list(final.rows),
            issuer=record.organiser or record.agency,
        )
