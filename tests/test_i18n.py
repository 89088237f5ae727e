"""The translation mechanism and the completeness of the zh_CN catalog."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from review_desk import i18n

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from update_translations import extract  # noqa: E402

PLACEHOLDER = re.compile(r"\{(\w+)\}")


def test_every_message_has_a_chinese_translation() -> None:
    catalog = i18n.parse_po(i18n.catalog_path("zh_CN").read_text(encoding="utf-8"))
    messages = extract(ROOT)
    missing = sorted(set(messages) - set(catalog))
    assert not missing, f"untranslated (run scripts/update_translations.py): {missing}"
    for message in messages:
        assert set(PLACEHOLDER.findall(message)) == set(PLACEHOLDER.findall(catalog[message])), (
            message
        )
        chinese = re.search(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]", catalog[message])
        assert chinese or message in {
            "SHA-256",
            "Python {python}, Qt for Python {pyside}",
        }, message


def test_parse_po_handles_multiline_and_fuzzy() -> None:
    text = (
        'msgid ""\nmsgstr ""\n"Language: zh_CN\\n"\n\n'
        'msgid "Hello"\nmsgstr "你好"\n\n'
        'msgid "Long "\n"line"\nmsgstr "长"\n"行"\n\n'
        '#, fuzzy\nmsgid "Guess"\nmsgstr "猜"\n\n'
        'msgid "Empty"\nmsgstr ""\n'
    )
    assert i18n.parse_po(text) == {"Hello": "你好", "Long line": "长行"}


def test_english_shows_source_strings() -> None:
    try:
        i18n.set_locale("en")
        assert i18n._("Review Desk") == "Review Desk"
        i18n.set_locale("zh_CN")
        assert i18n._("Review Desk") == "评审台"
        assert i18n.tr("{total} rows", total=3) == "共 3 行"
    finally:
        i18n.set_locale("zh_CN")
