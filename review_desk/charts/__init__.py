"""The committee's charts, drawn with matplotlib's object API (no pyplot state), one
set of figure builders for the 图表 page and for ``review-desk chart``."""

from review_desk.i18n import _

# The chart kinds, here so that the CLI can list them without importing matplotlib.
KINDS = ("ranking", "directions", "dispersion", "leniency", "radar", "stability")
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
