"""The committee's charts, drawn with matplotlib's object API (no pyplot state), one
set of figure builders for the 图表 page and for ``review-desk chart``."""

from review_desk.i18n import _

# The chart kinds, here so that the CLI can list them without importing matplotlib.
KINDS = ("ranking", "directions", "dispersion", "leniency", "radar", "stability")


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
