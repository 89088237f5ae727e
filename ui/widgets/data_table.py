"""A searchable, sortable table of core rows: QTableView + a filter proxy + a count."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from review_desk.i18n import _, tr

from ui.models.filter_proxy import RowFilterProxy
from ui.models.row_table import ROW_ROLE, Column, RowTableModel


class DataTable(QWidget):
    """A table with a search box; emits ``row_selected`` with the row object."""

    row_selected = Signal(object)

    def __init__(
        self,
        columns: Sequence[Column[Any]],
        *,
        searchable: bool = True,
        stretch_column: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.model: RowTableModel[Any] = RowTableModel(columns, self)
        self.proxy = RowFilterProxy(self)
        self.proxy.setSourceModel(self.model)

        self.view = QTableView(self)
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        # Keep the core's order until the user sorts (Qt would sort by column 0 descending).
        self.view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.proxy.sort(-1)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(28)
        header = self.view.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self._stretch_column = stretch_column
        if stretch_column is not None:
            header.setSectionResizeMode(stretch_column, QHeaderView.ResizeMode.Stretch)
        else:
            header.setStretchLastSection(True)
        self.view.selectionModel().currentRowChanged.connect(self._on_current_changed)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText(_("Search…"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.proxy.set_text)
        self.search.textChanged.connect(self._update_count)
        self.count_label = QLabel(self)
        self.count_label.setObjectName("muted")
        bar = QHBoxLayout()
        bar.addWidget(self.search, 1)
        bar.addWidget(self.count_label)
        if searchable:
            layout.addLayout(bar)
        else:
            self.search.hide()
            self.count_label.hide()
        layout.addWidget(self.view, 1)

    def set_rows(self, rows: Sequence[Any]) -> None:
        """Show new rows and size the columns to their content."""
        self.model.set_rows(rows)
        self.view.resizeColumnsToContents()
        header = self.view.horizontalHeader()
        for column in range(self.model.columnCount()):
            if column != self._stretch_column:
                header.resizeSection(column, min(header.sectionSize(column) + 12, 260))
        self._update_count()

    def select_first(self) -> None:
        """Select the first row, if any."""
        if self.proxy.rowCount():
            self.view.selectRow(0)

    def set_filter(self, name: str, predicate: Any) -> None:
        """Filter the rows by a predicate on the row objects (None removes it)."""
        self.proxy.set_filter(name, predicate)
        self._update_count()

    def selected_row(self) -> Any:
        """Return the row object of the current row, or None."""
        index = self.view.currentIndex()
        return index.data(ROW_ROLE) if index.isValid() else None

    def select_where(self, predicate: Any) -> bool:
        """Select the first shown row whose object satisfies ``predicate``."""
        for row in range(self.proxy.rowCount()):
            if predicate(self.proxy.index(row, 0).data(ROW_ROLE)):
                self.view.selectRow(row)
                self.view.scrollTo(self.proxy.index(row, 0))
                return True
        return False

    def _update_count(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        text = (
            tr("{total} rows", total=total)
            if shown == total
            else tr("{shown} of {total} rows", shown=shown, total=total)
        )
        self.count_label.setText(text)

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.row_selected.emit(current.data(ROW_ROLE))
