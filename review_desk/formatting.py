"""How values are shown to users: times in China Standard Time, sizes, scores."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

# China has kept UTC+8 without daylight saving since 1991; a fixed offset avoids
# needing the tz database (absent on Windows without the tzdata package).
CHINA_TZ = timezone(timedelta(hours=8), "CST")


def local_time(value: datetime | None) -> str:
    """Return a timestamp as ``YYYY-MM-DD HH:MM`` in China Standard Time, or ``-``."""
    if value is None:
        return "-"
    return value.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")


def file_size(size: int) -> str:
    """Return a byte count in KB or MB."""
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def points(value: float | None) -> str:
    """Return a score without trailing zeros (``12``, ``12.5``), or ``-``."""
    if value is None:
        return "-"
    return f"{value:.2f}".rstrip("0").rstrip(".")


def shortened(text: str, limit: int = 30) -> str:
    """Return ``text`` cut to its first ``limit`` characters and "…" when longer, for
    echoing a value the user gave (a cell of a sheet) in a message."""
    return text if len(text) <= limit else text[:limit] + "…"
