"""The ``xxgk`` program: its parser, built from the command modules, and :func:`main`.

Each subcommand's module only declares its options, calls the API and prints; the services
live under the API. Exit codes: 0 = no 错误 (提示 may remain), 1 = 错误 found or export
refused, 2 = the input cannot be used (not our template, damaged file, bad JSON, bad
arguments), 3 = internal error (a bug: please report it), 130 = interrupted, 141 = standard
output was closed early (``xxgk rules | head -1``), as for a Unix tool ended by SIGPIPE.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import NoReturn

from validator import __version__
from validator.cli import archive, collect, filing, import_, info, render, serve, zh
from validator.cli.output import error_json, message_of, printable
from validator.cli.plugins import plugins
from validator.errors import EXIT_UNUSABLE, UnusableInput

EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130
EXIT_PIPE = 141
"""128 + SIGPIPE: what a shell reports for a tool whose reader (``head``) went away."""
COMMAND_MODULES = (info, filing, collect, render, serve, archive, import_)
"""Each has ``COMMANDS``: name → (help, configure(parser), run(args) -> exit code)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse exits 2 with English text; keep 2, add Chinese
        self.print_usage(sys.stderr)
        print(f"参数错误：{message}（{self.prog} -h 查看说明和示例）", file=sys.stderr)
        raise SystemExit(EXIT_UNUSABLE)


def _parser(with_plugins: bool = True) -> argparse.ArgumentParser:
    """The parser of every subcommand; `with_plugins` adds those other packages register (the
    entry-point scan is a third of the start-up of a check, so a built-in command skips it)."""
    zh.install()
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
    commands = [(name, c) for module in COMMAND_MODULES for name, c in module.COMMANDS.items()]
    if with_plugins:
        commands += [(c.name, (c.help, c.configure, c.run)) for c in _plugin_commands()]
    for name, (help_text, configure, run) in sorted(commands, key=lambda nc: _ORDER.get(nc[0], len(_ORDER))):
        command = sub.add_parser(name, help=help_text)
        configure(command)
        command.set_defaults(run=run)
    zh.add_examples(p, sub)
    return p


_ORDER = {
    name: n
    for n, name in enumerate(
        (
            "template",
            "check",
            "export",
            "fill",
            "new",
            "schema",
            "collect",
            "render",
            "serve",
            "codes",
            "archive",
            "import",
            "rules",
        )
    )
}
"""The order ``xxgk -h`` lists the subcommands in (plug-in commands last)."""


def _plugin_commands() -> list:
    return plugins("xxgk.commands")


def _run(args, run) -> int:
    try:
        return run(args)
    except UnusableInput as exc:
        error_json(args, exc.code, message_of(exc), exc.where)
        print(printable(f"无法处理：{exc}", lines=True), file=sys.stderr)
        return EXIT_UNUSABLE
    except KeyboardInterrupt:
        print("已中断", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        raise
    except Exception as exc:  # a bug: say so plainly, keep the traceback for developers
        if os.environ.get("XXGK_DEBUG"):
            raise
        error_json(args, "internal-error", f"{type(exc).__name__}: {exc}")
        print(
            printable(f"内部错误（{type(exc).__name__}: {exc}）。这是本工具的缺陷，请连同输入文件报告；", lines=True)
            + "设置环境变量 XXGK_DEBUG=1 可显示详细信息。",
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
    argv = sys.argv[1:] if argv is None else argv
    builtin = bool(argv) and any(argv[0] in module.COMMANDS for module in COMMAND_MODULES)
    args = _parser(with_plugins=not builtin).parse_args(argv)
    try:
        code = _run(args, args.run)
        sys.stdout.flush()
    except BrokenPipeError:
        return _stdout_closed()
    return code
