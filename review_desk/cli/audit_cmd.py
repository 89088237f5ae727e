"""``review-desk audit verify``: check the audit log's hash chain."""

from __future__ import annotations

import argparse
from typing import Any

from review_desk.cli.common import open_project, print_json
from review_desk.i18n import _, tr


def register(commands: Any) -> None:
    """Add the subcommands to the parser."""
    parser = commands.add_parser("audit", help=_("check the audit log"))
    actions = parser.add_subparsers(dest="action", metavar=_("ACTION"), required=True)
    verify = actions.add_parser(
        "verify", help=_("check the hash chain; exit 0 only when it is intact")
    )
    verify.add_argument("project", help=_("project file"))
    verify.add_argument("--json", action="store_true", help=_("print JSON"))
    verify.set_defaults(handler=run_verify)


def run_verify(args: argparse.Namespace) -> int:
    """Verify the chain; exit 1 and name the first broken entry when it is not intact."""
    with open_project(args.project, write=False) as project:
        report = project.verify_audit()
    if args.json:
        print_json(report.as_dict())
    elif report.intact:
        print(tr("Audit log intact: {count} entries.", count=report.entries))
    else:
        print(
            tr(
                "Audit log BROKEN at entry {id}: {reason}.",
                id=report.broken_id,
                reason=report.reason,
            )
        )
    return 0 if report.intact else 1
