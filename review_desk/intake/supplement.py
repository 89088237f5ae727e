"""Supplements (补正): a new version of a dossier's material replaces the current one for
review; every earlier version stays in the store and in the history."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select

from review_desk import audit
from review_desk.audit import Clock, utc_now
from review_desk.errors import UserError
from review_desk.i18n import tr
from review_desk.intake.pdf_worker import PdfReport, PdfWorkers
from review_desk.project import Project
from review_desk.storage import models as m


class SupplementError(UserError):
    """A supplement that cannot be taken; the message is for the user."""


def looks_like_pdf(file: Path) -> bool:
    """True when the file starts as a PDF does (the header within its first kilobyte,
    as readers accept it): a text file named .pdf is not a supplement."""
    with file.open("rb") as stream:
        return b"%PDF-" in stream.read(1024)


def add_supplement(
    project: Project,
    dossier_code: str,
    file: Path,
    *,
    replaces: str | None = None,
    actor: str = "agency",
    clock: Clock = utc_now,
) -> m.Material:
    """Store ``file`` as the new current version of a dossier's material.

    It replaces the current material named ``replaces``, or the only current one, or
    none (an added file) when the dossier has several and none is named.
    """
    return add_supplements(project, [(dossier_code, file, replaces)], actor=actor, clock=clock)[0]


def add_supplements(
    project: Project,
    supplements: Sequence[tuple[str, Path, str | None]],
    *,
    actor: str = "agency",
    clock: Clock = utc_now,
) -> list[m.Material]:
    """:func:`add_supplement` for several files at once, each (dossier code, file,
    name of the material it replaces or None), read by one pool of PDF readers and
    checked by one run of the formal review (a recognition round's construction
    reports arrive this way). Each file is its own transaction and audit entry."""
    dossier_ids: list[int] = []
    for code, file, _replaces in supplements:
        if not file.is_file():
            raise SupplementError(tr("File not found: {path}", path=file))
        if file.suffix.lower() != ".pdf" or not looks_like_pdf(file):
            raise SupplementError(tr("{name} is not a PDF file.", name=file.name))
        with project.reading() as session:
            found = session.scalar(select(m.Dossier.id).where(m.Dossier.code == code))
        if found is None:
            raise SupplementError(tr("No dossier {code}.", code=code))
        dossier_ids.append(int(found))
    stored = [project.files.put_file(file) for _code, file, _replaces in supplements]
    paths = [project.files.path_for(sha) for sha, _size in stored]
    with PdfWorkers(workers=min(2, len(paths)) or 1) as pool:
        reports = {report.path: report for report in pool.read(paths)}
    materials = [
        _store_supplement(
            project,
            dossier_id,
            code,
            file,
            replaces,
            sha,
            size,
            reports[str(path)],
            actor,
            clock,
        )
        for (code, file, replaces), dossier_id, (sha, size), path in zip(
            supplements, dossier_ids, stored, paths, strict=True
        )
    ]
    from review_desk.formal_review import run_review

    run_review(project, actor=actor, clock=clock, dossier_ids=sorted(set(dossier_ids)))
    return materials


def _store_supplement(
    project: Project,
    dossier_id: int,
    dossier_code: str,
    file: Path,
    replaces: str | None,
    sha: str,
    size: int,
    report: PdfReport,
    actor: str,
    clock: Clock,
) -> m.Material:
    """Store one read file as its dossier's new current material, with its audit entry."""
    with project.transaction() as session:
        current = session.scalars(
            select(m.Material).where(
                m.Material.dossier_id == dossier_id, m.Material.is_current.is_(True)
            )
        ).all()
        if any(x.sha256 == sha for x in current):
            raise SupplementError(tr("{name} is already the current material.", name=file.name))
        if replaces is not None:
            old = [x for x in current if x.filename == replaces]
            if not old:
                raise SupplementError(tr("The dossier has no current file {name}.", name=replaces))
        else:
            old = list(current) if len(current) == 1 else []
        versions = session.scalars(
            select(m.Material.version).where(m.Material.dossier_id == dossier_id)
        ).all()
        for x in old:
            x.is_current = False
        material = m.Material(
            dossier_id=dossier_id,
            filename=file.name,
            sha256=sha,
            size=size,
            page_count=report.pages,
            version=max(versions, default=0) + 1,
            is_current=True,
            received_at=clock(),
            found_items=report.items,
            text_status=report.status,
            problem=report.message,
            source_path=str(file),
        )
        session.add(material)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="material.supplement",
            entity="material",
            entity_id=sha,
            before={"replaces": [x.sha256 for x in old]},
            after={
                "dossier": dossier_code,
                "file": file.name,
                "version": material.version,
                "status": report.status,
            },
            clock=clock,
        )
    return material
