"""Work packages (agency -> expert): one zip holding an expert's assigned dossiers'
material PDFs (stored, not recompressed, written streaming), the rubric, the project and
direction data, the defense schedule, the expert's identity and any sheets already
begun; and opening one on the expert's machine into a local project of their own."""

from __future__ import annotations

import hashlib
import json
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from review_desk import __version__, audit
from review_desk.atomic_file import replacing
from review_desk.audit import Clock, utc_now
from review_desk.exchange.keys import load_or_create_key
from review_desk.exchange.zipsafe import UnsafeArchive, check_names, read_member
from review_desk.i18n import _, tr
from review_desk.project import Project
from review_desk.rubrics import rubric_text, use_rubric
from review_desk.storage import models as m

FORMAT = "review-desk-work-package/1"
MANIFEST = "manifest.json"
MAX_PACKAGE = 64 * 1024**3  # declared content of a work package (PDFs can be large)
MAX_FILE = 2 * 1024**3
MAX_MANIFEST = 64 * 1024**2
Progress = Callable[[int, int, str], None]


class PackageError(Exception):
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


def read_manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    """Check the archive and return its work-package manifest."""
    check_names(archive, max_total=MAX_PACKAGE)
    try:
        manifest = json.loads(read_member(archive, MANIFEST, MAX_MANIFEST))
    except KeyError as error:
        raise PackageError(_("This is not a work package (no manifest).")) from error
    except json.JSONDecodeError as error:
        raise PackageError(_("The work package's manifest is damaged.")) from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise PackageError(_("This is not a Review Desk work package."))
    return manifest


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def open_work_package(
    work_file: Path,
    expert_project: Path,
    *,
    progress: Progress | None = None,
    clock: Clock = utc_now,
) -> Project:
    """Create or update the expert's local project from a work package; return it open."""
    try:
        archive = zipfile.ZipFile(work_file)
    except (zipfile.BadZipFile, OSError) as error:
        raise PackageError(
            tr("{file} is not a readable package ({error}).", file=work_file.name, error=error)
        ) from error
    with archive:
        try:
            manifest = read_manifest(archive)
        except UnsafeArchive as error:
            raise PackageError(str(error)) from error
        info, expert = manifest["project"], manifest["expert"]
        if expert_project.exists():
            project = Project(expert_project)
            with project.reading() as session:
                local = dict(
                    session.execute(select(m.LocalSetting.key, m.LocalSetting.value)).all()
                )
                project_id = session.scalars(select(m.ReviewProject.id)).one()
            if project_id != info["id"] or local.get("expert_id") != str(expert["id"]):
                project.close()
                raise PackageError(_("That local project belongs to another project or expert."))
        else:
            project = Project.create(
                expert_project,
                name=info["name"],
                round_name=info["round_name"],
                deadline=_dt(info["deadline"]),
                project_id=info["id"],
                actor=f"expert:{expert['id']}",
                clock=clock,
            )
        files_total = sum(len(d["materials"]) for d in manifest["dossiers"])
        done = 0
        for dossier in manifest["dossiers"]:
            for material in dossier["materials"]:
                sha = material["sha256"]
                if not project.files.contains(sha):
                    with archive.open(f"files/{sha}.pdf") as member:
                        stored, _size = project.files.put_stream(member)
                    if stored != sha:
                        project.close()
                        raise PackageError(
                            tr(
                                "A file of the package is damaged: {name}",
                                name=material["filename"],
                            )
                        )
                done += 1
                if progress:
                    progress(done, files_total, material["filename"])
        rubric_texts = {
            h: read_member(archive, f"rubrics/{h}.toml", MAX_MANIFEST).decode("utf-8")
            for h in manifest["rubrics"]
        }
    _load_into(project, manifest, rubric_texts, clock)
    load_or_create_key(expert_project)
    return project


def _load_into(
    project: Project, manifest: dict[str, Any], rubrics: dict[str, str], clock: Clock
) -> None:
    info, expert = manifest["project"], manifest["expert"]
    actor = f"expert:{expert['id']}"
    for content_hash, text in rubrics.items():
        if content_hash != info.get("active_rubric_hash"):
            use_rubric(project, text, actor=actor, clock=clock)
    if info.get("active_rubric_hash") in rubrics:
        use_rubric(project, rubrics[info["active_rubric_hash"]], actor=actor, clock=clock)
    with project.transaction() as session:
        record = session.scalars(select(m.ReviewProject)).one()
        record.organiser, record.agency = info["organiser"], info["agency"]
        record.min_opinion_length = info["min_opinion_length"]
        for key, value in (
            ("role", "expert"),
            ("expert_id", str(expert["id"])),
            ("work_package", manifest["package_id"]),
        ):
            session.merge(m.LocalSetting(key=key, value=value))
        if session.get(m.Expert, expert["id"]) is None:
            session.add(
                m.Expert(
                    id=expert["id"],
                    name=expert["name"],
                    organisation=expert["organisation"],
                    field=expert["field"],
                )
            )
        session.flush()
        for d in manifest["dossiers"]:
            lead = _local_applicant(session, d["lead"])
            dossier = session.get(m.Dossier, d["id"])
            if dossier is None:
                dossier = m.Dossier(
                    id=d["id"],
                    code=d["code"],
                    platform_name=d["platform_name"],
                    lead_applicant=lead,
                    direction_id=d["direction_id"],
                    requested_level=d["requested_level"],
                    has_policy_list=d["has_policy_list"],
                    received_at=_dt(d["received_at"]),
                )
                session.add(dossier)
                session.flush()
                for partner in d["partners"]:
                    dossier.partners.append(
                        m.DossierPartner(
                            applicant=_local_applicant(session, partner), role="合作单位"
                        )
                    )
            known = {x.sha256 for x in dossier.materials}
            for x in d["materials"]:
                if x["sha256"] not in known:
                    dossier.materials.append(
                        m.Material(
                            filename=x["filename"],
                            sha256=x["sha256"],
                            size=x["size"],
                            page_count=x["page_count"],
                            version=x["version"],
                            is_current=True,
                            received_at=_dt(x["received_at"]) or clock(),
                            found_items=x["found_items"],
                            text_status=x["text_status"],
                            problem=x["problem"] or "",
                        )
                    )
            if (
                session.scalar(
                    select(m.Assignment.id).where(
                        m.Assignment.expert_id == expert["id"], m.Assignment.dossier_id == d["id"]
                    )
                )
                is None
            ):
                session.add(m.Assignment(expert_id=expert["id"], dossier_id=d["id"]))
        existing = {
            s.dossier_id
            for s in session.scalars(
                select(m.ScoreSheet).where(m.ScoreSheet.expert_id == expert["id"])
            )
        }
        for s in manifest["sheets"]:
            if s["dossier_id"] in existing:
                continue  # the expert's own copy is newer
            sheet = m.ScoreSheet(
                expert_id=expert["id"],
                dossier_id=s["dossier_id"],
                rubric_hash=s["rubric_hash"],
                status=s["status"],
                opinion=s["opinion"],
                updated_at=_dt(s["updated_at"]) or clock(),
                submitted_at=_dt(s["submitted_at"]),
            )
            for criterion, points in s["scores"].items():
                sheet.scores.append(
                    m.Score(
                        criterion_id=criterion,
                        points=points,
                        comment=s["comments"].get(criterion, ""),
                    )
                )
            for veto, reason in s["vetoes"].items():
                sheet.vetoes.append(m.VetoFlag(veto_id=veto, reason=reason))
            session.add(sheet)
        for s in manifest["defense_sessions"]:
            if session.get(m.DefenseSession, s["id"]) is not None:
                continue
            defense = m.DefenseSession(
                id=s["id"],
                name=s["name"],
                starts_at=_dt(s["starts_at"]),
                mode=s["mode"],
                platform=s["platform"],
                meeting_id=s["meeting_id"],
                room=s["room"],
                presentation_minutes=s["presentation_minutes"],
                qa_minutes=s["qa_minutes"],
            )
            session.add(defense)
            session.flush()
            for r in s["records"]:
                session.add(
                    m.DefenseRecord(
                        dossier_id=r["dossier_id"],
                        session_id=defense.id,
                        order_index=r["order_index"],
                        session_at=defense.starts_at,
                        mode=defense.mode,
                        questions=[],
                    )
                )
        audit.record(
            session,
            actor=actor,
            action="work_package.open",
            entity="work_package",
            entity_id=manifest["package_id"],
            after={"dossiers": len(manifest["dossiers"])},
            clock=clock,
        )


def _local_applicant(session: Session, data: dict[str, Any]) -> m.Applicant:
    query = select(m.Applicant).where(
        m.Applicant.credit_code == data["credit_code"]
        if data["credit_code"]
        else m.Applicant.name == data["name"]
    )
    applicant = session.scalars(query).first()
    if applicant is None:
        applicant = m.Applicant(
            name=data["name"],
            credit_code=data["credit_code"],
            kind=data["kind"],
            city=data["city"] or "",
        )
        session.add(applicant)
        session.flush()
    return applicant
