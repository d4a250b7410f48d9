"""The official tables as grids, derived from the format's own cells and labels.

The workbook sheets 表二, 表三 and 表四 are laid out as the published tables (same rows,
columns and merges), so a table here is the sheet's checked labels and input cells placed by
their A1 references: spans come from ``merge_to``, nothing is retyped. The live-check
columns and notes (``checked=False``) are the workbook's own aid and stay out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from validator.spec import FormatSpec, split_ref

HEADER_STYLES = ("header", "subtitle")


@dataclass(frozen=True)
class GridCell:
    """One cell of a published table: a header (``th``), a row label or a figure."""

    row: int
    col: int
    text: str
    rowspan: int = 1
    colspan: int = 1
    header: bool = False
    """True for column headers (and the corner note): they belong to the table head."""
    scope: str | None = None
    """HTML scope: col, colgroup, row, rowgroup; None for the corner note."""
    key: str | None = None
    """The JSON key of a figure cell; None for labels."""
    money: bool = False


@dataclass(frozen=True)
class TableGrid:
    sheet: str
    n_rows: int
    n_cols: int
    rows: tuple[tuple[GridCell, ...], ...]
    """Cells by the row they start on, left to right."""
    head_rows: int
    """Leading rows made only of column headers: the ``thead`` (repeated on every page)."""
    groups: tuple[tuple[int, int], ...] = field(default=())
    """Body row ranges [start, end): a new group starts where header rows follow data rows."""

    def figures(self) -> list[GridCell]:
        return [c for row in self.rows for c in row if c.key]

    def kept_rows(self) -> list[int]:
        """Rows that keep with the row below when printed: every header row, and the first
        figure row after header rows, so a heading or a table's head never ends a page with
        fewer than two figure rows under it. The last row keeps with nothing."""

        def is_head(r: int) -> bool:
            return bool(self.rows[r]) and all(c.header for c in self.rows[r])

        return [r for r in range(self.n_rows - 1) if is_head(r) or (r > 0 and is_head(r - 1))]

    def figure_columns(self) -> frozenset[int]:
        """Columns holding figures (the rest hold row labels): pages size them differently."""
        return frozenset(col for c in self.figures() for col in range(c.col, c.col + c.colspan))


def _span(ref: str, merge_to: str | None) -> tuple[int, int, int, int]:
    r0, c0 = split_ref(ref)
    r1, c1 = split_ref(merge_to) if merge_to else (r0, c0)
    return r0, c0, r1 - r0 + 1, c1 - c0 + 1


def table_grid(fmt: FormatSpec, sheet: str) -> TableGrid:
    """The published table of `sheet`: checked labels and figure cells, at their positions."""
    raw: list[GridCell] = []
    for lab in fmt.labels:
        if lab.sheet == sheet and lab.checked:
            r, c, rs, cs = _span(lab.ref, lab.merge_to)
            raw.append(GridCell(r, c, lab.text, rs, cs, header=lab.style in HEADER_STYLES))
    figure_cols: set[int] = set()
    figure_spans: set[tuple[int, int]] = set()
    for cell in fmt.figure_cells():
        if cell.sheet == sheet:
            r, c, rs, cs = _span(cell.ref, cell.merge_to)
            raw.append(GridCell(r, c, "", rs, cs, key=cell.key, money=cell.kind == "money"))
            figure_cols.update(range(c, c + cs))
            figure_spans.add((c, cs))
    top = min(c.row for c in raw)
    left = min(c.col for c in raw)
    cells = [_placed(c, top, left, figure_cols, figure_spans) for c in raw]
    n_rows = max(c.row + c.rowspan for c in cells)
    n_cols = max(c.col + c.colspan for c in cells)
    rows = tuple(tuple(sorted((c for c in cells if c.row == r), key=lambda c: c.col)) for r in range(n_rows))
    head = 0
    while head < n_rows and rows[head] and all(c.header for c in rows[head]):
        head += 1
    return TableGrid(sheet, n_rows, n_cols, rows, head, _groups(rows, head))


def _placed(c: GridCell, top: int, left: int, figure_cols: set[int], figure_spans: set[tuple[int, int]]) -> GridCell:
    """Shift to the table's origin and give header cells their accessibility scope: a header
    over one figure column (merged or not) is ``col``, over several ``colgroup``; the corner
    note over the row labels has none."""
    scope: str | None
    if c.key:
        scope = None
    elif c.header:
        over_figures = any(col in figure_cols for col in range(c.col, c.col + c.colspan))
        if c.colspan == 1 or (c.col, c.colspan) in figure_spans:
            scope = "col"
        else:
            scope = "colgroup" if over_figures else None
    else:
        scope = "rowgroup" if c.rowspan > 1 else "row"
    return GridCell(c.row - top, c.col - left, c.text, c.rowspan, c.colspan, c.header, scope, c.key, c.money)


def _groups(rows: tuple[tuple[GridCell, ...], ...], head: int) -> tuple[tuple[int, int], ...]:
    starts = [head]
    for r in range(head + 1, len(rows)):
        if rows[r] and all(c.header for c in rows[r]) and not all(c.header for c in rows[r - 1]):
            starts.append(r)
    ends = starts[1:] + [len(rows)]
    return tuple(zip(starts, ends))
