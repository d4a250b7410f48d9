"""The 汇总 workbook's streamed rows (collect/workbook.RawRows) are the bytes XlsxWriter writes.

Rows of 分单位明细 and 报送情况 are written as raw XML from a template per pattern; each is compared
with XlsxWriter's own escapes and with the cell-by-cell path (XlsxWriter's private writer API is
used, so its version is pinned in pyproject.toml).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def _sheet(tmp_path: Path):
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(tmp_path / "rows.xlsx"), {"constant_memory": True})
    return wb, wb.add_worksheet("s")


def plain_inline(ws, text: str) -> str:
    """XlsxWriter's escapes, every one applied (what _inline did for any text but letters)."""
    from xlsxwriter.utility import _preserve_whitespace, _utf16_len, _utf16_truncate

    if len(text) > ws.xls_strmax // 2 and _utf16_len(text) > ws.xls_strmax:
        text = _utf16_truncate(text, ws.xls_strmax)
    text = ws._escape_control_characters(text)
    space = ' xml:space="preserve"' if _preserve_whitespace(text) else ""
    return f' t="inlineStr"><is><t{space}>{ws._escape_data(text)}</t></is>'


TEXTS = st.one_of(
    st.text(max_size=12),
    st.text(st.sampled_from(" \t\n\r\x01\x1f_x0A9F&<>\"'\ufffe\uffff\u3000\xa0汇总"), max_size=10),
    st.sampled_from(["", "第00001号单位", "00001.json", "_x0041_", "a_x00Z1_", " 前", "后 ", "a\u3000", "\x1cx"]),
)


@pytest.mark.slow
@settings(max_examples=500, deadline=None)
@given(TEXTS)
def test_inline_text_is_what_xlsxwriter_writes(tmp_path_factory, text):
    from validator.collect.workbook import _inline

    wb, ws = _sheet(tmp_path_factory.mktemp("inline"))
    assert _inline(ws, text) == plain_inline(ws, text)
    wb.close()


CELL_VALUES = st.one_of(
    st.integers(-(10**16), 10**16),
    st.integers(0, 10**15 + 2),
    st.decimals(allow_nan=False, allow_infinity=False, places=3),
    st.sampled_from([Decimal("0.5"), Decimal("123456789012345.6"), Decimal("1E+20")]),
    TEXTS,
    st.booleans(),
)


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(CELL_VALUES, max_size=8), max_size=6), st.booleans())
def test_templated_rows_are_the_cell_by_cell_rows(tmp_path_factory, rows, styled):
    """Rows of the same pattern reuse one template; every row's XML is what the general path writes."""
    from validator.collect.workbook import RawRows, _style

    wb, ws = _sheet(tmp_path_factory.mktemp("rows"))
    formats = [wb.add_format({"border": 1}), wb.add_format({"bold": True})]
    raw = RawRows(ws, formats[0], 0, 8)
    for values in rows + rows:  # each pattern twice: the second from the template
        fmts = [formats[i % 2] for i in range(len(values))] if styled else None
        styles = [_style(f) for f in fmts] if fmts else [raw.style] * len(values)
        expected = raw._cell_by_cell("7", values, styles)
        got = raw._templated("7", values, tuple(styles) if fmts else None)
        assert got is None or got == expected
    wb.close()


def test_detail_rows_take_the_template(tmp_path):
    from validator.collect.workbook import RawRows

    wb, ws = _sheet(tmp_path)
    raw = RawRows(ws, wb.add_format({}), 0, 4)
    values = ["单位", "00001.json", 3, Decimal("1.5")]
    assert raw._templated("2", values, None) == raw._cell_by_cell("2", values, [raw.style] * 4)
    assert len(raw.templates) == 1
    wb.close()
