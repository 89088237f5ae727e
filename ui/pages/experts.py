"""专家与分组: the expert roster, the panels and the recusals."""

from __future__ import annotations

from PySide6.QtWidgets import QTabWidget, QWidget

from review_desk import queries
from review_desk.formatting import local_time
from review_desk.i18n import _

from ui.models.row_table import Column
from ui.pages.base import Page
from ui.widgets.data_table import DataTable


def recusal_source_label(source: str) -> str:
    """Return who raised a recusal, for display."""
    return {
        "expert": _("Declared by the expert"),
        "agency": _("Recorded by the agency"),
        "detected": _("Detected automatically"),
    }.get(source, source)


class ExpertsPage(Page):
    """Experts, panels and conflicts of interest."""

    key = "experts"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            _(
                "The expert roster, the panels with their leaders and directions, each "
                "expert's load, and the recusals. Roster import and assignment editing come "
                "with the scoring feature."
            ),
            parent,
        )
        tabs = QTabWidget(self)
        self.experts = DataTable(
            [
                Column(_("Name"), lambda r: r.name),
                Column(_("Organisation"), lambda r: r.organisation),
                Column(_("Field"), lambda r: r.field),
                Column(_("Panel"), lambda r: "、".join(r.panels)),
                Column(_("Assigned"), lambda r: str(r.assigned), lambda r: r.assigned, True),
                Column(_("Submitted"), lambda r: str(r.submitted), lambda r: r.submitted, True),
                Column(_("Recused"), lambda r: str(r.recused), lambda r: r.recused, True),
                Column(_("Phone"), lambda r: r.phone),
                Column(_("Email"), lambda r: r.email),
            ],
            stretch_column=1,
            parent=tabs,
        )
        self.panels = DataTable(
            [
                Column(_("Panel"), lambda r: r.name),
                Column(_("Leader"), lambda r: r.leader),
                Column(_("Members"), lambda r: "、".join(r.members)),
                Column(_("Dossiers"), lambda r: str(r.dossiers), lambda r: r.dossiers, True),
                Column(
                    _("Directions"),
                    lambda r: "、".join(r.directions),
                    tooltip=lambda r: "、".join(r.directions),
                ),
            ],
            searchable=False,
            stretch_column=4,
            parent=tabs,
        )
        self.recusals = DataTable(
            [
                Column(_("Expert"), lambda r: r.expert),
                Column(_("Dossier no."), lambda r: r.dossier_code),
                Column(_("Lead applicant"), lambda r: r.applicant),
                Column(_("Raised by"), lambda r: recusal_source_label(r.source)),
                Column(_("Recorded"), lambda r: local_time(r.declared_at)),
                Column(_("Reason"), lambda r: r.reason, tooltip=lambda r: r.reason),
            ],
            searchable=False,
            stretch_column=5,
            parent=tabs,
        )
        tabs.addTab(self.experts, _("Experts"))
        tabs.addTab(self.panels, _("Panels"))
        tabs.addTab(self.recusals, _("Recusals"))
        self.tabs = tabs
        self.body.addWidget(tabs, 1)

    def load(self) -> None:
        if self.project is None:
            return
        self.experts.set_rows(queries.experts(self.project))
        self.panels.set_rows(queries.panels(self.project))
        self.recusals.set_rows(queries.recusals(self.project))
