"""Pages whose features later work builds: each says what it will hold, with no data
made up in the meantime."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QWidget

from review_desk.i18n import _, tr

from ui.pages.base import Page, card, planned_card


class RankingPage(Page):
    """汇总排名."""

    key = "ranking"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            _(
                "Consolidated scores, deviation flags, reliability and the allocation of "
                "provincial and municipal/county places under the quotas."
            ),
            parent,
        )
        rules_card, rules_layout = card(_("Quota rules of this project"), self)
        form = QFormLayout()
        self.target = QLabel("-", rules_card)
        self.cap = QLabel("-", rules_card)
        form.addRow(_("Provincial bases in all") + "：", self.target)
        form.addRow(_("Per industry direction") + "：", self.cap)
        rules_layout.addLayout(form)
        self.body.addWidget(rules_card)
        self.body.addWidget(
            planned_card(
                _("Coming with the consolidation feature"),
                [
                    _(
                        "Per dossier and stage: mean, median or trimmed mean of the experts' "
                        "totals, optional normalisation, stage weights, bonus items and vetoes."
                    ),
                    _(
                        "Abnormally high or low scores (畸高畸低) flagged, each needing a "
                        "written explanation before the list is final."
                    ),
                    _("Reliability of each panel (ICC, Kendall's W) in plain words."),
                    _(
                        "The ranked list under the quotas, with tie-breaks explained, and the "
                        "committee's adjustments with their written reasons."
                    ),
                ],
                self,
            )
        )
        self.body.addStretch(1)

    def load(self) -> None:
        if self.project is None:
            return
        info = self.project.info()
        self.target.setText(
            tr(
                "about {target} (tolerance ±{tolerance})",
                target=info.provincial_target,
                tolerance=info.provincial_tolerance,
            )
        )
        self.cap.setText(
            tr(
                "at most {cap} provincial bases; the rest municipal or county",
                cap=info.per_direction_cap,
            )
        )


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
