"""Who is acting at this desk, for the audit log."""

from __future__ import annotations

import getpass


def current_user(fallback: str = "agency") -> str:
    """The operating system's user name (``fallback`` when it cannot be read)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return fallback
