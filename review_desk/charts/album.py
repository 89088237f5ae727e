"""Every chart of a project saved at once, for the committee's papers: each chart as a
PNG (for Word, WPS and slides) and an SVG (scalable), and all of them in one PDF album,
one page per chart, ready to print or send.

One PDF for all the charts rather than one per chart: the Chinese font is subset and
embedded once for the whole album instead of once per file, which was most of the
time the export took (about a second per PDF file), and a meeting wants one document.
A single chart's PDF is still written by ``review-desk chart --out FILE.pdf`` and by the
图表 page's "save this chart"."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from review_desk.charts import KINDS, export_dpi, kind_title
from review_desk.i18n import _
from review_desk.progress import Progress, report

if TYPE_CHECKING:
    from review_desk.charts.data import ChartData
    from review_desk.project import Project

# The formats each chart is written in, beside the album.
IMAGE_SUFFIXES = (".png", ".svg")


def album_name() -> str:
    """The album's file name, in the user's language."""
    return _("All charts") + ".pdf"


def chart_file_name(index: int, kind: str, suffix: str) -> str:
    """The file name of chart number ``index`` (from 1) of ``kind``."""
    return f"{index:02d}_{kind_title(kind)}{suffix}"


def save_all_charts(project: Project, folder: Path, progress: Progress | None = None) -> list[Path]:
    """Write every chart of ``project`` into ``folder`` (see :func:`save_charts`),
    computing the ranking once for all of them."""
    from review_desk.charts.data import chart_data

    report(progress, 0, len(KINDS) + 2, _("Computing the ranking…"))
    return save_charts(chart_data(project), folder, progress)


def save_charts(data: ChartData, folder: Path, progress: Progress | None = None) -> list[Path]:
    """Write every chart of ``data`` into ``folder`` as PNG and SVG, and the PDF album
    with all of them; return the files written, the album last. Raises ``Cancelled``
    (from ``progress``) between charts: the files already written stay, and the album
    is only ever written complete."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_pdf import PdfPages

    from review_desk.charts.figures import build_chart
    from review_desk.charts.fonts import font_rc

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    steps = len(KINDS) + 2
    written: list[Path] = []
    charts = []
    for index, kind in enumerate(KINDS, start=1):
        report(progress, index, steps, kind_title(kind))
        chart = build_chart(kind, data)  # drawn once, written in each format
        for suffix in IMAGE_SUFFIXES:
            path = folder / chart_file_name(index, kind, suffix)
            chart.save(path)
            written.append(path)
        charts.append(chart)
    report(progress, steps - 1, steps, _("Writing the PDF album…"))
    album = folder / album_name()
    partial = album.with_name(album.name + ".part")
    try:
        with rc_context(font_rc()), PdfPages(partial, metadata={"Title": _("All charts")}) as pdf:
            for chart in charts:
                pdf.savefig(chart.figure, dpi=export_dpi())
        partial.replace(album)
    finally:
        partial.unlink(missing_ok=True)
    written.append(album)
    report(progress, steps, steps, "")
    return written
