"""Read a filled workbook into a :class:`~validator.submission.Submission` with openpyxl.

Reading is in two steps so the Excel button can share the second: :func:`read_grids` turns
a file into one value grid per sheet (cached formula results, through openpyxl read-only, which
also words every refusal), and :func:`~validator.workbook.grids.submission_from_grids` checks the
grids are our template of a known version and picks every cell by the format data. The xlwings
entry point builds the same grids from ``sheet.range(...).value`` and calls the second step.
The xlsx reader (:mod:`validator.readers.xlsx`) reads the same grids straight from the XML when
the file is plainly what Excel, WPS, LibreOffice or this tool write, and this openpyxl reader
otherwise.

Split by concern: :mod:`~validator.workbook.zipsafe` (zip and XML safety, size limits),
:mod:`~validator.workbook.cfb` (the compound-file sniffer), :mod:`~validator.workbook.grids`
(grids → submission, shared with the add-in), and this module (the openpyxl reader). The names
below are re-exported so callers keep importing them from here.

Every file is untrusted (submissions travel between offices), so before openpyxl sees it
:func:`check_workbook_file` looks at it from outside: size, what kind of file it is (an old
.xls and a password-protected workbook are both OLE compound files; their directories tell
them apart), and the zip's central directory, whose declared sizes bound everything
``zipfile`` will ever decompress. The limits below are far above any real workbook: the
template's largest part is about 36 KB and all its parts together about 120 KB.
XML is parsed by openpyxl through defusedxml (a runtime dependency): DTDs with entities,
external entities and the like are refused, never expanded. The fast reader parses with lxml
(no DTD loaded, no entity resolved, no network) and leaves any file with a DTD to openpyxl.
"""

from __future__ import annotations

import warnings
from functools import cache
from pathlib import Path

from validator.errors import UnusableInput
from validator.formats import get_format, known_formats
from validator.spec import FormatSpec, split_ref
from validator.submission import Submission
from validator.values import CellError, Uncalculated, decode_ooxml
from validator.workbook.cfb import compound_file_names  # noqa: F401  (re-exported)
from validator.workbook.grids import (  # noqa: F401  (re-exported)
    AGGREGATE_SHEET,
    MAX_AGGREGATE_ROWS,
    MAX_RESULT_ROWS,
    Grid,
    cell_value,
    detect_format,
    place,
    read_explanations,
    sheet_extent,
    submission_from_grids,
)
from validator.workbook.zipsafe import (  # noqa: F401  (re-exported)
    DAMAGED,
    DAMAGED_HINT,
    MAX_EDIT_SHEET_BYTES,
    MAX_PART_BYTES,
    MAX_SHARED_STRINGS,
    MAX_SHARED_STRINGS_BYTES,
    MAX_TOTAL_BYTES,
    MAX_WORKBOOK_BYTES,
    MAX_XML_RATIO,
    MAX_ZIP_DIRECTORY_BYTES,
    MAX_ZIP_PARTS,
    UNSAFE_XML_MSG,
    check_editable_workbook,
    check_workbook_file,
    is_unsafe_xml,
    unsafe_part_where,
)


def read_grids(path: str | Path, fmt: FormatSpec | None = None) -> tuple[FormatSpec, dict[str, Grid]]:
    """Open the workbook and read the cells the format uses, sheet by sheet."""
    path = Path(path)
    check_workbook_file(path)
    return openpyxl_grids(path, fmt)


def openpyxl_grids(path: Path, fmt: FormatSpec | None) -> tuple[FormatSpec, dict[str, Grid]]:
    """The grids of a workbook :func:`check_workbook_file` has passed. openpyxl is given the open
    file, not the name: it refuses names not ending in .xlsx/.xlsm, and the content has been
    checked whatever the file is called."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl's warnings about odd parts are not for staff
        return _read_grids(path, fmt)


def _read_grids(path: Path, fmt: FormatSpec | None) -> tuple[FormatSpec, dict[str, Grid]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    where = path.name
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise UnusableInput(f"无法读取文件：{exc.strerror or exc}", where=where, code="not-found") from None
    with fh:
        try:
            wb = openpyxl.load_workbook(fh, read_only=True, data_only=True, keep_links=False)
        except MemoryError:
            raise UnusableInput("文件过大，内存不足，无法读取", where=where, code="too-large") from None
        except (InvalidFileException, *DAMAGED) as exc:
            if is_unsafe_xml(exc):
                raise UnusableInput(UNSAFE_XML_MSG, where=unsafe_part_where(path), code="unsafe-xml") from None
            raise UnusableInput(
                f"文件已损坏或不是完整的 .xlsx 工作簿{DAMAGED_HINT}", where=where, code="damaged"
            ) from None
        try:
            fmt = fmt or _detect_format(wb, path.name)
            missing = [s.name for s in fmt.sheets if s.name not in wb.sheetnames]
            if missing:
                raise UnusableInput(
                    f"缺少工作表“{'”“'.join(missing)}”；这不是本工具的填报模板，或工作表被删除、改名",
                    where=path.name,
                    code="layout-changed",
                )
            grids: dict[str, Grid] = {}
            for sheet, (rows, cols) in sheet_extent(fmt).items():
                where = f"{path.name} 工作表“{sheet}”"
                grids[sheet] = _sheet_grid(wb, wb[sheet], rows, cols)
            return fmt, grids
        except UnusableInput:
            raise
        except MemoryError:
            raise UnusableInput("文件过大，内存不足，无法读取", where=where, code="too-large") from None
        except DAMAGED as exc:
            if is_unsafe_xml(exc):
                raise UnusableInput(UNSAFE_XML_MSG, where=where, code="unsafe-xml") from None
            raise UnusableInput(f"文件已损坏，无法读取{DAMAGED_HINT}", where=where, code="damaged") from None
        finally:
            wb.close()


def _sheet_grid(wb, ws, rows: int, cols: int) -> Grid:
    """The first ``rows`` × ``cols`` cell values of a read-only sheet (rows past them are never parsed),
    as far as the last row holding one of them.

    Uses openpyxl's sheet parser directly (pinned < 3.2) for what its read-only cells drop:
    whether a cell without a value holds a formula (:class:`Uncalculated`)."""
    grid: Grid = []
    with ws._get_source() as src:
        parser = _parser_class()(
            src,
            ws._shared_strings,
            data_only=True,
            epoch=wb.epoch,
            date_formats=wb._date_formats,
            timedelta_formats=wb._timedelta_formats,
        )
        for index, cells in parser.parse():
            if index > rows:
                break
            if index < 1:
                continue
            for cell in cells:
                column = cell["column"]
                if 1 <= column <= cols:
                    place(grid, index, column, cell["value"], cols)
    return grid


@cache
def _parser_class():
    from openpyxl.worksheet._reader import FORMULA_TAG, VALUE_TAG, WorkSheetParser

    class CellParser(WorkSheetParser):
        """Cell values as this tool reads them: formula errors marked, ``_xHHHH_`` escapes decoded,
        a formula without a stored result kept as :class:`Uncalculated` instead of an empty cell."""

        def parse_cell(self, element):
            cell = super().parse_cell(element)
            value = cell["value"]
            if isinstance(value, str):
                cell["value"] = CellError(value) if cell["data_type"] == "e" else decode_ooxml(value)
            elif value is None:
                formula = element.find(FORMULA_TAG)
                empty_text_result = cell["data_type"] == "str" and element.find(VALUE_TAG) is not None
                if formula is not None and not empty_text_result:
                    cell["value"] = Uncalculated((formula.text or "").strip())
            return cell

    return CellParser


def _detect_format(wb, name: str) -> FormatSpec:
    """The registered format whose marker cell holds its id. Every format is tried (their
    marker cells may differ); a marker naming a format this tool does not know is said so."""
    foreign: tuple[str, str, str] | None = None
    for fmt_id in known_formats():
        fmt = get_format(fmt_id)
        sheet, ref = fmt.marker_cell
        if sheet not in wb.sheetnames:
            continue
        row, col = split_ref(ref)
        for r in wb[sheet].iter_rows(
            min_row=row + 1, max_row=row + 1, min_col=col + 1, max_col=col + 1, values_only=True
        ):
            marker = r[0].strip() if isinstance(r[0], str) else r[0]
            if marker == fmt.id:
                return fmt
            if foreign is None and isinstance(marker, str) and marker.startswith("gb-"):
                foreign = (marker, sheet, ref)
    if foreign is not None:
        marker, sheet, ref = foreign
        raise UnusableInput(
            f"这是“{marker}”格式的模板，本工具只认识 {'、'.join(known_formats())}",
            where=f"{name} {sheet}!{ref}",
            code="unknown-format",
        )
    raise UnusableInput(
        "不是本工具的填报模板（封面没有格式标记）；请用 xxgk template 生成的模板填写，"
        "或用 xxgk fill 从 JSON 生成工作簿",
        where=name,
        code="not-template",
    )


def read_workbook(path: str | Path) -> Submission:
    """The workbook's submission as openpyxl reads it (the xlsx reader's plain path, whatever
    :mod:`validator.accel` says; ``check`` reads through :mod:`validator.readers`)."""
    fmt, grids = read_grids(path)
    submission = submission_from_grids(fmt, grids, Path(path).name)
    submission.aggregate_of = aggregate_members(path)
    return submission


def aggregate_members(path: str | Path) -> tuple[str, ...]:
    """The bodies a workbook filled by ``collect --aggregate`` sums (its hidden 汇总来源 sheet),
    or () for any other workbook. Called on a file the reader has just accepted (sizes and XML
    checked); a normal workbook costs one look at its list of sheets."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("xl/workbook.xml")
            if info.file_size > MAX_PART_BYTES or f'name="{AGGREGATE_SHEET}"'.encode() not in archive.read(info):
                return ()
    except (OSError, KeyError, zipfile.BadZipFile):
        return ()
    import openpyxl

    try:
        with open(path, "rb") as fh, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(fh, read_only=True, data_only=True, keep_links=False)
            try:
                if AGGREGATE_SHEET not in wb.sheetnames:
                    return ()
                sheet = wb[AGGREGATE_SHEET]
                rows = sheet.iter_rows(min_row=2, max_row=MAX_AGGREGATE_ROWS + 1, max_col=1, values_only=True)
                return tuple(str(r[0]).strip() for r in rows if r and r[0] is not None and str(r[0]).strip())
            finally:
                wb.close()
    except Exception:  # a damaged mark is no mark: the workbook itself was read
        return ()
