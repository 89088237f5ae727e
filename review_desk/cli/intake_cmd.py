"""``review-desk template``, ``intake``, ``review`` and ``supplement``: the register
template, dossier intake, the formal review and supplements, headless."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from review_desk.cli.common import CommandError, dossier_by_code, open_project, print_json
from review_desk.i18n import _, tr


def register(commands: Any) -> None:
    """Add the subcommands to the parser."""
    template = commands.add_parser("template", help=_("write a blank form"))
    kinds = template.add_subparsers(dest="kind", metavar=_("FORM"), required=True)
    reg = kinds.add_parser("register", help=_("the register template (申报汇总表.xlsx)"))
    reg.add_argument("file", help=_("the .xlsx file to write"))
    reg.add_argument(
        "--demo",
        action="store_true",
        help=_("fill it with the demo applicants and write their PDFs beside it"),
    )
    reg.set_defaults(handler=run_template)
    roster = kinds.add_parser("roster", help=_("the expert roster template (专家名单.xlsx)"))
    roster.add_argument("file", help=_("the .xlsx file to write"))
    roster.set_defaults(handler=run_roster_template)

    intake = commands.add_parser("intake", help=_("import a register and its material PDFs"))
    intake.add_argument("project", help=_("project file"))
    intake.add_argument("--register", required=True, help=_("the register (.xlsx or .csv)"))
    intake.add_argument("--files", help=_("the folder with the material PDFs"))
    intake.add_argument(
        "--valid-only",
        action="store_true",
        help=_("import the valid rows even when others are refused (default: all or nothing)"),
    )
    intake.add_argument(
        "--report", help=_("write the problems to this .xlsx file, offending cells highlighted")
    )
    intake.add_argument("--json", action="store_true", help=_("print the per-row report as JSON"))
    intake.set_defaults(handler=run_intake_cmd)

    review = commands.add_parser(
        "review",
        help=_("run the formal review (形式审查)"),
        epilog=_("review --list-checks prints the CHECK ids that --override takes."),
    )
    review.add_argument("project", nargs="?", help=_("project file"))
    review.add_argument(
        "--list-checks",
        action="store_true",
        help=_("print the check ids (for --override) with what each checks, then exit"),
    )
    review.add_argument(
        "--override",
        nargs=3,
        metavar=(_("DOSSIER"), _("CHECK"), "pass|fail"),
        help=_("replace an automatic result with a decision (needs --reason)"),
    )
    review.add_argument("--reason", default="", help=_("the written reason of the decision"))
    review.add_argument("--export", help=_("write the formal-review table to this .xlsx file"))
    review.add_argument("--json", action="store_true", help=_("print JSON"))
    review.set_defaults(handler=run_review_cmd)

    supplement = commands.add_parser(
        "supplement", help=_("add a new version of a dossier's material (补正)")
    )
    supplement.add_argument("project", help=_("project file"))
    supplement.add_argument("--dossier", required=True, help=_("dossier number, e.g. SX-07-0001"))
    supplement.add_argument("file", help=_("the new PDF"))
    supplement.add_argument("--replaces", help=_("file name of the material it replaces"))
    supplement.set_defaults(handler=run_supplement)


def run_template(args: argparse.Namespace) -> int:
    """Write the register template, empty or with the demo's applicants."""
    path = Path(args.file)
    if path.suffix.lower() != ".xlsx":
        raise CommandError(_("The template is an .xlsx file."))
    if args.demo:
        import random

        from review_desk.demo.builder import SEED
        from review_desk.demo.register_export import export_demo_register

        register, files = export_demo_register(
            path.parent, random.Random(SEED), register_name=path.name
        )
        print(tr("Wrote {register} and the PDFs in {files}", register=register, files=files))
        return 0
    from review_desk.intake.register_template import write_register

    write_register(path)
    print(tr("Wrote {register}", register=path))
    return 0


def run_roster_template(args: argparse.Namespace) -> int:
    """Write the expert roster template."""
    from review_desk.intake.roster_template import write_roster

    path = Path(args.file)
    if path.suffix.lower() != ".xlsx":
        raise CommandError(_("The template is an .xlsx file."))
    write_roster(path)
    print(tr("Wrote {register}", register=path))
    return 0


def run_intake_cmd(args: argparse.Namespace) -> int:
    """Import a register; exit 1 when any row is refused."""
    from review_desk.intake.importer import run_intake
    from review_desk.intake.register_reader import RegisterReadError
    from review_desk.intake.report import write_issue_report

    files = Path(args.files) if args.files else None
    if files is not None and not files.is_dir():
        raise CommandError(tr("Files folder not found: {path}", path=files))

    def progress(done: int, total: int, what: str) -> None:
        if not args.json and sys.stderr.isatty():
            print(f"\r[{done}/{total}] {what[:40]:<40}", end="", file=sys.stderr, flush=True)

    with open_project(args.project) as project:
        try:
            result = run_intake(
                project, Path(args.register), files, valid_only=args.valid_only, progress=progress
            )
        except RegisterReadError as error:
            raise CommandError(str(error)) from error
    if sys.stderr.isatty() and not args.json:
        print(file=sys.stderr)
    if args.report:
        write_issue_report(Path(args.report), Path(args.register), result.issues)
    if args.json:
        print_json(result.as_dict())
    else:
        _print_intake(result)
    return 0 if result.ok else 1


def _print_intake(result: Any) -> None:
    for issue in result.issues:
        where = tr("row {row}", row=issue.row) if issue.row else _("files")
        if issue.column:
            where += f" {issue.column}"
        level = _("error") if issue.severity == "error" else _("warning")
        print(
            f"[{level}] {issue.sheet} {where} {issue.header}「{issue.value}」：{issue.problem}。"
            f"{issue.fix}"
        )
    print(result.summary())
    from review_desk.conflicts import late_warning

    for conflict in result.late_conflicts:
        print(late_warning(conflict))


def run_review_cmd(args: argparse.Namespace) -> int:
    """Run the formal review (with an override when asked) and print the verdicts."""
    from review_desk import formal_review as fr

    if args.list_checks:
        _print_check_ids()
        return 0
    if args.project is None:
        raise CommandError(_("Name the project file (or use --list-checks)."))
    with open_project(args.project) as project:
        try:
            if args.override:
                code, check, result = args.override
                fr.override(project, dossier_by_code(project, code), check, result, args.reason)
            rows = fr.run_review(project)
        except fr.ReviewError as error:
            raise CommandError(str(error)) from error
        if args.export:
            from review_desk.formal_review_export import export_reviews

            export_reviews(Path(args.export), rows)
    if args.json:
        print_json([r.as_dict() for r in rows])
        return 0
    for row in rows:
        print(f"{row.code}  {row.applicant}  {fr.verdict_label(row.verdict)}")
        for reason in row.reasons:
            print(f"    - {reason}")
    return 0


def _print_check_ids() -> None:
    """Print every check id an override can name, with what it checks."""
    from review_desk import reference

    print(_("Checklist items (附件3):"))
    for item in reference.checklist():
        print(f"  {'item:' + item.key:<34} {item.number} {item.short_title}")
    print(_("Conditions (三、揭榜参考条件):"))
    for rule in reference.eligibility_rules():
        text = rule.text if len(rule.text) <= 40 else rule.text[:39] + "…"
        print(f"  {'rule:' + rule.id:<34} {rule.clause} {text}")
    print(_("Other checks:"))
    print(f"  {'late':<34} " + _("Submission deadline"))
    print(
        f"  {'file:ID':<34} " + _("a material file that cannot be read (its id in review --json)")
    )
    print(f"  {'file:none':<34} " + _("Material files"))


def run_supplement(args: argparse.Namespace) -> int:
    """Store a supplement and review the dossier again."""
    from review_desk.formal_review import verdict_label
    from review_desk.intake.supplement import SupplementError, add_supplement

    with open_project(args.project) as project:
        try:
            material = add_supplement(
                project, args.dossier, Path(args.file), replaces=args.replaces
            )
        except SupplementError as error:
            raise CommandError(str(error)) from error
        from review_desk.formal_review import reviews

        row = next(r for r in reviews(project) if r.code == args.dossier)
    print(
        tr(
            "{file} is now version {version} of {dossier}; formal review: {verdict}",
            file=material.filename,
            version=material.version,
            dossier=args.dossier,
            verdict=verdict_label(row.verdict),
        )
    )
    return 0
