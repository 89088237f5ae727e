"""The draws tab of 专家与分组: every random draw (随机抽取) with its result, a new draw
with the supervisor's public value, refusals filled from the alternates, the printable
draw record (抽取记录), and verification of every draw from its record."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from review_desk import draw, reference
from review_desk.audit import ChainReport
from review_desk.changes import Changes, Outcome
from review_desk.draw import DrawCheck, DrawResult
from review_desk.formatting import local_time
from review_desk.i18n import _, tr
from review_desk.pool import PoolExpert
from review_desk.progress import Progress

from ui.models.row_table import Column
from ui.pages.base import say
from ui.widgets.data_table import DataTable

if TYPE_CHECKING:
    from ui.pages.base import Page


@dataclass(frozen=True)
class DrawnRow:
    """One expert of a draw, in drawn order, with what became of them."""

    order: int
    expert_id: int
    name: str
    organisation: str
    city: str
    status: str


def draw_subject(result: DrawResult) -> str:
    """What a draw was for: its label, direction and fields."""
    params = result.params
    parts = [params.get("label") or ""]
    if params.get("direction") is not None:
        number = int(params["direction"])
        names = {d.number: d.short_name for d in reference.directions()}
        parts.append(f"{number:02d} {names.get(number, '')}".strip())
    if params.get("fields"):
        parts.append("、".join(params["fields"]))
    return " · ".join(p for p in parts if p)


def drawn_rows(result: DrawResult, pool: dict[int, PoolExpert]) -> list[DrawnRow]:
    """The draw's experts in drawn order: drawn, alternates, refusals and replacements."""
    refused = {r["expert"]: r for r in result.refusals}
    called = {r["replacement"] for r in result.refusals if r["replacement"] is not None}
    rows = []
    for order, expert_id in enumerate([*result.selected, *result.alternates], start=1):
        if expert_id in refused:
            status = tr("refused: {reason}", reason=refused[expert_id]["reason"])
        elif expert_id in called:
            status = _("alternate, called")
        elif order <= len(result.selected):
            status = _("drawn")
        else:
            status = _("alternate")
        expert = pool.get(expert_id)
        rows.append(
            DrawnRow(
                order,
                expert_id,
                expert.name if expert else str(expert_id),
                expert.organisation if expert else "",
                expert.city if expert else "",
                status,
            )
        )
    return rows


class DrawsTab(QWidget):
    """The draws, run through the page's background operations."""

    def __init__(self, page: Page) -> None:
        super().__init__(page)
        self.page = page
        self.pool: dict[int, PoolExpert] = {}
        self._names: dict[int, str] = {}
        self.checks: dict[int, DrawCheck] = {}
        self._select_id: int | None = None  # a draw to select once read (a new one)
        layout = QVBoxLayout(self)
        actions = QHBoxLayout()
        self.new_button = QPushButton(_("Draw experts…"), self)
        self.new_button.setObjectName("primaryButton")
        self.refuse_button = QPushButton(_("Record a refusal…"), self)
        self.record_button = QPushButton(_("Draw record (抽取记录)…"), self)
        self.verify_button = QPushButton(_("Verify every draw"), self)
        for button in self.buttons():
            actions.addWidget(button)
        actions.addStretch(1)
        layout.addLayout(actions)
        self.draws = DataTable(
            [
                Column(_("No."), lambda r: str(r.id), lambda r: r.id, True),
                Column(_("Drawn at"), lambda r: local_time(datetime.fromisoformat(r.drawn_at))),
                Column(_("For"), draw_subject, tooltip=draw_subject),
                Column(
                    _("Experts + alternates"),
                    lambda r: f"{len(r.selected)} + {len(r.alternates)}",
                ),
                Column(_("Eligible"), lambda r: str(r.pool_size), lambda r: r.pool_size, True),
                Column(_("Public value"), lambda r: r.public_value),
                Column(_("Seed"), lambda r: r.hashes.get("seed", "")[:16] + "…"),
                Column(_("Members"), self._members, tooltip=self._members),
                Column(_("Verified"), self._verified, tooltip=self._verified_detail),
            ],
            searchable=False,
            stretch_column=7,
            parent=self,
        )
        self.drawn = DataTable(
            [
                Column(_("Order"), lambda r: str(r.order), lambda r: r.order, True),
                Column(_("Expert"), lambda r: r.name),
                Column(_("Organisation"), lambda r: r.organisation),
                Column(_("City"), lambda r: r.city),
                Column(_("Status"), lambda r: r.status, tooltip=lambda r: r.status),
            ],
            searchable=False,
            stretch_column=4,
            parent=self,
        )
        self.drawn_title = QLabel(_("Select a draw to see its experts in drawn order."), self)
        self.drawn_title.setObjectName("muted")
        lower = QWidget(self)
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.drawn_title)
        lower_layout.addWidget(self.drawn, 1)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.draws)
        split.addWidget(lower)
        split.setSizes([300, 300])
        layout.addWidget(split, 1)
        self.draws.row_selected.connect(self._show_drawn)
        self.new_button.clicked.connect(self.new_draw)
        self.refuse_button.clicked.connect(self.record_refusal)
        self.record_button.clicked.connect(self.open_selected_record)
        self.verify_button.clicked.connect(self.verify)

    def buttons(self) -> tuple[QPushButton, ...]:
        """The tab's action buttons."""
        return (self.new_button, self.refuse_button, self.record_button, self.verify_button)

    def set_committee(self, committee: bool) -> None:
        """The committee opens and verifies the draws; making them is the agency's."""
        self.new_button.setVisible(not committee)
        self.refuse_button.setVisible(not committee)

    # ------------------------------------------------------------------ showing
    def names(self) -> dict[int, str]:
        """Every expert's name, by id."""
        return self._names

    def _members(self, result: DrawResult) -> str:
        return "、".join(self.names().get(i, str(i)) for i in result.members)

    def _verified(self, result: DrawResult) -> str:
        check = self.checks.get(result.id)
        if check is None:
            return "—"
        return _("matches") if check.matches else _("DOES NOT MATCH")

    def _verified_detail(self, result: DrawResult) -> str:
        check = self.checks.get(result.id)
        return "；".join(check.problems) if check is not None else ""

    def show_draws(self, draws: list[DrawResult], pool: list[PoolExpert]) -> None:
        """Show the draws the page read (keeping the selection, or selecting a new draw)."""
        self.pool = {e.id: e for e in pool}
        self._names = {e.id: e.name for e in pool}
        selected = self.draws.selected_row()
        wanted = (
            self._select_id
            if self._select_id is not None
            else (selected.id if selected is not None else None)
        )
        self._select_id = None
        self.draws.set_rows(draws)
        if wanted is None or not self.draws.select_where(lambda r: r.id == wanted):
            self.draws.select_first()
        if self.draws.selected_row() is None:
            self.drawn.set_rows([])

    def _show_drawn(self, result: DrawResult) -> None:
        self.drawn_title.setText(
            tr(
                "Draw {id}: {subject}; seed {seed}",
                id=result.id,
                subject=draw_subject(result) or "—",
                seed=result.hashes.get("seed", ""),
            )
        )
        self.drawn.set_rows(drawn_rows(result, self.pool))

    # ------------------------------------------------------------------ actions
    def new_draw(self) -> None:
        """Ask for the draw's parameters and the public value; draw; show the result."""
        from ui.dialogs.draw_dialogs import DrawDialog, DrawResultDialog

        project = self.page.project
        if project is None:
            return
        dialog = DrawDialog(self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        values: dict[str, Any] = {
            "public_value": dialog.public_value.text(),
            "experts": dialog.experts.value(),
            "alternates": dialog.alternates.value(),
            "direction": dialog.direction.currentData(),
            "fields": dialog.field_list(),
            "label": dialog.label.text(),
            "panel": dialog.panel.text().strip() or None,
        }

        def work(_progress: Progress) -> Outcome[DrawResult]:
            return Outcome(draw.run_draw(project, **values), Changes(experts=True))

        def done(result: DrawResult) -> None:
            self._select_id = result.id
            self.page.load()
            say(self, tr("Draw {id} made and committed in the audit log.", id=result.id))
            DrawResultDialog(result, self.names(), self.open_record, self).exec()

        self.page.start_operation(_("Draw experts…"), work, done)

    def record_refusal(self) -> None:
        """Record the selected draw's refusing expert; the next alternate takes the place."""
        from ui.dialogs.draw_dialogs import RefusalDialog

        result = self.draws.selected_row()
        project = self.page.project
        if project is None:
            return
        if result is None:
            QMessageBox.information(self, _("Record a refusal"), _("Select a draw first."))
            return
        dialog = RefusalDialog(result.members, self.names(), self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        expert_id, reason = dialog.expert.currentData(), dialog.reason.toPlainText()

        def work(_progress: Progress) -> Outcome[dict[str, Any]]:
            refusal = draw.refuse(project, result.id, expert_id, reason)
            return Outcome(refusal, Changes(experts=True))

        def done(refusal: dict[str, Any]) -> None:
            self.page.load()
            replacement = refusal["replacement"]
            say(
                self,
                tr(
                    "Refusal recorded; {name} takes the place.",
                    name=self.names().get(replacement, str(replacement)),
                )
                if replacement is not None
                else _("Refusal recorded; no alternate is left, the place stays empty."),
            )

        self.page.start_operation(_("Record a refusal"), work, done)

    def open_selected_record(self) -> None:
        """Open the selected draw's record."""
        result = self.draws.selected_row()
        if result is None:
            QMessageBox.information(self, _("Draw record (抽取记录)…"), _("Select a draw first."))
            return
        self.open_record(result.id)

    def open_record(self, draw_id: int) -> None:
        """Write the draw's record (抽取记录) as PDF in the background and show it."""
        from review_desk.draw_record import write_draw_record

        from ui.dialogs.record_viewer import RecordViewer

        project = self.page.project
        if project is None:
            return
        folder = Path(tempfile.mkdtemp(prefix="review-desk-draw-"))
        name = tr("draw record {id}", id=draw_id) + ".pdf"
        target = folder / name

        def work(_progress: Progress) -> Path:
            write_draw_record(project, draw_id, target)
            return target

        def done(path: Path) -> None:
            self.viewer = RecordViewer(path, name, tr("Draw record {id}", id=draw_id), self)
            self.viewer.show()

        self.page.start_operation(_("Draw record (抽取记录)…"), work, done)

    def verify(self) -> None:
        """Recompute every draw from its record and compare it with the audit log."""
        project = self.page.project
        if project is None:
            return

        def done(outcome: tuple[list[DrawCheck], ChainReport]) -> None:
            checks, chain = outcome
            self.checks = {c.id: c for c in checks}
            self.page.load()
            problems = [
                tr("Draw {id}: {problems}", id=c.id, problems="；".join(c.problems))
                for c in checks
                if not c.matches
            ]
            if not chain.intact:
                problems.append(
                    tr(
                        "The audit log is broken at entry {entry}: {reason}",
                        entry=chain.broken_id,
                        reason=chain.reason,
                    )
                )
            if problems:
                QMessageBox.warning(self, _("Verify every draw"), "\n".join(problems))
            elif not checks:
                QMessageBox.information(self, _("Verify every draw"), _("No draw was made yet."))
            else:
                say(
                    self,
                    tr(
                        "All {count} draws recomputed from their records: they match.",
                        count=len(checks),
                    ),
                )

        self.page.start_operation(
            _("Verify every draw"),
            lambda _progress: draw.verify(project),
            done,
        )
