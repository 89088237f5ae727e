"""``review-desk server create``: a project on a PostgreSQL server (several seats)."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from review_desk.cli.common import CommandError, print_json
from review_desk.i18n import _, tr


def register(commands: Any) -> None:
    """Add the subcommands to the parser."""
    parser = commands.add_parser("server", help=_("set up a project on a PostgreSQL server"))
    actions = parser.add_subparsers(dest="action", metavar=_("ACTION"), required=True)

    create = actions.add_parser(
        "create", help=_("create a project's database, groups and permissions on a server")
    )
    create.add_argument(
        "server",
        help=_(
            "the server, as a role that may create databases and roles: "
            "postgresql://ADMIN@HOST/postgres"
        ),
    )
    create.add_argument(
        "--project", required=True, help=_("the project's short name, e.g. sx2026 (a-z, 0-9, _)")
    )
    create.add_argument("--name", required=True, help=_("project name"))
    create.add_argument("--round", default="", help=_("round name"))
    create.add_argument(
        "--deadline",
        help=_("deadline for dossiers, ISO 8601 with time zone, e.g. 2022-01-21T23:59+08:00"),
    )
    create.add_argument("--json", action="store_true", help=_("print JSON"))
    create.set_defaults(handler=run_create)


def run_create(args: argparse.Namespace) -> int:
    """Create the project on the server."""
    from review_desk.server.create import ServerError, create_server_project, describe

    deadline = None
    if args.deadline:
        try:
            deadline = datetime.fromisoformat(args.deadline)
        except ValueError as error:
            raise CommandError(tr("Not a date and time: {value}", value=args.deadline)) from error
        if deadline.tzinfo is None:
            raise CommandError(_("The deadline needs a time zone, e.g. +08:00."))
    try:
        made = create_server_project(
            args.server, args.project, name=args.name, round_name=args.round, deadline=deadline
        )
    except ServerError as error:
        raise CommandError(str(error)) from error
    if args.json:
        print_json({"url": made.url, "database": made.database, "groups": list(made.groups)})
    else:
        print(describe(made))
    return 0
