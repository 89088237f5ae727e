"""Return packages (expert -> agency): the expert's scores, comments, veto flags,
recusals, defense and inspection records, with a manifest (package id, project id,
expert id, rubric hash, sequence number, creation time, app version, SHA-256 of every
member) signed with the expert's Ed25519 key; and their import at the agency, which
trusts nothing it cannot verify."""

from __future__ import annotations

import hashlib
import json
import uuid
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from review_desk import __version__, audit
from review_desk.atomic_file import replacing
from review_desk.audit import Clock, utc_now
from review_desk.exchange.keys import KeyError_, load_or_create_key, load_public, verify
from review_desk.exchange.zipsafe import UnsafeArchive, check_exact_layout, check_names, read_member
from review_desk.i18n import _, tr
from review_desk.project import Project
from review_desk.rubrics import rubric_by_hash
from review_desk.storage import models as m

FORMAT = "review-desk-return/1"
MANIFEST, SIGNATURE = "manifest.json", "manifest.sig"
MEMBERS = ("scores.json", "recusals.json", "records.json")
MAX_RETURN = 64 * 1024**2
ACCEPTED, DUPLICATE, REFUSED = "accepted", "duplicate", "refused"


class ReturnError(Exception):
    """A return package that cannot be made; the message is for the user."""


@dataclass
class ImportOutcome:
    """What became of one imported return package."""

    file: str
    status: str  # accepted, duplicate, refused
    reason: str = ""
    code: str = ""  # why refused: unsafe, malformed, unknown_expert, unenrolled, signature,
    # member_changed, project, rubric, sequence, content
    package_id: str = ""
    expert_id: int | None = None
    sequence: int | None = None
    sheets: int = 0
    details: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Return the outcome as plain JSON-ready data."""
        return {
            "file": self.file,
            "status": self.status,
            "reason": self.reason,
            "code": self.code,
            "package_id": self.package_id,
            "expert_id": self.expert_id,
            "sequence": self.sequence,
            "sheets": self.sheets,
            "details": self.details,
        }


def _local(session: Session) -> dict[str, str]:
    rows = session.execute(select(m.LocalSetting.key, m.LocalSetting.value))
    return {row.key: row.value for row in rows}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def make_return(
    expert_project_path: Path, target: Path, *, clock: Clock = utc_now
) -> dict[str, Any]:
    """Write the expert's signed return package; return its manifest."""
    project = Project(expert_project_path)
    try:
        with project.reading() as session:
            local = _local(session)
            if local.get("role") != "expert" or "expert_id" not in local:
                raise ReturnError(_("This project was not opened from a work package."))
            expert_id = int(local["expert_id"])
            project_id = session.scalars(select(m.ReviewProject.id)).one()
            sheets = session.scalars(
                select(m.ScoreSheet)
                .where(m.ScoreSheet.expert_id == expert_id)
                .options(
                    selectinload(m.ScoreSheet.scores),
                    selectinload(m.ScoreSheet.vetoes),
                    selectinload(m.ScoreSheet.dossier),
                )
            ).all()
            scores = [
                {
                    "dossier_id": s.dossier_id,
                    "dossier_code": s.dossier.code,
                    "rubric_hash": s.rubric_hash,
                    "status": s.status,
                    "opinion": s.opinion,
                    "updated_at": _iso(s.updated_at),
                    "submitted_at": _iso(s.submitted_at),
                    "scores": {x.criterion_id: x.points for x in s.scores if x.points is not None},
                    "comments": {x.criterion_id: x.comment for x in s.scores if x.comment},
                    "vetoes": {v.veto_id: v.reason for v in s.vetoes},
                }
                for s in sheets
            ]
            recusals = [
                {
                    "dossier_id": r.dossier_id,
                    "reason": r.reason,
                    "source": r.source,
                    "declared_at": _iso(r.declared_at),
                }
                for r in session.scalars(select(m.Recusal).where(m.Recusal.expert_id == expert_id))
            ]
            records = {
                "defense": [
                    {
                        "dossier_id": r.dossier_id,
                        "attendees": r.attendees,
                        "presentation_minutes": r.presentation_minutes,
                        "questions": r.questions,
                        "notes": r.notes,
                    }
                    for r in session.scalars(select(m.DefenseRecord))
                    if r.attendees or r.notes or r.questions or r.presentation_minutes
                ],
                "inspection": [
                    {
                        "dossier_id": r.dossier_id,
                        "inspected_at": _iso(r.inspected_at),
                        "site": r.site,
                        "shown": r.shown,
                        "findings": r.findings,
                        "notes": r.notes,
                    }
                    for r in session.scalars(select(m.InspectionRecord))
                ],
            }
            hashes = {s["rubric_hash"] for s in scores} or {
                session.scalars(select(m.ReviewProject.active_rubric_hash)).one() or ""
            }
        if len(hashes) > 1:
            raise ReturnError(
                _("The sheets use several rubric versions; ask the agency for a new work package.")
            )
        with project.transaction() as session:
            sequence = int(_local(session).get("return_sequence", "0")) + 1
            session.merge(m.LocalSetting(key="return_sequence", value=str(sequence)))
        contents = {
            "scores.json": json.dumps(scores, ensure_ascii=False, indent=1).encode("utf-8"),
            "recusals.json": json.dumps(recusals, ensure_ascii=False, indent=1).encode("utf-8"),
            "records.json": json.dumps(records, ensure_ascii=False, indent=1).encode("utf-8"),
        }
        manifest = {
            "format": FORMAT,
            "package_id": str(uuid.uuid4()),
            "project_id": project_id,
            "expert_id": expert_id,
            "rubric_hash": hashes.pop(),
            "sequence": sequence,
            "created_at": clock().isoformat(),
            "app_version": __version__,
            "members": {name: hashlib.sha256(data).hexdigest() for name, data in contents.items()},
        }
        manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode(
            "utf-8"
        )
        signature = load_or_create_key(expert_project_path).sign(manifest_bytes)
        # Stored, not deflated: a deflate stream's padding bits can change without changing
        # the content, and every byte of a return is meant to count (see zipsafe). Written
        # whole or not at all: the archive closes, then replaces the target.
        with (
            replacing(target) as tmp,
            zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as archive,
        ):
            archive.writestr(MANIFEST, manifest_bytes)
            archive.writestr(SIGNATURE, signature)
            for name, data in contents.items():
                archive.writestr(name, data)
        with project.transaction() as session:
            audit.record(
                session,
                actor=f"expert:{expert_id}",
                action="return_package.make",
                entity="return_package",
                entity_id=manifest["package_id"],
                after={"sequence": sequence, "sheets": len(scores)},
                clock=clock,
            )
        return manifest
    finally:
        project.close()


class _Refusal(Exception):
    def __init__(
        self, reason: str, details: list[str] | None = None, code: str = "malformed"
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details or []
        self.code = code


def _read(path: Path) -> tuple[dict[str, Any], bytes, bytes, dict[str, bytes]]:
    try:
        if path.stat().st_size > MAX_RETURN + 1024**2:
            raise _Refusal(tr("the package is larger than a score return can be"), code="unsafe")
        check_exact_layout(path.read_bytes())
        archive = zipfile.ZipFile(path)
    except UnsafeArchive as error:
        raise _Refusal(str(error), code="unsafe") from error
    except (zipfile.BadZipFile, OSError) as error:
        raise _Refusal(tr("not a readable package ({error})", error=error)) from error
    with archive:
        try:
            check_names(archive, max_total=MAX_RETURN, max_members=16)
            names = set(archive.namelist())
            expected = {MANIFEST, SIGNATURE, *MEMBERS}
            if names != expected:
                raise _Refusal(
                    tr("unexpected members: {names}", names=", ".join(sorted(names ^ expected))),
                    code="unsafe",
                )
            manifest_bytes = read_member(archive, MANIFEST, 1024**2)
            signature = read_member(archive, SIGNATURE, 1024)
            members = {name: read_member(archive, name, MAX_RETURN) for name in MEMBERS}
        except UnsafeArchive as error:
            raise _Refusal(str(error), code="unsafe") from error
        except (
            zipfile.BadZipFile,
            zipfile.LargeZipFile,
            OSError,
            EOFError,
            zlib.error,
            ValueError,
            NotImplementedError,
            RuntimeError,
            KeyError,
        ) as error:  # every way a damaged archive fails to read
            raise _Refusal(tr("the package is damaged ({error})", error=error)) from error
    try:
        manifest = json.loads(manifest_bytes)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise _Refusal(_("the manifest is not valid JSON")) from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _Refusal(_("not a Review Desk return package"))
    return manifest, manifest_bytes, signature, members


def import_return(
    project: Project, path: Path, *, actor: str = "agency", clock: Clock = utc_now
) -> ImportOutcome:
    """Verify and import one return package. A refused package writes nothing but its
    audit entry; the same package twice is a no-op."""
    outcome = ImportOutcome(file=path.name, status=REFUSED)
    try:
        file_bytes = path.read_bytes() if path.stat().st_size <= MAX_RETURN else b""
        if not file_bytes:
            raise _Refusal(_("the package is too large"))
        manifest, manifest_bytes, signature, members = _read(path)
        outcome.package_id = str(manifest.get("package_id", ""))
        _verify(project, manifest, manifest_bytes, signature, members, outcome)
        data = {name: json.loads(members[name]) for name in MEMBERS}
        _apply(
            project,
            manifest,
            data,
            hashlib.sha256(file_bytes).hexdigest(),
            file_bytes,
            outcome,
            actor,
            clock,
        )
    except _Refusal as refusal:
        outcome.status, outcome.reason, outcome.details = REFUSED, refusal.reason, refusal.details
        outcome.code = refusal.code
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, ValueError) as error:
        outcome.status, outcome.reason = (
            REFUSED,
            tr("the package's content is malformed ({error})", error=error),
        )
    if outcome.status != ACCEPTED:
        with project.transaction() as session:
            audit.record(
                session,
                actor=actor,
                action=f"return_package.{outcome.status}",
                entity="return_package",
                entity_id=outcome.package_id or path.name,
                after={"file": path.name, "reason": outcome.reason, "expert_id": outcome.expert_id},
                clock=clock,
            )
    return outcome


def _verify(
    project: Project,
    manifest: dict[str, Any],
    manifest_bytes: bytes,
    signature: bytes,
    members: dict[str, bytes],
    outcome: ImportOutcome,
) -> None:
    expert_id = manifest.get("expert_id")
    if not isinstance(expert_id, int):
        raise _Refusal(_("the manifest names no expert"))
    outcome.expert_id = expert_id
    with project.reading() as session:
        expert = session.get(m.Expert, expert_id)
        project_id = session.scalars(select(m.ReviewProject.id)).one()
        public_pem = expert.public_key if expert else None
    if expert is None:
        raise _Refusal(
            tr("expert {id} is not in this project", id=expert_id), code="unknown_expert"
        )
    if not public_pem:
        raise _Refusal(
            tr("no key is enrolled for expert {id} ({name})", id=expert_id, name=expert.name),
            code="unenrolled",
        )
    try:
        public = load_public(public_pem)
    except KeyError_ as error:
        raise _Refusal(str(error), code="unenrolled") from error
    if not verify(public, signature, manifest_bytes):
        raise _Refusal(
            tr("the signature does not verify with the key enrolled for {name}", name=expert.name),
            code="signature",
        )
    for name in MEMBERS:
        if manifest.get("members", {}).get(name) != hashlib.sha256(members[name]).hexdigest():
            raise _Refusal(
                tr("member {name} was changed after signing", name=name), code="member_changed"
            )
    if manifest.get("project_id") != project_id:
        raise _Refusal(_("the package is for another project"), code="project")
    if rubric_by_hash(project, str(manifest.get("rubric_hash"))) is None:
        raise _Refusal(
            _("the package was scored against a rubric this project does not have"), code="rubric"
        )
    if not isinstance(manifest.get("sequence"), int) or manifest["sequence"] < 1:
        raise _Refusal(_("the package has no valid sequence number"))
    outcome.sequence = manifest["sequence"]


def _apply(
    project: Project,
    manifest: dict[str, Any],
    data: dict[str, Any],
    file_sha: str,
    file_bytes: bytes,
    outcome: ImportOutcome,
    actor: str,
    clock: Clock,
) -> None:
    expert_id, sequence, package_id = (
        manifest["expert_id"],
        manifest["sequence"],
        manifest["package_id"],
    )
    rubric = rubric_by_hash(project, manifest["rubric_hash"])
    assert rubric is not None
    with project.reading() as session:
        seen = session.scalars(
            select(m.ReturnPackage).where(m.ReturnPackage.package_id == package_id)
        ).first()
        latest = session.scalar(
            select(func.max(m.ReturnPackage.sequence)).where(m.ReturnPackage.expert_id == expert_id)
        )
        assigned = set(
            session.scalars(
                select(m.Assignment.dossier_id).where(m.Assignment.expert_id == expert_id)
            )
        )
        recused = set(
            session.scalars(select(m.Recusal.dossier_id).where(m.Recusal.expert_id == expert_id))
        )
        kinds = {
            d.id: d.lead_applicant.kind
            for d in session.scalars(
                select(m.Dossier).options(selectinload(m.Dossier.lead_applicant))
            )
        }
    if seen is not None:
        if seen.file_sha256 == file_sha:
            outcome.status, outcome.reason = DUPLICATE, _("already imported; nothing changed")
            return
        raise _Refusal(_("another package with the same id was imported before"), code="sequence")
    if latest is not None and sequence <= latest:
        raise _Refusal(
            tr(
                "sequence {sequence} is not newer than {latest}, already imported",
                sequence=sequence,
                latest=latest,
            ),
            code="sequence",
        )
    problems: list[str] = []
    new_recusals = {r["dossier_id"] for r in data["recusals.json"]}
    for sheet in data["scores.json"]:
        dossier_id = sheet["dossier_id"]
        where = f"{sheet.get('dossier_code', dossier_id)}"
        if dossier_id not in assigned:
            problems.append(tr("{where}: not assigned to this expert", where=where))
            continue
        if dossier_id in recused or (dossier_id in new_recusals and sheet["scores"]):
            problems.append(tr("{where}: the expert is recused", where=where))
            continue
        if sheet["rubric_hash"] != rubric.content_hash:
            problems.append(tr("{where}: scored against another rubric version", where=where))
            continue
        for criterion_id, points in sheet["scores"].items():
            try:
                criterion = rubric.criterion(criterion_id)
            except KeyError:
                problems.append(tr("{where}: no criterion {id}", where=where, id=criterion_id))
                continue
            if not isinstance(points, int | float) or isinstance(points, bool):
                problems.append(tr("{where} {id}: not a number", where=where, id=criterion_id))
                continue
            problem = criterion.check(float(points))
            if problem is not None:
                problems.append(f"{where} {criterion_id}: {tr(problem[0], **problem[1])}")
            elif not criterion.applies(kinds.get(dossier_id, "")):
                problems.append(
                    tr(
                        "{where} {id}: does not apply to this applicant",
                        where=where,
                        id=criterion_id,
                    )
                )
        for veto_id in sheet["vetoes"]:
            if veto_id not in {v.id for v in rubric.vetoes}:
                problems.append(tr("{where}: no veto item {id}", where=where, id=veto_id))
        if sheet["status"] not in ("draft", "submitted"):
            problems.append(tr("{where}: unknown status", where=where))
    if problems:
        raise _Refusal(_("the scores do not pass the checks"), problems, code="content")
    sha, _size = project.files.put_bytes(file_bytes)
    try:
        with project.transaction() as session:
            # The package row first: a concurrent import of the same package fails here.
            session.add(
                m.ReturnPackage(
                    package_id=package_id,
                    expert_id=expert_id,
                    sequence=sequence,
                    file_sha256=file_sha,
                    received_at=clock(),
                    status=ACCEPTED,
                    manifest=manifest,
                )
            )
            session.flush()
            for older in session.scalars(
                select(m.ReturnPackage).where(
                    m.ReturnPackage.expert_id == expert_id,
                    m.ReturnPackage.package_id != package_id,
                    m.ReturnPackage.status == ACCEPTED,
                )
            ):
                older.status = "superseded"
            for r in data["recusals.json"]:
                exists = session.scalar(
                    select(m.Recusal.id).where(
                        m.Recusal.expert_id == expert_id, m.Recusal.dossier_id == r["dossier_id"]
                    )
                )
                if exists is None and r["dossier_id"] in assigned:
                    session.add(
                        m.Recusal(
                            expert_id=expert_id,
                            dossier_id=r["dossier_id"],
                            reason=r["reason"],
                            source="expert",
                            declared_at=clock(),
                        )
                    )
            for data_sheet in data["scores.json"]:
                _store_sheet(session, expert_id, data_sheet, clock)
                outcome.sheets += 1
            for record in data["records.json"].get("defense", []):
                row = session.scalars(
                    select(m.DefenseRecord).where(
                        m.DefenseRecord.dossier_id == record["dossier_id"]
                    )
                ).first()
                if row is not None and record["dossier_id"] in assigned:
                    for key in ("attendees", "presentation_minutes", "questions", "notes"):
                        if record.get(key):
                            setattr(row, key, record[key])
            audit.record(
                session,
                actor=actor,
                action="return_package.accepted",
                entity="return_package",
                entity_id=package_id,
                after={
                    "expert_id": expert_id,
                    "sequence": sequence,
                    "sheets": outcome.sheets,
                    "file_sha256": sha,
                },
                clock=clock,
            )
    except IntegrityError:
        outcome.status, outcome.reason, outcome.sheets = (
            DUPLICATE,
            _("already imported; nothing changed"),
            0,
        )
        return
    outcome.status = ACCEPTED


def _store_sheet(session: Session, expert_id: int, data: dict[str, Any], clock: Clock) -> None:
    """Make the agency's copy of a sheet exactly what the expert returned."""
    sheet = session.scalars(
        select(m.ScoreSheet).where(
            m.ScoreSheet.expert_id == expert_id,
            m.ScoreSheet.dossier_id == data["dossier_id"],
            m.ScoreSheet.rubric_hash == data["rubric_hash"],
        )
    ).first()
    if sheet is None:
        sheet = m.ScoreSheet(
            expert_id=expert_id,
            dossier_id=data["dossier_id"],
            rubric_hash=data["rubric_hash"],
            updated_at=clock(),
        )
        session.add(sheet)
    sheet.status, sheet.opinion = data["status"], data["opinion"]
    sheet.submitted_at = (
        datetime.fromisoformat(data["submitted_at"]) if data["submitted_at"] else None
    )
    sheet.updated_at = datetime.fromisoformat(data["updated_at"]) if data["updated_at"] else clock()
    sheet.scores.clear()
    session.flush()
    criteria = set(data["scores"]) | set(data["comments"])
    for criterion in sorted(criteria):
        sheet.scores.append(
            m.Score(
                criterion_id=criterion,
                points=data["scores"].get(criterion),
                comment=data["comments"].get(criterion, ""),
            )
        )
    sheet.vetoes.clear()
    session.flush()
    for veto_id, reason in data["vetoes"].items():
        sheet.vetoes.append(m.VetoFlag(veto_id=veto_id, reason=reason))


def enrol_key(
    project: Project, expert_id: int, pem: str, *, actor: str = "agency", clock: Clock = utc_now
) -> str:
    """Enrol (or replace) an expert's public key; return its fingerprint."""
    from review_desk.exchange.keys import fingerprint

    public = load_public(pem)
    with project.transaction() as session:
        expert = session.get(m.Expert, expert_id)
        if expert is None:
            raise KeyError_(tr("No expert with id {id}.", id=expert_id))
        before = fingerprint(load_public(expert.public_key)) if expert.public_key else None
        expert.public_key = pem.strip() + "\n"
        audit.record(
            session,
            actor=actor,
            action="key.enrol",
            entity="expert",
            entity_id=expert_id,
            before={"fingerprint": before},
            after={"fingerprint": fingerprint(public)},
            clock=clock,
        )
    return fingerprint(public)
