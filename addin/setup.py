"""`xxgk excel-setup` and `xxgk template`'s .xlsm: the Excel side plugged into the core CLI.

The core (`validator.cli`) finds these through the entry-point groups ``xxgk.templates`` and
``xxgk.commands`` declared in pyproject.toml, so it never imports this package by name.
"""

from __future__ import annotations

import sys
from pathlib import Path

from validator.fileio import atomic_write, atomic_write_bytes, make_dir
from validator.spec import FormatSpec

XLSM_NAME = "xxgk-template-{format_id}.xlsm"


def write_xlsm_template(fmt: FormatSpec, out_dir: Path) -> Path:
    from addin.build import xlsm_bytes

    target = Path(out_dir) / XLSM_NAME.format(format_id=fmt.id)
    atomic_write_bytes(target, xlsm_bytes(fmt))
    return target


def interpreter_for_excel() -> str:
    """pythonw.exe beside python.exe when there is one: no console window flashes on each click."""
    exe = Path(sys.executable)
    windowless = exe.with_name("pythonw.exe")
    return str(windowless if windowless.exists() else exe)


def update_user_config(path: Path, values: dict[str, str]) -> None:
    """Set keys in xlwings' user config file (lines of ``"KEY","value"``), keeping the others."""
    lines: list[str] = []
    if path.exists():
        lines = path.read_text(encoding="utf-8").splitlines()
    keys = {k.upper() for k in values}
    kept = [ln for ln in lines if not (ln.startswith('"') and ln.split('","', 1)[0].strip('"').upper() in keys)]
    kept += [f'"{k}","{v}"' for k, v in values.items()]
    make_dir(path.parent)
    atomic_write(path, lambda tmp: Path(tmp).write_text("\n".join(kept) + "\n", encoding="utf-8"))


class ExcelSetup:
    """Point xlwings at this Python and put the macro template where the user wants it."""

    name = "excel-setup"
    help = "Excel 设置：让 Excel 中的按钮使用本机的 Python，并复制 .xlsm 模板"

    @staticmethod
    def configure(parser) -> None:
        parser.add_argument("--to", default=".", help="把 .xlsm 模板复制到这个文件夹（默认当前文件夹）")

    @staticmethod
    def run(args) -> int:
        from validator.formats import get_format

        conf = Path.home() / ".xlwings" / "xlwings.conf"
        update_user_config(conf, {"INTERPRETER_WIN": interpreter_for_excel()})
        folder = Path(args.to)
        make_dir(folder)
        target = write_xlsm_template(get_format(), folder)
        print(f"已设置 xlwings 使用的 Python：{interpreter_for_excel()}（{conf}）")
        print(f"已复制宏模板：{target}")
        print("用 Excel 打开模板时请点“启用内容”（启用宏）。单位安全软件若拦截 xlwings 宏模块，请联系信息部门放行。")
        return 0
