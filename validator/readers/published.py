"""Published reports (web page, text, Word, PDF), read only when asked (``--published``): the
importer (:mod:`validator.importer.document`) finds their tables without ever guessing a figure.

A published report is never a submission on its own: ``check``, ``collect`` and ``new --from``
read one when told to, and ``xxgk import`` turns one into the normalized JSON. Its figures
arrive as numbers, so they are typed; what the import found (blank cells read as 0, parts not
read) travels with the submission as its ``findings``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from validator.readers.base import NAME, Reader
from validator.submission import PUBLISHED, Submission

if TYPE_CHECKING:
    from validator.importer.text import Imported

KIND = PUBLISHED
MAX_BYTES = 20 * 1024 * 1024
"""A document file (:data:`validator.importer.source.MAX_BYTES`)."""


@cache
def suffixes() -> tuple[str, ...]:
    """Every document kind the importer has a branch for (.doc only to say it must be saved as .docx)."""
    from validator.importer import document  # lazy: off the check path

    return (*document.SUFFIXES, *document.PDF_SUFFIXES, *document.WORD_SUFFIXES)


def sniff(head: bytes, name: str) -> int:
    return NAME if name.lower().endswith(suffixes()) else 0


def imported(
    path: str | Path, body: str | None = None, year: int | None = None, body_type: str | None = None
) -> tuple[Imported, Submission]:
    """The document as read (for provenance) and its submission; the body's name, year and type
    override what the document says."""
    from validator.importer.document import (  # lazy: loads lxml, pypdfium2, docx
        import_findings,
        read_document,
        to_submission,
    )

    src = Path(path)
    document = read_document(src)
    submission = to_submission(document, src.name, body, year, body_type)
    submission.findings = import_findings(document, submission.format)
    return document, submission


def read(path: Path, data: bytes | None = None) -> Submission:
    return imported(path)[1]


READER = Reader(KIND, "已发布的报告（网页、文本、Word、PDF）", (), sniff, read, MAX_BYTES, on_request=True)
