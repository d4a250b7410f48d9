"""Strict conversion of what a cell holds into the number or date it stands for.

A cell may hold anything Excel allows: numbers typed as text, full-width digits, “3件”,
“/”, a formula error, a date. Each converter returns the value or a :class:`Problem`
naming the rule it breaks; nothing is guessed and nothing silently becomes 0.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

MAX_COUNT = 10**15 - 1
"""Excel keeps 15 significant digits; a larger count could not survive the workbook."""
MAX_MONEY_DIGITS = 15

PLACEHOLDERS = frozenset({"/", "／", "-", "－", "—", "——", "–", "―", "无", "空", "N/A", "NA", "#"})
_INT = re.compile(r"^\d+$")
_GROUPED_INT = re.compile(r"^\d{1,3}(,\d{3})+$")
_DECIMAL = re.compile(r"^\d+(\.\d+)?$")
_GROUPED_DECIMAL = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")
_CJK_NUMERALS = set("〇零一二三四五六七八九十百千万亿两壹贰叁肆伍陆柒捌玖拾佰仟")


class CellError(str):
    """A formula error (#DIV/0!, #REF!…) as read from the workbook."""


@dataclass(frozen=True)
class Problem:
    rule: str
    actual: str
    hint: str = ""


def display(raw: object) -> str:
    """How a raw cell value is quoted back to staff in a message."""
    if raw is None:
        return "空白"
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, dt.datetime):
        return raw.strftime("%Y-%m-%d %H:%M") if (raw.hour or raw.minute) else raw.strftime("%Y-%m-%d")
    if isinstance(raw, dt.date):
        return raw.isoformat()
    text = str(raw)
    return text if len(text) <= 40 else text[:40] + "…"


def _normalize_text(raw: str) -> str:
    return "".join(unicodedata.normalize("NFKC", raw).split())


def _is_blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _text_hint(text: str) -> str:
    if any(ch in _CJK_NUMERALS for ch in text) and not any(ch.isdigit() for ch in text):
        return "；请用阿拉伯数字填写"
    if any(ch.isdigit() for ch in text):
        return "；单元格里只填数字，不要带单位或文字"
    return ""


def _empty(raw: object) -> Problem:
    if _is_blank(raw):
        return Problem("VAL-EMPTY", "", "未填写")
    return Problem("VAL-EMPTY", display(raw), f"填了“{display(raw)}”")


def to_count(raw: object) -> int | Problem:
    """A non-negative whole number of items (件)."""
    if type(raw) is int and 0 <= raw <= MAX_COUNT:  # the common case (JSON, filled cells) first
        return raw
    if _is_blank(raw) or (isinstance(raw, str) and _normalize_text(raw) in PLACEHOLDERS):
        return _empty(raw)
    if isinstance(raw, CellError):
        return Problem("VAL-INT", str(raw), "；单元格公式出错")
    if isinstance(raw, bool):
        return Problem("VAL-INT", display(raw), "；单元格是逻辑值")
    if isinstance(raw, (dt.date, dt.time, dt.timedelta)):
        return Problem("VAL-INT", display(raw), "；单元格被设成了日期格式，请改为常规或数值")
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, float):
        if not math.isfinite(raw) or not raw.is_integer():
            return Problem("VAL-INT", display(raw), "；件数不能有小数")
        value = int(raw)
    elif isinstance(raw, Decimal):
        if not raw.is_finite() or raw != raw.to_integral_value():
            return Problem("VAL-INT", display(raw), "；件数不能有小数")
        value = int(raw)
    elif isinstance(raw, str):
        text = _normalize_text(raw)
        if _INT.match(text) or _GROUPED_INT.match(text):
            value = int(text.replace(",", ""))
        elif re.match(r"^\d+\.0+$", text):
            value = int(text.split(".")[0])
        elif re.match(r"^-\d+(\.\d+)?$", text):
            return Problem("VAL-INT", display(raw), "；件数不能为负数")
        elif _DECIMAL.match(text):
            return Problem("VAL-INT", display(raw), "；件数不能有小数")
        else:
            return Problem("VAL-INT", display(raw), _text_hint(text))
    else:
        return Problem("VAL-INT", display(raw))
    if value < 0:
        return Problem("VAL-INT", display(raw), "；件数不能为负数")
    if value > MAX_COUNT:
        return Problem("VAL-INT", display(raw), "；数字超过 15 位，Excel 无法精确保存")
    return value


def to_money(raw: object) -> Decimal | Problem:
    """A non-negative amount in 万元, kept as an exact decimal."""
    if _is_blank(raw) or (isinstance(raw, str) and _normalize_text(raw) in PLACEHOLDERS):
        return _empty(raw)
    if isinstance(raw, CellError):
        return Problem("VAL-FEE", str(raw), "；单元格公式出错")
    if isinstance(raw, bool):
        return Problem("VAL-FEE", display(raw), "；单元格是逻辑值")
    if isinstance(raw, (dt.date, dt.time, dt.timedelta)):
        return Problem("VAL-FEE", display(raw), "；单元格被设成了日期格式，请改为常规或数值")
    if isinstance(raw, int):
        value = Decimal(raw)
    elif isinstance(raw, float):
        if not math.isfinite(raw):
            return Problem("VAL-FEE", display(raw))
        value = Decimal(repr(raw))
    elif isinstance(raw, Decimal):
        if not raw.is_finite():
            return Problem("VAL-FEE", display(raw))
        value = raw
    elif isinstance(raw, str):
        text = _normalize_text(raw)
        if _DECIMAL.match(text) or _GROUPED_DECIMAL.match(text):
            value = Decimal(text.replace(",", ""))
        elif re.match(r"^-\d+(\.\d+)?$", text):
            return Problem("VAL-FEE", display(raw), "；金额不能为负数")
        elif "元" in text and any(ch.isdigit() for ch in text):
            return Problem("VAL-FEE", display(raw), "；只填数字，单位已是万元（如 1.5 万元填 1.5）")
        else:
            return Problem("VAL-FEE", display(raw), _text_hint(text))
    else:
        return Problem("VAL-FEE", display(raw))
    if value < 0:
        return Problem("VAL-FEE", display(raw), "；金额不能为负数")
    try:
        return canonical_decimal(value)
    except ValueError:
        return Problem("VAL-FEE", display(raw), "；有效数字超过 15 位，Excel 无法精确保存")


def canonical_decimal(value: Decimal) -> Decimal:
    """One spelling per amount: no trailing zeros, no exponent (0.50 -> 0.5, 1E+2 -> 100).

    Works on the digits, not through a decimal context, so nothing is ever rounded; raises
    ValueError for more than MAX_MONEY_DIGITS significant digits (Excel keeps 15).
    """
    sign, digits, exp = value.as_tuple()
    if not isinstance(exp, int):
        raise ValueError("不是有限的数")
    kept = list(digits)
    while len(kept) > 1 and kept[0] == 0:
        kept.pop(0)
    while exp < 0 and len(kept) > 1 and kept[-1] == 0:
        kept.pop()
        exp += 1
    if not any(kept):
        return Decimal(0)
    if len(kept) + max(exp, 0) > MAX_MONEY_DIGITS:
        raise ValueError(f"有效数字超过 {MAX_MONEY_DIGITS} 位")
    if exp > 0:
        kept += [0] * exp
        exp = 0
    return Decimal((sign, tuple(kept), exp))


def to_year(raw: object) -> int | None:
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str):
        text = _normalize_text(raw).removesuffix("年度").removesuffix("年")
        if _INT.match(text):
            return int(text)
    return None


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
)


def to_date(raw: object) -> dt.date | None:
    """A calendar date from a date cell or the usual written forms; None when unreadable."""
    if isinstance(raw, dt.datetime):
        return raw.date() if not (raw.hour or raw.minute or raw.second) else None
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, str):
        text = _normalize_text(raw)
        for pattern in _DATE_PATTERNS:
            m = pattern.match(text)
            if m:
                try:
                    return dt.date(*(int(g) for g in m.groups()))
                except ValueError:
                    return None
    return None


def to_text(raw: object) -> str:
    """Text content of a cell; numbers typed into a text cell keep their digits."""
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, (dt.date, dt.datetime)):
        return display(raw)
    return str(raw)


def normalize_newlines(text: str) -> str:
    """Excel stores line breaks as LF; CRLF and CR become LF so text survives a round trip."""
    return text.replace("\r\n", "\n").replace("\r", "\n")
