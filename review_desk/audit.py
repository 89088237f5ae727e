"""The audit log (审计日志): append an entry for every change that matters, and verify
the hash chain.

Each entry's hash covers its own content and the previous entry's hash, and entry ids
run without gaps, so editing, deleting or re-ordering any entry breaks the chain at
that entry. The database refuses UPDATE and DELETE on the table (triggers from the
first migration); the chain also catches changes made behind the triggers' back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from review_desk.i18n import tr
from review_desk.storage.locking import lock_for_write
from review_desk.storage.models import AuditLog

GENESIS_HASH = "0" * 64
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """Return the current time in UTC (the default clock)."""
    return datetime.now(UTC)


def entry_hash(
    *,
    entry_id: int,
    at: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    before: Any,
    after: Any,
    prev_hash: str,
) -> str:
    """Return the SHA-256 of an entry's canonical JSON form."""
    canonical = json.dumps(
        {
            "id": entry_id,
            "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor": actor,
            "action": action,
            "entity": entity,
            "entity_id": entity_id,
            "before": before,
            "after": after,
            "prev": prev_hash,
        },
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def server_login(session: Session) -> str | None:
    """The login of the person connected to a project on a server (an account of the
    project), or None: in a project file, or for the server's administrator."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    # A connection's login never changes, nor does an account's login once it has one:
    # asked once per connection (not remembered while the login has no account).
    info = session.connection().info
    if "rd_account_login" in info:
        return str(info["rd_account_login"])
    login = session.execute(
        text("SELECT login FROM server_account WHERE login = session_user")
    ).scalar()
    if login is None:
        return None
    info["rd_account_login"] = str(login)
    return str(login)


def chain_head(session: Session) -> tuple[int, str] | None:
    """The id and hash of the newest entry (None for an empty log). Every change that
    matters appends an entry in its own transaction, so the head names the committed
    state: when it has not moved, nothing that matters has changed."""
    last = session.execute(
        select(AuditLog.id, AuditLog.entry_hash).order_by(AuditLog.id.desc()).limit(1)
    ).first()
    return (int(last.id), str(last.entry_hash)) if last else None


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: object = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    clock: Clock = utc_now,
) -> AuditLog:
    """Append an entry to the audit log inside the caller's transaction.

    On a server, a person's entries name their login, whatever ``actor`` says: the
    server refuses any other name from an account (see review_desk.server.permissions).
    """
    actor = server_login(session) or actor
    # Serialise appends (across seats and processes) so that two entries never share a
    # predecessor: take the write lock before reading the chain's head.
    lock_for_write(session, key="audit")
    last = chain_head(session)
    entry_id = (last[0] + 1) if last else 1
    prev = last[1] if last else GENESIS_HASH
    at = clock().astimezone(UTC)
    entry = AuditLog(
        id=entry_id,
        at=at,
        actor=actor,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before=before,
        after=after,
        prev_hash=prev,
        entry_hash=entry_hash(
            entry_id=entry_id,
            at=at,
            actor=actor,
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            before=before,
            after=after,
            prev_hash=prev,
        ),
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainReport:
    """The outcome of checking the audit chain."""

    entries: int
    intact: bool
    broken_id: int | None = None
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Return the report as plain JSON-ready data."""
        return {
            "entries": self.entries,
            "intact": self.intact,
            "broken_id": self.broken_id,
            "reason": self.reason,
        }


def verify_chain(session: Session) -> ChainReport:
    """Check every entry's hash and link; name the first broken entry."""
    expected_prev = GENESIS_HASH
    expected_id = 1
    count = 0
    for entry in session.scalars(select(AuditLog).order_by(AuditLog.id)).yield_per(1000):
        count += 1
        if entry.id != expected_id:
            return ChainReport(
                count,
                False,
                expected_id,
                tr(
                    "entry {id} is missing (the next entry is {next})",
                    id=expected_id,
                    next=entry.id,
                ),
            )
        if entry.prev_hash != expected_prev:
            return ChainReport(
                count,
                False,
                entry.id,
                tr("entry {id} does not link to the entry before it", id=entry.id),
            )
        actual = entry_hash(
            entry_id=entry.id,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            entity=entry.entity,
            entity_id=entry.entity_id,
            before=entry.before,
            after=entry.after,
            prev_hash=entry.prev_hash,
        )
        if actual != entry.entry_hash:
            return ChainReport(
                count,
                False,
                entry.id,
                tr("entry {id} was changed after it was written", id=entry.id),
            )
        expected_prev = entry.entry_hash
        expected_id += 1
    return ChainReport(count, True)
