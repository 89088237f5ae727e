"""The widgets of the score form's criteria and veto items, made from a rubric: a
group header per rubric group, per criterion its label, points input, maximum, band
label and the line that shows why a typed value is refused; per veto item a check box
and its reason. The form connects their signals; this module only lays them out."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QBoxLayout,
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QSizePolicy,
    QWidget,
)

from review_desk.i18n import _, tr
from scoring_models.rubric import Criterion, Rubric

ERROR_TEXT = "color: #b42318;"


@dataclass(frozen=True)
class CriterionRow:
    """The widgets of one criterion."""

    criterion: Criterion
    edit: QLineEdit
    band: QLabel
    problem: QLabel


def clear(layout: QLayout) -> None:
    """Take every widget out of a layout (and its nested layouts), hidden at once so
    that it gives up focus now, deleted later."""
    while layout.count():
        item = layout.takeAt(0)
        if item is None:
            continue
        widget, inner = item.widget(), item.layout()
        if widget is not None:
            widget.hide()
            widget.deleteLater()
        elif inner is not None:
            clear(inner)


def build_criteria(
    grid: QGridLayout, body: QWidget, rubric: Rubric, kind: str, scores: dict[str, float]
) -> list[CriterionRow]:
    """Lay out the criteria that apply to ``kind``, grouped, with their current points."""
    rows: list[CriterionRow] = []
    row = 0
    stage_names = {s.key: s.name for s in rubric.stages}
    for group in rubric.groups:
        applicable = [c for c in group.criteria if c.applies(kind)]
        if not applicable:
            continue
        header = QLabel(f"{group.id}  {group.name}", body)
        header.setObjectName("groupHeader")
        header.show()
        grid.addWidget(header, row, 0, 1, 4)
        row += 1
        for criterion in applicable:
            label = QLabel(f"{criterion.id}  {criterion.name}", body)
            label.setToolTip(stage_names.get(criterion.stage, criterion.stage))
            edit = QLineEdit(body)
            edit.setObjectName(f"points_{criterion.id}")
            edit.setFixedWidth(70)
            edit.setAlignment(Qt.AlignmentFlag.AlignRight)
            edit.setPlaceholderText("0–" + f"{criterion.max:g}")
            value = scores.get(criterion.id)
            edit.setText("" if value is None else f"{value:g}")
            label.setBuddy(edit)
            maximum = QLabel(f"/ {criterion.max:g}", body)
            band = QLabel("", body)
            band.setObjectName("muted")
            band.setMinimumWidth(28)
            grid.addWidget(label, row, 1)
            grid.addWidget(edit, row, 2)
            grid.addWidget(maximum, row, 3)
            grid.addWidget(band, row, 0)
            for widget in (label, edit, maximum, band):
                widget.show()  # at once, so that focus can go to the new inputs
            # The message of a refused value, in full, right under its field: it
            # scrolls with the field, and the area keeps its height.
            problem = QLabel("", body)
            problem.setWordWrap(True)
            problem.setStyleSheet(ERROR_TEXT)
            problem.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            problem.hide()
            grid.addWidget(problem, row + 1, 1, 1, 3)
            rows.append(CriterionRow(criterion, edit, band, problem))
            row += 2
    grid.setRowStretch(row, 1)
    return rows


def build_vetoes(
    area: QBoxLayout, parent: QWidget, rubric: Rubric, flagged: dict[str, str]
) -> dict[str, tuple[QCheckBox, QLineEdit]]:
    """Lay out the veto items, each checked with its reason when flagged."""
    boxes: dict[str, tuple[QCheckBox, QLineEdit]] = {}
    for veto in rubric.vetoes:
        line = QHBoxLayout()
        box = QCheckBox(tr("Veto: {name}", name=veto.name), parent)
        box.setToolTip(veto.description)
        reason = QLineEdit(parent)
        reason.setPlaceholderText(_("reason for the veto"))
        current = flagged.get(veto.id)
        box.setChecked(current is not None)
        reason.setText(current or "")
        reason.setEnabled(current is not None)
        line.addWidget(box)
        line.addWidget(reason, 1)
        area.addLayout(line)
        boxes[veto.id] = (box, reason)
    return boxes
