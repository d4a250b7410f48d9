"""The command line in Chinese: argparse's own words, an example under every subcommand's
help, and columns aligned by display width.

argparse looks its texts up through ``gettext`` at call time (``argparse._``); the ``xxgk``
process has no Chinese catalogue installed, so :func:`install` points those look-ups at the
table below. Only the ``xxgk`` entry point calls it.
"""

from __future__ import annotations

import argparse
import unicodedata

ARGPARSE_ZH = {
    "usage: ": "用法：",
    "positional arguments": "位置参数",
    "options": "选项",
    "subcommands": "子命令",
    "show this help message and exit": "显示本帮助并退出",
    "show program's version number and exit": "显示版本号并退出",
    "the following arguments are required: %s": "缺少必需的参数：%s",
    "unrecognized arguments: %s": "不认识的参数：%s",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的选项 %(value)r（可选：%(choices)s）",
    "invalid %(type)s value: %(value)r": "%(value)r 不是有效的值（应为 %(type)s）",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "expected one argument": "后面需要给出一个值",
    "expected at most one argument": "后面最多给出一个值",
    "expected at least one argument": "后面至少给出一个值",
    "expected %s argument": "需要 %s 个值",
    "expected %s arguments": "需要 %s 个值",
    "ambiguous option: %(option)s could match %(matches)s": "选项 %(option)s 有歧义，可能是 %(matches)s",
    "not allowed with argument %s": "不能与参数 %s 同时使用",
    "one of the arguments %s is required": "须给出参数 %s 之一",
    "ignored explicit argument %r": "多余的值 %r",
    "unexpected option string: %s": "意外的选项：%s",
    "%(prog)s: error: %(message)s\n": "%(prog)s：错误：%(message)s\n",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "没有子命令 %(parser_name)r（可选：%(choices)s）",
    "can't open '%(filename)s': %(error)s": "无法打开“%(filename)s”：%(error)s",
}

EXAMPLES = {
    "xxgk": (
        "xxgk check 本年.xlsx",
        "xxgk export 本年.xlsx -o 本年.json",
        "xxgk 子命令 -h   （查看子命令的说明和示例）",
    ),
    "template": ("xxgk template", "xxgk template -o 模板"),
    "check": (
        "xxgk check 本年.xlsx",
        "xxgk check 本年.xlsx --annotate 标注.xlsx",
        "xxgk check 下级.json --last-year 下级上年.json --json",
        "xxgk check --published 某局2024年度报告.html --type 部门",
    ),
    "export": ("xxgk export 本年.xlsx -o 本年.json", "xxgk export 本年.xlsx -o - > 本年.json"),
    "fill": ("xxgk fill 下级.json -o 下级.xlsx",),
    "new": ("xxgk new --from 2023.json -o 2024.xlsx", "xxgk new --from 2023年度报告.html --type 政府 -o 2024.xlsx"),
    "schema": ("xxgk schema -o report.schema.json",),
    "rules": ("xxgk rules", "xxgk rules --markdown", "xxgk rules --keys"),
    "import": ("xxgk import 年度报告.txt -o 年度报告.json --type 政府 --xlsx 年度报告.xlsx",),
    "collect": (
        "xxgk collect 收件箱 -o 汇总.xlsx --roster 名单.xlsx --last-year 上年收件箱",
        "xxgk collect 已发布报告 -o 审计.xlsx --published",
    ),
    "render": (
        "xxgk render 本年.xlsx -o 年度报告.docx",
        "xxgk render 本年.json -o 年度报告.html",
        "xxgk render 本年.xlsx -o 草稿.docx --draft",
    ),
    "serve": (
        "xxgk serve",
        "xxgk serve --db 年报.sqlite --roster 名单.xlsx",
        "xxgk serve --host 0.0.0.0 --db 年报.sqlite --ssl-certfile 证书.pem --ssl-keyfile 私钥.pem",
    ),
    "codes": (
        "xxgk codes --db 年报.sqlite --roster 名单.xlsx -o 报送码.xlsx",
        "xxgk codes --db 年报.sqlite -o 报送码-教育局.xlsx --body 某县教育局",
    ),
    "archive": (
        "xxgk archive verify 年报.sqlite",
        "xxgk archive backup 年报.sqlite -o 备份.sqlite",
        "xxgk archive summary 年报.sqlite -o 汇总.xlsx",
    ),
    "excel-setup": ("xxgk excel-setup --to 桌面\\年报",),
}


def _gettext(message: str | None) -> str | None:
    return ARGPARSE_ZH.get(message, message) if message else message


def _ngettext(singular: str, plural: str, n: int) -> str:
    return _gettext(singular if n == 1 else plural) or ""


def install() -> None:
    """Route argparse's texts through :data:`ARGPARSE_ZH` (process-wide; only ``xxgk`` calls it)."""
    argparse._ = _gettext  # type: ignore[attr-defined]
    argparse.ngettext = _ngettext  # type: ignore[attr-defined]


def epilog(command: str) -> str | None:
    lines = EXAMPLES.get(command)
    return "示例：\n" + "\n".join(f"  {line}" for line in lines) if lines else None


def add_examples(parser: argparse.ArgumentParser, subparsers: argparse._SubParsersAction) -> None:
    """An example under every ``--help``, kept as written (no rewrapping)."""
    for name, sub in (("xxgk", parser), *subparsers.choices.items()):
        sub.formatter_class = argparse.RawDescriptionHelpFormatter
        if sub.epilog is None:
            sub.epilog = epilog(name)


def width(text: str) -> int:
    """Columns `text` takes in a terminal: CJK and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, columns: int) -> str:
    return text + " " * max(0, columns - width(text))
