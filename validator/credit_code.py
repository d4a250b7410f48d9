"""统一社会信用代码 (GB 32100-2015): 18 characters, the last one a check character.

Characters are the digits and 21 capital letters (no I, O, Z, S, V); position i (0-based) of
the first 17 weighs 3**i mod 31, and the check character is the one whose value makes the
weighted sum a multiple of 31.
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}


def check_character(first17: str) -> str:
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def problem(code: str) -> str | None:
    """Why ``code`` is not a valid 统一社会信用代码 (in Chinese), or None when it is."""
    if len(code) != 18:
        return f"应为 18 位（现为 {len(code)} 位）"
    bad = sorted({ch for ch in code if ch not in _VALUE})
    if bad:
        return f"含有不允许的字符“{''.join(bad)}”（只用数字和除 I、O、Z、S、V 以外的大写字母）"
    expected = check_character(code[:17])
    if code[17] != expected:
        return f"校验码（第 18 位）应为 {expected}，可能有字符填错"
    return None
