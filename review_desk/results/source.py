"""The ranked list the results show: the finalised one when the committee has locked
it (computed again with its settings), otherwise today's list with the project's
settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from review_desk import ranking
from review_desk.domain import Tier
from review_desk.project import Project
from review_desk.ranking_values import decode_config
from review_desk.storage import models as m

# Stored configuration keys -> ranking.compute parameters.
_STORED_AS = {
    "method": "method",
    "trim_min_experts": "trim_min",
    "normalise": "normalise",
    "deviation_percent": "deviation_percent",
    "deviation_sd": "deviation_sd",
    "provincial_target": "target",
    "direction_cap": "cap",
    "min_score": "min_score",
}


def final_list(project: Project) -> m.FinalList | None:
    """The latest finalised list, if any."""
    with project.reading() as session:
        return session.scalars(select(m.FinalList).order_by(m.FinalList.id.desc())).first()


@dataclass(frozen=True)
class FinalListState:
    """What a page shows of the committee's locked list: its hash, who locked it when,
    and how many entries it lists (provincial and municipal/county bases)."""

    content_hash: str
    finalised_at: datetime
    finalised_by: str
    listed: int


def final_list_state(project: Project) -> FinalListState | None:
    """The latest finalised list as a typed value for the UI, or ``None``."""
    final = final_list(project)
    if final is None:
        return None
    listed = {Tier.PROVINCIAL.value, Tier.MUNICIPAL.value}
    return FinalListState(
        content_hash=final.content_hash,
        finalised_at=final.finalised_at,
        finalised_by=final.finalised_by,
        listed=sum(row.get("adjusted_tier") in listed for row in final.rows),
    )


def final_list_hash(project: Project) -> str | None:
    """The content hash of the latest finalised list, or ``None`` (a cheap query: pages
    compare it with what they show)."""
    with project.reading() as session:
        return session.scalars(
            select(m.FinalList.content_hash).order_by(m.FinalList.id.desc())
        ).first()


def options_of(config: dict[str, Any]) -> dict[str, Any]:
    """The ``ranking.compute`` parameters a finalised list was computed with (its
    stored configuration, as JSON)."""
    options = decode_config(config).options()
    # A setting an older version did not store is left to compute's default.
    return {option: options[option] for key, option in _STORED_AS.items() if key in config}


def results_ranking(project: Project, *, resamples: int = 1000) -> ranking.RankResult:
    """The list to report: computed with the finalised list's settings when there is one."""
    final = final_list(project)
    options = options_of(final.config) if final is not None else {}
    return ranking.compute(project, resamples=resamples, **options)
