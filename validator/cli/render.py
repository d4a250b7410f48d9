"""``xxgk render``: options and printing; the document is :func:`validator.api.render`.

Same gate as ``xxgk export``: refused while 错误 remain (exit 1) unless ``--force``, which
prints a visible “未通过校验” notice in the document. Empty narrative parts refuse too
(exit 1, listing them: the report is incomplete, not unusable); ``--draft`` renders them as
visible placeholders instead. Unusable input, an unknown output type or an unwritable file
is exit 2, as everywhere.
"""

from __future__ import annotations

import argparse
import sys

from validator import api
from validator.errors import EXIT_FINDINGS, EXIT_OK
from validator.fileio import atomic_write_bytes, distinct_output, refuse_stdout

HELP = "生成发布用的年度报告（Word .docx 或网页 .html），数字与导出的 JSON 相同"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="文件", help="填好的工作簿（.xlsx/.xlsm）或本工具导出的 JSON")
    p.add_argument("-o", "--out", required=True, metavar="报告.docx|报告.html", help="输出文件：报告.docx 或 报告.html")
    p.add_argument("--force", action="store_true", help="有“错误”也生成（文中注明未通过校验，不得发布）")
    p.add_argument("--draft", action="store_true", help="文字部分未填写时用醒目的占位文字代替（草稿）")
    p.add_argument("--last-year", metavar="上年.json", help="上年报告的 JSON，用于历年核对（代替“上年数据”表）")
    p.add_argument("--profile", metavar="配置.toml", help="规则配置文件：关闭规则或改变级别")


def run(args) -> int:
    refuse_stdout(args.out, "报告是文件", ".docx 或 .html 文件名")
    kind = api.output_kind(args.out)
    distinct_output(args.out, args.file, args.last_year)
    checked = api.check(args.file, last_year=args.last_year, profile=args.profile)
    try:
        rendered = api.render(checked, kind, draft=args.draft, force=args.force)
    except api.Refused as refused:
        print(refused.report.render_text(), file=sys.stderr)
        print(
            f"\n存在 {len(refused.report.errors)} 个错误，未生成报告。请改正后再生成（或加 --force 生成，文中注明未通过校验）。",
            file=sys.stderr,
        )
        return EXIT_FINDINGS
    except api.MissingNarrative as exc:
        print(exc.message(), file=sys.stderr)
        return EXIT_FINDINGS
    atomic_write_bytes(args.out, rendered.data)
    note = "（含错误，文中已注明未通过校验）" if not checked.valid else ""
    draft = "（草稿：文字部分未填写完整）" if rendered.incomplete else ""
    undated = "（未填写发布日期，落款只写机关名称）" if rendered.undated else ""
    print(f"已生成报告{draft}：{args.out}{undated}{note}；{checked.report.summary_zh()}")
    return EXIT_OK if checked.valid else EXIT_FINDINGS


COMMANDS = {"render": (HELP, configure, run)}
