"""The font of the PDFs the core writes (score sheets, the publicity list, the demo
dossiers): the standard Adobe CID font STSong-Light, which PDF readers supply for
Chinese, so no font file ships with the app."""

from __future__ import annotations

CHINESE_FONT = "STSong-Light"


def register_chinese_font() -> None:
    """Register :data:`CHINESE_FONT` with reportlab (once per process)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if CHINESE_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CHINESE_FONT))
