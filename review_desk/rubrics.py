"""Guideline rubrics in a project: the shipped default, validation with messages for
the user, storage of versions, the active rubric, and locking of versions in use."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from review_desk import audit
from review_desk.audit import Clock, utc_now
from review_desk.i18n import tr
from review_desk.paths import data_path
from review_desk.project import Project
from review_desk.storage import models as m
from scoring_models.rubric import N_, Problem, Rubric, RubricError, parse_rubric, parse_source

DEFAULT_RUBRIC = "provincial_default.toml"
# The rubric a project of each kind installs by default: a selection round the
# provincial template, a recognition round (认定验收) the recognition template with its
# pass thresholds.
DEFAULT_RUBRICS = {"selection": DEFAULT_RUBRIC, "recognition": "recognition_default.toml"}


def problem_text(problem: Problem) -> str:
    """Return a rubric problem in the user's language, with where it is."""
    where = f"{problem.file}: " if problem.file else ""
    return f"{where}{problem.path}: {tr(problem.template, **problem.values)}"


def default_rubric_text(kind: str = "selection") -> str:
    """Return the shipped default rubric of a kind of project (a template for the agency
    to adapt)."""
    return data_path("rubrics", DEFAULT_RUBRICS[kind]).read_text(encoding="utf-8")


@lru_cache(maxsize=32)
def _parse(text: str, file: str) -> Rubric:
    return parse_rubric(text, file)


def load_rubric(text: str, file: str = "") -> Rubric:
    """Parse and validate a rubric's text (cached); raise RubricError."""
    return _parse(text, file)


MAX_RUBRIC_MB = 5


def load_rubric_file(path: Path) -> Rubric:
    """Parse and validate a rubric file (UTF-8, with or without a byte order mark, at
    most MAX_RUBRIC_MB); raise RubricError naming the file, whatever it holds."""
    return load_rubric(read_rubric_text(path), path.name)


def read_rubric_source(path: Path) -> dict[str, Any]:
    """Read a rubric file's content without validating it (for the editor, which shows
    an invalid rubric with its problems); raise RubricError when it is not TOML."""
    return parse_source(read_rubric_text(path), path.name)


def read_rubric_text(path: Path) -> str:
    """Read a rubric file's text (UTF-8, a byte order mark dropped, at most
    MAX_RUBRIC_MB); raise RubricError naming the file."""
    try:
        if path.stat().st_size > MAX_RUBRIC_MB << 20:
            raise RubricError(
                [
                    Problem(
                        "(file)",
                        N_("is larger than {limit} MB: not a rubric"),
                        path.name,
                        {"limit": MAX_RUBRIC_MB},
                    )
                ]
            )
        return path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise RubricError(
            [Problem("(file)", N_("cannot be read: {error}"), path.name, {"error": str(error)})]
        ) from error


def rubric_in_use(session: Session, content_hash: str) -> bool:
    """Return True when a score sheet uses the rubric version (it is then locked)."""
    used = session.scalar(
        select(func.count())
        .select_from(m.ScoreSheet)
        .where(m.ScoreSheet.rubric_hash == content_hash)
    )
    return bool(used)


def _store(session: Session, text: str, rubric: Rubric, actor: str, clock: Clock) -> None:
    exists = session.scalar(
        select(m.RubricVersion.id).where(m.RubricVersion.content_hash == rubric.content_hash)
    )
    if exists is None:
        session.add(
            m.RubricVersion(
                content_hash=rubric.content_hash,
                rubric_id=rubric.id,
                name=rubric.name,
                version=rubric.version,
                text=text,
                created_at=clock(),
                created_by=actor,
            )
        )
        session.flush()


def rubric_text(session: Session, content_hash: str) -> str | None:
    """Return the stored text of a rubric version."""
    return session.scalar(
        select(m.RubricVersion.text).where(m.RubricVersion.content_hash == content_hash)
    )


def active_rubric(project: Project, *, actor: str = "system", clock: Clock = utc_now) -> Rubric:
    """Return the rubric new score sheets use, installing the default of the project's
    kind the first time."""
    with project.reading() as session:
        info = session.scalars(select(m.ReviewProject)).one()
        text = rubric_text(session, info.active_rubric_hash) if info.active_rubric_hash else None
        kind = info.kind
    if text is None:
        if project.read_only:  # a command that only looks: the default, not stored
            return load_rubric(default_rubric_text(kind))
        return use_rubric(project, default_rubric_text(kind), actor=actor, clock=clock)
    return load_rubric(text)


def rubric_by_hash(project: Project, content_hash: str) -> Rubric | None:
    """Return a stored rubric version, or None."""
    with project.reading() as session:
        text = rubric_text(session, content_hash)
    return load_rubric(text) if text is not None else None


def use_rubric(
    project: Project, text: str, *, file: str = "", actor: str = "agency", clock: Clock = utc_now
) -> Rubric:
    """Validate a rubric and make it the active one (stored as a new version when its
    content is new). Changing a rubric in use needs a new version number."""
    rubric = load_rubric(text, file)
    with project.transaction() as session:
        info = session.scalars(select(m.ReviewProject)).one()
        current_hash = info.active_rubric_hash
        if (
            current_hash
            and current_hash != rubric.content_hash
            and rubric_in_use(session, current_hash)
        ):
            current = load_rubric(rubric_text(session, current_hash) or "")
            if current.id == rubric.id and current.version == rubric.version:
                raise RubricError(
                    [
                        Problem(
                            "rubric.version",
                            N_(
                                "version {version} is in use by score sheets and locked: give "
                                "the changed rubric a new version number"
                            ),
                            file,
                            {"version": rubric.version},
                        )
                    ]
                )
        _store(session, text, rubric, actor, clock)
        if current_hash != rubric.content_hash:
            info.active_rubric_hash = rubric.content_hash
            audit.record(
                session,
                actor=actor,
                action="rubric.activate",
                entity="rubric",
                entity_id=rubric.content_hash[:16],
                before={"hash": current_hash},
                after={"hash": rubric.content_hash, "name": rubric.name, "version": rubric.version},
                clock=clock,
            )
    return rubric
