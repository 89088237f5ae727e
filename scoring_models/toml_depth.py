"""How deep a TOML text nests its arrays and inline tables, found before parsing it: the
parser recurses once per level and fails without saying where, so a rubric nested
deeper than :data:`MAX_DEPTH` is refused with its line."""

from __future__ import annotations

import re

MAX_DEPTH = 32  # arrays and inline tables nested deeper are refused before parsing

_TOKENS = re.compile(
    r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:\\.|[^"\\\n])*"|\'[^\'\n]*\'|#[^\n]*|[\[\]{}\n]'
)


def nesting_too_deep(text: str, limit: int = MAX_DEPTH) -> int | None:
    """Return the line where arrays or inline tables open more than ``limit`` deep, or
    None. Strings and comments are skipped; the parser itself would recurse once per
    level and fail without saying where."""
    depth, line = 0, 1
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token == "\n":
            line += 1
        elif token in "[{":
            depth += 1
            if depth > limit:
                return line
        elif token in "]}":
            depth = max(0, depth - 1)
        else:
            line += token.count("\n")
    return None
