"""``review-desk export|publicity|chart``: the results workbook, the publicity list
and the committee's charts, headless."""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from review_desk.cli.common import CommandError, open_project, print_json
from review_desk.errors import os_error_reason
from review_desk.i18n import _, tr


def register(commands: Any) -> None:
    """Add the subcommands to the parser."""
    export = commands.add_parser("export", help=_("write the results workbook (.xlsx)"))
    export.add_argument("project", help=_("project file"))
    export.add_argument("--out", required=True, help=_("the workbook to write (.xlsx)"))
    export.add_argument(
        "--resamples", type=int, default=1000, help=_("bootstrap resamples (0 skips)")
    )
    export.add_argument("--json", action="store_true", help=_("print JSON"))
    export.set_defaults(handler=run_export)

    publicity = commands.add_parser(
        "publicity", help=_("write the publicity list from the finalised list")
    )
    publicity.add_argument("project", help=_("project file"))
    publicity.add_argument("--out", required=True, help=_("the file to write (.pdf or .xlsx)"))
    publicity.add_argument("--start", help=_("first day of the publicity period (YYYY-MM-DD)"))
    publicity.add_argument(
        "--days", type=int, default=7, help=_("length of the publicity period in days")
    )
    publicity.add_argument(
        "--office", help=_("where objections are sent (default: the project's organiser)")
    )
    publicity.add_argument("--phone", default="", help=_("telephone for objections"))
    publicity.add_argument("--email", default="", help=_("e-mail for objections"))
    publicity.add_argument("--address", default="", help=_("postal address for objections"))
    publicity.add_argument("--issuer", help=_("who issues the list (default: the organiser)"))
    publicity.set_defaults(handler=run_publicity)

    from review_desk.charts import KINDS, canonical_kind

    chart = commands.add_parser("chart", help=_("draw a chart (PNG, SVG or PDF, 300 dpi)"))
    chart.add_argument("project", help=_("project file"))
    chart.add_argument(
        "--kind",
        required=True,
        type=canonical_kind,
        choices=KINDS,
        metavar="{" + ",".join(KINDS) + "}",
        help=_("which chart"),
    )
    chart.add_argument("--out", required=True, help=_("the file to write (.png, .svg, .pdf)"))
    chart.add_argument("--dossier", help=_("dossier code (for the criterion radar)"))
    chart.add_argument("--dpi", type=int, default=None, help=_("resolution of PNG output"))
    chart.set_defaults(handler=run_chart)


def run_export(args: argparse.Namespace) -> int:
    """Write the workbook; print what it holds and the list's hash."""
    from review_desk.ranking import RankingError
    from review_desk.results.source import results_ranking
    from review_desk.results.workbook import export_workbook

    target = Path(args.out)
    if target.suffix.lower() != ".xlsx":
        raise CommandError(_("The workbook must be an .xlsx file."))
    with open_project(args.project, write=False) as project:
        try:
            result = results_ranking(project, resamples=max(args.resamples, 0))
            summary = export_workbook(project, target, result=result)
        except RankingError as error:
            raise CommandError(str(error)) from error
        except OSError as error:
            raise CommandError(
                tr("Cannot write {path}: {reason}", path=target, reason=os_error_reason(error))
            ) from error
    if args.json:
        print_json(
            {
                "path": str(summary.path),
                "sheets": summary.rows,
                "content_hash": summary.content_hash,
                "changed_since": summary.changed_since,
            }
        )
        return 0
    print(tr("Wrote {path}", path=summary.path))
    for title, count in summary.rows.items():
        print(tr("  {sheet}: {count} rows", sheet=title, count=count))
    if summary.content_hash:
        print(tr("Finalised list hash: {hash}", hash=summary.content_hash))
        if summary.changed_since:
            print(
                tr(
                    "Warning: today's scores differ from the finalised list for {codes}.",
                    codes="、".join(summary.changed_since),
                )
            )
    else:
        print(_("The list is not finalised: the workbook is marked as a working list."))
    return 0


def run_publicity(args: argparse.Namespace) -> int:
    """Write the publicity list (PDF or Excel) from the finalised list."""
    from sqlalchemy import select

    from review_desk.publicity import current_period
    from review_desk.results.publicity import (
        PublicityError,
        PublicityNotice,
        publicity_list,
        write_publicity_pdf,
        write_publicity_xlsx,
    )
    from review_desk.storage import models as m

    target = Path(args.out)
    suffix = target.suffix.lower()
    if suffix not in (".pdf", ".xlsx"):
        raise CommandError(_("The publicity list is written as .pdf or .xlsx."))
    try:
        start = date.fromisoformat(args.start) if args.start else date.today() + timedelta(days=1)
    except ValueError as error:
        raise CommandError(tr("Not a date: {value} (use YYYY-MM-DD).", value=args.start)) from error
    if args.days < 1:
        raise CommandError(_("The publicity period lasts at least one day."))
    end = start + timedelta(days=args.days - 1)
    with open_project(args.project, write=False) as project:
        with project.reading() as session:
            organiser = session.scalars(select(m.ReviewProject.organiser)).one()
            period = current_period(session)
            if period is not None and not args.start:
                # The period the agency opened, unless the command names another.
                start, end = period.starts_on, period.ends_on
        notice = PublicityNotice(
            start=start,
            end=end,
            contact_office=args.office or organiser,
            contact_phone=args.phone,
            contact_email=args.email,
            address=args.address,
            issuer=args.issuer if args.issuer is not None else organiser,
            issued_on=start,
        )
        try:
            listing = publicity_list(project)
            writer = write_publicity_pdf if suffix == ".pdf" else write_publicity_xlsx
            writer(target, listing, notice)
        except PublicityError as error:
            raise CommandError(str(error)) from error
        except OSError as error:
            raise CommandError(
                tr("Cannot write {path}: {reason}", path=target, reason=os_error_reason(error))
            ) from error
    print(tr("Wrote {path}", path=target))
    print(tr("Finalised list hash: {hash}", hash=listing.content_hash))
    print(tr("List version: {version}", version=listing.standing.version))
    return 0


def run_chart(args: argparse.Namespace) -> int:
    """Draw one chart to a file."""
    from sqlalchemy import select

    from review_desk.charts.data import chart_data
    from review_desk.charts.figures import build_chart
    from review_desk.charts.fonts import NoChineseFont
    from review_desk.ranking import RankingError
    from review_desk.storage import models as m

    target = Path(args.out)
    if target.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise CommandError(_("Charts are written as .png, .svg or .pdf."))
    with open_project(args.project, write=False) as project:
        dossier_id = None
        if args.dossier:
            with project.reading() as session:
                dossier_id = session.scalars(
                    select(m.Dossier.id).where(m.Dossier.code == args.dossier)
                ).first()
            if dossier_id is None:
                raise CommandError(tr("No dossier with code {code}.", code=args.dossier))
        try:
            chart = build_chart(args.kind, chart_data(project), dossier_id=dossier_id)
            chart.save(target, dpi=args.dpi)
        except (RankingError, NoChineseFont) as error:
            raise CommandError(str(error)) from error
        except OSError as error:
            raise CommandError(
                tr("Cannot write {path}: {reason}", path=target, reason=os_error_reason(error))
            ) from error
    print(tr("Wrote {path}", path=target))
    return 0
