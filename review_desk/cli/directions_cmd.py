"""``review-desk directions``: the 30 industry directions of 附件1."""

from __future__ import annotations

import argparse
from typing import Any

from review_desk import reference
from review_desk.cli.common import print_json
from review_desk.i18n import _


def register(commands: Any) -> None:
    """Add the subcommand to the parser."""
    parser = commands.add_parser("directions", help=_("list the industry directions"))
    parser.add_argument("--json", action="store_true", help=_("print JSON"))
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the directions as a table or JSON."""
    directions = reference.directions()
    if args.json:
        print_json([d.as_dict() for d in directions])
        return 0
    for d in directions:
        print(f"{d.number:>2}  {d.name}")
        if d.focus_areas:
            print("    " + _("Focus areas") + ": " + "、".join(d.focus_areas))
        if d.majors:
            print("    " + _("Majors") + ": " + "、".join(d.majors))
    return 0
