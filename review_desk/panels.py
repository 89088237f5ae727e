"""Experts, panels and assignments: the roster imported from Excel, panels with a
leader covering directions, bulk assignment of a panel's dossiers to its members with
each expert's load, and recusals (回避) declared or detected by the conflict rules."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from review_desk import audit
from review_desk.audit import Clock, utc_now
from review_desk.errors import UserError
from review_desk.i18n import _, tr
from review_desk.pool import ROSTER_HEADERS, RosterImport, RosterIssue
from review_desk.pool import import_pool as import_roster
from review_desk.project import Project
from review_desk.storage import models as m

__all__ = ["ROSTER_HEADERS", "RosterImport", "RosterIssue", "import_roster"]


class PanelError(UserError):
    """An action on experts or panels that cannot be done; the message is for the user."""


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
    with project.transaction() as session:
        return create_panel_in(
            session, name, leader_id, member_ids, direction_ids, actor=actor, clock=clock
        )


def create_panel_in(
    session: Session,
    name: str,
    leader_id: int,
    member_ids: list[int],
    direction_ids: list[int],
    *,
    actor: str = "agency",
    clock: Clock = utc_now,
) -> int:
    """:func:`create_panel` inside the caller's transaction (a draw for a panel)."""
    if not name.strip():
        raise PanelError(_("Give the panel a name."))
    if leader_id not in member_ids:
        raise PanelError(_("The leader must be one of the members."))
    if not direction_ids:
        raise PanelError(_("A panel covers at least one direction."))
    if session.scalar(select(m.Panel.id).where(m.Panel.name == name.strip())) is not None:
        raise PanelError(tr("A panel named {name} exists already.", name=name.strip()))
    _check_experts(session, member_ids)
    known = set(session.scalars(select(m.Direction.id).where(m.Direction.id.in_(direction_ids))))
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


def _check_experts(session: Session, expert_ids: list[int]) -> None:
    known = set(session.scalars(select(m.Expert.id).where(m.Expert.id.in_(expert_ids))))
    unknown = [str(e) for e in dict.fromkeys(expert_ids) if e not in known]
    if unknown:
        raise PanelError(tr("No expert with id {ids}.", ids=", ".join(unknown)))


def set_members_in(
    session: Session,
    panel_id: int,
    member_ids: list[int],
    *,
    leader_id: int | None = None,
    actor: str = "agency",
    clock: Clock = utc_now,
) -> None:
    """Make ``member_ids`` the panel's members, in the caller's transaction, audited
    (``panel.members``); ``leader_id`` leads when given, else the leader stays when
    still a member, else the first member leads."""
    panel = session.get(m.Panel, panel_id)
    if panel is None:
        raise PanelError(tr("No panel with id {id}.", id=panel_id))
    _check_experts(session, member_ids)
    before = {"leader": panel.leader_id, "members": [p.expert_id for p in panel.members]}
    wanted = list(dict.fromkeys(member_ids))
    panel.members = [p for p in panel.members if p.expert_id in wanted]
    present = {p.expert_id for p in panel.members}
    panel.members += [m.PanelMember(expert_id=e) for e in wanted if e not in present]
    if leader_id is not None:
        if leader_id not in wanted:
            raise PanelError(_("The leader must be one of the members."))
        panel.leader_id = leader_id
    elif panel.leader_id not in wanted:
        panel.leader_id = wanted[0] if wanted else None
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="panel.members",
        entity="panel",
        entity_id=panel.id,
        before=before,
        after={"leader": panel.leader_id, "members": wanted},
        clock=clock,
    )


def find_panel(project: Project, key: str) -> int:
    """The id of the panel named ``key``, or whose id ``key`` is."""
    with project.reading() as session:
        found = session.scalar(select(m.Panel.id).where(m.Panel.name == key.strip()))
        if found is None and key.strip().isdigit():
            found = session.scalar(select(m.Panel.id).where(m.Panel.id == int(key)))
    if found is None:
        raise PanelError(tr("No panel named {name}.", name=key))
    return int(found)


def detect_conflicts(project: Project, *, actor: str = "agency", clock: Clock = utc_now) -> int:
    """Record a recusal wherever the project's conflict rules catch an expert–dossier
    pair (review_desk.conflicts), dropping that assignment; return how many pairs."""
    from review_desk.conflicts import record_conflicts

    found = record_conflicts(project, actor=actor, clock=clock)
    return len({(c.expert_id, c.dossier_id) for c in found})


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
