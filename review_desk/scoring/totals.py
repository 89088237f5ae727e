"""Each score sheet's points per stage, kept on the sheet so that the ranking reads one
row per sheet instead of summing every criterion score again.

``score_sheet.stage_totals`` holds, as a JSON array in the order of the stages of the
sheet's rubric version, the sum of the points the sheet gives the criteria of each stage
that apply to the kind of the dossier's lead applicant (``null`` for a stage with no
such points); ``score_sheet.uncounted_scores`` is the number of points the sheet holds
for criteria that do not apply (or are not in its rubric), which are never counted.

The score-sheet service refreshes both whenever it writes a sheet (:func:`refresh`).
Any other change that could make them wrong (a score written by another program, a
lead applicant's kind corrected, a sheet moved to another dossier) clears them through
triggers in the database (migration 0008), and whoever reads them computes the cleared
ones from the scores (:func:`read`): a stale total is never used. :func:`rebuild` fills
every cleared total, e.g. after a bulk load that bypassed the service.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import (
    ColumnElement,
    Select,
    Text,
    and_,
    bindparam,
    case,
    cast,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from review_desk.project import Project
from review_desk.rubrics import load_rubric, rubric_text
from review_desk.storage import models as m
from scoring_models.rubric import Rubric

# How many ids one ``IN (...)`` list takes: well within every database's limit.
_ID_CHUNK = 500
# Above this many sheets, totals are computed for the whole rubric version at once.
_WHOLE_VERSION = 5_000


def applicable(version: Rubric, stage: str | None = None) -> ColumnElement[bool]:
    """SQL: the score's criterion is one of ``version`` (of ``stage`` when given) that
    applies to the kind of the dossier's lead applicant (``m.Applicant`` joined)."""
    criteria = [c for c in version.criteria if stage is None or c.stage == stage]
    universal = [c.id for c in criteria if "all" in c.applies_to]
    kinds = sorted({k for c in criteria for k in c.applies_to if k != "all"})
    per_kind = [
        and_(
            m.Applicant.kind == kind,
            m.Score.criterion_id.in_([c.id for c in criteria if kind in c.applies_to]),
        )
        for kind in kinds
    ]
    return or_(m.Score.criterion_id.in_(universal), *per_kind)


# The statement of each rubric version, built once: a content hash names one version,
# and every save of a score refreshes its sheet's totals with it.
_SUMS: dict[str, Select[*tuple[Any, ...]]] = {}


def _sums(version: Rubric, content_hash: str) -> Select[*tuple[Any, ...]]:
    """SQL: per sheet of ``content_hash``, its id, the counted points of each stage of
    ``version`` and the number of uncounted points. A sheet without scores has a row
    too (all sums null, none uncounted), so that its totals are known."""
    known = _SUMS.get(content_hash)
    if known is None:
        _SUMS[content_hash] = known = _build_sums(version, content_hash)
    return known


def _build_sums(version: Rubric, content_hash: str) -> Select[*tuple[Any, ...]]:
    sums = [
        func.sum(case((applicable(version, stage.key), m.Score.points))) for stage in version.stages
    ]
    uncounted = func.count(case((~applicable(version), m.Score.points)))
    return (
        select(m.ScoreSheet.id, *sums, uncounted)
        .select_from(m.ScoreSheet)
        .join(m.Dossier, m.Dossier.id == m.ScoreSheet.dossier_id)
        .join(m.Applicant, m.Applicant.id == m.Dossier.lead_applicant_id)
        .outerjoin(m.Score, m.Score.sheet_id == m.ScoreSheet.id)
        .where(m.ScoreSheet.rubric_hash == content_hash)
        .group_by(m.ScoreSheet.id)
    )


def _encode(sums: Iterable[Any]) -> str:
    return json.dumps([None if v is None else float(v) for v in sums])


def of_scores(
    version: Rubric, kind: str, scores: Iterable[tuple[str, float | None]]
) -> tuple[str, int]:
    """A sheet's totals computed here, as :func:`_sums` computes them in SQL: from its
    (criterion id, points) pairs, the counted points of each stage of ``version`` (those
    of criteria that apply to ``kind``; null for a stage with none) as stored, and the
    number of points that do not count. The score-sheet service uses it for the sheet it
    has just written, sparing a query per save."""
    stage_of = {c.id: c.stage for c in version.criteria if c.applies(kind)}
    keys = [stage.key for stage in version.stages]
    points: dict[str, list[float]] = {key: [] for key in keys}
    uncounted = 0
    for criterion, value in scores:
        if value is None:
            continue
        stage = stage_of.get(criterion)
        if stage is None:
            uncounted += 1
        else:
            points[stage].append(float(value))
    return _encode(math.fsum(points[k]) if points[k] else None for k in keys), uncounted


def store(session: Session, rows: list[tuple[int, str, int]]) -> None:
    """Store (sheet id, totals as JSON, uncounted points) rows in the caller's
    transaction, after the scores they sum are flushed."""
    _store(session, rows)


def _computed(
    session: Session, version: Rubric, content_hash: str, sheet_ids: Collection[int] | None
) -> list[tuple[int, str, int]]:
    """(sheet id, stage totals as JSON, uncounted scores) computed from the scores, for
    the given sheets of ``content_hash`` (all of them when None)."""
    statement = _sums(version, content_hash)
    if sheet_ids is None:
        batches: list[Select[*tuple[Any, ...]]] = [statement]
    else:
        ordered = sorted(sheet_ids)
        batches = [
            statement.where(m.ScoreSheet.id.in_(ordered[i : i + _ID_CHUNK]))
            for i in range(0, len(ordered), _ID_CHUNK)
        ]
    if sheet_ids is not None and len(sheet_ids) > _WHOLE_VERSION:
        # Many sheets: one pass over the whole version beats thousands of lookups.
        wanted = set(sheet_ids)
        return [r for r in _computed(session, version, content_hash, None) if r[0] in wanted]
    rows: list[tuple[int, str, int]] = []
    for batch in batches:
        for sheet_id, *sums, uncounted in session.execute(batch):
            rows.append((int(sheet_id), _encode(sums), int(uncounted)))
    return rows


def _version(session: Session, content_hash: str, known: dict[str, Rubric]) -> Rubric | None:
    if content_hash not in known:
        text = rubric_text(session, content_hash)
        if text is None:
            return None
        known[content_hash] = load_rubric(text)
    return known[content_hash]


def refresh(
    session: Session,
    sheet_ids: Collection[int] | Mapping[int, str],
    rubrics: dict[str, Rubric] | None = None,
) -> None:
    """Compute and store the totals of the given sheets from their scores, in the
    caller's transaction (after the scores are flushed). ``rubrics`` are versions the
    caller has parsed already, by content hash; ``sheet_ids`` may map each sheet to its
    rubric's content hash when the caller knows it."""
    if not sheet_ids:
        return
    known = dict(rubrics or {})
    by_hash: dict[str, list[int]] = {}
    if isinstance(sheet_ids, Mapping):
        for sheet_id, content_hash in sheet_ids.items():
            by_hash.setdefault(content_hash, []).append(sheet_id)
    ordered = [] if isinstance(sheet_ids, Mapping) else sorted(sheet_ids)
    for i in range(0, len(ordered), _ID_CHUNK):
        chunk = ordered[i : i + _ID_CHUNK]
        for sheet_id, content_hash in session.execute(
            select(m.ScoreSheet.id, m.ScoreSheet.rubric_hash).where(m.ScoreSheet.id.in_(chunk))
        ):
            by_hash.setdefault(content_hash, []).append(int(sheet_id))
    for content_hash, ids in by_hash.items():
        version = _version(session, content_hash, known)
        if version is not None:
            _store(session, _computed(session, version, content_hash, ids))


def _store(session: Session, rows: list[tuple[int, str, int]]) -> None:
    if not rows:
        return
    table = m.ScoreSheet.__table__
    statement = (
        update(m.ScoreSheet)
        .where(table.c.id == bindparam("sheet"))
        .values(stage_totals=bindparam("totals"), uncounted_scores=bindparam("uncounted"))
    )
    session.connection().execute(
        statement, [{"sheet": s, "totals": t, "uncounted": u} for s, t, u in rows]
    )


def rebuild(project: Project, *, everything: bool = False) -> int:
    """Fill every sheet's totals that are not known (all of them when ``everything``),
    e.g. after a bulk load that bypassed the score-sheet service; return how many were
    computed."""
    with project.writing() as session:
        return rebuild_in_session(session, everything=everything)


def rebuild_in_session(session: Session, *, everything: bool = False) -> int:
    """:func:`rebuild` in the caller's transaction."""
    done = 0
    known: dict[str, Rubric] = {}
    for content_hash in sorted(set(session.scalars(select(m.ScoreSheet.rubric_hash).distinct()))):
        version = _version(session, content_hash, known)
        if version is None:
            continue
        if everything:
            rows = _computed(session, version, content_hash, None)
        else:
            stale = list(
                session.scalars(
                    select(m.ScoreSheet.id).where(
                        m.ScoreSheet.rubric_hash == content_hash,
                        m.ScoreSheet.stage_totals.is_(None),
                    )
                )
            )
            rows = _computed(session, version, content_hash, stale) if stale else []
        _store(session, rows)
        done += len(rows)
    return done


@dataclass(frozen=True)
class SheetTotals:
    """The submitted sheets of one rubric version, as arrays: one row per sheet."""

    content_hash: str
    stages: tuple[str, ...]  # the version's stage keys, the columns of ``points``
    sheet_id: np.ndarray  # int64
    dossier_id: np.ndarray  # int64
    expert_id: np.ndarray  # int64
    points: np.ndarray  # float64 (sheets x stages); NaN: no counted points in that stage
    uncounted: np.ndarray  # int64: points held for criteria that do not apply


def read(session: Session, rubrics: dict[str, Rubric] | None = None) -> list[SheetTotals]:
    """The stage totals of every submitted sheet, one :class:`SheetTotals` per rubric
    version in use (versions missing from the project are skipped). Totals that are not
    known (cleared by a change outside the score-sheet service) are computed from the
    scores here, not stored: reading never writes."""
    known = dict(rubrics or {})
    found = []
    hashes = session.scalars(
        select(m.ScoreSheet.rubric_hash).where(m.ScoreSheet.status == "submitted").distinct()
    )
    for content_hash in sorted(set(hashes)):
        version = _version(session, content_hash, known)
        if version is None:
            continue
        found.append(_read_version(session, version, content_hash))
    return found


def _read_version(session: Session, version: Rubric, content_hash: str) -> SheetTotals:
    stages = tuple(stage.key for stage in version.stages)
    submitted = (m.ScoreSheet.status == "submitted", m.ScoreSheet.rubric_hash == content_hash)
    known = None
    if session.get_bind().dialect.name in ("sqlite", "postgresql"):
        known = _known_text(session, submitted, len(stages))
    if known is None:
        known = _known_rows(session, submitted, len(stages))
    if known is None:
        # Not what this module writes (another program wrote the column): every total
        # of this version is computed from the scores instead.
        ids, dossiers, experts = _ids(session, submitted, None)
        fresh = _computed(session, version, content_hash, ids.tolist())
        return SheetTotals(content_hash, stages, ids, dossiers, experts, *_decoded(fresh, stages))
    ids, dossiers, experts, points, uncounted = known
    stale_ids, stale_dossiers, stale_experts = _ids(session, submitted, m.ScoreSheet.stage_totals)
    if len(stale_ids):
        fresh = _computed(session, version, content_hash, stale_ids.tolist())
        more, extra = _decoded(fresh, stages)
        order = np.argsort(np.concatenate([ids, stale_ids]), kind="stable")
        ids = np.concatenate([ids, stale_ids])[order]
        dossiers = np.concatenate([dossiers, stale_dossiers])[order]
        experts = np.concatenate([experts, stale_experts])[order]
        points = np.concatenate([points, more])[order]
        uncounted = np.concatenate([uncounted, extra])[order]
    return SheetTotals(content_hash, stages, ids, dossiers, experts, points, uncounted)


_Known = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _joined(column: Any, dialect: str) -> Any:
    """The column's values of every row as one comma-separated text, joined by the
    database (in C)."""
    if dialect == "postgresql":
        return func.string_agg(cast(column, Text), ",")
    return func.group_concat(column)


def _known_text(session: Session, where: tuple[Any, ...], width: int) -> _Known | None:
    """The sheets with known totals, read as one text per column (joined by SQLite or
    PostgreSQL in C) and parsed by numpy: a tenth of the time of a row per sheet. None
    if a stored value is not one this module wrote."""
    sheet = m.ScoreSheet
    dialect = session.get_bind().dialect.name
    # What is between the brackets; a text too short to have any is empty (PostgreSQL
    # refuses a negative length, and such a value is then found not to be ours).
    length = func.length(sheet.stage_totals)
    inner = func.substr(sheet.stage_totals, 2, case((length >= 2, length - 2), else_=0))
    statement = select(
        func.count(),
        _joined(sheet.id, dialect),
        _joined(sheet.dossier_id, dialect),
        _joined(sheet.expert_id, dialect),
        _joined(func.replace(inner, "null", "nan"), dialect),
        _joined(sheet.uncounted_scores, dialect),
    ).where(*where, sheet.stage_totals.is_not(None), sheet.uncounted_scores.is_not(None))
    count, *texts = session.execute(statement).one()
    if not count:
        return _empty(width)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # numpy only warns when a text ends early
            ids, dossiers, experts = (np.fromstring(t, dtype=np.int64, sep=",") for t in texts[:3])
            points = np.fromstring(texts[3], sep=",")
            uncounted = np.fromstring(texts[4], dtype=np.int64, sep=",")
    except (ValueError, TypeError, DeprecationWarning):
        return None
    if points.size != count * width or not (len(ids) == len(uncounted) == count):
        return None
    if np.isinf(points).any() or (points < 0).any() or (uncounted < 0).any():
        return None
    order = np.argsort(ids, kind="stable")
    return (
        ids[order],
        dossiers[order],
        experts[order],
        points.reshape(count, width)[order],
        uncounted[order],
    )


def _known_rows(session: Session, where: tuple[Any, ...], width: int) -> _Known | None:
    """The sheets with known totals, a row per sheet (any database)."""
    sheet = m.ScoreSheet
    statement = (
        select(
            sheet.id, sheet.dossier_id, sheet.expert_id, sheet.stage_totals, sheet.uncounted_scores
        )
        .where(*where, sheet.stage_totals.is_not(None), sheet.uncounted_scores.is_not(None))
        .order_by(sheet.id)
    )
    rows = session.execute(statement).all()
    if not rows:
        return _empty(width)
    ids, dossiers, experts, totals, uncounted = zip(*rows, strict=True)
    try:
        # One JSON document for all of them: parsed in C, null becomes NaN.
        points = np.array(json.loads("[" + ",".join(totals) + "]"), dtype=float)
        points = points.reshape(len(rows), width)
        uncounted_scores = np.array(uncounted, dtype=np.int64)
    except (ValueError, TypeError):
        return None
    if np.isinf(points).any() or (points < 0).any() or (uncounted_scores < 0).any():
        return None
    return (
        np.array(ids, dtype=np.int64),
        np.array(dossiers, dtype=np.int64),
        np.array(experts, dtype=np.int64),
        points,
        uncounted_scores,
    )


def _empty(width: int) -> _Known:
    none = np.zeros(0, dtype=np.int64)
    return none, none, none, np.zeros((0, width)), none


def _ids(
    session: Session, where: tuple[Any, ...], unknown: Any | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sheet, dossier and expert ids of the sheets (whose ``unknown`` column is null,
    when given), by sheet id."""
    sheet = m.ScoreSheet
    statement = select(sheet.id, sheet.dossier_id, sheet.expert_id).where(*where)
    if unknown is not None:
        statement = statement.where(
            or_(sheet.stage_totals.is_(None), sheet.uncounted_scores.is_(None))
        )
    rows = session.execute(statement.order_by(sheet.id)).all()
    columns = list(zip(*rows, strict=True)) if rows else [(), (), ()]
    ids, dossiers, experts = (np.array(c, dtype=np.int64) for c in columns)
    return ids, dossiers, experts


def _decoded(
    rows: list[tuple[int, str, int]], stages: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Points and uncounted scores of freshly computed totals, by sheet id."""
    rows = sorted(rows)
    points = np.array([json.loads(t) for _s, t, _u in rows], dtype=float).reshape(
        len(rows), len(stages)
    )
    return points, np.array([u for _s, _t, u in rows], dtype=np.int64)
