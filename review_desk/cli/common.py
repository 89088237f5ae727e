"""Helpers shared by the CLI subcommands: errors, JSON output, opening a project."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from review_desk.i18n import tr
from review_desk.project import Project
from review_desk.storage.database import ProjectOpenError


class CommandError(Exception):
    """A failure to report to the user and turn into an exit code."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def print_error(message: str) -> None:
    """Print an error message on standard error."""
    print(tr("Error: {message}", message=message), file=sys.stderr)


def print_json(data: Any) -> None:
    """Print data as UTF-8 JSON."""
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def open_project(location: str | Path) -> Project:
    """Open a project, turning failures into a CommandError with the reason."""
    try:
        return Project(location)
    except ProjectOpenError as error:
        raise CommandError(str(error)) from error


def say_busy(attempt: int) -> None:
    """Tell the user a write is waiting for another one (the attempt is retried)."""
    print(
        tr("The project is busy (another user is saving); retrying ({n})…", n=attempt),
        file=sys.stderr,
        flush=True,
    )
