"""全程记录: a dossier's whole history (application, expert scores, the versions of the
finalised list, objections, the pilot year, recognition) in one read-only view, as the
core's review_desk.dossier_history gives it."""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from review_desk.dossier_history import DossierHistory, sections
from review_desk.i18n import _, tr


def history_html(history: DossierHistory) -> str:
    """The history's sections as simple HTML (headings and lists)."""
    parts = [f"<h2>{escape(history.code)} {escape(history.platform_name)}</h2>"]
    for title, lines in sections(history):
        parts.append(f"<h3>{escape(title)}</h3><ul>")
        parts.extend(f"<li>{escape(line)}</li>" for line in lines)
        parts.append("</ul>")
    return "".join(parts)


class HistoryDialog(QDialog):
    """The history of one dossier, selectable and copyable."""

    def __init__(self, history: DossierHistory, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Whole history of {code}", code=history.code))
        self.resize(860, 680)
        layout = QVBoxLayout(self)
        self.text = QTextBrowser(self)
        self.text.setHtml(history_html(history))
        layout.addWidget(self.text, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(_("Close"))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
