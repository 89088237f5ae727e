"""Objections (异议) received during the publicity period: recorded by the agency with
the objector (or as anonymous, as received), the dossier, the grounds, the day received
and evidence files; investigated (assignee, findings, more evidence); decided by the
committee, upheld or dismissed, with a written reason. An upheld objection revises the
list through :func:`review_desk.list_versions.revise_for_objection`. Each step is
audited; a decided objection no longer changes.

Evidence files are kept in the project's file store under their SHA-256, as a dossier's
materials are; they are stored as received (never parsed), up to
:data:`MAX_EVIDENCE_MB` each; an empty file is refused (it is no evidence).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from review_desk import audit
from review_desk.audit import Clock, utc_now
from review_desk.errors import file_refusal
from review_desk.i18n import _, tr
from review_desk.project import Project
from review_desk.publicity import (
    OUTCOMES,
    PENDING,
    PublicityError,
    latest_list,
    open_period_in,
    today,
)
from review_desk.storage import models as m

MAX_EVIDENCE_MB = 200
MIN_REASON = 2


def _store_evidence(project: Project, files: Sequence[Path]) -> list[tuple[str, str, int]]:
    """Store each evidence file (a regular file of at most :data:`MAX_EVIDENCE_MB`);
    return (name, sha256, size) of each."""
    stored = []
    for file in files:
        refusal = file_refusal(file)
        if refusal is not None:
            raise PublicityError(refusal)
        size = file.stat().st_size
        if size == 0:
            raise PublicityError(
                tr("{path} is an empty file (0 bytes): it is no evidence.", path=file)
            )
        if size > MAX_EVIDENCE_MB << 20:
            raise PublicityError(
                tr(
                    "{name} is larger than {limit} MB: it cannot be kept as evidence.",
                    name=file.name,
                    limit=MAX_EVIDENCE_MB,
                )
            )
    for file in files:
        sha, size = project.files.put_file(file)
        stored.append((file.name, sha, size))
    return stored


def _add_evidence(
    session: Session,
    objection_id: int,
    stored: list[tuple[str, str, int]],
    actor: str,
    clock: Clock,
) -> list[dict[str, Any]]:
    """Add the stored files to the objection; return them as audit data."""
    for name, sha, size in stored:
        session.add(
            m.ObjectionEvidence(
                objection_id=objection_id,
                name=name,
                sha256=sha,
                size=size,
                added_at=clock(),
                added_by=actor,
            )
        )
    return [{"name": name, "sha256": sha, "size": size} for name, sha, size in stored]


def _objection(session: Session, objection_id: int) -> m.Objection:
    """The objection with this id, or a :class:`PublicityError`."""
    found = session.get(m.Objection, objection_id)
    if found is None:
        raise PublicityError(tr("No objection No. {id}.", id=objection_id))
    return found


def add_objection(
    project: Project,
    *,
    dossier_id: int,
    grounds: str,
    objector: str = "",
    anonymous: bool = False,
    contact: str = "",
    received_on: date | None = None,
    evidence: Sequence[Path] = (),
    actor: str = "agency",
    clock: Clock = utc_now,
) -> int:
    """Record an objection received during the open publicity period; return its id."""
    if len(grounds.strip()) < MIN_REASON:
        raise PublicityError(_("Write the grounds of the objection."))
    if not anonymous and not objector.strip():
        raise PublicityError(_("Name the objector, or record the objection as anonymous."))
    received = received_on or today(clock)
    if received > today(clock):
        raise PublicityError(_("The day received cannot be in the future."))
    stored = _store_evidence(project, evidence)
    with project.writing(key="audit") as session:
        period = open_period_in(session)
        if period.closed_at is not None:
            raise PublicityError(_("The publicity period is closed: no objection is recorded."))
        if session.get(m.Dossier, dossier_id) is None:
            raise PublicityError(tr("No dossier with id {id}.", id=dossier_id))
        objection = m.Objection(
            period_id=period.id,
            received_on=received,
            objector="" if anonymous else objector.strip(),
            anonymous=anonymous,
            contact=contact.strip(),
            dossier_id=dossier_id,
            grounds=grounds.strip(),
            status="open",
            assignee="",
            findings="",
            decision_reason="",
            recorded_at=clock(),
            recorded_by=actor,
        )
        session.add(objection)
        session.flush()
        files = _add_evidence(session, objection.id, stored, actor, clock)
        audit.record(
            session,
            actor=actor,
            action="objection.add",
            entity="objection",
            entity_id=objection.id,
            after={
                "dossier": dossier_id,
                "received_on": received.isoformat(),
                "anonymous": anonymous,
                "objector": objection.objector,
                "grounds": objection.grounds,
                "evidence": files,
            },
            clock=clock,
        )
        return int(objection.id)


def investigate(
    project: Project,
    objection_id: int,
    *,
    assignee: str,
    findings: str = "",
    evidence: Sequence[Path] = (),
    actor: str = "agency",
    clock: Clock = utc_now,
) -> None:
    """Assign an objection for investigation and record the findings so far (and more
    evidence); the objection is then under investigation."""
    if not assignee.strip():
        raise PublicityError(_("Name who investigates the objection."))
    stored = _store_evidence(project, evidence)
    with project.writing(key="audit") as session:
        objection = _objection(session, objection_id)
        if objection.status not in PENDING:
            raise PublicityError(_("The objection has been decided: it no longer changes."))
        before = {
            "status": objection.status,
            "assignee": objection.assignee,
            "findings": objection.findings,
        }
        objection.status = "investigating"
        objection.assignee = assignee.strip()
        if findings.strip():
            objection.findings = findings.strip()
        files = _add_evidence(session, objection.id, stored, actor, clock)
        audit.record(
            session,
            actor=actor,
            action="objection.investigate",
            entity="objection",
            entity_id=objection.id,
            before=before,
            after={
                "status": objection.status,
                "assignee": objection.assignee,
                "findings": objection.findings,
                "evidence": files,
            },
            clock=clock,
        )


def decide(
    project: Project,
    objection_id: int,
    outcome: str,
    reason: str,
    *,
    actor: str = "committee",
    clock: Clock = utc_now,
) -> None:
    """The committee's decision on an objection: upheld or dismissed, with a written
    reason. An upheld objection then revises the list (see
    :func:`review_desk.list_versions.revise_for_objection`)."""
    if outcome not in OUTCOMES:
        raise PublicityError(_("Choose upheld or dismissed."))
    if len(reason.strip()) < MIN_REASON:
        raise PublicityError(_("The committee's decision needs a written reason."))
    with project.writing(key="audit") as session:
        objection = _objection(session, objection_id)
        if objection.status not in PENDING:
            raise PublicityError(_("The objection has been decided: it no longer changes."))
        before = objection.status
        objection.status = outcome
        objection.decision_reason = reason.strip()
        objection.decided_at, objection.decided_by = clock(), actor
        audit.record(
            session,
            actor=actor,
            action="objection.decide",
            entity="objection",
            entity_id=objection.id,
            before={"status": before},
            after={"status": outcome, "reason": objection.decision_reason},
            clock=clock,
        )


def status_label(status: str) -> str:
    """An objection's status as users read it."""
    return {
        "open": _("received"),
        "investigating": _("under investigation"),
        "upheld": _("upheld"),
        "dismissed": _("dismissed"),
    }.get(status, status)


@dataclass(frozen=True)
class ObjectionRow:
    """An objection as the list and the page show it."""

    id: int
    code: str
    received_on: date
    objector: str
    anonymous: bool
    contact: str
    grounds: str
    status: str
    assignee: str
    findings: str
    decision_reason: str
    decided_by: str | None
    resulting_version: int | None
    evidence: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        """As JSON data (``objection list --json``)."""
        data = dict(self.__dict__)
        data["received_on"] = self.received_on.isoformat()
        return data


def list_objections(project: Project) -> list[ObjectionRow]:
    """Every objection of every period, oldest first."""
    with project.reading() as session:
        evidence: dict[int, list[dict[str, Any]]] = {}
        for ev in session.scalars(select(m.ObjectionEvidence).order_by(m.ObjectionEvidence.id)):
            evidence.setdefault(ev.objection_id, []).append(
                {"name": ev.name, "sha256": ev.sha256, "size": ev.size}
            )
        versions = dict(session.execute(select(m.FinalList.id, m.FinalList.version)).all())
        rows = session.execute(
            select(m.Objection, m.Dossier.code)
            .join(m.Dossier, m.Dossier.id == m.Objection.dossier_id)
            .order_by(m.Objection.id)
        ).all()
        return [
            ObjectionRow(
                id=o.id,
                code=code,
                received_on=o.received_on,
                objector=o.objector,
                anonymous=o.anonymous,
                contact=o.contact,
                grounds=o.grounds,
                status=o.status,
                assignee=o.assignee,
                findings=o.findings,
                decision_reason=o.decision_reason,
                decided_by=o.decided_by,
                resulting_version=versions.get(o.resulting_list_id)
                if o.resulting_list_id
                else None,
                evidence=evidence.get(o.id, []),
            )
            for o, code in rows
        ]


def dossier_choices(project: Project) -> list[tuple[int, str]]:
    """Every dossier an objection may be about, as (id, "code platform name"): those on
    the list in force first (objections are mostly about them), each group by code."""
    with project.reading() as session:
        final = latest_list(session)
        listed = {str(r.get("code")) for r in final.rows} if final is not None else set()
        rows = session.execute(
            select(m.Dossier.id, m.Dossier.code, m.Dossier.platform_name).order_by(m.Dossier.code)
        ).all()
    ordered = sorted(rows, key=lambda r: (r.code not in listed, r.code))
    return [(int(r.id), f"{r.code} {r.platform_name}") for r in ordered]
