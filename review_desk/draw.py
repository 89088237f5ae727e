"""The random draw of experts (随机抽取) that anyone holding the project can verify.

A draw takes, for a direction (and/or some fields), ``experts`` experts and
``alternates`` alternates (备选) from the eligible experts of the pool: those available
for the round whose directions and fields match. Its seed is the SHA-256 of the
canonical JSON of its inputs: the pool's snapshot (the eligible experts' ids and
fields), the project's conflict rules, the draw's parameters and a public value the
supervisor enters at the draw (dice thrown in the room, a figure published on an agreed
day). The inputs' hashes and the seed are committed in the audit log (``draw.commit``)
before the result is computed and stored (``draw.result``).

The result follows from the inputs alone: the eligible experts ordered by
SHA-256(seed || id), the first ``experts`` drawn, the next ``alternates`` in reserve. A
drawn expert who refuses is replaced by the first alternate not yet called
(``draw.refuse``). :func:`verify` recomputes every draw from its stored record and
compares it with its audit entries, naming what differs.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from review_desk import audit
from review_desk.audit import Clock, utc_now
from review_desk.conflicts import rules_in
from review_desk.errors import UserError
from review_desk.i18n import _, tr
from review_desk.intake.text_normalize import fold
from review_desk.panels import PanelError, create_panel_in, set_members_in
from review_desk.project import Project
from review_desk.storage import models as m

ENTITY = "expert_draw"


class DrawError(UserError):
    """A draw that cannot be made or changed so; the message is for the user."""


def canonical(value: Any) -> str:
    """The canonical JSON text of ``value`` (sorted keys, no spaces, UTF-8 as is)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def sha256(text: str) -> str:
    """The SHA-256 of ``text`` in UTF-8, in hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def input_hashes(
    pool: list[dict[str, Any]], rules: list[dict[str, Any]], params: dict[str, Any], public: str
) -> dict[str, str]:
    """The hash of each input and the seed, the hash of all of them together."""
    return {
        "pool": sha256(canonical(pool)),
        "rules": sha256(canonical(rules)),
        "params": sha256(canonical(params)),
        "public_value": sha256(public),
        "seed": sha256(
            canonical({"pool": pool, "rules": rules, "params": params, "public_value": public})
        ),
    }


def drawn_order(seed: str, ids: list[int]) -> list[int]:
    """The experts in drawn order: by SHA-256(seed bytes || the id in decimal)."""
    key = bytes.fromhex(seed)
    return sorted(ids, key=lambda i: (hashlib.sha256(key + str(i).encode()).hexdigest(), i))


def compute(
    seed: str, pool: list[dict[str, Any]], params: dict[str, Any]
) -> tuple[list[int], list[int]]:
    """The drawn experts and the alternates, in drawn order."""
    order = drawn_order(seed, [int(p["id"]) for p in pool])
    count, spare = int(params["experts"]), int(params["alternates"])
    return order[:count], order[count : count + spare]


def _matches(expert: m.Expert, params: dict[str, Any]) -> bool:
    """Whether an expert is eligible for a draw with these parameters."""
    if expert.availability and params["round"] not in expert.availability:
        return False
    if params["direction"] is not None and params["direction"] not in expert.directions:
        return False
    wanted = {fold(f) for f in params["fields"]}
    if wanted:
        has = {fold(x) for x in [*expert.majors, expert.field] if x}
        if not wanted & has:
            return False
    return True


def snapshot(session: Session, params: dict[str, Any]) -> list[dict[str, Any]]:
    """The eligible experts' ids and fields, by id: the pool the draw is made from."""
    return [
        {
            "id": e.id,
            "directions": sorted(e.directions),
            "majors": list(e.majors),
            "field": e.field,
        }
        for e in session.scalars(select(m.Expert).order_by(m.Expert.id))
        if _matches(e, params)
    ]


@dataclass(frozen=True)
class DrawResult:
    """A draw as stored: its inputs, hashes, result and refusals."""

    id: int
    drawn_at: str
    actor: str
    params: dict[str, Any]
    public_value: str
    hashes: dict[str, str]
    pool_size: int
    selected: list[int]
    alternates: list[int]
    refusals: list[dict[str, Any]]
    members: list[int]

    def as_dict(self) -> dict[str, Any]:
        """Return the draw as plain JSON-ready data."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def members_of(selected: list[int], refusals: list[dict[str, Any]]) -> list[int]:
    """The panel after the refusals: each refusing expert's place taken by the
    replacement (or left empty when the alternates had run out)."""
    members = list(selected)
    for refusal in refusals:
        if refusal["expert"] in members:
            index = members.index(refusal["expert"])
            if refusal["replacement"] is None:
                del members[index]
            else:
                members[index] = refusal["replacement"]
    return members


def _result(row: m.ExpertDraw) -> DrawResult:
    return DrawResult(
        id=row.id,
        drawn_at=row.drawn_at.isoformat(timespec="seconds"),
        actor=row.actor,
        params=dict(row.params),
        public_value=row.public_value,
        hashes=dict(row.hashes),
        pool_size=len(row.pool),
        selected=list(row.selected),
        alternates=list(row.alternates),
        refusals=list(row.refusals),
        members=members_of(list(row.selected), list(row.refusals)),
    )


def run_draw(
    project: Project,
    *,
    public_value: str,
    experts: int,
    alternates: int = 0,
    direction: int | None = None,
    fields: list[str] | None = None,
    label: str = "",
    panel: str | None = None,
    actor: str = "agency",
    clock: Clock = utc_now,
) -> DrawResult:
    """Make a draw: commit its inputs in the audit log, then compute and store it. With
    ``panel``, the drawn experts become that panel's members (the panel is created for
    the draw's direction when none has that name), and its name is one of the draw's
    parameters."""
    public = public_value.strip()
    panel_name = panel.strip() if panel is not None else None
    if panel is not None and not panel_name:
        raise DrawError(_("Give the panel a name."))
    if not public:
        raise DrawError(_("Enter the public value the supervisor chose for this draw."))
    if experts < 1 or alternates < 0:
        raise DrawError(_("Draw at least one expert, and no negative number of alternates."))
    wanted = [f.strip() for f in fields or [] if f.strip()]
    if direction is None and not wanted:
        raise DrawError(_("Say which direction or which fields the experts are drawn for."))
    with project.writing(key="draw") as session:
        if direction is not None and session.get(m.Direction, direction) is None:
            raise DrawError(tr("No industry direction numbered {id}.", id=direction))
        info = session.scalars(select(m.ReviewProject)).one()
        params: dict[str, Any] = {
            "direction": direction,
            "fields": wanted,
            "experts": experts,
            "alternates": alternates,
            "round": info.round_name.strip() or info.name,
            "label": label.strip(),
        }
        if panel_name is not None:
            # Only then: the parameters (and so the hashes) of a draw without a panel are
            # what they always were, and older draws verify as they are.
            params["panel"] = panel_name
            _check_panel(session, panel_name, direction)
        pool = snapshot(session, params)
        if len(pool) < experts + alternates:
            raise DrawError(
                tr(
                    "Only {count} experts of the pool are eligible; {wanted} are needed "
                    "({experts} and {alternates} alternates).",
                    count=len(pool),
                    wanted=experts + alternates,
                    experts=experts,
                    alternates=alternates,
                )
            )
        rules = [r.as_dict() for r in rules_in(session)]
        hashes = input_hashes(pool, rules, params, public)
        row = m.ExpertDraw(
            drawn_at=clock(),
            actor=actor,
            params=params,
            pool=pool,
            rules=rules,
            public_value=public,
            hashes=hashes,
            seed=hashes["seed"],
            selected=[],
            alternates=[],
            refusals=[],
        )
        session.add(row)
        session.flush()
        committed = audit.record(
            session,
            actor=actor,
            action="draw.commit",
            entity=ENTITY,
            entity_id=row.id,
            after={"params": params, "public_value": public, "hashes": hashes},
            clock=clock,
        )
        row.actor = committed.actor
        # Only now, with the inputs committed, is the result computed.
        row.selected, row.alternates = compute(hashes["seed"], pool, params)
        audit.record(
            session,
            actor=actor,
            action="draw.result",
            entity=ENTITY,
            entity_id=row.id,
            after={"selected": row.selected, "alternates": row.alternates},
            clock=clock,
        )
        session.flush()
        if panel_name is not None:
            _fill_panel(session, panel_name, direction, row.selected, actor=actor, clock=clock)
        return _result(row)


def _check_panel(session: Session, name: str, direction: int | None) -> None:
    """Refuse a draw for a panel that would have to be created without a direction."""
    exists = session.scalar(select(m.Panel.id).where(m.Panel.name == name))
    if exists is None and direction is None:
        raise DrawError(
            tr("A new panel {name} needs the draw's direction (--direction).", name=name)
        )


def _fill_panel(
    session: Session,
    name: str,
    direction: int | None,
    members: list[int],
    *,
    actor: str,
    clock: Clock,
) -> None:
    """Make ``members`` the members of the panel named ``name``, created (for the
    direction, its first member leading) when there is none."""
    panel_id = session.scalar(select(m.Panel.id).where(m.Panel.name == name))
    try:
        if panel_id is None:
            assert direction is not None  # _check_panel refused it
            create_panel_in(
                session, name, members[0], members, [direction], actor=actor, clock=clock
            )
        else:
            set_members_in(session, int(panel_id), members, actor=actor, clock=clock)
    except PanelError as error:
        raise DrawError(str(error)) from error


def refuse(
    project: Project,
    draw_id: int,
    expert_id: int,
    reason: str,
    *,
    actor: str = "agency",
    clock: Clock = utc_now,
) -> dict[str, Any]:
    """Record a drawn expert's refusal; the first alternate not yet called takes the
    place (none when all are called). Return the refusal as recorded."""
    if len(reason.strip()) < 2:
        raise DrawError(_("Write why the expert refuses."))
    with project.writing(key="draw") as session:
        row = session.get(m.ExpertDraw, draw_id)
        if row is None:
            raise DrawError(tr("No draw {id}.", id=draw_id))
        members = members_of(list(row.selected), list(row.refusals))
        if expert_id not in members:
            raise DrawError(
                tr("Expert {expert} is not on draw {id}'s panel.", expert=expert_id, id=draw_id)
            )
        called = {r["replacement"] for r in row.refusals}
        left = [a for a in row.alternates if a not in called]
        refusal = {
            "expert": expert_id,
            "reason": reason.strip(),
            "replacement": left[0] if left else None,
        }
        row.refusals = [*row.refusals, refusal]
        if row.params.get("panel") is not None:
            _refuse_on_panel(session, str(row.params["panel"]), refusal, actor=actor, clock=clock)
        audit.record(
            session,
            actor=actor,
            action="draw.refuse",
            entity=ENTITY,
            entity_id=draw_id,
            after=refusal,
            clock=clock,
        )
        return refusal


def _refuse_on_panel(
    session: Session, name: str, refusal: dict[str, Any], *, actor: str, clock: Clock
) -> None:
    """On the draw's panel, the replacement takes the refusing expert's place, as leader
    too when they led (the place is left empty when no alternate is left). A panel
    renamed since, or no longer holding the refusing expert, is left alone."""
    panel = session.scalars(select(m.Panel).where(m.Panel.name == name)).first()
    refusing, replacement = refusal["expert"], refusal["replacement"]
    if panel is None or refusing not in (members := [p.expert_id for p in panel.members]):
        return
    at = members.index(refusing)
    members[at : at + 1] = [] if replacement is None else [replacement]
    leader = replacement if panel.leader_id == refusing else None
    try:
        set_members_in(session, panel.id, members, leader_id=leader, actor=actor, clock=clock)
    except PanelError as error:
        raise DrawError(str(error)) from error


def draws(project: Project) -> list[DrawResult]:
    """Every draw, by id."""
    with project.reading() as session:
        return [_result(r) for r in session.scalars(select(m.ExpertDraw).order_by(m.ExpertDraw.id))]


def draw(project: Project, draw_id: int) -> DrawResult:
    """One draw."""
    with project.reading() as session:
        row = session.get(m.ExpertDraw, draw_id)
        if row is None:
            raise DrawError(tr("No draw {id}.", id=draw_id))
        return _result(row)


@dataclass
class DrawCheck:
    """The outcome of recomputing one draw."""

    id: int
    problems: list[str] = field(default_factory=list)

    @property
    def matches(self) -> bool:
        """True when the record, its recomputation and its audit entries agree."""
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        """Return the check as plain JSON-ready data."""
        return {"draw": self.id, "matches": self.matches, "problems": self.problems}


def _input_name(key: str) -> str:
    names = {
        "pool": _("the pool snapshot"),
        "rules": _("the conflict rules"),
        "params": _("the draw's parameters"),
        "public_value": _("the public value"),
        "seed": _("the seed"),
    }
    return names[key]


def _check(row: m.ExpertDraw, entries: list[m.AuditLog]) -> DrawCheck:
    check = DrawCheck(row.id)
    problems = check.problems
    hashes = input_hashes(list(row.pool), list(row.rules), dict(row.params), row.public_value)
    commits = [e for e in entries if e.action == "draw.commit"]
    results = [e for e in entries if e.action == "draw.result"]
    refusals = [e for e in entries if e.action == "draw.refuse"]
    if len(commits) != 1 or len(results) != 1 or commits[0].id > results[0].id:
        problems.append(_("its inputs and result are not committed in the audit log in order"))
    committed = dict((commits[0].after or {}).get("hashes", {})) if commits else {}
    for key, value in hashes.items():
        if committed and committed.get(key) != value:
            problems.append(
                tr(
                    "{input} differs from the one committed in the audit log (entry {entry})",
                    input=_input_name(key),
                    entry=commits[0].id,
                )
            )
        elif dict(row.hashes).get(key) != value:
            problems.append(tr("the stored hash of {input} is wrong", input=_input_name(key)))
    if row.seed != hashes["seed"]:
        problems.append(_("the stored seed is not the hash of the stored inputs"))
    selected, alternates = compute(hashes["seed"], list(row.pool), dict(row.params))
    if (list(row.selected), list(row.alternates)) != (selected, alternates):
        problems.append(_("the stored result is not the result its inputs give"))
    if results and (results[0].after or {}) != {"selected": selected, "alternates": alternates}:
        problems.append(
            tr(
                "the result committed in the audit log (entry {entry}) is not the result "
                "its inputs give",
                entry=results[0].id,
            )
        )
    replayed: list[dict[str, Any]] = []
    for refusal in row.refusals:
        members = members_of(selected, replayed)
        called = {r["replacement"] for r in replayed}
        left = [a for a in alternates if a not in called]
        expected = {
            "expert": refusal.get("expert"),
            "reason": refusal.get("reason"),
            "replacement": left[0] if left else None,
        }
        if refusal.get("expert") not in members or refusal != expected:
            problems.append(
                tr(
                    "refusal of expert {expert} is not filled in drawn order",
                    expert=refusal.get("expert"),
                )
            )
        replayed.append(expected)
    if [e.after for e in refusals] != list(row.refusals):
        problems.append(_("the refusals differ from those recorded in the audit log"))
    return check


def check_draw(project: Project, draw_id: int) -> DrawCheck:
    """Recompute one draw from its record and compare it with its audit entries."""
    with project.reading() as session:
        row = session.get(m.ExpertDraw, draw_id)
        if row is None:
            raise DrawError(tr("No draw {id}.", id=draw_id))
        entries = session.scalars(
            select(m.AuditLog)
            .where(m.AuditLog.entity == ENTITY, m.AuditLog.entity_id == str(draw_id))
            .order_by(m.AuditLog.id)
        ).all()
        return _check(row, list(entries))


def verify(project: Project) -> tuple[list[DrawCheck], audit.ChainReport]:
    """Recompute every draw from its record and compare it with its audit entries; the
    audit chain's own check, which the entries rely on, comes with it."""
    with project.reading() as session:
        entries: dict[str, list[m.AuditLog]] = {}
        for entry in session.scalars(
            select(m.AuditLog).where(m.AuditLog.entity == ENTITY).order_by(m.AuditLog.id)
        ):
            entries.setdefault(entry.entity_id, []).append(entry)
        checks = [
            _check(row, entries.get(str(row.id), []))
            for row in session.scalars(select(m.ExpertDraw).order_by(m.ExpertDraw.id))
        ]
        drawn = {str(c.id) for c in checks}
        for missing in sorted(set(entries) - drawn, key=lambda k: int(k) if k.isdigit() else 0):
            checks.append(
                DrawCheck(
                    int(missing) if missing.isdigit() else 0, [_("the draw's record is missing")]
                )
            )
        return checks, audit.verify_chain(session)
