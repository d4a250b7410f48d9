"""``xxgk collect``: the options, and the run that ties reading, checking and writing together."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "上级机关：汇总一个文件夹中的全部报送文件（校验、查重、名单、历年核对、汇总表）"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("inbox", metavar="INBOX", help="收件文件夹（含子文件夹）：下级报送的 JSON、.xlsx、.xlsm")
    p.add_argument("-o", "--out", required=True, help="输出的汇总工作簿（.xlsx）")
    p.add_argument("--json", metavar="FILE", help="另存 JSON 格式的汇总结果")
    p.add_argument("--year", type=int, help="汇总年度（默认：多数报送文件的年度）")
    p.add_argument("--last-year", metavar="DIR", help="上年各单位报送文件所在文件夹，用于历年核对")
    p.add_argument("--roster", metavar="FILE", help="应报送单位名单（.xlsx 或 .csv）")
    p.add_argument("--db", metavar="FILE", help="SQLite 归档数据库：保存通过的报告，次年自动用于历年核对")
    p.add_argument("--as", dest="as_name", metavar="NAME", help="汇总报告的机关名称（与 --type、--aggregate 合用）")
    p.add_argument("--type", dest="as_type", choices=("政府", "部门", "乡镇"), help="汇总报告的机关类型")
    p.add_argument("--aggregate", metavar="OUT.json", help="把合计写成规范化 JSON，并在旁边生成填好的工作簿")
    p.add_argument("--include-failed", action="store_true", help="汇总时也计入有“错误”的报告")
    p.add_argument("--quiet", action="store_true", help="不显示进度")
    p.add_argument(
        "--published", action="store_true", help="审计：收件箱中已发布的报告（网页、文本等）在内存中导入后校验"
    )


def _check_args(args) -> None:
    from validator.errors import UnusableInput

    trio = (args.as_name, args.as_type, args.aggregate)
    if any(trio) and not all(trio):
        raise UnusableInput("--as、--type 与 --aggregate 需同时给出（汇总报告的机关名称、类型和输出文件）")
    if args.as_name is not None and not args.as_name.strip():
        raise UnusableInput("--as 的机关名称不能为空")
    inbox = Path(args.inbox)
    if not inbox.is_dir():
        raise UnusableInput("收件文件夹不存在或不是文件夹", where=args.inbox)
    if args.last_year and not Path(args.last_year).is_dir():
        raise UnusableInput("上年文件夹不存在或不是文件夹", where=args.last_year)
    outputs = [o for o in (args.out, args.json, args.aggregate) if o]
    if args.aggregate:
        from validator.collect.aggregate import workbook_path

        outputs.append(str(workbook_path(args.aggregate)))
    resolved = [Path(o).resolve() for o in outputs]
    if len(set(resolved)) != len(resolved):
        raise UnusableInput("输出文件不能重名（-o、--json、--aggregate 及其旁边的 .xlsx）")
    for o in outputs:
        if not Path(o).resolve().parent.is_dir():
            raise UnusableInput("输出文件所在的文件夹不存在", where=o)


def _exclude(args) -> set[Path]:
    """Our own outputs are never read back as submissions, even inside the inbox."""
    from validator.collect.aggregate import workbook_path

    names = [args.out, args.json, args.aggregate, args.db]
    if args.aggregate:
        names.append(str(workbook_path(args.aggregate)))
    if args.db:
        names += [args.db + "-wal", args.db + "-shm", args.db + "-journal"]
    return {Path(n).resolve() for n in names if n}


def run(args) -> int:
    result, lines = execute(args)
    for line in lines:
        print(line)
    print(summary_line(result))
    print(f"已生成汇总工作簿：{args.out}")
    for item in result.unreadable:
        print(f"  无法读取：{item.error}", file=sys.stderr)
    return result.exit_code


def execute(args, progress: bool = True):
    """The whole run without printing (the Excel button shows the same lines in its sheet):
    check the options, read and judge the inbox, write every output, archive. Returns the
    :class:`~validator.collect.run.CollectResult` and the lines to tell the user."""
    from validator.collect.progress import Progress
    from validator.collect.run import Options, collect

    _check_args(args)
    archive = None
    if args.db:
        from validator.collect.archive import Archive

        archive = Archive.open(args.db)  # a corrupt database stops here, untouched
    roster = None
    if args.roster:
        from validator.collect.roster import load_roster

        roster = load_roster(args.roster)
    bar = Progress.for_stderr(enabled=progress and not args.quiet)
    options = Options(
        year=args.year,
        include_failed=args.include_failed,
        roster=roster,
        last_year_dir=Path(args.last_year) if args.last_year else None,
        last_year_lookup=archive.last_year_lookup if archive and not args.last_year else None,
        exclude=_exclude(args),
        progress=bar.update,
        published=getattr(args, "published", False),
    )
    try:
        result = collect(Path(args.inbox), options)
    finally:
        bar.done()
    lines = _write_outputs(args, result)
    if archive is not None:
        added = archive.store(result)
        lines.append(f"已归档：新增 {added} 份报告（{args.db}）")
    return result, lines


def _write_outputs(args, result) -> list[str]:
    from validator.collect.result import dumps_result, result_dict
    from validator.collect.workbook import write_collect_workbook
    from validator.fileio import atomic_write_bytes

    lines = []
    if args.aggregate:
        from validator.collect.aggregate import aggregate_report, aggregate_submission, write_aggregate
        from validator.collect.run import TOTAL

        total = result.totals[TOTAL]
        sub = aggregate_submission(
            total.figures, args.as_name.strip(), args.as_type, result.year, last_year=total.last_year
        )
        report = aggregate_report(sub)
        xlsx = write_aggregate(sub, report, args.aggregate)
        lines.append(f"已生成汇总报告：{args.aggregate}、{xlsx}（{report.summary_zh()}）")
        if total.last_year is None and total.bodies and not (args.last_year or args.db):
            lines.append("汇总报告的上年数据未填：没有给出上年报告（--last-year 或 --db）")
        elif total.last_year is None and total.bodies:
            missing = total.last_year_missing
            lines.append(
                f"汇总报告的上年数据未填：{len(missing)} 个计入汇总的单位没有可用的上年报告"
                f"（{'、'.join(missing[:5])}{'等' if len(missing) > 5 else ''}），上年合计不完整"
            )
    write_collect_workbook(result, args.out)
    if args.json:
        atomic_write_bytes(args.json, dumps_result(result_dict(result)).encode("utf-8"))
    return lines


def summary_line(result) -> str:
    counts = result.status_counts()
    parts = "，".join(f"{k} {v}" for k, v in counts.items() if v)
    year = f"{result.year} 年度，" if result.year else ""
    return f"{year}共 {len(result.items)} 个文件、{len(result.bodies)} 个单位：{parts or '没有报送文件'}"


def parse_args(argv: list[str]) -> argparse.Namespace:
    """``xxgk collect``'s options from a list (the Excel button builds its run this way)."""
    from validator.errors import UnusableInput

    parser = argparse.ArgumentParser(prog="xxgk collect", add_help=False)
    configure(parser)
    try:
        return parser.parse_args(argv)
    except SystemExit:
        raise UnusableInput("汇总参数有误：" + " ".join(argv)) from None
