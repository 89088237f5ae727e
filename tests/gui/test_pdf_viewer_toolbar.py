"""The PDF viewer's toolbar never overlaps: beside the score form (narrow) the search
tools take a second row; in the materials page (wide) they share the first."""

from __future__ import annotations

from PySide6.QtCore import QRect

from ui.widgets.pdf_viewer import PdfViewer


def _rects(viewer: PdfViewer) -> dict[str, QRect]:
    names = (
        "thumbnails_button",
        "previous_button",
        "page_box",
        "page_count_label",
        "next_button",
        "zoom_out_button",
        "zoom_in_button",
        "fit_width_button",
        "fit_page_button",
        "search_box",
        "search_previous_button",
        "search_next_button",
        "open_button",
    )
    return {name: getattr(viewer, name).geometry() for name in names}


def _same_row(viewer: PdfViewer) -> bool:
    search, previous = viewer.search_box.geometry(), viewer.previous_button.geometry()
    return previous.top() <= search.center().y() <= previous.bottom()


def _assert_no_overlap(rects: dict[str, QRect]) -> None:
    items = list(rects.items())
    for i, (a, ra) in enumerate(items):
        for b, rb in items[i + 1 :]:
            assert not ra.intersects(rb), (a, ra, b, rb)


def test_the_toolbar_wraps_rather_than_overlaps(qtbot) -> None:  # type: ignore[no-untyped-def]
    viewer = PdfViewer()
    qtbot.addWidget(viewer)
    viewer.resize(400, 500)
    viewer.show()
    qtbot.waitUntil(lambda: not _same_row(viewer))
    _assert_no_overlap(_rects(viewer))
    for name, rect in _rects(viewer).items():
        widget = getattr(viewer, name)
        assert rect.width() >= widget.minimumSizeHint().width(), name  # nothing squeezed
    viewer.resize(1100, 500)
    qtbot.waitUntil(lambda: _same_row(viewer))
    _assert_no_overlap(_rects(viewer))
