"""``xxgk import``: options and printing; the import is :func:`validator.api.import_document`.

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
from pathlib import Path

from validator import api
from validator.errors import EXIT_FINDINGS, EXIT_OK
from validator.fileio import atomic_write_bytes, distinct_output, refuse_stdout

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


def run(args) -> int:
    refuse_stdout(args.out, "导入结果要写成文件", "报告.json 文件名")
    provenance = provenance_path(args.out)
    distinct_output(args.out, args.file)
    distinct_output(provenance, args.file)
    if args.xlsx:
        distinct_output(args.xlsx, args.file, args.out, provenance)
    imported = api.import_document(args.file, body=args.body, year=args.year, body_type=args.type)
    atomic_write_bytes(args.out, imported.json_bytes())
    atomic_write_bytes(provenance, imported.provenance())
    if args.xlsx:
        api.fill(imported.workbook_submission(), args.xlsx)
    if imported.from_data_block:
        print(f"已按网页中本工具生成的数据块（xxgk-report-data）原样导入：{args.out}")
    else:
        print(f"已导入 {len(imported.document.figures)} 个数字：{args.out}（来源行号见 {provenance.name}）")
    for line in imported.notes():
        print(line)
    if args.type is None and not imported.submission.values.get("body.type"):
        print("提示：文本中没有主体类型，请用 --type 指定（政府/部门/乡镇），否则校验会报缺项")
    return EXIT_OK if imported.complete else EXIT_FINDINGS


COMMANDS = {"import": (HELP, configure, run)}
