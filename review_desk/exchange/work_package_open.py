"""Opening a work package on the expert's machine into a local project of their own:
everything is checked before anything is written; a new project is built beside the
target and moved into place only when complete, an existing one is updated in one
transaction (see docs/security.md)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import struct
import uuid
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from review_desk import audit
from review_desk.audit import Clock, utc_now
from review_desk.errors import reason_text
from review_desk.exchange.keys import KeyError_, key_path, load_or_create_key
from review_desk.exchange.work_manifest import ManifestError, files_of, validate
from review_desk.exchange.work_package import (
    FORMAT,
    MANIFEST,
    MAX_MANIFEST,
    MAX_PACKAGE,
    PackageError,
)
from review_desk.exchange.zipsafe import UnsafeArchive, check_names, read_member
from review_desk.i18n import _, tr
from review_desk.progress import Progress
from review_desk.project import Project, files_dir_for
from review_desk.rubrics import load_rubric, problem_text, rubric_in_use, rubric_text
from review_desk.scoring import ScoringError, Source
from review_desk.scoring.service import match_in_session
from review_desk.storage import models as m
from review_desk.storage.filestore import FileStore
from scoring_models.rubric import RubricError

# Every way reading a damaged archive fails in zipfile, zlib and struct.
_DAMAGE: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    OSError,
    EOFError,
    zlib.error,
    struct.error,
    ValueError,  # UnicodeDecodeError too
    OverflowError,
    NotImplementedError,  # an unknown compression method or zip version
    RuntimeError,  # "encrypted, password required"
    KeyError,  # a member the directory does not hold
)


@contextmanager
def _refusing(what: str) -> Iterator[None]:
    """Turn a damaged or unsafe archive's failure into a PackageError for the user."""
    try:
        yield
    except UnsafeArchive as error:
        raise PackageError(str(error)) from error
    except _DAMAGE as error:
        raise PackageError(
            tr(
                "The work package is damaged or cannot be copied: {what} ({error}).",
                what=what,
                error=error,
            )
        ) from error


def read_manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    """Check the archive's names and return its validated work-package manifest."""
    with _refusing(MANIFEST):
        check_names(archive, max_total=MAX_PACKAGE)
        if MANIFEST not in archive.NameToInfo:
            raise PackageError(_("This is not a work package (no manifest)."))
        data = read_member(archive, MANIFEST, MAX_MANIFEST)
    try:
        manifest = json.loads(data)
    except (ValueError, RecursionError) as error:  # JSON or UTF-8 errors, absurd nesting
        raise PackageError(_("The work package's manifest is damaged.")) from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise PackageError(_("This is not a Review Desk work package."))
    try:
        validate(manifest)
    except ManifestError as error:
        raise PackageError(str(error)) from error
    names = set(archive.namelist())
    expected = {MANIFEST, *manifest["members"]}
    if names != expected:
        raise PackageError(
            tr(
                "The work package's members differ from its manifest: {names}",
                names=", ".join(sorted(names ^ expected)[:5]),
            )
        )
    return manifest


def _read_rubrics(archive: zipfile.ZipFile, manifest: dict[str, Any]) -> dict[str, str]:
    """Read every rubric text, checked against its SHA-256 and parsed."""
    texts = {}
    for content_hash in manifest["rubrics"]:
        name = f"rubrics/{content_hash}.toml"
        with _refusing(name):
            data = read_member(archive, name, MAX_MANIFEST)
        if hashlib.sha256(data).hexdigest() != manifest["members"][name]:
            raise PackageError(tr("A file of the package is damaged: {name}", name=name))
        try:
            text = data.decode("utf-8")
            rubric = load_rubric(text, name)
        except UnicodeDecodeError as error:
            raise PackageError(tr("A file of the package is damaged: {name}", name=name)) from error
        except RubricError as error:
            raise PackageError(
                tr(
                    "The package's rubric is not valid: {problems}",
                    problems="; ".join(problem_text(p) for p in error.problems[:3]),
                )
            ) from error
        if rubric.content_hash != content_hash:
            raise PackageError(tr("A file of the package is damaged: {name}", name=name))
        texts[content_hash] = text
    return texts


def _copy_files(
    archive: zipfile.ZipFile,
    manifest: dict[str, Any],
    staging: FileStore,
    have: Callable[[str], bool],
    progress: Progress | None,
) -> list[str]:
    """Check every file of the package against its SHA-256 and size; copy those that
    ``have`` says are missing into ``staging``. Return the digests copied."""
    files = files_of(manifest)
    copied = []
    for done, (sha, (size, filename)) in enumerate(sorted(files.items()), start=1):
        name = f"files/{sha}.pdf"
        with _refusing(filename):  # the name the expert knows the file by
            if archive.getinfo(name).file_size != size:
                raise PackageError(tr("A file of the package is damaged: {name}", name=filename))
            with archive.open(name) as member:
                if have(sha):  # checked all the same: the package is whole or refused
                    digest, length = _digest(member)
                else:
                    digest, length = staging.put_stream(member)
                    copied.append(digest)
        if digest != sha or length != size:
            raise PackageError(tr("A file of the package is damaged: {name}", name=filename))
        if progress:
            progress(done, len(files), filename)
    return copied


def _digest(stream: IO[bytes]) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(1 << 20):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _beside(target: Path, label: str) -> Path:
    """A hidden name beside ``target`` for work in progress, unique to this opening."""
    return target.with_name(f".{target.name}.{label}-{uuid.uuid4().hex[:12]}")


def open_work_package(
    work_file: Path,
    expert_project: Path,
    *,
    progress: Progress | None = None,
    clock: Clock = utc_now,
) -> Project:
    """Create or update the expert's local project from a work package; return it open.

    Everything the package holds is checked before it is used: the archive's names, the
    manifest, every rubric and file against its SHA-256. A new project is built under a
    temporary name beside ``expert_project`` and renamed into place when complete; an
    existing one is updated in one transaction. A failure (a PackageError for anything
    wrong with the package) leaves no new project behind and an existing one unchanged.
    """
    expert_project = Path(expert_project)
    try:
        archive = zipfile.ZipFile(work_file)
    except _DAMAGE as error:
        raise PackageError(
            tr(
                "{file} is not a readable package ({error}).",
                file=Path(work_file).name,
                error=reason_text(error),
            )
        ) from error
    with archive:
        manifest = read_manifest(archive)
        rubrics = _read_rubrics(archive, manifest)
        if expert_project.exists():
            return _update(archive, manifest, rubrics, expert_project, progress, clock)
        return _create(archive, manifest, rubrics, expert_project, progress, clock)


def _existing_key(expert_project: Path) -> bool:
    """Return True when the expert's key is already there (refusing a damaged one)."""
    if not key_path(expert_project).exists():
        return False
    try:
        load_or_create_key(expert_project)
    except KeyError_ as error:
        raise PackageError(str(error)) from error
    return True


def _create(
    archive: zipfile.ZipFile,
    manifest: dict[str, Any],
    rubrics: dict[str, str],
    target: Path,
    progress: Progress | None,
    clock: Clock,
) -> Project:
    info, expert = manifest["project"], manifest["expert"]
    files_dir = files_dir_for(target)
    leftovers = [
        p
        for p in (files_dir, *(target.with_name(target.name + s) for s in ("-wal", "-shm")))
        if p.exists() and not (p.is_dir() and not any(p.iterdir()))
    ]
    if leftovers:
        raise PackageError(
            tr(
                "{path} is in the way of the new project; move it elsewhere first.",
                path=leftovers[0],
            )
        )
    has_key = _existing_key(target)
    made_parent = not target.parent.exists()
    temporary = _beside(target, "opening")
    moved: list[Path] = []
    try:
        project = Project.create(
            temporary,
            name=info["name"],
            round_name=info["round_name"],
            deadline=_dt(info.get("deadline")),
            project_id=info["id"],
            actor=f"expert:{expert['id']}",
            clock=clock,
        )
        try:
            store = _local_store(project)
            _copy_files(archive, manifest, store, lambda _sha: False, progress)
            store.root.mkdir(exist_ok=True)  # a package may hold no file at all
            _in_one_transaction(project, manifest, rubrics, clock)
        finally:
            project.close()
        _single_file(temporary)
        if not has_key:
            load_or_create_key(temporary)
        # The project file last: until it is in place, there is no project at the target.
        steps = [(files_dir_for(temporary), files_dir)]
        if not has_key:
            steps.append((key_path(temporary), key_path(target)))
        steps.append((temporary, target))
        for source, destination in steps:
            if destination.exists() and not (
                destination.is_dir() and not any(destination.iterdir())
            ):
                raise PackageError(tr("A file already exists at {path}.", path=destination))
            if destination.is_dir():
                destination.rmdir()
            os.replace(source, destination)
            moved.append(destination)
    except BaseException:
        for path in moved:
            _remove(path)
        _remove_project(temporary)
        if made_parent and target.parent.exists() and not any(target.parent.iterdir()):
            target.parent.rmdir()
        raise
    return Project(target)


def _local_store(project: Project) -> FileStore:
    """The file store of an expert's local project (always a project file, never on a
    server)."""
    if not isinstance(project.files, FileStore):
        raise PackageError(_("A work package opens into a project file, not a server project."))
    return project.files


def _single_file(path: Path) -> None:
    """Fold the write-ahead log into the database file so that it can be moved alone."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA journal_mode=DELETE")
    finally:
        connection.close()


def _remove(path: Path) -> None:
    if path.is_dir():
        for stored in path.rglob("*"):
            stored.chmod(0o644 if stored.is_file() else 0o755)  # stored files are read-only
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _remove_project(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal", ".key", ".files"):
        _remove(path.with_name(path.name + suffix))


def _update(
    archive: zipfile.ZipFile,
    manifest: dict[str, Any],
    rubrics: dict[str, str],
    target: Path,
    progress: Progress | None,
    clock: Clock,
) -> Project:
    info, expert = manifest["project"], manifest["expert"]
    project = Project(target)
    staging_dir = _beside(target, "incoming")
    try:
        with project.reading() as session:
            local = dict(session.execute(select(m.LocalSetting.key, m.LocalSetting.value)).all())
            project_id = session.scalars(select(m.ReviewProject.id)).one()
        if project_id != info["id"] or local.get("expert_id") != str(expert["id"]):
            raise PackageError(_("That local project belongs to another project or expert."))
        _existing_key(target)
        staging = FileStore(staging_dir)
        copied = _copy_files(archive, manifest, staging, project.files.contains, progress)
        _in_one_transaction(
            project,
            manifest,
            rubrics,
            clock,
            adopt=lambda: _adopt(staging, copied, _local_store(project)),
        )
        load_or_create_key(target)
    except BaseException:
        project.close()
        raise
    finally:
        _remove(staging_dir)
    return project


def _adopt(staging: FileStore, digests: list[str], store: FileStore) -> list[Path]:
    """Move checked files from ``staging`` into ``store``; return every path made (files
    and folders), for undoing."""
    made: list[Path] = []
    try:
        if digests and not store.root.exists():
            store.root.mkdir()
            made.append(store.root)
        for sha in digests:
            destination = store.path_for(sha)
            if not destination.parent.exists():
                destination.parent.mkdir()
                made.append(destination.parent)
            os.replace(staging.path_for(sha), destination)
            made.append(destination)
    except BaseException:
        _undo(made)
        raise
    return made


def _undo(made: list[Path]) -> None:
    for path in reversed(made):
        if path.is_dir():
            path.rmdir()
        else:
            path.chmod(0o644)
            path.unlink(missing_ok=True)


def _in_one_transaction(
    project: Project,
    manifest: dict[str, Any],
    rubrics: dict[str, str],
    clock: Clock,
    adopt: Callable[[], list[Path]] | None = None,
) -> None:
    """Write the package's content in one transaction; ``adopt`` moves its new files into
    the store just before the commit (and they are taken out again if it fails)."""
    made: list[Path] = []
    try:
        with project.transaction() as session:
            _load_into(session, manifest, rubrics, clock)
            session.flush()
            if adopt:
                made = adopt()
    except SQLAlchemyError as error:
        _undo(made)
        raise PackageError(
            tr(
                "The work package does not fit this project ({error}).",
                error=getattr(error, "orig", None) or error,
            )
        ) from error
    except BaseException:
        _undo(made)
        raise


def _store_rubrics(
    session: Session, manifest: dict[str, Any], rubrics: dict[str, str], clock: Clock
) -> None:
    actor = f"expert:{manifest['expert']['id']}"
    for content_hash, text in rubrics.items():
        known = session.scalar(
            select(m.RubricVersion.id).where(m.RubricVersion.content_hash == content_hash)
        )
        if known is None:
            rubric = load_rubric(text)
            session.add(
                m.RubricVersion(
                    content_hash=content_hash,
                    rubric_id=rubric.id,
                    name=rubric.name,
                    version=rubric.version,
                    text=text,
                    created_at=clock(),
                    created_by=actor,
                )
            )
    record = session.scalars(select(m.ReviewProject)).one()
    active = manifest["project"].get("active_rubric_hash")
    if active is None or record.active_rubric_hash == active:
        return
    new = load_rubric(rubrics[active])
    current = record.active_rubric_hash
    if current and rubric_in_use(session, current):
        old = load_rubric(rubric_text(session, current) or "")
        if (old.id, old.version) == (new.id, new.version):
            # The agency refuses this too: a version in use is locked.
            raise PackageError(
                tr(
                    "The package changes rubric version {version}, which your sheets use.",
                    version=new.version,
                )
            )
    record.active_rubric_hash = active
    audit.record(
        session,
        actor=actor,
        action="rubric.activate",
        entity="rubric",
        entity_id=active[:16],
        before={"hash": current},
        after={"hash": active, "name": new.name, "version": new.version},
        clock=clock,
    )


@dataclass(frozen=True)
class _PackagedSheet:
    """A sheet the agency already holds for the expert, as the package carries it."""

    rubric_hash: str
    status: str
    opinion: str
    submitted_at: datetime | None
    scores: dict[str, float]
    comments: dict[str, str]
    vetoes: dict[str, str]


def _load_into(
    session: Session, manifest: dict[str, Any], rubrics: dict[str, str], clock: Clock
) -> None:
    info, expert = manifest["project"], manifest["expert"]
    actor = f"expert:{expert['id']}"
    _store_rubrics(session, manifest, rubrics, clock)
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
                received_at=_dt(d.get("received_at")),
            )
            session.add(dossier)
            session.flush()
            for partner in d["partners"]:
                dossier.partners.append(
                    m.DossierPartner(applicant=_local_applicant(session, partner), role="合作单位")
                )
        known = {x.sha256 for x in dossier.materials}
        for x in d["materials"]:
            if x["sha256"] not in known:
                dossier.materials.append(
                    m.Material(
                        filename=x["filename"],
                        sha256=x["sha256"],
                        size=x["size"],
                        page_count=x.get("page_count"),
                        version=x["version"],
                        is_current=True,
                        received_at=_dt(x.get("received_at")) or clock(),
                        found_items=x.get("found_items"),
                        text_status=x.get("text_status"),
                        problem=x.get("problem") or "",
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
        for s in session.scalars(select(m.ScoreSheet).where(m.ScoreSheet.expert_id == expert["id"]))
    }
    session.flush()
    for s in manifest["sheets"]:
        if s["dossier_id"] in existing:
            continue  # the expert's own copy is newer
        try:
            match_in_session(
                session,
                expert["id"],
                s["dossier_id"],
                _PackagedSheet(
                    rubric_hash=s["rubric_hash"],
                    status=s["status"],
                    opinion=s["opinion"],
                    submitted_at=_dt(s.get("submitted_at")),
                    scores={k: float(v) for k, v in s["scores"].items()},
                    comments=dict(s["comments"]),
                    vetoes=dict(s["vetoes"]),
                ),
                actor=actor,
                source=Source.WORK_PACKAGE,
                clock=clock,
            )
        except ScoringError as error:
            raise PackageError(
                tr(
                    "The work package's sheet of dossier {id} is not valid: {error}",
                    id=s["dossier_id"],
                    error=error,
                )
            ) from error
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
        if data.get("credit_code")
        else m.Applicant.name == data["name"]
    )
    applicant = session.scalars(query).first()
    if applicant is None:
        applicant = m.Applicant(
            name=data["name"],
            credit_code=data.get("credit_code"),
            kind=data["kind"],
            city=data.get("city") or "",
        )
        session.add(applicant)
        session.flush()
    return applicant
