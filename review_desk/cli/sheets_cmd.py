"""``review-desk sheets export|import``: Excel score workbooks for experts who do not use
the app."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from review_desk.cli.common import CommandError, open_project, print_json, say_busy
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
    load.add_argument(
        "--submit",
        action="store_true",
        help=_("submit every complete row (the expert has finished); the others stay drafts"),
    )
    load.add_argument("--json", action="store_true", help=_("print JSON"))
    load.set_defaults(handler=run_import)
    submit = actions.add_parser(
        "submit", help=_("submit finished score sheets without the desk (expert or agency)")
    )
    submit.add_argument("project", help=_("project file (the expert's own, or the agency's)"))
    which = submit.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--dossier", action="append", metavar=_("CODE"), help=_("the dossier's code (repeatable)")
    )
    which.add_argument(
        "--all-complete", action="store_true", help=_("every started sheet that is complete")
    )
    submit.add_argument("--expert", type=int, help=_("expert id (needed in the agency's project)"))
    submit.add_argument("--json", action="store_true", help=_("print JSON"))
    submit.set_defaults(handler=run_submit)


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
    from review_desk.scoring import ScoringError

    source = Path(args.file)
    if not source.is_file():
        raise CommandError(tr("File not found: {path}", path=source))
    with open_project(args.project) as project:
        try:
            result = import_sheets(project, source, submit=args.submit, on_busy=say_busy)
        except (SheetsError, ScoringError) as error:
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
            if args.submit:
                print(tr("Submitted {count} complete sheets.", count=result.submitted))
                for draft in result.drafts:
                    print(
                        tr(
                            "{code} stays a draft: {reasons}",
                            code=draft.code,
                            reasons="；".join(draft.reasons),
                        )
                    )
        else:
            print(tr("Nothing stored: {count} cells need correcting.", count=len(result.issues)))
    return 0 if result.stored else 1


def run_submit(args: argparse.Namespace) -> int:
    """Submit finished sheets; exit 1 when any asked-for sheet stays a draft."""
    from review_desk.scoring import ScoringError
    from review_desk.scoring.submission import local_expert_id, submit_sheets

    with open_project(args.project) as project:
        own = local_expert_id(project)
        expert_id = args.expert if args.expert is not None else own
        if expert_id is None:
            raise CommandError(
                _("This is not an expert's own project: say whose sheets with --expert ID.")
            )
        if own is not None and expert_id != own:
            raise CommandError(_("This project is another expert's own copy."))
        actor = f"expert:{expert_id}" if own is not None else "agency"
        try:
            report = submit_sheets(
                project,
                expert_id,
                codes=None if args.all_complete else list(args.dossier),
                actor=actor,
            )
        except ScoringError as error:
            raise CommandError(str(error)) from error
    if args.json:
        print_json(report.as_dict())
    else:
        for code in report.submitted:
            print(tr("{code}: submitted", code=code))
        for code in report.already:
            print(tr("{code}: already submitted", code=code))
        for code, reasons in report.drafts.items():
            print(tr("{code} stays a draft: {reasons}", code=code, reasons="；".join(reasons)))
    asked_for_each = not args.all_complete
    return 1 if report.drafts and asked_for_each else 0
