"""Work packages (agency -> expert): one zip holding an expert's assigned dossiers'
material PDFs (stored, not recompressed, written streaming), the rubric, the project and
direction data, the defense schedule, the expert's identity and any sheets already
begun. Opening one on the expert's machine is :mod:`review_desk.exchange.work_package_open`."""

from __future__ import annotations

import hashlib
import json
import uuid
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from review_desk import __version__, audit
from review_desk.atomic_file import replacing
from review_desk.audit import Clock, utc_now
from review_desk.errors import UserError
from review_desk.i18n import tr
from review_desk.progress import Progress
from review_desk.project import Project
from review_desk.rubrics import rubric_text
from review_desk.storage import models as m

FORMAT = "review-desk-work-package/1"
MANIFEST = "manifest.json"
MAX_PACKAGE = 64 * 1024**3  # declared content of a work package (PDFs can be large)
MAX_FILE = 2 * 1024**3
MAX_MANIFEST = 64 * 1024**2


class PackageError(UserError):
    """A package that cannot be made or used; the message is for the user."""


@dataclass
class WorkPackageSummary:
    """What a work package holds."""

    package_id: str
    expert_id: int
    dossiers: int
    files: int
    bytes: int


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _manifest(session: Session, project: Project, expert_id: int) -> dict[str, Any]:
    info = session.scalars(select(m.ReviewProject)).one()
    expert = session.get(m.Expert, expert_id)
    if expert is None:
        raise PackageError(tr("No expert with id {id}.", id=expert_id))
    recusals = session.scalars(select(m.Recusal).where(m.Recusal.expert_id == expert_id)).all()
    recused = {r.dossier_id for r in recusals}
    dossiers = session.scalars(
        select(m.Dossier)
        .join(m.Assignment, m.Assignment.dossier_id == m.Dossier.id)
        .where(m.Assignment.expert_id == expert_id)
        .options(
            selectinload(m.Dossier.lead_applicant),
            selectinload(m.Dossier.partners).selectinload(m.DossierPartner.applicant),
            selectinload(m.Dossier.materials),
        )
        .order_by(m.Dossier.code)
    ).all()
    dossiers = [d for d in dossiers if d.id not in recused]
    ids = {d.id for d in dossiers}
    sheets = session.scalars(
        select(m.ScoreSheet)
        .where(m.ScoreSheet.expert_id == expert_id)
        .options(selectinload(m.ScoreSheet.scores), selectinload(m.ScoreSheet.vetoes))
    ).all()
    rubric_hashes = {info.active_rubric_hash} | {s.rubric_hash for s in sheets}
    sessions = session.scalars(
        select(m.DefenseSession).options(selectinload(m.DefenseSession.records))
    ).all()
    return {
        "format": FORMAT,
        "package_id": str(uuid.uuid4()),
        "created_at": utc_now().isoformat(),
        "app_version": __version__,
        "project": {
            "id": info.id,
            "name": info.name,
            "round_name": info.round_name,
            "organiser": info.organiser,
            "agency": info.agency,
            "deadline": _iso(info.deadline),
            "min_opinion_length": info.min_opinion_length,
            "active_rubric_hash": info.active_rubric_hash,
        },
        "expert": {
            "id": expert.id,
            "name": expert.name,
            "organisation": expert.organisation,
            "field": expert.field,
        },
        "rubrics": sorted(h for h in rubric_hashes if h),
        "dossiers": [
            {
                "id": d.id,
                "code": d.code,
                "platform_name": d.platform_name,
                "direction_id": d.direction_id,
                "requested_level": d.requested_level,
                "has_policy_list": d.has_policy_list,
                "received_at": _iso(d.received_at),
                "lead": _applicant(d.lead_applicant),
                "partners": [_applicant(p.applicant) for p in d.partners],
                "materials": [
                    {
                        "sha256": x.sha256,
                        "filename": x.filename,
                        "size": x.size,
                        "page_count": x.page_count,
                        "version": x.version,
                        "received_at": _iso(x.received_at),
                        "found_items": x.found_items,
                        "text_status": x.text_status,
                        "problem": x.problem,
                    }
                    for x in d.materials
                    if x.is_current
                ],
            }
            for d in dossiers
        ],
        "recusals": [
            {
                "dossier_id": r.dossier_id,
                "reason": r.reason,
                "source": r.source,
                "declared_at": _iso(r.declared_at),
            }
            for r in recusals
        ],
        "sheets": [_sheet_data(s) for s in sheets if s.dossier_id in ids],
        "defense_sessions": [
            {
                "id": s.id,
                "name": s.name,
                "starts_at": _iso(s.starts_at),
                "mode": s.mode,
                "platform": s.platform,
                "meeting_id": s.meeting_id,
                "room": s.room,
                "presentation_minutes": s.presentation_minutes,
                "qa_minutes": s.qa_minutes,
                "records": [
                    {"dossier_id": r.dossier_id, "order_index": r.order_index}
                    for r in s.records
                    if r.dossier_id in ids
                ],
            }
            for s in sessions
            if any(r.dossier_id in ids for r in s.records)
        ],
    }


def _applicant(a: m.Applicant) -> dict[str, Any]:
    return {"name": a.name, "credit_code": a.credit_code, "kind": a.kind, "city": a.city}


def _sheet_data(s: m.ScoreSheet) -> dict[str, Any]:
    return {
        "dossier_id": s.dossier_id,
        "rubric_hash": s.rubric_hash,
        "status": s.status,
        "opinion": s.opinion,
        "updated_at": _iso(s.updated_at),
        "submitted_at": _iso(s.submitted_at),
        "scores": {x.criterion_id: x.points for x in s.scores if x.points is not None},
        "comments": {x.criterion_id: x.comment for x in s.scores if x.comment},
        "vetoes": {v.veto_id: v.reason for v in s.vetoes},
    }


def make_work_package(
    project: Project,
    expert_id: int,
    target: Path,
    *,
    progress: Progress | None = None,
    actor: str = "agency",
    clock: Clock = utc_now,
) -> WorkPackageSummary:
    """Write the expert's work package to ``target`` (PDFs streamed, stored as they are)."""
    with project.reading() as session:
        manifest = _manifest(session, project, expert_id)
        texts = {h: rubric_text(session, h) for h in manifest["rubrics"]}
    files = {x["sha256"]: x["size"] for d in manifest["dossiers"] for x in d["materials"]}
    manifest["members"] = {
        f"rubrics/{h}.toml": hashlib.sha256((t or "").encode()).hexdigest()
        for h, t in texts.items()
    }
    manifest["members"].update({f"files/{sha}.pdf": sha for sha in files})
    with replacing(target) as tmp:  # whole or not at all, even on cancel
        total = len(files)
        written = 0
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
            for content_hash, text in texts.items():
                archive.writestr(f"rubrics/{content_hash}.toml", text or "")
            for number, (sha, size) in enumerate(sorted(files.items()), start=1):
                info = zipfile.ZipInfo(f"files/{sha}.pdf", date_time=(2022, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_STORED  # PDFs are compressed already
                info.file_size = size
                with (
                    project.files.path_for(sha).open("rb") as source,
                    archive.open(info, "w", force_zip64=size > 2**31) as member,
                ):
                    while chunk := source.read(1 << 20):
                        member.write(chunk)
                written += size
                if progress:
                    progress(number, total, sha[:12])
    with project.transaction() as session:
        audit.record(
            session,
            actor=actor,
            action="work_package.make",
            entity="expert",
            entity_id=expert_id,
            after={
                "package_id": manifest["package_id"],
                "dossiers": len(manifest["dossiers"]),
                "files": total,
            },
            clock=clock,
        )
    return WorkPackageSummary(
        manifest["package_id"], expert_id, len(manifest["dossiers"]), total, written
    )
