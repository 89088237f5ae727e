"""The error log: unexpected errors with their tracebacks, in a rotating file in the user
data folder (``$REVIEW_DESK_LOG_DIR`` overrides it).

The command line and the window write the same file, so that an error the user saw as
one line (or in a dialog) can be read in full later; 帮助 › 关于 shows where it is.
"""

from __future__ import annotations

import logging
import logging.handlers
import traceback
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from review_desk import __version__
from review_desk.paths import log_dir

LOG_NAME = "review-desk.log"
MAX_BYTES = 1_000_000
BACKUPS = 3


class _Handler(logging.handlers.RotatingFileHandler):
    """A rotating file handler that lets a failed write raise (logging's default prints
    its own traceback on standard error, which the user must never see)."""

    def handleError(self, record: logging.LogRecord) -> None:
        raise


def log_path() -> Path:
    """Return the path of the error log (it may not exist yet)."""
    return log_dir() / LOG_NAME


def format_details(
    exc_type: type[BaseException],
    error: BaseException,
    tb: TracebackType | None,
    *,
    context: str = "",
) -> str:
    """Return what the log keeps of an error: when, the version, where, the traceback."""
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    lines = [f"{stamp} review-desk {__version__}" + (f" {context}" if context else "")]
    lines += traceback.format_exception(exc_type, error, tb)
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines).rstrip()


def write_log(details: str) -> Path | None:
    """Append ``details`` to the rotating log; return its path, or None if even the log
    cannot be written (a full disk, no permission): the error is then still shown."""
    path = log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # A handler per write keeps no file open between errors; they are rare.
        handler = _Handler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    except OSError:
        return None
    try:
        handler.setFormatter(logging.Formatter("%(message)s"))
        record = logging.LogRecord("review_desk", logging.ERROR, "", 0, details, None, None)
        handler.handle(record)
    except OSError:
        return None
    finally:
        handler.close()
    return path


def log_exception(
    exc_type: type[BaseException],
    error: BaseException,
    tb: TracebackType | None,
    *,
    context: str = "",
) -> Path | None:
    """Write an unexpected error with its traceback to the log; return the log's path."""
    return write_log(format_details(exc_type, error, tb, context=context))
