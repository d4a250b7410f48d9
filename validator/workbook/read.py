"""Read a filled workbook into a :class:`~validator.submission.Submission`.

Reading is in two steps so the Excel button can share the second: :func:`read_grids` turns
a file into one value grid per sheet (openpyxl, read-only, cached formula results), and
:func:`submission_from_grids` checks the grids are our template of a known version and
picks every cell by the format data. The xlwings entry point builds the same grids from
``sheet.range(...).value`` and calls the second step.
"""

from __future__ import annotations

import unicodedata
import zipfile
from pathlib import Path

from validator.errors import UnusableInput
from validator.formats import get_format, known_formats
from validator.spec import FormatSpec, split_ref
from validator.submission import Explanation, Submission
from validator.values import CellError

Grid = list[list[object]]
MAX_WORKBOOK_BYTES = 50 * 1024 * 1024
MAX_RESULT_ROWS = 5000
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def cell_value(grid: Grid, ref: str) -> object:
    row, col = split_ref(ref)
    if row < len(grid) and col < len(grid[row]):
        return grid[row][col]
    return None


def _norm(text: object) -> str:
    return "".join(unicodedata.normalize("NFKC", str(text or "")).split())


def sheet_extent(fmt: FormatSpec) -> dict[str, tuple[int, int]]:
    """How many rows and columns of each sheet the format uses (1-based, inclusive)."""
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
    return ext


def _check_file(path: Path) -> None:
    name = path.name
    if not path.exists():
        raise UnusableInput("文件不存在", where=str(path))
    if not path.is_file():
        raise UnusableInput("不是文件", where=str(path))
    size = path.stat().st_size
    if size == 0:
        raise UnusableInput("文件是空的（0 字节）", where=name)
    if size > MAX_WORKBOOK_BYTES:
        raise UnusableInput(f"文件过大（{size // 1024 // 1024} MB），填报模板不应超过 50 MB", where=name)
    with path.open("rb") as fh:
        head = fh.read(8)
    if head == _OLE_MAGIC:
        raise UnusableInput("这是旧版 .xls 文件或设置了打开密码的工作簿；请在 Excel 中取消密码并另存为 .xlsx 后再试",
                            where=name)
    if not head.startswith(b"PK"):
        raise UnusableInput("不是 Excel 工作簿（.xlsx）文件", where=name)


def read_grids(path: str | Path, fmt: FormatSpec | None = None) -> tuple[FormatSpec, dict[str, Grid]]:
    """Open the workbook and read the cells the format uses, sheet by sheet."""
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    path = Path(path)
    _check_file(path)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, TypeError,
            AttributeError, IndexError, EOFError) as exc:
        raise UnusableInput(f"文件已损坏或不是完整的 .xlsx 工作簿（{type(exc).__name__}）", where=path.name) from None
    try:
        fmt = fmt or _detect_format(wb, path.name)
        missing = [s.name for s in fmt.sheets if s.name not in wb.sheetnames]
        if missing:
            raise UnusableInput(
                f"缺少工作表“{'”“'.join(missing)}”；这不是本工具的填报模板，或工作表被删除、改名",
                where=path.name)
        grids: dict[str, Grid] = {}
        for sheet, (rows, cols) in sheet_extent(fmt).items():
            ws = wb[sheet]
            grid: Grid = []
            for row in ws.iter_rows(min_row=1, max_row=rows, max_col=cols):
                grid.append([_value(c) for c in row])
            grids[sheet] = grid
        return fmt, grids
    except UnusableInput:
        raise
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, AttributeError, IndexError) as exc:
        raise UnusableInput(f"文件已损坏，无法读取（{type(exc).__name__}）", where=path.name) from None
    finally:
        wb.close()


def _value(cell) -> object:
    value = getattr(cell, "value", None)
    if getattr(cell, "data_type", None) == "e" and value is not None:
        return CellError(value)
    return value


def _detect_format(wb, name: str) -> FormatSpec:
    for fmt_id in known_formats():
        fmt = get_format(fmt_id)
        sheet, ref = fmt.marker_cell
        if sheet in wb.sheetnames:
            row, col = split_ref(ref)
            for r in wb[sheet].iter_rows(min_row=row + 1, max_row=row + 1, min_col=col + 1, max_col=col + 1,
                                         values_only=True):
                marker = r[0]
                if marker == fmt.id:
                    return fmt
                if isinstance(marker, str) and marker.startswith("gb-"):
                    raise UnusableInput(f"这是“{marker}”格式的模板，本工具只认识 {'、'.join(known_formats())}",
                                        where=f"{name} {sheet}!{ref}")
    raise UnusableInput(
        "不是本工具的填报模板（封面没有格式标记）；请用 xxgk template 生成的模板填写，"
        "或用 xxgk fill 从 JSON 生成工作簿", where=name)


def submission_from_grids(fmt: FormatSpec, grids: dict[str, Grid], source: str = "") -> Submission:
    """Check the layout against the format data and pick every input cell by its key."""
    missing = [s.name for s in fmt.sheets if s.name not in grids]
    if missing:
        raise UnusableInput(f"缺少工作表“{'”“'.join(missing)}”；这不是本工具的填报模板，或工作表被删除、改名",
                            where=source)
    sheet, ref = fmt.marker_cell
    marker = cell_value(grids[sheet], ref)
    if marker != fmt.id:
        raise UnusableInput(f"封面的格式标记为“{marker or '（空白）'}”，不是 {fmt.id}；这不是本工具的填报模板",
                            where=f"{source} {sheet}!{ref}".strip())
    sheet, ref = fmt.version_cell
    version = cell_value(grids[sheet], ref)
    if version != fmt.template_version and not (isinstance(version, float) and version == fmt.template_version):
        raise UnusableInput(
            f"模板版本为“{version}”，本工具读取的是第 {fmt.template_version} 版模板；"
            "请用 xxgk template 生成新模板，或用 xxgk fill 从 JSON 重新生成工作簿",
            where=f"{source} {sheet}!{ref}".strip())
    wrong = []
    for label in fmt.labels:
        if not label.checked:
            continue
        found = cell_value(grids[label.sheet], label.ref)
        if _norm(found) != _norm(label.text):
            wrong.append(f"{label.sheet}!{label.ref} 应为“{label.text}”，现为“{str(found or '（空白）')[:30]}”")
    if wrong:
        more = f"\n  ……共 {len(wrong)} 处" if len(wrong) > 5 else ""
        raise UnusableInput(
            "表格结构与官方格式不一致（可能插入、删除了行列，或改动了表头文字）：\n  "
            + "\n  ".join(wrong[:5]) + more, where=source)
    values = {c.key: cell_value(grids[c.sheet], c.ref) for c in (*fmt.cells, *fmt.baseline_cells)}
    return Submission(fmt, values, source, read_explanations(fmt, grids[fmt.results_sheet]))


def read_explanations(fmt: FormatSpec, grid: Grid) -> list[Explanation]:
    """Rows of 校验结果 whose 情况说明 column staff filled in (rule in B, keys in J, text in I).

    One explanation per (rule, cells): a note shown on two findings of the same rule and cells
    comes back once; different notes for the same pair are joined line by line.
    """
    texts: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for row in grid[fmt.results_header_row:]:
        cells = [*row, *[None] * (10 - len(row))]
        rule, text, keys = cells[1], cells[8], cells[9]
        if isinstance(rule, str) and rule.strip() and text not in (None, "") and str(text).strip():
            key_list = tuple(k.strip() for k in str(keys or "").split(",") if k.strip())
            seen = texts.setdefault((rule.strip(), key_list), [])
            if str(text) not in seen:
                seen.append(str(text))
    return [Explanation(rule, keys, "\n".join(parts)) for (rule, keys), parts in texts.items()]


def read_workbook(path: str | Path) -> Submission:
    fmt, grids = read_grids(path)
    return submission_from_grids(fmt, grids, Path(path).name)
