"""公示与异议: the publicity period of the finalised list (opened with its dates and
contact, closed, then the list published), the objections received (recorded,
investigated, decided by the committee) with their evidence, and every version of the
list with why it changed. The page reads in the background and writes through the
core (review_desk.publicity, review_desk.objections, review_desk.list_versions)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from review_desk import list_versions, objections, publicity
from review_desk.changes import Changes, Outcome
from review_desk.domain import Tier
from review_desk.formatting import local_time
from review_desk.i18n import _, tr
from review_desk.list_versions import ListVersion
from review_desk.objections import ObjectionRow, status_label
from review_desk.progress import Progress
from review_desk.project import Project
from review_desk.publicity import PublicityStatus

from ui.current_user import current_user
from ui.models.row_table import Column
from ui.pages.base import Page, card, say
from ui.pages.registry import COMMITTEE
from ui.widgets.data_table import DataTable

_STATUS_COLOURS = {"open": "#a15c00", "investigating": "#a15c00", "upheld": "#b3261e"}


def period_text(state: PublicityStatus) -> str:
    """One line on the publicity period and the list in force."""
    if state.list_version is None:
        return _("The list is not finalised yet: the publicity period opens on a finalised list.")
    version = tr(
        "List version {version} in force, hash {hash}",
        version=state.list_version,
        hash=(state.content_hash or "")[:16] + "…",
    )
    if state.state == "none":
        return version + "；" + _("the publicity period has not been opened.")
    days = tr(
        "{start} to {end}",
        start=state.starts_on.isoformat() if state.starts_on else "",
        end=state.ends_on.isoformat() if state.ends_on else "",
    )
    ended = state.ends_on is not None and publicity.today() > state.ends_on
    label = {
        "open": _("publicity period over, not yet closed") if ended else _("publicity period open"),
        "closed": _("publicity period closed"),
        "published": _("published (正式发布)"),
    }[state.state]
    return tr(
        "{label}: {days}, contact {contact}. {version}",
        label=label,
        days=days,
        contact=state.contact,
        version=version,
    )


def diff_text(version: ListVersion) -> str:
    """What a version changed, one dossier after another."""
    parts = []
    for change in version.diff:
        before, after = change.get("before") or {}, change.get("after") or {}
        parts.append(
            tr(
                "{code}: {before} → {after}",
                code=change.get("code", ""),
                before=Tier(before["tier"]).label if before.get("tier") else "—",
                after=Tier(after["tier"]).label if after.get("tier") else "—",
            )
        )
    return "；".join(parts) or "—"


@dataclass(frozen=True)
class _Read:
    """What the page shows, read off the UI thread."""

    status: PublicityStatus
    objections: list[ObjectionRow]
    versions: list[ListVersion]
    dossiers: list[tuple[int, str]]


def _read(project: Project) -> _Read:
    return _Read(
        publicity.status(project),
        objections.list_objections(project),
        list_versions.versions(project),
        objections.dossier_choices(project),
    )


class PublicityPage(Page):
    """公示与异议."""

    key = "publicity"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            _(
                "The publicity period of the finalised list, the objections received and the "
                "committee's decisions on them, and every version of the list. The list is "
                "published once the period has ended and no objection is pending."
            ),
            parent,
        )
        self._role = ""
        self.read: _Read | None = None

        self.state = QLabel("-", self)
        self.state.setObjectName("cardTitle")
        self.state.setWordWrap(True)
        self.state.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.counts = QLabel("", self)
        self.counts.setObjectName("muted")
        period_row = QHBoxLayout()
        self.open_button = QPushButton(_("Open the publicity period…"), self)
        self.open_button.setObjectName("primaryButton")
        self.close_button = QPushButton(_("Close the period"), self)
        self.publish_button = QPushButton(_("Publish the list (正式发布)…"), self)
        for button in (self.open_button, self.close_button, self.publish_button):
            period_row.addWidget(button)
        period_row.addStretch(1)
        self.body.addWidget(self.state)
        self.body.addWidget(self.counts)
        self.body.addLayout(period_row)

        objections_card, layout = card(_("Objections (异议)"), self)
        actions = QHBoxLayout()
        self.add_button = QPushButton(_("Record an objection…"), objections_card)
        self.investigate_button = QPushButton(_("Investigate…"), objections_card)
        self.decide_button = QPushButton(_("Decide…"), objections_card)
        self.revise_button = QPushButton(_("Revise the list…"), objections_card)
        self.evidence_button = QPushButton(_("Open evidence…"), objections_card)
        for button in self._objection_buttons():
            actions.addWidget(button)
        actions.addStretch(1)
        layout.addLayout(actions)
        self.table = DataTable(
            [
                Column(_("No."), lambda r: str(r.id), lambda r: r.id, True),
                Column(_("Dossier"), lambda r: r.code),
                Column(_("Received on"), lambda r: r.received_on.isoformat()),
                Column(_("Objector"), self._objector),
                Column(_("Grounds"), lambda r: r.grounds, tooltip=lambda r: r.grounds),
                Column(
                    _("Status"),
                    lambda r: status_label(r.status),
                    foreground=lambda r: _STATUS_COLOURS.get(r.status),
                ),
                Column(_("Investigated by"), lambda r: r.assignee),
                Column(_("List version"), self._resulting),
            ],
            searchable=False,
            stretch_column=4,
            parent=objections_card,
        )
        self.detail = QLabel(_("Select an objection to see it whole."), objections_card)
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.detail.setMargin(10)
        self.detail.setStyleSheet(
            "QLabel { background: #f8fafc; border: 1px solid #dde3ea; border-radius: 4px; }"
        )
        split = QSplitter(Qt.Orientation.Horizontal, objections_card)
        split.addWidget(self.table)
        split.addWidget(self.detail)
        split.setSizes([860, 300])
        layout.addWidget(split, 1)

        versions_card, versions_layout = card(_("Versions of the list"), self)
        self.versions = DataTable(
            [
                Column(_("Version"), lambda v: tr("v{n}", n=v.version), lambda v: v.version),
                Column(
                    _("Content hash"), lambda v: v.content_hash, tooltip=lambda v: v.content_hash
                ),
                Column(
                    _("Locked at"), lambda v: local_time(datetime.fromisoformat(v.finalised_at))
                ),
                Column(_("By"), lambda v: v.finalised_by),
                Column(
                    _("Why"),
                    lambda v: v.reason or _("finalised by the committee"),
                    tooltip=lambda v: v.reason,
                ),
                Column(_("Changed"), diff_text, tooltip=diff_text),
            ],
            searchable=False,
            stretch_column=4,
            parent=versions_card,
        )
        self.versions.view.setMaximumHeight(150)
        versions_layout.addWidget(self.versions)

        lower = QWidget(self)
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(versions_card)
        outer = QSplitter(Qt.Orientation.Vertical, self)
        outer.addWidget(objections_card)
        outer.addWidget(lower)
        outer.setSizes([460, 200])
        self.body.addWidget(outer, 1)

        self.table.row_selected.connect(self._show_detail)
        self.open_button.clicked.connect(self.open_period)
        self.close_button.clicked.connect(self.close_period)
        self.publish_button.clicked.connect(self.publish)
        self.add_button.clicked.connect(self.add_objection)
        self.investigate_button.clicked.connect(self.investigate)
        self.decide_button.clicked.connect(self.decide)
        self.revise_button.clicked.connect(self.revise)
        self.evidence_button.clicked.connect(self.open_evidence)

    # ------------------------------------------------------------------ roles
    def _objection_buttons(self) -> tuple[QPushButton, ...]:
        return (
            self.add_button,
            self.investigate_button,
            self.decide_button,
            self.revise_button,
            self.evidence_button,
        )

    def action_widgets(self) -> tuple[QWidget, ...]:
        return (
            self.open_button,
            self.close_button,
            self.publish_button,
            *self._objection_buttons(),
        )

    def set_role(self, role: str) -> None:
        """The agency runs the period and records objections; the committee decides
        them and revises the list."""
        self._role = role
        committee = role == COMMITTEE
        for button in (
            self.open_button,
            self.close_button,
            self.publish_button,
            self.add_button,
            self.investigate_button,
        ):
            button.setVisible(not committee)
        self.decide_button.setVisible(committee)
        self.revise_button.setVisible(committee)

    def operation_ended(self) -> None:
        super().operation_ended()
        self._enable()

    def _enable(self) -> None:
        """Enable what the period's state allows (the core refuses the rest too)."""
        read = self.read
        state = read.status.state if read else "none"
        finalised = bool(read and read.status.list_version is not None)
        pending = read is not None and any(
            read.status.objections.get(s, 0) for s in publicity.PENDING
        )
        self.open_button.setEnabled(finalised and state == "none")
        self.close_button.setEnabled(state == "open")
        self.publish_button.setEnabled(state in ("open", "closed") and not pending)
        self.add_button.setEnabled(state == "open")
        selected = self.table.selected_row()
        undecided = selected is not None and selected.status in publicity.PENDING
        self.investigate_button.setEnabled(undecided)
        self.decide_button.setEnabled(undecided)
        self.revise_button.setEnabled(
            selected is not None
            and selected.status == "upheld"
            and selected.resulting_version is None
            and state != "published"
        )
        self.evidence_button.setEnabled(selected is not None and bool(selected.evidence))

    # ------------------------------------------------------------------ reading
    def affected_by(self, changes: Changes) -> bool:
        return changes.finalised or changes.publicity or changes.adjustments

    def load(self) -> None:
        """Read the period, the objections and the versions in the background."""
        project = self.project
        if project is None:
            return
        started = self.start_operation(
            _("Reading the publicity period…"), lambda _progress: _read(project), self._show
        )
        if started is None:
            self.stale = True

    def _show(self, read: _Read) -> None:
        self.read = read
        self.state.setText(period_text(read.status))
        counts = read.status.objections
        self.counts.setText(
            tr(
                "Objections: {total} in all; {pending} pending, {upheld} upheld, "
                "{dismissed} dismissed.",
                total=sum(counts.values()),
                pending=sum(counts.get(s, 0) for s in publicity.PENDING),
                upheld=counts.get("upheld", 0),
                dismissed=counts.get("dismissed", 0),
            )
        )
        selected = self.table.selected_row()
        self.table.set_rows(read.objections)
        if selected is None or not self.table.select_where(lambda r: r.id == selected.id):
            self.table.select_first()
        if self.table.selected_row() is None:
            self.detail.setText(_("No objection has been recorded."))
        self.versions.set_rows(read.versions)
        self._enable()

    @staticmethod
    def _objector(row: ObjectionRow) -> str:
        return _("anonymous") if row.anonymous else row.objector

    @staticmethod
    def _resulting(row: ObjectionRow) -> str:
        return tr("v{n}", n=row.resulting_version) if row.resulting_version else "—"

    def _show_detail(self, row: ObjectionRow) -> None:
        lines = [
            tr("Objection {id} about {code}", id=row.id, code=row.code),
            tr(
                "Received on {day} from {who}{contact}",
                day=row.received_on.isoformat(),
                who=self._objector(row),
                contact=f"（{row.contact}）" if row.contact else "",
            ),
            tr("Grounds: {text}", text=row.grounds),
            tr("Status: {status}", status=status_label(row.status)),
        ]
        if row.assignee:
            lines.append(tr("Investigated by {who}", who=row.assignee))
        if row.findings:
            lines.append(tr("Findings: {text}", text=row.findings))
        if row.decision_reason:
            lines.append(tr("Committee's reason: {text}", text=row.decision_reason))
        if row.resulting_version:
            lines.append(tr("Revised the list into version {n}", n=row.resulting_version))
        for file in row.evidence:
            lines.append(
                tr("Evidence: {name} ({size} bytes)", name=file["name"], size=file["size"])
            )
        self.detail.setText("\n".join(lines))
        self._enable()

    # ------------------------------------------------------------------ actions
    def _run(self, title: str, work: Any, message: str) -> None:
        """Run a write in the background; read the page again and say ``message``."""

        def done(_result: object) -> None:
            self.load()
            say(self, message)

        self.start_operation(
            title,
            lambda _progress: Outcome(work(), Changes(publicity=True, finalised=True)),
            done,
        )

    def open_period(self) -> None:
        """Ask for the period's dates and contact, and open it."""
        from ui.dialogs.publicity_dialogs import OpenPeriodDialog

        project = self.project
        if project is None:
            return
        dialog = OpenPeriodDialog(publicity.today(), self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        values, actor = dialog.values(), current_user()
        self._run(
            _("Open the publicity period"),
            lambda: publicity.open_period(project, actor=actor, **values),  # type: ignore[arg-type]
            _("The publicity period is open."),
        )

    def close_period(self) -> None:
        """Close the period (refused before its last day has passed)."""
        project = self.project
        if project is None:
            return
        actor = current_user()
        self._run(
            _("Close the period"),
            lambda: publicity.close_period(project, actor=actor),
            _("The publicity period is closed."),
        )

    def publish(self) -> None:
        """Publish the list in force, after a confirmation."""
        project = self.project
        if project is None or self.read is None:
            return
        answer = QMessageBox.question(
            self,
            _("Publish the list"),
            tr(
                "Publish version {version} of the list? Once published, the list no longer "
                "changes.",
                version=self.read.status.list_version,
            ),
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        actor = current_user()
        self._run(
            _("Publish the list (正式发布)…"),
            lambda: publicity.publish(project, actor=actor),
            _("The list is published."),
        )

    def add_objection(self) -> None:
        """Record an objection received during the period."""
        from ui.dialogs.publicity_dialogs import ObjectionDialog

        project = self.project
        if project is None or self.read is None:
            return
        dialog = ObjectionDialog(self.read.dossiers, publicity.today(), self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        values, actor = dialog.values(), current_user()
        self._run(
            _("Record an objection"),
            lambda: objections.add_objection(project, actor=actor, **values),  # type: ignore[arg-type]
            _("The objection is recorded."),
        )

    def _selected(self, title: str) -> ObjectionRow | None:
        row = self.table.selected_row()
        if row is None:
            QMessageBox.information(self, title, _("Select an objection first."))
        return row  # type: ignore[no-any-return]

    def investigate(self) -> None:
        """Assign the selected objection and record the findings and more evidence."""
        from ui.dialogs.publicity_dialogs import InvestigateDialog

        project, row = self.project, self._selected(_("Investigate…"))
        if project is None or row is None:
            return
        title = tr("Investigate objection {id} ({code})", id=row.id, code=row.code)
        dialog = InvestigateDialog(title, row.assignee, row.findings, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        values, actor = dialog.values(), current_user()
        self._run(
            _("Investigate…"),
            lambda: objections.investigate(project, row.id, actor=actor, **values),  # type: ignore[arg-type]
            _("The investigation is recorded."),
        )

    def decide(self) -> None:
        """The committee upholds or dismisses the selected objection with a reason."""
        from ui.dialogs.publicity_dialogs import DecideDialog

        project, row = self.project, self._selected(_("Decide…"))
        if project is None or row is None:
            return
        title = tr("Decide objection {id} ({code})", id=row.id, code=row.code)
        summary = tr("Grounds: {text}", text=row.grounds)
        if row.findings:
            summary += "\n" + tr("Findings: {text}", text=row.findings)
        dialog = DecideDialog(title, summary, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        (outcome, reason), actor = dialog.values(), current_user(COMMITTEE)
        self._run(
            _("Decide…"),
            lambda: objections.decide(project, row.id, outcome, reason, actor=actor),
            _("The committee's decision is recorded.")
            if outcome == "dismissed"
            else _("The objection is upheld: revise the list now."),
        )

    def revise(self) -> None:
        """Revise the list for the selected upheld objection into its next version."""
        from ui.dialogs.publicity_dialogs import ReviseDialog

        project, row = self.project, self._selected(_("Revise the list…"))
        if project is None or row is None or self.read is None:
            return
        first = next(
            (d for d, label in self.read.dossiers if label.startswith(row.code + " ")), None
        )
        title = tr("Revise the list for objection {id}", id=row.id)
        dialog = ReviseDialog(title, self.read.dossiers, first, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        (changes, reason), actor = dialog.values(), current_user(COMMITTEE)

        def work(_progress: Progress) -> Outcome[list_versions.Revision]:
            revision = list_versions.revise_for_objection(
                project, row.id, changes, reason, actor=actor
            )
            return Outcome(revision, Changes(publicity=True, finalised=True, adjustments=True))

        def done(revision: list_versions.Revision) -> None:
            self.load()
            say(
                self,
                tr(
                    "The list is revised into version {version}, hash {hash}.",
                    version=revision.version,
                    hash=revision.content_hash[:16] + "…",
                ),
            )

        self.start_operation(_("Revise the list…"), work, done)

    def open_evidence(self) -> None:
        """Copy the selected objection's evidence out of the file store and open it."""
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        project, row = self.project, self._selected(_("Open evidence…"))
        if project is None or row is None or not row.evidence:
            return
        folder = Path(tempfile.mkdtemp(prefix="review-desk-evidence-"))

        def work(_progress: Progress) -> list[Path]:
            paths = []
            for number, file in enumerate(row.evidence, start=1):
                target = folder / f"{number:02d}-{Path(file['name']).name}"
                project.files.export(file["sha256"], target)
                paths.append(target)
            return paths

        def done(paths: list[Path]) -> None:
            pdfs = [p for p in paths if p.suffix.lower() == ".pdf"]
            if pdfs:
                from ui.dialogs.record_viewer import RecordViewer

                self.viewer = RecordViewer(pdfs[0], pdfs[0].name, pdfs[0].name, self)
                self.viewer.show()
            else:
                QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))
            say(self, tr("Evidence copied to {folder}", folder=folder))

        self.start_operation(_("Open evidence…"), work, done)
