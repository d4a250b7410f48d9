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
EXCEL_DIGITS = 15
"""Excel shows (and compares) a number with 15 significant digits: 75412.09/10000 is the double
7.541208999999999 but Excel shows 7.541209, and that is the figure staff typed or meant."""

PLACEHOLDERS = frozenset({"/", "／", "-", "－", "—", "——", "–", "―", "无", "空", "N/A", "NA", "#"})
_INT = re.compile(r"[0-9]+")
_GROUPED_INT = re.compile(r"[0-9]{1,3}(,[0-9]{3})+")
_WHOLE_DECIMAL = re.compile(r"[0-9]+\.0+")
_DOT_GROUPED = re.compile(r"[0-9]{1,3}(\.[0-9]{3})+")
_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")
_GROUPED_DECIMAL = re.compile(r"[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?")
_NEGATIVE = re.compile(r"-[0-9][0-9,]*(\.[0-9]+)?")
_CJK_NUMERALS = set("〇零一二三四五六七八九十百千万亿两壹贰叁肆伍陆柒捌玖拾佰仟")
_FULL_WIDTH = str.maketrans({**{chr(0xFF10 + i): str(i) for i in range(10)}, "．": ".", "，": ",", "－": "-"})
"""The only characters read as something else: full-width digits and punctuation (a Chinese
input method types them). Superscripts, circled numbers and other scripts' digits are not
digits staff typed on purpose, so they are reported, never converted."""
_INVISIBLE = {
    "\u200b": "零宽空格 U+200B",
    "\u200c": "零宽非连接符 U+200C",
    "\u200d": "零宽连接符 U+200D",
    "\u2060": "零宽不换行符 U+2060",
    "\ufeff": "零宽不换行空格 U+FEFF",
    "\u00ad": "软连字符 U+00AD",
    "\u200e": "从左到右标记 U+200E",
    "\u200f": "从右到左标记 U+200F",
}
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
"""What no text in a report may hold: no worksheet (XML 1.0) can; CR is a line break."""
EXCEL_CELL_LIMIT = 32767
"""Characters one cell holds, counted in UTF-16 units as Excel counts them (an emoji is two).
Every text the tool may write into a cell is held to it, whichever way it arrived, so
``check``, ``export`` and ``fill`` agree; nothing is ever truncated."""
_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_ESCAPE_START = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)")
_FORMULA_HINT = "；单元格中的公式没有计算结果（文件由不计算公式的程序保存），请在 Excel 中打开并保存后再校验"


class CellError(str):
    """A formula error (#DIV/0!, #REF!…) as read from the workbook."""


@dataclass(frozen=True)
class Uncalculated:
    """A formula whose result the file does not hold (saved by a program that does not calculate).

    Not a string, so it never passes for text: a count gets its own finding, a text cell reads
    as empty."""

    formula: str

    def __str__(self) -> str:
        return f"={self.formula}" if self.formula else "（公式）"


@dataclass(frozen=True)
class Problem:
    rule: str
    actual: str
    hint: str = ""


def decode_ooxml(text: str) -> str:
    """Undo the ``_xHHHH_`` escapes of OOXML strings (ECMA-376 ST_Xstring).

    Excel stores a CR in cell text as ``_x000D_`` and a literal ``_x000D_`` as ``_x005F_x000D_``;
    one left-to-right pass decodes both, as Excel and LibreOffice do."""
    if "_x" not in text:
        return text
    return _OOXML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def encode_ooxml(text: str) -> str:
    """Text to write into a cell so that :func:`decode_ooxml` (and Excel) read it back unchanged:
    the underscore starting any ``_xHHHH_`` becomes ``_x005F_``, overlapping ones included
    (``_x005F_x000D_`` -> ``_x005F_x005F_x005F_x000D_``)."""
    if "_x" not in text:
        return text
    return _ESCAPE_START.sub("_x005F_", text)


def excel_decimal(raw: float) -> Decimal:
    """A float as Excel shows it: 15 significant digits (7.541208999999999 -> 7.541209)."""
    return Decimal(f"{raw:.{EXCEL_DIGITS}g}")


def display(raw: object) -> str:
    """How a raw cell value is quoted back to staff in a message."""
    if raw is None:
        return "空白"
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, float):
        if raw.is_integer():
            return str(int(raw))
        if math.isfinite(raw):
            return f"{raw:.{EXCEL_DIGITS}g}"
    if isinstance(raw, dt.datetime):
        if raw.second:
            return raw.strftime("%Y-%m-%d %H:%M:%S")
        return raw.strftime("%Y-%m-%d %H:%M") if (raw.hour or raw.minute) else raw.strftime("%Y-%m-%d")
    if isinstance(raw, dt.date):
        return raw.isoformat()
    text = str(raw)
    return text if len(text) <= 40 else text[:40] + "…"


def excel_length(text: str) -> int:
    """Length as Excel counts it: UTF-16 code units."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def quoted(text: str, limit: int = 40) -> str:
    """Text for a message with invisible characters escaped (\\u0001), shortened."""
    import json

    shown = json.dumps(text[:limit], ensure_ascii=False)[1:-1]
    return shown + ("…" if len(text) > limit else "")


def text_problem(text: str) -> str | None:
    """Why `text` cannot go into a worksheet cell (or a JSON field), or None: the one test for
    every text, whichever way it arrived."""
    units = len(text) if len(text) * 2 <= EXCEL_CELL_LIMIT else excel_length(text)
    if units > EXCEL_CELL_LIMIT:
        return f"共 {units} 字（按 Excel 计数），超过单元格上限 {EXCEL_CELL_LIMIT} 字"
    bad = CONTROL_CHARACTERS.search(text)
    if bad:
        return (
            f"文字中含有不可见的控制字符 U+{ord(bad.group()):04X}（第 {bad.start() + 1} 个字符，"
            "常见于从 Word 等处粘贴的文字）"
        )
    return None


INVISIBLE_CHARACTERS = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
    "\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)
"""Characters that show nothing: controls, format characters (zero-width space, BOM, U+2060,
bidi marks and overrides, soft hyphen) and Unicode's other default-ignorable ones."""


def name_key(text: object) -> str:
    """The form in which two names (or labels, codes, placeholders) are the same when a reader
    sees the same: NFKC (full-width letters and brackets as ASCII), no whitespace anywhere, no
    invisible character (a name pasted from a web page often carries a U+200B or a BOM). The one
    definition for matching bodies, roster headers, sheet labels and XY-BODY."""
    text = unicodedata.normalize("NFKC", text if isinstance(text, str) else str(text or ""))
    return "".join(INVISIBLE_CHARACTERS.sub("", text).split())


def _normalize_text(raw: str) -> str:
    """Loose form, only to recognise placeholders such as “／” or “ — ”."""
    return name_key(raw)


def _plain(raw: str) -> str:
    """Surrounding whitespace off, full-width digits and punctuation as ASCII; nothing else.
    Control characters are never stripped (Python counts some as whitespace): “3_x001F_” stays odd."""
    text = raw.strip()
    if CONTROL_CHARACTERS.search(raw) and not CONTROL_CHARACTERS.search(text):
        text = raw.strip(" \t\n\r\u00a0\u3000")
    return text.translate(_FULL_WIDTH)


def _is_blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _invisible(text: str) -> str | None:
    for ch in text:
        if ch in _INVISIBLE:
            return _INVISIBLE[ch]
        category = unicodedata.category(ch)
        if category == "Cc":
            return f"控制字符 U+{ord(ch):04X}"
        if category == "Cf":
            return f"不可见字符 U+{ord(ch):04X}"
    return None


def _odd_digit(text: str) -> str | None:
    """A character that looks like or stands for a digit but is not 0–9 (², ②, ٣, ३ …)."""
    for ch in text:
        if (
            not ("0" <= ch <= "9")
            and (ch.isdigit() or ch.isdecimal() or unicodedata.numeric(ch, None) is not None)
            and ch not in _CJK_NUMERALS
        ):
            return ch
    return None


def _text_hint(text: str, kind: str = "count") -> str:
    """Why a text is not plainly one number, in words staff can act on."""
    if re.search(r"[0-9]\s+[0-9]", text):
        return "；数字中间有空格或换行，一个单元格只填一个数字"
    hidden = _invisible(text)
    if hidden:
        return f"；含有看不见的字符（{hidden}），请清除该格后重新输入数字"
    odd = _odd_digit(text)
    if odd:
        return f"；含有“{odd}”（上标、圈码或其他文字的数字），请用普通阿拉伯数字 0–9 填写"
    if kind == "count" and _DOT_GROUPED.fullmatch(text):
        return f"；“{text}”看不出是小数还是千位分隔，件数请直接填写整数，不要加点"
    if "," in text and re.fullmatch(r"[0-9,.]+", text):
        return "；千位分隔符的位置不对（应每三位一个逗号），请直接填写数字"
    if any(ch in _CJK_NUMERALS for ch in text) and not any("0" <= ch <= "9" for ch in text):
        return "；请用阿拉伯数字填写"
    if any("0" <= ch <= "9" for ch in text):
        return "；单元格里只填数字，不要带单位或文字"
    return ""


def _empty(raw: object) -> Problem:
    if _is_blank(raw):
        return Problem("VAL-EMPTY", "", "未填写")
    return Problem("VAL-EMPTY", display(raw), f"填了“{display(raw)}”")


def _not_a_value(raw: object, rule: str) -> Problem | None:
    """The findings counts and amounts share: formula errors and results, logical values, dates."""
    if isinstance(raw, CellError):
        return Problem(rule, str(raw), "；单元格公式出错")
    if isinstance(raw, Uncalculated):
        return Problem(rule, display(raw), _FORMULA_HINT)
    if isinstance(raw, bool):
        return Problem(rule, display(raw), "；单元格是逻辑值")
    if isinstance(raw, (dt.date, dt.time, dt.timedelta)):
        return Problem(rule, display(raw), "；单元格被设成了日期格式，请改为常规或数值")
    return None


def to_signed(raw: object) -> int | Problem:
    """A whole number that may be negative (本年增/减): read like a count, sign apart."""
    if type(raw) is int and -MAX_COUNT <= raw <= MAX_COUNT:
        return raw
    if isinstance(raw, (int, float, Decimal)) and not isinstance(raw, bool) and raw < 0:
        value = to_count(-raw)
        return value if isinstance(value, Problem) else -value
    if isinstance(raw, str) and _plain(raw).startswith("-"):
        value = to_count(_plain(raw)[1:])
        if isinstance(value, Problem):
            return Problem(value.rule, display(raw), value.hint)
        return -value
    return to_count(raw)


def to_count(raw: object) -> int | Problem:
    """A non-negative whole number of items (件).

    A float is taken as Excel shows it (15 significant digits), so 3.0000000000000004, which
    Excel shows as 3, is 3. A text must be plainly one number: “３”, “ 3 ”, “3.0” and “1,234”
    are read, “3 5”, “3¹”, “②”, “1.000” are findings.
    """
    if type(raw) is int and 0 <= raw <= MAX_COUNT:  # the common case (JSON, filled cells) first
        return raw
    if _is_blank(raw) or (isinstance(raw, str) and _normalize_text(raw) in PLACEHOLDERS):
        return _empty(raw)
    problem = _not_a_value(raw, "VAL-INT")
    if problem:
        return problem
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, float):
        if not math.isfinite(raw):
            return Problem("VAL-INT", display(raw))
        shown = excel_decimal(raw)
        if shown != shown.to_integral_value():
            return Problem("VAL-INT", display(raw), "；件数不能有小数")
        value = int(shown)
    elif isinstance(raw, Decimal):
        if not raw.is_finite() or raw != raw.to_integral_value():
            return Problem("VAL-INT", display(raw), "；件数不能有小数")
        value = int(raw)
    elif isinstance(raw, str):
        text = _plain(raw)
        if _INT.fullmatch(text) or _GROUPED_INT.fullmatch(text):
            value = int(text.replace(",", ""))
        elif _WHOLE_DECIMAL.fullmatch(text) and not _DOT_GROUPED.fullmatch(text):
            value = int(text.split(".")[0])
        elif _NEGATIVE.fullmatch(text):
            return Problem("VAL-INT", display(raw), "；件数不能为负数")
        elif _DECIMAL.fullmatch(text) and not _DOT_GROUPED.fullmatch(text):
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
    """A non-negative amount in 万元, kept as an exact decimal (a float as Excel shows it)."""
    if _is_blank(raw) or (isinstance(raw, str) and _normalize_text(raw) in PLACEHOLDERS):
        return _empty(raw)
    problem = _not_a_value(raw, "VAL-FEE")
    if problem:
        return problem
    if isinstance(raw, int):
        value = Decimal(raw)
    elif isinstance(raw, float):
        if not math.isfinite(raw):
            return Problem("VAL-FEE", display(raw))
        value = excel_decimal(raw)
    elif isinstance(raw, Decimal):
        if not raw.is_finite():
            return Problem("VAL-FEE", display(raw))
        value = raw
    elif isinstance(raw, str):
        text = _plain(raw)
        if _DECIMAL.fullmatch(text) or _GROUPED_DECIMAL.fullmatch(text):
            value = Decimal(text.replace(",", ""))
        elif _NEGATIVE.fullmatch(text):
            return Problem("VAL-FEE", display(raw), "；金额不能为负数")
        elif "元" in text and any("0" <= ch <= "9" for ch in text) and not _invisible(text):
            return Problem("VAL-FEE", display(raw), "；只填数字，单位已是万元（如 1.5 万元填 1.5）")
        else:
            return Problem("VAL-FEE", display(raw), _text_hint(text, "money"))
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
    if isinstance(raw, float) and math.isfinite(raw):
        shown = excel_decimal(raw)
        return int(shown) if shown == shown.to_integral_value() else None
    if isinstance(raw, str):
        text = _plain(raw).removesuffix("年度").removesuffix("年").rstrip()
        if _INT.fullmatch(text):
            return int(text)
    return None


_DATE_PATTERNS = (
    re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})"),
    re.compile(r"([0-9]{4})/([0-9]{1,2})/([0-9]{1,2})"),
    re.compile(r"([0-9]{4})\.([0-9]{1,2})\.([0-9]{1,2})"),
    re.compile(r"([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})日"),
)
_DATE_SPACES = re.compile(r"\s*([年月日/.\-])\s*")


def to_date(raw: object) -> dt.date | None:
    """A calendar date from a date cell or the usual written forms; None when unreadable.

    A date cell at midnight is that date; with a time of day it is not read (see
    :func:`date_problem`). Spaces around 年/月/日 and separators are allowed, nothing else."""
    if isinstance(raw, dt.datetime):
        return raw.date() if not (raw.hour or raw.minute or raw.second or raw.microsecond) else None
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, str):
        text = _DATE_SPACES.sub(r"\1", _plain(raw))
        for pattern in _DATE_PATTERNS:
            m = pattern.fullmatch(text)
            if m:
                try:
                    return dt.date(*(int(g) for g in m.groups()))
                except ValueError:
                    return None
    return None


_TIME_OF_DAY = re.compile(r"(.+?)[ T\u3000]+\d{1,2}[:：]\d{2}(?:[:：]\d{2}(?:\.\d+)?)?")


def _date_with_time(raw: object) -> bool:
    """A datetime cell, or text such as “2024-01-20 09:30:15” (how a forced export keeps it)."""
    if isinstance(raw, dt.datetime):
        return to_date(raw) is None
    if isinstance(raw, str):
        m = _TIME_OF_DAY.fullmatch(raw.strip())
        return m is not None and to_date(m.group(1)) is not None
    return False


def date_problem(raw: object) -> str:
    """Why :func:`to_date` could not read a 发布日期, completing “发布日期……，现为“…””."""
    if _date_with_time(raw):
        return "带有时刻，请去掉时间，只填日期（如 2024-01-29）；用公式 =NOW() 的请改为直接填写日期"
    if isinstance(raw, Uncalculated):
        return "的公式没有计算结果，请在 Excel 中打开并保存后再校验"
    if isinstance(raw, CellError):
        return "的公式出错，请填写日期，如 2024-01-29"
    return "无法识别，请填写日期，如 2024-01-29"


def body_type_hint(text: str) -> str:
    """Which of 政府/部门/乡镇 a body type written another way most likely means (cover note wording)."""
    if any(word in text for word in ("街道", "乡", "镇")):
        return "；乡镇人民政府、街道办事处请选“乡镇”"
    if "部门" in text or text.endswith(("局", "委", "办", "厅")):
        return "；县级以上人民政府部门请选“部门”"
    if "政府" in text:
        return "；县级以上人民政府请选“政府”"
    return ""


def to_text(raw: object) -> str:
    """Text content of a cell; numbers typed into a text cell keep their digits (as Excel shows them)."""
    if raw is None or isinstance(raw, Uncalculated):
        return ""
    if isinstance(raw, float):
        return display(raw)
    if isinstance(raw, (dt.date, dt.datetime)):
        return display(raw)
    return str(raw)


def normalize_newlines(text: str) -> str:
    """Excel stores line breaks as LF; CRLF and CR become LF so text survives a round trip."""
    return text.replace("\r\n", "\n").replace("\r", "\n")
