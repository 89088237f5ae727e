"""``review-desk recognition create|outcomes|decide|finalise|list|document|history``: the
recognition round (认定验收) headless. Construction reports come in with
``review-desk supplement``, the formal review with ``review-desk review``, panels,
assignment and scores as in any round (see docs/recognition.md)."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from review_desk.cli.common import CommandError, open_project, print_json
from review_desk.i18n import _, tr
from review_desk.recognition import OUTCOMES


def _day(text: str) -> date:
    """An argparse type: a day as YYYY-MM-DD."""
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(
            tr("{value} is not a date (YYYY-MM-DD)", value=text)
        ) from error


def register(commands: Any) -> None:
    """Add the subcommands to the parser."""
    parser = commands.add_parser(
        "recognition", help=_("the recognition round (认定验收) of the selected bases")
    )
    actions = parser.add_subparsers(dest="action", metavar=_("ACTION"), required=True)

    create = actions.add_parser(
        "create", help=_("create the recognition round from a finalised selection project")
    )
    create.add_argument("selection", help=_("the selection project"))
    create.add_argument("--out", required=True, help=_("the recognition project to create"))
    create.add_argument("--round-name", required=True, help=_("the round's name"))
    create.add_argument("--name", help=_("the project's name (the round's name by default)"))
    create.add_argument("--json", action="store_true", help=_("print JSON"))
    create.set_defaults(handler=run_create)

    outcomes = actions.add_parser("outcomes", help=_("scores, suggested outcomes and decisions"))
    outcomes.add_argument("project", help=_("project file"))
    outcomes.add_argument("--json", action="store_true", help=_("print JSON"))
    outcomes.set_defaults(handler=run_outcomes)

    decide = actions.add_parser("decide", help=_("the committee's decision on a base"))
    decide.add_argument("project", help=_("project file"))
    decide.add_argument("--dossier", required=True, help=_("dossier code"))
    decide.add_argument("--outcome", required=True, choices=OUTCOMES, help=_("the decision"))
    decide.add_argument("--reason", default="", help=_("the committee's written reason"))
    decide.add_argument("--deadline", type=_day, help=_("the rectification deadline (YYYY-MM-DD)"))
    decide.set_defaults(handler=run_decide)

    finalise = actions.add_parser("finalise", help=_("lock the recognition list"))
    finalise.add_argument("project", help=_("project file"))
    finalise.add_argument(
        "--rectify-deadline",
        type=_day,
        help=_("the deadline of the rectifications the committee gave none (YYYY-MM-DD)"),
    )
    finalise.set_defaults(handler=run_finalise)

    listing = actions.add_parser("list", help=_("write the recognition list (认定名单)"))
    listing.add_argument("project", help=_("project file"))
    listing.add_argument("--out", required=True, help=_("an .xlsx or .pdf file"))
    listing.set_defaults(handler=run_list)

    document = actions.add_parser("document", help=_("write recognition documents (PDF)"))
    document.add_argument("project", help=_("project file"))
    which = document.add_mutually_exclusive_group(required=True)
    which.add_argument("--dossier", help=_("dossier code"))
    which.add_argument("--all", action="store_true", help=_("one document per base"))
    document.add_argument("--out", required=True, help=_("the PDF file (with --all: the folder)"))
    document.set_defaults(handler=run_document)

    history = actions.add_parser(
        "history", help=_("a selected base's outcomes in the recognition rounds made from it")
    )
    history.add_argument("project", help=_("the selection project"))
    history.add_argument("--dossier", required=True, help=_("dossier code"))
    history.add_argument("--json", action="store_true", help=_("print JSON"))
    history.set_defaults(handler=run_history)


def run_create(args: argparse.Namespace) -> int:
    """Create the round."""
    from review_desk.recognition_round import create_round

    target = Path(args.out)
    if "://" not in args.out and target.exists():
        raise CommandError(tr("{path} already exists.", path=target))
    project = create_round(args.selection, args.out, round_name=args.round_name, name=args.name)
    with project:
        summary = project.summary()
    if args.json:
        print_json({"project": args.out, **summary.__dict__})
    else:
        print(
            tr(
                "Recognition round {round} written to {path}: {dossiers} bases, {experts} experts.",
                round=summary.round_name,
                path=args.out,
                dossiers=summary.dossiers,
                experts=summary.experts,
            )
        )
    return 0


def run_outcomes(args: argparse.Namespace) -> int:
    """Show each base's score, suggestion and decision, each panel's reliability and the
    deviations that block finalising."""
    from review_desk.cli.rank_cmd import print_blocking
    from review_desk.ranking import reliability_reading
    from review_desk.recognition import outcome_label, recognition_list, round_review
    from review_desk.recognition_round import RecognitionError

    with open_project(args.project, write=False) as project:
        review = round_review(project)
        try:
            finalised = recognition_list(project) is not None
        except RecognitionError:
            finalised = False
    if args.json:
        print_json(review.as_dict())
        return 0
    for row in review.bases:
        score = f"{row.score:.2f}" if row.score is not None else "—"
        mark = "" if row.decided or row.outcome is None else _("(suggested)")
        print(
            f"{row.code}\t{score}\t{outcome_label(row.outcome)}{mark}\t{row.reason_text}"
            + (f"\t{row.deadline.isoformat()}" if row.deadline else "")
        )
    for entry in review.reliability:
        print(tr("Panel {panel}: ", panel=entry.panel) + reliability_reading(entry))
    if not finalised:
        print_blocking(review.unexplained())
    return 0


def run_decide(args: argparse.Namespace) -> int:
    """Record the committee's decision."""
    from review_desk.recognition import decide, outcome_label

    with open_project(args.project) as project:
        row = decide(project, args.dossier, args.outcome, args.reason, deadline=args.deadline)
    print(tr("{code}: {outcome}", code=row.code, outcome=outcome_label(row.outcome)))
    return 0


def run_finalise(args: argparse.Namespace) -> int:
    """Lock the list."""
    from review_desk.recognition import finalise

    with open_project(args.project) as project:
        content_hash = finalise(project, rectify_deadline=args.rectify_deadline)
    print(tr("Recognition list finalised; content hash {hash}", hash=content_hash))
    return 0


def run_list(args: argparse.Namespace) -> int:
    """Write the recognition list."""
    from review_desk.recognition import recognition_list
    from review_desk.results.recognition_docs import write_list_pdf, write_list_xlsx

    target = Path(args.out)
    writers = {".xlsx": write_list_xlsx, ".pdf": write_list_pdf}
    writer = writers.get(target.suffix.lower())
    if writer is None:
        raise CommandError(_("The recognition list is written as .xlsx or .pdf."))
    with open_project(args.project, write=False) as project:
        listing = recognition_list(project)
    writer(target, listing)
    print(tr("Written: {path}", path=target))
    return 0


def run_document(args: argparse.Namespace) -> int:
    """Write one base's recognition document, or every base's."""
    from review_desk.recognition import recognition_list
    from review_desk.results.recognition_docs import safe_name, write_document_pdf

    with open_project(args.project, write=False) as project:
        listing = recognition_list(project)
    target = Path(args.out)
    if args.all:
        target.mkdir(parents=True, exist_ok=True)
        for row in listing.rows:
            write_document_pdf(target / safe_name(row["code"]), listing, row["code"])
        print(tr("Written: {path} ({count} documents)", path=target, count=len(listing.rows)))
        return 0
    write_document_pdf(target, listing, args.dossier)
    print(tr("Written: {path}", path=target))
    return 0


def run_history(args: argparse.Namespace) -> int:
    """Show a selected base's recognition outcomes."""
    from review_desk.recognition import outcome_label
    from review_desk.recognition_round import linked_outcomes

    with open_project(args.project, write=False) as project:
        found = linked_outcomes(project, args.dossier)
    if args.json:
        print_json([item.__dict__ for item in found])
        return 0
    for item in found:
        shown = outcome_label(item.outcome) if item.outcome else item.note
        print(f"{item.round_name}\t{shown}\t{item.reason}\t{item.location}")
    return 0
