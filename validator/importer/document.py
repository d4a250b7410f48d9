"""One entry point for every kind of published document: read it, find its tables, make a
:class:`~validator.submission.Submission`.

``xxgk import`` and every command that accepts a published report (``check --published``,
``collect --published``, ``new --from``) go through :func:`read_document` and
:func:`to_submission`, so a document reads the same wherever it is used. Each document kind
has its own module that turns the file into text lines (and the line each came from); the
table reader (:mod:`validator.importer.text`) is shared.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from validator.errors import UnusableInput
from validator.importer.assemble import places, to_submission
from validator.importer.docx import read_docx
from validator.importer.html import decode_html, read_page
from validator.importer.pdf import read_pdf
from validator.importer.source import read_bytes
from validator.importer.text import Imported, read_lines, split_lines
from validator.report import CellRef, Finding
from validator.submission import Submission

TEXT_SUFFIXES = (".txt", ".md")
HTML_SUFFIXES = (".html", ".htm")
PDF_SUFFIXES = (".pdf",)
SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES
WORD_SUFFIXES = (".docx", ".doc")


def read_source(path: Path) -> str:
    """A text or web page file's text; exit 2 for a missing, empty, binary or non-text file."""
    where = path.name
    if path.suffix.lower() not in SUFFIXES:
        raise UnusableInput(
            "目前只能导入文本（.txt/.md）、网页（.html）、PDF 或 Word 文档（.docx）；其他类型请先另存为文本",
            where=where,
            code="unusable-input",
        )
    data = read_bytes(path)
    if b"\x00" in data:
        raise UnusableInput("不是文本文件（可能是 Word、PDF 等），请先另存为文本", where=where, code="not-report")
    if path.suffix.lower() in HTML_SUFFIXES:
        text = decode_html(data)
        if text is not None:
            return text
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnusableInput("无法识别文字编码（应为 UTF-8 或 GBK/GB18030）", where=where, code="bad-encoding")


def read_document(path: Path) -> Imported:
    """The tables of a published report file (exit 2 when it is not one)."""
    if path.suffix.lower() in WORD_SUFFIXES:
        return read_docx(path)
    if path.suffix.lower() in PDF_SUFFIXES:
        return read_pdf(read_bytes(path), path.name)
    text = read_source(path)
    if path.suffix.lower() in HTML_SUFFIXES:
        return read_page(text, path.name)
    return read_lines(split_lines(text), path.name)


def import_findings(imported: Imported, fmt) -> list[Finding]:
    """The import's 提示 and unread cells as findings of the check report, so ``check
    --published`` shows them beside the rules' findings, on the cells concerned."""

    where = places(imported, fmt) if imported.exact is None else {}

    def cells(keys) -> tuple[CellRef, ...]:
        return tuple(CellRef(where.get(k) or fmt.cell(k).a1, k) for k in keys)

    found = [Finding(str(f["rule"]), "warning", "导入", cells(f["keys"]), str(f["message"])) for f in imported.findings]
    found += [
        Finding("IMPORT-UNREAD", "warning", "导入", cells(u["keys"]), f"未导入：{u['reason']}") for u in imported.unread
    ]
    return found


def read_published(
    path: str | os.PathLike[str], body: str | None = None, year: int | None = None, body_type: str | None = None
) -> tuple[Submission, list[Finding]]:
    """A published document read in memory (nothing written) for ``check --published``,
    ``collect --published`` and ``new --from``: its submission and what the import found."""
    src = Path(path)
    imported = read_document(src)
    submission = to_submission(imported, src.name, body, year, body_type)
    return submission, import_findings(imported, submission.format)


def notes(imported: Imported) -> list[str]:
    """What staff must know about an import, one line each: 提示 and cells left empty."""
    return [f"提示：{f['message']}" for f in imported.findings] + [f"未导入：{u['reason']}" for u in imported.unread]


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


def provenance(imported: Imported, source: str) -> bytes:
    """The provenance side file (``<name>.provenance.json``): for every imported cell where it
    came from, the narrative parts, the import's 提示, the cells not read (with their reasons)
    and the numbers inside a table that no cell took (each with the rule that skipped it)."""
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
