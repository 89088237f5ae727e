"""Connecting to a project on a server as a person: the server's address (remembered on
the computer, never with a password), the URL a connection uses, and who the logged-in
account is in the project."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import URL

from review_desk.server.accounts import Capacity
from review_desk.storage.database import shown_location

if TYPE_CHECKING:
    from review_desk.project import Project

# TLS choices offered to users, as PostgreSQL names them (docs/server.md explains them).
SSL_MODES = ("prefer", "require", "verify-full")
DEFAULT_PORT = 5432
CONNECT_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class ServerAddress:
    """Where a project is and who logs in: everything but the password."""

    host: str
    database: str
    user: str
    port: int = DEFAULT_PORT
    sslmode: str = "prefer"

    def url(self, password: str) -> str:
        """The SQLAlchemy URL of a connection with ``password`` (kept in memory only)."""
        query = {"sslmode": self.sslmode, "connect_timeout": str(CONNECT_TIMEOUT_SECONDS)}
        if self.host.startswith("/"):  # a Unix socket folder
            query["host"] = self.host
            host: str | None = None
        else:
            host = self.host
        return URL.create(
            "postgresql+psycopg",
            username=self.user,
            password=password or None,
            host=host,
            port=self.port,
            database=self.database,
            query=query,
        ).render_as_string(hide_password=False)

    def display(self) -> str:
        """As shown to users and kept in the recent list: ``user@host:port/database``."""
        return f"{self.user}@{self.host}:{self.port}/{self.database}"

    def as_dict(self) -> dict[str, str | int]:
        """For the settings (no password)."""
        return {
            "host": self.host,
            "database": self.database,
            "user": self.user,
            "port": self.port,
            "sslmode": self.sslmode,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> ServerAddress | None:
        """From the settings; None for an entry that is not one."""
        try:
            port = int(str(data.get("port", DEFAULT_PORT)))
            sslmode = str(data.get("sslmode", "prefer"))
            return cls(
                host=str(data["host"]),
                database=str(data["database"]),
                user=str(data["user"]),
                port=port,
                sslmode=sslmode if sslmode in SSL_MODES else "prefer",
            )
        except (KeyError, ValueError):
            return None


@dataclass(frozen=True)
class LoggedIn:
    """Who is connected to a project on a server."""

    login: str
    display_name: str
    capacity: Capacity | None  # None: the server's administrator, not a project account

    def describe(self) -> str:
        """``李明 · 专家 #3`` and the like."""
        name = self.display_name or self.login
        return f"{name} · {self.capacity.describe()}" if self.capacity else name


def logged_in(project: Project) -> LoggedIn | None:
    """The account connected to ``project`` on a server, or None for a project file."""
    if project.db.engine.dialect.name != "postgresql":
        return None
    with project.reading() as session:
        login = str(session.execute(text("SELECT session_user")).scalar())
        row = session.execute(
            text(
                "SELECT kind, department, expert_id, display_name FROM server_account "
                "WHERE login = session_user"
            )
        ).first()
    if row is None:
        return LoggedIn(login, "", None)
    return LoggedIn(login, str(row[3] or ""), Capacity(str(row[0]), row[1], row[2]))


def display_location(location: str) -> str:
    """A project's location as shown: a file's path as it is; a server URL as
    ``user@host:port/database``, never with its password."""
    return shown_location(location)
