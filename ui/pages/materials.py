"""申报材料: the dossiers received, their applicants, partners and files."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QSplitter, QVBoxLayout, QWidget

from review_desk import queries
from review_desk.domain import ApplicantKind, Level
from review_desk.formatting import file_size, local_time
from review_desk.i18n import _, tr

from ui.models.row_table import Column
from ui.pages.base import Page, card
from ui.widgets.data_table import DataTable


def _dossier_columns() -> list[Column[queries.DossierRow]]:
    return [
        Column(_("Dossier no."), lambda r: r.code),
        Column(_("Lead applicant"), lambda r: r.applicant),
        Column(_("Kind"), lambda r: ApplicantKind(r.applicant_kind).label),
        Column(
            _("Direction"),
            lambda r: f"{r.direction_number:02d} {r.direction}",
            lambda r: r.direction_number,
        ),
        Column(_("Level"), lambda r: Level(r.level).label),
        Column(_("Partners"), lambda r: str(len(r.partners)), lambda r: len(r.partners), True),
        Column(_("Pages"), lambda r: str(r.pages), lambda r: r.pages, True),
        Column(
            _("Received"),
            lambda r: local_time(r.received_at) + ("  " + _("late") if r.late else ""),
            lambda r: r.received_at.isoformat() if r.received_at else "",
            foreground=lambda r: "#b42318" if r.late else None,
        ),
        Column(_("Platform"), lambda r: r.platform_name),
    ]


class MaterialsPage(Page):
    """The dossier list with the selected dossier's details."""

    key = "materials"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            _(
                "Every application received, with its lead applicant, partners and files. "
                "Register import, text-layer checks and the built-in PDF viewer come with "
                "the dossier intake feature."
            ),
            parent,
        )
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.table = DataTable(_dossier_columns(), stretch_column=8, parent=splitter)
        self.table.row_selected.connect(self.show_dossier)
        detail = QWidget(splitter)
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        info_card, info_layout = card(_("Dossier"), detail)
        self.form = QFormLayout()
        self.detail: dict[str, QLabel] = {}
        for key, caption in (
            ("platform", _("Platform")),
            ("applicant", _("Lead applicant")),
            ("partners", _("Partners")),
            ("direction", _("Direction")),
            ("level", _("Level")),
            ("received", _("Received")),
        ):
            value = QLabel("-", info_card)
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.detail[key] = value
            self.form.addRow(caption + "：", value)
        info_layout.addLayout(self.form)
        detail_layout.addWidget(info_card)
        files_card, files_layout = card(_("Files"), detail)
        self.files = DataTable(
            [
                Column(_("File"), lambda r: r.filename),
                Column(_("Version"), lambda r: str(r.version), lambda r: r.version, True),
                Column(_("Pages"), lambda r: str(r.page_count or "-"), align_right=True),
                Column(_("Size"), lambda r: file_size(r.size), lambda r: r.size, True),
                Column(_("SHA-256"), lambda r: r.sha256[:12] + "…", tooltip=lambda r: r.sha256),
            ],
            searchable=False,
            stretch_column=0,
            parent=files_card,
        )
        files_layout.addWidget(self.files)
        detail_layout.addWidget(files_card, 1)
        splitter.addWidget(self.table)
        splitter.addWidget(detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([760, 440])
        self.body.addWidget(splitter, 1)

    def load(self) -> None:
        if self.project is None:
            return
        self.table.set_rows(queries.dossiers(self.project))
        self.table.select_first()

    def show_dossier(self, row: queries.DossierRow) -> None:
        """Show the details and files of a dossier."""
        if self.project is None:
            return
        self.detail["platform"].setText(row.platform_name)
        self.detail["applicant"].setText(
            f"{row.applicant}（{ApplicantKind(row.applicant_kind).label}，{row.city or '-'}）"
        )
        self.detail["partners"].setText("、".join(row.partners) or _("none"))
        self.detail["direction"].setText(f"{row.direction_number:02d} {row.direction}")
        self.detail["level"].setText(Level(row.level).label)
        received = local_time(row.received_at)
        if row.late:
            received += "  " + _("(after the deadline)")
        self.detail["received"].setText(received)
        self.files.set_rows(queries.materials(self.project, row.id))
        self.files.setToolTip(tr("{count} files", count=row.materials))
