"""A row of filter drop-downs over a DataTable: each picks a value of a row attribute."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from review_desk.i18n import _

from ui.widgets.data_table import DataTable


class FilterBar(QWidget):
    """Drop-downs that filter a table; each offers "all" plus the values present."""

    def __init__(self, table: DataTable, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = table
        self.layout_ = QHBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.layout_.setSpacing(6)
        self.boxes: dict[str, QComboBox] = {}
        self._keys: dict[str, Callable[[Any], Any]] = {}
        self._labels: dict[str, Callable[[Any], str]] = {}

    def add(
        self, name: str, caption: str, key: Callable[[Any], Any], label: Callable[[Any], str] = str
    ) -> QComboBox:
        """Add a drop-down filtering on ``key(row)``, showing values through ``label``."""
        box = QComboBox(self)
        box.setMinimumContentsLength(6)
        box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        caption_label = QLabel(caption + "：", self)
        caption_label.setBuddy(box)
        self.layout_.addWidget(caption_label)
        self.layout_.addWidget(box)
        self.boxes[name], self._keys[name], self._labels[name] = box, key, label
        box.currentIndexChanged.connect(lambda _index, n=name: self._apply(n))
        return box

    def finish(self) -> None:
        """Push the drop-downs to the left."""
        self.layout_.addStretch(1)

    def set_rows(self, rows: Iterable[Any]) -> None:
        """Offer the values present in ``rows``, keeping each current choice if possible."""
        rows = list(rows)
        for name, box in self.boxes.items():
            current = box.currentData() if box.count() else _ALL
            values = sorted({self._keys[name](r) for r in rows}, key=lambda v: (v is None, str(v)))
            box.blockSignals(True)
            box.clear()
            box.addItem(_("All"), _ALL)
            for value in values:
                box.addItem(self._labels[name](value), value)
            index = box.findData(current)
            box.setCurrentIndex(index if index >= 0 else 0)
            box.blockSignals(False)
            self._apply(name)

    def clear(self) -> None:
        """Show every row again ("all" in each drop-down)."""
        for box in self.boxes.values():
            box.setCurrentIndex(0)

    def _apply(self, name: str) -> None:
        value = self.boxes[name].currentData()
        key = self._keys[name]
        self.table.set_filter(name, None if value is _ALL else (lambda r: key(r) == value))


class _AllValues:
    def __repr__(self) -> str:
        return "ALL"


_ALL = _AllValues()
