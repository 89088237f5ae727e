"""``review-desk experts|panels|recuse``: the agency's setup headless (专家与分组): the
expert roster imported and listed with ids and loads, panels formed and assigned to
their directions' dossiers, recusals (回避) recorded."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any

from review_desk.cli import pool_cmd
from review_desk.cli.common import CommandError, open_project, print_json
from review_desk.i18n import _, tr


def _ids(text: str) -> list[int]:
    """An argparse type: numbers separated by commas (``1,3`` or ``1，3``)."""
    parts = [p.strip() for p in text.replace("，", ",").split(",") if p.strip()]
    if not parts or not all(p.isdigit() for p in parts):
        raise argparse.ArgumentTypeError(
            tr("{value} is not a list of numbers separated by commas", value=text)
        )
    return [int(p) for p in parts]


def register(commands: Any) -> None:
    """Add the subcommands to the parser."""
    experts = commands.add_parser("experts", help=_("the expert pool (专家库)"))
    actions = experts.add_subparsers(dest="action", metavar=_("ACTION"), required=True)
    imports = actions.add_parser(
        "import", help=_("import experts into the pool (.xlsx or .csv; see experts template)")
    )
    imports.add_argument("project", help=_("project file"))
    imports.add_argument("roster", help=_("the roster file"))
    imports.add_argument("--json", action="store_true", help=_("print JSON"))
    imports.set_defaults(handler=run_experts_import)
    listing = actions.add_parser(
        "list", help=_("list the experts with their ids, panels and loads")
    )
    listing.add_argument("project", help=_("project file"))
    listing.add_argument("--json", action="store_true", help=_("print JSON"))
    listing.set_defaults(handler=run_experts_list)
    pool_cmd.register(actions)

    panels = commands.add_parser("panels", help=_("expert panels (专家组)"))
    actions = panels.add_subparsers(dest="action", metavar=_("ACTION"), required=True)
    create = actions.add_parser("create", help=_("form a panel"))
    create.add_argument("project", help=_("project file"))
    create.add_argument("name", help=_("the panel's name"))
    create.add_argument(
        "--leader", type=int, required=True, help=_("the leader's expert id (see experts list)")
    )
    create.add_argument(
        "--members",
        type=_ids,
        required=True,
        help=_("the members' expert ids, e.g. 1,2,5 (the leader is a member)"),
    )
    create.add_argument(
        "--directions",
        type=_ids,
        required=True,
        help=_("the industry directions' numbers (附件1), e.g. 1,3"),
    )
    create.set_defaults(handler=run_panels_create)
    assign = actions.add_parser(
        "assign",
        help=_("assign the panel's members to its directions' dossiers (conflicts recused)"),
    )
    assign.add_argument("project", help=_("project file"))
    assign.add_argument("panel", help=_("the panel's name or id"))
    assign.set_defaults(handler=run_panels_assign)
    listing = actions.add_parser("list", help=_("list the panels"))
    listing.add_argument("project", help=_("project file"))
    listing.add_argument("--json", action="store_true", help=_("print JSON"))
    listing.set_defaults(handler=run_panels_list)

    recuse = commands.add_parser("recuse", help=_("record a recusal (回避) with its reason"))
    recuse.add_argument("project", help=_("project file"))
    recuse.add_argument("--expert", type=int, required=True, help=_("expert id"))
    recuse.add_argument("--dossier", required=True, help=_("dossier code"))
    recuse.add_argument("--reason", required=True, help=_("why the expert recuses"))
    recuse.add_argument(
        "--by",
        choices=["agency", "expert"],
        default="agency",
        help=_("who declared it (default: the agency)"),
    )
    recuse.set_defaults(handler=run_recuse)


def run_experts_import(args: argparse.Namespace) -> int:
    """Import a roster; exit 1 when any row has a problem (nothing is stored then)."""
    from review_desk.panels import import_roster

    roster = Path(args.roster)
    if not roster.is_file():
        raise CommandError(tr("Roster file not found: {path}", path=roster))
    with open_project(args.project) as project:
        result = import_roster(project, roster)
    if args.json:
        print_json(
            {
                "roster": str(roster),
                "stored": result.stored,
                "added": result.added,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "issues": [i.as_dict() for i in result.issues],
                "late_conflicts": [c.as_dict() for c in result.late_conflicts],
            }
        )
    else:
        for issue in result.issues:
            print(
                tr(
                    "sheet {sheet} row {row} column {letter} {column}「{value}」: {problem}",
                    sheet=issue.sheet,
                    row=issue.row,
                    letter=issue.letter,
                    column=issue.column,
                    value=issue.value,
                    problem=issue.problem,
                )
            )
        if result.stored:
            print(
                tr(
                    "Experts imported: {added} new, {updated} changed, {unchanged} unchanged.",
                    added=result.added,
                    updated=result.updated,
                    unchanged=result.unchanged,
                )
            )
            from review_desk.conflicts import late_warning

            for conflict in result.late_conflicts:
                print(late_warning(conflict))
        else:
            print(
                tr(
                    "Nothing imported: {count} problems in the roster. Correct them and "
                    "import it again.",
                    count=len(result.issues),
                )
            )
    return 0 if result.stored else 1


def run_experts_list(args: argparse.Namespace) -> int:
    """Print the experts with their ids, panels and loads."""
    from review_desk import queries
    from review_desk.pool import pool

    with open_project(args.project, write=False) as project:
        rows = queries.experts(project)
        kept = {e.id: e for e in pool(project)}
    if args.json:
        print_json(
            [
                {**dataclasses.asdict(kept[r.id]), **dataclasses.asdict(r)}
                if r.id in kept
                else dataclasses.asdict(r)
                for r in rows
            ]
        )
        return 0
    if not rows:
        print(_("No experts yet: import the roster with experts import."))
        return 0
    print(
        _(
            "id  name  organisation  city  title  field  directions  panels  "
            "assigned/recused/submitted"
        )
    )
    for r in rows:
        panels = _(", ").join(r.panels) or "—"
        e = kept.get(r.id)
        where = f"{e.city or '—'}  {e.title or '—'}" if e else "—  —"
        directions = "、".join(str(d) for d in e.directions) if e and e.directions else "—"
        print(
            f"{r.id:>3}  {r.name}  {r.organisation}  {where}  {r.field or '—'}  {directions}  "
            f"{panels}  {r.assigned}/{r.recused}/{r.submitted}"
        )
    return 0


def run_panels_create(args: argparse.Namespace) -> int:
    """Form a panel; the leader is added to the members when left out."""
    from review_desk.panels import create_panel

    members = list(dict.fromkeys([args.leader, *args.members]))
    with open_project(args.project) as project:
        panel_id = create_panel(project, args.name, args.leader, members, args.directions)
    print(tr("Panel {name} formed (id {id}).", name=args.name.strip(), id=panel_id))
    return 0


def run_panels_assign(args: argparse.Namespace) -> int:
    """Assign a panel's members to the dossiers of its directions."""
    from review_desk.panels import assign_panel, find_panel

    with open_project(args.project) as project:
        panel_id = find_panel(project, args.panel)
        added = assign_panel(project, panel_id)
    print(tr("{count} assignments added (conflicts of interest are recused).", count=added))
    return 0


def run_panels_list(args: argparse.Namespace) -> int:
    """Print the panels with their leader, members, directions and dossiers."""
    from review_desk import queries

    with open_project(args.project, write=False) as project:
        rows = queries.panels(project)
    if args.json:
        print_json([dataclasses.asdict(r) for r in rows])
        return 0
    if not rows:
        print(_("No panels yet: form one with panels create."))
        return 0
    for r in rows:
        print(
            tr(
                "{id}  {name}  leader {leader}  members {members}  directions {directions}  "
                "{dossiers} dossiers",
                id=r.id,
                name=r.name,
                leader=r.leader,
                members=_(", ").join(r.members),
                directions=_(", ").join(r.directions),
                dossiers=r.dossiers,
            )
        )
    return 0


def run_recuse(args: argparse.Namespace) -> int:
    """Record a recusal; an assignment of that expert to that dossier is removed."""
    from sqlalchemy import select

    from review_desk.panels import declare_recusal
    from review_desk.storage import models as m

    with open_project(args.project) as project:
        with project.reading() as session:
            dossier_id = session.scalar(select(m.Dossier.id).where(m.Dossier.code == args.dossier))
        if dossier_id is None:
            raise CommandError(tr("No dossier {code}.", code=args.dossier))
        declare_recusal(project, args.expert, int(dossier_id), args.reason, source=args.by)
    print(
        tr(
            "Recusal recorded: expert {expert} does not review {dossier}.",
            expert=args.expert,
            dossier=args.dossier,
        )
    )
    return 0
