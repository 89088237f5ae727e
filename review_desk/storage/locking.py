"""Taking the database's write lock at the start of a transaction, so that what a
writer reads to decide (the chain head, the last sequence number, whether a sheet
exists) cannot change before it commits.

SQLite has one writer at a time: a write statement that changes no row starts the
write transaction (``BEGIN IMMEDIATE`` in effect, waiting up to the busy timeout for
another writer). PostgreSQL locks rows: a writer locks the rows its decision depends
on (``SELECT … FOR UPDATE``) or a transaction-scoped advisory lock for a whole table's
worth of decisions. Both are released at commit or rollback.
"""

from __future__ import annotations

import zlib

from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from review_desk.errors import UserError
from review_desk.i18n import _


class ProjectBusy(UserError):
    """Another process held the project's write lock for too long; the message is for
    the user, and the action can simply be tried again."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or _("The project is busy: another user or program is saving. Try again shortly.")
        )


def is_lock_timeout(error: BaseException) -> bool:
    """True when a database error means "another writer holds the lock"."""
    if not isinstance(error, OperationalError):
        return False
    text_of = str(error.orig).lower()
    return "locked" in text_of or "busy" in text_of or "lock timeout" in text_of


def lock_for_write(session: Session, *, key: str = "project") -> None:
    """Take the write lock for ``key`` in the session's transaction.

    On SQLite every key is the one database lock; on PostgreSQL each key is its own
    advisory lock, so writers of unrelated things (two experts' sheets) do not wait for
    each other. Raises :class:`ProjectBusy` when the wait times out.
    """
    dialect = session.get_bind().dialect.name
    try:
        if dialect == "sqlite":
            # The audit log is the one table every writer appends to; its triggers fire
            # per row, so none fires for a statement that matches no row.
            session.execute(text("UPDATE audit_log SET id = id WHERE 0"))
        elif dialect == "postgresql":
            session.execute(
                text("SELECT pg_advisory_xact_lock(:space, :key)"),
                {"space": 727274, "key": zlib.crc32(key.encode()) - 2**31},
            )
    except OperationalError as error:
        if is_lock_timeout(error):
            raise ProjectBusy() from error
        raise
