"""Sorting and filtering of a RowTableModel: free-text search over the shown columns plus
named filters on the row objects (direction, kind, city, level, status...)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt

from ui.models.row_table import SORT_ROLE, RowTableModel


class RowFilterProxy(QSortFilterProxyModel):
    """A proxy that sorts by each column's sort key and filters rows by predicates."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self._text = ""
        self._filters: dict[str, Callable[[Any], bool]] = {}

    def set_text(self, text: str) -> None:
        """Keep the rows with ``text`` in any column (case-insensitive)."""
        self.beginFilterChange()
        self._text = text.strip().casefold()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_filter(self, name: str, predicate: Callable[[Any], bool] | None) -> None:
        """Set (or with None remove) a named filter on the row objects."""
        self.beginFilterChange()
        if predicate is None:
            self._filters.pop(name, None)
        else:
            self._filters[name] = predicate
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(
        self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex
    ) -> bool:
        model = self.sourceModel()
        assert isinstance(model, RowTableModel)
        row = model.row_at(source_row)
        if not all(predicate(row) for predicate in self._filters.values()):
            return False
        if not self._text:
            return True
        for column in range(model.columnCount()):
            value = model.data(model.index(source_row, column), Qt.ItemDataRole.DisplayRole)
            if value and self._text in str(value).casefold():
                return True
        return False
