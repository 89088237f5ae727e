"""Helpers shared by the CLI subcommands: errors, JSON output, opening a project."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import DBAPIError

from review_desk.error_log import log_exception
from review_desk.errors import UserError, os_error_message
from review_desk.i18n import _, tr
from review_desk.project import Project
from review_desk.storage.database import storage_failure
from scoring_models.rubric import RubricError

MAX_MESSAGE = 2000


class CommandError(UserError):
    """A failure to report to the user and turn into an exit code."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def one_line(message: str) -> str:
    """Return a message as one line: its lines joined, cut to a readable length."""
    parts = [part.strip() for part in str(message).splitlines() if part.strip()]
    text = "；".join(parts)
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def print_error(message: str) -> None:
    """Print an error message on standard error, as one line."""
    print(tr("Error: {message}", message=one_line(message)), file=sys.stderr, flush=True)


def report_exception(error: BaseException) -> int:
    """Tell the user about an exception in one line on standard error; return the exit code.

    Errors meant for the user (:class:`UserError`, a rubric's problems, an operating-system
    error named as a full disk, a missing permission or file) are shown as they are;
    anything else is unexpected: its traceback goes to the error log, and the line says
    where the log is. A traceback is never printed.
    """
    if isinstance(error, UserError):
        print_error(str(error))
        return int(getattr(error, "exit_code", 2))
    if isinstance(error, RubricError):
        from review_desk.rubrics import problem_text

        print_error("；".join(problem_text(problem) for problem in error.problems))
        return 2
    disk = storage_failure(error)
    if disk is not None:
        print_error(disk)
        return 2
    if isinstance(error, OSError) and error.errno is not None:
        print_error(os_error_message(error))
        return 2
    if isinstance(error, MemoryError):
        print_error(_("Not enough memory to finish this command."))
        return 2
    path = log_exception(type(error), error, error.__traceback__, context=" ".join(sys.argv))
    # A driver's error without SQLAlchemy's wrapping text and its web link.
    shown = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    summary = one_line(f"{type(shown).__name__}: {shown}")[:300]
    if path is None:
        message = tr("Unexpected error: {error} (the log could not be written)", error=summary)
    else:
        message = tr(
            "Unexpected error: {error} Details were written to the log {path}",
            error=summary,
            path=path,
        )
    print(one_line(message), file=sys.stderr, flush=True)
    return 2


def print_json(data: Any) -> None:
    """Print data as UTF-8 JSON: an object one member per line, a list one element
    per line, each encoded compactly. A national ranking is tens of megabytes of text:
    it is written as it is encoded (never held whole), by the json module's C encoder
    (an indented dump would take the pure-Python one, three times slower)."""
    encode = json.JSONEncoder(ensure_ascii=False, default=str).encode
    pending: list[str] = []
    size = 0

    def write(text: str) -> None:
        nonlocal size
        pending.append(text)
        size += len(text)
        if size >= 1 << 20:
            sys.stdout.write("".join(pending))
            pending.clear()
            size = 0

    def write_value(value: Any, indent: str) -> None:
        if isinstance(value, list) and value:
            write("[\n")
            last = len(value) - 1
            for i, item in enumerate(value):
                write(f"{indent}  {encode(item)}{',' if i < last else ''}\n")
            write(f"{indent}]")
        else:
            write(encode(value))

    if isinstance(data, dict) and data:
        write("{\n")
        last = len(data) - 1
        for i, (key, value) in enumerate(data.items()):
            write(f"  {encode(str(key))}: ")
            write_value(value, "  ")
            write(",\n" if i < last else "\n")
        write("}")
    else:
        write_value(data, "")
    write("\n")
    sys.stdout.write("".join(pending))


def open_project(location: str | Path, *, write: bool = True) -> Project:
    """Open a project (``write=False``: read-only, for commands that only read it).

    Its failures are :class:`~review_desk.storage.database.ProjectOpenError`, a
    :class:`UserError` that the command line shows as it is.
    """
    return Project(location, read_only=not write)


def dossier_by_code(project: Project, code: str) -> int:
    """The id of the dossier with this code; a :class:`CommandError` naming the code
    when there is none."""
    from sqlalchemy import select

    from review_desk.storage import models as m

    with project.reading() as session:
        found = session.scalar(select(m.Dossier.id).where(m.Dossier.code == code))
    if found is None:
        raise CommandError(tr("No dossier {code}.", code=code))
    return int(found)


def say_busy(attempt: int) -> None:
    """Tell the user a write is waiting for another one (the attempt is retried)."""
    print(
        tr("The project is busy (another user is saving); retrying ({n})…", n=attempt),
        file=sys.stderr,
        flush=True,
    )


def parse_deadline(text: str | None) -> datetime | None:
    """A ``--deadline`` argument: ISO 8601 with a time zone, or None when not given."""
    if not text:
        return None
    try:
        deadline = datetime.fromisoformat(text)
    except ValueError as error:
        raise CommandError(tr("Not a date and time: {value}", value=text)) from error
    if deadline.tzinfo is None:
        raise CommandError(_("The deadline needs a time zone, e.g. +08:00."))
    return deadline
