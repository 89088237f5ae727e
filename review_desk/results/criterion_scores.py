"""Every criterion score of every submitted score sheet, read in bulk: for the
workbook's 专家评分明细 sheet and the criterion radar."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import pandas as pd
from sqlalchemy import select

from review_desk.project import Project
from review_desk.ranking import _raw_rows
from review_desk.rubrics import active_rubric, rubric_by_hash
from review_desk.storage import models as m
from scoring_models.rubric import Rubric

COLUMNS = ["sheet_id", "dossier_id", "expert_id", "rubric_hash", "criterion_id", "points"]


def criterion_scores(project: Project, rubric_hash: str | None = None) -> pd.DataFrame:
    """One row per score of a submitted sheet (of the rubric ``rubric_hash`` when given).
    Straight from the driver (no type processing), so only ids, text and numbers."""
    statement = (
        select(
            m.ScoreSheet.id,
            m.ScoreSheet.dossier_id,
            m.ScoreSheet.expert_id,
            m.ScoreSheet.rubric_hash,
            m.Score.criterion_id,
            m.Score.points,
        )
        .join(m.Score, m.Score.sheet_id == m.ScoreSheet.id)
        .where(m.ScoreSheet.status == "submitted")
        .order_by(m.ScoreSheet.dossier_id, m.ScoreSheet.expert_id)
    )
    if rubric_hash is not None:
        statement = statement.where(m.ScoreSheet.rubric_hash == rubric_hash)
    with project.reading() as session:
        rows = _raw_rows(session, statement)
    frame = pd.DataFrame.from_records(rows, columns=COLUMNS)
    frame["points"] = frame["points"].astype(float)
    return frame


def submission_times(project: Project) -> dict[int, datetime]:
    """When each submitted sheet was submitted, by sheet id (aware UTC times)."""
    with project.reading() as session:
        rows = session.execute(
            select(m.ScoreSheet.id, m.ScoreSheet.submitted_at).where(
                m.ScoreSheet.status == "submitted"
            )
        ).all()
    return {int(sheet_id): at for sheet_id, at in rows if at is not None}


def rubric_versions(project: Project, hashes: Iterable[str]) -> dict[str, Rubric]:
    """The rubric versions the given sheets were scored with, the active one first."""
    active = active_rubric(project)
    versions = {active.content_hash: active}
    for content_hash in hashes:
        if content_hash not in versions:
            version = rubric_by_hash(project, content_hash)
            if version is not None:
                versions[content_hash] = version
    return versions
