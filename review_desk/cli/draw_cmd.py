"""``review-desk draw run|refuse|list|verify|record``: the random draw of experts
(随机抽取) in front of a supervisor, refusals filled from the alternates, anyone's
verification of every draw, and the printable draw record (抽取记录)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from review_desk.cli.common import CommandError, open_project, print_json
from review_desk.i18n import _, tr


def register(commands: Any) -> None:
    """Add the subcommands to the parser."""
    parser = commands.add_parser("draw", help=_("the random draw of experts (随机抽取)"))
    actions = parser.add_subparsers(dest="action", metavar=_("ACTION"), required=True)
    run = actions.add_parser("run", help=_("draw experts and alternates from the pool"))
    run.add_argument("project", help=_("project file"))
    run.add_argument("--direction", type=int, help=_("the industry direction's number (附件1)"))
    run.add_argument(
        "--fields", help=_("fields or majors the experts must have, separated by commas")
    )
    run.add_argument("--experts", type=int, required=True, help=_("how many experts to draw"))
    run.add_argument(
        "--alternates", type=int, default=0, help=_("how many alternates (备选) to draw")
    )
    run.add_argument(
        "--public-value",
        required=True,
        help=_("the public value the supervisor chose (dice thrown, a published figure)"),
    )
    run.add_argument("--label", default="", help=_("what the draw is for, e.g. a panel's name"))
    run.add_argument(
        "--panel",
        help=_("the panel the drawn experts become (created for the direction when new)"),
    )
    run.add_argument("--json", action="store_true", help=_("print JSON"))
    run.set_defaults(handler=run_draw_cmd)

    refuse = actions.add_parser(
        "refuse", help=_("record a drawn expert's refusal; the next alternate takes the place")
    )
    refuse.add_argument("project", help=_("project file"))
    refuse.add_argument("--draw", type=int, required=True, help=_("the draw's number"))
    refuse.add_argument("--expert", type=int, required=True, help=_("expert id"))
    refuse.add_argument("--reason", required=True, help=_("why the expert refuses"))
    refuse.set_defaults(handler=run_refuse)

    listing = actions.add_parser("list", help=_("list the draws"))
    listing.add_argument("project", help=_("project file"))
    listing.add_argument("--json", action="store_true", help=_("print JSON"))
    listing.set_defaults(handler=run_list)

    verify = actions.add_parser(
        "verify", help=_("recompute every draw from its record and the audit log")
    )
    verify.add_argument("project", help=_("project file"))
    verify.add_argument("--json", action="store_true", help=_("print JSON"))
    verify.set_defaults(handler=run_verify)

    record = actions.add_parser("record", help=_("write a draw's record (抽取记录) as PDF"))
    record.add_argument("project", help=_("project file"))
    record.add_argument("--draw", type=int, required=True, help=_("the draw's number"))
    record.add_argument("--out", required=True, help=_("the .pdf file to write"))
    record.set_defaults(handler=run_record)


def _fields(text: str | None) -> list[str]:
    return [f.strip() for f in (text or "").replace("，", ",").split(",") if f.strip()]


def _print_draw(result: Any) -> None:
    print(
        tr(
            "Draw {id}: seed {seed} from {count} eligible experts.",
            id=result.id,
            seed=result.hashes["seed"],
            count=result.pool_size,
        )
    )
    print(tr("Drawn: {ids}", ids=", ".join(str(e) for e in result.selected)))
    print(tr("Alternates: {ids}", ids=", ".join(str(e) for e in result.alternates) or "—"))
    for refusal in result.refusals:
        print(
            tr(
                "Expert {expert} refused ({reason}); replaced by {replacement}.",
                expert=refusal["expert"],
                reason=refusal["reason"],
                replacement=refusal["replacement"] or "—",
            )
        )
    members = ", ".join(str(e) for e in result.members)
    if result.params.get("panel"):
        print(tr("Panel {name}: {ids}", name=result.params["panel"], ids=members))
    else:
        print(tr("Panel: {ids}", ids=members))


def run_draw_cmd(args: argparse.Namespace) -> int:
    """Make a draw and print it."""
    from review_desk.draw import run_draw

    with open_project(args.project) as project:
        result = run_draw(
            project,
            public_value=args.public_value,
            experts=args.experts,
            alternates=args.alternates,
            direction=args.direction,
            fields=_fields(args.fields),
            label=args.label,
            panel=args.panel,
        )
    if args.json:
        print_json(result.as_dict())
    else:
        _print_draw(result)
    return 0


def run_refuse(args: argparse.Namespace) -> int:
    """Record a refusal."""
    from review_desk.draw import refuse

    with open_project(args.project) as project:
        refusal = refuse(project, args.draw, args.expert, args.reason)
    if refusal["replacement"] is None:
        print(
            tr(
                "Refusal recorded; no alternate is left: draw {id}'s panel is one short.",
                id=args.draw,
            )
        )
        return 1
    print(
        tr(
            "Refusal recorded: expert {replacement} takes expert {expert}'s place.",
            replacement=refusal["replacement"],
            expert=args.expert,
        )
    )
    return 0


def run_list(args: argparse.Namespace) -> int:
    """Print the draws."""
    from review_desk.draw import draws

    with open_project(args.project, write=False) as project:
        found = draws(project)
    if args.json:
        print_json([d.as_dict() for d in found])
        return 0
    if not found:
        print(_("No draws yet: make one with draw run."))
    for result in found:
        _print_draw(result)
    return 0


def run_verify(args: argparse.Namespace) -> int:
    """Recompute every draw; exit 1 naming each draw that does not match."""
    from review_desk.draw import verify

    with open_project(args.project, write=False) as project:
        checks, chain = verify(project)
    bad = [c for c in checks if not c.matches]
    if args.json:
        print_json({"draws": [c.as_dict() for c in checks], "audit_chain": chain.as_dict()})
    else:
        for check in checks:
            if check.matches:
                print(tr("Draw {id}: matches its record and the audit log.", id=check.id))
            for problem in check.problems:
                print(tr("Draw {id}: {problem}", id=check.id, problem=problem))
        if not chain.intact:
            print(tr("The audit log is broken: {reason}", reason=chain.reason))
        if not checks:
            print(_("No draws to verify."))
    return 1 if bad or not chain.intact else 0


def run_record(args: argparse.Namespace) -> int:
    """Write a draw's record as PDF."""
    from review_desk.draw_record import write_draw_record

    target = Path(args.out)
    if target.suffix.lower() != ".pdf":
        raise CommandError(_("The draw record is a .pdf file."))
    with open_project(args.project, write=False) as project:
        write_draw_record(project, args.draw, target)
    print(tr("Wrote {path}", path=target))
    return 0
