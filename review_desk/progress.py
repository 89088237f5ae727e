"""The one progress and cancellation protocol of long core work.

A long use case takes ``progress: Progress | None`` and calls it as
``progress(done, total, message)`` at the points where it may safely stop. The caller
(the UI's background operation, a command-line program, a test) cancels by making that
call raise :class:`Cancelled`; the work then unwinds, and a use case that writes in one
transaction rolls it back. There is no other way to cancel: a callback never returns a
value that the work must inspect.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[int, int, str], None]


class Cancelled(Exception):
    """The caller asked the work to stop; nothing it was doing was kept."""


def report(progress: Progress | None, done: int, total: int, message: str = "") -> None:
    """Call ``progress`` when there is one (the work runs unobserved otherwise)."""
    if progress is not None:
        progress(done, total, message)
