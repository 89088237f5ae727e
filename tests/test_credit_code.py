"""The unified social credit code check (GB 32100-2015)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from review_desk.credit_code import ALPHABET, check_character, is_valid, make_code


@pytest.mark.parametrize(
    "code",
    ["91350100M000100Y43", "911100001000054748", "91440300708461136T"],
)
def test_published_codes_are_valid(code: str) -> None:
    assert is_valid(code)


@pytest.mark.parametrize(
    "code",
    ["91350100M000100Y44", "91350100M000100Y4", "91350100M000100I43", "", "abc"],
)
def test_wrong_codes_are_refused(code: str) -> None:
    assert not is_valid(code)


@given(st.text(alphabet=ALPHABET, min_size=17, max_size=17))
def test_any_single_change_is_caught(body: str) -> None:
    code = body + check_character(body)
    assert is_valid(code)
    position = len(body) // 2
    replacement = ALPHABET[(ALPHABET.index(code[position]) + 1) % len(ALPHABET)]
    assert not is_valid(code[:position] + replacement + code[position + 1 :])


def test_make_code() -> None:
    assert is_valid(make_code("9", "1", "140100", "MA000001"))
