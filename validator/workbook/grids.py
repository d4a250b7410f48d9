"""Grids → :class:`~validator.submission.Submission`: the step the file reader and the Excel
buttons share.

A grid is one sheet's values as a list of rows. :func:`submission_from_grids` checks the grids
are a template of a known format and version (marker, version, checked labels) and picks every
cell by the format data; :func:`detect_format` finds the format from the marker cells.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from validator import results
from validator.errors import UnusableInput
from validator.formats import get_format, known_formats
from validator.spec import FormatSpec, split_ref
from validator.submission import CELLS, Explanation, InputKind, Submission
from validator.values import CONTROL_CHARACTERS, display, name_key

Grid = list[list[object]]
AGGREGATE_SHEET = "汇总来源"
"""The hidden sheet of a workbook ``xxgk collect --aggregate`` filled: column A lists the bodies
it sums, under a note in A1 (:attr:`Submission.aggregate_of`)."""
MAX_AGGREGATE_ROWS = 100_000
MAX_RESULT_ROWS = 5000
"""校验结果 rows read below the header (a filled report has a few dozen)."""


def cell_value(grid: Grid, ref: str) -> object:
    row, col = _split_ref(ref)
    if row < len(grid) and col < len(grid[row]):
        return grid[row][col]
    return None


_split_ref = cache(split_ref)
"""The same few hundred references are looked up in every submission read."""


def sheet_extent(fmt: FormatSpec) -> dict[str, tuple[int, int]]:
    """How many rows and columns of each sheet the format uses (1-based, inclusive)."""
    return dict(_extent(fmt))


@cache
def _extent(fmt: FormatSpec) -> tuple[tuple[str, tuple[int, int]], ...]:
    """Computed once per format (formats compare by identity)."""
    ext: dict[str, tuple[int, int]] = {}
    refs = [(c.sheet, c.ref) for c in (*fmt.cells, *fmt.baseline_cells)]
    refs += [(lb.sheet, lb.merge_to or lb.ref) for lb in fmt.labels]
    refs += [fmt.marker_cell, fmt.version_cell]
    for sheet, ref in refs:
        row, col = split_ref(ref)
        r, c = ext.get(sheet, (0, 0))
        ext[sheet] = (max(r, row + 1), max(c, col + 1))
    r, c = ext[fmt.results_sheet]
    ext[fmt.results_sheet] = (fmt.results_header_row + MAX_RESULT_ROWS, c)
    return tuple(ext.items())


def detect_format(marker_at: Callable[[str, str], object]) -> FormatSpec | None:
    """The registered format whose marker cell holds its id; ``marker_at(sheet, ref)`` reads a
    cell (None for a missing sheet). Shared by the Excel entry points."""
    for fmt_id in known_formats():
        fmt = get_format(fmt_id)
        marker = marker_at(*fmt.marker_cell)
        if isinstance(marker, str) and marker.strip() == fmt.id:
            return fmt
    return None


def submission_from_grids(
    fmt: FormatSpec, grids: dict[str, Grid], source: str = "", kind: InputKind = CELLS
) -> Submission:
    """Check the layout against the format data and pick every input cell by its key; `kind`
    is the reader's (the Excel add-in reads its open workbook's cells: :data:`CELLS`)."""
    missing = [s.name for s in fmt.sheets if s.name not in grids]
    if missing:
        raise UnusableInput(
            f"缺少工作表“{'”“'.join(missing)}”；这不是本工具的填报模板，或工作表被删除、改名",
            where=source,
            code="layout-changed",
        )
    sheet, ref = fmt.marker_cell
    marker = cell_value(grids[sheet], ref)
    if not (isinstance(marker, str) and marker.strip() == fmt.id):
        raise UnusableInput(
            f"封面的格式标记为“{marker or '（空白）'}”，不是 {fmt.id}；这不是本工具的填报模板",
            where=f"{source} {sheet}!{ref}".strip(),
            code="not-template",
        )
    sheet, ref = fmt.version_cell
    version = cell_value(grids[sheet], ref)
    if not _same_version(version, fmt.template_version):
        raise UnusableInput(
            f"模板版本为“{display(version)}”，本工具读取的是第 {fmt.template_version} 版模板；"
            "请用 xxgk template 生成新模板，或用 xxgk fill 从 JSON 重新生成工作簿",
            where=f"{source} {sheet}!{ref}".strip(),
            code="template-version",
        )
    wrong = []
    for label in fmt.labels:
        if not label.checked:
            continue
        found = cell_value(grids[label.sheet], label.ref)
        if name_key(found) != name_key(label.text):
            wrong.append(f"{label.sheet}!{label.ref} 应为“{label.text}”，现为“{str(found or '（空白）')[:30]}”")
    if wrong:
        more = f"\n  ……共 {len(wrong)} 处" if len(wrong) > 5 else ""
        raise UnusableInput(
            "表格结构与官方格式不一致（可能插入、删除了行列，或改动了表头文字）：\n  " + "\n  ".join(wrong[:5]) + more,
            where=source,
            code="layout-changed",
        )
    values = {c.key: cell_value(grids[c.sheet], c.ref) for c in (*fmt.cells, *fmt.baseline_cells)}
    explanations = read_explanations(fmt, grids[fmt.results_sheet])
    _refuse_control_characters(fmt, values, explanations, source)
    return Submission(fmt, values, source, explanations, kind)


def _refuse_control_characters(
    fmt: FormatSpec, values: dict[str, object], explanations: list[Explanation], source: str
) -> None:
    """Text with control characters (Excel keeps e.g. a pasted Word line break as ``_x000B_``) cannot
    go into the JSON; say which cell, as the JSON reader says which field (exit 2 both ways)."""
    texts = [
        (fmt.cell(key).a1, fmt.cell(key).label, value)
        for key, value in values.items()
        if isinstance(value, str) and fmt.cell(key).kind in ("text", "longtext", "choice")
    ]
    texts += [(fmt.results_sheet, "情况说明", text) for e in explanations for text in (e.rule, *e.keys, e.text)]
    for where, label, text in texts:
        found = CONTROL_CHARACTERS.search(text)
        if found:
            raise UnusableInput(
                f"“{label}”中含有不可见的控制字符 U+{ord(found.group()):04X}（第 {found.start() + 1} 个字符处，"
                "常见于从 Word 等处粘贴的文字），请删除后再校验",
                where=f"{source} {where}".strip(),
                code="bad-text",
            )


def _same_version(found: object, version: int) -> bool:
    """The version cell as a number or as text (“1” typed over the number 1 is the same version)."""
    if isinstance(found, bool):
        return False
    if isinstance(found, (int, float)):
        return found == version
    return isinstance(found, str) and found.strip() == str(version)


def read_explanations(fmt: FormatSpec, grid: Grid) -> list[Explanation]:
    """Rows of 校验结果 whose 情况说明 column staff filled in (rule in B, keys in J, text in I).

    One explanation per (rule, cells): a note shown on two findings of the same rule and cells
    comes back once; different notes for the same pair are joined line by line.
    """
    texts: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    at = results.index("rule"), results.index("explanation"), results.index("keys")
    for row in grid[fmt.results_header_row :]:
        cells = [*row, *[None] * (results.WIDTH - len(row))]
        rule, text, keys = (cells[i] for i in at)
        if isinstance(rule, str) and rule.strip() and text not in (None, "") and str(text).strip():
            key_list = tuple(k.strip() for k in str(keys or "").split(",") if k.strip())
            seen = texts.setdefault((rule.strip(), key_list), [])
            if str(text) not in seen:
                seen.append(str(text))
    return [Explanation(rule, keys, "\n".join(parts)) for (rule, keys), parts in texts.items()]


def place(grid: Grid, index: int, column: int, value: object, cols: int) -> None:
    """Put a value at 1-based (row, column), growing the grid by whole rows of ``cols`` cells only
    as far as the last row that holds a cell (校验结果 is read up to thousands of rows, but holds a
    few dozen)."""
    while len(grid) < index:
        grid.append([None] * cols)
    grid[index - 1][column - 1] = value
