"""Every criterion score of every submitted score sheet: streamed a sheet at a time
for the workbook's 专家评分明细 sheet (:func:`sheet_scores`), read in bulk for the
criterion radar (:func:`criterion_scores`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, NamedTuple

import pandas as pd
from sqlalchemy import select

from review_desk.project import Project
from review_desk.ranking import _raw_rows
from review_desk.rubrics import active_rubric, rubric_by_hash
from review_desk.storage import models as m
from scoring_models.rubric import Rubric

# Scores fetched from the cursor at a time: memory stays flat however many there are.
CHUNK = 20_000

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
    scores: list[tuple[str, Any]]  # (criterion id, points or None)


def _in_sheet_order(statement: Any) -> Any:
    """Submitted sheets in the detail sheet's order: by dossier code, then expert id,
    then sheet id."""
    return (
        statement.join(m.Dossier, m.Dossier.id == m.ScoreSheet.dossier_id)
        .where(m.ScoreSheet.status == "submitted")
        .order_by(m.Dossier.code, m.ScoreSheet.expert_id, m.ScoreSheet.id)
    )


def _has_scores() -> Any:
    return select(m.Score.id).where(m.Score.sheet_id == m.ScoreSheet.id).exists()


def sheet_scores(project: Project, chunk: int = CHUNK) -> Iterator[SheetScores]:
    """Every submitted sheet that holds scores, with them, ordered by dossier code, then
    expert id, then sheet id. The scores come through one cursor in that order,
    ``chunk`` at a time, and the sheets' own fields through a second one in the same
    order: memory does not grow with the number of scores (7.5 million in a national
    round)."""
    sheets = _in_sheet_order(
        select(
            m.ScoreSheet.id,
            m.ScoreSheet.dossier_id,
            m.ScoreSheet.expert_id,
            m.ScoreSheet.rubric_hash,
            m.ScoreSheet.submitted_at,
            m.Applicant.kind,
        )
        .select_from(m.ScoreSheet)
        .where(_has_scores())
    ).join(m.Applicant, m.Applicant.id == m.Dossier.lead_applicant_id)
    scores = _in_sheet_order(
        select(m.Score.sheet_id, m.Score.criterion_id, m.Score.points)
        .select_from(m.Score)
        .join(m.ScoreSheet, m.ScoreSheet.id == m.Score.sheet_id)
    )
    with project.reading() as session:
        # Typed rows for the sheets (their times are aware datetimes), a few at a time;
        # the driver's plain tuples for the scores: Row objects cost about a second per
        # million.
        heads = session.execute(sheets, execution_options={"yield_per": chunk})
        result = session.connection().execute(scores)
        cursor = result.cursor
        try:
            head: Any = None
            current: list[tuple[str, Any]] = []
            while cursor is not None:
                rows = cursor.fetchmany(chunk)
                if not rows:
                    break
                for sheet_id, criterion_id, points in rows:
                    if head is None or sheet_id != head[0]:
                        if head is not None:
                            yield _sheet(head, current)
                        head = next(heads)
                        while head[0] != sheet_id:  # cannot happen: the same order
                            head = next(heads)
                        current = []
                    current.append((criterion_id, points))
            if head is not None:
                yield _sheet(head, current)
        finally:
            result.close()
            heads.close()


def _sheet(head: Any, scores: list[tuple[str, Any]]) -> SheetScores:
    sheet_id, dossier_id, expert_id, rubric_hash, submitted_at, kind = head
    return SheetScores(
        int(sheet_id), int(dossier_id), int(expert_id), rubric_hash, submitted_at, kind, scores
    )


def scored_rubric_hashes(project: Project) -> list[str]:
    """The rubric versions of the submitted sheets that hold scores, in the order of
    their first sheet by dossier id and expert id."""
    statement = select(
        m.ScoreSheet.rubric_hash, m.ScoreSheet.dossier_id, m.ScoreSheet.expert_id
    ).where(m.ScoreSheet.status == "submitted", _has_scores())
    first: dict[str, tuple[int, int]] = {}
    with project.reading() as session:
        for content_hash, dossier_id, expert_id in _raw_rows(session, statement):
            key = (int(dossier_id), int(expert_id))
            if content_hash not in first or key < first[content_hash]:
                first[content_hash] = key
    return sorted(first, key=lambda h: first[h])


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
