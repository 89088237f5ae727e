"""The one translation mechanism for every string a user sees, in the core and in the UI.

Source strings are English and are wrapped in :func:`_`; the catalog for the user's
language (``data/i18n/<locale>.po``, gettext's PO format so that standard translation
tools can edit it) maps them to what is shown. Chinese (zh_CN) is the default language;
adding English or another language means adding one PO file. A test checks that every
wrapped string has a zh_CN translation.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from review_desk.paths import data_path

DEFAULT_LOCALE = "zh_CN"
_catalog: dict[str, str] = {}
_locale: str | None = None


_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def _unquote(token: str) -> str:
    """Return the text of a PO string literal (``"..."`` with C escapes)."""
    token = token.strip()
    if len(token) < 2 or token[0] != '"' or token[-1] != '"':
        raise ValueError(f"not a PO string: {token!r}")
    body = token[1:-1]
    if "\\" not in body:
        return body
    out: list[str] = []
    chars = iter(body)
    for char in chars:
        if char == "\\":
            escaped = next(chars, "")
            out.append(_ESCAPES.get(escaped, "\\" + escaped))
        else:
            out.append(char)
    return "".join(out)


@dataclass
class _PoEntry:
    msgid: list[str]
    msgstr: list[str]
    fuzzy: bool


def parse_po(text: str) -> dict[str, str]:
    """Parse the subset of the PO format we write: msgctxt-free msgid/msgstr pairs.

    Multi-line strings are concatenated; entries whose msgstr is empty or that are
    marked fuzzy are left out, so that the source string shows instead.
    """
    entries: list[_PoEntry] = []
    field: list[str] = []
    fuzzy_pending = False
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#,"):
            fuzzy_pending = fuzzy_pending or "fuzzy" in line
        elif line.startswith("msgid "):
            field = [_unquote(line[6:])]
            entries.append(_PoEntry(field, [], fuzzy_pending))
            fuzzy_pending = False
        elif line.startswith("msgstr ") and entries:
            field = [_unquote(line[7:])]
            entries[-1].msgstr = field
        elif line.startswith('"') and entries:
            field.append(_unquote(line))
    catalog: dict[str, str] = {}
    for entry in entries:
        key, value = "".join(entry.msgid), "".join(entry.msgstr)
        if key and value and not entry.fuzzy:
            catalog[key] = value
    return catalog


def catalog_path(locale: str) -> Path:
    """Return the PO file of a locale."""
    return data_path("i18n", f"{locale}.po")


def set_locale(locale: str | None = None) -> str:
    """Load the catalog of ``locale`` (default: $REVIEW_DESK_LANG or zh_CN).

    ``en`` (or any locale without a catalog) shows the English source strings.
    """
    global _catalog, _locale
    locale = locale or os.environ.get("REVIEW_DESK_LANG") or DEFAULT_LOCALE
    path = catalog_path(locale)
    _catalog = parse_po(path.read_text(encoding="utf-8")) if path.is_file() else {}
    _locale = locale
    return locale


def current_locale() -> str:
    """Return the locale in force, loading the default on first use."""
    if _locale is None:
        set_locale()
    assert _locale is not None
    return _locale


def _(message: str) -> str:
    """Translate ``message`` into the current language."""
    if _locale is None:
        set_locale()
    return _catalog.get(message, message)


def tr(message: str, /, **values: object) -> str:
    """Translate ``message`` and fill its ``{name}`` placeholders."""
    return _(message).format(**values)
