"""``review-desk project new|info``: create a project file, or describe one."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from datetime import datetime
from typing import Any

from review_desk.cli.common import CommandError, open_project, parse_deadline, print_json
from review_desk.formatting import local_time
from review_desk.i18n import _, tr
from review_desk.project import Project
from review_desk.storage.database import ProjectOpenError


def register(commands: Any) -> None:
    """Add the subcommands to the parser."""
    parser = commands.add_parser("project", help=_("create or describe a project file"))
    actions = parser.add_subparsers(dest="action", metavar=_("ACTION"), required=True)

    new = actions.add_parser("new", help=_("create an empty project"))
    new.add_argument("project", help=_("path of the new project file"))
    new.add_argument("--name", required=True, help=_("project name"))
    new.add_argument("--round", default="", help=_("round name"))
    new.add_argument(
        "--deadline",
        help=_("deadline for dossiers, ISO 8601 with time zone, e.g. 2022-01-21T23:59+08:00"),
    )
    new.set_defaults(handler=run_new)

    info = actions.add_parser("info", help=_("show what a project holds"))
    info.add_argument("project", help=_("project file"))
    info.add_argument("--json", action="store_true", help=_("print JSON"))
    info.set_defaults(handler=run_info)

    push = actions.add_parser(
        "push", help=_("move a project file into an empty project database on a server")
    )
    push.add_argument("source", help=_("project file"))
    push.add_argument("server", help=_("the empty project database made by server create --empty"))
    push.add_argument("--json", action="store_true", help=_("print JSON"))
    push.set_defaults(handler=run_push)

    pull = actions.add_parser("pull", help=_("copy a project on a server into a new project file"))
    pull.add_argument("server", help=_("the project's database on the server"))
    pull.add_argument("target", help=_("path of the new project file"))
    pull.add_argument("--json", action="store_true", help=_("print JSON"))
    pull.set_defaults(handler=run_pull)


def run_new(args: argparse.Namespace) -> int:
    """Create an empty project."""
    deadline = parse_deadline(args.deadline)
    try:
        project = Project.create(
            args.project, name=args.name, round_name=args.round, deadline=deadline
        )
    except ProjectOpenError as error:
        raise CommandError(str(error)) from error
    project.close()
    print(tr("Created project {path}", path=args.project))
    return 0


def run_info(args: argparse.Namespace) -> int:
    """Print the project's summary."""
    with open_project(args.project, write=False) as project:
        summary = project.summary()
    if args.json:
        print_json(asdict(summary))
        return 0
    labels = {
        "name": _("Project"),
        "round_name": _("Round"),
        "deadline": _("Deadline"),
        "directions_in_use": _("Directions applied for"),
        "applicants": _("Applicants"),
        "dossiers": _("Dossiers"),
        "materials": _("Materials"),
        "experts": _("Experts"),
        "panels": _("Panels"),
        "assignments": _("Assignments"),
        "recusals": _("Recusals"),
        "sheets_submitted": _("Score sheets submitted"),
        "sheets_draft": _("Score sheets in progress"),
        "audit_entries": _("Audit log entries"),
    }
    for key, value in asdict(summary).items():
        shown = local_time(value) if isinstance(value, datetime) else value
        print(f"{labels[key]}: {shown if shown is not None else '-'}")
    return 0


def _report(report: Any, as_json: bool) -> None:
    if as_json:
        print_json(
            {"rows": report.rows, "files": report.files, "audit_entries": report.audit_entries}
        )
        return
    print(
        tr(
            "Copied {rows} rows in {tables} tables and {files} files; the audit log "
            "({entries} entries), the files and the rows of every table were checked.",
            rows=sum(report.rows.values()),
            tables=len(report.rows),
            files=report.files,
            entries=report.audit_entries,
        )
    )


def run_push(args: argparse.Namespace) -> int:
    """Move a project file onto a server."""
    from pathlib import Path

    from review_desk.server.transfer import push

    _report(push(Path(args.source), args.server), args.json)
    return 0


def run_pull(args: argparse.Namespace) -> int:
    """Copy a server project into a project file."""
    from pathlib import Path

    from review_desk.server.transfer import pull

    _report(pull(args.server, Path(args.target)), args.json)
    return 0
