"""The dialogs of 试点培育: starting the pilot, adding a milestone, accepting the
milestones a plan proposes, marking one done, uploading a progress report, writing a
note, and the problems of a milestone sheet that could not be imported. Each OK button
stays disabled until what the core requires is there."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from review_desk.i18n import _, tr
from review_desk.pilot import MAX_TITLE, PILOT_MONTHS, MilestoneRow
from review_desk.pilot_plan import add_months
from review_desk.pilot_proposals import PlanProposals
from review_desk.pool import RosterIssue

from ui.dialogs.buttons import ok_cancel
from ui.dialogs.fields import date_edit as _date_edit
from ui.dialogs.fields import day_of as _day
from ui.dialogs.fields import text_edit as _text
from ui.dialogs.fields import wrapped_label
from ui.models.row_table import Column
from ui.widgets.data_table import DataTable


def _checked_list(parent: QWidget, entries: list[tuple[str, object, bool]]) -> QListWidget:
    """A list of checkable entries (text, data, checked)."""
    box = QListWidget(parent)
    for text, data, checked in entries:
        item = QListWidgetItem(text, box)
        item.setData(Qt.ItemDataRole.UserRole, data)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
    return box


def _checked_data(box: QListWidget) -> list[object]:
    return [
        box.item(i).data(Qt.ItemDataRole.UserRole)
        for i in range(box.count())
        if box.item(i).checkState() == Qt.CheckState.Checked
    ]


class StartPilotDialog(QDialog):
    """开始试点: the first day (by default the day of publication, never before it)."""

    def __init__(self, published: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Start the pilot"))
        self.setMinimumWidth(500)
        layout = QVBoxLayout(self)
        layout.addWidget(
            wrapped_label(
                self,
                tr(
                    "The one-year pilot of the selected bases starts on the day below, by "
                    "default the day the list was published ({day}), and ends a year later.",
                    day=published.isoformat(),
                ),
            )
        )
        form = QFormLayout()
        self.starts = _date_edit(self, published)
        self.starts.setMinimumDate(QDate(published.year, published.month, published.day))
        self.ends = QLabel(self)
        form.addRow(_("First day") + "：", self.starts)
        form.addRow(_("Last day") + "：", self.ends)
        layout.addLayout(form)
        buttons = ok_cancel(self, _("Start the pilot"))
        self.ok = buttons.buttons()[0]
        layout.addWidget(buttons)
        self.starts.dateChanged.connect(self._show_end)
        self._show_end()

    def _show_end(self) -> None:
        self.ends.setText(add_months(_day(self.starts), PILOT_MONTHS).isoformat())

    def starts_on(self) -> date:
        """The pilot's first day."""
        return _day(self.starts)


class MilestoneDialog(QDialog):
    """添加节点: the task, the due day and a description."""

    def __init__(self, base: str, due: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Add a milestone for {base}", base=base))
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.title = QLineEdit(self)
        self.title.setMaxLength(MAX_TITLE)
        self.title.setPlaceholderText(_("e.g. 完成实训场地改造和设备招标"))
        self.due = _date_edit(self, due)
        self.description = _text(self, _("Optional: what counts as done"))
        form.addRow(_("Task") + "：", self.title)
        form.addRow(_("Due on") + "：", self.due)
        form.addRow(_("Description") + "：", self.description)
        layout.addLayout(form)
        buttons = ok_cancel(self, _("Add"))
        self.ok = buttons.buttons()[0]
        layout.addWidget(buttons)
        self.title.textChanged.connect(self._check)
        self._check()

    def _check(self) -> None:
        self.ok.setEnabled(2 <= len(" ".join(self.title.text().split())) <= MAX_TITLE)

    def values(self) -> tuple[str, date, str]:
        """The task, the due day and the description."""
        return (
            self.title.text().strip(),
            _day(self.due),
            self.description.toPlainText().strip(),
        )


class ProposalsDialog(QDialog):
    """从实施方案提取: the milestones the plan proposes, each checkable; when there are
    none, why."""

    def __init__(self, base: str, found: PlanProposals, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.found = found
        self.setWindowTitle(tr("Milestones proposed by the plan of {base}", base=base))
        self.setMinimumSize(720, 420)
        layout = QVBoxLayout(self)
        if found.proposals:
            where = tr(
                "Read from {file}, page {page}. Check the milestones to store; the line each "
                "came from is kept as its description.",
                file=found.file,
                page=found.page or "",
            )
        else:
            where = found.reason
        self.intro = wrapped_label(self, where)
        layout.addWidget(self.intro)
        # A date before the pilot's first day (a plan written for an earlier start) is
        # shown as such and left unchecked: the agency decides whether it still applies.
        early = _("(before the pilot starts)")
        self.proposals = _checked_list(
            self,
            [
                (
                    f"{p.due_on.isoformat()}　{p.title}" + (f"　{early}" if found.early(p) else ""),
                    index,
                    not found.early(p),
                )
                for index, p in enumerate(found.proposals)
            ],
        )
        for index, proposal in enumerate(found.proposals):
            self.proposals.item(index).setToolTip(proposal.line)
        self.proposals.setVisible(bool(found.proposals))
        layout.addWidget(self.proposals, 1)
        buttons = ok_cancel(self, _("Accept the checked"))
        self.ok = buttons.buttons()[0]
        layout.addWidget(buttons)
        self.proposals.itemChanged.connect(self._check)
        self._check()

    def _check(self) -> None:
        self.ok.setEnabled(bool(_checked_data(self.proposals)))

    def accepted_proposals(self) -> PlanProposals:
        """The plan's proposals, only the checked ones."""
        chosen = [self.found.proposals[int(i)] for i in _checked_data(self.proposals)]  # type: ignore[call-overload]
        return replace(self.found, proposals=chosen)


class DoneDialog(QDialog):
    """标记完成: the day it was done (not in the future) and a note."""

    def __init__(self, title: str, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Mark the milestone done"))
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        layout.addWidget(wrapped_label(self, title))
        form = QFormLayout()
        self.day = _date_edit(self, today)
        self.day.setMaximumDate(QDate(today.year, today.month, today.day))
        self.note = _text(self, _("How it was done, what was checked"))
        form.addRow(_("Done on") + "：", self.day)
        form.addRow(_("Note") + "：", self.note)
        layout.addLayout(form)
        buttons = ok_cancel(self, _("Mark done"))
        self.ok = buttons.buttons()[0]
        layout.addWidget(buttons)

    def values(self) -> tuple[date, str]:
        """The day done and the note."""
        return _day(self.day), self.note.toPlainText().strip()


class ReportDialog(QDialog):
    """上传进展报告: the PDF, the day submitted, the period it covers, a summary and the
    milestones it reports on."""

    def __init__(
        self,
        base: str,
        milestones: list[MilestoneRow],
        today: date,
        covers_from: date,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Upload a progress report of {base}", base=base))
        self.setMinimumWidth(640)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        file_row = QHBoxLayout()
        self.file = QLineEdit(self)
        self.file.setPlaceholderText(_("The report as a PDF file"))
        self.browse = QPushButton(_("Choose…"), self)
        file_row.addWidget(self.file, 1)
        file_row.addWidget(self.browse)
        self.submitted = _date_edit(self, today)
        self.submitted.setMaximumDate(QDate(today.year, today.month, today.day))
        self.with_period = QCheckBox(_("The report covers a period"), self)
        self.with_period.setChecked(True)
        period_row = QHBoxLayout()
        self.covers_from = _date_edit(self, min(covers_from, today))
        self.covers_to = _date_edit(self, today)
        period_row.addWidget(self.with_period)
        period_row.addWidget(self.covers_from)
        period_row.addWidget(QLabel(_("to"), self))
        period_row.addWidget(self.covers_to)
        period_row.addStretch(1)
        self.summary = _text(self, _("What the report says, in a few lines"))
        self.milestones = _checked_list(
            self,
            [(f"{x.due_on.isoformat()}　{x.title}", x.id, False) for x in milestones],
        )
        self.milestones.setMaximumHeight(130)
        form.addRow(_("File") + "：", file_row)
        form.addRow(_("Submitted on") + "：", self.submitted)
        form.addRow(_("Period covered") + "：", period_row)
        form.addRow(_("Summary") + "：", self.summary)
        form.addRow(_("Reports on") + "：", self.milestones)
        layout.addLayout(form)
        buttons = ok_cancel(self, _("Upload"))
        self.ok = buttons.buttons()[0]
        layout.addWidget(buttons)
        self.browse.clicked.connect(self.choose)
        self.with_period.toggled.connect(self.covers_from.setEnabled)
        self.with_period.toggled.connect(self.covers_to.setEnabled)
        for signal in (
            self.file.textChanged,
            self.with_period.toggled,
            self.covers_from.dateChanged,
            self.covers_to.dateChanged,
        ):
            signal.connect(self._check)
        self._check()

    def choose(self) -> None:
        """Ask for the PDF file."""
        name, _filter = QFileDialog.getOpenFileName(
            self, _("Progress report"), "", _("PDF files (*.pdf)")
        )
        if name:
            self.file.setText(name)

    def _check(self) -> None:
        path = Path(self.file.text().strip())
        period_ok = not self.with_period.isChecked() or _day(self.covers_to) >= _day(
            self.covers_from
        )
        self.ok.setEnabled(path.suffix.lower() == ".pdf" and path.is_file() and period_ok)

    def values(self) -> dict[str, object]:
        """The arguments of ``pilot.add_report`` after the project and the base."""
        period = self.with_period.isChecked()
        return {
            "file": Path(self.file.text().strip()),
            "submitted_on": _day(self.submitted),
            "covers_from": _day(self.covers_from) if period else None,
            "covers_to": _day(self.covers_to) if period else None,
            "summary": self.summary.toPlainText().strip(),
            "milestone_ids": [int(i) for i in _checked_data(self.milestones)],  # type: ignore[call-overload]
        }


class NoteDialog(QDialog):
    """添加备注: the agency's note on a base."""

    def __init__(self, base: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Add a note on {base}", base=base))
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        self.text = _text(self, _("What was seen, agreed or asked for"))
        layout.addWidget(self.text)
        buttons = ok_cancel(self, _("Add"))
        self.ok = buttons.buttons()[0]
        layout.addWidget(buttons)
        self.text.textChanged.connect(
            lambda: self.ok.setEnabled(len(self.text.toPlainText().strip()) >= 2)
        )
        self.ok.setEnabled(False)

    def value(self) -> str:
        """The note."""
        return self.text.toPlainText().strip()


class ImportProblemsDialog(QDialog):
    """The problems of a milestone sheet that was not imported, each with its sheet,
    row and column."""

    def __init__(self, issues: list[RosterIssue], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Import a milestone sheet…"))
        self.resize(820, 420)
        layout = QVBoxLayout(self)
        layout.addWidget(
            wrapped_label(self, _("Nothing was imported; correct these and import again:"))
        )
        self.table = DataTable(
            [
                Column(_("Sheet"), lambda i: i.sheet),
                Column(_("Row"), lambda i: str(i.row), lambda i: i.row, True),
                Column(_("Column"), lambda i: f"{i.letter} {i.column}"),
                Column(_("Value"), lambda i: i.value, tooltip=lambda i: i.value),
                Column(_("Problem"), lambda i: i.problem, tooltip=lambda i: i.problem),
            ],
            searchable=False,
            stretch_column=4,
            parent=self,
        )
        self.table.set_rows(issues)
        layout.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(_("Close"))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
