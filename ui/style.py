"""The application's look: Fusion with a calm palette and a style sheet, and fonts that
show Chinese on Windows, macOS and Linux."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

# Tried in order; Qt falls back along the list for glyphs a font lacks.
UI_FONT_FAMILIES = [
    "Microsoft YaHei UI",
    "Microsoft YaHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "Noto Sans SC",
    "sans-serif",
]

ACCENT = "#1d4f91"
NAV_BG = "#16345d"

STYLE_SHEET = f"""
QMainWindow {{ background: #f3f5f8; }}
#navigation {{ background: {NAV_BG}; border: none; color: #dbe4f0; outline: 0; }}
#navigation::item {{ padding: 10px 18px; border-left: 3px solid transparent; }}
#navigation::item:selected {{ background: #21487c; color: white; border-left: 3px solid #f2b705; }}
#navigation::item:hover:!selected {{ background: #1c4170; }}
#navigation:disabled {{ color: #7088a8; }}
#navHeader {{ background: {NAV_BG}; color: white; }}
#appName {{ color: white; font-size: 17px; font-weight: 600; }}
#appTagline {{ color: #a9bbd3; font-size: 11px; }}
#topBar {{ background: white; border-bottom: 1px solid #dde3ea; }}
#projectName {{ font-size: 14px; font-weight: 600; color: #1f2937; }}
#projectPath {{ color: #667085; font-size: 11px; }}
#pageTitle {{ font-size: 20px; font-weight: 600; color: #101828; }}
#welcomeTitle {{ font-size: 28px; font-weight: 600; color: {ACCENT}; }}
#pageSubtitle {{ color: #475467; }}
#card {{ background: white; border: 1px solid #dde3ea; border-radius: 6px; }}
#cardTitle {{ font-weight: 600; color: #1f2937; font-size: 14px; }}
#statTile {{ background: #f5f8fc; border: 1px solid #e4eaf2; border-radius: 6px; }}
#statValue {{ font-size: 22px; font-weight: 600; color: {ACCENT}; min-width: 48px; }}
#statCaption {{ color: #475467; }}
#muted {{ color: #667085; }}
#countdown {{ font-size: 44px; font-weight: 600;
    font-family: "DejaVu Sans Mono", "Consolas", monospace; }}
#groupHeader {{ font-weight: 600; color: {ACCENT}; padding-top: 6px; }}
#totals {{ background: #eef4fb; border: 1px solid #cfdcec; border-radius: 4px; padding: 4px 8px;
    color: #1d4f91; font-weight: 600; }}
QPushButton#primaryButton {{ background: {ACCENT}; color: white; border: none;
    border-radius: 4px; padding: 6px 16px; font-weight: 600; }}
QPushButton#primaryButton:hover {{ background: #245da8; }}
QPushButton#primaryButton:disabled {{ background: #b8c7db; color: #f4f6f9; }}
QTableView {{ background: white; border: 1px solid #dde3ea; gridline-color: #eef1f5;
    selection-background-color: #dbe8f8; selection-color: #101828;
    alternate-background-color: #f8fafc; }}
QHeaderView::section {{ background: #eef2f7; border: none; border-right: 1px solid #dde3ea;
    border-bottom: 1px solid #dde3ea; padding: 5px 8px; font-weight: 600; color: #344054; }}
QTabWidget::pane {{ border: 1px solid #dde3ea; background: white; top: -1px; }}
QTabBar::tab {{ padding: 7px 18px; background: #eef2f7; border: 1px solid #dde3ea;
    border-bottom: none; margin-right: 2px; }}
QTabBar::tab:selected {{ background: white; color: {ACCENT}; font-weight: 600; }}
QLineEdit {{ padding: 5px 8px; border: 1px solid #cfd6df; border-radius: 4px; background: white; }}
QStatusBar {{ background: white; border-top: 1px solid #dde3ea; color: #475467; }}
"""


def apply_style(app: QApplication) -> None:
    """Give the application its font, palette and style sheet."""
    app.setStyle("Fusion")
    font = QFont()
    font.setFamilies(UI_FONT_FAMILIES)
    font.setPointSizeF(10.0)
    app.setFont(font)
    palette = app.palette()
    palette.setColor(QPalette.ColorRole.Window, QColor("#f3f5f8"))
    palette.setColor(QPalette.ColorRole.Highlight, QColor("#dbe8f8"))
    palette.setColor(QPalette.ColorRole.HighlightedText, QColor("#101828"))
    app.setPalette(palette)
    app.setStyleSheet(STYLE_SHEET)
