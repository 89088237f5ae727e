"""A document laid out on numbered pages (第 N 页，共 M 页) with a footer, written whole
or not at all: the publicity list and the recognition documents share it. The total is
known once the story is laid out, so it is laid out twice, the first time in memory
only to count the pages."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from review_desk.atomic_file import replacing
from review_desk.documents.pdf_fonts import CHINESE_FONT, register_chinese_font
from review_desk.i18n import tr


def write_numbered_pdf(
    target: Path,
    story: Callable[[], list[Any]],
    *,
    title: str,
    footer: str,
    pagesize: tuple[float, float],
    top_margin_mm: float = 20,
    author: str = "",
) -> None:
    """Lay out ``story()`` (called once per layout: flowables are used up) on pages of
    ``pagesize`` with ``footer`` at the bottom left and the page number at the right,
    and write it to ``target`` whole."""
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    register_chinese_font()
    pages = {"total": 0}

    def on_page(canvas: Any, document: Any) -> None:
        pages["total"] = max(pages["total"], document.page)
        canvas.saveState()
        canvas.setFont(CHINESE_FONT, 8)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawString(20 * mm, 12 * mm, footer)
        canvas.drawRightString(
            pagesize[0] - 20 * mm,
            12 * mm,
            tr("Page {page} of {total}", page=document.page, total=pages["total"] or "?"),
        )
        canvas.restoreState()

    def build(output: Any) -> None:
        document = SimpleDocTemplate(
            output,
            pagesize=pagesize,
            leftMargin=20 * mm,
            rightMargin=20 * mm,
            topMargin=top_margin_mm * mm,
            bottomMargin=22 * mm,
            title=title,
            author=author,
            subject=footer,
            creator="Review Desk",
            invariant=True,
        )
        document.build(story(), onFirstPage=on_page, onLaterPages=on_page)

    build(io.BytesIO())
    with replacing(target) as partial:
        build(str(partial))
