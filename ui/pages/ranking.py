"""汇总排名: the consolidated, ranked list under the quotas, with its parameters, the
what-if difference, deviation explanations, panel reliability, stability, the
committee's adjustments and finalisation. Every computation, and every decision (which
recomputes the list), runs off the UI thread as the page's operation."""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from review_desk import queries, ranking, ranking_decisions
from review_desk.changes import NOTHING, Changes
from review_desk.domain import Level, Tier
from review_desk.i18n import _, tr
from review_desk.progress import Cancelled, Progress
from review_desk.project import Project
from review_desk.ranking_values import (
    ExpertLeniency,
    RankingOptions,
    RankRow,
    TierChange,
    direction_summaries,
)
from scoring_models.rubric import N_

from ui.current_user import current_user
from ui.dialogs.reason_dialog import ReasonDialog
from ui.models.row_table import Column
from ui.pages.base import Page, card
from ui.widgets.data_table import DataTable
from ui.widgets.filter_bar import FilterBar
from ui.widgets.review_quality import (
    deviation_columns,
    explanation_prompt,
    reliability_columns,
    score_text,
)

TIER_COLOURS = {
    Tier.PROVINCIAL: "#1d6b3a",
    Tier.MUNICIPAL: "#1f4e79",
    Tier.NOT_RECOMMENDED: "#8a5a00",
    Tier.INELIGIBLE: "#9b1c1c",
    Tier.TIED: "#b03a00",
}
METHODS = (("trimmed", N_("Trimmed mean")), ("mean", N_("Mean")), ("median", N_("Median")))


def _percent(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value * 100:.0f}%"


def _rank_columns() -> list[Column[RankRow]]:
    return [
        Column(
            _("Rank"),
            lambda r: str(r.rank) if r.rank is not None else "—",
            sort_key=lambda r: r.rank if r.rank is not None else 10**9,
            align_right=True,
        ),
        Column(_("Dossier no."), lambda r: r.code),
        Column(_("Lead applicant"), lambda r: r.applicant, tooltip=lambda r: r.applicant),
        Column(_("Direction"), lambda r: r.direction),
        Column(
            _("Level applied for"),
            lambda r: _("provincial") if r.requested_level == Level.PROVINCIAL else _("municipal"),
        ),
        Column(
            _("Score"),
            lambda r: score_text(r.score),
            sort_key=lambda r: r.score if r.score is not None else -1,
            align_right=True,
        ),
        Column(_("Experts"), lambda r: str(r.experts), align_right=True),
        Column(
            _("Computed tier"),
            lambda r: r.tier.label,
            foreground=lambda r: TIER_COLOURS.get(r.tier),
        ),
        Column(
            _("After adjustment"),
            lambda r: r.adjusted_tier.label + (" ✎" if r.adjusted else ""),
            foreground=lambda r: TIER_COLOURS.get(r.adjusted_tier),
            tooltip=lambda r: r.adjustment_reason,
        ),
        Column(
            _("Deviations"),
            lambda r: str(r.flags) if r.flags else "",
            align_right=True,
            foreground=lambda r: "#b03a00" if r.flags else None,
        ),
        Column(
            _("P(provincial)"),
            lambda r: _percent(r.p_provincial) + ("  ⚠" if r.fragile else ""),
            sort_key=lambda r: r.p_provincial or 0,
            align_right=True,
            foreground=lambda r: "#b03a00" if r.fragile else None,
            tooltip=lambda r: (
                _("fragile: selected in fewer than 80% of the resamples") if r.fragile else ""
            ),
        ),
        Column(_("Reason"), lambda r: r.reason, tooltip=lambda r: r.reason),
    ]


class RankingPage(Page):
    """The ranked list and everything the committee needs to sign it off."""

    key = "ranking"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            _(
                "Consolidated scores, deviation flags, reliability and the allocation of "
                "provincial and municipal/county places under the quotas."
            ),
            parent,
        )
        self.result: ranking.RankResult | None = None
        self.baseline: ranking.RankResult | None = None
        self._role = "agency"

        top = QHBoxLayout()
        self.summary = QLabel("", self)
        self.summary.setObjectName("cardTitle")
        self.summary.setWordWrap(True)
        top.addWidget(self.summary, 1)
        self.explain_button = QPushButton(_("Explain a deviation…"), self)
        self.adjust_button = QPushButton(_("Adjust the tier…"), self)
        self.finalise_button = QPushButton(_("Finalise the list…"), self)
        for button in (self.explain_button, self.adjust_button, self.finalise_button):
            top.addWidget(button)
        self.body.addLayout(top)

        params, params_layout = card(_("Parameters"), self)
        row = QHBoxLayout()
        self.method = QComboBox(params)
        for key, label in METHODS:
            self.method.addItem(_(label), key)
        self.trim_min = QSpinBox(params)
        self.trim_min.setRange(3, 50)
        self.trim_min.setValue(5)
        self.normalise = QCheckBox(_("Normalise each expert (z-score)"), params)
        self.target = QSpinBox(params)
        self.target.setRange(1, 500)
        self.cap = QSpinBox(params)
        self.cap.setRange(1, 50)
        self.min_score = QDoubleSpinBox(params)
        self.min_score.setRange(0, 100)
        self.min_score.setDecimals(1)
        self.min_score.setSpecialValueText(_("none"))
        self.recompute_button = QPushButton(_("Recompute"), params)
        self.recompute_button.setDefault(True)
        self.reset_button = QPushButton(_("Project settings"), params)
        second = QHBoxLayout()
        for layout, pairs in (
            (row, ((_("Method"), self.method), (_("Trim from (experts)"), self.trim_min))),
            (
                second,
                (
                    (_("Provincial places"), self.target),
                    (_("Per direction"), self.cap),
                    (_("Minimum score"), self.min_score),
                ),
            ),
        ):
            for label, widget in pairs:
                caption = QLabel(label + "：", params)
                caption.setBuddy(widget)
                layout.addWidget(caption)
                layout.addWidget(widget)
                layout.addSpacing(12)
        row.addWidget(self.normalise)
        row.addStretch(1)
        second.addStretch(1)
        second.addWidget(self.reset_button)
        second.addWidget(self.recompute_button)
        params_layout.addLayout(row)
        params_layout.addLayout(second)
        self.config_label = QLabel("", params)
        self.config_label.setObjectName("muted")
        self.config_label.setWordWrap(True)
        self.config_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        params_layout.addWidget(self.config_label)
        self.body.addWidget(params)

        self.tabs = QTabWidget(self)
        ranked = QWidget(self.tabs)
        ranked_layout = QVBoxLayout(ranked)
        ranked_layout.setContentsMargins(0, 8, 0, 0)
        self.table = DataTable(_rank_columns(), stretch_column=11, parent=ranked)
        self.filters = FilterBar(self.table, ranked)
        self.filters.add("tier", _("Tier"), lambda r: r.adjusted_tier, ranking.tier_label)
        self.filters.add("direction", _("Direction"), lambda r: r.direction)
        self.filters.finish()
        ranked_layout.addWidget(self.filters)
        ranked_layout.addWidget(self.table, 1)
        self.tabs.addTab(ranked, _("Ranked list"))

        self.directions = DataTable(
            [
                Column(_("Direction"), lambda r: r.direction),
                Column(_("Provincial"), lambda r: f"{r.provincial} / {r.cap}", align_right=True),
                Column(_("Candidates"), lambda r: str(r.candidates), align_right=True),
                Column(_("Best score"), lambda r: score_text(r.best), align_right=True),
                Column(_("Selected"), lambda r: r.selected, tooltip=lambda r: r.selected),
            ],
            stretch_column=4,
            parent=self.tabs,
        )
        self.tabs.addTab(self.directions, _("By direction"))

        self.deviations = DataTable(
            deviation_columns(),
            stretch_column=6,
            parent=self.tabs,
        )
        self.tabs.addTab(self.deviations, _("Deviations (畸高畸低)"))

        reliability = QWidget(self.tabs)
        reliability_layout = QVBoxLayout(reliability)
        reliability_layout.setContentsMargins(0, 8, 0, 0)
        self._panel_names: dict[int, str] = {}
        self.reliability = DataTable(
            reliability_columns(self._panel_name),
            searchable=False,
            stretch_column=6,
            parent=reliability,
        )
        self.leniency = DataTable(
            [
                Column[ExpertLeniency](_("Expert"), lambda r: r.expert),
                Column[ExpertLeniency](_("Dossiers"), lambda r: str(r.dossiers), align_right=True),
                Column[ExpertLeniency](
                    _("Leniency"),
                    lambda r: f"{r.leniency * 100:+.1f}%",
                    sort_key=lambda r: r.leniency,
                    align_right=True,
                    foreground=lambda r: "#b03a00" if abs(r.leniency) >= 0.05 else None,
                ),
            ],
            searchable=False,
            stretch_column=2,
            parent=reliability,
        )
        reliability_layout.addWidget(self.reliability, 1)
        lenient = QLabel(
            _("Leniency: an expert's average gap to the other experts on the same dossiers."),
            reliability,
        )
        lenient.setObjectName("muted")
        reliability_layout.addWidget(lenient)
        reliability_layout.addWidget(self.leniency, 1)
        self.tabs.addTab(reliability, _("Reliability"))

        what_if = QWidget(self.tabs)
        what_if_layout = QVBoxLayout(what_if)
        what_if_layout.setContentsMargins(0, 8, 0, 0)
        self.what_if_label = QLabel("", what_if)
        self.what_if_label.setWordWrap(True)
        what_if_layout.addWidget(self.what_if_label)
        self.what_if = DataTable(
            [
                Column[TierChange](_("Dossier no."), lambda r: r.code),
                Column[TierChange](_("Lead applicant"), lambda r: r.applicant),
                Column[TierChange](_("Direction"), lambda r: r.direction),
                Column[TierChange](
                    _("With project settings"),
                    lambda r: r.tier_before.label,
                    foreground=lambda r: TIER_COLOURS.get(r.tier_before),
                ),
                Column[TierChange](
                    _("With these parameters"),
                    lambda r: r.tier_after.label,
                    foreground=lambda r: TIER_COLOURS.get(r.tier_after),
                ),
            ],
            searchable=False,
            stretch_column=1,
            parent=what_if,
        )
        what_if_layout.addWidget(self.what_if, 1)
        self.tabs.addTab(what_if, _("What-if"))
        self.body.addWidget(self.tabs, 1)

        self.recompute_button.clicked.connect(self.recompute)
        self.reset_button.clicked.connect(self.reset_parameters)
        self.explain_button.clicked.connect(self.explain)
        self.adjust_button.clicked.connect(self.adjust)
        self.finalise_button.clicked.connect(self.finalise)
        self.deviations.view.doubleClicked.connect(lambda _index: self.explain())
        self.table.view.doubleClicked.connect(lambda _index: self.adjust())

    # Parameters ------------------------------------------------------------------

    def options(self) -> RankingOptions:
        """The ``ranking.compute`` parameters the panel shows."""
        return RankingOptions(
            method=str(self.method.currentData()),
            trim_min=self.trim_min.value(),
            normalise=self.normalise.isChecked(),
            target=self.target.value(),
            cap=self.cap.value(),
            min_score=self.min_score.value() or None,
        )

    def reset_parameters(self) -> None:
        """Put the project's own settings back in the panel and recompute."""
        if self.project is None:
            return
        info = self.project.info()
        self.method.setCurrentIndex(0)
        self.trim_min.setValue(5)
        self.normalise.setChecked(False)
        self.target.setValue(info.provincial_target)
        self.cap.setValue(info.per_direction_cap)
        self.min_score.setValue(0)
        self.recompute()

    def _defaults(self) -> RankingOptions:
        assert self.project is not None
        info = self.project.info()
        return RankingOptions(target=info.provincial_target, cap=info.per_direction_cap)

    # Loading ---------------------------------------------------------------------

    def load(self) -> None:
        if self.project is None:
            return
        info = self.project.info()
        if self.result is None:
            self.target.setValue(info.provincial_target)
            self.cap.setValue(info.per_direction_cap)
        self.recompute()

    def _panel_name(self, panel_id: int) -> str:
        """A panel's name in the reliability table (its number until names are read)."""
        return self._panel_names.get(panel_id, str(panel_id))

    def affected_by(self, changes: Changes) -> bool:
        return changes.ranking

    def recompute(self) -> None:
        """Compute the list (and the project-settings baseline) in the background."""
        if self.project is not None:
            self._run(_("Computing the ranked list"), None)

    def _run(
        self,
        title: str,
        decide: Callable[[Project, RankingOptions], Any] | None,
        changes: Changes = NOTHING,
        then: Callable[[Any], object] | None = None,
    ) -> None:
        """Record a decision (``decide``, which recomputes the list in the core), then
        compute the list shown and its baseline, all in the background; ``then`` gets
        what ``decide`` returned once the list is shown."""
        project = self.project
        if project is None:
            return
        options, defaults = self.options(), self._defaults()

        def work(progress: Progress) -> tuple[Any, tuple[ranking.RankResult, ranking.RankResult]]:
            decided = None
            if decide is not None:
                progress(0, 3, title)
                decided = decide(project, options)
                progress = _past_cancelling(progress)  # the decision is stored: show it
            return decided, _compute(project, options, defaults, progress)

        def done(result: tuple[Any, tuple[ranking.RankResult, ranking.RankResult]]) -> None:
            decided, results = result
            self._show(results)
            if then is not None:
                then(decided)

        self.start_operation(title, work, done, changes=changes)

    def operation_started(self) -> None:
        for button in (
            self.recompute_button,
            self.explain_button,
            self.adjust_button,
            self.finalise_button,
        ):
            button.setEnabled(False)

    def operation_ended(self) -> None:
        self.recompute_button.setEnabled(True)
        self._update_buttons()

    def _show(self, results: tuple[ranking.RankResult, ranking.RankResult]) -> None:
        self.result, self.baseline = results
        result = self.result
        rows = result.rank_rows()
        selected = self.table.selected_row()
        self.table.set_rows(rows)
        self.filters.set_rows(rows)
        if selected is None or not self.table.select_where(
            lambda r: r.dossier_id == selected.dossier_id
        ):
            self.table.select_first()
        self.deviations.set_rows(result.deviation_flags())
        self._panel_names = queries.panel_names(self.project) if self.project else {}
        self.reliability.set_rows(result.reliability)
        self.leniency.set_rows(result.leniency_rows())
        self._show_directions(rows)
        self._show_what_if()
        counts = result.summary()
        parts = [
            tr("Provincial {count}", count=counts.provincial),
            tr("Municipal/county {count}", count=counts.municipal),
            tr("Tied {count}", count=counts.tied),
            tr("Unexplained deviations {count}", count=counts.unexplained_deviations),
            tr("Fragile selections {count}", count=counts.fragile),
        ]
        if result.finalised:
            parts.append(
                tr("Finalised, hash {hash}", hash=result.finalised.content_hash[:16] + "…")
            )
            changed = result.finalised.changed_since
            if changed:
                parts.append(
                    tr(
                        "⚠ {count} differ from the finalised list: {codes}",
                        count=len(changed),
                        codes="、".join(changed[:5]) + ("…" if len(changed) > 5 else ""),
                    )
                )
        self.summary.setText("    ".join(parts))
        config = result.config
        self.config_label.setText(
            tr(
                "Computed with: {method}, trimming from {n} experts, normalisation {norm}, "
                "weights {weights}, rubric {rubric}; bootstrap {resamples} resamples, seed {seed}.",
                method=_(dict(METHODS)[config.method]),
                n=config.trim_min_experts,
                norm=_("on") if config.normalise else _("off"),
                weights=" / ".join(f"{v:g}" for v in config.weights.values()),
                rubric=config.rubric_hash[:12],
                resamples=config.stability.resamples,
                seed=config.stability.seed,
            )
        )
        self._update_buttons()

    def _show_directions(self, rows: list[RankRow]) -> None:
        assert self.result is not None
        self.directions.set_rows(direction_summaries(rows, self.result.config))

    def _show_what_if(self) -> None:
        assert self.result is not None and self.baseline is not None
        if self.baseline is self.result:
            self.what_if_label.setText(
                _("Change the parameters and recompute to see which candidates change tier.")
            )
            self.what_if.set_rows([])
            return
        changed = ranking.what_if_rows(self.baseline, self.result)
        self.what_if_label.setText(
            tr("{count} candidates change tier with these parameters.", count=len(changed))
        )
        self.what_if.set_rows(changed)

    # Actions ---------------------------------------------------------------------

    def set_role(self, role: str) -> None:
        self._role = role
        self._update_buttons()

    def _update_buttons(self) -> None:
        if self.busy():
            return
        final = self.result is not None and self.result.finalised is not None
        committee = self._role == "committee"
        self.adjust_button.setEnabled(committee and not final)
        self.finalise_button.setEnabled(committee and not final)
        self.explain_button.setEnabled(not final)
        hint = "" if committee else _("Only the committee adjusts and finalises the list.")
        self.adjust_button.setToolTip(hint)
        self.finalise_button.setToolTip(hint)

    def explain(self) -> None:
        """Record why the selected deviating score is what it is."""
        row = self.deviations.selected_row()
        if self.project is None:
            return
        if row is None:
            self.tabs.setCurrentWidget(self.deviations)
            QMessageBox.information(
                self, _("Explain a deviation"), _("Select a deviating score first.")
            )
            return
        dialog = ReasonDialog(_("Explain a deviation"), explanation_prompt(row), self)
        if row.note:
            dialog.text.setPlainText(row.note)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        note, actor = dialog.values()[1], current_user()
        self._run(
            _("Recording the explanation…"),
            lambda project, options: ranking_decisions.explain_deviation(
                project, row.dossier_id, row.expert_id, note, actor=actor, options=options
            ),
            Changes(explanations=True),
        )

    def adjust(self) -> None:
        """Move the selected candidate to another tier, with the committee's reason."""
        row = self.table.selected_row()
        if self.project is None or row is None or not self.adjust_button.isEnabled():
            return
        dialog = ReasonDialog(
            _("Adjust the tier"),
            tr(
                "{code} {applicant}: computed {tier}, score {score}. The computed and the "
                "adjusted tier stay side by side; the reason goes to the audit log.",
                code=row.code,
                applicant=row.applicant,
                tier=row.tier.label,
                score=score_text(row.score),
            ),
            self,
            tiers=True,
        )
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        tier, reason = dialog.values()
        actor = current_user("committee")
        self._run(
            _("Recording the adjustment…"),
            lambda project, options: ranking_decisions.adjust(
                project, row.dossier_id, tier, reason, actor=actor, options=options
            ),
            Changes(adjustments=True),
        )

    def finalise(self) -> None:
        """Lock the adjusted list under its content hash."""
        if self.project is None or self.result is None:
            return
        answer = QMessageBox.question(
            self,
            _("Finalise the list"),
            _(
                "Finalise the list with the parameters shown? It is locked afterwards: "
                "no adjustment or explanation can change it."
            ),
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        actor = current_user("committee")
        self._run(
            _("Finalising the list…"),
            lambda project, options: ranking_decisions.finalise(
                project, actor=actor, options=options
            ),
            Changes(finalised=True),
            lambda content_hash: QMessageBox.information(
                self,
                _("Finalise the list"),
                tr("The list is finalised. Content hash:\n{hash}", hash=content_hash),
            ),
        )


def _compute(
    project: Project, options: RankingOptions, defaults: RankingOptions, progress: Progress
) -> tuple[ranking.RankResult, ranking.RankResult]:
    """The list with the panel's parameters and, to compare, with the project's own."""
    progress(1, 3, _("Consolidating the scores…"))
    current = ranking.compute(project, **options.kwargs())
    progress(2, 3, _("Comparing with the project settings…"))
    baseline = (
        current
        if options == defaults
        else ranking.compute(project, **defaults.kwargs(), resamples=0)
    )
    progress(3, 3, "")
    return current, baseline


def _past_cancelling(progress: Progress) -> Progress:
    """``progress`` once cancelling is too late: it still reports, but a cancel no
    longer stops the work (which then ends as a success, with its changes)."""

    def report(done: int, total: int, message: str) -> None:
        with suppress(Cancelled):
            progress(done, total, message)

    return report
