"""评分: every assignment and the state of its score sheet."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from review_desk import queries
from review_desk.domain import SheetStatus
from review_desk.formatting import local_time, points
from review_desk.i18n import _

from ui.models.row_table import Column
from ui.pages.base import Page, planned_card
from ui.widgets.data_table import DataTable

_STATUS_COLOURS = {"submitted": "#067647", "draft": "#b54708", "not_started": "#667085"}


class ScoringPage(Page):
    """Assignments with their score sheets' status; the scoring desk comes later."""

    key = "scoring"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            _("Each expert's assigned dossiers and how far each score sheet has come."),
            parent,
        )
        self.body.addWidget(
            planned_card(
                _("Coming with the scoring desk"),
                [
                    _(
                        "The dossier's PDF beside the score form, keyboard-first, with the "
                        "guideline rubric's bands and guidance at hand."
                    ),
                    _(
                        "Autosave of every keystroke, undo and redo, submission that locks the "
                        "sheet."
                    ),
                ],
                self,
            )
        )
        self.table = DataTable(
            [
                Column(_("Expert"), lambda r: r.expert),
                Column(_("Dossier no."), lambda r: r.dossier_code),
                Column(_("Direction"), lambda r: r.direction),
                Column(
                    _("Status"),
                    lambda r: SheetStatus(r.status).label,
                    foreground=lambda r: _STATUS_COLOURS.get(r.status),
                ),
                Column(
                    _("Criteria scored"),
                    lambda r: f"{r.filled}/{r.criteria}",
                    lambda r: r.filled,
                    True,
                ),
                Column(_("Points so far"), lambda r: points(r.total), lambda r: r.total or 0, True),
                Column(_("Last change"), lambda r: local_time(r.updated_at)),
                Column(_("Platform"), lambda r: r.platform_name),
            ],
            stretch_column=7,
            parent=self,
        )
        self.body.addWidget(self.table, 1)

    def load(self) -> None:
        if self.project is None:
            return
        self.table.set_rows(queries.score_sheets(self.project))
