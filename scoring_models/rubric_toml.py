"""Writing a rubric back to TOML (the standard library only reads TOML). Handles the
shapes a rubric has: tables, arrays of tables nested two deep, strings, numbers,
booleans and lists of strings."""

from __future__ import annotations

import json
from typing import Any

_ORDER = ("rubric", "stage", "group", "veto", "bonus")


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list) and all(not isinstance(v, dict) for v in value):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {repr(value)[:80]} as a TOML value")


def _table(lines: list[str], header: str, table: dict[str, Any], array: bool) -> None:
    lines.append("")
    lines.append(f"[[{header}]]" if array else f"[{header}]")
    for key, value in table.items():
        if not (
            isinstance(value, list) and value and isinstance(value[0], dict)
        ) and not isinstance(value, dict):
            lines.append(f"{key} = {_value(value)}")
    for key, value in table.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for item in value:
                _table(lines, f"{header}.{key}", item, True)
        elif isinstance(value, dict):
            _table(lines, f"{header}.{key}", value, False)


def dump_rubric(source: dict[str, Any], comment: str = "") -> str:
    """Return a rubric's parsed content as TOML text."""
    lines = [f"# {line}" for line in comment.splitlines()] if comment else []
    keys = [k for k in _ORDER if k in source] + [k for k in source if k not in _ORDER]
    for key in keys:
        value = source[key]
        if isinstance(value, list):
            for item in value:
                _table(lines, key, item, True)
        elif isinstance(value, dict):
            _table(lines, key, value, False)
        else:
            lines.insert(len(lines), f"{key} = {_value(value)}")
    return "\n".join(lines).lstrip("\n") + "\n"
