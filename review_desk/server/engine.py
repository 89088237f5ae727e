"""Connecting to a server for the server commands (create, accounts, push and pull): an
engine for a PostgreSQL URL, and the server's refusals as errors for the user. A URL's
password is never part of a message."""

from __future__ import annotations

from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from review_desk.errors import UserError
from review_desk.i18n import tr
from review_desk.storage.database import shown_location

E = TypeVar("E", bound=UserError)


def server_engine(url: str, error: type[E], *, autocommit: bool = False) -> sa.Engine:
    """An engine on the PostgreSQL server at ``url`` (psycopg 3 unless the URL names
    another driver); ``error`` when ``url`` is not such an address."""
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError:
        parsed = None
    if parsed is None or parsed.get_backend_name() != "postgresql":
        raise error(tr("Not a PostgreSQL server address: {url}", url=shown_location(url)))
    if parsed.get_driver_name() in ("", "psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if autocommit:
        return sa.create_engine(parsed, isolation_level="AUTOCOMMIT")
    return sa.create_engine(parsed)


def refusal(failure: sa.exc.DBAPIError, error: type[E]) -> E:
    """The server's refusal, in its own first line, as ``error``."""
    reason = str(failure.orig).strip().splitlines()[0] if failure.orig else str(failure)
    return error(tr("The server refused: {reason}", reason=reason))
