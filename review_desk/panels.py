"""Experts, panels and assignments: the roster imported from Excel, panels with a
leader covering directions, bulk assignment of a panel's dossiers to its members with
each expert's load, and recusals (回避) declared or detected from organisations."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from review_desk import audit
from review_desk.audit import Clock, utc_now
from review_desk.errors import UserError
from review_desk.i18n import _, tr
from review_desk.intake.bounded_read import FileRefused, first_sheet_rows, run_limited
from review_desk.intake.register_reader import RegisterReadError, cell_text
from review_desk.intake.text_normalize import fold
from review_desk.project import Project
from review_desk.storage import models as m

ROSTER_HEADERS = {
    "name": ("姓名", "专家姓名", "名字"),
    "organisation": ("工作单位", "单位", "所在单位"),
    "field": ("专业领域", "研究领域", "领域", "专业"),
    "phone": ("电话", "联系电话", "手机", "手机号"),
    "email": ("邮箱", "电子邮箱", "email", "e-mail"),
}
_PHONE = re.compile(r"^\+?[\d\- ()]{7,20}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class PanelError(UserError):
    """An action on experts or panels that cannot be done; the message is for the user."""


@dataclass(frozen=True)
class RosterIssue:
    """A problem in one row of a roster."""

    row: int
    column: str
    value: str
    problem: str

    def as_dict(self) -> dict[str, Any]:
        """Return the issue as plain JSON-ready data."""
        return {
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "problem": self.problem,
        }


@dataclass
class RosterImport:
    """What importing a roster did."""

    issues: list[RosterIssue] = field(default_factory=list)
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    stored: bool = False


def _roster_rows(path: Path) -> list[list[Any]]:
    """Read a roster in a worker process limited in time and memory."""
    if not path.is_file():
        raise PanelError(tr("File not found: {path}", path=path))
    try:
        return run_limited(first_sheet_rows, path, file=path.name)
    except (FileRefused, RegisterReadError) as error:
        raise PanelError(str(error)) from error


def import_roster(
    project: Project, path: Path, *, actor: str = "agency", clock: Clock = utc_now
) -> RosterImport:
    """Import experts (name, organisation, field, phone, email); nothing is stored
    while any row has a problem. Experts are matched by name and organisation."""
    rows = _roster_rows(path)
    names = {fold(h).lower(): key for key, headers in ROSTER_HEADERS.items() for h in headers}
    header_index, columns = None, {}
    for index, row in enumerate(rows[:20]):
        found = {
            names[fold(str(v)).lower()]: c
            for c, v in enumerate(row)
            if v is not None and fold(str(v)).lower() in names
        }
        if "name" in found and "organisation" in found:
            header_index, columns = index, found
            break
    if header_index is None:
        raise PanelError(_("No header row with 姓名 and 工作单位 found in the roster."))
    result = RosterImport()
    people: list[dict[str, str]] = []
    seen: dict[tuple[str, str], int] = {}
    for number, row in enumerate(rows[header_index + 1 :], start=header_index + 2):
        values = {k: cell_text(row[c]) if c < len(row) else "" for k, c in columns.items()}
        if not any(values.values()):
            continue
        for key in ("name", "organisation"):
            if not values.get(key):
                result.issues.append(RosterIssue(number, ROSTER_HEADERS[key][0], "", _("empty")))
        phone, email = values.get("phone", ""), values.get("email", "")
        if phone and not _PHONE.match(fold(phone)):
            result.issues.append(RosterIssue(number, "电话", phone, _("not a phone number")))
        if email and not _EMAIL.match(email):
            result.issues.append(RosterIssue(number, "邮箱", email, _("not an e-mail address")))
        identity = (fold(values.get("name", "")), fold(values.get("organisation", "")))
        if identity in seen:
            result.issues.append(
                RosterIssue(
                    number,
                    "姓名",
                    values.get("name", ""),
                    tr("the same expert as row {row}", row=seen[identity]),
                )
            )
        seen[identity] = number
        people.append(values)
    if result.issues:
        return result
    with project.transaction() as session:
        existing = {
            (fold(e.name), fold(e.organisation)): e for e in session.scalars(select(m.Expert))
        }
        for values in people:
            fields = {
                "name": values["name"],
                "organisation": values["organisation"],
                "field": values.get("field", ""),
                "phone": values.get("phone", ""),
                "email": values.get("email", ""),
            }
            expert = existing.get((fold(values["name"]), fold(values["organisation"])))
            if expert is None:
                session.add(m.Expert(**fields))
                result.added += 1
            elif any(getattr(expert, k) != v for k, v in fields.items()):
                for k, v in fields.items():
                    setattr(expert, k, v)
                result.updated += 1
            else:
                result.unchanged += 1
        if result.added or result.updated:
            audit.record(
                session,
                actor=actor,
                action="roster.import",
                entity="expert",
                entity_id=path.name,
                after={"added": result.added, "updated": result.updated},
                clock=clock,
            )
    result.stored = True
    return result


def create_panel(
    project: Project,
    name: str,
    leader_id: int,
    member_ids: list[int],
    direction_ids: list[int],
    *,
    actor: str = "agency",
    clock: Clock = utc_now,
) -> int:
    """Create a panel with its leader (a member), members and directions."""
    if not name.strip():
        raise PanelError(_("Give the panel a name."))
    if leader_id not in member_ids:
        raise PanelError(_("The leader must be one of the members."))
    if not direction_ids:
        raise PanelError(_("A panel covers at least one direction."))
    with project.transaction() as session:
        if session.scalar(select(m.Panel.id).where(m.Panel.name == name.strip())) is not None:
            raise PanelError(tr("A panel named {name} exists already.", name=name.strip()))
        known = set(session.scalars(select(m.Expert.id).where(m.Expert.id.in_(member_ids))))
        unknown = [str(e) for e in dict.fromkeys(member_ids) if e not in known]
        if unknown:
            raise PanelError(tr("No expert with id {ids}.", ids=", ".join(unknown)))
        known = set(
            session.scalars(select(m.Direction.id).where(m.Direction.id.in_(direction_ids)))
        )
        unknown = [str(d) for d in dict.fromkeys(direction_ids) if d not in known]
        if unknown:
            raise PanelError(tr("No industry direction numbered {ids}.", ids=", ".join(unknown)))
        panel = m.Panel(name=name.strip(), leader_id=leader_id)
        panel.members = [m.PanelMember(expert_id=e) for e in dict.fromkeys(member_ids)]
        panel.directions = [m.PanelDirection(direction_id=d) for d in dict.fromkeys(direction_ids)]
        session.add(panel)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="panel.create",
            entity="panel",
            entity_id=panel.id,
            after={
                "name": panel.name,
                "leader": leader_id,
                "members": member_ids,
                "directions": direction_ids,
            },
            clock=clock,
        )
        return panel.id


def find_panel(project: Project, key: str) -> int:
    """The id of the panel named ``key``, or whose id ``key`` is."""
    with project.reading() as session:
        found = session.scalar(select(m.Panel.id).where(m.Panel.name == key.strip()))
        if found is None and key.strip().isdigit():
            found = session.scalar(select(m.Panel.id).where(m.Panel.id == int(key)))
    if found is None:
        raise PanelError(tr("No panel named {name}.", name=key))
    return int(found)


def _parties(dossier: m.Dossier) -> set[str]:
    return {fold(dossier.lead_applicant.name)} | {fold(p.applicant.name) for p in dossier.partners}


def detect_conflicts(project: Project, *, actor: str = "agency", clock: Clock = utc_now) -> int:
    """Record a recusal wherever an expert's organisation takes part in a dossier (lead
    applicant or partner), dropping that assignment; return how many were found."""
    found = 0
    with project.transaction() as session:
        experts = session.scalars(select(m.Expert)).all()
        dossiers = session.scalars(
            select(m.Dossier).options(
                selectinload(m.Dossier.lead_applicant),
                selectinload(m.Dossier.partners).selectinload(m.DossierPartner.applicant),
            )
        ).all()
        recused = {(r.expert_id, r.dossier_id) for r in session.scalars(select(m.Recusal))}
        for dossier in dossiers:
            parties = _parties(dossier)
            for expert in experts:
                if fold(expert.organisation) not in parties or (expert.id, dossier.id) in recused:
                    continue
                session.add(
                    m.Recusal(
                        expert_id=expert.id,
                        dossier_id=dossier.id,
                        reason=f"专家所在单位“{expert.organisation}”为该申报的参与主体。",
                        source="detected",
                        declared_at=clock(),
                    )
                )
                for a in session.scalars(
                    select(m.Assignment).where(
                        m.Assignment.expert_id == expert.id, m.Assignment.dossier_id == dossier.id
                    )
                ):
                    session.delete(a)
                found += 1
        if found:
            audit.record(
                session,
                actor=actor,
                action="recusal.detect",
                entity="recusal",
                after={"found": found},
                clock=clock,
            )
    return found


def declare_recusal(
    project: Project,
    expert_id: int,
    dossier_id: int,
    reason: str,
    *,
    source: str = "agency",
    actor: str = "agency",
    clock: Clock = utc_now,
) -> None:
    """Record a recusal declared by the expert or the agency, with its reason."""
    if len(reason.strip()) < 4:
        raise PanelError(_("Write the reason for the recusal."))
    if source not in ("expert", "agency"):
        raise PanelError(_("A recusal is declared by the expert or the agency."))
    with project.transaction() as session:
        if session.get(m.Expert, expert_id) is None or session.get(m.Dossier, dossier_id) is None:
            raise PanelError(_("No such expert or dossier."))
        exists = session.scalar(
            select(m.Recusal.id).where(
                m.Recusal.expert_id == expert_id, m.Recusal.dossier_id == dossier_id
            )
        )
        if exists is not None:
            raise PanelError(_("The expert has already recused from this dossier."))
        session.add(
            m.Recusal(
                expert_id=expert_id,
                dossier_id=dossier_id,
                reason=reason.strip(),
                source=source,
                declared_at=clock(),
            )
        )
        for a in session.scalars(
            select(m.Assignment).where(
                m.Assignment.expert_id == expert_id, m.Assignment.dossier_id == dossier_id
            )
        ):
            session.delete(a)
        audit.record(
            session,
            actor=actor,
            action="recusal.declare",
            entity="recusal",
            entity_id=f"{expert_id}/{dossier_id}",
            after={"reason": reason.strip(), "source": source},
            clock=clock,
        )


def assign_panel(
    project: Project, panel_id: int, *, actor: str = "agency", clock: Clock = utc_now
) -> int:
    """Assign every dossier of the panel's directions to every member (recusals left
    out, existing assignments kept); return how many assignments were added."""
    detect_conflicts(project, actor=actor, clock=clock)
    added = 0
    with project.transaction() as session:
        panel = session.get(m.Panel, panel_id)
        if panel is None:
            raise PanelError(tr("No panel with id {id}.", id=panel_id))
        directions = [d.direction_id for d in panel.directions]
        dossiers = session.scalars(
            select(m.Dossier.id).where(m.Dossier.direction_id.in_(directions))
        ).all()
        existing = {(a.expert_id, a.dossier_id) for a in session.scalars(select(m.Assignment))}
        recused = {(r.expert_id, r.dossier_id) for r in session.scalars(select(m.Recusal))}
        for member in panel.members:
            for dossier_id in dossiers:
                key = (member.expert_id, dossier_id)
                if key in existing or key in recused:
                    continue
                session.add(
                    m.Assignment(
                        expert_id=member.expert_id, dossier_id=dossier_id, panel_id=panel.id
                    )
                )
                added += 1
        audit.record(
            session,
            actor=actor,
            action="panel.assign",
            entity="panel",
            entity_id=panel_id,
            after={"added": added},
            clock=clock,
        )
    return added


def unassign(
    project: Project,
    expert_id: int,
    dossier_id: int,
    *,
    actor: str = "agency",
    clock: Clock = utc_now,
) -> None:
    """Remove an assignment that has no scores yet."""
    with project.transaction() as session:
        sheet = session.scalar(
            select(m.ScoreSheet.id).where(
                m.ScoreSheet.expert_id == expert_id, m.ScoreSheet.dossier_id == dossier_id
            )
        )
        if sheet is not None:
            raise PanelError(_("The expert has started scoring this dossier; reassign it instead."))
        rows = session.scalars(
            select(m.Assignment).where(
                m.Assignment.expert_id == expert_id, m.Assignment.dossier_id == dossier_id
            )
        ).all()
        if not rows:
            raise PanelError(_("No such assignment."))
        for row in rows:
            session.delete(row)
        audit.record(
            session,
            actor=actor,
            action="assignment.remove",
            entity="assignment",
            entity_id=f"{expert_id}/{dossier_id}",
            clock=clock,
        )
