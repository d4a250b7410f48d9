"""The ``xxgk`` command line (also ``python -m validator``).

Exit codes: 0 = no 错误 (提示 may remain), 1 = 错误 found or export refused,
2 = the input cannot be used (not our template, damaged file, bad JSON, bad arguments),
3 = internal error (a bug: please report it).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from validator import __version__
from validator.errors import EXIT_FINDINGS, EXIT_OK, EXIT_UNUSABLE, UnusableInput

EXIT_INTERNAL = 3
TEMPLATE_DIR = "xlsx_templates"


def template_name(format_id: str) -> str:
    return f"xxgk-template-{format_id}.xlsx"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 with English text; keep 2, add Chinese
        self.print_usage(sys.stderr)
        print(f"参数错误：{message}", file=sys.stderr)
        raise SystemExit(EXIT_UNUSABLE)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="xxgk", description="政府信息公开工作年度报告：模板、校验、JSON 导出（国办公开办函〔2021〕30号格式）")
    p.add_argument("--version", action="version", version=f"xxgk-report {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    t = sub.add_parser("template", help="生成空白填报模板（.xlsx）")
    t.add_argument("-o", "--out-dir", default=TEMPLATE_DIR, help=f"输出目录（默认 {TEMPLATE_DIR}/）")

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--last-year", metavar="FILE", help="上年报告的 JSON，用于历年核对（代替“上年数据”表）")
        sp.add_argument("--profile", metavar="TOML", help="规则配置文件：关闭规则或改变级别")

    c = sub.add_parser("check", help="校验填好的工作簿（.xlsx）或 JSON")
    c.add_argument("file")
    c.add_argument("--json", action="store_true", help="以 JSON 输出校验报告")
    c.add_argument("--annotate", metavar="OUT", help="另存一份标出问题单元格、填好“校验结果”表的工作簿")
    common(c)

    e = sub.add_parser("export", help="导出规范化 JSON（有“错误”时拒绝导出）")
    e.add_argument("file")
    e.add_argument("-o", "--out", required=True, help="输出 JSON 文件")
    e.add_argument("--force", action="store_true", help="有“错误”也导出，JSON 中标记为未通过校验")
    common(e)

    f = sub.add_parser("fill", help="由 JSON 生成填好的工作簿")
    f.add_argument("json_file", metavar="JSON")
    f.add_argument("-o", "--out", required=True, help="输出 .xlsx 文件")

    n = sub.add_parser("new", help="由上年 JSON 生成下一年度的工作簿（带入上年结转和历年核对数据）")
    n.add_argument("--from", dest="last_year", required=True, metavar="LAST_YEAR.json")
    n.add_argument("-o", "--out", required=True, help="输出 .xlsx 文件")

    s = sub.add_parser("schema", help="输出规范化 JSON 的 JSON Schema")
    s.add_argument("-o", "--out", help="写入文件（默认输出到屏幕）")

    for command in _plugin_commands():
        command.configure(sub.add_parser(command.name, help=command.help))

    r = sub.add_parser("rules", help="列出全部校验规则")
    r.add_argument("--markdown", action="store_true", help="输出 Markdown 表格（README 用）")
    r.add_argument("--keys", action="store_true", help="与 --markdown 合用：输出 JSON 键与单元格对照表")
    return p


def _plugins(group: str) -> list:
    """Objects other packages register under an entry-point group (the Excel add-in does)."""
    from importlib.metadata import entry_points

    return [ep.load() for ep in sorted(entry_points(group=group), key=lambda ep: ep.name)]


def _plugin_commands() -> list:
    return _plugins("xxgk.commands")


def load_any(path: str):
    """A Submission from a workbook or a JSON file, chosen by content, not by name.

    Downloads arrive as ``报告.xlsx.1``, ``报告(1).xlsx.download`` or without a suffix, and a
    workbook is sometimes saved under ``.json``: a zip or compound file goes to the workbook
    reader (which tells .xls, encrypted and .ods files apart), a ``{`` to the JSON reader."""
    from validator.jsonio import load_json
    from validator.workbook.read import read_workbook

    p = Path(path)
    is_json = p.suffix.lower() == ".json"
    try:
        if not p.is_file():  # missing, a folder, a FIFO (never opened: it would block)
            return load_json(p) if is_json else read_workbook(p)
        with p.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise UnusableInput(f"无法读取文件：{exc.strerror or exc}", where=path) from None
    if head.startswith(b"PK") or head == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return read_workbook(p)
    if is_json or head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return load_json(p)
    if p.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        return read_workbook(p)
    raise UnusableInput("不支持的文件类型：请提供 .xlsx 工作簿或 .json 文件", where=p.name)


def _profile(args):
    from validator.formats import get_format
    from validator.profile import Profile, ProfileError, load_profile

    if not getattr(args, "profile", None):
        return Profile()
    try:
        return load_profile(args.profile, {r.id for r in get_format().rules})
    except ProfileError as exc:
        raise UnusableInput(str(exc)) from None


def _distinct(out: str, *inputs: str | None) -> None:
    for src in inputs:
        if src and Path(out).resolve() == Path(src).resolve():
            raise UnusableInput("输出文件不能与输入文件相同（本工具不修改您的原始文件）", where=out)


def _validated(args):
    from validator.engine import validate

    submission = load_any(args.file)
    last = load_any(args.last_year) if args.last_year else None
    return submission, validate(submission, _profile(args), last)


def cmd_template(args) -> int:
    from validator.fileio import atomic_write_bytes, make_dir
    from validator.formats import get_format, known_formats
    from validator.workbook.build import template_bytes

    out_dir = Path(args.out_dir)
    make_dir(out_dir)
    for fmt_id in known_formats():
        target = out_dir / template_name(fmt_id)
        atomic_write_bytes(target, template_bytes(get_format(fmt_id)))
        print(f"已生成模板：{target}")
        for write in _plugins("xxgk.templates"):
            print(f"已生成模板：{write(get_format(fmt_id), out_dir)}")
    return EXIT_OK


def cmd_check(args) -> int:
    submission, report = _validated(args)
    if args.annotate:
        _distinct(args.annotate, args.file)
        if submission.origin != "workbook":
            raise UnusableInput("--annotate 只用于工作簿；JSON 请用 xxgk fill 生成工作簿", where=args.file)
        from validator.workbook.write import annotate_workbook

        annotate_workbook(args.file, submission, report, args.annotate)
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        print(report.render_text())
        if args.annotate:
            print(f"已另存标注后的工作簿：{args.annotate}")
    return report.exit_code


def cmd_export(args) -> int:
    from validator.fileio import atomic_write_bytes
    from validator.jsonio import dump_model, report_to_model

    _distinct(args.out, args.file, args.last_year)
    submission, report = _validated(args)
    if not report.valid and not args.force:
        print(report.render_text(), file=sys.stderr)
        print(f"\n存在 {len(report.errors)} 个错误，未导出。请改正后再导出（或加 --force 强制导出，JSON 将标记为未通过校验）。",
              file=sys.stderr)
        return EXIT_FINDINGS
    model = report_to_model(submission, report)
    atomic_write_bytes(args.out, dump_model(model))
    note = "（含错误，已标记为未通过校验）" if not report.valid else ""
    print(f"已导出：{args.out}{note}；{report.summary_zh()}")
    return EXIT_OK if report.valid else EXIT_FINDINGS


def cmd_fill(args) -> int:
    from validator.engine import validate
    from validator.jsonio import load_json
    from validator.workbook.write import fill_workbook

    _distinct(args.out, args.json_file)
    submission = load_json(args.json_file)
    report = validate(submission)
    fill_workbook(submission, report, args.out)
    print(f"已生成工作簿：{args.out}；{report.summary_zh()}")
    return EXIT_OK


def cmd_new(args) -> int:
    from validator.engine import with_baseline
    from validator.jsonio import load_json
    from validator.submission import Submission
    from validator.values import to_year
    from validator.workbook.write import fill_workbook

    _distinct(args.out, args.last_year)
    last = load_json(args.last_year)
    fmt = last.format
    year = to_year(last.values.get("year"))
    values: dict[str, object] = {k: last.values.get(k) for k in ("body.name", "body.type", "body.region_code")}
    values["year"] = year + 1 if year is not None else None
    for this_key, last_key in fmt.carry_over:
        values[this_key] = last.values.get(last_key)
    submission = with_baseline(Submission(fmt, values, Path(args.out).name), last)
    fill_workbook(submission, None, args.out)
    print(f"已生成 {values['year']} 年度工作簿：{args.out}（已带入上年结转和上年数据）")
    return EXIT_OK


def cmd_schema(args) -> int:
    from validator.fileio import atomic_write_bytes
    from validator.formats import get_format
    from validator.model import json_schema

    text = json.dumps(json_schema(get_format()), ensure_ascii=False, indent=2) + "\n"
    if args.out:
        atomic_write_bytes(args.out, text.encode("utf-8"))
        print(f"已写入：{args.out}")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_rules(args) -> int:
    from validator.formats import get_format
    from validator.spec import SEVERITY_ZH

    if args.markdown:
        from validator.docs import keys_markdown, rules_markdown

        print(keys_markdown() if args.keys else rules_markdown())
    else:
        for r in get_format().rules:
            print(f"{r.id:<18} {SEVERITY_ZH[r.severity]}  {r.scope:<4}  {r.title}")
    return EXIT_OK


COMMANDS = {
    "template": cmd_template, "check": cmd_check, "export": cmd_export, "fill": cmd_fill,
    "new": cmd_new, "schema": cmd_schema, "rules": cmd_rules,
}


def _command(name: str):
    if name in COMMANDS:
        return COMMANDS[name]
    return next(c.run for c in _plugin_commands() if c.name == name)


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="replace")
        except AttributeError:
            pass
    args = _parser().parse_args(argv)
    try:
        return _command(args.command)(args)
    except UnusableInput as exc:
        print(f"无法处理：{exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    except KeyboardInterrupt:
        print("已中断", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: say so plainly, keep the traceback for developers
        if os.environ.get("XXGK_DEBUG"):
            raise
        print(f"内部错误（{type(exc).__name__}: {exc}）。这是本工具的缺陷，请连同输入文件报告；"
              "设置环境变量 XXGK_DEBUG=1 可显示详细信息。", file=sys.stderr)
        return EXIT_INTERNAL
