"""The dossier PDF viewer: QtPdf with page navigation, zoom, fit width, text search with
highlighted results, page thumbnails, and opening the file in the system's viewer.

Stored files are never opened in place for the system viewer: a copy with the original
file name goes to a temporary folder, so the store stays read-only.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from PySide6.QtCore import QModelIndex, QPointF, QSize, Qt, QUrl, Signal
from PySide6.QtGui import (
    QDesktopServices,
    QIcon,
    QImage,
    QKeySequence,
    QPixmap,
    QResizeEvent,
    QShortcut,
)
from PySide6.QtPdf import QPdfDocument, QPdfSearchModel
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QSpinBox,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from review_desk.i18n import _, tr

THUMBNAIL_WIDTH = 64


def _tool(text: str, tip: str, parent: QWidget) -> QToolButton:
    button = QToolButton(parent)
    button.setText(text)
    button.setToolTip(tip)
    button.setAutoRaise(True)
    return button


class PdfViewer(QWidget):
    """A PDF viewer for one file at a time."""

    page_changed = Signal(int)  # 0-based

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = QPdfDocument(self)
        self.view = QPdfView(self)
        self.view.setDocument(self.document)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.search_model = QPdfSearchModel(self)
        self.search_model.setDocument(self.document)
        self.view.setSearchModel(self.search_model)
        self._path: Path | None = None
        self._name = ""
        self._awaiting_first = False
        self._prefer_page: int | None = None

        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.setSpacing(2)
        self.thumbnails_button = _tool("▤", _("Show or hide page thumbnails"), self)
        self.thumbnails_button.setCheckable(True)
        self.thumbnails_button.setChecked(True)
        self.previous_button = _tool("◀", _("Previous page (Page Up)"), self)
        self.next_button = _tool("▶", _("Next page (Page Down)"), self)
        self.page_box = QSpinBox(self)
        self.page_box.setMinimum(1)
        self.page_box.setKeyboardTracking(False)
        self.page_box.setToolTip(_("Go to page"))
        self.page_count_label = QLabel("/ 0", self)
        self.zoom_out_button = _tool("－", _("Zoom out (Ctrl+-)"), self)
        self.zoom_in_button = _tool("＋", _("Zoom in (Ctrl++)"), self)
        self.fit_width_button = _tool(_("Fit width"), _("Fit the page width"), self)
        self.fit_page_button = _tool(_("Whole page"), _("Show whole pages"), self)
        self.search_box = QLineEdit(self)
        self.search_box.setPlaceholderText(_("Find in document…"))
        self.search_box.setClearButtonEnabled(True)
        self.search_box.setMinimumWidth(140)
        self.search_box.setMaximumWidth(220)
        self.search_status = QLabel("", self)
        self.search_status.setObjectName("muted")
        self.search_previous_button = _tool("↑", _("Previous match (Shift+F3)"), self)
        self.search_next_button = _tool("↓", _("Next match (F3)"), self)
        self.open_button = _tool(_("Open externally"), _("Open in the system's PDF viewer"), self)
        for widget in (
            self.thumbnails_button,
            self.previous_button,
            self.page_box,
            self.page_count_label,
            self.next_button,
            self.zoom_out_button,
            self.zoom_in_button,
            self.fit_width_button,
            self.fit_page_button,
        ):
            bar.addWidget(widget)
        bar.addStretch(1)
        # The search tools share the first row when the viewer is wide enough and take a
        # second row when it is narrow (beside the score form): never overlapping.
        self._bar = bar
        self._search_row = QHBoxLayout()
        self._search_row.setContentsMargins(0, 0, 0, 0)
        self._search_row.setSpacing(2)
        self._search_widgets: tuple[QWidget, ...] = (
            self.search_box,
            self.search_previous_button,
            self.search_next_button,
            self.search_status,
            self.open_button,
        )
        self._search_on_top = True
        for search_widget in self._search_widgets:
            bar.addWidget(search_widget)

        self.thumbnails = QListView(self)
        self.thumbnails.setViewMode(QListView.ViewMode.IconMode)
        self.thumbnails.setFlow(QListView.Flow.TopToBottom)
        self.thumbnails.setWrapping(False)
        self.thumbnails.setMovement(QListView.Movement.Static)
        self.thumbnails.setIconSize(QSize(THUMBNAIL_WIDTH, int(THUMBNAIL_WIDTH * 1.414)))
        self.thumbnails.setFixedWidth(THUMBNAIL_WIDTH + 36)
        self.thumbnails.setSpacing(4)
        self.thumbnails.setModel(self.document.pageModel())
        self.thumbnails.setUniformItemSizes(True)

        self.placeholder = QLabel(_("Select a dossier to read its material."), self)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setObjectName("muted")
        self.placeholder.setWordWrap(True)
        self.stack = QStackedWidget(self)
        pages = QWidget(self)
        pages_layout = QHBoxLayout(pages)
        pages_layout.setContentsMargins(0, 0, 0, 0)
        pages_layout.setSpacing(4)
        pages_layout.addWidget(self.thumbnails)
        pages_layout.addWidget(self.view, 1)
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(pages)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(bar)
        layout.addLayout(self._search_row)
        layout.addWidget(self.stack, 1)

        navigator = self.view.pageNavigator()
        navigator.currentPageChanged.connect(self._on_page_changed)
        self.previous_button.clicked.connect(lambda: self.go_to_page(self.current_page() - 1))
        self.next_button.clicked.connect(lambda: self.go_to_page(self.current_page() + 1))
        self.page_box.valueChanged.connect(lambda value: self.go_to_page(value - 1))
        self.zoom_in_button.clicked.connect(lambda: self.zoom_by(1.25))
        self.zoom_out_button.clicked.connect(lambda: self.zoom_by(0.8))
        self.fit_width_button.clicked.connect(
            lambda: self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        )
        self.fit_page_button.clicked.connect(
            lambda: self.view.setZoomMode(QPdfView.ZoomMode.FitInView)
        )
        self.thumbnails_button.toggled.connect(self.thumbnails.setVisible)
        self.thumbnails.clicked.connect(lambda index: self.go_to_page(index.row()))
        self.search_box.textChanged.connect(self._on_search_changed)
        self.search_box.returnPressed.connect(lambda: self.step_search(1))
        self.search_next_button.clicked.connect(lambda: self.step_search(1))
        self.search_previous_button.clicked.connect(lambda: self.step_search(-1))
        self.search_model.countChanged.connect(self._on_search_count_changed)
        self.open_button.clicked.connect(self.open_externally)
        for keys, slot in (
            (QKeySequence.StandardKey.ZoomIn, lambda: self.zoom_by(1.25)),
            (QKeySequence.StandardKey.ZoomOut, lambda: self.zoom_by(0.8)),
            (QKeySequence.StandardKey.FindNext, lambda: self.step_search(1)),
            (QKeySequence.StandardKey.FindPrevious, lambda: self.step_search(-1)),
            (QKeySequence(Qt.Key.Key_PageDown), lambda: self.go_to_page(self.current_page() + 1)),
            (QKeySequence(Qt.Key.Key_PageUp), lambda: self.go_to_page(self.current_page() - 1)),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
        self._set_enabled(False)

    # ---------------------------------------------------------------- loading
    def load(self, path: Path, display_name: str = "") -> bool:
        """Show the PDF at ``path``; return False (and say why) when it cannot be opened."""
        self.search_box.clear()
        self._path, self._name = path, display_name or path.name
        error = self.document.load(str(path))
        if error != QPdfDocument.Error.None_:
            self.clear(
                tr(
                    "{name} cannot be shown: {error}",
                    name=self._name,
                    error=self._error_text(error),
                )
            )
            return False
        self._render_thumbnails()
        self.page_box.setMaximum(max(1, self.document.pageCount()))
        self.page_count_label.setText(f"/ {self.document.pageCount()}")
        self.stack.setCurrentIndex(1)
        self._set_enabled(True)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.go_to_page(0)
        return True

    def clear(self, message: str = "") -> None:
        """Show no document, with ``message`` in its place."""
        self.document.close()
        self._path = None
        self.placeholder.setText(message or _("Select a dossier to read its material."))
        self.stack.setCurrentIndex(0)
        self.page_count_label.setText("/ 0")
        self._set_enabled(False)

    def _error_text(self, error: QPdfDocument.Error) -> str:
        return {
            QPdfDocument.Error.FileNotFound: _("the file is missing"),
            QPdfDocument.Error.InvalidFileFormat: _("it is not a valid PDF"),
            QPdfDocument.Error.IncorrectPassword: _("it is password-protected"),
            QPdfDocument.Error.UnsupportedSecurityScheme: _("it is protected"),
        }.get(error, _("it cannot be read"))

    def _render_thumbnails(self) -> None:
        # The page model supplies the labels; rendered images make them thumbnails.
        model = self.document.pageModel()
        for page in range(self.document.pageCount()):
            size = self.document.pagePointSize(page)
            height = int(THUMBNAIL_WIDTH * size.height() / max(size.width(), 1))
            image: QImage = self.document.render(page, QSize(THUMBNAIL_WIDTH, height))
            model.setData(
                model.index(page, 0),
                QIcon(QPixmap.fromImage(image)),
                Qt.ItemDataRole.DecorationRole,
            )

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._arrange_toolbar()

    def _arrange_toolbar(self) -> None:
        """Put the search tools on the first row when everything fits there."""
        spacing = self._bar.spacing()
        items = (self._bar.itemAt(i) for i in range(self._bar.count()))
        needed = sum(item.sizeHint().width() + spacing for item in items if item is not None)
        if not self._search_on_top:
            needed += sum(w.sizeHint().width() + spacing for w in self._search_widgets)
        on_top = needed + 24 <= self.width()
        if on_top == self._search_on_top:
            return
        source, target = (self._search_row, self._bar) if on_top else (self._bar, self._search_row)
        for widget in self._search_widgets:
            source.removeWidget(widget)
            target.addWidget(widget)
        if not on_top:
            self._search_row.insertStretch(4, 1)  # "open externally" to the right
        else:
            while self._search_row.count():
                self._search_row.takeAt(0)  # the stretch
        self._search_on_top = on_top

    def _set_enabled(self, enabled: bool) -> None:
        for widget in (
            self.previous_button,
            self.next_button,
            self.page_box,
            self.zoom_in_button,
            self.zoom_out_button,
            self.fit_width_button,
            self.fit_page_button,
            self.search_box,
            self.search_next_button,
            self.search_previous_button,
            self.open_button,
        ):
            widget.setEnabled(enabled)

    # ------------------------------------------------------------- navigation
    def current_page(self) -> int:
        """Return the page shown, 0-based."""
        return self.view.pageNavigator().currentPage()

    def page_count(self) -> int:
        """Return the number of pages of the open document."""
        return self.document.pageCount()

    def go_to_page(self, page: int) -> None:
        """Show ``page`` (0-based), if it exists."""
        if 0 <= page < self.document.pageCount():
            # Zoom 0 keeps the view's zoom mode (fit width stays fit width).
            self.view.pageNavigator().jump(page, QPointF(), 0)
            self._on_page_changed(page)

    def zoom_by(self, factor: float) -> None:
        """Zoom in (factor > 1) or out."""
        self.view.setZoomMode(QPdfView.ZoomMode.Custom)
        self.view.setZoomFactor(max(0.2, min(6.0, self.view.zoomFactor() * factor)))

    def _on_page_changed(self, page: int) -> None:
        self.page_box.blockSignals(True)
        self.page_box.setValue(page + 1)
        self.page_box.blockSignals(False)
        self.thumbnails.setCurrentIndex(self.document.pageModel().index(page, 0))
        self.page_changed.emit(page)

    # ----------------------------------------------------------------- search
    def search(self, text: str, prefer_page: int | None = None) -> None:
        """Highlight every match of ``text`` and go to the first one, on ``prefer_page``
        (0-based) when it has one. Matches arrive asynchronously (``match_count``)."""
        self._prefer_page = prefer_page
        self.search_box.setText(text)

    def match_count(self) -> int:
        """Return how many matches of the current search have been found so far."""
        return self.search_model.rowCount(QModelIndex())

    def _on_search_changed(self, text: str) -> None:
        self._awaiting_first = bool(text)
        self.search_model.setSearchString(text)
        self._update_search_status()

    def _on_search_count_changed(self) -> None:
        count = self.match_count()
        if self._awaiting_first and count:
            self._awaiting_first = False
            preferred = [
                i
                for i in range(count)
                if self.search_model.resultAtIndex(i).page() == self._prefer_page
            ]
            self._show_result(preferred[0] if preferred else 0)
        self._update_search_status()

    def step_search(self, step: int) -> None:
        """Go to the next (step 1) or previous (step -1) match."""
        count = self.search_model.rowCount(QModelIndex())
        if count:
            self._show_result((self.view.currentSearchResultIndex() + step) % count)

    def _show_result(self, index: int) -> None:
        self.view.setCurrentSearchResultIndex(index)
        link = self.search_model.resultAtIndex(index)
        self.view.pageNavigator().jump(link)
        self._on_page_changed(link.page())
        self._update_search_status()

    def _update_search_status(self) -> None:
        count = self.search_model.rowCount(QModelIndex())
        if not self.search_box.text():
            self.search_status.setText("")
        elif count:
            current = max(0, self.view.currentSearchResultIndex()) + 1
            self.search_status.setText(tr("{current} of {count}", current=current, count=count))
        else:
            self.search_status.setText(_("no match"))

    # ---------------------------------------------------------------- outside
    def open_externally(self) -> None:
        """Open a copy of the file, under its original name, in the system's viewer."""
        if self._path is None:
            return
        folder = Path(tempfile.mkdtemp(prefix="review-desk-view-"))
        copy = folder / (self._name if self._name.lower().endswith(".pdf") else self._name + ".pdf")
        shutil.copyfile(self._path, copy)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(copy)))
