"""The ``xxgk`` command line (also ``python -m validator``).

Exit codes: 0 = no 错误 (提示 may remain), 1 = 错误 found or export refused,
2 = the input cannot be used (not our template, damaged file, bad JSON, bad arguments),
3 = internal error (a bug: please report it), 141 = standard output was closed early
(``xxgk rules | head -1``), as for a Unix tool ended by SIGPIPE.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import NoReturn

from validator import __version__
from validator.errors import EXIT_FINDINGS, EXIT_OK, EXIT_UNUSABLE, UnusableInput

EXIT_INTERNAL = 3
EXIT_PIPE = 141
"""128 + SIGPIPE: what a shell reports for a tool whose reader (``head``) went away."""
STDOUT = "-"
TEMPLATE_DIR = "xlsx_templates"


def template_name(format_id: str) -> str:
    return f"xxgk-template-{format_id}.xlsx"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse exits 2 with English text; keep 2, add Chinese
        self.print_usage(sys.stderr)
        print(f"参数错误：{message}（{self.prog} -h 查看说明和示例）", file=sys.stderr)
        raise SystemExit(EXIT_UNUSABLE)


def _parser() -> argparse.ArgumentParser:
    from validator import cli_zh

    cli_zh.install()
    p = _Parser(
        prog="xxgk", description="政府信息公开工作年度报告：模板、校验、JSON 导出（国办公开办函〔2021〕30号格式）"
    )
    p.add_argument("--version", action="version", version=f"xxgk-report {__version__}", help="显示版本号并退出")
    sub = p.add_subparsers(
        dest="command",
        required=True,
        parser_class=_Parser,
        title="子命令",
        metavar="子命令",
        help="（各子命令的说明和示例：xxgk 子命令 -h）",
    )

    t = sub.add_parser("template", help="生成空白填报模板（.xlsx）")
    t.add_argument("-o", "--out-dir", default=TEMPLATE_DIR, metavar="目录", help=f"输出目录（默认 {TEMPLATE_DIR}/）")
    t.add_argument("--format", metavar="格式编号", help="只生成这一格式的模板（默认：全部提供模板的格式）")

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--last-year", metavar="上年.json", help="上年报告的 JSON，用于历年核对（代替“上年数据”表）")
        sp.add_argument("--profile", metavar="配置.toml", help="规则配置文件：关闭规则或改变级别")

    c = sub.add_parser("check", help="校验填好的工作簿（.xlsx）或 JSON")
    c.add_argument("file", metavar="文件", help="填好的工作簿（.xlsx/.xlsm）或导出的 JSON")
    c.add_argument("--json", action="store_true", help="以 JSON 输出校验报告")
    c.add_argument("--annotate", metavar="标注.xlsx", help="另存一份标出问题单元格、填好“校验结果”表的工作簿")
    c.add_argument(
        "--published", action="store_true", help="审计：文件是已发布的报告（网页、文本等），在内存中导入后校验"
    )
    c.add_argument("--type", choices=("政府", "部门", "乡镇"), help="与 --published 同用：主体类型（已发布报告中没有）")
    common(c)

    e = sub.add_parser("export", help="导出规范化 JSON（有“错误”时拒绝导出）")
    e.add_argument("file", metavar="文件", help="填好的工作簿（.xlsx/.xlsm）或 JSON")
    e.add_argument(
        "-o", "--out", required=True, metavar="输出.json", help="输出 JSON 文件（- 表示输出到屏幕／标准输出）"
    )
    e.add_argument("--force", action="store_true", help="有“错误”也导出，JSON 中标记为未通过校验")
    common(e)

    f = sub.add_parser("fill", help="由 JSON 生成填好的工作簿")
    f.add_argument("json_file", metavar="JSON", help="xxgk export 导出的报告 JSON")
    f.add_argument("-o", "--out", required=True, metavar="输出.xlsx", help="输出 .xlsx 文件")

    n = sub.add_parser("new", help="由上年 JSON 生成下一年度的工作簿（带入上年结转和历年核对数据）")
    n.add_argument(
        "--from",
        dest="last_year",
        required=True,
        metavar="上年.json",
        help="上年报告的 JSON（xxgk export 导出），或上年已发布的报告（网页、文本等）",
    )
    n.add_argument("-o", "--out", required=True, metavar="输出.xlsx", help="输出 .xlsx 文件")
    n.add_argument("--type", choices=("政府", "部门", "乡镇"), help="主体类型（上年已发布的报告中没有时指定）")

    s = sub.add_parser("schema", help="输出规范化 JSON 的 JSON Schema")
    s.add_argument("-o", "--out", metavar="文件", help="写入文件（默认或 - 输出到屏幕）")
    s.add_argument("--format", metavar="格式编号", help="格式编号（默认 gb-2021-30）")

    from validator.collect import cli as collect_cli  # options only; the run imports lazily

    collect_cli.configure(sub.add_parser("collect", help=collect_cli.HELP))
    from validator.render import cli as render_cli  # options only; python-docx/Jinja2 load on use

    render_cli.configure(sub.add_parser("render", help=render_cli.HELP))
    from validator.serve import cli as serve_cli  # options only; Starlette/uvicorn load on use

    serve_cli.configure(sub.add_parser("serve", help=serve_cli.HELP))
    from validator.importer import cli as import_cli  # options only; the reader loads on use

    import_cli.configure(sub.add_parser("import", help=import_cli.HELP))

    for command in _plugin_commands():
        command.configure(sub.add_parser(command.name, help=command.help))

    r = sub.add_parser("rules", help="列出全部校验规则")
    r.add_argument("--markdown", action="store_true", help="输出 Markdown 表格（README 用）")
    r.add_argument("--keys", action="store_true", help="输出 JSON 键与单元格对照表（Markdown 表格）")
    r.add_argument("--format", metavar="格式编号", help="格式编号（默认 gb-2021-30）")
    r.add_argument("--profile", metavar="配置.toml", help="按规则配置文件列出（关闭的规则不列出，级别按配置）")
    cli_zh.add_examples(p, sub)
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
    reader (which tells .xls, encrypted and .ods files apart), a ``{`` to the JSON reader.
    A regular JSON file within the size limit is read whole here, once (the receiving office
    reads thousands); anything else goes to ``load_json``, which says what is wrong."""
    from validator.fileio import sniff
    from validator.jsonio import load_json, read_json_bytes
    from validator.workbook.read import read_workbook

    p = Path(path)
    is_json = p.suffix.lower() == ".json"
    try:
        if not p.is_file():  # missing, a folder, a FIFO (never opened: it would block)
            return load_json(p) if is_json else read_workbook(p)
        with p.open("rb") as fh:
            head = fh.read(8)
            kind = sniff(head, is_json)
            data = _rest(fh, head) if kind == "json" else None
    except OSError as exc:
        raise UnusableInput(f"无法读取文件：{exc.strerror or exc}", where=path, code="not-found") from None
    if kind == "workbook":
        return read_workbook(p)
    if kind == "json":
        if data is not None:
            return read_json_bytes(data, p.name)
        return load_json(p)  # too large or unreadable: it says so
    if p.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        return read_workbook(p)
    raise UnusableInput("不支持的文件类型：请提供 .xlsx 工作簿或 .json 文件", where=p.name, code="not-xlsx")


def _rest(fh, head: bytes) -> bytes | None:
    """The whole file after its first bytes, or None when it is over the JSON size limit or
    cannot be read."""
    import os

    from validator.fileio import read_up_to
    from validator.jsonio import MAX_JSON_BYTES

    try:
        return read_up_to(fh, os.fstat(fh.fileno()).st_size, MAX_JSON_BYTES, head)
    except OSError:
        return None


def _format(args):
    """The format ``--format ID`` names (default: the default format); exit 2 for an unknown id."""
    from validator.formats import DEFAULT_FORMAT, get_format, known_formats

    fmt_id = getattr(args, "format", None) or DEFAULT_FORMAT
    try:
        return get_format(fmt_id)
    except KeyError:
        raise UnusableInput(
            f"没有编号为“{fmt_id}”的格式；本工具认识 {'、'.join(known_formats())}", code="bad-argument"
        ) from None


def _profile(args, fmt=None):
    """``--profile`` checked against the report's format (or ``--format`` where there is no report)."""
    from validator.profile import Profile, ProfileError, load_profile

    if not getattr(args, "profile", None):
        return Profile()
    try:
        return load_profile(args.profile, fmt or _format(args))
    except ProfileError as exc:
        raise UnusableInput(str(exc), code="bad-profile") from None


def _distinct(out: str, *inputs: str | None) -> None:
    if out == STDOUT:
        return
    for src in inputs:
        if src and Path(out).resolve() == Path(src).resolve():
            raise UnusableInput(
                "输出文件不能与输入文件相同（本工具不修改您的原始文件）", where=out, code="bad-argument"
            )


def _no_stdout(out: str) -> None:
    if out == STDOUT:
        raise UnusableInput("工作簿是二进制文件，不能输出到标准输出（-）；请给出 .xlsx 文件名", code="bad-argument")


def _json_only(path: str, command: str) -> None:
    """A workbook given where a JSON is needed: say so, rather than “不是 UTF-8”."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError:
        return  # the JSON reader says why it cannot be read
    if head.startswith(b"PK") or head == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise UnusableInput(
            f"这是 Excel 工作簿，{command} 需要 JSON 文件；请先用 xxgk export 工作簿 -o 报告.json 导出 JSON", where=path
        )


def _write_output(out: str, data: bytes) -> None:
    """`data` into the file `out` (atomically), or onto standard output for ``-o -``."""
    from validator.fileio import atomic_write_bytes

    if out != STDOUT:
        atomic_write_bytes(out, data)
        return
    sys.stdout.flush()
    binary = getattr(sys.stdout, "buffer", None)
    if binary is None:  # a text stream (tests capture output this way)
        sys.stdout.write(data.decode("utf-8"))
    else:
        binary.write(data)
    sys.stdout.flush()


def _is_stdout(out: str) -> bool:
    """``-`` or a name for the file standard output already goes to (/dev/stdout, /dev/fd/1):
    the status line then goes to stderr, so the JSON stream stays clean."""
    if out == STDOUT:
        return True
    try:
        return os.path.samestat(os.stat(out), os.fstat(sys.stdout.fileno()))
    except (OSError, ValueError, AttributeError):
        return False


def _last_year_of(args):
    """``--last-year``: a JSON or workbook; with ``check --published`` also last year's
    published report (the carry-over rules then compare two published years)."""
    if getattr(args, "published", False):
        from validator.importer.cli import is_document, published

        if is_document(args.last_year):
            return published(args.last_year, body_type=args.type)[0]
    return load_any(args.last_year)


def _validated(args):
    from validator.engine import validate

    if getattr(args, "published", False):
        from validator.importer.cli import published

        submission, found = published(args.file, body_type=args.type)
    else:
        submission, found = load_any(args.file), []
    last = _last_year_of(args) if args.last_year else None
    report = validate(submission, _profile(args, submission.format), last)
    report.findings.extend(found)
    return submission, report


def cmd_template(args) -> int:
    from validator.fileio import atomic_write_bytes, make_dir
    from validator.formats import get_format, template_formats
    from validator.workbook.build import template_bytes

    if args.format:
        fmt = _format(args)
        if not fmt.template:
            raise UnusableInput(f"格式“{fmt.id}”只用于读取和校验已有报告，不提供模板", code="bad-argument")
    out_dir = Path(args.out_dir)
    make_dir(out_dir)
    for fmt_id in [args.format] if args.format else template_formats():
        target = out_dir / template_name(fmt_id)
        atomic_write_bytes(target, template_bytes(get_format(fmt_id)))
        print(f"已生成模板：{target}")
        for write in _plugins("xxgk.templates"):
            print(f"已生成模板：{write(get_format(fmt_id), out_dir)}")
    return EXIT_OK


def cmd_check(args) -> int:
    if args.type and not args.published:
        raise UnusableInput("--type 只与 --published 同用（工作簿和 JSON 的封面已有主体类型）", code="bad-argument")
    if args.annotate:
        _no_stdout(args.annotate)
    submission, report = _validated(args)
    if args.annotate:
        _distinct(args.annotate, args.file)
        if submission.origin != "workbook":
            raise UnusableInput(
                "--annotate 只用于工作簿；JSON 请用 xxgk fill 生成工作簿", where=args.file, code="bad-argument"
            )
        from validator.workbook.write import check_annotate_target

        check_annotate_target(args.file, args.annotate)
    if not args.json:
        print(report.render_text())
    if not args.annotate:
        if args.json:
            print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        return report.exit_code
    from validator.workbook.write import annotate_workbook

    sys.stdout.flush()  # the findings stay on screen even when the copy cannot be written
    try:
        notes = annotate_workbook(args.file, submission, report, args.annotate)
    except UnusableInput as exc:
        if not args.json:
            raise
        # one JSON document on stdout: the findings, and why the annotated copy is missing
        error = {"code": _error_code(exc), "message": _message(exc), **({"where": exc.where} if exc.where else {})}
        print(json.dumps({**report.as_dict(), "error": error}, ensure_ascii=False, indent=2))
        print(f"无法处理：{exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    for note in notes:
        print(f"注意：{note}", file=sys.stderr)
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        print(f"已另存标注后的工作簿：{args.annotate}")
    return report.exit_code


def cmd_export(args) -> int:
    from validator.jsonio import dump_model, report_to_model

    _distinct(args.out, args.file, args.last_year)
    submission, report = _validated(args)
    if not report.valid and not args.force:
        print(report.render_text(), file=sys.stderr)
        print(
            f"\n存在 {len(report.errors)} 个错误，未导出。请改正后再导出（或加 --force 强制导出，JSON 将标记为未通过校验）。",
            file=sys.stderr,
        )
        return EXIT_FINDINGS
    model = report_to_model(submission, report)
    to_stdout = _is_stdout(args.out)
    _write_output(args.out, dump_model(model))
    note = "（含错误，已标记为未通过校验）" if not report.valid else ""
    where = "标准输出" if args.out == STDOUT else args.out
    print(f"已导出：{where}{note}；{report.summary_zh()}", file=sys.stderr if to_stdout else sys.stdout)
    return EXIT_OK if report.valid else EXIT_FINDINGS


def cmd_fill(args) -> int:
    from validator.engine import validate
    from validator.jsonio import load_json
    from validator.workbook.write import fill_workbook

    _no_stdout(args.out)
    _distinct(args.out, args.json_file)
    _json_only(args.json_file, "xxgk fill")
    submission = load_json(args.json_file)
    report = validate(submission)
    fill_workbook(submission, report, args.out)
    print(f"已生成工作簿：{args.out}；{report.summary_zh()}")
    return EXIT_OK


def _last_year_report(args):
    """``new --from``: last year's JSON, or last year's published report imported in memory
    (its import 提示 printed, so a carried figure read from a blank is not taken on trust)."""
    from validator.importer.cli import is_document
    from validator.jsonio import load_json

    if not is_document(args.last_year):
        if args.type:
            raise UnusableInput("--type 只用于由已发布的报告生成（JSON 中已有主体类型）", code="bad-argument")
        _json_only(args.last_year, "xxgk new --from")
        return load_json(args.last_year)
    from validator.importer.cli import published

    last, found = published(args.last_year, body_type=args.type)
    for f in found:
        print(f"提示：上年报告{f.message.removeprefix('未导入：')}")
    return last


def cmd_new(args) -> int:
    from validator.engine import with_baseline
    from validator.submission import Submission
    from validator.values import to_year
    from validator.workbook.write import fill_workbook

    _no_stdout(args.out)
    _distinct(args.out, args.last_year)
    last = _last_year_report(args)
    fmt = last.format
    year = to_year(last.values.get("year"))
    values: dict[str, object] = {
        k: last.values.get(k) for k in ("body.name", "body.type", "body.region_code", "body.credit_code")
    }
    values["year"] = year + 1 if year is not None else None
    for this_key, last_key in fmt.carry_over:
        values[this_key] = last.values.get(last_key)
    submission = with_baseline(Submission(fmt, values, Path(args.out).name), last)
    fill_workbook(submission, None, args.out)
    if values["year"] is None:
        print(f"已生成工作簿：{args.out}（已带入上年结转和上年数据）；上年 JSON 没有报告年度，请在封面填写本年度")
    else:
        print(f"已生成 {values['year']} 年度工作簿：{args.out}（已带入上年结转和上年数据）")
    return EXIT_OK


def cmd_schema(args) -> int:
    from validator.model import json_schema

    text = json.dumps(json_schema(_format(args)), ensure_ascii=False, indent=2) + "\n"
    if args.out and args.out != STDOUT:
        _write_output(args.out, text.encode("utf-8"))
        print(f"已写入：{args.out}")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_rules(args) -> int:
    from validator.cli_zh import pad
    from validator.spec import SEVERITY_ZH

    fmt = _format(args)
    if args.markdown or args.keys:
        from validator.docs import keys_markdown, rules_markdown

        print(keys_markdown(fmt) if args.keys else rules_markdown(fmt))
    else:
        profile = _profile(args, fmt)
        for r in filter(None, map(profile.apply, fmt.rules)):
            print(f"{r.id:<18} {SEVERITY_ZH[r.severity]}  {pad(r.scope, 8)}  {r.title}")
    return EXIT_OK


def cmd_collect(args) -> int:
    from validator.collect.cli import run

    return run(args)


def cmd_render(args) -> int:
    from validator.render.cli import run

    return run(args)


def cmd_serve(args) -> int:
    from validator.serve.cli import run

    return run(args)


def cmd_import(args) -> int:
    from validator.importer.cli import run

    return run(args)


COMMANDS = {
    "template": cmd_template,
    "check": cmd_check,
    "export": cmd_export,
    "fill": cmd_fill,
    "new": cmd_new,
    "schema": cmd_schema,
    "rules": cmd_rules,
    "collect": cmd_collect,
    "render": cmd_render,
    "serve": cmd_serve,
    "import": cmd_import,
}


def _command(name: str):
    if name in COMMANDS:
        return COMMANDS[name]
    return next(c.run for c in _plugin_commands() if c.name == name)


def _error_json(args, code: str, message: str, where: str | None = None) -> None:
    """``check --json`` always prints JSON: a machine reader gets the reason on stdout too."""
    if getattr(args, "json", False):
        error = {"code": code, "message": message, **({"where": where} if where else {})}
        print(json.dumps({"error": error}, ensure_ascii=False, indent=2))


def _error_code(exc: UnusableInput) -> str:
    return exc.code


def _message(exc: UnusableInput) -> str:
    text = str(exc)
    prefix = f"{exc.where}：" if exc.where else ""
    return text[len(prefix) :] if prefix and text.startswith(prefix) else text


def _run(args) -> int:
    try:
        return _command(args.command)(args)
    except UnusableInput as exc:
        _error_json(args, _error_code(exc), _message(exc), exc.where)
        print(f"无法处理：{exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    except KeyboardInterrupt:
        print("已中断", file=sys.stderr)
        return 130
    except BrokenPipeError:
        raise
    except Exception as exc:  # a bug: say so plainly, keep the traceback for developers
        if os.environ.get("XXGK_DEBUG"):
            raise
        _error_json(args, "internal-error", f"{type(exc).__name__}: {exc}")
        print(
            f"内部错误（{type(exc).__name__}: {exc}）。这是本工具的缺陷，请连同输入文件报告；"
            "设置环境变量 XXGK_DEBUG=1 可显示详细信息。",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def _stdout_closed() -> int:
    """The reader of our output went away (``| head``): stop quietly like a Unix tool, and
    point stdout at /dev/null so the interpreter's final flush does not complain either."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # not a real file descriptor (tests)
        pass
    return EXIT_PIPE


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="replace")  # type: ignore[union-attr]
        except AttributeError:
            pass
    args = _parser().parse_args(argv)
    try:
        code = _run(args)
        sys.stdout.flush()
    except BrokenPipeError:
        return _stdout_closed()
    return code
