"""The rubric editor (指导标准): the criterion tree, a form for the selected node, the
scoring bands as a small table, live validation and live totals, import and export of
the file, and making the edited rubric the project's (a rubric in use is locked, so a
changed one is stored as a new version)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from review_desk.i18n import _, tr
from review_desk.project import Project
from scoring_models.rubric import (
    APPLICANT_KINDS,
    STAGES,
    RubricError,
    rubric_from_dict,
)

PATH_ROLE = Qt.ItemDataRole.UserRole


class RubricEditor(QWidget):
    """Edits a rubric's parsed content and validates it as it changes."""

    use_requested = Signal(str)
    """The TOML text of a valid rubric the user wants the project to use."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project: Project | None = None
        self.source: dict[str, Any] = {}
        self._path: tuple[Any, ...] = ()
        self._filling = False

        buttons = QHBoxLayout()
        self.import_button = QPushButton(_("Import file…"), self)
        self.export_button = QPushButton(_("Export file…"), self)
        self.add_group_button = QPushButton(_("Add 一级指标"), self)
        self.add_criterion_button = QPushButton(_("Add 二级指标"), self)
        self.remove_button = QPushButton(_("Remove"), self)
        self.activate_button = QPushButton(_("Use for this project"), self)
        self.activate_button.setObjectName("primaryButton")
        for button in (
            self.import_button,
            self.export_button,
            self.add_group_button,
            self.add_criterion_button,
            self.remove_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.activate_button)

        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels([_("Node"), _("Points")])
        self.tree.setColumnWidth(0, 300)
        self.form_host = QWidget(self)
        self.form = QFormLayout(self.form_host)
        self.bands_model = QStandardItemModel(0, 4, self)
        self.bands_model.setHorizontalHeaderLabels([_("Band"), _("From"), _("To"), _("Descriptor")])
        self.bands = QTableView(self)
        self.bands.setModel(self.bands_model)
        self.bands.horizontalHeader().setStretchLastSection(True)
        self.bands.verticalHeader().setVisible(False)
        self.totals = QLabel("", self)
        self.totals.setObjectName("totals")
        self.totals.setWordWrap(True)
        self.problems = QListWidget(self)
        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.form_host)
        right_layout.addWidget(QLabel(_("Scoring bands") + "：", right))
        right_layout.addWidget(self.bands, 1)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(self.tree)
        split.addWidget(right)
        split.setSizes([380, 560])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.totals)
        layout.addWidget(split, 1)
        layout.addWidget(QLabel(_("Problems") + "：", self))
        self.problems.setMaximumHeight(110)
        layout.addWidget(self.problems)

        self.tree.currentItemChanged.connect(lambda item, _prev: self._select(item))
        self.bands_model.itemChanged.connect(self._bands_changed)
        self.import_button.clicked.connect(self.import_file)
        self.export_button.clicked.connect(self.export_file)
        self.add_group_button.clicked.connect(self.add_group)
        self.add_criterion_button.clicked.connect(self.add_criterion)
        self.remove_button.clicked.connect(self.remove)
        self.activate_button.clicked.connect(self.activate)

    # ------------------------------------------------------------- content
    def set_project(self, project: Project) -> None:
        """Edit the project's active rubric."""
        from review_desk.rubrics import active_rubric

        self.project = project
        self.set_source(copy.deepcopy(active_rubric(project).source))

    def set_source(self, source: dict[str, Any]) -> None:
        """Edit ``source`` (a parsed rubric); the first criterion is shown."""
        self.source = source
        self._rebuild_tree()
        self.validate()
        items = (self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount()))
        first_group = next(
            (
                item
                for item in items
                if item is not None and (item.data(0, PATH_ROLE) or ("",))[0] == "group"
            ),
            None,
        )
        first_criterion = first_group.child(0) if first_group is not None else None
        if first_criterion is not None:
            self.tree.setCurrentItem(first_criterion)

    def _rebuild_tree(self) -> None:
        self.tree.clear()
        head = QTreeWidgetItem([self.source.get("rubric", {}).get("name", _("Rubric")), ""])
        head.setData(0, PATH_ROLE, ("rubric",))
        self.tree.addTopLevelItem(head)
        stages = QTreeWidgetItem([_("Stages and weights"), ""])
        self.tree.addTopLevelItem(stages)
        for i, stage in enumerate(self.source.get("stage", [])):
            item = QTreeWidgetItem(
                [f"{stage.get('name', '')}（{stage.get('key', '')}）", str(stage.get("weight", ""))]
            )
            item.setData(0, PATH_ROLE, ("stage", i))
            stages.addChild(item)
        for gi, group in enumerate(self.source.get("group", [])):
            gitem = QTreeWidgetItem(
                [
                    f"{group.get('id', '')} {group.get('name', '')}",
                    f"{sum(c.get('max', 0) for c in group.get('criterion', [])):g}",
                ]
            )
            gitem.setData(0, PATH_ROLE, ("group", gi))
            self.tree.addTopLevelItem(gitem)
            for ci, c in enumerate(group.get("criterion", [])):
                citem = QTreeWidgetItem(
                    [f"{c.get('id', '')} {c.get('name', '')}", f"{c.get('max', 0):g}"]
                )
                citem.setData(0, PATH_ROLE, ("criterion", gi, ci))
                gitem.addChild(citem)
        vetoes = QTreeWidgetItem([_("Veto items"), ""])
        self.tree.addTopLevelItem(vetoes)
        for vi, veto in enumerate(self.source.get("veto", [])):
            item = QTreeWidgetItem(
                [
                    f"{veto.get('id', '')} {veto.get('name', '')}",
                    tr("{n} experts", n=veto.get("threshold", "")),
                ]
            )
            item.setData(0, PATH_ROLE, ("veto", vi))
            vetoes.addChild(item)
        self.tree.expandAll()

    def node(self, path: tuple[Any, ...]) -> dict[str, Any]:
        """Return the dict of a tree node."""
        kind = path[0]
        node: dict[str, Any]  # every node of a parsed rubric is a table
        if kind == "rubric":
            node = self.source.setdefault("rubric", {})
        elif kind == "stage":
            node = self.source["stage"][path[1]]
        elif kind == "group":
            node = self.source["group"][path[1]]
        elif kind == "criterion":
            node = self.source["group"][path[1]]["criterion"][path[2]]
        else:
            node = self.source["veto"][path[1]]
        return node

    # ---------------------------------------------------------------- form
    def _select(self, item: QTreeWidgetItem | None) -> None:
        path = item.data(0, PATH_ROLE) if item is not None else None
        self._path = tuple(path) if path else ()
        self._fill_form()

    def _clear_form(self) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)

    def _text(self, key: str, caption: str, multiline: bool = False) -> None:
        node = self.node(self._path)
        edit: QLineEdit | QPlainTextEdit
        if multiline:
            edit = QPlainTextEdit(str(node.get(key, "")), self.form_host)
            edit.setMaximumHeight(70)
            edit.textChanged.connect(lambda e=edit, k=key: self._set(k, e.toPlainText()))
        else:
            edit = QLineEdit(str(node.get(key, "")), self.form_host)
            edit.textEdited.connect(lambda text, k=key: self._set(k, text))
        self.form.addRow(caption + "：", edit)

    def _number(self, key: str, caption: str, step: float = 0.5, maximum: float = 1000) -> None:
        node = self.node(self._path)
        box = QDoubleSpinBox(self.form_host)
        box.setDecimals(2)
        box.setRange(0, maximum)
        box.setSingleStep(step)
        box.setValue(float(node.get(key, 0) or 0))
        box.valueChanged.connect(lambda value, k=key: self._set(k, value))
        self.form.addRow(caption + "：", box)

    def _choice(self, key: str, caption: str, options: tuple[str, ...]) -> None:
        node = self.node(self._path)
        box = QComboBox(self.form_host)
        box.addItems(list(options))
        box.setCurrentText(str(node.get(key, options[0])))
        box.currentTextChanged.connect(lambda text, k=key: self._set(k, text))
        self.form.addRow(caption + "：", box)

    def _fill_form(self) -> None:
        self._filling = True
        self._clear_form()
        self.bands_model.removeRows(0, self.bands_model.rowCount())
        kind = self._path[0] if self._path else None
        if kind == "rubric":
            self._text("name", _("Title"))
            self._text("version", _("Version"))
            self._text("issuer", _("Issued by"))
            self._number("total", _("Total"), 1)
        elif kind == "stage":
            self._text("name", _("Title"))
            self._choice("key", _("Stage"), STAGES)
            self._number("weight", _("Weight"), 0.05, 1)
        elif kind == "group":
            self._text("id", _("Id"))
            self._text("name", _("Title"))
        elif kind == "criterion":
            self._text("id", _("Id"))
            self._text("name", _("Title"))
            self._choice("stage", _("Stage"), STAGES)
            self._number("max", _("Max points"))
            self._number("step", _("Step"), 0.5, 10)
            self._text("guidance", _("Guidance"), multiline=True)
            kinds = QLineEdit(
                ", ".join(self.node(self._path).get("applies_to", ["all"])), self.form_host
            )
            kinds.setToolTip(", ".join(("all", *APPLICANT_KINDS)))
            kinds.textEdited.connect(
                lambda text: self._set(
                    "applies_to", [k.strip() for k in text.split(",") if k.strip()]
                )
            )
            self.form.addRow(_("Applies to") + "：", kinds)
            for band in self.node(self._path).get("band", []):
                self.bands_model.appendRow(
                    [
                        QStandardItem(str(band.get("level", ""))),
                        QStandardItem(f"{band.get('min', 0):g}"),
                        QStandardItem(f"{band.get('max', 0):g}"),
                        QStandardItem(str(band.get("descriptor", ""))),
                    ]
                )
        elif kind == "veto":
            self._text("id", _("Id"))
            self._text("name", _("Title"))
            self._text("description", _("Description"), multiline=True)
            box = QSpinBox(self.form_host)
            box.setRange(1, 50)
            box.setValue(int(self.node(self._path).get("threshold", 1)))
            box.valueChanged.connect(lambda value: self._set("threshold", value))
            self.form.addRow(_("Experts needed to veto") + "：", box)
        self.bands.setEnabled(kind == "criterion")
        self._filling = False

    def _set(self, key: str, value: Any) -> None:
        if self._filling or not self._path:
            return
        node = self.node(self._path)
        if isinstance(value, float) and value.is_integer() and key in ("max", "total", "step"):
            value = int(value) if key != "step" else value
        node[key] = value
        item = self.tree.currentItem()
        if item is not None and key in ("name", "id", "max", "weight", "key"):
            if self._path[0] == "criterion":
                item.setText(0, f"{node.get('id', '')} {node.get('name', '')}")
                item.setText(1, f"{node.get('max', 0):g}")
            elif self._path[0] in ("group", "veto"):
                item.setText(0, f"{node.get('id', '')} {node.get('name', '')}")
            elif self._path[0] == "stage":
                item.setText(0, f"{node.get('name', '')}（{node.get('key', '')}）")
                item.setText(1, str(node.get("weight", "")))
        self.validate()

    def _bands_changed(self, _item: QStandardItem) -> None:
        if self._filling or not self._path or self._path[0] != "criterion":
            return
        bands = []
        for row in range(self.bands_model.rowCount()):
            cells = [
                self.bands_model.item(row, c).text() if self.bands_model.item(row, c) else ""
                for c in range(4)
            ]
            band: dict[str, Any] = {"level": cells[0], "descriptor": cells[3]}
            for key, text in (("min", cells[1]), ("max", cells[2])):
                try:
                    number = float(text)
                    band[key] = int(number) if number.is_integer() else number
                except ValueError:
                    band[key] = text
            bands.append(band)
        self.node(self._path)["band"] = bands
        self.validate()

    # ---------------------------------------------------------- validation
    def validate(self) -> bool:
        """Check the rubric now; list the problems and the totals."""
        from review_desk.rubrics import problem_text

        self.problems.clear()
        try:
            rubric = rubric_from_dict(copy.deepcopy(self.source))
        except RubricError as error:
            for problem in error.problems:
                self.problems.addItem(problem_text(problem))
            self.totals.setText(tr("{count} problems found.", count=len(error.problems)))
            self.activate_button.setEnabled(False)
            return False
        parts = [f"{s.name} {rubric.stage_max(s.key):g} × {s.weight:g}" for s in rubric.stages]
        self.totals.setText(
            tr("{count} criteria; ", count=len(rubric.criteria))
            + "；".join(parts)
            + tr("; total {total}; valid", total=f"{rubric.total:g}")
        )
        self.problems.addItem(_("No problems."))
        self.activate_button.setEnabled(self.project is not None)
        return True

    # -------------------------------------------------------------- actions
    def add_group(self) -> None:
        """Add a first-level criterion with one leaf."""
        groups = self.source.setdefault("group", [])
        number = len(groups) + 1
        groups.append(
            {
                "id": f"G{number}",
                "name": _("New group"),
                "criterion": [self._new_leaf(f"G{number}1")],
            }
        )
        self._rebuild_tree()
        self.validate()

    def _new_leaf(self, leaf_id: str) -> dict[str, Any]:
        stage = self.source.get("stage", [{"key": "materials"}])[0].get("key", "materials")
        return {
            "id": leaf_id,
            "name": _("New criterion"),
            "stage": stage,
            "max": 10,
            "step": 0.5,
            "applies_to": ["all"],
            "guidance": "",
            "band": [
                {"level": "优", "min": 8.5, "max": 10, "descriptor": ""},
                {"level": "良", "min": 7, "max": 8, "descriptor": ""},
                {"level": "中", "min": 6, "max": 6.5, "descriptor": ""},
                {"level": "差", "min": 0, "max": 5.5, "descriptor": ""},
            ],
        }

    def add_criterion(self) -> None:
        """Add a leaf to the selected first-level criterion."""
        if not self._path or self._path[0] not in ("group", "criterion"):
            QMessageBox.information(self, _("Add 二级指标"), _("Select a 一级指标 first."))
            return
        group = self.source["group"][self._path[1]]
        leaves = group.setdefault("criterion", [])
        leaves.append(self._new_leaf(f"{group.get('id', 'X')}{len(leaves) + 1}"))
        self._rebuild_tree()
        self.validate()

    def remove(self) -> None:
        """Remove the selected group, criterion or veto item."""
        if not self._path or self._path[0] not in ("group", "criterion", "veto"):
            return
        if self._path[0] == "criterion":
            del self.source["group"][self._path[1]]["criterion"][self._path[2]]
        else:
            del self.source[self._path[0]][self._path[1]]
        self._path = ()
        self._rebuild_tree()
        self._fill_form()
        self.validate()

    def import_file(self) -> None:
        """Load a rubric file into the editor (problems are listed, nothing is lost)."""
        path, _filter = QFileDialog.getOpenFileName(self, _("Import file…"), "", "TOML (*.toml)")
        if not path:
            return
        from review_desk.rubrics import problem_text, read_rubric_source

        try:
            source = read_rubric_source(Path(path))
        except RubricError as error:
            message = "\n".join(problem_text(p) for p in error.problems)
            QMessageBox.warning(self, _("Import file…"), message)
            return
        self.set_source(source)

    def export_file(self) -> None:
        """Write the edited rubric to a TOML file."""
        from scoring_models.rubric_toml import dump_rubric

        path, _filter = QFileDialog.getSaveFileName(
            self, _("Export file…"), "rubric.toml", "TOML (*.toml)"
        )
        if path:
            Path(path).write_text(dump_rubric(self.source, "Review Desk rubric"), encoding="utf-8")

    def activate(self) -> None:
        """Ask for the edited rubric to become the project's (a new version when it
        changed): the page that holds the editor writes it in the background and
        answers with :meth:`rubric_used` or :meth:`rubric_refused`."""
        from scoring_models.rubric_toml import dump_rubric

        if self.project is None or not self.validate():
            return
        self.use_requested.emit(dump_rubric(self.source, "Review Desk rubric"))

    def rubric_refused(self, error: BaseException) -> None:
        """The project did not take the rubric: say why."""
        from review_desk.rubrics import problem_text

        text = (
            "\n".join(problem_text(p) for p in error.problems)
            if isinstance(error, RubricError)
            else str(error)
        )
        QMessageBox.warning(self, _("Use for this project"), text)

    def rubric_used(self, rubric: Any) -> None:
        """The project now uses ``rubric``."""
        QMessageBox.information(
            self,
            _("Use for this project"),
            tr("The project now uses {name} {version}.", name=rubric.name, version=rubric.version),
        )
