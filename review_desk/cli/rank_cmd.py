"""``review-desk rank|explain|adjust|finalise``: the ranked list (汇总排名) headless."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import Any

from review_desk.cli.common import CommandError, dossier_by_code, open_project, print_json
from review_desk.domain import Tier
from review_desk.i18n import _, tr


def _whole(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(
                tr(
                    "{value} is not a whole number of at least {minimum}",
                    value=text,
                    minimum=minimum,
                )
            )
        return value

    return parse


def _score(text: str) -> float:
    """An argparse type: a score, a finite number of at least 0 (the rubric's total is
    checked once the project is open)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(tr("{value} is not a score of at least 0", value=text))
    return value


def register(commands: Any) -> None:
    """Add the subcommands to the parser."""
    rank = commands.add_parser("rank", help=_("print the ranked list"))
    rank.add_argument("project", help=_("project file"))
    rank.add_argument("--json", action="store_true", help=_("print JSON"))
    rank.add_argument("--target", type=_whole(1), help=_("number of provincial places"))
    rank.add_argument("--cap", type=_whole(1), help=_("provincial places per direction"))
    rank.add_argument(
        "--method",
        choices=["mean", "median", "trimmed"],
        default="trimmed",
        help=_("how expert totals are combined"),
    )
    rank.add_argument("--trim-min", type=_whole(3), default=5, help=_("experts needed to trim"))
    rank.add_argument("--normalise", action="store_true", help=_("z-score each expert"))
    rank.add_argument("--min-score", type=_score, help=_("lowest score to recommend"))
    rank.add_argument(
        "--resamples", type=_whole(0), default=1000, help=_("bootstrap resamples (0 skips)")
    )
    rank.set_defaults(handler=run_rank)

    explain = commands.add_parser("explain", help=_("record why a score deviates"))
    explain.add_argument("project", help=_("project file"))
    explain.add_argument("--dossier", required=True, help=_("dossier code"))
    explain.add_argument("--expert", type=int, required=True, help=_("expert id"))
    explain.add_argument("--text", required=True, help=_("the explanation"))
    explain.set_defaults(handler=run_explain)

    adjust = commands.add_parser("adjust", help=_("move a candidate to another tier"))
    adjust.add_argument("project", help=_("project file"))
    adjust.add_argument("--dossier", required=True, help=_("dossier code"))
    adjust.add_argument(
        "--tier",
        required=True,
        choices=[tier.value for tier in Tier.decisions()],
        help=_("the new tier"),
    )
    adjust.add_argument("--reason", required=True, help=_("the committee's written reason"))
    adjust.set_defaults(handler=run_adjust)

    finalise = commands.add_parser("finalise", help=_("lock the adjusted list"))
    finalise.add_argument("project", help=_("project file"))
    finalise.set_defaults(handler=run_finalise)


def run_rank(args: argparse.Namespace) -> int:
    """Print the list as a table or JSON."""
    from review_desk import ranking
    from review_desk.ranking_values import (
        encode_config,
        encode_deviations,
        encode_finalised,
        encode_non_applicable,
        encode_reliability,
    )

    with open_project(args.project, write=False) as project:
        try:
            result = ranking.compute(
                project,
                method=args.method,
                trim_min=args.trim_min,
                normalise=args.normalise,
                target=args.target,
                cap=args.cap,
                min_score=args.min_score,
                resamples=args.resamples,
            )
        except ranking.RankingError as error:
            raise CommandError(str(error)) from error
    if args.json:
        print_json(
            {
                "config": encode_config(result.config),
                "finalised": encode_finalised(result.finalised),
                "rows": result.rows(),
                "deviations": encode_deviations(result.experts),
                "reliability": [encode_reliability(entry) for entry in result.reliability],
                "non_applicable_scores": [
                    encode_non_applicable(entry) for entry in result.non_applicable
                ],
            }
        )
        return 0
    for row in result.rank_rows():
        shown = "—" if row.score is None else f"{row.score:.2f}"
        rank = row.rank if row.rank is not None else "—"
        tier = row.adjusted_tier.label
        if row.adjusted:
            tier = tr("{tier} (adjusted)", tier=tier)
        print(f"{rank!s:>4}  {row.code}  {shown:>6}  {tier}  {row.applicant}  {row.reason}")
    for entry in result.reliability:
        print(tr("Panel {panel}: ", panel=entry.panel) + ranking.reliability_reading(entry))
    _print_blocking(result)
    _print_non_applicable(result)
    if result.finalised:
        print(tr("Finalised; content hash {hash}", hash=result.finalised.content_hash))
        if result.finalised.changed_since:
            print(
                tr(
                    "Warning: these differ from the finalised list: {codes}",
                    codes="、".join(result.finalised.changed_since),
                )
            )
    return 0


def _print_non_applicable(result: Any) -> None:
    """Warn about stored points for criteria that do not apply (they are not counted)."""
    if not result.non_applicable:
        return
    print(
        tr(
            "Warning: {count} stored scores are for criteria that do not apply to the "
            "applicant's kind; they are not counted:",
            count=len(result.non_applicable),
        )
    )
    for entry in result.non_applicable:
        print(f"    {entry.code}  {entry.expert}  {entry.criterion}  {entry.points:g}")


def _print_blocking(result: Any) -> None:
    """Print the deviations that block finalising, one per line."""
    from review_desk import ranking_decisions

    if not result.finalised:
        print_blocking(ranking_decisions.blocking_deviations(result))


def print_blocking(waiting: list[tuple[str, str]]) -> None:
    """Print the deviations that block finalising (code, expert), one per line."""
    if not waiting:
        return
    print(
        tr(
            "Deviations without an explanation ({count}, they block finalising):",
            count=len(waiting),
        )
    )
    for code, expert in waiting:
        print(f"    {code}  {expert}")


def run_explain(args: argparse.Namespace) -> int:
    """Record an explanation."""
    from review_desk import ranking, ranking_decisions

    with open_project(args.project) as project:
        try:
            ranking_decisions.explain_deviation(
                project, dossier_by_code(project, args.dossier), args.expert, args.text
            )
        except ranking.RankingError as error:
            raise CommandError(str(error)) from error
    print(_("Explanation recorded."))
    return 0


def run_adjust(args: argparse.Namespace) -> int:
    """Record a committee adjustment."""
    from review_desk import ranking, ranking_decisions

    with open_project(args.project) as project:
        try:
            ranking_decisions.adjust(
                project, dossier_by_code(project, args.dossier), args.tier, args.reason
            )
        except ranking.RankingError as error:
            raise CommandError(str(error)) from error
    print(_("Adjustment recorded."))
    return 0


def run_finalise(args: argparse.Namespace) -> int:
    """Finalise the list."""
    from review_desk import ranking, ranking_decisions

    with open_project(args.project) as project:
        try:
            content_hash = ranking_decisions.finalise(project)
        except ranking.RankingError as error:
            raise CommandError(str(error)) from error
    print(tr("Finalised; content hash {hash}", hash=content_hash))
    return 0
