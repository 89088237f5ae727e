"""Supplements (补正): a new version of a dossier's material replaces the current one for
review; every earlier version stays in the store and in the history."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from review_desk import audit
from review_desk.audit import Clock, utc_now
from review_desk.errors import UserError
from review_desk.i18n import tr
from review_desk.intake.pdf_worker import PdfWorkers
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
    if not file.is_file():
        raise SupplementError(tr("File not found: {path}", path=file))
    if file.suffix.lower() != ".pdf" or not looks_like_pdf(file):
        raise SupplementError(tr("{name} is not a PDF file.", name=file.name))
    with project.reading() as session:
        dossier = session.scalars(select(m.Dossier).where(m.Dossier.code == dossier_code)).first()
        if dossier is None:
            raise SupplementError(tr("No dossier {code}.", code=dossier_code))
        dossier_id = dossier.id
    sha, size = project.files.put_file(file)
    with PdfWorkers(workers=1) as pool:
        report = next(iter(pool.read([project.files.path_for(sha)])))
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
    from review_desk.formal_review import run_review

    run_review(project, actor=actor, clock=clock, dossier_ids=[dossier_id])
    return material
