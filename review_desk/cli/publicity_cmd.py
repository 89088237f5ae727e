"""``review-desk publicity-period open|close|status|publish`` and ``review-desk objection
add|investigate|decide|revise|list``: publicity and objections (公示与异议) headless.

(``review-desk publicity`` writes the publicity list document, as before.)
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from review_desk.audit import utc_now
from review_desk.cli.common import CommandError, dossier_by_code, open_project, print_json
from review_desk.domain import Tier
from review_desk.i18n import _, tr
from review_desk.publicity import OUTCOMES


def _day(text: str) -> date:
    """An argparse type: a day as YYYY-MM-DD."""
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(
            tr("{value} is not a date (YYYY-MM-DD)", value=text)
        ) from error


def _clock() -> Any:
    """The clock the commands run on (looked up when called, so tests can set it)."""
    return utc_now


def register(commands: Any) -> None:
    """Add the subcommands to the parser."""
    period = commands.add_parser(
        "publicity-period", help=_("open, close and publish the publicity period")
    )
    actions = period.add_subparsers(dest="action", metavar=_("ACTION"), required=True)
    opening = actions.add_parser("open", help=_("open the publicity period"))
    opening.add_argument("project", help=_("project file"))
    opening.add_argument("--start", type=_day, required=True, help=_("first day (YYYY-MM-DD)"))
    opening.add_argument("--end", type=_day, required=True, help=_("last day (YYYY-MM-DD)"))
    opening.add_argument("--contact", required=True, help=_("contact for objections"))
    opening.add_argument("--note", default="", help=_("a note"))
    opening.set_defaults(handler=run_open)
    for name, helptext, handler in (
        ("close", _("close the publicity period once it has ended"), run_close),
        ("publish", _("publish the list once the period has ended"), run_publish),
        ("status", _("show the publicity period and its objections"), run_status),
    ):
        sub = actions.add_parser(name, help=helptext)
        sub.add_argument("project", help=_("project file"))
        if name == "status":
            sub.add_argument("--json", action="store_true", help=_("print JSON"))
        sub.set_defaults(handler=handler)

    objection = commands.add_parser("objection", help=_("record and decide objections"))
    actions = objection.add_subparsers(dest="action", metavar=_("ACTION"), required=True)
    add = actions.add_parser("add", help=_("record an objection"))
    add.add_argument("project", help=_("project file"))
    add.add_argument("--dossier", required=True, help=_("dossier code"))
    add.add_argument("--grounds", required=True, help=_("the grounds of the objection"))
    who = add.add_mutually_exclusive_group(required=True)
    who.add_argument("--objector", help=_("who raised the objection"))
    who.add_argument("--anonymous", action="store_true", help=_("received anonymously"))
    add.add_argument("--contact", default="", help=_("the objector's contact"))
    add.add_argument("--received", type=_day, help=_("day received (YYYY-MM-DD; today)"))
    add.add_argument(
        "--evidence", action="append", default=[], metavar="FILE", help=_("an evidence file")
    )
    add.set_defaults(handler=run_add)

    investigate = actions.add_parser("investigate", help=_("assign and record findings"))
    investigate.add_argument("project", help=_("project file"))
    investigate.add_argument("--id", type=int, required=True, help=_("objection number"))
    investigate.add_argument("--assignee", required=True, help=_("who investigates"))
    investigate.add_argument("--findings", default="", help=_("the findings"))
    investigate.add_argument(
        "--evidence", action="append", default=[], metavar="FILE", help=_("an evidence file")
    )
    investigate.set_defaults(handler=run_investigate)

    decide = actions.add_parser("decide", help=_("the committee's decision"))
    decide.add_argument("project", help=_("project file"))
    decide.add_argument("--id", type=int, required=True, help=_("objection number"))
    decide.add_argument("--outcome", required=True, choices=OUTCOMES, help=_("the decision"))
    decide.add_argument("--reason", required=True, help=_("the committee's written reason"))
    decide.set_defaults(handler=run_decide)

    revise = actions.add_parser("revise", help=_("revise the list for an upheld objection"))
    revise.add_argument("project", help=_("project file"))
    revise.add_argument("--id", type=int, required=True, help=_("objection number"))
    revise.add_argument("--dossier", required=True, help=_("dossier code"))
    revise.add_argument(
        "--tier",
        required=True,
        choices=[tier.value for tier in Tier.decisions()],
        help=_("the new tier"),
    )
    revise.add_argument("--reason", required=True, help=_("the committee's written reason"))
    revise.add_argument("--json", action="store_true", help=_("print JSON"))
    revise.set_defaults(handler=run_revise)

    listing = actions.add_parser("list", help=_("list the objections"))
    listing.add_argument("project", help=_("project file"))
    listing.add_argument("--json", action="store_true", help=_("print JSON"))
    listing.set_defaults(handler=run_list)


def run_open(args: argparse.Namespace) -> int:
    """Open the period."""
    from review_desk import publicity

    with open_project(args.project) as project:
        number = publicity.open_period(
            project,
            starts_on=args.start,
            ends_on=args.end,
            contact=args.contact,
            note=args.note,
            clock=_clock(),
        )
    print(
        tr(
            "Publicity period {id} opened: {start} to {end}.",
            id=number,
            start=args.start,
            end=args.end,
        )
    )
    return 0


def run_close(args: argparse.Namespace) -> int:
    """Close the period."""
    from review_desk import publicity

    with open_project(args.project) as project:
        publicity.close_period(project, clock=_clock())
    print(_("Publicity period closed."))
    return 0


def run_publish(args: argparse.Namespace) -> int:
    """Publish the list in force."""
    from review_desk import publicity

    with open_project(args.project) as project:
        content_hash = publicity.publish(project, clock=_clock())
    print(tr("Published; content hash {hash}", hash=content_hash))
    return 0


_STATES = {
    "none": lambda: _("no publicity period"),
    "open": lambda: _("open"),
    "closed": lambda: _("closed"),
    "published": lambda: _("published"),
}
_OUTCOME_LABELS = {
    "open": lambda: _("open"),
    "investigating": lambda: _("under investigation"),
    "upheld": lambda: _("upheld"),
    "dismissed": lambda: _("dismissed"),
}


def run_status(args: argparse.Namespace) -> int:
    """Show the period's state."""
    from review_desk import publicity

    with open_project(args.project, write=False) as project:
        state = publicity.status(project)
    if args.json:
        print_json(state.as_dict())
        return 0
    print(tr("Publicity: {state}", state=_STATES[state.state]()))
    if state.period_id is not None:
        print(
            tr(
                "Period: {start} to {end}; contact: {contact}",
                start=state.starts_on,
                end=state.ends_on,
                contact=state.contact,
            )
        )
    if state.content_hash:
        print(
            tr(
                "List version {version}; content hash {hash}",
                version=state.list_version,
                hash=state.content_hash,
            )
        )
    counts = "、".join(f"{_OUTCOME_LABELS[k]()} {v}" for k, v in state.objections.items())
    print(tr("Objections: {counts}", counts=counts))
    return 0


def _files(names: list[str]) -> list[Path]:
    return [Path(name) for name in names]


def run_add(args: argparse.Namespace) -> int:
    """Record an objection."""
    from review_desk import objections

    with open_project(args.project) as project:
        number = objections.add_objection(
            project,
            dossier_id=dossier_by_code(project, args.dossier),
            grounds=args.grounds,
            objector=args.objector or "",
            anonymous=args.anonymous,
            contact=args.contact,
            received_on=args.received,
            evidence=_files(args.evidence),
            clock=_clock(),
        )
    print(tr("Objection No. {id} recorded.", id=number))
    return 0


def run_investigate(args: argparse.Namespace) -> int:
    """Assign an objection and record findings."""
    from review_desk import objections

    with open_project(args.project) as project:
        objections.investigate(
            project,
            args.id,
            assignee=args.assignee,
            findings=args.findings,
            evidence=_files(args.evidence),
            clock=_clock(),
        )
    print(tr("Objection No. {id} is under investigation.", id=args.id))
    return 0


def run_decide(args: argparse.Namespace) -> int:
    """Record the committee's decision."""
    from review_desk import objections

    with open_project(args.project) as project:
        objections.decide(project, args.id, args.outcome, args.reason, clock=_clock())
    print(tr("Objection No. {id}: {outcome}.", id=args.id, outcome=_OUTCOME_LABELS[args.outcome]()))
    return 0


def run_revise(args: argparse.Namespace) -> int:
    """Revise the list for an upheld objection."""
    from review_desk import list_versions, ranking

    with open_project(args.project) as project:
        try:
            revision = list_versions.revise_for_objection(
                project,
                args.id,
                [(dossier_by_code(project, args.dossier), args.tier)],
                args.reason,
                clock=_clock(),
            )
        except ranking.RankingError as error:
            raise CommandError(str(error)) from error
    if args.json:
        print_json(revision.__dict__)
        return 0
    print(
        tr(
            "List version {version}; content hash {hash}",
            version=revision.version,
            hash=revision.content_hash,
        )
    )
    for entry in revision.diff:
        print("    " + list_versions.change_text(entry))
    return 0


def run_list(args: argparse.Namespace) -> int:
    """List the objections."""
    from review_desk import objections

    with open_project(args.project, write=False) as project:
        rows = objections.list_objections(project)
    if args.json:
        print_json([row.as_dict() for row in rows])
        return 0
    for row in rows:
        who = _("anonymous") if row.anonymous else row.objector
        print(
            f"{row.id:>4}  {row.code}  {row.received_on}  "
            f"{_OUTCOME_LABELS[row.status]()}  {who}  {row.grounds}"
        )
    return 0
