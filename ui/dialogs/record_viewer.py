"""A printable record (the draw record, 抽取记录) shown in the application: read it,
save a copy, or open it in the system's viewer to print it."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from review_desk.i18n import _, tr

from ui.widgets.pdf_viewer import PdfViewer


class RecordViewer(QDialog):
    """Show the PDF at ``path``, named ``name`` when saved."""

    def __init__(self, path: Path, name: str, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(900, 760)
        self.path, self.name = path, name
        layout = QVBoxLayout(self)
        self.viewer = PdfViewer(self)
        self.viewer.load(path, name)
        layout.addWidget(self.viewer, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(_("Close"))
        self.save_button = QPushButton(_("Save as…"), self)
        self.print_button = QPushButton(_("Open in the system viewer to print"), self)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.print_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.save_button.clicked.connect(self.save_as)
        self.print_button.clicked.connect(self.viewer.open_externally)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def save_as(self) -> Path | None:
        """Ask where, and save a copy of the record there."""
        target, _filter = QFileDialog.getSaveFileName(
            self, _("Save as…"), self.name, _("PDF files (*.pdf)")
        )
        if not target:
            return None
        shutil.copyfile(self.path, target)
        self.setWindowTitle(tr("Saved to {path}", path=target))
        return Path(target)
