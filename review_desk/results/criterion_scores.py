"""Every criterion score of every submitted score sheet: streamed a sheet at a time
for the workbook's 专家评分明细 sheet (:func:`sheet_scores`), read in bulk for the
criterion radar (:func:`criterion_scores`)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, NamedTuple

import pandas as pd
from sqlalchemy import func, select

from review_desk.project import Project
from review_desk.ranking import _raw_rows
from review_desk.rubrics import active_rubric, rubric_by_hash
from review_desk.storage import models as m
from scoring_models.rubric import Rubric

# Sheets fetched from the cursor at a time: memory stays flat however many there are.
CHUNK = 2_000

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


class SheetScores(NamedTuple):
    """One submitted score sheet with its scores."""

    sheet_id: int
    dossier_id: int
    expert_id: int
    rubric_hash: str
    submitted_at: datetime | None
    kind: str  # the kind of the dossier's lead applicant
    scores: dict[str, Any]  # points (or None) by criterion id


def _has_scores() -> Any:
    return select(m.Score.id).where(m.Score.sheet_id == m.ScoreSheet.id).exists()


def _scores_object(dialect: str) -> Any:
    """Each sheet's scores as one JSON object, gathered by the database: SQLite's
    ``json_group_object``, PostgreSQL's ``json_object_agg``."""
    if dialect == "postgresql":
        return func.json_object_agg(m.Score.criterion_id, m.Score.points)
    return func.json_group_object(m.Score.criterion_id, m.Score.points)


def sheet_scores(project: Project, chunk: int = CHUNK) -> Iterator[SheetScores]:
    """Every submitted sheet that holds scores, with them, ordered by dossier code, then
    expert id, then sheet id: through one cursor, ``chunk`` sheets at a time, so memory
    does not grow with the number of scores (7.5 million in a national round).

    The database gathers each sheet's scores into one JSON object, parsed in C: a row
    per score would cost a Python tuple per score and twice the time."""
    statement = (
        select(
            m.ScoreSheet.id,
            m.ScoreSheet.dossier_id,
            m.ScoreSheet.expert_id,
            m.ScoreSheet.rubric_hash,
            m.ScoreSheet.submitted_at,
            m.Applicant.kind,
            _scores_object(project.db.engine.dialect.name),
        )
        .select_from(m.ScoreSheet)
        .join(m.Dossier, m.Dossier.id == m.ScoreSheet.dossier_id)
        .join(m.Applicant, m.Applicant.id == m.Dossier.lead_applicant_id)
        .join(m.Score, m.Score.sheet_id == m.ScoreSheet.id)
        .where(m.ScoreSheet.status == "submitted")
        # The code and the kind depend on the sheet; PostgreSQL wants them named.
        .group_by(m.ScoreSheet.id, m.Dossier.code, m.Applicant.kind)
        .order_by(m.Dossier.code, m.ScoreSheet.expert_id, m.ScoreSheet.id)
    )
    with project.reading() as session:
        result = session.execute(statement, execution_options={"yield_per": chunk})
        try:
            for sheet_id, dossier_id, expert_id, rubric_hash, at, kind, scores in result:
                yield SheetScores(
                    int(sheet_id),
                    int(dossier_id),
                    int(expert_id),
                    rubric_hash,
                    at,
                    kind,
                    # psycopg hands PostgreSQL's json over parsed already.
                    scores if isinstance(scores, dict) else json.loads(scores),
                )
        finally:
            result.close()


def scored_rubric_hashes(project: Project) -> list[str]:
    """The rubric versions of the submitted sheets that hold scores, in the order of
    their first sheet by dossier id and expert id (computed by the database: a national
    round has 250,000 sheets and a version or two)."""
    scored = (m.ScoreSheet.status == "submitted", _has_scores())
    first: dict[str, tuple[int, int]] = {}
    with project.reading() as session:
        dossiers = session.execute(
            select(m.ScoreSheet.rubric_hash, func.min(m.ScoreSheet.dossier_id))
            .where(*scored)
            .group_by(m.ScoreSheet.rubric_hash)
        ).all()
        for content_hash, dossier_id in dossiers:
            expert_id = session.scalar(
                select(func.min(m.ScoreSheet.expert_id)).where(
                    *scored,
                    m.ScoreSheet.rubric_hash == content_hash,
                    m.ScoreSheet.dossier_id == dossier_id,
                )
            )
            first[content_hash] = (int(dossier_id), int(expert_id or 0))
    return sorted(first, key=lambda h: first[h])


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
