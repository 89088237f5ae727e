"""``review-desk experts template|conflicts|rules``: the expert pool's template, the
conflict check per expert–dossier pair, and the project's conflict rules (the import
and the list are in panels_cmd, shared with the roster)."""

from __future__ import annotations

import argparse
from typing import Any

from review_desk.cli.common import open_project, print_json
from review_desk.i18n import _, tr


def register(actions: Any) -> None:
    """Add the pool's actions to ``experts``."""
    template = actions.add_parser(
        "template", help=_("write the expert pool template (专家库.xlsx)")
    )
    template.add_argument("file", help=_("the .xlsx file to write"))
    from review_desk.cli.intake_cmd import run_roster_template

    template.set_defaults(handler=run_roster_template)

    check = actions.add_parser(
        "conflicts",
        help=_("list every expert–dossier pair a conflict rule catches, with the reason"),
    )
    check.add_argument("project", help=_("project file"))
    check.add_argument(
        "--record",
        action="store_true",
        help=_("record a recusal for each pair not yet recused (its scores are refused)"),
    )
    check.add_argument("--json", action="store_true", help=_("print JSON"))
    check.set_defaults(handler=run_conflicts)

    rules = actions.add_parser("rules", help=_("show or set the conflict rules (回避规则)"))
    rules.add_argument("project", help=_("project file"))
    rules.add_argument(
        "--rule", help=_("the rule to set: organisation, relation, city, employment")
    )
    switch = rules.add_mutually_exclusive_group()
    switch.add_argument("--on", dest="enabled", action="store_const", const=True)
    switch.add_argument("--off", dest="enabled", action="store_const", const=False)
    rules.add_argument("--years", type=int, help=_("the employment rule's number of years"))
    rules.add_argument("--reason", help=_("the reason the rule states"))
    rules.add_argument("--json", action="store_true", help=_("print JSON"))
    rules.set_defaults(handler=run_rules)


def run_conflicts(args: argparse.Namespace) -> int:
    """List the conflicts; with --record, record the recusals. Exit 1 when a conflict is
    found after assignment and not yet recused."""
    from review_desk import conflicts as c

    with open_project(args.project, write=args.record) as project:
        listed = c.record_conflicts(project) if args.record else c.conflicts(project)
    late = [x for x in listed if x.status == c.AFTER]
    if args.json:
        print_json({"recorded": args.record, "conflicts": [x.as_dict() for x in listed]})
    else:
        for x in listed:
            print(
                tr(
                    "expert {expert_id} {expert} × {dossier}: {rule} ({status}) — {reason}",
                    expert_id=x.expert_id,
                    expert=x.expert,
                    dossier=x.dossier,
                    rule=c.rule_label(x.rule),
                    status=c.status_label(x.status),
                    reason=x.reason,
                )
            )
        if not listed:
            print(_("No conflicts found."))
        elif late and not args.record:
            print(
                tr(
                    "Warning: {count} conflicts were found after assignment; record them with "
                    "--record to block those scores.",
                    count=len(late),
                )
            )
        elif args.record:
            pairs = {(x.expert_id, x.dossier_id) for x in listed}
            print(tr("{count} recusals recorded.", count=len(pairs)))
    return 1 if late and not args.record else 0


def run_rules(args: argparse.Namespace) -> int:
    """Print the rules, after setting one when asked."""
    from review_desk import conflicts as c

    changing = args.enabled is not None or args.years is not None or args.reason is not None
    if changing and not args.rule:
        from review_desk.cli.common import CommandError

        raise CommandError(_("Name the rule to set with --rule."))
    with open_project(args.project, write=changing) as project:
        if changing:
            c.set_rule(
                project, args.rule, enabled=args.enabled, years=args.years, reason=args.reason
            )
        rules = c.rules(project)
    if args.json:
        print_json([r.as_dict() for r in rules])
        return 0
    for r in rules:
        years = tr(" ({years} years)", years=r.years) if r.years else ""
        state = _("on") if r.enabled else _("off")
        print(f"{r.rule}  {state}{years}  {c.rule_label(r.rule)}：{r.reason}")
    return 0
