"""The unified social credit code (统一社会信用代码, GB 32100-2015): check and make."""

from __future__ import annotations

# The 31 characters the standard allows (no I, O, S, V, Z), in value order.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# GB 11714 organisation code (positions 9-17 of the credit code).
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def check_character(first17: str) -> str:
    """Return the 18th (check) character for the first 17 characters of a code."""
    if len(first17) != 17 or any(c not in ALPHABET for c in first17):
        raise ValueError(f"not 17 credit-code characters: {first17!r}")
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def is_valid(code: str) -> bool:
    """Return True when ``code`` has 18 allowed characters and a correct check character."""
    code = code.strip().upper()
    if len(code) != 18 or any(c not in ALPHABET for c in code):
        return False
    return check_character(code[:17]) == code[17]


def organisation_check_digit(first8: str) -> str:
    """Return the GB 11714 check character of an 8-character organisation code body."""
    total = sum(_ORG_ALPHABET.index(c) * w for c, w in zip(first8, _ORG_WEIGHTS, strict=True))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def make_code(authority: str, kind: str, division: str, org_body: str) -> str:
    """Build a valid credit code from its parts (registration authority, organisation
    kind, 6-digit division code, 8-character organisation code body)."""
    body = f"{authority}{kind}{division}{org_body}{organisation_check_digit(org_body)}"
    return body + check_character(body)
