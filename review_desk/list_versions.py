"""Versions of the finalised list (名单版本). The committee's finalisation is version 1;
an objection the committee upholds revises the list through the committee's own
adjustments into the next version, with its content hash (the hash finalisation uses)
and a diff against the version it revises: the dossiers whose tier or rank changed.
Nothing is overwritten: every version stays, and the latest one is the list in force
(every reader takes the highest id). The ordinary path (``adjust``, ``finalise``) still
refuses to touch a finalised list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from review_desk import audit
from review_desk.audit import Clock, utc_now
from review_desk.domain import Tier
from review_desk.i18n import _, tr
from review_desk.project import Project
from review_desk.publicity import PublicityError, latest_list
from review_desk.ranking import RankResult, tier_label
from review_desk.ranking_decisions import (
    checked_adjustment,
    decide_on,
    lock_list,
    record_adjustment,
)
from review_desk.ranking_steps import Adjustment, apply_adjustments, final_rows
from review_desk.results.source import options_of
from review_desk.storage import models as m


@dataclass(frozen=True)
class Revision:
    """A new version of the list: its number, content hash and the changed dossiers
    (each ``{"code", "dossier_id", "before": {tier, rank}, "after": {tier, rank}}``)."""

    version: int
    content_hash: str
    previous_hash: str
    diff: list[dict[str, Any]]


def list_diff(
    before: Sequence[dict[str, Any]], after: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The dossiers whose adjusted tier or rank differ between two versions' rows (a
    dossier in one only shows ``None`` on the other side), ordered by code."""
    old = {row["dossier_id"]: row for row in before}
    new = {row["dossier_id"]: row for row in after}

    def side(row: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if row is None else {"tier": row["adjusted_tier"], "rank": row["rank"]}

    changed = []
    for key in old.keys() | new.keys():
        a, b = side(old.get(key)), side(new.get(key))
        if a != b:
            code = (new.get(key) or old[key])["code"]
            changed.append({"code": code, "dossier_id": key, "before": a, "after": b})
    return sorted(changed, key=lambda entry: str(entry["code"]))


def change_text(change: dict[str, Any]) -> str:
    """One dossier of a version's diff as users read it: its tier and rank before and
    after (``SX-01-0001 省级（第1名） → 市（县）级（第1名）``)."""

    def side(state: dict[str, Any] | None) -> str:
        if state is None:
            return _("not listed")
        if state.get("rank") is None:
            return tier_label(state.get("tier"))
        return tr("{tier} (rank {rank})", tier=tier_label(state.get("tier")), rank=state["rank"])

    return f"{change['code']} {side(change.get('before'))} → {side(change.get('after'))}"


def _latest_adjustments(session: Session) -> dict[int, Adjustment]:
    """The committee's latest adjustment of each dossier (as ``ranking`` reads them)."""
    rows = session.execute(
        select(
            m.CommitteeAdjustment.dossier_id,
            m.CommitteeAdjustment.to_tier,
            m.CommitteeAdjustment.reason,
        ).order_by(m.CommitteeAdjustment.id)
    ).all()
    return {int(d): Adjustment(Tier(t), r) for d, t, r in rows}


def revise_for_objection(
    project: Project,
    objection_id: int,
    adjustments: Sequence[tuple[int, Tier | str]],
    reason: str,
    *,
    actor: str = "committee",
    clock: Clock = utc_now,
) -> Revision:
    """Apply the committee's adjustments (dossier id, new tier) for an upheld objection
    and lock the result as the next version of the list, computed with the settings
    the list was finalised with. ``reason`` is the committee's written reason of each
    adjustment; the version's reason names the objection."""
    if not adjustments:
        raise PublicityError(_("Name at least one dossier and its new tier."))
    checked = [(dossier, *checked_adjustment(tier, reason)) for dossier, tier in adjustments]
    with project.reading() as session:
        previous = latest_list(session)
        if previous is None:
            raise PublicityError(_("The list is not finalised yet: there is nothing to revise."))
        settings = options_of(previous.config)

    def decide(current: RankResult, session: Session) -> Revision:
        objection = session.get(m.Objection, objection_id)
        if objection is None:
            raise PublicityError(tr("No objection No. {id}.", id=objection_id))
        if objection.status != "upheld":
            raise PublicityError(_("Only an objection the committee has upheld revises the list."))
        if objection.resulting_list_id is not None:
            raise PublicityError(_("This objection has revised the list already."))
        period = session.get(m.PublicityPeriod, objection.period_id)
        if period is not None and period.published_at is not None:
            raise PublicityError(_("The list has been published: it no longer changes."))
        before = latest_list(session)
        assert before is not None
        merged = _latest_adjustments(session)
        for dossier, tier, text in checked:
            record_adjustment(session, current, dossier, tier, text, actor, clock)
            merged[dossier] = Adjustment(tier, text)
        table = apply_adjustments(current.table, merged)
        diff = list_diff(before.rows, final_rows(table))
        final = lock_list(
            session,
            current,
            table,
            actor,
            clock,
            previous=before,
            reason=tr(
                "Objection No. {id} upheld: {reason}",
                id=objection_id,
                reason=objection.decision_reason,
            ),
            diff=diff,
        )
        objection.resulting_list_id = final.id
        audit.record(
            session,
            actor=actor,
            action="ranking.revise",
            entity="final_list",
            entity_id=final.content_hash[:16],
            before={"content_hash": before.content_hash, "version": before.version},
            after={
                "content_hash": final.content_hash,
                "version": final.version,
                "objection": objection_id,
                "changed": [entry["code"] for entry in diff],
            },
            clock=clock,
        )
        return Revision(final.version, final.content_hash, before.content_hash, diff)

    return decide_on(project, settings, decide)


@dataclass(frozen=True)
class ListVersion:
    """One version of the finalised list, as the history shows it."""

    version: int
    content_hash: str
    finalised_at: str
    finalised_by: str
    reason: str
    diff: list[dict[str, Any]]


def versions(project: Project) -> list[ListVersion]:
    """Every version of the finalised list, oldest first."""
    with project.reading() as session:
        return [
            ListVersion(
                f.version,
                f.content_hash,
                f.finalised_at.isoformat(),
                f.finalised_by,
                f.reason,
                list(f.diff),
            )
            for f in session.scalars(select(m.FinalList).order_by(m.FinalList.id))
        ]
