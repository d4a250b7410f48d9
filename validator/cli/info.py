"""``xxgk template``, ``schema`` and ``rules``: what the format is (options and printing)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from validator import api
from validator.cli.output import write_output
from validator.cli.plugins import plugins
from validator.cli.zh import pad
from validator.docs import keys_markdown, rules_markdown
from validator.errors import EXIT_OK
from validator.fileio import STDOUT, atomic_write_bytes, make_dir
from validator.formats import template_formats
from validator.spec import SEVERITY_ZH

TEMPLATE_DIR = "xlsx_templates"


def template_name(format_id: str) -> str:
    return f"xxgk-template-{format_id}.xlsx"


def configure_template(t: argparse.ArgumentParser) -> None:
    t.add_argument("-o", "--out-dir", default=TEMPLATE_DIR, metavar="目录", help=f"输出目录（默认 {TEMPLATE_DIR}/）")
    t.add_argument("--format", metavar="格式编号", help="只生成这一格式的模板（默认：全部提供模板的格式）")


def configure_schema(s: argparse.ArgumentParser) -> None:
    s.add_argument("-o", "--out", metavar="文件", help="写入文件（默认或 - 输出到屏幕）")
    s.add_argument("--format", metavar="格式编号", help="格式编号（默认 gb-2021-30）")


def configure_rules(r: argparse.ArgumentParser) -> None:
    r.add_argument("--markdown", action="store_true", help="输出 Markdown 表格（文档用）")
    r.add_argument("--keys", action="store_true", help="输出 JSON 键与单元格对照表（Markdown 表格）")
    r.add_argument("--format", metavar="格式编号", help="格式编号（默认 gb-2021-30）")
    r.add_argument("--profile", metavar="配置.toml", help="按规则配置文件列出（关闭的规则不列出，级别按配置）")


def run_template(args) -> int:
    formats = [args.format] if args.format else list(template_formats())
    blanks = [(fmt_id, api.template(fmt_id)) for fmt_id in formats]
    out_dir = Path(args.out_dir)
    make_dir(out_dir)
    for fmt_id, data in blanks:
        target = out_dir / template_name(fmt_id)
        atomic_write_bytes(target, data)
        print(f"已生成模板：{target}")
        for write in plugins("xxgk.templates"):
            print(f"已生成模板：{write(api.format_of(fmt_id), out_dir)}")
    return EXIT_OK


def run_schema(args) -> int:
    from validator.model import json_schema  # lazy: loads pydantic

    text = json.dumps(json_schema(api.format_of(args.format)), ensure_ascii=False, indent=2) + "\n"
    if args.out and args.out != STDOUT:
        write_output(args.out, text.encode("utf-8"))
        print(f"已写入：{args.out}")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def run_rules(args) -> int:
    fmt = api.format_of(args.format)
    if args.markdown or args.keys:
        print(keys_markdown(fmt) if args.keys else rules_markdown(fmt))
        return EXIT_OK
    for r in api.rule_profile(args.profile, fmt).rules_in_force(fmt.rules):  # switched-off rules left out
        print(f"{r.id:<18} {SEVERITY_ZH[r.severity]}  {pad(r.scope, 8)}  {r.title}")
    return EXIT_OK


COMMANDS = {
    "template": ("生成空白填报模板（.xlsx）", configure_template, run_template),
    "schema": ("输出规范化 JSON 的 JSON Schema", configure_schema, run_schema),
    "rules": ("列出全部校验规则", configure_rules, run_rules),
}
