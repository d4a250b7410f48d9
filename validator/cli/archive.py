"""``xxgk archive``: the archive's own commands (verify the audit log, back up while the board
runs, the season's 汇总 and 催报 list from it) and ``xxgk codes`` (the 报送码 list); each calls
:mod:`validator.api` and prints."""

from __future__ import annotations

import argparse
import sys

from validator import api
from validator.cli.output import write_output
from validator.errors import UnusableInput
from validator.fileio import distinct_output

HELP = "归档数据库：核验审计记录（verify）、备份（backup）、由已通过的版本汇总（summary）、催报名单（reminders）"
CODES_HELP = "收报：为名单中的单位发放报送码，写成可打印的报送码表（.xlsx，A4）"
BODY_TYPES = ("政府", "部门", "乡镇")


def configure(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(
        dest="action", required=True, metavar="操作", title="操作", help="（各操作的说明和示例：xxgk archive 操作 -h）"
    )
    verify = sub.add_parser("verify", help="核验审计记录：证明记录与各版报告没有被改动或删除")
    verify.add_argument("db", metavar="年报.sqlite", help="归档数据库")
    backup = sub.add_parser("backup", help="备份归档（收报服务运行时也可以；得到一致的完整副本）")
    backup.add_argument("db", metavar="年报.sqlite", help="归档数据库（服务运行时也可以）")
    backup.add_argument("-o", "--out", required=True, metavar="备份.sqlite", help="备份文件")
    summary = sub.add_parser("summary", help="由各单位已通过的版本生成汇总工作簿（与 collect 相同的表）")
    summary.add_argument("db", metavar="年报.sqlite", help="归档数据库")
    summary.add_argument("-o", "--out", required=True, metavar="汇总.xlsx", help="汇总工作簿")
    summary.add_argument("--year", type=int, metavar="年度", help="年度（默认：收报年度）")
    summary.add_argument(
        "--include-pending", action="store_true", help="也计入待审核且没有错误的版本（在“报送情况”中注明）"
    )
    summary.add_argument("--json", metavar="结果.json", help="另存 JSON 格式的汇总结果")
    summary.add_argument(
        "--as", dest="as_name", metavar="机关名称", help="汇总报告的机关名称（与 --type、--aggregate 合用）"
    )
    summary.add_argument("--type", dest="as_type", choices=BODY_TYPES, help="汇总报告的机关类型")
    summary.add_argument("--aggregate", metavar="汇总报告.json", help="把合计写成规范化 JSON，并在旁边生成填好的工作簿")
    reminders = sub.add_parser("reminders", help="催报名单：未报送、已退回未重新报送的单位（.xlsx）")
    reminders.add_argument("db", metavar="年报.sqlite", help="归档数据库")
    reminders.add_argument("-o", "--out", required=True, metavar="催报名单.xlsx", help="催报名单（.xlsx，A4 横向）")
    reminders.add_argument("--year", type=int, metavar="年度", help="年度（默认：收报年度）")
    for parser, examples in (
        (verify, ("xxgk archive verify 年报.sqlite",)),
        (backup, ("xxgk archive backup 年报.sqlite -o 备份/年报-0120.sqlite",)),
        (
            summary,
            (
                "xxgk archive summary 年报.sqlite -o 汇总.xlsx",
                "xxgk archive summary 年报.sqlite -o 汇总.xlsx --as XX县人民政府 --type 政府 --aggregate 本级.json",
            ),
        ),
        (reminders, ("xxgk archive reminders 年报.sqlite -o 催报名单.xlsx",)),
    ):
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
        parser.epilog = "示例：\n" + "\n".join(f"  {e}" for e in examples)


def run(args) -> int:
    action = {"verify": _verify, "backup": _backup, "summary": _summary, "reminders": _reminders}[args.action]
    return _refusals_as_exit_2(action, args)


def _refusals_as_exit_2(action, args) -> int:
    """The season's refusals (no such body…) end the command like unusable input (exit 2)."""
    try:
        return action(args)
    except api.SeasonError as exc:
        raise UnusableInput(exc.message, code="bad-argument") from None


def _verify(args) -> int:
    result = api.verify_archive(args.db)
    if result.ok:
        print(
            f"归档完好：审计记录 {result.events} 条逐条相接、未被改动，{result.versions} 份报告与记录一致；"
            f"末条校验值 {result.head[:16]}"
        )
        return 0
    print("归档或审计记录被改动：", file=sys.stderr)
    for problem in result.problems:
        print(f"  {problem}", file=sys.stderr)
    return 1


def _backup(args) -> int:
    api.backup_archive(args.db, args.out)
    print(f"已备份：{args.out}")
    return 0


def _season(args):
    inputs = (args.db, f"{args.db}-wal", f"{args.db}-shm")
    for out in (args.out, getattr(args, "json", None), getattr(args, "aggregate", None)):
        if out:
            distinct_output(out, *inputs)
    return api.open_season(args.db, year=args.year, remember=False)


def _summary(args) -> int:
    trio = (args.as_name, args.as_type, args.aggregate)
    if any(trio) and not all(trio):
        raise UnusableInput(
            "--as、--type 与 --aggregate 需同时给出（汇总报告的机关名称、类型和输出文件）", code="bad-argument"
        )
    season = _season(args)
    lines = season.write_summary(
        args.out,
        include_pending=args.include_pending,
        json=args.json,
        aggregate=args.aggregate,
        as_name=args.as_name,
        as_type=args.as_type,
    )
    for line in lines:
        print(line)
    print(f"已生成汇总工作簿：{args.out}")
    return 0


def _reminders(args) -> int:
    season = _season(args)
    lines = season.reminders()
    write_output(args.out, season.reminders_workbook())
    print(f"催报名单：{len(lines)} 个单位，已写入 {args.out}")
    return 0


def configure_codes(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", required=True, metavar="年报.sqlite", help="归档数据库（与 xxgk serve --db 相同）")
    p.add_argument("--roster", metavar="名单", help="应报送单位名单（.csv/.xlsx）；不给则用归档中已有的名单")
    p.add_argument("-o", "--out", required=True, metavar="报送码.xlsx", help="报送码表（单位、报送码、报送网址；A4）")
    p.add_argument("--url", metavar="网址", help="报送网址（默认：xxgk serve 上次显示的报送页面地址）")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--all", action="store_true", help="为全部单位重新发放（原码全部作废）")
    which.add_argument(
        "--body", action="append", metavar="机关名称", help="只为这个单位重新发放（原码作废；可多次给出）"
    )


def run_codes(args) -> int:
    return _refusals_as_exit_2(_codes, args)


def _codes(args) -> int:
    distinct_output(args.out, args.db, args.roster)
    season = api.open_season(args.db, roster=args.roster)
    which: str | list[int] = "all" if args.all else "missing"
    if args.body:
        which = season.body_ids(args.body)
    issued = season.issue_codes(which, args.url or "")
    if not issued.lines:
        raise UnusableInput("名单中的单位都已有报送码；重新发放请用 --all 或 --body 机关名称", code="bad-argument")
    write_output(args.out, issued.workbook)
    print(f"已发放 {len(issued.lines)} 个报送码：{args.out}（请妥善保管；归档中只保存其校验值，无法再次查看）")
    return 0


COMMANDS = {"archive": (HELP, configure, run), "codes": (CODES_HELP, configure_codes, run_codes)}
