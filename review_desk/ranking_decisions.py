"""The decisions taken on a computed list: the agency records why a score deviates
(畸高畸低), the committee adjusts tiers with a written reason and finalises the list
under a content hash. Each checks what it may do against a fresh computation
(:func:`review_desk.ranking.compute`) and writes its audit entry.

Two seats cannot both win. A decision is checked against a list computed from the state
it is written on: the list is computed without holding any lock (at a national round's
scale that takes seconds, and the write lock would stop every expert's autosave
meanwhile), pinned by the head of the audit chain read before computing (every change
that matters appends an entry in its own transaction; what does not, the stored files'
bytes, cached sheet totals, a laptop's own settings and schema upgrades, changes no
list). The decision's checks and writes then run in one transaction holding the audit
chain's lock (the one that :func:`review_desk.audit.record` takes; on SQLite the
database's write lock): if the head moved in between, another seat changed something,
and the list is computed again (:data:`ATTEMPTS` times in all) before the project is
reported busy. So of two seats finalising, the second sees the first's list and is
refused; an adjustment made while another seat finalises is in the locked list or
refused; each adjustment records the tier in force when it was written.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from review_desk import audit
from review_desk.audit import Clock, utc_now
from review_desk.domain import Tier
from review_desk.i18n import _, tr
from review_desk.project import Project
from review_desk.ranking import RankingError, RankResult, compute, deviations, final_rows
from review_desk.ranking_values import (
    RankingOptions,
    encode_config,
    list_content_hash,
    unexplained_deviations,
)
from review_desk.storage import models as m
from review_desk.storage.locking import ProjectBusy

T = TypeVar("T")
R = TypeVar("R")
# How many times a decision computes the list before it gives up while other seats keep
# changing the project.
ATTEMPTS = 3


def _decide(
    project: Project,
    options: RankingOptions | None,
    decide: Callable[[RankResult, Session], T],
) -> T:
    """Run ``decide`` (its checks and writes) in a transaction holding the audit chain's
    lock, on a list computed from exactly the state in force there (see the module's
    docstring); raise :class:`ProjectBusy` when the project kept changing."""
    return decide_on(project, (options or RankingOptions()).kwargs(), decide)


def _current(project: Project, options: RankingOptions | dict[str, Any] | None) -> RankResult:
    """The list as computed now with ``options`` (or ``ranking.compute``'s keyword
    arguments), without the stability analysis."""
    kwargs = options if isinstance(options, dict) else (options or RankingOptions()).kwargs()
    return compute(project, resamples=0, **kwargs)


def decide_on(
    project: Project,
    compute_kwargs: dict[str, Any],
    decide: Callable[[RankResult, Session], T],
) -> T:
    """:func:`_decide` on the list computed with ``ranking.compute``'s keyword arguments
    (a finalised list's stored settings, for its revisions)."""
    return pinned(project, lambda: _current(project, compute_kwargs), decide)


def pinned(project: Project, read: Callable[[], R], decide: Callable[[R, Session], T]) -> T:
    """Run ``decide`` on what ``read`` computes, in a transaction holding the audit
    chain's lock, only if nothing was recorded since the reading started (see the
    module's docstring); read again, :data:`ATTEMPTS` times in all, before raising
    :class:`ProjectBusy`."""
    for _attempt in range(ATTEMPTS):
        with project.reading() as session:
            seen = audit.chain_head(session)
        current = read()
        with project.writing(key="audit") as session:
            if audit.chain_head(session) == seen:
                return decide(current, session)
    raise ProjectBusy(
        _(
            "The list changed while it was being computed: other seats are saving. "
            "Try again shortly."
        )
    )


def _refuse_if_finalised(current: RankResult, session: Session, message: str) -> None:
    """Refuse a decision on a finalised list (``message`` says which)."""
    if current.finalised is not None or (
        session.scalar(select(m.FinalList.id).limit(1)) is not None
    ):
        raise RankingError(message)


def explain_deviation(
    project: Project,
    dossier_id: int,
    expert_id: int,
    explanation: str,
    *,
    source: str = "agency",
    actor: str = "agency",
    clock: Clock = utc_now,
    options: RankingOptions | None = None,
) -> None:
    """Record why an expert's score deviates (needed before finalising): only while the
    list (a selection's, or a recognition round's) is not finalised, and only for a
    deviation flag of that expert's submitted sheet on that dossier as the scores are
    consolidated with ``options`` (the project's defaults when None; the flags do not
    depend on the allocation of places, so a recognition round, which has none, is
    explained the same way)."""
    if len(explanation.strip()) < 4:
        raise RankingError(_("Write the explanation."))
    explanation = explanation.strip()
    kwargs = (options or RankingOptions()).kwargs()

    def decide(flags: pd.DataFrame, session: Session) -> None:
        if (
            session.scalar(select(m.FinalList.id).limit(1)) is not None
            or session.scalar(select(m.RecognitionFinal.id).limit(1)) is not None
        ):
            raise RankingError(
                _("The list is finalised and locked: its explanations can no longer change.")
            )
        if not ((flags["dossier_id"] == dossier_id) & (flags["expert_id"] == expert_id)).any():
            raise RankingError(
                _(
                    "This expert's submitted score sheet on this dossier has no deviation "
                    "flag: there is nothing to explain."
                )
            )
        note = session.scalars(
            select(m.DeviationNote).where(
                m.DeviationNote.dossier_id == dossier_id, m.DeviationNote.expert_id == expert_id
            )
        ).first()
        before = note.text if note else None
        if note is None:
            note = m.DeviationNote(dossier_id=dossier_id, expert_id=expert_id)
            session.add(note)
        note.text, note.source, note.recorded_by, note.recorded_at = (
            explanation,
            source,
            actor,
            clock(),
        )
        audit.record(
            session,
            actor=actor,
            action="deviation.explain",
            entity="dossier",
            entity_id=dossier_id,
            before={"expert": expert_id, "text": before},
            after={"expert": expert_id, "text": explanation},
            clock=clock,
        )

    pinned(project, lambda: deviations(project, **kwargs), decide)


def adjust(
    project: Project,
    dossier_id: int,
    to_tier: Tier | str,
    reason: str,
    *,
    actor: str = "committee",
    clock: Clock = utc_now,
    options: RankingOptions | None = None,
) -> None:
    """The committee moves a candidate to another tier, with a written reason.
    ``options``: the parameters of the list the committee is looking at."""
    to_tier, reason = checked_adjustment(to_tier, reason)

    def decide(current: RankResult, session: Session) -> None:
        _refuse_if_finalised(current, session, _("The list is finalised and locked."))
        record_adjustment(session, current, dossier_id, to_tier, reason, actor, clock)

    _decide(project, options, decide)


def checked_adjustment(to_tier: Tier | str, reason: str) -> tuple[Tier, str]:
    """The tier and the stripped reason of a committee adjustment, or a
    :class:`RankingError` saying what is missing."""
    if to_tier not in Tier.decisions():
        raise RankingError(_("Choose a tier."))
    if len(reason.strip()) < 4:
        raise RankingError(_("A committee adjustment needs a written reason."))
    return Tier(to_tier), reason.strip()


def record_adjustment(
    session: Session,
    current: RankResult,
    dossier_id: int,
    to_tier: Tier,
    reason: str,
    actor: str,
    clock: Clock,
) -> None:
    """Write the committee's adjustment of a candidate in ``current`` and its audit
    entry (the tier it moves from is the one in force in ``current``)."""
    row = current.table[current.table["dossier_id"] == dossier_id]
    if row.empty:
        raise RankingError(tr("No dossier with id {id}.", id=dossier_id))
    from_tier = str(row["adjusted_tier"].iloc[0])
    session.add(
        m.CommitteeAdjustment(
            dossier_id=dossier_id,
            from_tier=from_tier,
            to_tier=to_tier.value,
            reason=reason,
            decided_by=actor,
            decided_at=clock(),
        )
    )
    audit.record(
        session,
        actor=actor,
        action="committee.adjust",
        entity="dossier",
        entity_id=dossier_id,
        before={"tier": from_tier},
        after={"tier": to_tier.value, "reason": reason},
        clock=clock,
    )


def blocking_deviations(result: RankResult) -> list[tuple[str, str]]:
    """The deviation flags without a written explanation (each blocks finalising), as
    (dossier code, expert name) pairs in the order of the codes."""
    return unexplained_deviations(result.experts)


def deviation_refusal(unexplained: list[tuple[str, str]]) -> str:
    """Why a list cannot be finalised while these deviations (code, expert) wait for
    their written explanation: the selection's and the recognition round's message."""
    return tr(
        "{count} deviating scores still need a written explanation: {which}",
        count=len(unexplained),
        which=_(", ").join(f"{code} {expert}" for code, expert in unexplained),
    )


def finalise(
    project: Project,
    *,
    actor: str = "committee",
    clock: Clock = utc_now,
    options: RankingOptions | None = None,
) -> str:
    """Lock the adjusted list computed with ``options`` (the defaults when None); return
    its content hash. Every deviation flag must be explained and every tie resolved by
    the committee first."""

    def decide(current: RankResult, session: Session) -> str:
        _refuse_if_finalised(current, session, _("The list is finalised already."))
        return _finalise_in(session, current, actor, clock)

    return _decide(project, options, decide)


def _finalise_in(session: Session, current: RankResult, actor: str, clock: Clock) -> str:
    """Check that ``current`` may be locked, and lock it in ``session``; return its
    content hash."""
    if not current.table["score"].notna().any():
        raise RankingError(
            _(
                "Nothing has been scored yet: there is no submitted score sheet, "
                "so there is no list to finalise."
            )
        )
    unexplained = blocking_deviations(current)
    if unexplained:
        raise RankingError(deviation_refusal(unexplained))
    final = lock_list(session, current, current.table, actor, clock)
    content_hash = final.content_hash
    audit.record(
        session,
        actor=actor,
        action="ranking.finalise",
        entity="final_list",
        entity_id=content_hash[:16],
        after={
            "content_hash": content_hash,
            "provincial": int((current.table["adjusted_tier"] == Tier.PROVINCIAL).sum()),
        },
        clock=clock,
    )
    return content_hash


def lock_list(
    session: Session,
    current: RankResult,
    table: pd.DataFrame,
    actor: str,
    clock: Clock,
    *,
    previous: m.FinalList | None = None,
    reason: str = "",
    diff: list[dict[str, Any]] | None = None,
) -> m.FinalList:
    """Write ``table`` (``current``'s list, or its revision) as a finalised list under
    its content hash: version 1, or the version after ``previous`` with the ``reason``
    and ``diff`` of the revision. Refused while tied candidates wait for a decision."""
    if (table["adjusted_tier"] == Tier.TIED).any():
        raise RankingError(_("Tied candidates are waiting for the committee's decision."))
    rows = final_rows(table)
    config = encode_config(current.config)
    final = m.FinalList(
        finalised_at=clock(),
        finalised_by=actor,
        content_hash=list_content_hash(config, rows),
        config=json.loads(json.dumps(config, default=str)),
        rows=rows,
        version=previous.version + 1 if previous is not None else 1,
        reason=reason,
        previous_id=previous.id if previous is not None else None,
        diff=diff or [],
    )
    session.add(final)
    session.flush()
    return final
