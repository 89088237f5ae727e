"""项目概览: the project at a glance: its parameters, counts and the directions applied for."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QGridLayout, QHBoxLayout, QLabel, QWidget

from review_desk import queries
from review_desk.changes import Changes
from review_desk.formatting import local_time
from review_desk.i18n import _, tr

from ui.models.row_table import Column
from ui.pages.base import Page, card
from ui.widgets.data_table import DataTable

# The directions table's column of the provincial cap (a selection round's quota).
PROVINCIAL_CAP_COLUMN = 5


class StatTile(QWidget):
    """A big number with a caption."""

    def __init__(self, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statTile")
        self.value = QLabel("-", self)
        self.value.setObjectName("statValue")
        label = QLabel(caption, self)
        label.setObjectName("statCaption")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.addWidget(self.value)
        layout.addWidget(label, 1)


class OverviewPage(Page):
    """The first page of every role."""

    key = "overview"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            _("The review round, its rules and how far the work has come."),
            parent,
        )
        top = QHBoxLayout()
        info_card, info_layout = card(_("Review round"), self)
        self.form = QFormLayout()
        self.form.setHorizontalSpacing(18)
        self.fields: dict[str, QLabel] = {}
        for key, caption in (
            ("name", _("Project")),
            ("round", _("Round")),
            ("organiser", _("Organiser")),
            ("agency", _("Third-party agency")),
            ("deadline", _("Dossier deadline")),
            ("quota", _("Quota rules")),
        ):
            value = QLabel("-", info_card)
            value.setWordWrap(True)
            self.fields[key] = value
            self.form.addRow(caption + "：", value)
        info_layout.addLayout(self.form)
        info_layout.addStretch(1)
        top.addWidget(info_card, 3)

        stats_card, stats_layout = card(_("Progress"), self)
        grid = QGridLayout()
        grid.setSpacing(8)
        self.tiles: dict[str, StatTile] = {}
        for index, (key, caption) in enumerate(
            (
                ("applicants", _("Applicants")),
                ("dossiers", _("Dossiers")),
                ("directions_in_use", _("Directions applied for")),
                ("experts", _("Experts")),
                ("panels", _("Panels")),
                ("recusals", _("Recusals")),
                ("sheets_submitted", _("Score sheets submitted")),
                ("sheets_draft", _("Score sheets in progress")),
            )
        ):
            tile = StatTile(caption, stats_card)
            self.tiles[key] = tile
            grid.addWidget(tile, index // 2, index % 2)
        stats_layout.addLayout(grid)
        top.addWidget(stats_card, 2)
        self.body.addLayout(top)

        directions_card, directions_layout = card(_("Dossiers by industry direction"), self)
        self.directions = DataTable(
            [
                Column(_("No."), lambda r: str(r.number), lambda r: r.number, align_right=True),
                Column(_("Industry direction"), lambda r: r.name),
                Column(_("Provincial"), lambda r: str(r.provincial), lambda r: r.provincial, True),
                Column(_("Municipal"), lambda r: str(r.municipal), lambda r: r.municipal, True),
                Column(_("County"), lambda r: str(r.county), lambda r: r.county, True),
                Column(_("Provincial cap"), lambda r: str(r.cap), lambda r: r.cap, True),
            ],
            searchable=False,
            stretch_column=1,
            parent=directions_card,
        )
        directions_layout.addWidget(self.directions)
        self.body.addWidget(directions_card, 1)

    def affected_by(self, changes: Changes) -> bool:
        # Counts of dossiers, experts, sheets and tiers: nearly any change shows here.
        return bool(changes)

    def load(self) -> None:
        if self.project is None:
            return
        info = self.project.info()
        summary = self.project.summary()
        self.fields["name"].setText(info.name)
        self.fields["round"].setText(info.round_name or "-")
        self.fields["organiser"].setText(info.organiser or "-")
        self.fields["agency"].setText(info.agency or "-")
        self.fields["deadline"].setText(local_time(info.deadline))
        # A recognition round (认定验收) has no quotas: it shows where its bases came from.
        recognition = info.kind == "recognition"
        caption = self.form.labelForField(self.fields["quota"])
        if isinstance(caption, QLabel):
            caption.setText((_("Selection round") if recognition else _("Quota rules")) + "：")
        self.fields["quota"].setText(
            tr(
                "{project} ({round}), list version {version}",
                project=info.source_name,
                round=info.source_round_name,
                version=info.source_list_version or "—",
            )
            if recognition
            else tr(
                "about {target} provincial bases in all (±{tolerance}), "
                "at most {cap} per direction; the rest municipal or county",
                target=info.provincial_target,
                tolerance=info.provincial_tolerance,
                cap=info.per_direction_cap,
            )
        )
        self.directions.view.setColumnHidden(PROVINCIAL_CAP_COLUMN, recognition)
        for key, tile in self.tiles.items():
            tile.value.setText(str(getattr(summary, key)))
        rows = [
            r
            for r in queries.direction_counts(self.project)
            if r.provincial + r.municipal + r.county
        ]
        self.directions.set_rows(rows)
