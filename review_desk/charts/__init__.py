"""The committee's charts, drawn with matplotlib's object API (no pyplot state), one
set of figure builders for the 图表 page and for ``review-desk chart``."""

# The chart kinds, here so that the CLI can list them without importing matplotlib.
KINDS = ("ranking", "directions", "dispersion", "leniency", "radar", "stability")
