"""Normalising what people type into registers: full-width and half-width forms, stray
spaces, and the many separators of a list."""

from __future__ import annotations

import re
import unicodedata

# 、，,；; and line breaks separate items of a list in one cell.
LIST_SEPARATORS = re.compile(r"[、，,；;\n\r]+")
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Return ``text`` with full-width letters, digits and punctuation made half-width
    (NFKC) and all white space removed: the form used to compare names and headers."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", text))


def clean(text: str) -> str:
    """Return a cell's text trimmed, with internal runs of white space made one space."""
    return _SPACES.sub(" ", text.replace("\u3000", " ")).strip()


def split_list(text: str) -> list[str]:
    """Split a cell holding several items into the items, dropping empty ones."""
    return [item.strip() for item in LIST_SEPARATORS.split(text) if item.strip()]
