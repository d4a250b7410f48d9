"""``xxgk check``, ``export``, ``fill`` and ``new``: the filer's commands (options and printing)."""

from __future__ import annotations

import argparse
import sys

from validator import api
from validator.cli.output import error_dict, is_stdout, print_json, write_output
from validator.errors import EXIT_FINDINGS, EXIT_OK, EXIT_UNUSABLE, UnusableInput
from validator.fileio import STDOUT, distinct_output, refuse_stdout
from validator.readers import refuse_unless_json

BODY_TYPES = ("政府", "部门", "乡镇")


def _common(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--last-year", metavar="上年.json", help="上年报告的 JSON，用于历年核对（代替“上年数据”表）")
    sp.add_argument("--profile", metavar="配置.toml", help="规则配置文件：关闭规则或改变级别")


def configure_check(c: argparse.ArgumentParser) -> None:
    c.add_argument("file", metavar="文件", help="填好的工作簿（.xlsx/.xlsm）或导出的 JSON")
    c.add_argument("--json", action="store_true", help="以 JSON 输出校验报告")
    c.add_argument("--annotate", metavar="标注.xlsx", help="另存一份标出问题单元格、填好“校验结果”表的工作簿")
    c.add_argument(
        "--published", action="store_true", help="审计：文件是已发布的报告（网页、文本等），在内存中导入后校验"
    )
    c.add_argument("--type", choices=BODY_TYPES, help="与 --published 同用：主体类型（已发布报告中没有）")
    _common(c)


def configure_export(e: argparse.ArgumentParser) -> None:
    e.add_argument("file", metavar="文件", help="填好的工作簿（.xlsx/.xlsm）或 JSON")
    e.add_argument(
        "-o", "--out", required=True, metavar="输出.json", help="输出 JSON 文件（- 表示输出到屏幕／标准输出）"
    )
    e.add_argument("--force", action="store_true", help="有“错误”也导出，JSON 中标记为未通过校验")
    _common(e)


def configure_fill(f: argparse.ArgumentParser) -> None:
    f.add_argument("json_file", metavar="JSON", help="xxgk export 导出的报告 JSON")
    f.add_argument("-o", "--out", required=True, metavar="输出.xlsx", help="输出 .xlsx 文件")


def configure_new(n: argparse.ArgumentParser) -> None:
    n.add_argument(
        "--from",
        dest="last_year",
        required=True,
        metavar="上年.json",
        help="上年报告的 JSON（xxgk export 导出），或上年已发布的报告（网页、文本等）",
    )
    n.add_argument("-o", "--out", required=True, metavar="输出.xlsx", help="输出 .xlsx 文件")
    n.add_argument("--type", choices=BODY_TYPES, help="主体类型（上年已发布的报告中没有时指定）")


def _checked(args) -> api.Checked:
    return api.check(
        args.file,
        last_year=args.last_year,
        profile=args.profile,
        published=getattr(args, "published", False),
        body_type=getattr(args, "type", None),
    )


def run_check(args) -> int:
    if args.type and not args.published:
        raise UnusableInput("--type 只与 --published 同用（工作簿和 JSON 的封面已有主体类型）", code="bad-argument")
    if args.annotate:
        refuse_stdout(args.annotate)
        distinct_output(args.annotate, args.file)
    checked = _checked(args)
    if not args.json:
        print(checked.report.render_text())
    if not args.annotate:
        if args.json:
            print_json(checked.report.as_dict())
        return checked.exit_code
    sys.stdout.flush()  # the findings stay on screen even when the copy cannot be written
    try:
        notes = api.annotate(args.file, checked, args.annotate)
    except UnusableInput as exc:
        if not args.json:
            raise
        # one JSON document on stdout: the findings, and why the annotated copy is missing
        print_json({**checked.report.as_dict(), "error": error_dict(exc)})
        print(f"无法处理：{exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    for note in notes:
        print(f"注意：{note}", file=sys.stderr)
    if args.json:
        print_json(checked.report.as_dict())
    else:
        print(f"已另存标注后的工作簿：{args.annotate}")
    return checked.exit_code


def run_export(args) -> int:
    distinct_output(args.out, args.file, args.last_year)
    checked = _checked(args)
    try:
        data = api.export(checked, force=args.force)
    except api.Refused as refused:
        print(refused.report.render_text(), file=sys.stderr)
        print(
            f"\n存在 {len(refused.report.errors)} 个错误，未导出。请改正后再导出（或加 --force 强制导出，JSON 将标记为未通过校验）。",
            file=sys.stderr,
        )
        return EXIT_FINDINGS
    to_stdout = is_stdout(args.out)
    write_output(args.out, data)
    note = "（含错误，已标记为未通过校验）" if not checked.valid else ""
    where = "标准输出" if args.out == STDOUT else args.out
    print(f"已导出：{where}{note}；{checked.report.summary_zh()}", file=sys.stderr if to_stdout else sys.stdout)
    return EXIT_OK if checked.valid else EXIT_FINDINGS


def run_fill(args) -> int:
    refuse_stdout(args.out)
    distinct_output(args.out, args.json_file)
    refuse_unless_json(args.json_file, "xxgk fill")
    report = api.fill(api.load_json(args.json_file), args.out)
    assert report is not None
    print(f"已生成工作簿：{args.out}；{report.summary_zh()}")
    return EXIT_OK


def run_new(args) -> int:
    refuse_stdout(args.out)
    distinct_output(args.out, args.last_year)
    submission, found = api.new_year(args.last_year, body_type=args.type)
    for f in found:
        print(f"提示：上年报告{f.message.removeprefix('未导入：')}")
    api.fill(submission, args.out, check=False)
    year = submission.values.get("year")
    if year is None:
        print(f"已生成工作簿：{args.out}（已带入上年结转和上年数据）；上年 JSON 没有报告年度，请在封面填写本年度")
    else:
        print(f"已生成 {year} 年度工作簿：{args.out}（已带入上年结转和上年数据）")
    return EXIT_OK


COMMANDS = {
    "check": ("校验填好的工作簿（.xlsx）或 JSON", configure_check, run_check),
    "export": ("导出规范化 JSON（有“错误”时拒绝导出）", configure_export, run_export),
    "fill": ("由 JSON 生成填好的工作簿", configure_fill, run_fill),
    "new": ("由上年 JSON 生成下一年度的工作簿（带入上年结转和历年核对数据）", configure_new, run_new),
}
