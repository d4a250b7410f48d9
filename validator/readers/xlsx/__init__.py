"""Excel workbooks (.xlsx, .xlsm), and clear refusals of what only looks like one (.xls, a workbook
with an opening password): every zip or compound file no other reader claims comes here.

A file is first looked at from outside (:func:`validator.workbook.zipsafe.check_workbook_file`:
size, compound files, zip bombs, DTDs), then read by the fast path (:mod:`.fast`, straight from
the XML) or, whenever that is unsure, by openpyxl (:mod:`validator.workbook.read`), which also
words every refusal; both give the same grids, and
:func:`~validator.workbook.grids.submission_from_grids` makes the submission. ``check
--annotate`` writes a marked copy of the workbook itself (:mod:`validator.workbook.write`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from validator import accel
from validator.readers.base import CONTENT, NAME, Reader
from validator.submission import InputKind, Submission
from validator.workbook.cfb import OLE_MAGIC

if TYPE_CHECKING:
    from validator.report import ValidationReport
    from validator.spec import FormatSpec
    from validator.workbook.grids import Grid

KIND = InputKind("xlsx", annotatable=True, sheets=True)
SUFFIXES = (".xlsx", ".xlsm", ".xls")
MAX_BYTES = 50 * 1024 * 1024
"""The file itself (:data:`validator.workbook.zipsafe.MAX_WORKBOOK_BYTES`); its parts have their own limits there."""
FAST = accel.register(
    "xlsx-fast",
    __name__,
    "a workbook's cells read straight from its XML instead of openpyxl's workbook model "
    "(collect of 40 filled copies: 3-4 times faster); off, openpyxl reads every workbook",
)


def sniff(head: bytes, name: str) -> int:
    if head.startswith(b"PK") or head[:8] == OLE_MAGIC:
        return CONTENT
    return NAME if name.lower().endswith(SUFFIXES) else 0


def read_grids(path: str | Path, fmt: FormatSpec | None = None) -> tuple[FormatSpec, dict[str, Grid]]:
    """The grids of the cells the format uses, sheet by sheet (refusals in Chinese)."""
    from validator.workbook.read import check_workbook_file, openpyxl_grids  # lazy: loads openpyxl

    path = Path(path)
    check_workbook_file(path)
    if FAST.on:
        from validator.readers.xlsx.fast import read_grids_fast  # lazy: loads openpyxl

        grids = read_grids_fast(path, fmt)
        if grids is not None:
            return grids
    return openpyxl_grids(path, fmt)


def read(path: Path, data: bytes | None = None) -> Submission:
    """The workbook's submission; a 汇总 filled by ``collect --aggregate`` keeps the bodies it
    sums (:func:`validator.workbook.read.aggregate_members`)."""
    from validator.workbook.grids import submission_from_grids  # lazy: off the check path
    from validator.workbook.read import aggregate_members  # lazy: loads openpyxl

    fmt, grids = read_grids(path)
    submission = submission_from_grids(fmt, grids, Path(path).name, KIND)
    submission.aggregate_of = aggregate_members(path)
    return submission


def annotate(source: Path, submission: Submission, report: ValidationReport, out: Path) -> list[str]:
    """A copy of the workbook with its findings marked (its kind follows the output's name:
    .xlsm keeps the macros); read back by this reader to prove it reads like its source."""
    from validator.workbook.write import annotate_workbook  # lazy: loads openpyxl

    return annotate_workbook(source, submission, report, out, read)


READER = Reader(KIND, "Excel 工作簿", SUFFIXES, sniff, read, MAX_BYTES, offered=(".xlsx", ".xlsm"), annotate=annotate)
