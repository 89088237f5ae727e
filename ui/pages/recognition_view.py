"""What the 认定验收 page shows, read off the UI thread (``read_page``: the rounds made
from a selection project, or a recognition round's bases, flags, reliability and
finalised list), and how its rows read as text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from review_desk.formatting import local_time
from review_desk.i18n import _, tr
from review_desk.project import Project, ProjectInfo
from review_desk.ranking_values import DeviationFlag, PanelReliability
from review_desk.recognition import BaseOutcome, RecognitionList, outcome_label
from review_desk.recognition_round import RECOGNITION, RoundLink
from scoring_models.rubric_outcome import OutcomeThresholds


def when(value: datetime) -> str:
    """A moment as the page shows it (China time)."""
    return local_time(value)


def short_hash(content_hash: str | None) -> str:
    """The first 16 hex digits of a hash, or a dash."""
    return (content_hash or "")[:16] + "…" if content_hash else "—"


@dataclass(frozen=True)
class SelectionRead:
    """A selection project: the rounds made from it and why one cannot be made now."""

    info: ProjectInfo
    links: list[RoundLink]
    refusal: str | None


@dataclass(frozen=True)
class RecognitionRead:
    """A recognition project: its bases, deviation flags and panels' reliability,
    thresholds and finalised list (if any)."""

    info: ProjectInfo
    bases: list[BaseOutcome]
    deviations: list[DeviationFlag]
    reliability: list[PanelReliability]
    thresholds: OutcomeThresholds | None
    final: RecognitionList | None
    problem: str

    def unexplained(self) -> list[DeviationFlag]:
        """The deviation flags without a written explanation (they block finalising)."""
        return [flag for flag in self.deviations if not flag.explained]


def read_page(project: Project) -> SelectionRead | RecognitionRead:
    """The page's content for the project's kind, read at once."""
    from review_desk import recognition_round
    from review_desk.errors import UserError
    from review_desk.recognition import recognition_list, round_review
    from review_desk.recognition_round import RecognitionError
    from review_desk.rubrics import active_rubric

    info = project.info()
    if info.kind != RECOGNITION:
        refusal = recognition_round.source_refusal(project)
        if refusal is None and project.path is None:
            refusal = _(
                "A recognition round is made from a project file here; from a server project, "
                "use 'review-desk recognition create'."
            )
        return SelectionRead(info, recognition_round.round_links(project), refusal)
    problem, bases, deviations, reliability = "", [], [], []
    try:
        review = round_review(project)
        bases, deviations, reliability = review.bases, review.deviations(), review.reliability
    except UserError as error:
        problem = str(error)
    try:
        final: RecognitionList | None = recognition_list(project)
    except RecognitionError:
        final = None
    return RecognitionRead(
        info, bases, deviations, reliability, active_rubric(project).outcome, final, problem
    )


def found_text(link: RoundLink) -> str:
    """Whether a round's project file is found, as shown."""
    return _("found") if link.found else _("not found")


def score_text(base: BaseOutcome) -> str:
    """A consolidated score with two decimals, or a dash."""
    return f"{base.score:.2f}" if base.score is not None else "—"


def decision_text(base: BaseOutcome, finalised: bool = False) -> str:
    """The committee's decision, or that it has not decided (once the round is
    finalised: that the suggestion was adopted)."""
    if base.decided:
        return outcome_label(base.outcome)
    return _("suggestion adopted") if finalised else _("not decided")


def detail_text(base: BaseOutcome, deadline: str, finalised: bool = False) -> str:
    """A base's suggestion and decision, whole."""
    lines = [
        tr(
            "{code} {platform}: suggested {suggested} ({reason})",
            code=base.code,
            platform=base.platform,
            suggested=outcome_label(base.suggested),
            reason=base.suggestion_text,
        )
    ]
    if base.decided:
        decision = tr(
            "The committee decided {outcome} ({who})",
            outcome=outcome_label(base.outcome),
            who=base.decided_by,
        )
        lines.append(decision + (f"：{base.reason}" if base.reason else ""))
    elif finalised:
        lines.append(_("The committee adopted the suggestion."))
    else:
        lines.append(_("not decided (suggestion stands)"))
    if deadline:
        lines.append(tr("Rectify by {day}", day=deadline))
    return "\n".join(lines)
