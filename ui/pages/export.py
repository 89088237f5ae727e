"""导出: the results workbook (Excel), the publicity list (PDF or a printable Excel
sheet, from the finalised list only) and every chart as image files. Long work runs
in the background with progress and cancel; files are written whole or not at all."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QUrl
from PySide6.QtGui import QDesktopServices, QShowEvent
from PySide6.QtWidgets import (
    QDateEdit,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QWidget,
)

from review_desk.changes import Changes
from review_desk.i18n import _, tr
from review_desk.progress import Progress
from review_desk.results.publicity import (
    PublicityError,
    PublicityNotice,
    publicity_list,
    write_publicity_pdf,
    write_publicity_xlsx,
)
from review_desk.results.source import final_list_state
from review_desk.results.workbook import ExportSummary, export_workbook
from review_desk.results.workbook_sheets import sheet_titles

from ui.pages.base import Page, card


class ExportPage(Page):
    """导出."""

    key = "export"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            _(
                "The results workbook for the committee, the publicity list (公示名单) from "
                "the finalised list, and the charts as image files."
            ),
            parent,
        )
        self.last_path: Path | None = None
        self._finalised = False

        self.state = QLabel("-", self)
        self.state.setWordWrap(True)
        self.state.setObjectName("cardTitle")
        self.body.addWidget(self.state)

        workbook, layout = card(_("Results workbook (Excel)"), self)
        sheets = QLabel(tr("Sheets: {sheets}", sheets="、".join(sheet_titles())), workbook)
        sheets.setWordWrap(True)
        layout.addWidget(sheets)
        note = QLabel(
            _(
                "Opens in Excel, WPS and LibreOffice; A4 landscape with the header row on every "
                "page, page numbers, a signature line and the list's hash in the footer."
            ),
            workbook,
        )
        note.setWordWrap(True)
        note.setObjectName("pageSubtitle")
        layout.addWidget(note)
        row = QHBoxLayout()
        self.workbook_button = QPushButton(_("Export workbook…"), workbook)
        self.workbook_button.setObjectName("primaryButton")
        self.open_folder_button = QPushButton(_("Show in folder"), workbook)
        self.open_folder_button.setEnabled(False)
        row.addWidget(self.workbook_button)
        row.addWidget(self.open_folder_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.body.addWidget(workbook)

        publicity, layout = card(_("Publicity list (公示名单)"), self)
        self.publicity_state = QLabel("-", publicity)
        self.publicity_state.setWordWrap(True)
        layout.addWidget(self.publicity_state)
        form = QFormLayout()
        self.start = QDateEdit(publicity)
        self.start.setCalendarPopup(True)
        self.start.setDisplayFormat("yyyy-MM-dd")
        tomorrow = date.today() + timedelta(days=1)
        self.start.setDate(QDate(tomorrow.year, tomorrow.month, tomorrow.day))
        self.days = QSpinBox(publicity)
        self.days.setRange(1, 60)
        self.days.setValue(7)
        self.days.setSuffix(_(" days"))
        self.office = QLineEdit(publicity)
        self.phone = QLineEdit(publicity)
        self.email = QLineEdit(publicity)
        self.address = QLineEdit(publicity)
        self.issuer = QLineEdit(publicity)
        form.addRow(_("Publicity starts") + "：", self.start)
        form.addRow(_("Publicity period") + "：", self.days)
        form.addRow(_("Objections to") + "：", self.office)
        form.addRow(_("Telephone") + "：", self.phone)
        form.addRow(_("E-mail") + "：", self.email)
        form.addRow(_("Address") + "：", self.address)
        form.addRow(_("Issued by") + "：", self.issuer)
        for field in (self.start, self.days, self.office, self.phone, self.email):
            field.setMaximumWidth(520)
        for field in (self.address, self.issuer):
            field.setMaximumWidth(520)
        layout.addLayout(form)
        row = QHBoxLayout()
        self.pdf_button = QPushButton(_("Publicity list as PDF…"), publicity)
        self.xlsx_button = QPushButton(_("Printable sheet (Excel)…"), publicity)
        row.addWidget(self.pdf_button)
        row.addWidget(self.xlsx_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.body.addWidget(publicity)

        charts, layout = card(_("Charts"), self)
        row = QHBoxLayout()
        label = QLabel(
            _(
                "Every chart as PNG (300 dpi) and SVG for slides and reports, and all of "
                "them in one PDF album to print."
            ),
            charts,
        )
        label.setWordWrap(True)
        row.addWidget(label, 1)
        self.charts_button = QPushButton(_("Save all charts to a folder…"), charts)
        row.addWidget(self.charts_button)
        layout.addLayout(row)
        self.body.addWidget(charts)
        self.body.addStretch(1)

        self.workbook_button.clicked.connect(self.export_workbook)
        self.open_folder_button.clicked.connect(self._show_folder)
        self.pdf_button.clicked.connect(lambda: self.write_publicity(".pdf"))
        self.xlsx_button.clicked.connect(lambda: self.write_publicity(".xlsx"))
        self.charts_button.clicked.connect(self.export_charts)

    # Loading ---------------------------------------------------------------------

    def load(self) -> None:
        if self.project is None:
            return
        info = self.project.info()
        if not self.office.text():
            self.office.setText(info.organiser)
        if not self.issuer.text():
            self.issuer.setText(info.organiser)
        final = final_list_state(self.project)
        finalised = self._finalised = final is not None
        if finalised:
            assert final is not None
            self.state.setText(
                tr("The list is finalised (hash {hash}).", hash=final.content_hash[:16])
            )
            self.publicity_state.setText(
                tr(
                    "Made from the finalised list of {count} entries.",
                    count=final.listed,
                )
            )
        else:
            self.state.setText(
                _("The list is not finalised: the workbook is marked as a working list.")
            )
            self.publicity_state.setText(
                _("Available once the committee has finalised the list (汇总排名 › 定稿).")
            )
        for widget in (self.pdf_button, self.xlsx_button):
            widget.setEnabled(finalised and not self.busy())

    def showEvent(self, event: QShowEvent) -> None:
        """The list may have been finalised since: read its state again (cheap)."""
        super().showEvent(event)
        if self.project is not None:
            self.load()

    def affected_by(self, changes: Changes) -> bool:
        return changes.finalised or changes.project

    def action_widgets(self) -> tuple[QWidget, ...]:
        return (self.workbook_button, self.charts_button, self.pdf_button, self.xlsx_button)

    def operation_ended(self) -> None:
        super().operation_ended()
        for button in (self.pdf_button, self.xlsx_button):  # from the finalised list only
            button.setEnabled(self._finalised)

    # Workbook ----------------------------------------------------------------------

    def export_workbook(self, path: str | None = None) -> None:
        """Ask where, then write the workbook in the background."""
        project = self.project
        if project is None or self.busy():
            return
        if not path:
            path, _filter = QFileDialog.getSaveFileName(
                self, _("Export workbook"), _("results.xlsx"), _("Excel workbook (*.xlsx)")
            )
        if not path:
            return
        target = Path(path)
        if target.suffix.lower() != ".xlsx":
            target = target.with_suffix(".xlsx")

        def work(progress: Any) -> ExportSummary:
            return export_workbook(
                project, target, progress=lambda done, total, what: progress(done, total, what)
            )

        self.start_operation(
            _("Exporting the results workbook"), work, self._exported, on_error=self._failed
        )

    def _failed(self, error: BaseException) -> None:
        self.show_message(_describe(error))

    def _exported(self, summary: ExportSummary) -> None:
        self.last_path = summary.path
        self.open_folder_button.setEnabled(True)
        lines = [tr("Wrote {path}", path=summary.path)]
        lines += [tr("{sheet}: {count} rows", sheet=k, count=v) for k, v in summary.rows.items()]
        if summary.content_hash:
            lines.append(tr("Finalised list hash: {hash}", hash=summary.content_hash))
            if summary.changed_since:
                lines.append(
                    tr(
                        "Warning: today's scores differ from the finalised list for {codes}.",
                        codes="、".join(summary.changed_since),
                    )
                )
        else:
            lines.append(_("The list is not finalised: the workbook is marked as a working list."))
        QMessageBox.information(self, _("Export"), "\n".join(lines))

    def _show_folder(self) -> None:
        if self.last_path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.last_path.parent)))

    # Publicity list ----------------------------------------------------------------

    def notice(self) -> PublicityNotice:
        """The notice as filled in on the page."""
        start = self.start.date().toPython()
        assert isinstance(start, date)
        return PublicityNotice(
            start=start,
            end=start + timedelta(days=self.days.value() - 1),
            contact_office=self.office.text(),
            contact_phone=self.phone.text(),
            contact_email=self.email.text(),
            address=self.address.text(),
            issuer=self.issuer.text(),
            issued_on=start,
        )

    def write_publicity(self, suffix: str, path: str | None = None) -> bool:
        """Write the publicity list as PDF or Excel in the background; return True when
        the writing started (the notice is complete and a file was chosen)."""
        project = self.project
        if project is None or self.busy():
            return False
        try:
            notice = self.notice()
            notice.check()
        except PublicityError as error:
            self.show_error(error)
            return False
        if not path:
            name = _("publicity list") + suffix
            kind = _("PDF document (*.pdf)") if suffix == ".pdf" else _("Excel workbook (*.xlsx)")
            path, _filter = QFileDialog.getSaveFileName(self, _("Publicity list"), name, kind)
        if not path:
            return False
        target = Path(path)
        if target.suffix.lower() != suffix:
            target = target.with_suffix(suffix)
        writer = write_publicity_pdf if suffix == ".pdf" else write_publicity_xlsx

        def work(progress: Progress) -> str:
            progress(0, 2, _("Reading the finalised list…"))
            listing = publicity_list(project)
            progress(1, 2, _("Writing the publicity list…"))
            writer(target, listing, notice)
            return listing.content_hash

        def written(content_hash: str) -> None:
            self.last_path = target
            self.open_folder_button.setEnabled(True)
            QMessageBox.information(
                self,
                _("Publicity list"),
                tr("Wrote {path}", path=target)
                + "\n"
                + tr("Finalised list hash: {hash}", hash=content_hash),
            )

        started = self.start_operation(
            _("Writing the publicity list"), work, written, on_error=self._failed
        )
        return started is not None

    # Charts ------------------------------------------------------------------------

    def export_charts(self, folder: str | None = None) -> None:
        """Save every chart as PNG and SVG, and all of them in one PDF album, into a
        folder, in the background."""
        project = self.project
        if project is None or self.busy():
            return
        if not folder:
            folder = QFileDialog.getExistingDirectory(self, _("Save all charts to a folder"))
        if not folder:
            return
        target = Path(folder)

        def work(progress: Any) -> list[Path]:
            from review_desk.charts.album import save_all_charts

            return save_all_charts(project, target, progress)

        self.start_operation(
            _("Saving the charts"), work, self._charts_saved, on_error=self._failed
        )

    def _charts_saved(self, paths: list[Path]) -> None:
        if paths:
            self.last_path = paths[0]
            self.open_folder_button.setEnabled(True)
        QMessageBox.information(
            self,
            _("Charts"),
            tr("Wrote {count} files to {folder}", count=len(paths), folder=paths[0].parent)
            if paths
            else _("Nothing to save."),
        )


def _describe(error: BaseException) -> str:
    """A failure as a sentence for the user."""
    if isinstance(error, PermissionError):
        return tr(
            "Cannot write {path}: it is open in another program or the folder is read-only.",
            path=error.filename or "",
        )
    if isinstance(error, OSError):
        return tr("Cannot write {path}: {reason}", path=error.filename or "", reason=error.strerror)
    return str(error)
