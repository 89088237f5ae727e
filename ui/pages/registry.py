"""The workflow pages in navigation order, and which roles see each."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from ui.pages.base import Page
from ui.pages.experts import ExpertsPage
from ui.pages.formal_review import FormalReviewPage
from ui.pages.materials import MaterialsPage
from ui.pages.overview import OverviewPage
from ui.pages.planned import ChartsPage, DefensePage, ExportPage, RankingPage
from ui.pages.scoring import ScoringPage

PAGE_CLASSES: tuple[type[Page], ...] = (
    OverviewPage,
    MaterialsPage,
    FormalReviewPage,
    ExpertsPage,
    ScoringPage,
    DefensePage,
    RankingPage,
    ChartsPage,
    ExportPage,
)


def create_pages(parent: QWidget | None = None) -> list[Page]:
    """Create one instance of every page."""
    return [cls(parent) for cls in PAGE_CLASSES]
