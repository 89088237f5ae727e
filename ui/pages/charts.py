"""图表: the committee's dashboard. The ranking and its evidence as charts (the same
figure builders as ``review-desk chart``), details on hover, a click on a dossier
shows its summary beside the chart, and a full-screen presentation mode. Read-only:
nothing here changes the project."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QWidget,
)

from review_desk.changes import Changes
from review_desk.charts import KINDS, kind_title
from review_desk.i18n import _, tr
from review_desk.progress import Progress
from review_desk.ranking import tier_label
from review_desk.results.source import final_list_hash, results_ranking

from ui.pages.base import Page, card
from ui.widgets.chart_canvas import ChartCanvas
from ui.widgets.presentation import PresentationWindow

if TYPE_CHECKING:
    # matplotlib and pandas come with the first chart, not with the page.
    from review_desk.charts.data import ChartData
    from review_desk.charts.figures import Chart

PRESENTATION_TOP = 20  # bars in the meeting room: readable from the back of the room


class ChartsPage(Page):
    """图表."""

    key = "charts"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            _(
                "The ranking and its evidence as charts. Point at a mark for its details; "
                "click a dossier to see its summary. F11 starts the presentation."
            ),
            parent,
        )
        self.data: ChartData | None = None
        self._charts: dict[str, Chart] = {}
        self._role = "committee"
        self.presentation: PresentationWindow | None = None
        self.dossier_id: int | None = None

        bar = QHBoxLayout()
        self.status = QLabel("-", self)
        self.status.setWordWrap(True)
        bar.addWidget(self.status, 1)
        self.refresh_button = QPushButton(_("Recompute"), self)
        self.export_button = QPushButton(_("Save chart…"), self)
        self.present_button = QPushButton(_("Presentation (F11)"), self)
        self.present_button.setObjectName("primaryButton")
        for button in (self.refresh_button, self.export_button, self.present_button):
            bar.addWidget(button)
        self.body.addLayout(bar)

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.kinds = QListWidget(splitter)
        for kind in KINDS:
            item = QListWidgetItem(kind_title(kind))
            item.setData(Qt.ItemDataRole.UserRole, kind)
            self.kinds.addItem(item)
        self.kinds.setMaximumWidth(230)
        centre = QWidget(splitter)
        centre_layout = QFormLayout(centre)
        centre_layout.setContentsMargins(0, 0, 0, 0)
        self.dossier_box = QComboBox(centre)
        self.dossier_box.setMinimumWidth(320)
        self.dossier_label = QLabel(_("Dossier shown") + "：", centre)
        centre_layout.addRow(self.dossier_label, self.dossier_box)
        self.canvas = ChartCanvas(centre)
        self.canvas.setMinimumSize(520, 360)
        centre_layout.addRow(self.canvas)
        detail, detail_layout = card(_("Selected dossier"), splitter)
        self.detail_title = QLabel(_("Click a dossier in a chart."), detail)
        self.detail_title.setWordWrap(True)
        detail_layout.addWidget(self.detail_title)
        form = QFormLayout()
        self.fields: dict[str, QLabel] = {}
        for key, caption in (
            ("platform", _("Platform name")),
            ("direction", _("Direction")),
            ("score", _("Overall score")),
            ("rank", _("Overall rank")),
            ("tier", _("Committee's tier")),
            ("experts", _("Experts' totals")),
            ("reason", _("Explanation")),
        ):
            value = QLabel("-", detail)
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.fields[key] = value
            form.addRow(caption + "：", value)
        detail_layout.addLayout(form)
        self.radar_button = QPushButton(_("Criterion profile of this dossier"), detail)
        self.open_button = QPushButton(_("Open its dossier"), detail)
        detail_layout.addWidget(self.radar_button)
        detail_layout.addWidget(self.open_button)
        detail_layout.addStretch(1)
        detail.setMinimumWidth(260)
        detail.setMaximumWidth(340)
        splitter.addWidget(self.kinds)
        splitter.addWidget(centre)
        splitter.addWidget(detail)
        splitter.setStretchFactor(1, 1)
        self.body.addWidget(splitter, 1)

        self.kinds.currentRowChanged.connect(lambda _row: self.show_current())
        self.dossier_box.currentIndexChanged.connect(self._radar_dossier_changed)
        self.canvas.dossier_clicked.connect(self.select_dossier)
        self.refresh_button.clicked.connect(self.load)
        self.export_button.clicked.connect(self.save_chart)
        self.present_button.clicked.connect(self.present)
        self.radar_button.clicked.connect(self._show_radar_of_selected)
        self.open_button.clicked.connect(self._open_dossier)
        self.present_shortcut = QShortcut(QKeySequence(Qt.Key.Key_F11), self, self.present)
        self._set_enabled(False)
        self.kinds.setCurrentRow(0)

    # Loading ---------------------------------------------------------------------

    def set_role(self, role: str) -> None:
        from ui.pages.registry import spec_for

        self._role = role
        self.open_button.setVisible(role in spec_for("materials").roles)

    def affected_by(self, changes: Changes) -> bool:
        # A committee adjustment or an explanation changes the list without changing
        # the finalised hash: the change itself says so.
        return changes.ranking

    def load(self) -> None:
        """Compute the ranking and gather the chart data in the background."""
        project = self.project
        if project is None or self.busy():
            return

        def work(progress: Any) -> ChartData:
            from review_desk.charts.data import chart_data

            progress(0, 2, _("Consolidating the scores…"))
            result = results_ranking(project)
            progress(1, 2, _("Gathering the chart data…"))
            return chart_data(project, result)

        if self.start_operation(
            _("Preparing the charts"),
            work,
            self._loaded,
            on_error=self._failed,
            on_cancelled=self._cancelled,
        ):
            self.canvas.show_message(_("Computing the ranking…"))
            self._set_enabled(False)

    def set_project(self, project: Any) -> None:
        self.close_presentation()
        self.data = None
        self._charts.clear()
        super().set_project(project)

    def showEvent(self, event: QShowEvent) -> None:
        """Coming back to the page after the list was finalised (or reopened elsewhere):
        the charts and their status follow."""
        super().showEvent(event)
        if self.project is None or self.data is None or self.busy():
            return
        shown = self.data.finalised.content_hash if self.data.finalised else None
        if final_list_hash(self.project) != shown:
            self.load()

    def cancel_work(self) -> None:
        """Stop a running computation (the project is closing) and the presentation."""
        self.close_presentation()
        super().cancel_work()

    def close_presentation(self) -> None:
        """Close the presentation window, if open."""
        if self.presentation is not None:
            self.presentation.close()

    def operation_started(self) -> None:
        self.refresh_button.setEnabled(False)

    def operation_ended(self) -> None:
        self.refresh_button.setEnabled(True)

    def _cancelled(self) -> None:
        """Back to the charts shown before, if any."""
        if self.data is not None:
            self._set_enabled(True)
            self.show_current()
        else:
            self.canvas.show_message(_("Cancelled. Recompute to draw the charts."))

    def _failed(self, error: BaseException) -> None:
        self.canvas.show_message(str(error))
        QMessageBox.warning(self, _("Charts"), str(error))

    def _loaded(self, data: ChartData) -> None:
        self.data = data
        self._charts.clear()
        final = data.finalised
        if final is None:
            self.status.setText(_("Working list: the committee has not finalised it yet."))
        else:
            text = tr("Finalised list, hash {hash}", hash=final.content_hash[:16])
            if final.changed_since:
                text += "  " + _("(today's scores differ for some dossiers)")
            self.status.setText(text)
        scored = data.table[data.table["score"].notna()].sort_values("score", ascending=False)
        self.dossier_box.blockSignals(True)
        self.dossier_box.clear()
        for code, applicant, dossier_id in zip(
            scored["code"], scored["applicant"], scored["dossier_id"].tolist(), strict=True
        ):
            self.dossier_box.addItem(f"{code} {applicant}", int(dossier_id))
        self.dossier_box.blockSignals(False)
        self._set_enabled(True)
        self.show_current()

    def _set_enabled(self, enabled: bool) -> None:
        for widget in (self.export_button, self.present_button, self.kinds, self.dossier_box):
            widget.setEnabled(enabled)
        has_dossier = enabled and self.dossier_id is not None
        self.radar_button.setEnabled(has_dossier)
        self.open_button.setEnabled(has_dossier)

    # Charts ----------------------------------------------------------------------

    def current_kind(self) -> str:
        item = self.kinds.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item else KINDS[0]

    def _radar_dossier(self) -> int | None:
        value = self.dossier_box.currentData()
        return int(value) if value is not None else None

    def chart(self, kind: str) -> Chart:
        """The chart of ``kind`` for the page (built once per data load)."""
        from review_desk.charts.figures import build_chart

        assert self.data is not None
        if kind == "radar":
            return build_chart(kind, self.data, dossier_id=self._radar_dossier())
        if kind not in self._charts:
            self._charts[kind] = build_chart(kind, self.data)
        return self._charts[kind]

    def show_current(self) -> None:
        """Show the chart chosen in the list."""
        kind = self.current_kind()
        is_radar = kind == "radar"
        self.dossier_box.setVisible(is_radar)
        self.dossier_label.setVisible(is_radar)
        if self.data is None:
            return
        if kind == "radar":
            self._charts.pop("radar", None)
        self.canvas.set_chart(self.chart(kind))

    def _radar_dossier_changed(self, _index: int) -> None:
        if self.current_kind() == "radar":
            self.show_current()

    def save_chart(self) -> None:
        """Save the current chart as PNG, SVG or PDF at 300 dpi, in the background."""
        if self.data is None:
            return
        kind = self.current_kind()
        path, _filter = QFileDialog.getSaveFileName(
            self,
            _("Save chart"),
            f"{kind_title(kind)}.png",
            _("PNG image (*.png);;SVG drawing (*.svg);;PDF document (*.pdf)"),
        )
        if not path:
            return
        target = Path(path)
        if target.suffix.lower() not in (".png", ".svg", ".pdf"):
            target = target.with_suffix(".png")
        data, dossier_id = self.data, self._radar_dossier()

        def work(_progress: Progress) -> Path:
            from review_desk.charts.figures import build_chart

            build_chart(kind, data, dossier_id=dossier_id).save(target)
            return target

        def failed(error: BaseException) -> None:
            if not isinstance(error, OSError):
                self.report_error(error)
                return
            QMessageBox.warning(
                self,
                _("Save chart"),
                tr("Cannot write {path}: {reason}", path=target, reason=error),
            )

        self.start_operation(_("Save chart"), work, self._chart_saved, on_error=failed)

    def _chart_saved(self, target: Path) -> None:
        window = self.window()
        if hasattr(window, "statusBar"):
            window.statusBar().showMessage(tr("Wrote {path}", path=target), 5000)

    # Dossier details -------------------------------------------------------------

    def select_dossier(self, dossier_id: int) -> None:
        """Show a dossier's summary beside the chart."""
        if self.data is None:
            return
        table = self.data.table
        match = table[table["dossier_id"] == dossier_id]
        if match.empty:
            return
        row = match.iloc[0]
        self.dossier_id = dossier_id
        self.detail_title.setText(f"{row['code']}  {row['applicant']}")
        totals = self.data.totals
        mine = totals[totals["dossier_id"] == dossier_id] if len(totals) else totals
        self.fields["platform"].setText(self.data.platforms.get(dossier_id, "-"))
        self.fields["direction"].setText(f"{int(row['direction_id']):02d} {row['direction']}")
        self.fields["score"].setText("-" if _missing(row["score"]) else f"{row['score']:.2f}")
        self.fields["rank"].setText("-" if _missing(row["rank"]) else str(int(row["rank"])))
        self.fields["tier"].setText(tier_label(row["adjusted_tier"]))
        self.fields["experts"].setText(
            "；".join(f"{e} {t:.2f}" for e, t in zip(mine["expert"], mine["total"], strict=True))
            or "-"
        )
        self.fields["reason"].setText(str(row["adjustment_reason"] or row["reason"] or "-"))
        self._set_enabled(True)

    def _show_radar_of_selected(self) -> None:
        if self.dossier_id is None:
            return
        index = self.dossier_box.findData(self.dossier_id)
        if index >= 0:
            self.dossier_box.setCurrentIndex(index)
        self.kinds.setCurrentRow(KINDS.index("radar"))

    def _open_dossier(self) -> None:
        from ui.main_window import MainWindow

        window = self.window()
        if self.dossier_id is None or not isinstance(window, MainWindow):
            return  # a preview of the page alone has no other page to go to
        window.show_page("materials")
        page = window.page("materials")
        selector = getattr(page, "select_dossier", None)
        if callable(selector):
            selector(self.dossier_id)

    # Presentation ----------------------------------------------------------------

    def present(self) -> None:
        """Show the charts full screen for the meeting room."""
        if self.data is None or self.presentation is not None:
            return
        from review_desk.charts.figures import build_chart

        data, dossier = self.data, self._radar_dossier()
        self.presentation = PresentationWindow(
            self.window(),
            KINDS,
            [kind_title(k) for k in KINDS],
            lambda kind: build_chart(kind, data, dossier_id=dossier, top=PRESENTATION_TOP),
            start=self.kinds.currentRow(),
            subtitle=self.status.text(),
        )
        self.presentation.closed.connect(self._presentation_closed)
        self.presentation.showFullScreen()
        self.presentation.activateWindow()
        self.presentation.setFocus()

    def screenshot_views(self) -> Iterator[tuple[str, QWidget | None]]:
        """Show each further chart, a dossier's summary and the presentation window in
        turn, for ``review-desk gui --screenshots``."""
        if self.data is None or self.data.empty:
            return
        top = self.data.table.sort_values("score", ascending=False).iloc[0]
        self.select_dossier(int(top["dossier_id"]))
        for row in range(1, len(KINDS)):
            self.kinds.setCurrentRow(row)
            yield KINDS[row], None
        self.kinds.setCurrentRow(0)
        self.present()
        if self.presentation is not None:
            self.presentation.showNormal()
            self.presentation.resize(1440, 900)
            yield "presentation", self.presentation
            self.presentation.close()

    def _presentation_closed(self, index: int) -> None:
        self.presentation = None
        self.kinds.setCurrentRow(index)


def _missing(value: Any) -> bool:
    """No value: None, NaN, or pandas' NA (an ineligible dossier's rank is ``pd.NA``)."""
    from pandas import isna  # loaded already: the chart data is a DataFrame

    return value is None or bool(isna(value))
