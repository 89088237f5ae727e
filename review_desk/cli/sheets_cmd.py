"""``review-desk sheets export|import``: Excel score workbooks for experts who do not use
the app."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from review_desk.cli.common import CommandError, open_project, print_json
from review_desk.i18n import _, tr


def register(commands: Any) -> None:
    """Add the subcommands to the parser."""
    parser = commands.add_parser("sheets", help=_("Excel score workbooks for experts"))
    actions = parser.add_subparsers(dest="action", metavar=_("ACTION"), required=True)
    export = actions.add_parser("export", help=_("write an expert's score workbook"))
    export.add_argument("project", help=_("project file"))
    export.add_argument("--expert", type=int, required=True, help=_("expert id"))
    export.add_argument("--out", required=True, help=_("the .xlsx file to write"))
    export.set_defaults(handler=run_export)
    load = actions.add_parser("import", help=_("read a filled score workbook back"))
    load.add_argument("project", help=_("project file"))
    load.add_argument("file", help=_("the filled .xlsx file"))
    load.add_argument("--json", action="store_true", help=_("print JSON"))
    load.set_defaults(handler=run_import)


def run_export(args: argparse.Namespace) -> int:
    """Write the workbook."""
    from review_desk.score_sheets_excel import SheetsError, export_sheets

    with open_project(args.project) as project:
        try:
            count = export_sheets(project, args.expert, Path(args.out))
        except SheetsError as error:
            raise CommandError(str(error)) from error
    print(tr("Wrote {path} with {count} dossiers.", path=args.out, count=count))
    return 0


def run_import(args: argparse.Namespace) -> int:
    """Read a workbook back; exit 1 when any cell is refused (then nothing is stored)."""
    from review_desk.score_sheets_excel import SheetsError, import_sheets

    with open_project(args.project) as project:
        try:
            result = import_sheets(project, Path(args.file))
        except SheetsError as error:
            raise CommandError(str(error)) from error
    if args.json:
        print_json(result.as_dict())
    else:
        for issue in result.issues:
            print(f"{issue.cell}「{issue.value}」：{issue.problem}")
        if result.stored:
            print(
                tr(
                    "Stored {values} scores on {sheets} sheets.",
                    values=result.values,
                    sheets=result.sheets,
                )
            )
        else:
            print(tr("Nothing stored: {count} cells need correcting.", count=len(result.issues)))
    return 0 if result.stored else 1
