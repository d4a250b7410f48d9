"""``xxgk import``: options (cheap) and the run (imports the reader and the model on use).

Writes the normalized JSON, beside it ``<name>.provenance.json`` (for every imported cell the
line and the line's text it came from, and the tables not read), and with ``--xlsx`` a filled
workbook. Exit 0 when every table was read, 1 when some cells were left null (listed; ``check``
flags them), 2 when the file is not a usable report text.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

HELP = "导入已发布的年度报告（目前支持 .txt/.md 文本和 .html 网页），生成 JSON（可选生成工作簿）"
SUFFIXES = (".txt", ".md", ".html", ".htm")
MAX_BYTES = 20 * 1024 * 1024


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="文件", help="已发布报告的文本（.txt 或 .md）或网页（.html）")
    p.add_argument("-o", "--out", required=True, metavar="报告.json", help="输出的 JSON 文件")
    p.add_argument("--xlsx", metavar="报告.xlsx", help="同时生成填好的工作簿")
    p.add_argument("--body", metavar="名称", help="报告主体名称（默认取自标题）")
    p.add_argument("--year", type=int, metavar="年度", help="报告年度（默认取自标题）")
    p.add_argument("--type", choices=("政府", "部门", "乡镇"), help="主体类型（文本中没有，需指定）")


def provenance_path(out: str) -> Path:
    return Path(out).with_suffix(".provenance.json")


def read_source(path: Path) -> str:
    """The file's text; exit 2 for a missing, empty, binary or non-text file."""
    from validator.errors import UnusableInput

    where = path.name
    if path.suffix.lower() not in SUFFIXES:
        raise UnusableInput(
            "目前只能导入文本（.txt/.md）或网页（.html）；PDF、Word 等请先另存为文本",
            where=where,
            code="unusable-input",
        )
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError:
        raise UnusableInput("文件不存在或无法读取", where=where, code="not-found") from None
    if len(data) > MAX_BYTES:
        raise UnusableInput(f"文件超过 {MAX_BYTES // 1024 // 1024} MB，不像报告文本", where=where, code="too-large")
    if not data.strip():
        raise UnusableInput("文件是空的", where=where, code="empty")
    if b"\x00" in data:
        raise UnusableInput("不是文本文件（可能是 Word、PDF 等），请先另存为文本", where=where, code="unusable-input")
    if path.suffix.lower() in (".html", ".htm"):
        from validator.importer.html import decode_html

        text = decode_html(data)
        if text is not None:
            return text
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnusableInput("无法识别文字编码（应为 UTF-8 或 GBK/GB18030）", where=where, code="unusable-input")


def _provenance(imported, source: str) -> bytes:
    doc = {
        "source": source,
        "cells": {
            f.key: {"value": f.value, "line": f.line, "text": f.text, **({"blank": True} if f.blank else {})}
            for f in imported.figures
        },
        "unread": imported.unread,
    }
    return json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"


def run(args) -> int:
    from validator.cli import _distinct, _no_stdout
    from validator.engine import validate
    from validator.errors import EXIT_FINDINGS, EXIT_OK
    from validator.fileio import atomic_write_bytes
    from validator.formats import get_format
    from validator.importer.text import read_lines
    from validator.jsonio import dump_model, report_to_model
    from validator.submission import Submission

    _no_stdout(args.out)
    _distinct(args.out, args.file)
    _distinct(str(provenance_path(args.out)), args.file)
    if args.xlsx:
        _distinct(args.xlsx, args.file, args.out, str(provenance_path(args.out)))
    src = Path(args.file)
    text = read_source(src)
    if src.suffix.lower() in (".html", ".htm"):
        from validator.importer.html import html_lines

        lines, sources = html_lines(text)
        imported = read_lines(lines, src.name, sources)
    else:
        imported = read_lines(text.splitlines(), src.name)
    values = dict(imported.values)
    values["body.name"] = args.body or imported.body or ""
    values["year"] = args.year if args.year is not None else imported.year
    values["body.type"] = args.type
    submission = Submission(get_format(), values, src.name, origin="json")
    atomic_write_bytes(args.out, dump_model(report_to_model(submission, None)))
    atomic_write_bytes(provenance_path(args.out), _provenance(imported, src.name))
    if args.xlsx:
        from validator.workbook.write import fill_workbook

        fill_workbook(submission, validate(submission), args.xlsx)
    print(f"已导入 {len(imported.figures)} 个数字：{args.out}（来源行号见 {provenance_path(args.out).name}）")
    blanks = [f for f in imported.figures if f.blank]
    if blanks:
        where = "、".join(f"第 {line} 行" for line in dict.fromkeys(f.line for f in blanks))
        print(f"注意：{len(blanks)} 个空白单元格（空、“/”或“—”）按 0 导入（{where}），请核对原文")
    for item in imported.unread:
        print(f"未导入：{item['reason']}")
    if args.type is None:
        print("提示：文本中没有主体类型，请用 --type 指定（政府/部门/乡镇），否则校验会报缺项")
    return EXIT_FINDINGS if imported.unread else EXIT_OK
