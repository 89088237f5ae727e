"""The application's actions in one registry: text, shortcut and status tip, declared once
and wired by the main window."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from review_desk.i18n import _


@dataclass(frozen=True)
class ActionSpec:
    """How an action looks."""

    key: str
    text: str
    shortcut: QKeySequence | QKeySequence.StandardKey | None = None
    tip: str = ""


def action_specs() -> list[ActionSpec]:
    """Return every action of the main window."""
    return [
        ActionSpec(
            "new_project",
            _("&New project…"),
            QKeySequence.StandardKey.New,
            _("Create an empty review project"),
        ),
        ActionSpec(
            "open_project",
            _("&Open project…"),
            QKeySequence.StandardKey.Open,
            _("Open a review project file"),
        ),
        ActionSpec(
            "connect_server",
            _("Connect to a &server…"),
            QKeySequence("Ctrl+Shift+O"),
            _("Open a project on the agency's server with your account"),
        ),
        ActionSpec(
            "open_demo",
            _("Open the &demo project"),
            None,
            _("Open the demo project, building it first if needed"),
        ),
        ActionSpec(
            "close_project",
            _("&Close project"),
            QKeySequence.StandardKey.Close,
            _("Close the open project"),
        ),
        ActionSpec(
            "open_work_package",
            _("Open &work package…"),
            None,
            _("Expert: open the package the agency sent you"),
        ),
        ActionSpec(
            "make_return",
            _("Make &return package…"),
            None,
            _("Expert: save your signed scores for the agency"),
        ),
        ActionSpec(
            "make_work_packages",
            _("Make work packages for all experts…"),
            None,
            _("Agency: one work package per expert"),
        ),
        ActionSpec(
            "import_returns",
            _("Import return packages…"),
            None,
            _("Agency: import the experts' signed returns from a folder"),
        ),
        ActionSpec(
            "enrol_key",
            _("Enrol an expert's key…"),
            None,
            _("Agency: enrol an expert's public key"),
        ),
        ActionSpec(
            "export_score_workbook",
            _("Export an Excel score workbook…"),
            None,
            _("Agency: an expert's score sheets as an Excel workbook, for experts without the app"),
        ),
        ActionSpec(
            "import_score_workbooks",
            _("Import Excel score workbooks…"),
            None,
            _("Agency: take returned Excel score workbooks back, submitting complete rows"),
        ),
        ActionSpec("quit", _("&Quit"), QKeySequence.StandardKey.Quit, _("Quit Review Desk")),
        ActionSpec(
            "refresh", _("&Refresh"), QKeySequence.StandardKey.Refresh, _("Read the project again")
        ),
        ActionSpec("about", _("&About Review Desk"), None, _("Version and credits")),
    ]


def create_actions(parent: QWidget) -> dict[str, QAction]:
    """Create the actions, keyed by name."""
    actions: dict[str, QAction] = {}
    for spec in action_specs():
        action = QAction(spec.text, parent)
        if spec.shortcut is not None:
            action.setShortcut(spec.shortcut)
        action.setStatusTip(spec.tip)
        actions[spec.key] = action
    return actions
