"""Intake: a register and a folder of PDFs become applicants, dossiers and materials.

The work is in three steps so that nothing is half-done:
1. read and check the register, and match the files (nothing written);
2. copy the files into the content-addressed store and read them in worker processes
   (the store only gains files; nothing refers to them yet);
3. write applicants, dossiers and materials in one transaction, with audit entries.
By default any refused row stops the import before step 2 (all-or-nothing); with
``valid_only`` the other rows are imported. Importing the same register again changes
nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from review_desk import audit
from review_desk.audit import Clock, utc_now
from review_desk.domain import TextStatus
from review_desk.formatting import local_time
from review_desk.i18n import _, tr
from review_desk.intake.files import FileMatch, match_files
from review_desk.intake.pdf_worker import OK, PdfReport, PdfWorkers, default_workers
from review_desk.intake.register_reader import read_register
from review_desk.intake.register_rows import (
    ERROR,
    WARNING,
    Application,
    Issue,
    RegisterCheck,
    check_register,
)
from review_desk.progress import Progress
from review_desk.project import Project
from review_desk.storage import models as m


@dataclass
class IntakeResult:
    """What an intake did, or would have done."""

    register: str
    issues: list[Issue]
    rows_read: int
    rows_refused: int
    applications: int
    imported: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    materials_added: int = 0
    late: list[str] = field(default_factory=list)
    # Conflicts the imported applicants and partners reveal with experts already
    # assigned: now recused (their scores blocked), to be shown as a warning.
    late_conflicts: list[Any] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no row was refused."""
        return self.rows_refused == 0

    def summary(self) -> str:
        """One sentence on what happened, for the CLI and the dialog."""
        if not self.rows_read and not self.imported:
            return _("Nothing imported: the register has no data rows.")
        if self.imported:
            return tr(
                "Imported: {created} new, {updated} changed, {unchanged} unchanged dossiers; "
                "{materials} files added; {refused} rows refused.",
                created=self.created,
                updated=self.updated,
                unchanged=self.unchanged,
                materials=self.materials_added,
                refused=self.rows_refused,
            )
        return tr(
            "Nothing imported: {refused} of {rows} rows refused. Correct them, or use "
            "--valid-only to import the others.",
            refused=self.rows_refused,
            rows=self.rows_read,
        )

    def as_dict(self) -> dict[str, Any]:
        """Return the result as plain JSON-ready data."""
        return {
            "register": self.register,
            "imported": self.imported,
            "rows_read": self.rows_read,
            "rows_refused": self.rows_refused,
            "applications": self.applications,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "materials_added": self.materials_added,
            "late": self.late,
            "late_conflicts": [c.as_dict() for c in self.late_conflicts],
            "issues": [i.as_dict() for i in self.issues],
        }


@dataclass
class IntakePlan:
    """A checked register with its files matched: what step 3 would write."""

    check: RegisterCheck
    files: FileMatch
    issues: list[Issue]


def plan_intake(register: Path, files_dir: Path | None) -> IntakePlan:
    """Read and check a register and match its files, writing nothing."""
    check = check_register(read_register(register))
    matches = match_files(check.applications, files_dir)
    issues = list(check.issues)
    if not check.table.rows and not issues:
        # Headers and nothing under them: refused, not imported as "0 new dossiers".
        issues.append(
            Issue(
                sheet=check.table.sheet,
                row=check.table.header_row,
                column="",
                header="",
                value="",
                problem=_("the register has no data rows under its header row"),
                fix=_("Fill in one row per application under the headers (see 填写说明)."),
            )
        )
    for index, missing in matches.missing.items():
        application = check.applications[index]
        if missing:
            problem = tr("material file not found: {names}", names="; ".join(missing))
            fix = _("Put the file in the files folder, or correct its name in the register.")
        else:
            problem = _("no material file found for this application")
            fix = _(
                "Name the PDF with the applicant's name or credit code (and the direction "
                "when it applies in several), or list it in the 材料文件 column."
            )
        issues.append(
            Issue(
                sheet=application.sheet,
                row=application.row,
                column=application.file_cell,
                header="材料文件",
                value="; ".join(application.files),
                problem=problem,
                fix=fix,
            )
        )
    for path in matches.unmatched:
        issues.append(
            Issue(
                sheet=check.table.sheet,
                row=0,
                column="",
                header="",
                value=path.name,
                problem=_("this PDF matches no application of the register"),
                fix=_("Rename it after its applicant, or list it in the 材料文件 column."),
                severity=WARNING,
            )
        )
    return IntakePlan(check, matches, issues)


def _refused_rows(issues: list[Issue]) -> set[tuple[str, int]]:
    return {(i.sheet, i.row) for i in issues if i.severity == ERROR and i.row}


def run_intake(
    project: Project,
    register: Path,
    files_dir: Path | None,
    *,
    valid_only: bool = False,
    actor: str = "agency",
    progress: Progress | None = None,
    clock: Clock = utc_now,
    workers: int | None = None,
    read_text: bool = True,
) -> IntakeResult:
    """Import a register and its material files into ``project``.

    With ``read_text`` False the files are stored and their pages counted, but their text
    layer is not searched for the checklist items (they stay "not read").
    """
    plan = plan_intake(register, files_dir)
    issues = plan.issues
    refused = _refused_rows(issues)
    header_broken = any(
        i.severity == ERROR and i.row == plan.check.table.header_row and not i.column
        for i in issues
    )
    result = IntakeResult(
        register=str(register),
        issues=issues,
        rows_read=len(plan.check.table.rows),
        rows_refused=len(refused),
        applications=len(plan.check.applications),
        imported=False,
    )
    if header_broken or (refused and not valid_only):
        return result
    chosen = [
        (index, a)
        for index, a in enumerate(plan.check.applications)
        if (a.sheet, a.row) not in refused
    ]
    files = {index: plan.files.files.get(index, []) for index, _a in chosen}
    total_files = sum(len(v) for v in files.values())
    step = 0

    def tick(message: str) -> None:
        nonlocal step
        step += 1
        if progress:
            progress(step, total_files * 2 + 1, message)

    # Step 2: copy each file into the store and hand it to a PDF worker as soon as it is
    # there, so copying and reading run side by side.
    stored: dict[Path, tuple[str, int]] = {}
    reports: dict[str, PdfReport] = {}
    with project.reading() as session:
        known = set(session.scalars(select(m.Material.sha256)).all())
    store_paths: dict[Path, str] = {}

    def copied() -> Iterator[Path]:
        for paths in files.values():
            for path in paths:
                if path in stored:
                    continue
                stored[path] = project.files.put_file(path)
                tick(tr("Copying {name}", name=path.name))
                sha = stored[path][0]
                target = project.files.path_for(sha)
                # Files already in the project (a re-import) are not read again.
                if sha not in known and target not in store_paths:
                    store_paths[target] = sha
                    yield target

    # No more reader processes than files (each costs a Python start-up), none for none.
    candidates = sum(len(paths) for paths in files.values())
    if candidates:
        with PdfWorkers(workers=min(workers or default_workers(), candidates)) as pool:
            for report in pool.read(copied(), extract_text=read_text):
                reports[store_paths[Path(report.path)]] = report
                tick(tr("Reading {name}", name=Path(report.path).name[:12]))
    # Step 3: one transaction.
    now = clock()
    with project.transaction() as session:
        deadline = project.info().deadline
        for index, application in chosen:
            outcome, added = _store_application(
                session, application, files[index], stored, reports, now, actor, clock, files_dir
            )
            setattr(result, outcome, getattr(result, outcome) + 1)
            result.materials_added += added
            received = application.received_at or now
            if deadline and received > deadline:
                result.late.append(f"{application.applicant} / {application.direction}")
                issues.append(
                    Issue(
                        sheet=application.sheet,
                        row=application.row,
                        column=plan.check.table.column_letters.get("received_at", ""),
                        header="收到时间",
                        value=local_time(received),
                        problem=tr(
                            "received after the deadline {deadline}", deadline=local_time(deadline)
                        ),
                        fix=_("The formal review asks a reviewer to decide whether to accept it."),
                        severity=WARNING,
                    )
                )
            for path in files[index]:
                reading = reports.get(stored[path][0])
                if reading is not None and reading.status != OK:
                    issues.append(
                        Issue(
                            sheet=application.sheet,
                            row=application.row,
                            column=application.file_cell,
                            header="材料文件",
                            value=path.name,
                            problem=reading.message,
                            fix=_("Ask the applicant for a readable, unprotected PDF (补正)."),
                            severity=WARNING,
                        )
                    )
        tick(_("Saving"))
        changed = result.created + result.updated + result.materials_added
        if changed:
            audit.record(
                session,
                actor=actor,
                action="register.import",
                entity="register",
                entity_id=register.name,
                after={
                    "rows_read": result.rows_read,
                    "rows_refused": result.rows_refused,
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                    "materials_added": result.materials_added,
                },
                clock=clock,
            )
    result.imported = True
    if result.created or result.updated:
        from review_desk.conflicts import block_late

        result.late_conflicts = block_late(project, actor=actor, clock=clock)
    return result


def _applicant_facts(application: Application) -> dict[str, Any]:
    return {
        "name": application.applicant,
        "kind": application.kind.value,
        "city": application.city,
        "in_shanxi": bool(application.city) or application.local_presence == "shanxi_based",
        "pilot_enterprise_status": application.pilot_enterprise_status,
        "local_presence": application.local_presence,
        "double_high": application.double_high,
        "major_tech_transfer": application.major_tech_transfer,
        "major_categories": application.major_categories,
        "contact_name": application.contact_name,
        "contact_phone": application.contact_phone,
    }


def _upsert_applicant(
    session: Session, application: Application, actor: str, clock: Clock
) -> m.Applicant:
    applicant = session.scalars(
        select(m.Applicant).where(m.Applicant.credit_code == application.credit_code)
    ).first()
    facts = _applicant_facts(application)
    if applicant is None:
        applicant = m.Applicant(credit_code=application.credit_code, **facts)
        session.add(applicant)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="applicant.create",
            entity="applicant",
            entity_id=applicant.id,
            after=facts,
            clock=clock,
        )
        return applicant
    before = {key: getattr(applicant, key) for key in facts}
    if before != facts:
        for key, value in facts.items():
            setattr(applicant, key, value)
        audit.record(
            session,
            actor=actor,
            action="applicant.update",
            entity="applicant",
            entity_id=applicant.id,
            before=before,
            after=facts,
            clock=clock,
        )
    return applicant


def _partner_applicant(session: Session, name: str, code: str | None) -> m.Applicant:
    query = select(m.Applicant).where(
        m.Applicant.credit_code == code if code else m.Applicant.name == name
    )
    partner = session.scalars(query).first()
    if partner is None:
        partner = m.Applicant(name=name, credit_code=code, kind="unknown", city="")
        session.add(partner)
        session.flush()
    return partner


def _known_report(session: Session, sha: str) -> PdfReport:
    """The reading of a file already in the project (attached to another dossier)."""
    known = session.scalars(select(m.Material).where(m.Material.sha256 == sha)).first()
    assert known is not None
    return PdfReport(
        path="",
        status=TextStatus(known.text_status or OK),
        pages=known.page_count,
        items=dict(known.found_items or {}),
        message=known.problem,
    )


def _store_application(
    session: Session,
    application: Application,
    paths: list[Path],
    stored: dict[Path, tuple[str, int]],
    reports: dict[str, PdfReport],
    now: datetime,
    actor: str,
    clock: Clock,
    files_dir: Path | None = None,
) -> tuple[str, int]:
    """Create or update one dossier; return ("created"|"updated"|"unchanged", files added)."""
    lead = _upsert_applicant(session, application, actor, clock)
    dossier = session.scalars(
        select(m.Dossier).where(
            m.Dossier.lead_applicant_id == lead.id,
            m.Dossier.direction_id == application.direction,
        )
    ).first()
    fields = {
        "platform_name": application.platform_name,
        "requested_level": application.level.value,
        "has_policy_list": application.has_policy_list,
    }
    outcome = "unchanged"
    if dossier is None:
        count = len(session.scalars(select(m.Dossier.id)).all())
        dossier = m.Dossier(
            code=f"SX-{application.direction:02d}-{count + 1:04d}",
            lead_applicant=lead,
            direction_id=application.direction,
            received_at=application.received_at or now,
            **fields,
        )
        session.add(dossier)
        session.flush()
        outcome = "created"
        audit.record(
            session,
            actor=actor,
            action="dossier.create",
            entity="dossier",
            entity_id=dossier.code,
            after={**fields, "direction": application.direction, "lead": lead.name},
            clock=clock,
        )
    else:
        before = {key: getattr(dossier, key) for key in fields}
        if before != fields:
            for key, value in fields.items():
                setattr(dossier, key, value)
            outcome = "updated"
            audit.record(
                session,
                actor=actor,
                action="dossier.update",
                entity="dossier",
                entity_id=dossier.code,
                before=before,
                after=fields,
                clock=clock,
            )
    partner_ids = {p.applicant_id for p in dossier.partners}
    for partner in application.partners:
        applicant = _partner_applicant(session, partner.name, partner.credit_code)
        if applicant.id not in partner_ids and applicant.id != lead.id:
            dossier.partners.append(m.DossierPartner(applicant=applicant, role="合作单位"))
            partner_ids.add(applicant.id)
            outcome = "updated" if outcome == "unchanged" else outcome
    added = 0
    current = {x.sha256: x for x in dossier.materials if x.is_current}
    for path in paths:
        sha, size = stored[path]
        if sha in current:
            continue
        report = reports.get(sha) or _known_report(session, sha)
        same_name = [x for x in dossier.materials if x.filename == path.name]
        version = max((x.version for x in same_name), default=0) + 1
        for old in same_name:
            old.is_current = False  # a new file under the same name is a supplement
        dossier.materials.append(
            m.Material(
                filename=path.name,
                sha256=sha,
                size=size,
                page_count=report.pages,
                version=version,
                is_current=True,
                received_at=application.received_at or now,
                found_items=report.items,
                text_status=report.status,
                problem=report.message,
                # Relative to the files folder: where it came from within the delivery.
                source_path=str(path.relative_to(files_dir))
                if files_dir is not None and path.is_relative_to(files_dir)
                else str(path),
            )
        )
        added += 1
        outcome = "updated" if outcome == "unchanged" else outcome
        audit.record(
            session,
            actor=actor,
            action="material.add",
            entity="material",
            entity_id=sha,
            after={
                "dossier": dossier.code,
                "file": path.name,
                "version": version,
                "status": report.status,
            },
            clock=clock,
        )
    return outcome, added
