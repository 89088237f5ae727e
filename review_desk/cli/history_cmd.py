"""``review-desk history PROJECT --dossier CODE``: everything recorded about one
dossier, from application to recognition (see review_desk.dossier_history)."""

from __future__ import annotations

import argparse
from typing import Any

from review_desk.cli.common import CommandError, open_project, print_json
from review_desk.i18n import _


def register(commands: Any) -> None:
    """Add the subcommand to the parser."""
    parser = commands.add_parser(
        "history",
        help=_(
            "a dossier's whole history: scores, list versions, objections, pilot year, recognition"
        ),
    )
    parser.add_argument("project", help=_("project file"))
    parser.add_argument("--dossier", required=True, help=_("dossier code"))
    parser.add_argument("--json", action="store_true", help=_("print JSON"))
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the history, as sections or as JSON."""
    from review_desk.dossier_history import HistoryError, dossier_history, sections

    with open_project(args.project, write=False) as project:
        try:
            history = dossier_history(project, args.dossier)
        except HistoryError as error:
            raise CommandError(str(error)) from error
    if args.json:
        print_json(history.as_dict())
        return 0
    for title, lines in sections(history):
        print(f"【{title}】")
        for line in lines:
            print(f"  {line}")
    return 0
