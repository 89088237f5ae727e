"""``review-desk server create`` and ``server user add|list|disable``: a project on a
PostgreSQL server (several seats) and the accounts of the people who work on it."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from review_desk.cli.common import CommandError, parse_deadline, print_json
from review_desk.i18n import _, tr

if TYPE_CHECKING:
    from review_desk.project import Project


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
    create.add_argument(
        "--demo", action="store_true", help=_("fill it with the demo project, for training")
    )
    create.add_argument(
        "--empty",
        action="store_true",
        help=_("only the schema, groups and permissions, for project push"),
    )
    create.add_argument("--json", action="store_true", help=_("print JSON"))
    create.set_defaults(handler=run_create)

    upgrade = actions.add_parser(
        "upgrade",
        help=_(
            "bring a project on a server up to this version (schema, grants, row policies), "
            "as its administrator"
        ),
    )
    upgrade.add_argument(
        "server", help=_("the project's database, as the administrator who created it")
    )
    upgrade.set_defaults(handler=run_upgrade)

    user = actions.add_parser("user", help=_("the accounts of a project on a server"))
    user_actions = user.add_subparsers(dest="user_action", metavar=_("ACTION"), required=True)
    project_help = _("the project's database, as a role that may create roles")
    add = user_actions.add_parser("add", help=_("add a person's account"))
    add.add_argument("server", help=project_help)
    add.add_argument("--name", required=True, help=_("login name, e.g. zhang.wei"))
    add.add_argument(
        "--role",
        required=True,
        help=_(
            "agency, committee, reviewer:DEPARTMENT (education, industry, development) or expert:ID"
        ),
    )
    add.add_argument("--display-name", default="", help=_("the person's name as shown"))
    add.add_argument(
        "--password-stdin", action="store_true", help=_("read the password from standard input")
    )
    add.set_defaults(handler=run_user_add)
    listing = user_actions.add_parser("list", help=_("list the accounts"))
    listing.add_argument("server", help=project_help)
    listing.add_argument("--json", action="store_true", help=_("print JSON"))
    listing.set_defaults(handler=run_user_list)
    disable = user_actions.add_parser("disable", help=_("stop an account from logging in"))
    disable.add_argument("server", help=project_help)
    disable.add_argument("--name", required=True, help=_("login name"))
    disable.set_defaults(handler=run_user_disable)


def run_create(args: argparse.Namespace) -> int:
    """Create the project on the server."""
    from review_desk.server.create import ServerError, create_server_project, describe

    deadline = parse_deadline(args.deadline)
    try:
        build = None
        if args.demo:
            from review_desk.demo import build_demo

            def build(url: str) -> Project:
                return build_demo(url)

        made = create_server_project(
            args.server,
            args.project,
            name=args.name,
            round_name=args.round,
            deadline=deadline,
            build=build,
            empty=args.empty,
        )
    except ServerError as error:
        raise CommandError(str(error)) from error
    if args.json:
        print_json({"url": made.url, "database": made.database, "groups": list(made.groups)})
    else:
        print(describe(made))
    return 0


def run_upgrade(args: argparse.Namespace) -> int:
    """Bring a project on a server up to this version."""
    from review_desk.server.create import ServerError, upgrade_server_project
    from review_desk.storage.database import shown_location

    try:
        upgraded_from = upgrade_server_project(args.server)
    except ServerError as error:
        raise CommandError(str(error)) from error
    where = shown_location(args.server)
    if upgraded_from is None:
        print(
            tr(
                "{location}: the schema was current; grants and row policies renewed.",
                location=where,
            )
        )
    else:
        print(
            tr(
                "{location}: upgraded from schema {revision}; grants and row policies renewed.",
                location=where,
                revision=upgraded_from,
            )
        )
    return 0


def _password(from_stdin: bool) -> str:
    """The new account's password: one line of standard input, or typed twice."""
    import getpass
    import sys

    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise CommandError(_("Type the password at a terminal, or pass --password-stdin."))
    first = getpass.getpass(_("Password: "))
    if getpass.getpass(_("Password again: ")) != first:
        raise CommandError(_("The two passwords differ."))
    return first


def run_user_add(args: argparse.Namespace) -> int:
    """Add an account."""
    from review_desk.server.accounts import add_user, parse_capacity
    from review_desk.server.create import ServerError

    try:
        capacity = parse_capacity(args.role)
        account = add_user(
            args.server,
            args.name,
            capacity,
            _password(args.password_stdin),
            display_name=args.display_name,
        )
    except ServerError as error:
        raise CommandError(str(error)) from error
    print(
        tr(
            "Added {login} as {capacity}.",
            login=account.login,
            capacity=account.capacity.describe(),
        )
    )
    return 0


def run_user_list(args: argparse.Namespace) -> int:
    """List the accounts."""
    from review_desk.server.accounts import list_users
    from review_desk.server.create import ServerError

    try:
        accounts = list_users(args.server)
    except ServerError as error:
        raise CommandError(str(error)) from error
    if args.json:
        print_json(
            [
                {
                    "login": a.login,
                    "kind": a.capacity.kind,
                    "department": a.capacity.department,
                    "expert_id": a.capacity.expert_id,
                    "display_name": a.display_name,
                    "disabled": a.disabled,
                    "can_log_in": a.can_log_in,
                }
                for a in accounts
            ]
        )
        return 0
    for a in accounts:
        state = _("disabled") if a.disabled else (_("active") if a.can_log_in else _("no login"))
        print(f"{a.login}\t{a.capacity.describe()}\t{a.display_name}\t{state}")
    return 0


def run_user_disable(args: argparse.Namespace) -> int:
    """Disable an account."""
    from review_desk.server.accounts import disable_user
    from review_desk.server.create import ServerError

    try:
        disable_user(args.server, args.name)
    except ServerError as error:
        raise CommandError(str(error)) from error
    print(tr("Disabled {login}.", login=args.name))
    return 0
