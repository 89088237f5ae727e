"""``review-desk demo``: build the demo project."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from review_desk.cli.common import CommandError, print_json
from review_desk.demo.identity import is_demo_project
from review_desk.i18n import _, tr
from review_desk.project import delete_project_files
from review_desk.storage.database import ProjectOpenError


def register(commands: Any) -> None:
    """Add the subcommand to the parser."""
    parser = commands.add_parser("demo", help=_("build the demo project"))
    parser.add_argument("project", help=_("path of the demo project file to create"))
    parser.add_argument(
        "--force",
        action="store_true",
        help=_("replace an existing file at that path (an earlier demo is always replaced)"),
    )
    parser.add_argument(
        "--national",
        type=int,
        metavar="N",
        help=_(
            "build instead a synthetic national-scale project of N dossiers "
            "(for benchmarks and tests)"
        ),
    )
    parser.add_argument(
        "--pilot",
        action="store_true",
        help=_(
            "carry the demo on to a published list and fill in its pilot year "
            "(milestones, progress reports, notes)"
        ),
    )
    parser.add_argument(
        "--recognition",
        metavar="SELECTION",
        help=_(
            "build instead the demo recognition round (认定验收) from a finalised selection project"
        ),
    )
    parser.add_argument("--round-name", help=_("the recognition round's name (with --recognition)"))
    parser.add_argument("--json", action="store_true", help=_("print JSON"))
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Build the demo project, reporting progress on standard error."""
    from review_desk.demo import build_demo

    path = Path(args.project)
    if path.exists():
        if not args.force and not is_demo_project(path):
            raise CommandError(tr("{path} already exists; use --force to replace it.", path=path))
        delete_project_files(path)
    if args.national is not None:
        return _national(path, args)
    if args.recognition is not None:
        return _recognition(path, args)

    def progress(done: int, total: int, what: str) -> None:
        if not args.json and sys.stderr.isatty():
            print(f"\r[{done}/{total}] {what[:30]:<30}", end="", file=sys.stderr, flush=True)

    try:
        project = build_demo(path, progress)
    except ProjectOpenError as error:
        raise CommandError(str(error)) from error
    pilot_year = None
    try:
        if args.pilot:
            from review_desk.demo.pilot import fill_pilot_year, publish_list

            publish_list(project)
            pilot_year = fill_pilot_year(project)
        summary = project.summary()
    finally:
        project.close()
    if sys.stderr.isatty() and not args.json:
        print(file=sys.stderr)
    if args.json:
        extra = {"pilot": pilot_year.__dict__} if pilot_year else {}
        print_json({"project": str(path), **summary.__dict__, **extra})
    else:
        print(
            tr(
                "Demo project written to {path}: {applicants} applicants, {dossiers} dossiers, "
                "{experts} experts in {panels} panels.",
                path=path,
                applicants=summary.applicants,
                dossiers=summary.dossiers,
                experts=summary.experts,
                panels=summary.panels,
            )
        )
        if pilot_year is not None:
            print(
                tr(
                    "Pilot year: {bases} bases, {milestones} milestones ({done} done), "
                    "{reports} progress reports, {notes} notes.",
                    **pilot_year.__dict__,
                )
            )
    return 0


def _national(path: Path, args: argparse.Namespace) -> int:
    """Build a synthetic national-scale project (not the demo) of ``args.national``
    dossiers."""
    from review_desk.demo.national import build_national

    if args.national < 1:
        raise CommandError(
            tr("The number of dossiers must be at least 1 (not {value}).", value=args.national)
        )
    try:
        built = build_national(path, dossiers=args.national)
    except ProjectOpenError as error:
        raise CommandError(str(error)) from error
    if args.json:
        print_json({**built.__dict__, "path": str(path)})
    else:
        print(
            tr(
                "National-scale project written to {path}: {dossiers} dossiers, {scores} "
                "scores, {experts} experts in {panels} panels ({seconds} s).",
                path=path,
                dossiers=built.dossiers,
                scores=built.scores,
                experts=built.experts,
                panels=built.panels,
                seconds=f"{built.seconds:.0f}",
            )
        )
    return 0


def _recognition(path: Path, args: argparse.Namespace) -> int:
    """Build the demo recognition round from the selection project ``args.recognition``."""
    from review_desk.demo.recognition import DEMO_ROUND, build_recognition_demo

    try:
        project = build_recognition_demo(
            args.recognition, path, round_name=args.round_name or DEMO_ROUND
        )
    except ProjectOpenError as error:
        raise CommandError(str(error)) from error
    with project:
        summary = project.summary()
    if args.json:
        print_json({"project": str(path), **summary.__dict__})
    else:
        print(
            tr(
                "Demo recognition round written to {path}: {dossiers} bases, {experts} "
                "experts in {panels} panels, {sheets} score sheets.",
                path=path,
                dossiers=summary.dossiers,
                experts=summary.experts,
                panels=summary.panels,
                sheets=summary.sheets_submitted,
            )
        )
    return 0
