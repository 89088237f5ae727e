"""``review-desk pilot start|milestone|report|note|overdue|status``: the pilot year
(试点培育) of the published list, headless."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from review_desk.audit import utc_now
from review_desk.cli.common import CommandError, dossier_by_code, open_project, print_json
from review_desk.cli.publicity_cmd import _day
from review_desk.i18n import _, tr


def _clock() -> Any:
    """The clock the commands run on (looked up when called, so tests can set it)."""
    return utc_now


def _project(parser: Any) -> None:
    parser.add_argument("project", help=_("project file"))


def register(commands: Any) -> None:
    """Add the subcommands to the parser."""
    pilot = commands.add_parser("pilot", help=_("the pilot year of the published list"))
    actions = pilot.add_subparsers(dest="action", metavar=_("ACTION"), required=True)

    start = actions.add_parser("start", help=_("start the one-year pilot"))
    _project(start)
    start.add_argument("--start", type=_day, help=_("first day (YYYY-MM-DD; the publication day)"))
    start.set_defaults(handler=run_start)

    milestone = actions.add_parser("milestone", help=_("the bases' milestones"))
    steps = milestone.add_subparsers(dest="step", metavar=_("ACTION"), required=True)
    add = steps.add_parser("add", help=_("add a milestone"))
    _project(add)
    add.add_argument("--dossier", required=True, help=_("dossier code"))
    add.add_argument("--title", required=True, help=_("the milestone's task"))
    add.add_argument("--due", type=_day, required=True, help=_("due day (YYYY-MM-DD)"))
    add.add_argument("--description", default="", help=_("a description"))
    add.set_defaults(handler=run_milestone_add)
    imported = steps.add_parser("import", help=_("import milestones from a sheet"))
    _project(imported)
    imported.add_argument("sheet", help=_("the milestone sheet (Excel)"))
    imported.add_argument("--json", action="store_true", help=_("print JSON"))
    imported.set_defaults(handler=run_milestone_import)
    template = steps.add_parser("template", help=_("write the milestone sheet template"))
    template.add_argument("output", help=_("the template file to write (.xlsx)"))
    template.add_argument("--project", help=_("fill in the selected bases of this project"))
    template.set_defaults(handler=run_milestone_template)
    done = steps.add_parser("done", help=_("mark a milestone done"))
    _project(done)
    done.add_argument("--id", type=int, required=True, help=_("milestone number"))
    done.add_argument("--on", type=_day, help=_("day done (YYYY-MM-DD; today)"))
    done.add_argument("--note", default="", help=_("a note"))
    done.set_defaults(handler=run_milestone_done)
    listing = steps.add_parser("list", help=_("list the milestones"))
    _project(listing)
    listing.add_argument("--dossier", help=_("dossier code"))
    listing.add_argument("--json", action="store_true", help=_("print JSON"))
    listing.set_defaults(handler=run_milestone_list)
    proposed = steps.add_parser("propose", help=_("propose milestones from the dossier's plan"))
    _project(proposed)
    proposed.add_argument("--dossier", required=True, help=_("dossier code"))
    proposed.add_argument("--accept", action="store_true", help=_("store the proposals"))
    proposed.add_argument("--json", action="store_true", help=_("print JSON"))
    proposed.set_defaults(handler=run_milestone_propose)

    report = actions.add_parser("report", help=_("the bases' progress reports"))
    steps = report.add_subparsers(dest="step", metavar=_("ACTION"), required=True)
    add = steps.add_parser("add", help=_("store a progress report"))
    _project(add)
    add.add_argument("--dossier", required=True, help=_("dossier code"))
    add.add_argument("--file", required=True, help=_("the report (PDF)"))
    add.add_argument("--submitted", type=_day, required=True, help=_("day submitted"))
    add.add_argument("--covers-from", type=_day, help=_("first day covered"))
    add.add_argument("--covers-to", type=_day, help=_("last day covered"))
    add.add_argument("--summary", default="", help=_("a summary"))
    add.add_argument(
        "--milestone", type=int, action="append", default=[], help=_("a milestone it reports on")
    )
    add.set_defaults(handler=run_report_add)

    note = actions.add_parser("note", help=_("the agency's notes on the bases"))
    steps = note.add_subparsers(dest="step", metavar=_("ACTION"), required=True)
    add = steps.add_parser("add", help=_("write a note"))
    _project(add)
    add.add_argument("--dossier", required=True, help=_("dossier code"))
    add.add_argument("--text", required=True, help=_("the note"))
    add.set_defaults(handler=run_note_add)

    late = actions.add_parser("overdue", help=_("overdue milestones and missing reports"))
    _project(late)
    late.add_argument("--days", type=int, default=90, help=_("days without a report (90)"))
    late.add_argument("--json", action="store_true", help=_("print JSON"))
    late.set_defaults(handler=run_overdue)
    state = actions.add_parser("status", help=_("each base's progress"))
    _project(state)
    state.add_argument("--json", action="store_true", help=_("print JSON"))
    state.set_defaults(handler=run_status)


def run_start(args: argparse.Namespace) -> int:
    """Start the pilot."""
    from review_desk import pilot

    with open_project(args.project) as project:
        period = pilot.start(project, starts_on=args.start, clock=_clock())
    print(tr("Pilot started: {start} to {end}.", start=period.starts_on, end=period.ends_on))
    return 0


def run_milestone_add(args: argparse.Namespace) -> int:
    """Add one milestone."""
    from review_desk import pilot

    with open_project(args.project) as project:
        item = pilot.NewMilestone(
            dossier_by_code(project, args.dossier), args.title, args.due, args.description
        )
        ids = pilot.add_milestones(project, [item], clock=_clock())
    if not ids:
        raise CommandError(_("The base has this milestone already."))
    print(tr("Milestone No. {id} added.", id=ids[0]))
    return 0


def run_milestone_import(args: argparse.Namespace) -> int:
    """Import a milestone sheet; exit 1 when any row has a problem (nothing stored)."""
    from review_desk.pilot_import import import_milestones

    with open_project(args.project) as project:
        result = import_milestones(project, Path(args.sheet), clock=_clock())
    if args.json:
        print_json({"stored": result.stored, "issues": [i.as_dict() for i in result.issues]})
        return 0 if result.ok else 1
    for issue in result.issues:
        print(
            tr(
                "sheet {sheet} row {row} column {letter} {column}「{value}」: {problem}",
                sheet=issue.sheet, row=issue.row, letter=issue.letter,
                column=issue.column, value=issue.value, problem=issue.problem,
            )
        )  # fmt: skip
    if result.ok:
        print(tr("Milestones imported: {count}.", count=result.stored))
        return 0
    print(
        tr(
            "Nothing imported: {count} problems in the sheet. Correct them and import it again.",
            count=len(result.issues),
        )
    )
    return 1


def run_milestone_template(args: argparse.Namespace) -> int:
    """Write the milestone sheet template."""
    from review_desk.pilot_import import write_template

    output = Path(args.output)
    if output.suffix.lower() != ".xlsx":
        raise CommandError(_("The template is an .xlsx file."))
    if args.project:
        with open_project(args.project, write=False) as project:
            write_template(output, project)
    else:
        write_template(output)
    print(tr("Template written to {path}.", path=output))
    return 0


def run_milestone_done(args: argparse.Namespace) -> int:
    """Mark a milestone done."""
    from review_desk import pilot

    with open_project(args.project) as project:
        pilot.mark_done(project, args.id, done_on=args.on, note=args.note, clock=_clock())
    print(tr("Milestone No. {id} done.", id=args.id))
    return 0


_STATUS = {"open": lambda: _("open"), "done": lambda: _("done")}


def run_milestone_list(args: argparse.Namespace) -> int:
    """List the milestones."""
    from review_desk import pilot

    with open_project(args.project, write=False) as project:
        dossier = dossier_by_code(project, args.dossier) if args.dossier else None
        rows = pilot.list_milestones(project, dossier)
    if args.json:
        print_json([row.as_dict() for row in rows])
        return 0
    for row in rows:
        done = f"  {row.done_on}" if row.done_on else ""
        print(f"{row.id:>4}  {row.code}  {row.due_on}  {_STATUS[row.status]()}{done}  {row.title}")
    return 0


def run_milestone_propose(args: argparse.Namespace) -> int:
    """Print the milestones the plan proposes; store them with --accept."""
    from review_desk import pilot_proposals

    with open_project(args.project, write=args.accept) as project:
        found = pilot_proposals.from_plan(project, dossier_by_code(project, args.dossier))
        stored = pilot_proposals.accept(project, found, clock=_clock()) if args.accept else []
    if args.json:
        print_json({**found.as_dict(), "stored": stored})
        return 0
    if found.reason:
        print(found.reason)
        return 0
    print(tr("From {file}, page {page}:", file=found.file, page=found.page))
    for proposal in found.proposals:
        early = _("  (before the pilot starts)") if found.early(proposal) else ""
        print(f"    {proposal.due_on}  {proposal.title}{early}")
    if args.accept:
        print(tr("Milestones stored: {count}.", count=len(stored)))
    else:
        print(_("Nothing stored: run again with --accept to store them."))
    return 0


def run_report_add(args: argparse.Namespace) -> int:
    """Store a progress report."""
    from review_desk import pilot

    with open_project(args.project) as project:
        number = pilot.add_report(
            project,
            dossier_by_code(project, args.dossier),
            Path(args.file),
            submitted_on=args.submitted,
            covers_from=args.covers_from,
            covers_to=args.covers_to,
            summary=args.summary,
            milestone_ids=args.milestone,
            clock=_clock(),
        )
    print(tr("Progress report No. {id} stored.", id=number))
    return 0


def run_note_add(args: argparse.Namespace) -> int:
    """Write a note on a base."""
    from review_desk import pilot

    with open_project(args.project) as project:
        number = pilot.add_note(
            project, dossier_by_code(project, args.dossier), args.text, clock=_clock()
        )
    print(tr("Note No. {id} written.", id=number))
    return 0


def run_overdue(args: argparse.Namespace) -> int:
    """Print the overdue milestones and the bases without a recent report."""
    from review_desk import pilot_status

    if args.days < 1:
        raise CommandError(
            tr("The number of days must be at least 1 (not {value}).", value=args.days)
        )
    with open_project(args.project, write=False) as project:
        late = pilot_status.overdue(project, report_days=args.days, clock=_clock())
    if args.json:
        print_json(late.as_dict())
        return 0
    print(tr("Overdue milestones on {day}: {count}", day=late.today, count=len(late.milestones)))
    for x in late.milestones:
        print(
            tr(
                "    {code}  No. {id}  due {due}, {days} days overdue  {title}",
                code=x.code,
                id=x.milestone_id,
                due=x.due_on,
                days=x.days,
                title=x.title,
            )
        )
    print(tr("Bases without a report for {days} days: {count}", days=late.report_days,
             count=len(late.silent)))  # fmt: skip
    for s in late.silent:
        last = s.last_report or _("no report")
        print(
            tr("    {code}  last report: {last} ({days} days)", code=s.code, last=last, days=s.days)
        )
    return 0


def run_status(args: argparse.Namespace) -> int:
    """Print each base's progress."""
    from review_desk import pilot_status

    with open_project(args.project, write=False) as project:
        state = pilot_status.status(project, clock=_clock())
    if args.json:
        print_json(state.as_dict())
        return 0
    print(tr("Pilot: {start} to {end}", start=state.starts_on, end=state.ends_on))
    for b in state.bases:
        print(
            tr(
                "{code}  {applicant}: milestones {done}/{total}, overdue {overdue}, "
                "last report {last}",
                code=b.code, applicant=b.applicant, done=b.done, total=b.total,
                overdue=b.overdue, last=b.last_report or "-",
            )
        )  # fmt: skip
    return 0
