"""`xxgk excel-setup` and `xxgk template`'s .xlsm: the Excel side plugged into the core CLI.

The core (`validator.cli`) finds these through the entry-point groups ``xxgk.templates`` and
``xxgk.commands`` declared in pyproject.toml, so it never imports this package by name.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Callable
from pathlib import Path

from addin.build import xlsm_bytes
from addin.collect_build import COLLECT_XLSM_NAME, collect_xlsm_bytes
from validator.fileio import atomic_write_bytes, make_dir
from validator.formats import get_format
from validator.spec import FormatSpec

XLSM_NAME = "xxgk-template-{format_id}.xlsm"


def write_xlsm_template(fmt: FormatSpec, out_dir: Path, interpreter: str | None = None) -> Path:
    target = Path(out_dir) / XLSM_NAME.format(format_id=fmt.id)
    atomic_write_bytes(target, xlsm_bytes(fmt, interpreter=interpreter))
    return target


def write_collect_template(fmt: FormatSpec, out_dir: Path, interpreter: str | None = None) -> Path:
    """The receiving office's workbook (button 选择文件夹并汇总), beside the filing template."""
    target = Path(out_dir) / COLLECT_XLSM_NAME.format(format_id=fmt.id)
    atomic_write_bytes(target, collect_xlsm_bytes(interpreter=interpreter))
    return target


def interpreter_for_excel() -> str:
    """pythonw.exe beside python.exe when there is one: no console window flashes on each click."""
    exe = Path(sys.executable)
    windowless = exe.with_name("pythonw.exe")
    return str(windowless if windowless.exists() else exe)


def remove_mark_of_the_web(path: Path) -> str | None:
    """Delete ``path``'s ``Zone.Identifier`` stream on Windows; return a Chinese line to print.

    Browsers and mail clients attach that NTFS stream (the Mark of the Web) to files from the
    internet, and Office blocks every macro in a file that carries it. A copy written here has
    none, but saying so tells the clerk which copy to open. ``None`` off Windows.
    """
    if sys.platform != "win32":
        return None
    try:
        os.remove(f"{path}:Zone.Identifier")
    except FileNotFoundError:
        return "宏模板是本机写出的，没有“来自网络”标记（Mark of the Web），Office 不会因来源阻止其中的宏。"
    except OSError as exc:
        if exc.errno == errno.EINVAL:  # a volume without NTFS streams (FAT, some network shares)
            return "宏模板所在的磁盘不支持“来自网络”标记，Office 不会因来源阻止其中的宏。"
        return (
            f"未能检查宏模板的“来自网络”标记（{exc.strerror}）。如 Excel 提示宏已被阻止："
            "右键该文件 → 属性 → 勾选“解除锁定” → 确定。"
        )
    return "已去除宏模板的“来自网络”标记（Zone.Identifier），Office 不会因来源阻止其中的宏。"


_SECURITY_KEY = r"Software\Microsoft\Office\16.0\Excel\Security"
_POLICY_KEY = r"Software\Policies\Microsoft\Office\16.0\Excel\Security"


def macro_settings_advice(read: Callable[[str], int | None]) -> str | None:
    """How to get macros running when Excel's VBAWarnings setting blocks them without a prompt.

    ``read(key)`` returns the ``VBAWarnings`` DWORD under ``HKEY_CURRENT_USER\\<key>`` or ``None``:
    1 enables all macros, 2 (the default) disables them with the "启用内容" bar, 3 allows only
    signed macros, 4 disables them without notice. A policy value overrides the user's own.
    """
    policy = read(_POLICY_KEY)
    if policy is not None:
        if policy not in (3, 4):
            return None
        return (
            "单位组策略禁用了未签名的宏，模板上的按钮无法运行，本人无法更改。请信息部门把宏模板所在文件夹设为"
            "受信任位置（或放行此模板），或改用命令行 xxgk check / xxgk export。"
        )
    if read(_SECURITY_KEY) in (3, 4):
        return (
            "Excel 当前设置为禁用宏且不提示，按钮不会运行。请在 Excel 中：文件 → 选项 → 信任中心 → 信任中心设置 → 宏设置，"
            "选“禁用 VBA 宏，并发出通知”（旧版为“禁用所有宏，并发出通知”），确定后重新打开模板，点“启用内容”。"
        )
    return None


def _read_vba_warnings(key: str) -> int | None:
    import winreg  # Windows only

    try:
        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, key) as handle:  # type: ignore[attr-defined]
            value, kind = winreg.QueryValueEx(handle, "VBAWarnings")  # type: ignore[attr-defined]
    except OSError:
        return None
    return value if kind == winreg.REG_DWORD else None  # type: ignore[attr-defined]


def windows_macro_notes(target: Path) -> list[str]:
    """What `excel-setup` reports on Windows about the two things that keep macros from running."""
    if sys.platform != "win32":
        return []
    notes = [remove_mark_of_the_web(target), macro_settings_advice(_read_vba_warnings)]
    return [note for note in notes if note]


class ExcelSetup:
    """Point xlwings at this Python and put the macro template where the user wants it."""

    name = "excel-setup"
    help = "Excel 设置：让 Excel 中的按钮使用本机的 Python，并复制 .xlsm 模板"

    @staticmethod
    def configure(parser) -> None:
        parser.add_argument(
            "--to", default=".", metavar="文件夹", help="把 .xlsm 模板复制到这个文件夹（默认当前文件夹）"
        )

    @staticmethod
    def run(args) -> int:
        python = interpreter_for_excel()
        folder = Path(args.to)
        make_dir(folder)
        target = write_xlsm_template(get_format(), folder, interpreter=python)
        print(f"已复制宏模板：{target}")
        print(f"已复制汇总工作簿（上级机关用）：{write_collect_template(get_format(), folder, interpreter=python)}")
        print(
            f"模板的按钮使用这台电脑上的 Python：{python}（记在模板隐藏的 xlwings.conf 表中；"
            "未改动用户目录下的 .xlwings\\xlwings.conf，其他 xlwings 工作簿不受影响）"
        )
        print("在别的电脑上使用按钮时，请在那台电脑上也运行 xxgk excel-setup，用它生成的模板填写。")
        for note in windows_macro_notes(target):
            print(note)
        if sys.platform != "win32":
            print(
                f"注意：本机不是 Windows（{sys.platform}）。上面记下的 Python 路径只在 Windows 版 Excel 中起作用，"
                "在这台电脑上按钮不会用到它；请在填报用的 Windows 电脑上运行 xxgk excel-setup。"
            )
        print("用 Excel 打开模板时请点“启用内容”（启用宏）。单位安全软件若拦截 xlwings 宏模块，请联系信息部门放行。")
        return 0
