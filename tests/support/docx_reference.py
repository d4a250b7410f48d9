"""The Word tables written the plain python-docx way, as the renderer did before its cells were
taken once: ``table.cell(r, c)`` for every cell and every merge corner, ``row.cells`` for the
widths, ``paragraph.style = name``. python-docx rebuilds the table's whole cell grid on each of
those calls, so this is slow (about a second a report), and plainly right: the tests compare
the renderer's document with the one this writes, and ``benchmarks/render.py`` times both.

Only the cell access differs from :func:`validator.render.docx._table`; the properties the
renderer sets after the cells are filled (rows kept with the next) come from the renderer.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

from validator.render import docx as render_docx_module
from validator.render.docx import TABLE_STYLES, TEXT_WIDTH_CM, TableStyle, keep_heads_with_rows


def reference_table(word, grid, doc, heading: str) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm

    style = TABLE_STYLES.get(grid.sheet) or TableStyle((TEXT_WIDTH_CM / grid.n_cols,) * grid.n_cols, 9)
    table = word.add_table(rows=grid.n_rows, cols=grid.n_cols)
    table.style = word.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    caption = OxmlElement("w:tblCaption")
    caption.set(qn("w:val"), f"{grid.sheet}　{heading[2:]}")
    table._tbl.tblPr.append(caption)
    for i, column in enumerate(table.columns):
        column.width = Cm(style.widths_cm[i])
    for row in table.rows:
        for i, c in enumerate(row.cells):
            c.width = Cm(style.widths_cm[i])
    for r, row in enumerate(table.rows):
        tr_pr = row._tr.get_or_add_trPr()
        tr_pr.append(OxmlElement("w:cantSplit"))
        if r < grid.head_rows:
            tr_pr.append(OxmlElement("w:tblHeader"))
    for cells in grid.rows:
        for c in cells:
            _fill(table, c, doc, style.font_pt)
    keep_heads_with_rows(table._tbl, grid)


def _fill(table, c, doc, font_pt: float) -> None:
    from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    cell = table.cell(c.row, c.col)
    if c.rowspan > 1 or c.colspan > 1:
        cell = cell.merge(table.cell(c.row + c.rowspan - 1, c.col + c.colspan - 1))
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    p = cell.paragraphs[0]
    p.style = "表格文字"
    run = p.add_run(doc.shown(c.key) if c.key else c.text)
    run.font.size = Pt(font_pt)
    if c.key:
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    elif c.header:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run.bold = True
    else:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER if c.rowspan > 1 else WD_ALIGN_PARAGRAPH.LEFT


@contextmanager
def reference_tables() -> Iterator[None]:
    """Within this block ``render_docx`` writes its tables with :func:`reference_table`."""
    with mock.patch.object(render_docx_module, "_table", reference_table):
        yield
