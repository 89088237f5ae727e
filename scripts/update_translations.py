"""Extract every user-visible string (the first argument of ``_()`` and ``tr()``) from the
source and merge it into ``data/i18n/*.po``: new strings are added untranslated, strings
no longer used are dropped, translations are kept.

Run after adding or changing user-visible text:  python scripts/update_translations.py
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("review_desk", "scoring_models", "ui")
sys.path.insert(0, str(ROOT))

from review_desk.i18n import parse_po  # noqa: E402


def extract(root: Path = ROOT) -> dict[str, list[str]]:
    """Return every translatable string with the places it is used (file:line)."""
    found: dict[str, list[str]] = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id in ("_", "tr", "N_")
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                ):
                    where = f"{path.relative_to(root).as_posix()}:{node.lineno}"
                    found.setdefault(node.args[0].value, []).append(where)
    return found


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def write_po(path: Path, messages: dict[str, list[str]], translations: dict[str, str]) -> int:
    """Write a PO file; return how many messages lack a translation."""
    lines = [
        'msgid ""',
        'msgstr ""',
        '"Content-Type: text/plain; charset=UTF-8\\n"',
        f'"Language: {path.stem}\\n"',
        "",
    ]
    missing = 0
    for message in sorted(messages):
        lines.append("#: " + " ".join(messages[message][:3]))
        lines.append("msgid " + _quote(message))
        lines.append("msgstr " + _quote(translations.get(message, "")))
        lines.append("")
        missing += message not in translations
    path.write_text("\n".join(lines), encoding="utf-8")
    return missing


def main() -> int:
    messages = extract()
    for po in sorted((ROOT / "data" / "i18n").glob("*.po")):
        missing = write_po(po, messages, parse_po(po.read_text(encoding="utf-8")))
        print(f"{po.name}: {len(messages)} messages, {missing} untranslated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
