"""Unified Social Credit Code (统一社会信用代码, GB 32100-2015): validation and check characters."""

from __future__ import annotations

__all__ = ["CHARSET", "WEIGHTS", "check_char", "is_valid_uscc", "normalise_uscc", "uscc_problem"]

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {c: i for i, c in enumerate(CHARSET)}


def check_char(first17: str) -> str:
    """The 18th character for the given first 17: 31 - (sum mod 31), with 31 mapped to '0'."""
    if len(first17) != 17:
        raise ValueError(f"need 17 characters, got {len(first17)}")
    total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def normalise_uscc(raw: str) -> str:
    """Strip surrounding blanks and upper-case, as the contract asks."""
    return raw.strip().upper()


def uscc_problem(code: str) -> str | None:
    """Why `code` (already normalised) is not a valid USCC, or None when it is."""
    if len(code) != 18:
        return f"length {len(code)}, expected 18"
    bad = sorted({c for c in code if c not in _VALUE})
    if bad:
        return f"characters {''.join(bad)!r} outside 0-9A-Y without I,O,S,V,Z"
    expected = check_char(code[:17])
    if code[17] != expected:
        return f"check character {code[17]!r}, expected {expected!r}"
    return None


def is_valid_uscc(code: str) -> bool:
    """True when `code` is a valid USCC after normalisation."""
    return uscc_problem(normalise_uscc(code)) is None
