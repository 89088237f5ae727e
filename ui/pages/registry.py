"""The workflow pages in navigation order: key, title, the roles that see each, and where
its class lives. A page's place in this list is also its key (Ctrl+1 … Ctrl+9, Ctrl+0,
then Alt+1 …). Pages are imported and built on first view, so start-up pays only for the
page it shows."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from review_desk.i18n import _

if TYPE_CHECKING:
    from ui.pages.base import Page

EXPERT, AGENCY, COMMITTEE = "expert", "agency", "committee"
# The kinds of project (review_desk.project.ProjectInfo.kind): a selection round, and a
# recognition round (认定验收) made from one.
SELECTION, RECOGNITION = "selection", "recognition"
BOTH_KINDS = (SELECTION, RECOGNITION)
# A formal reviewer of a department: only as a server account (a project file has no
# accounts, and its agency role covers the formal review).
REVIEWER = "reviewer"


@dataclass(frozen=True)
class PageSpec:
    """What the navigation needs to know of a page before it exists."""

    key: str
    title: str
    roles: tuple[str, ...]
    class_path: str  # "module:Class"
    kinds: tuple[str, ...] = BOTH_KINDS  # the kinds of project that show the page

    def create(self, parent: QWidget | None = None) -> Page:
        """Import the page's module and build the page."""
        module_name, class_name = self.class_path.split(":")
        page: Page = getattr(importlib.import_module(module_name), class_name)(parent)
        return page


@cache
def page_specs() -> tuple[PageSpec, ...]:
    """Return every page, in navigation order."""
    return (
        PageSpec(
            "overview",
            _("Project overview"),
            (EXPERT, AGENCY, REVIEWER, COMMITTEE),
            "ui.pages.overview:OverviewPage",
        ),
        # The committee reads dossiers too (read-only: import is the agency's), so that
        # a click on a dossier in the charts can open it.
        PageSpec(
            "materials",
            _("Dossiers"),
            (EXPERT, AGENCY, REVIEWER, COMMITTEE),
            "ui.pages.materials:MaterialsPage",
        ),
        PageSpec(
            "formal_review",
            _("Formal review"),
            (AGENCY, REVIEWER),
            "ui.pages.formal_review:FormalReviewPage",
        ),
        # The committee opens the draws alone (their records and verification).
        PageSpec(
            "experts", _("Experts and panels"), (AGENCY, COMMITTEE), "ui.pages.experts:ExpertsPage"
        ),
        PageSpec("scoring", _("Scoring"), (EXPERT, AGENCY), "ui.pages.scoring:ScoringPage"),
        PageSpec(
            "defense", _("Defense and inspection"), (EXPERT, AGENCY), "ui.pages.defense:DefensePage"
        ),
        PageSpec(
            "ranking",
            _("Consolidation and ranking"),
            (AGENCY, COMMITTEE),
            "ui.pages.ranking:RankingPage",
            (SELECTION,),
        ),
        PageSpec(
            "charts", _("Charts"), (AGENCY, COMMITTEE), "ui.pages.charts:ChartsPage", (SELECTION,)
        ),
        PageSpec(
            "export", _("Export"), (AGENCY, COMMITTEE), "ui.pages.export:ExportPage", (SELECTION,)
        ),
        PageSpec(
            "publicity",
            _("Publicity and objections"),
            (AGENCY, COMMITTEE),
            "ui.pages.publicity:PublicityPage",
            (SELECTION,),
        ),
        PageSpec(
            "pilot",
            _("Pilot year"),
            (AGENCY, COMMITTEE),
            "ui.pages.pilot:PilotPage",
            (SELECTION,),
        ),
        PageSpec(
            "recognition",
            _("Recognition"),
            (AGENCY, COMMITTEE),
            "ui.pages.recognition:RecognitionPage",
            (SELECTION, RECOGNITION),
        ),
    )


def page_shortcut(key: str) -> str:
    """The page's key by its place in the full list: Ctrl+1 … Ctrl+9, Ctrl+0 for the
    tenth, then Alt+1 …; the same in every role (a page a role does not see keeps
    its key, unused)."""
    number = next(i for i, spec in enumerate(page_specs(), start=1) if spec.key == key)
    if number < 10:
        return f"Ctrl+{number}"
    if number == 10:
        return "Ctrl+0"
    return f"Alt+{number - 10}"


def spec_for(key: str) -> PageSpec:
    """Return the spec of the page with ``key``."""
    for spec in page_specs():
        if spec.key == key:
            return spec
    raise KeyError(key)
