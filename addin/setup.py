"""`xxgk excel-setup` and `xxgk template`'s .xlsm: the Excel side plugged into the core CLI.

The core (`validator.cli`) finds these through the entry-point groups ``xxgk.templates`` and
``xxgk.commands`` declared in pyproject.toml, so it never imports this package by name.
"""

from __future__ import annotations

import sys
from pathlib import Path

from validator.fileio import atomic_write_bytes, make_dir
from validator.spec import FormatSpec

XLSM_NAME = "xxgk-template-{format_id}.xlsm"


def write_xlsm_template(fmt: FormatSpec, out_dir: Path, interpreter: str | None = None) -> Path:
    from addin.build import xlsm_bytes

    target = Path(out_dir) / XLSM_NAME.format(format_id=fmt.id)
    atomic_write_bytes(target, xlsm_bytes(fmt, interpreter=interpreter))
    return target


def interpreter_for_excel() -> str:
    """pythonw.exe beside python.exe when there is one: no console window flashes on each click."""
    exe = Path(sys.executable)
    windowless = exe.with_name("pythonw.exe")
    return str(windowless if windowless.exists() else exe)


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

        python = interpreter_for_excel()
        folder = Path(args.to)
        make_dir(folder)
        target = write_xlsm_template(get_format(), folder, interpreter=python)
        print(f"已复制宏模板：{target}")
        print(f"模板的按钮使用这台电脑上的 Python：{python}（记在模板隐藏的 xlwings.conf 表中；"
              "未改动用户目录下的 .xlwings\\xlwings.conf，其他 xlwings 工作簿不受影响）")
        print("在别的电脑上使用按钮时，请在那台电脑上也运行 xxgk excel-setup，用它生成的模板填写。")
        print("用 Excel 打开模板时请点“启用内容”（启用宏）。单位安全软件若拦截 xlwings 宏模块，请联系信息部门放行。")
        return 0
