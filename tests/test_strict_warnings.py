"""The suite's strictness itself: warnings that must fail a test do."""

from __future__ import annotations


def test_missing_glyph_warning_fails_the_suite() -> None:
    """pyproject's filterwarnings turns matplotlib's missing-glyph warning into an error,
    so a chart that would show boxes instead of Chinese fails its test."""
    import pytest
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure()
    FigureCanvasAgg(figure)
    figure.add_subplot().set_title("评审台")
    with (
        rc_context({"font.family": ["DejaVu Sans"]}),
        pytest.raises(UserWarning, match="missing from font"),
    ):
        figure.canvas.draw()
