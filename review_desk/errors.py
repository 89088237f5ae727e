"""The one base type for every error that is meant for the user, and how I/O errors are named.

Every failure the user can do something about (a wrong file, a refused action, a busy
project) is a :class:`UserError`. It carries a code and parameters and is translated
through :mod:`review_desk.i18n` when it is shown, so that the CLI, the UI and the logs
report it the same way; ``str(error)`` is the translated message, so callers that
print it keep working. Anything that is not a ``UserError`` is unexpected: the CLI and
the UI log it with its traceback and say where the log is (see :mod:`review_desk.error_log`).

``scoring_models`` cannot import this module (it stays free of the core); its
``RubricError`` is turned into a message where it crosses into the core or the CLI.
"""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

from review_desk.i18n import _, tr


class UserError(Exception):
    """A failure whose message is for the user.

    Either a message that is already translated (``UserError(tr("…", x=1))``, what most
    of the core raises), or a code with an English template and its parameters
    (``UserError(code="file.missing", template="File not found: {path}", path=p)``),
    translated each time it is shown, in the language in force then.
    """

    code: str = "error"

    def __init__(
        self,
        message: str | None = None,
        /,
        *,
        code: str | None = None,
        template: str | None = None,
        **params: Any,
    ) -> None:
        super().__init__(message if message is not None else (template or ""))
        self._message = message
        self.template = template
        self.params = params
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        """The translated message, rendered now."""
        if self._message is not None:
            return self._message
        if self.template is not None:
            return tr(self.template, **self.params)
        return _("Something went wrong.")

    def __str__(self) -> str:
        return self.message


def os_error_message(error: OSError) -> str:
    """Name an operating-system error as the user should read it: a full disk, a missing
    permission, a missing file, each with the path involved."""
    path = error.filename if error.filename is not None else ""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return tr("The disk is full: {path}", path=path) if path else _("The disk is full.")
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return tr("Permission denied: {path}", path=path) if path else _("Permission denied.")
    if error.errno == errno.ENOENT:
        return tr("File not found: {path}", path=path)
    if error.errno == errno.EISDIR:
        return tr("{path} is a folder, not a file.", path=path)
    if error.errno == errno.EEXIST:
        return tr("A file already exists at {path}.", path=path)
    if error.errno == errno.ENOTDIR:
        return tr("Not a folder: {path}", path=path)
    reason = error.strerror or type(error).__name__
    return tr("Cannot read or write {path}: {reason}", path=path, reason=reason)


def file_refusal(path: Path) -> str | None:
    """Why ``path`` cannot be taken as an input file (it does not exist, or it is a
    folder), in the user's language; None for a file."""
    if path.is_dir():
        return tr("{path} is a folder, not a file.", path=path)
    if not path.is_file():
        return tr("File not found: {path}", path=path)
    return None


def os_error_reason(error: OSError) -> str:
    """Name the cause of an operating-system error without its path, for a message that
    already says which file ("Cannot write X: the disk is full")."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return _("the disk is full")
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return _("permission denied")
    if error.errno in (errno.ENOENT, errno.ENOTDIR):
        return _("the file or folder does not exist")
    if error.errno == errno.EEXIST:
        return tr("a file is in the way: {path}", path=error.filename or "")
    if error.errno == errno.EISDIR:
        return _("it is a folder")
    return error.strerror or type(error).__name__


def reason_text(error: BaseException) -> str:
    """Say why reading a file failed, in the user's language where the cause is known
    (an operating-system error, a file that is not a zip archive)."""
    import zipfile

    if isinstance(error, OSError) and error.errno is not None:
        return os_error_message(error)
    if isinstance(error, zipfile.BadZipFile):
        return _("not a zip archive, or a damaged one")
    return str(error)


class IOFailure(UserError):
    """An operating-system error (full disk, no permission, missing file) named as such."""

    code = "io"

    def __init__(self, error: OSError) -> None:
        super().__init__(os_error_message(error))
        self.os_error = error


class ProjectOpenError(UserError):
    """A project database that cannot be opened; the message is for the user.

    It lives here rather than beside the database code so that the UI can catch it
    without importing storage (``review_desk.storage.database`` re-exports it).
    """


class NotPermitted(UserError):
    """The server refused the work: the logged-in account may not do it (a project on a
    server enforces each person's rights itself)."""
