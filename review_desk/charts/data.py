"""What the charts draw, gathered once from the ranking and the project's scores."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import select

from review_desk.project import Project
from review_desk.ranking import RankResult
from review_desk.ranking_values import FinalisedList, RankingConfig
from review_desk.results.criterion_scores import criterion_scores, rubric_versions
from review_desk.results.source import results_ranking
from review_desk.storage import models as m


@dataclass(frozen=True)
class CriterionInfo:
    """A criterion as the radar labels it."""

    id: str
    name: str
    max: float


@dataclass
class ChartData:
    """The ranking and scores the figure builders draw."""

    table: pd.DataFrame
    totals: pd.DataFrame
    leniency: pd.DataFrame
    config: RankingConfig
    criteria: list[CriterionInfo] = field(default_factory=list)
    # Mean points per dossier (rows) and criterion (columns) over submitted sheets.
    criterion_means: pd.DataFrame = field(default_factory=pd.DataFrame)
    # Each dossier's platform name, for the details beside the chart.
    platforms: dict[int, str] = field(default_factory=dict)
    directions: dict[int, str] = field(default_factory=dict)
    finalised: FinalisedList | None = None

    @property
    def empty(self) -> bool:
        """True when no dossier has a score yet."""
        return self.table.empty or not self.table["score"].notna().any()

    def dossier_label(self, dossier_id: int) -> str:
        """``code applicant`` of a dossier."""
        row = self.table[self.table["dossier_id"] == dossier_id]
        if row.empty:
            return str(dossier_id)
        return f"{row['code'].iloc[0]} {row['applicant'].iloc[0]}"


def chart_data(project: Project, result: RankResult | None = None) -> ChartData:
    """Gather what every chart needs (the ranking is computed unless given)."""
    result = result or results_ranking(project)
    scores = criterion_scores(project)
    criteria: dict[str, CriterionInfo] = {}
    for version in rubric_versions(project, scores["rubric_hash"].unique()).values():
        for c in version.criteria:  # the active version's first
            criteria.setdefault(c.id, CriterionInfo(c.id, c.name, c.max))
    means = (
        scores.pivot_table(
            index="dossier_id", columns="criterion_id", values="points", aggfunc="mean"
        )
        if len(scores)
        else pd.DataFrame()
    )
    with project.reading() as session:
        directions = dict(session.execute(select(m.Direction.id, m.Direction.short_name)).all())
        platforms = dict(session.execute(select(m.Dossier.id, m.Dossier.platform_name)).all())
    return ChartData(
        table=result.table,
        totals=result.totals,
        leniency=result.leniency,
        config=result.config,
        criteria=list(criteria.values()),
        criterion_means=means,
        platforms={int(k): str(v) for k, v in platforms.items()},
        directions={int(k): str(v) for k, v in directions.items()},
        finalised=result.finalised,
    )
