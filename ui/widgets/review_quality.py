"""The tables of a round's scoring quality, shared by 汇总排名 and 认定验收: the deviation
flags (畸高畸低) with their written explanations, each panel's reliability (ICC, Kendall's
W), and the explanation dialog's prompt. The values are the core's
(``review_desk.ranking_values``); only how they are shown lives here."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from review_desk.i18n import _, tr
from review_desk.ranking import reliability_reading
from review_desk.ranking_values import DeviationDirection, DeviationFlag, PanelReliability

from ui.models.row_table import Column

UNEXPLAINED_COLOUR = "#9b1c1c"


def score_text(value: Any) -> str:
    """A score with two decimals, or a dash when missing (or negative: unscored)."""
    if value is None or (isinstance(value, float) and (math.isnan(value) or value < 0)):
        return "—"
    return f"{value:.2f}"


def direction_text(flag: DeviationFlag) -> str:
    """畸高 or 畸低."""
    if flag.direction == DeviationDirection.HIGH:
        return _("abnormally high")
    return _("abnormally low")


def deviation_columns() -> list[Column[DeviationFlag]]:
    """The deviation flags' columns; the explanation (stretched, index 6) reads
    "missing" in red while there is none."""
    return [
        Column[DeviationFlag](_("Dossier no."), lambda r: r.code),
        Column[DeviationFlag](_("Expert"), lambda r: r.expert),
        Column[DeviationFlag](_("Expert total"), lambda r: score_text(r.total), align_right=True),
        Column[DeviationFlag](
            _("Others' mean"), lambda r: score_text(r.mean_others), align_right=True
        ),
        Column[DeviationFlag](
            _("Gap"),
            lambda r: f"{r.gap_percent:+.1f}%",
            sort_key=lambda r: abs(r.gap_percent),
            align_right=True,
        ),
        Column[DeviationFlag](_("High/low"), direction_text),
        Column[DeviationFlag](
            _("Explanation"),
            lambda r: r.note or _("missing"),
            foreground=lambda r: None if r.note else UNEXPLAINED_COLOUR,
            tooltip=lambda r: r.note,
        ),
    ]


def reliability_columns(
    panel_name: Callable[[int], str] = str,
) -> list[Column[PanelReliability]]:
    """Each panel's reliability: the panel (``panel_name`` of its id), its block's size,
    ICC(2,k), ICC(2,1), Kendall's W and a plain reading (stretched, index 6)."""
    return [
        Column[PanelReliability](_("Panel"), lambda r: panel_name(r.panel)),
        Column[PanelReliability](_("Dossiers"), lambda r: str(r.dossiers), align_right=True),
        Column[PanelReliability](_("Experts"), lambda r: str(r.experts), align_right=True),
        Column[PanelReliability](
            "ICC(2,k)",
            lambda r: f"{r.icc['ICC(2,k)']:.2f}" if r.icc else "—",
            align_right=True,
        ),
        Column[PanelReliability](
            "ICC(2,1)",
            lambda r: f"{r.icc['ICC(2,1)']:.2f}" if r.icc else "—",
            align_right=True,
        ),
        Column[PanelReliability](
            "Kendall W",
            lambda r: f"{r.kendall_w:.2f}" if r.kendall_w is not None else "—",
            align_right=True,
        ),
        Column[PanelReliability](_("Reading"), reliability_reading, tooltip=reliability_reading),
    ]


def explanation_prompt(flag: DeviationFlag) -> str:
    """What the explanation dialog asks about a deviating score."""
    return tr(
        "{expert} gave {code} {total}, {gap} from the other experts' mean {mean}. "
        "Record the expert's explanation (or the agency's finding).",
        expert=flag.expert,
        code=flag.code,
        total=score_text(flag.total),
        gap=f"{flag.gap_percent:+.1f}%",
        mean=score_text(flag.mean_others),
    )
