"""The publishable report for a checked submission: the service under ``xxgk render`` and the
Excel button 生成报告 (:func:`validator.api.render` is its front door).

Same gate as ``export``: the caller refuses while 错误 remain unless forced. Empty narrative
parts raise :class:`~validator.render.document.MissingNarrative` unless `draft`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from validator.errors import UnusableInput
from validator.jsonio import dump_model, report_to_model
from validator.render.document import Document, build_document
from validator.render.docx import render_docx
from validator.render.html import render_html
from validator.report import ValidationReport
from validator.submission import Submission

Kind = Literal["docx", "html"]
KINDS: dict[str, Kind] = {".docx": "docx", ".html": "html", ".htm": "html"}


def output_kind(out: str | Path) -> Kind:
    """The document kind an output name asks for (exit 2 for any other suffix)."""
    kind = KINDS.get(Path(out).suffix.lower())
    if kind is None:
        raise UnusableInput("输出文件应以 .docx（Word）或 .html（网页）结尾", where=str(out), code="bad-argument")
    return kind


def document_for(submission: Submission, report: ValidationReport | None, draft: bool = False) -> Document:
    """The report's content from the same normalized JSON ``export`` writes (raises
    MissingNarrative unless `draft`)."""
    return build_document(submission.format, dump_model(report_to_model(submission, report)), draft)


def render_bytes(doc: Document, kind: Kind) -> bytes:
    """The document as .docx or .html bytes."""
    if kind == "docx":
        return render_docx(doc)

    return render_html(doc)
