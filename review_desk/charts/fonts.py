"""A Chinese font for the charts, resolved from what the system has: the usual ones of
Windows, macOS and Linux first, then any installed font that has the glyphs."""

from __future__ import annotations

from functools import cache
from typing import Any

from review_desk.i18n import _

# Windows, then macOS, then Linux (and Source Han, Noto's other name).
CANDIDATES = (
    "Microsoft YaHei",
    "Microsoft YaHei UI",
    "DengXian",
    "SimHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Heiti SC",
    "STHeiti",
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
    "Noto Serif CJK SC",
    "Songti SC",
    "SimSun",
    "Arial Unicode MS",
)
_PROBE = "评审排名省级"


class NoChineseFont(Exception):
    """No installed font can draw Chinese."""


@cache
def chinese_font() -> str:
    """The family name of a font that draws Chinese; raises ``NoChineseFont``."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    entries = font_manager.fontManager.ttflist
    names = {entry.name for entry in entries}
    for candidate in CANDIDATES:
        if candidate in names:
            return candidate
    for entry in entries:
        try:
            charmap = FT2Font(entry.fname).get_charmap()
        except (OSError, RuntimeError):
            continue
        if all(ord(ch) in charmap for ch in _PROBE):
            return str(entry.name)
    raise NoChineseFont(
        _("No Chinese font found: install one (for example fonts-noto-cjk on Debian/Ubuntu).")
    )


def font_rc() -> dict[Any, Any]:
    """The matplotlib settings that make figures draw Chinese. Applied with
    ``matplotlib.rc_context`` while a figure is built and saved, not set globally:
    texts keep the font they were made with, and the process's defaults stay as
    they were for any other matplotlib user."""
    return {
        "font.family": [chinese_font(), "DejaVu Sans"],
        "axes.unicode_minus": False,  # the Unicode minus is missing in some CJK fonts
        "svg.fonttype": "path",  # SVG text as outlines: no font needed to view it
        "pdf.fonttype": 42,  # embed TrueType/OpenType outlines
    }
