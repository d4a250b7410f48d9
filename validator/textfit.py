"""How much room wrapped text takes in a cell, for sheets no spreadsheet program has fitted.

Excel, WPS and LibreOffice grow a row to its text when staff type, but not a row a program
wrote: ``xxgk fill``, the 汇总 workbook and the 校验结果 rows would print lines on top of each
other, or cut, without a height. One estimate serves them all, and the 提示 for a 文字部分
part longer than a cell can print (TXT-LONG).

The estimate is for 10.5 pt 宋体 (the template's and the 汇总's text): a CJK character is two
column units wide, anything else one; a line takes 14 pt. It errs on the side of room:
LibreOffice's own fit of the same text came out a little shorter.
"""

from __future__ import annotations

from validator.spec import FormatSpec, col_letter, split_ref

LINE_HEIGHT = 14.0
"""One line of 10.5 pt 宋体, in points."""
PADDING = 4.0
MAX_ROW_HEIGHT = 409.0
"""Excel's limit for one row: a cell's text beyond it is not printed."""
DEFAULT_WIDTH = 8.43
"""Excel's column width when none is set."""


def text_width(text: str) -> int:
    """Width in column units: a CJK (or full-width) character is about two digits wide."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def line_count(text: str, width: float) -> int:
    """Lines `text` wraps into in a column `width` units wide (each line break starts one)."""
    per_line = max(int(width) - 2, 2)
    return sum(max(1, -(-text_width(part) // per_line)) for part in str(text).split("\n"))


def row_height(text: str, width: float, minimum: float = 0.0) -> float:
    """Points a row needs to show `text` whole, within Excel's limit."""
    return min(MAX_ROW_HEIGHT, max(minimum, line_count(text, width) * LINE_HEIGHT + PADDING))


def fits(text: str, width: float) -> bool:
    """Whether `text` prints whole in one cell of a column `width` units wide."""
    return line_count(text, width) * LINE_HEIGHT + PADDING <= MAX_ROW_HEIGHT


def capacity(width: float) -> int:
    """About how many CJK characters one cell of a column `width` units wide prints (text
    without line breaks; each paragraph costs part of a line)."""
    lines = int((MAX_ROW_HEIGHT - PADDING) // LINE_HEIGHT)
    return lines * (max(int(width) - 2, 2) // 2)


def cell_width(fmt: FormatSpec, sheet: str, ref: str) -> float:
    """The template's width of the column holding `ref` on `sheet`."""
    col = col_letter(split_ref(ref)[1])
    widths = dict(next((s.column_widths for s in fmt.sheets if s.name == sheet), ()))
    return widths.get(col, DEFAULT_WIDTH)
