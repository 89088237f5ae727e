"""Pages whose features later work builds: each says what it will hold, with no data
made up in the meantime."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from review_desk.i18n import _

from ui.pages.base import Page, planned_card


class ChartsPage(Page):
    """图表."""

    key = "charts"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            _("The committee's dashboard: the ranking and its evidence as charts."),
            parent,
        )
        self.body.addWidget(
            planned_card(
                _("Coming with the results feature"),
                [
                    _(
                        "Ranking bars coloured by tier with the cutoff marked; per-direction "
                        "small multiples showing the cap of 2."
                    ),
                    _(
                        "Score dispersion per dossier, expert leniency, a criterion radar of a "
                        "dossier against its direction's average."
                    ),
                    _(
                        "A presentation mode for the meeting room: full screen, arrow keys "
                        "between charts, Esc to leave."
                    ),
                ],
                self,
            )
        )
        self.body.addStretch(1)


class ExportPage(Page):
    """导出."""

    key = "export"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            _("The results workbook and the publicity list (公示名单)."),
            parent,
        )
        self.body.addWidget(
            planned_card(
                _("Coming with the results feature"),
                [
                    _(
                        "An Excel workbook that opens cleanly in Excel, WPS and LibreOffice: "
                        "ranking, scores by expert and criterion, flags, adjustments, audit."
                    ),
                    _(
                        "The publicity list from the finalised ranking only, as a printable "
                        "sheet and a PDF in the official style."
                    ),
                ],
                self,
            )
        )
        self.body.addStretch(1)
