"""Return packages (expert -> agency): the expert's scores, comments, veto flags,
recusals, defense and inspection records, with a manifest (package id, project id,
expert id, rubric hash, sequence number, creation time, app version, SHA-256 of every
member) signed with the expert's Ed25519 key; and their import at the agency, which
trusts nothing it cannot verify."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from review_desk import __version__, audit
from review_desk.atomic_file import replacing
from review_desk.audit import Clock, utc_now
from review_desk.errors import UserError, os_error_message, reason_text
from review_desk.exchange.keys import KeyError_, load_or_create_key, load_public, verify
from review_desk.exchange.return_content import (
    MalformedContent,
    ReturnContent,
    parse_content,
)
from review_desk.exchange.zipsafe import (
    ARCHIVE_ERRORS,
    UnsafeArchive,
    check_exact_layout,
    check_names,
    read_member,
)
from review_desk.i18n import _, tr
from review_desk.project import Project
from review_desk.rubrics import rubric_by_hash
from review_desk.scoring import ScoringError, Source
from review_desk.scoring.service import match_in_session
from review_desk.storage import models as m
from review_desk.storage.locking import ProjectBusy

FORMAT = "review-desk-return/1"
MANIFEST, SIGNATURE = "manifest.json", "manifest.sig"
MEMBERS = ("scores.json", "recusals.json", "records.json")
MAX_RETURN = 64 * 1024**2
ACCEPTED, DUPLICATE, REFUSED, SUPERSEDED = "accepted", "duplicate", "refused", "superseded"
_PACKAGE_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class ReturnError(UserError):
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


@dataclass(frozen=True)
class MadeReturn:
    """A return package just written: what its manifest says about it."""

    package_id: str
    expert_id: int
    sequence: int  # the expert's returns are numbered 1, 2, …; the newest counts
    sheets: int
    members: tuple[str, ...]  # the signed content files in the package


def make_return(expert_project_path: Path, target: Path, *, clock: Clock = utc_now) -> MadeReturn:
    """Write the expert's signed return package; say what it holds."""
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
        return MadeReturn(
            package_id=str(manifest["package_id"]),
            expert_id=expert_id,
            sequence=sequence,
            sheets=len(scores),
            members=tuple(contents),
        )
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
        raise _Refusal(tr("not a readable package ({error})", error=reason_text(error))) from error
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
        except ARCHIVE_ERRORS as error:  # every way a damaged archive fails to read
            raise _Refusal(tr("the package is damaged ({error})", error=error)) from error
    try:
        manifest = json.loads(manifest_bytes)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise _Refusal(_("the manifest is not valid JSON")) from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _Refusal(_("not a Review Desk return package"))
    return manifest, manifest_bytes, signature, members


def import_return(
    project: Project,
    path: Path,
    *,
    actor: str = "agency",
    on_busy: Callable[[int], None] | None = None,
    clock: Clock = utc_now,
) -> ImportOutcome:
    """Verify and import one return package. A refused package writes nothing but its
    audit entry (not even its file); the same package twice is a no-op. While another
    writer holds the project, ``on_busy`` hears of each retry."""
    outcome = ImportOutcome(file=path.name, status=REFUSED)
    try:
        try:
            size = path.stat().st_size
        except OSError as error:
            raise _Refusal(
                tr("the file cannot be read ({error})", error=os_error_message(error))
            ) from error
        if size > MAX_RETURN:
            raise _Refusal(_("the package is too large"), code="unsafe")
        manifest, manifest_bytes, signature, members = _read(path)
        outcome.package_id = str(manifest.get("package_id", ""))[:36]
        _verify(project, manifest, manifest_bytes, signature, members, outcome)
        try:
            content = parse_content(members)
        except MalformedContent as error:
            raise _Refusal(
                tr("the package's content is malformed ({error})", error=error)
            ) from error
        file_bytes = path.read_bytes()
        _apply(project, manifest, content, file_bytes, outcome, actor, on_busy, clock)
    except _Refusal as refusal:
        outcome.status, outcome.reason, outcome.details = REFUSED, refusal.reason, refusal.details
        outcome.code = refusal.code
    except OSError as error:
        outcome.status, outcome.code = REFUSED, "malformed"
        outcome.reason = tr("the file cannot be read ({error})", error=os_error_message(error))
    if outcome.status != ACCEPTED and outcome.status != DUPLICATE:
        with project.transaction() as session:
            audit.record(
                session,
                actor=actor,
                action=f"return_package.{outcome.status}",
                entity="return_package",
                entity_id=outcome.package_id or path.name[:50],
                after={
                    "file": path.name,
                    "reason": outcome.reason,
                    "code": outcome.code,
                    "expert_id": outcome.expert_id,
                },
                clock=clock,
            )
    elif outcome.status == DUPLICATE:
        with project.transaction() as session:
            audit.record(
                session,
                actor=actor,
                action="return_package.duplicate",
                entity="return_package",
                entity_id=outcome.package_id,
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
    if isinstance(expert_id, bool) or not isinstance(expert_id, int):
        raise _Refusal(_("the manifest names no expert"))
    package_id = manifest.get("package_id")
    if not isinstance(package_id, str) or not _PACKAGE_ID.fullmatch(package_id):
        raise _Refusal(_("the manifest has no valid package id"))
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
    declared = manifest.get("members")
    if not isinstance(declared, dict):
        raise _Refusal(_("the manifest lists no members"))
    for name in MEMBERS:
        if declared.get(name) != hashlib.sha256(members[name]).hexdigest():
            raise _Refusal(
                tr("member {name} was changed after signing", name=name), code="member_changed"
            )
    if manifest.get("project_id") != project_id:
        raise _Refusal(_("the package is for another project"), code="project")
    if rubric_by_hash(project, str(manifest.get("rubric_hash"))) is None:
        raise _Refusal(
            _("the package was scored against a rubric this project does not have"), code="rubric"
        )
    sequence = manifest.get("sequence")
    if isinstance(sequence, bool) or not isinstance(sequence, int) or not 0 < sequence < 2**31:
        raise _Refusal(_("the package has no valid sequence number"))
    outcome.sequence = manifest["sequence"]


def _apply(
    project: Project,
    manifest: dict[str, Any],
    content: ReturnContent,
    file_bytes: bytes,
    outcome: ImportOutcome,
    actor: str,
    on_busy: Callable[[int], None] | None,
    clock: Clock,
) -> None:
    """Apply every member of a verified package in one transaction under the expert's
    write lock: the sequence and duplicate checks, recusals, sheets (through the
    score-sheet service), the expert's defense and inspection notes, the package row and
    its file. Any problem rolls all of it back."""
    expert_id, sequence, package_id = (
        manifest["expert_id"],
        manifest["sequence"],
        manifest["package_id"],
    )
    file_sha = hashlib.sha256(file_bytes).hexdigest()
    had_file = project.files.contains(file_sha)

    def work(session: Session) -> None:
        seen = session.scalars(
            select(m.ReturnPackage).where(m.ReturnPackage.package_id == package_id)
        ).first()
        if seen is not None:
            if seen.file_sha256 == file_sha:
                raise _Duplicate
            raise _Refusal(
                _("another package with the same id was imported before"), code="sequence"
            )
        latest = session.scalar(
            select(func.max(m.ReturnPackage.sequence)).where(
                m.ReturnPackage.expert_id == expert_id,
                m.ReturnPackage.status.in_((ACCEPTED, SUPERSEDED)),
            )
        )
        if latest is not None and sequence <= latest:
            raise _Refusal(
                tr(
                    "sequence {sequence} is not newer than {latest}, already imported",
                    sequence=sequence,
                    latest=latest,
                ),
                code="sequence",
            )
        for older in session.scalars(
            select(m.ReturnPackage).where(
                m.ReturnPackage.expert_id == expert_id, m.ReturnPackage.status == ACCEPTED
            )
        ):
            older.status = SUPERSEDED
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
        problems = _apply_content(session, manifest, content, file_sha, outcome, actor, clock)
        if problems:
            raise _Refusal(_("the scores do not pass the checks"), problems, code="content")
        project.files.put_bytes(file_bytes)
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
                "defense": len(content.defense),
                "inspection": len(content.inspection),
                "recusals": len(content.recusals),
                "file_sha256": file_sha,
            },
            clock=clock,
        )

    try:
        project.write(work, key=f"expert:{expert_id}", on_busy=on_busy)
    except _Duplicate:
        outcome.status, outcome.reason = DUPLICATE, _("already imported; nothing changed")
        return
    except ProjectBusy as busy:
        _forget_file(project, file_sha, had_file)
        raise _Refusal(str(busy), code="busy") from busy
    except BaseException:
        _forget_file(project, file_sha, had_file)
        raise
    outcome.status = ACCEPTED


class _Duplicate(Exception):
    """The very same package was imported before."""


def _forget_file(project: Project, file_sha: str, had_file: bool) -> None:
    if not had_file:
        project.files.discard(file_sha)


def _apply_content(
    session: Session,
    manifest: dict[str, Any],
    content: ReturnContent,
    file_sha: str,
    outcome: ImportOutcome,
    actor: str,
    clock: Clock,
) -> list[str]:
    """Write a package's content inside the import's transaction; return the problems
    (each naming its dossier) that refuse the whole package."""
    expert_id, package_id = manifest["expert_id"], manifest["package_id"]
    problems: list[str] = []
    assigned = set(
        session.scalars(select(m.Assignment.dossier_id).where(m.Assignment.expert_id == expert_id))
    )
    codes: dict[int, str] = {
        row.id: row.code for row in session.execute(select(m.Dossier.id, m.Dossier.code))
    }
    for recusal in content.recusals:
        if recusal.dossier_id not in assigned:
            continue  # a dossier taken away from the expert since the work package
        exists = session.scalar(
            select(m.Recusal.id).where(
                m.Recusal.expert_id == expert_id, m.Recusal.dossier_id == recusal.dossier_id
            )
        )
        if exists is None:
            session.add(
                m.Recusal(
                    expert_id=expert_id,
                    dossier_id=recusal.dossier_id,
                    reason=recusal.reason,
                    source="expert",
                    declared_at=clock(),
                )
            )
    session.flush()
    recused = set(
        session.scalars(select(m.Recusal.dossier_id).where(m.Recusal.expert_id == expert_id))
    )
    for sheet in content.sheets:
        where = codes.get(sheet.dossier_id, sheet.dossier_code or str(sheet.dossier_id))
        if sheet.dossier_id in recused and sheet.empty:
            continue
        if sheet.rubric_hash != manifest["rubric_hash"]:
            problems.append(tr("{where}: scored against another rubric version", where=where))
            continue
        try:
            if match_in_session(
                session,
                expert_id,
                sheet.dossier_id,
                sheet,
                actor=actor,
                source=Source.RETURN_PACKAGE,
                source_sha256=file_sha,
                clock=clock,
            ):
                outcome.sheets += 1
        except ScoringError as error:
            problems.append(f"{where}: {error}")
    now = clock()
    for defense in content.defense:
        where = codes.get(defense.dossier_id, str(defense.dossier_id))
        if defense.dossier_id not in assigned:
            problems.append(tr("{where}: not assigned to this expert", where=where))
            continue
        if (
            defense.presentation_minutes is not None
            and not 0 <= defense.presentation_minutes <= 600
        ):
            problems.append(
                tr(
                    "{where}: the presentation length must be between 0 and 600 minutes",
                    where=where,
                )
            )
            continue
        note = _note(session, m.DefenseNote, expert_id, defense.dossier_id)
        note.attendees, note.presentation_minutes = defense.attendees, defense.presentation_minutes
        note.questions, note.notes = [dict(q) for q in defense.questions], defense.notes
        note.package_id, note.updated_at = package_id, now
    for inspection in content.inspection:
        where = codes.get(inspection.dossier_id, str(inspection.dossier_id))
        if inspection.dossier_id not in assigned:
            problems.append(tr("{where}: not assigned to this expert", where=where))
            continue
        found = _note(session, m.InspectionNote, expert_id, inspection.dossier_id)
        found.inspected_at, found.site = inspection.inspected_at, inspection.site
        found.shown, found.findings = inspection.shown, inspection.findings
        found.notes, found.package_id, found.updated_at = inspection.notes, package_id, now
    session.flush()
    return problems


_Note = TypeVar("_Note", m.DefenseNote, m.InspectionNote)


def _note(session: Session, model: type[_Note], expert_id: int, dossier_id: int) -> _Note:
    """Return the expert's note of a dossier, new when there is none yet."""
    note = session.scalars(
        select(model).where(model.expert_id == expert_id, model.dossier_id == dossier_id)
    ).first()
    if note is None:
        note = model(
            expert_id=expert_id, dossier_id=dossier_id, package_id="", updated_at=utc_now()
        )
        session.add(note)
    return note


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
