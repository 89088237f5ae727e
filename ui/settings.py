"""Settings kept on the user's machine (QSettings): window state, recent projects, role.

Declared once here, typed, with defaults and a version. Project parameters (rubrics,
quotas, deadlines) live in the project database, not here.
"""

from __future__ import annotations

import hashlib
import json

from PySide6.QtCore import QByteArray, QSettings

from review_desk.server.connection import ServerAddress

SETTINGS_VERSION = 1
MAX_RECENT = 8
ROLES = ("expert", "agency", "committee")


class Settings:
    """Typed access to the application's QSettings."""

    def __init__(self, qsettings: QSettings | None = None) -> None:
        self._s = qsettings or QSettings()
        # An INI file gives back the string it stored, the registry an int.
        if int(str(self._s.value("settings_version", 0))) < SETTINGS_VERSION:
            self._s.setValue("settings_version", SETTINGS_VERSION)

    @property
    def role(self) -> str:
        value = str(self._s.value("role", "agency"))
        return value if value in ROLES else "agency"

    @role.setter
    def role(self, value: str) -> None:
        self._s.setValue("role", value)

    @property
    def recent_projects(self) -> list[str]:
        value = self._s.value("recent_projects", [])
        if isinstance(value, str):  # an INI file gives a list of one back as its item
            value = [value]
        return [str(v) for v in value] if isinstance(value, list) else []

    def add_recent(self, path: str) -> None:
        items = [p for p in self.recent_projects if p != path]
        self._s.setValue("recent_projects", [path, *items][:MAX_RECENT])

    def remove_recent(self, path: str) -> None:
        self._s.setValue("recent_projects", [p for p in self.recent_projects if p != path])

    @property
    def servers(self) -> list[ServerAddress]:
        """The servers connected to, newest first (never a password)."""
        try:
            items = json.loads(str(self._s.value("servers", "[]")))
        except ValueError:
            return []
        found = [ServerAddress.from_dict(i) for i in items if isinstance(i, dict)]
        return [a for a in found if a is not None]

    def add_server(self, address: ServerAddress) -> None:
        items = [a for a in self.servers if a != address]
        self._s.setValue(
            "servers", json.dumps([a.as_dict() for a in [address, *items][:MAX_RECENT]])
        )

    @property
    def geometry(self) -> QByteArray | None:
        value = self._s.value("window/geometry")
        return value if isinstance(value, QByteArray) else None

    @geometry.setter
    def geometry(self, value: QByteArray) -> None:
        self._s.setValue("window/geometry", value)

    @property
    def window_state(self) -> QByteArray | None:
        value = self._s.value("window/state")
        return value if isinstance(value, QByteArray) else None

    @window_state.setter
    def window_state(self, value: QByteArray) -> None:
        self._s.setValue("window/state", value)

    @property
    def last_page(self) -> str:
        return str(self._s.value("window/page", "overview"))

    @last_page.setter
    def last_page(self, value: str) -> None:
        self._s.setValue("window/page", value)

    def desk_expert(self, project_url: str) -> int | None:
        """The expert last chosen on the scoring desk for a project."""
        value = self._s.value(_desk_expert_key(project_url))
        return int(value) if value is not None and str(value).isdigit() else None

    def set_desk_expert(self, project_url: str, expert_id: int) -> None:
        self._s.setValue(_desk_expert_key(project_url), expert_id)


def _desk_expert_key(project_url: str) -> str:
    # The project's URL is hashed: a path or a server URL is no settings key.
    digest = hashlib.sha256(project_url.encode()).hexdigest()[:16]
    return f"scoring_desk/expert/{digest}"
