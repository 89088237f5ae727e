"""The committee's charts, drawn with matplotlib's object API (no pyplot state), one
set of figure builders for the 图表 page and for ``review-desk chart``."""
