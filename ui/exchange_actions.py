"""The offline exchange in the application: open a work package (expert), make the
signed return (expert), make work packages for every expert, import return packages
with a report, and enrol an expert's key (agency). The work, and every write, runs in
the background through the window's operation; what it changed reaches every page."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from review_desk.changes import Changes, Outcome
from review_desk.i18n import _, tr
from review_desk.progress import Cancelled

from ui.models.row_table import Column
from ui.widgets.data_table import DataTable

if TYPE_CHECKING:
    from review_desk.exchange.return_package import MadeReturn


def open_work_package(window: Any) -> None:
    """Expert: open a work package into a local project, then show it in the expert role."""
    from review_desk.exchange.work_package_open import open_work_package as open_package

    work, _filter = QFileDialog.getOpenFileName(
        window, _("Open work package"), "", _("Work packages (*.rdwork);;All files (*)")
    )
    if not work:
        return
    target, _filter = QFileDialog.getSaveFileName(
        window,
        _("Keep your scoring project as"),
        str(Path(work).with_suffix(".rdp")),
        _("Review Desk projects (*.rdp)"),
        options=QFileDialog.Option.DontConfirmOverwrite,
    )
    if not target:
        return

    def work_fn(progress: Any) -> Any:
        return open_package(Path(work), Path(target), progress=progress)

    def done(project: Any) -> None:
        window.set_project(project, target)
        window.set_role("expert")
        QMessageBox.information(
            window,
            _("Open work package"),
            tr(
                "Your dossiers are ready to score. Your key fingerprint is {fp}; read it to the "
                "agency when they enrol your key.",
                fp=_fingerprint(Path(target)),
            ),
        )

    window.run_operation(
        _("Opening the work package…"),
        work_fn,
        done,
        lambda e: QMessageBox.critical(window, _("Open work package"), str(e)),
    )


def _fingerprint(project_path: Path) -> str:
    from review_desk.exchange.keys import fingerprint, load_or_create_key

    return fingerprint(load_or_create_key(project_path))


def make_return(window: Any) -> None:
    """Expert: write the signed return package of the open project."""
    from review_desk.exchange.return_package import ReturnError
    from review_desk.exchange.return_package import make_return as make

    if window.project is None or window.project.path is None:
        return
    target, _filter = QFileDialog.getSaveFileName(
        window,
        _("Save the return package"),
        _("评分返回包.rdreturn"),
        _("Return packages (*.rdreturn)"),
    )
    if not target:
        return
    path = window.project.path

    def done(result: tuple[MadeReturn, str]) -> None:
        made, fp = result
        QMessageBox.information(
            window,
            _("Save the return package"),
            tr(
                "Return number {sequence} saved to {path}, signed with your key {fp}.",
                sequence=made.sequence,
                path=target,
                fp=fp,
            ),
        )

    def failed(error: BaseException) -> None:
        title = _("Save the return package")
        if isinstance(error, ReturnError):
            QMessageBox.warning(window, title, str(error))
        else:
            QMessageBox.critical(window, title, str(error))

    window.run_operation(
        _("Saving the return package…"),
        lambda _progress: (make(path, Path(target)), _fingerprint(path)),
        done,
        failed,
    )


def make_work_packages(window: Any) -> None:
    """Agency: one work package per expert with assignments, into a folder."""
    from review_desk import queries
    from review_desk.exchange.work_package import make_work_package

    project = window.project
    if project is None:
        return
    folder = QFileDialog.getExistingDirectory(window, _("Folder for the work packages"))
    if not folder:
        return
    experts = sorted((e.id, e.name) for e in queries.experts(project) if e.assigned)

    def work_fn(progress: Any) -> list[str]:
        written = []
        for number, (expert_id, name) in enumerate(experts, start=1):
            progress(number - 1, len(experts), name)
            target = Path(folder) / f"工作包_{expert_id:03d}_{name}.rdwork"
            make_work_package(project, expert_id, target)
            written.append(target.name)
        progress(len(experts), len(experts), "")
        return written

    window.run_operation(
        _("Making work packages…"),
        work_fn,
        lambda written: QMessageBox.information(
            window,
            _("Work packages"),
            tr("{count} work packages written to {folder}.", count=len(written), folder=folder),
        ),
        lambda e: QMessageBox.critical(window, _("Work packages"), str(e)),
    )


class ImportReport(QDialog):
    """The outcome of each imported return package."""

    def __init__(self, outcomes: list[Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Imported return packages"))
        self.resize(860, 420)
        labels = {
            "accepted": _("accepted"),
            "duplicate": _("already imported"),
            "refused": _("refused"),
        }
        colours = {"accepted": "#067647", "duplicate": "#667085", "refused": "#b42318"}
        table = DataTable(
            [
                Column(_("File"), lambda o: o.file),
                Column(
                    _("Outcome"), lambda o: labels[o.status], foreground=lambda o: colours[o.status]
                ),
                Column(_("Expert"), lambda o: str(o.expert_id or "")),
                Column(_("Return no."), lambda o: str(o.sequence or "")),
                Column(_("Sheets"), lambda o: str(o.sheets), align_right=True),
                Column(
                    _("Reason"),
                    lambda o: "；".join([o.reason, *o.details]).strip("；"),
                    tooltip=lambda o: "\n".join([o.reason, *o.details]),
                ),
            ],
            searchable=False,
            stretch_column=5,
            parent=self,
        )
        table.set_rows(outcomes)
        layout = QVBoxLayout(self)
        refused = sum(1 for o in outcomes if o.status == "refused")
        layout.addWidget(
            QLabel(
                tr(
                    "{count} packages, {refused} refused. Every outcome is in the audit log.",
                    count=len(outcomes),
                    refused=refused,
                ),
                self,
            )
        )
        layout.addWidget(table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


def import_returns(window: Any) -> None:
    """Agency: import every return package of a folder, then show the report."""
    from review_desk.exchange.return_package import import_return

    project = window.project
    if project is None:
        return
    folder = QFileDialog.getExistingDirectory(window, _("Folder with return packages"))
    if not folder:
        return
    files = sorted(Path(folder).glob("*.rdreturn"))

    def work_fn(progress: Any) -> Outcome[list[Any]]:
        outcomes: list[Any] = []
        for number, path in enumerate(files, start=1):
            try:
                progress(number - 1, len(files), path.name)
            except Cancelled:
                if not outcomes:
                    raise
                break  # each package is imported on its own: report those done
            outcomes.append(import_return(project, path))
        # Refused and duplicate packages change nothing the pages show.
        accepted = any(o.status == "accepted" for o in outcomes)
        return Outcome(outcomes, Changes(scores=accepted))

    window.run_operation(
        _("Importing return packages…"),
        work_fn,
        lambda outcomes: ImportReport(outcomes, window).exec(),
        lambda e: QMessageBox.critical(window, _("Import"), str(e)),
    )


def enrol_key(window: Any) -> None:
    """Agency: enrol an expert's public key after comparing the fingerprint by phone."""
    from review_desk import queries
    from review_desk.exchange.keys import KeyError_, fingerprint, load_public
    from review_desk.exchange.return_package import enrol_key as enrol

    project = window.project
    if project is None:
        return
    path, _filter = QFileDialog.getOpenFileName(
        window, _("The expert's public key"), "", "PEM (*.pem);;* (*)"
    )
    if not path:
        return
    try:
        pem = Path(path).read_text(encoding="ascii")
        fp = fingerprint(load_public(pem))
    except (KeyError_, OSError, UnicodeDecodeError) as error:
        QMessageBox.warning(window, _("Enrol a key"), str(error))
        return
    dialog = QDialog(window)
    dialog.setWindowTitle(_("Enrol a key"))
    form = QFormLayout(dialog)
    expert = QComboBox(dialog)
    for row in queries.experts(project):
        expert.addItem(f"{row.name}（{row.organisation}）", row.id)
    shown = QLabel(f"<span style='font-size:20px;font-weight:600'>{fp}</span>", dialog)
    form.addRow(_("Expert") + "：", expert)
    form.addRow(_("Fingerprint") + "：", shown)
    form.addRow(
        QLabel(
            _(
                "Read the fingerprint to the expert by phone; enrol only when it matches "
                "what their Review Desk shows."
            ),
            dialog,
        )
    )
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, dialog
    )
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    form.addRow(buttons)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return
    expert_id = expert.currentData()
    window.run_operation(
        _("Enrolling the key…"),
        lambda _progress: enrol(project, expert_id, pem),
        lambda _result: window.statusBar().showMessage(tr("Key {fp} enrolled", fp=fp), 6000),
        lambda e: QMessageBox.critical(window, _("Enrol a key"), str(e)),
        changes=Changes(experts=True),
    )
