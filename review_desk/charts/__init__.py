"""The committee's charts, drawn with matplotlib's object API (no pyplot state), one
set of figure builders for the 图表 page and for ``review-desk chart``."""

import os

from review_desk.i18n import _

# The chart kinds, here so that the CLI can list them without importing matplotlib.
KINDS = ("ranking", "directions", "dispersion", "leniency", "radar", "stability")
# Charts are written at this resolution unless $REVIEW_DESK_CHART_DPI says otherwise.
DEFAULT_DPI = 300
DPI_VARIABLE = "REVIEW_DESK_CHART_DPI"
# Other names people use for them (the command line accepts these too).
ALIASES = {
    "bars": "ranking",
    "direction": "directions",
    "per-direction": "directions",
    "cap": "directions",
    "box": "dispersion",
    "spread": "dispersion",
    "experts": "leniency",
    "criteria": "radar",
    "criterion": "radar",
    "probability": "stability",
    "selection": "stability",
}


def canonical_kind(name: str) -> str:
    """The chart kind a name (a kind or one of its aliases) stands for."""
    key = name.strip().lower()
    return ALIASES.get(key, key)


def kind_title(kind: str) -> str:
    """A chart kind's name as shown to users."""
    return {
        "ranking": _("Ranking"),
        "directions": _("Directions and the per-direction cap"),
        "dispersion": _("Score dispersion per dossier"),
        "leniency": _("Expert leniency"),
        "radar": _("Criterion profile"),
        "stability": _("Selection probability (stability analysis)"),
    }[kind]


def export_dpi() -> int:
    """The resolution charts are written at: ``DEFAULT_DPI``, or ``$REVIEW_DESK_CHART_DPI``
    when set to a positive whole number (the test suite draws at a low resolution, where
    300 dpi would only cost time)."""
    value = os.environ.get(DPI_VARIABLE, "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else DEFAULT_DPI
