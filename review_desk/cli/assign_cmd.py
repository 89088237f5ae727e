"""``review-desk assign run|explain|change|changes``: assign the dossiers to the round's
experts at minimum cost (or with a cap on every pair's probability), explain a dossier's
candidates (who was chosen and why, who was left out and by which rule), and change a
dossier's experts by hand with a reason."""

from __future__ import annotations

import argparse
from typing import Any

from review_desk.cli.common import CommandError, dossier_by_code, open_project, print_json
from review_desk.i18n import _, tr


def _direction_k(text: str) -> tuple[int, int]:
    direction, _sep, k = text.partition("=")
    try:
        return int(direction), int(k)
    except ValueError:
        raise argparse.ArgumentTypeError(
            tr("{text}: write a direction and a number, e.g. 7=3", text=text)
        ) from None


def register(commands: Any) -> None:
    """Add the subcommands to the parser."""
    parser = commands.add_parser("assign", help=_("assign the dossiers to the experts"))
    actions = parser.add_subparsers(dest="action", metavar=_("ACTION"), required=True)
    run = actions.add_parser(
        "run", help=_("assign every dossier its experts: minimum cost, loads within range")
    )
    run.add_argument("project", help=_("project file"))
    _settings_arguments(run)
    run.add_argument(
        "--dry-run", action="store_true", help=_("show the assignment without storing it")
    )
    run.add_argument("--json", action="store_true", help=_("print JSON"))
    run.set_defaults(handler=run_assign)

    explain = actions.add_parser(
        "explain", help=_("a dossier's candidates: who was chosen and why, who was left out")
    )
    explain.add_argument("project", help=_("project file"))
    explain.add_argument("--dossier", required=True, help=_("the dossier's code"))
    explain.add_argument("--json", action="store_true", help=_("print JSON"))
    explain.set_defaults(handler=run_explain)

    change = actions.add_parser(
        "change", help=_("remove, add or swap a dossier's expert by hand, with a reason")
    )
    change.add_argument("project", help=_("project file"))
    change.add_argument("--dossier", required=True, help=_("the dossier's code"))
    change.add_argument("--remove", type=int, metavar="EXPERT_ID", help=_("the expert to remove"))
    change.add_argument("--add", type=int, metavar="EXPERT_ID", help=_("the expert to add"))
    change.add_argument("--reason", required=True, help=_("why the assignment is changed"))
    change.set_defaults(handler=run_change)

    changes = actions.add_parser("changes", help=_("list the manual changes of the assignments"))
    changes.add_argument("project", help=_("project file"))
    changes.add_argument("--json", action="store_true", help=_("print JSON"))
    changes.set_defaults(handler=run_changes)


def _settings_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--k", type=int, default=5, help=_("experts per dossier (default 5)"))
    parser.add_argument(
        "--k-for",
        type=_direction_k,
        action="append",
        default=[],
        metavar="DIRECTION=K",
        help=_("experts per dossier for one direction, e.g. 7=3 (repeatable)"),
    )
    parser.add_argument("--load-min", type=int, help=_("the fewest dossiers per expert"))
    parser.add_argument(
        "--load-max", type=int, help=_("the most dossiers per expert (default: even share + 2)")
    )
    parser.add_argument(
        "--cap",
        type=float,
        help=_("randomized: every expert-dossier pair's probability at most this (0-1)"),
    )
    parser.add_argument("--seed", type=int, help=_("the random seed of a capped assignment"))


def _settings(args: argparse.Namespace) -> Any:
    from review_desk.assigning import AssignSettings

    if args.k < 0 or any(k < 0 for _d, k in args.k_for):
        raise CommandError(_("The number of experts per dossier cannot be negative."))
    return AssignSettings(
        k=args.k,
        k_by_direction=dict(args.k_for),
        load_min=args.load_min,
        load_max=args.load_max,
        cap=args.cap,
        seed=args.seed,
    )


def run_assign(args: argparse.Namespace) -> int:
    """Plan the assignment, show it, and store it unless ``--dry-run``."""
    from review_desk.assigning import AssigningError, plan, store

    settings = _settings(args)
    with open_project(args.project, write=not args.dry_run) as project:
        try:
            made = plan(project, settings)
        except AssigningError as error:
            raise CommandError(str(error)) from error
        stored = None if args.dry_run else store(project, made)
    loads, names = made.loads(), made.expert_names
    if args.json:
        print_json(
            {
                "dossiers": len(made.dossier_codes),
                "experts": len(made.experts),
                "assignments": [
                    {
                        "dossier": made.dossier_codes[d],
                        "expert_id": e,
                        "expert": made.expert_names[e],
                    }
                    for d, e in made.pairs()
                ],
                "loads": {str(e): n for e, n in loads.items()},
                "cost": made.result.cost,
                "sha256": made.digest(),
                "stored": stored is not None,
            }
        )
        return 0
    print(
        tr(
            "{dossiers} dossiers, {experts} experts: {pairs} assignments at a total cost of "
            "{cost:g}; loads {low}-{high}.",
            dossiers=len(made.dossier_codes),
            experts=len(made.experts),
            pairs=len(made.pairs()),
            cost=made.result.cost,
            low=min(loads.values(), default=0),
            high=max(loads.values(), default=0),
        )
    )
    by_dossier: dict[int, list[str]] = {}
    for dossier_id, expert_id in made.pairs():
        by_dossier.setdefault(dossier_id, []).append(names[expert_id])
    for dossier_id, code in made.dossier_codes.items():
        print(f"{code}  {_('、').join(by_dossier.get(dossier_id, []))}")
    if stored is None:
        print(_("Not stored (--dry-run)."))
    else:
        print(tr("Stored {count} assignments.", count=stored))
    return 0


def run_explain(args: argparse.Namespace) -> int:
    """Explain one dossier's candidates under the last stored settings."""
    from review_desk.assigning import AssigningError, explain, last_settings, plan
    from review_desk.assignment_changes import assignment_changes

    with open_project(args.project, write=False) as project:
        changed = assignment_changes(project)
        settings = last_settings(project)
        if settings is None:
            raise CommandError(_("No assignment is stored yet: run review-desk assign run first."))
        try:
            made = plan(project, settings)
        except AssigningError as error:
            raise CommandError(str(error)) from error
    dossier = next((d for d, c in made.dossier_codes.items() if c == args.dossier), None)
    if dossier is None:
        raise CommandError(tr("No dossier {code} among those assigned.", code=args.dossier))
    rows = explain(made, dossier)
    if args.json:
        print_json(
            [
                {
                    "expert_id": r.expert_id,
                    "expert": r.expert,
                    "chosen": r.chosen,
                    "cost": r.cost if r.cost != float("inf") else None,
                    "reason": r.reason,
                }
                for r in rows
            ]
        )
        return 0
    print(args.dossier)
    for row in rows:
        mark = "✓" if row.chosen else "·"
        print(f"{mark} {row.expert}  {row.reason}")
    for change in changed:
        if change.dossier_id == dossier:
            print(_change_line(change))
    return 0


def _change_line(change: Any) -> str:
    """One manual change, for the user."""
    values = {
        "at": change.at,
        "actor": change.actor,
        "dossier": change.dossier_code,
        "removed": change.removed_name,
        "added": change.added_name,
        "reason": change.reason,
    }
    if change.removed is None:
        return tr("{at} {actor}: {dossier} + {added} ({reason})", **values)
    if change.added is None:
        return tr("{at} {actor}: {dossier} − {removed} ({reason})", **values)
    return tr("{at} {actor}: {dossier} {removed} → {added} ({reason})", **values)


def run_change(args: argparse.Namespace) -> int:
    """Change a dossier's experts by hand, with the reason."""
    from review_desk.assignment_changes import change_assignment

    if args.remove is None and args.add is None:
        raise CommandError(_("Say which expert to remove, to add, or both."))
    with open_project(args.project) as project:
        change = change_assignment(
            project,
            dossier_id=dossier_by_code(project, args.dossier),
            remove=args.remove,
            add=args.add,
            reason=args.reason,
        )
    print(tr("Changed: {change}", change=_change_line(change)))
    return 0


def run_changes(args: argparse.Namespace) -> int:
    """List every manual change of the assignments, oldest first."""
    from dataclasses import asdict

    from review_desk.assignment_changes import assignment_changes

    with open_project(args.project, write=False) as project:
        found = assignment_changes(project)
    if args.json:
        print_json([asdict(c) for c in found])
        return 0
    if not found:
        print(_("No manual changes of the assignments."))
    for change in found:
        print(_change_line(change))
    return 0
