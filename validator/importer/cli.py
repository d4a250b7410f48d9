"""``xxgk import``: options (cheap) and the run (imports the reader and the model on use).

Writes the normalized JSON, beside it ``<name>.provenance.json`` (for every imported cell the
line (for a PDF also the page, for a Word file the place) and the line's text it came from,
the cell as published and whether it was a number, an empty cell or a mark; where each
narrative part starts and ends; import 提示; the rows not read, with their reasons; the numbers
inside a table that no cell took, each with the rule that skipped it), and with ``--xlsx`` a
filled workbook. Exit 0 when every table was read, 1 when some cells were left null (listed; ``check``
flags them), 2 when the file is not a usable report text.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

HELP = (
    "导入已发布的年度报告（.txt/.md 文本、.html 网页、.docx Word 文档、带文字层的 .pdf），生成 JSON（可选生成工作簿）"
)


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "file",
        metavar="文件",
        help="已发布报告的文本（.txt 或 .md）、网页（.html）、Word 文档（.docx）或带文字层的 PDF",
    )
    p.add_argument("-o", "--out", required=True, metavar="报告.json", help="输出的 JSON 文件")
    p.add_argument("--xlsx", metavar="报告.xlsx", help="同时生成填好的工作簿")
    p.add_argument("--body", metavar="名称", help="报告主体名称（默认取自标题）")
    p.add_argument("--year", type=int, metavar="年度", help="报告年度（默认取自标题）")
    p.add_argument("--type", choices=("政府", "部门", "乡镇"), help="主体类型（文本中没有，需指定）")


def provenance_path(out: str) -> Path:
    return Path(out).with_suffix(".provenance.json")


def _cell(f) -> dict[str, object]:
    """A cell's provenance: value, line, the line and the cell as published, and its form
    (number / empty / mark): a 0 read from a blank is not a 0 that was printed."""
    return {
        "value": f.value,
        **({"page": f.page} if f.page is not None else {}),
        "line": f.line,
        "text": f.text,
        **({"place": f.place} if f.place else {}),
        "raw": f.raw,
        "form": f.form,
        **({"blank": True} if f.blank else {}),
    }


def _provenance(imported, source: str) -> bytes:
    doc = {
        "source": source,
        **({"data_block": True} if imported.exact is not None else {}),
        "cells": {f.key: _cell(f) for f in imported.figures},
        "parts": imported.parts,
        "findings": imported.findings,
        "unread": imported.unread,
        "skipped": imported.skipped,
    }
    return json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"


def notes(imported) -> list[str]:
    """What staff must know about an import, one line each: 提示 and cells left empty."""
    return [f"提示：{f['message']}" for f in imported.findings] + [f"未导入：{u['reason']}" for u in imported.unread]


def import_findings(imported, fmt) -> list:
    """The import's 提示 and unread cells as findings of the check report, so ``check
    --published`` shows them beside the rules' findings, on the cells concerned."""
    from validator.importer.document import places
    from validator.report import CellRef, Finding

    where = places(imported, fmt) if imported.exact is None else {}

    def cells(keys) -> tuple[CellRef, ...]:
        return tuple(CellRef(where.get(k) or fmt.cell(k).a1, k) for k in keys)

    found = [Finding(f["rule"], "warning", "导入", cells(f["keys"]), f["message"]) for f in imported.findings]
    found += [
        Finding("IMPORT-UNREAD", "warning", "导入", cells(u["keys"]), f"未导入：{u['reason']}") for u in imported.unread
    ]
    return found


def is_document(path: str | Path) -> bool:
    """Whether `path` names a published document (read by :func:`published`), not a JSON or
    workbook: by suffix, as every document kind the importer has a branch for is named."""
    from validator.importer.document import PDF_SUFFIXES, SUFFIXES, WORD_SUFFIXES

    return Path(path).suffix.lower() in (*SUFFIXES, *PDF_SUFFIXES, *WORD_SUFFIXES)


def published(path: str, body: str | None = None, year: int | None = None, body_type: str | None = None):
    """A published document read in memory (nothing written) for ``check --published``,
    ``collect --published`` and ``new --from``: its submission and what the import found."""
    from validator.importer.document import read_document, to_submission

    src = Path(path)
    imported = read_document(src)
    submission = to_submission(imported, src.name, body, year, body_type)
    return submission, import_findings(imported, submission.format)


def run(args) -> int:
    from validator.cli import _distinct, _no_stdout
    from validator.engine import validate
    from validator.errors import EXIT_FINDINGS, EXIT_OK
    from validator.fileio import atomic_write_bytes
    from validator.importer.document import read_document, to_submission
    from validator.jsonio import dump_model, report_to_model

    _no_stdout(args.out)
    _distinct(args.out, args.file)
    _distinct(str(provenance_path(args.out)), args.file)
    if args.xlsx:
        _distinct(args.xlsx, args.file, args.out, str(provenance_path(args.out)))
    src = Path(args.file)
    imported = read_document(src)
    submission = to_submission(imported, src.name, args.body, args.year, args.type)
    atomic_write_bytes(args.out, dump_model(report_to_model(submission, None)))
    atomic_write_bytes(provenance_path(args.out), _provenance(imported, src.name))
    if args.xlsx:
        from dataclasses import replace

        from validator.workbook.write import fill_workbook

        in_sheets = replace(submission, places={})  # the workbook's own cells, not the document's lines
        fill_workbook(in_sheets, validate(in_sheets), args.xlsx)
    if imported.exact is not None:
        print(f"已按网页中本工具生成的数据块（xxgk-report-data）原样导入：{args.out}")
    else:
        print(f"已导入 {len(imported.figures)} 个数字：{args.out}（来源行号见 {provenance_path(args.out).name}）")
    for line in notes(imported):
        print(line)
    if args.type is None and not submission.values.get("body.type"):
        print("提示：文本中没有主体类型，请用 --type 指定（政府/部门/乡镇），否则校验会报缺项")
    return EXIT_FINDINGS if imported.unread else EXIT_OK
