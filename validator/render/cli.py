"""``xxgk render``: the publishable report as .docx or .html, from a workbook or our JSON.

Same gate as ``xxgk export``: refused while 错误 remain (exit 1) unless ``--force``, which
prints a visible “未通过校验” notice in the document. Empty narrative parts refuse too
(exit 1, listing them: the report is incomplete, not unusable); ``--draft`` renders them as
visible placeholders instead. Unusable input, an unknown output type or an unwritable file
is exit 2, as everywhere.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "生成发布用的年度报告（Word .docx 或网页 .html），数字与导出的 JSON 相同"
KINDS = {".docx": "docx", ".html": "html", ".htm": "html"}


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="文件", help="填好的工作簿（.xlsx/.xlsm）或本工具导出的 JSON")
    p.add_argument("-o", "--out", required=True, metavar="报告.docx|报告.html", help="输出文件：报告.docx 或 报告.html")
    p.add_argument("--force", action="store_true", help="有“错误”也生成（文中注明未通过校验，不得发布）")
    p.add_argument("--draft", action="store_true", help="文字部分未填写时用醒目的占位文字代替（草稿）")
    p.add_argument("--last-year", metavar="上年.json", help="上年报告的 JSON，用于历年核对（代替“上年数据”表）")
    p.add_argument("--profile", metavar="配置.toml", help="规则配置文件：关闭规则或改变级别")


def output_kind(out: str) -> str:
    from validator.errors import UnusableInput

    kind = KINDS.get(Path(out).suffix.lower())
    if kind is None:
        raise UnusableInput("输出文件应以 .docx（Word）或 .html（网页）结尾", where=out)
    return kind


def document_for(submission, report, draft: bool = False):
    """The report's content from the same normalized JSON ``export`` writes (raises
    MissingNarrative unless `draft`)."""
    from validator.jsonio import dump_model, report_to_model
    from validator.render.document import build_document

    return build_document(submission.format, dump_model(report_to_model(submission, report)), draft)


def render_bytes(submission, report, kind: str, draft: bool = False, doc=None) -> bytes:
    """The document for a validated submission (raises MissingNarrative unless `draft`)."""
    doc = doc or document_for(submission, report, draft)
    if kind == "docx":
        from validator.render.docx import render_docx

        return render_docx(doc)
    from validator.render.html import render_html

    return render_html(doc)


def missing_message(headings: list[str], excel: bool = False) -> str:
    draft = "" if excel else "（或加 --draft 生成带占位文字的草稿）"
    return f"文字部分未填写：{'、'.join(headings)}。报告不完整，未生成。请在“文字部分”表中填写后再生成{draft}。"


def run(args) -> int:
    from validator.cli import _distinct, _validated
    from validator.errors import EXIT_FINDINGS, EXIT_OK, UnusableInput
    from validator.fileio import atomic_write_bytes
    from validator.render.document import MissingNarrative

    if args.out == "-":
        raise UnusableInput("报告是文件，不能输出到标准输出（-）；请给出 .docx 或 .html 文件名")
    kind = output_kind(args.out)
    _distinct(args.out, args.file, args.last_year)
    submission, report = _validated(args)
    if not report.valid and not args.force:
        print(report.render_text(), file=sys.stderr)
        print(
            f"\n存在 {len(report.errors)} 个错误，未生成报告。请改正后再生成"
            "（或加 --force 生成，文中注明未通过校验）。",
            file=sys.stderr,
        )
        return EXIT_FINDINGS
    try:
        doc = document_for(submission, report, args.draft)
    except MissingNarrative as exc:
        print(missing_message(exc.headings), file=sys.stderr)
        return EXIT_FINDINGS
    data = render_bytes(submission, report, kind, args.draft, doc)
    atomic_write_bytes(args.out, data)
    note = "（含错误，文中已注明未通过校验）" if not report.valid else ""
    draft = "（草稿：文字部分未填写完整）" if doc.incomplete else ""
    print(f"已生成报告{draft}：{args.out}{note}；{report.summary_zh()}")
    return EXIT_OK if report.valid else EXIT_FINDINGS
