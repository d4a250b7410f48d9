"""``xxgk collect``: options and printing; the run is :func:`validator.api.collect`."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from validator import api
from validator.cli.output import printable
from validator.collect.progress import Progress

if TYPE_CHECKING:
    from validator.collect.run import CollectResult

HELP = "上级机关：汇总一个文件夹中的全部报送文件（校验、查重、名单、历年核对、汇总表）"
BODY_TYPES = ("政府", "部门", "乡镇")


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("inbox", metavar="收件文件夹", help="收件文件夹（含子文件夹）：下级报送的 JSON、.xlsx、.xlsm")
    p.add_argument("-o", "--out", required=True, metavar="汇总.xlsx", help="输出的汇总工作簿（.xlsx）")
    p.add_argument("--json", metavar="结果.json", help="另存 JSON 格式的汇总结果")
    p.add_argument("--year", type=int, metavar="年度", help="汇总年度（默认：多数报送文件的年度）")
    p.add_argument("--last-year", metavar="上年文件夹", help="上年各单位报送文件所在文件夹，用于历年核对")
    p.add_argument("--roster", metavar="名单", help="应报送单位名单（.xlsx 或 .csv）")
    p.add_argument("--db", metavar="归档.sqlite", help="SQLite 归档数据库：保存通过的报告，次年自动用于历年核对")
    p.add_argument("--profile", metavar="配置.toml", help="规则配置文件：关闭规则或改变级别（与 xxgk check 相同）")
    p.add_argument("--as", dest="as_name", metavar="机关名称", help="汇总报告的机关名称（与 --type、--aggregate 合用）")
    p.add_argument(
        "--type",
        dest="as_type",
        choices=BODY_TYPES,
        help="汇总报告的机关类型；与 --published 同用且不给 --aggregate 时，是已发布报告的主体类型",
    )
    p.add_argument("--aggregate", metavar="汇总报告.json", help="把合计写成规范化 JSON，并在旁边生成填好的工作簿")
    p.add_argument("--include-failed", action="store_true", help="汇总时也计入有“错误”的报告")
    p.add_argument("--quiet", action="store_true", help="不显示进度")
    p.add_argument(
        "--published", action="store_true", help="审计：收件箱中已发布的报告（网页、文本等）在内存中导入后校验"
    )


def request_from(args) -> api.CollectRequest:
    """The options as a request. With ``--published`` and no ``--aggregate``, ``--type`` is the
    type of the published reports (they do not state one; a roster's type still wins)."""
    body_type = args.as_type if args.published and not args.aggregate else None
    return api.CollectRequest(
        inbox=args.inbox,
        out=args.out,
        json=args.json,
        year=args.year,
        last_year=args.last_year,
        roster=args.roster,
        db=args.db,
        as_name=args.as_name,
        as_type=None if body_type else args.as_type,
        aggregate=args.aggregate,
        include_failed=args.include_failed,
        published=args.published,
        body_type=body_type,
        profile=api.rule_profile(args.profile, api.format_of()),
    )


def run(args) -> int:
    bar = Progress.for_stderr(enabled=not args.quiet)
    try:
        collected = api.collect(request_from(args), progress=bar.update)
    finally:
        bar.done()
    result = collected.result
    for line in collected.lines:
        print(printable(line))
    print(printable(api.summary_line(result)))
    print(printable(f"已生成汇总工作簿：{args.out}"))
    _print_problems(result)
    return result.exit_code


def _print_problems(result: CollectResult) -> None:
    """Names and reasons come from files others chose: every one is escaped before printing."""
    for item in result.unreadable:
        print(printable(f"  无法读取：{item.error}"), file=sys.stderr)


COMMANDS = {"collect": (HELP, configure, run)}
