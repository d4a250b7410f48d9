"""The one import the VBA buttons make: stdlib only, so even a broken install gives a message box.

``Main.bas`` runs ``RunPython "...; b.validate()"`` etc. If the rest of the package (xlwings,
pydantic, openpyxl) cannot be imported, the user sees a Chinese message box saying what to
install, not a Python traceback window.
"""

from __future__ import annotations

TITLE = "政府信息公开年报校验"


def validate() -> None:
    _run("validate")


def export_json() -> None:
    _run("export_json")


def render_report() -> None:
    _run("render_report")


def clear_marks() -> None:
    _run("clear_marks")


def _run(name: str) -> None:
    try:
        from addin import excel  # lazy: loads xlwings
    except Exception as exc:  # missing or mismatched packages: explain, never a traceback
        _message_box(
            "无法启动校验程序：本机的 Python 缺少 xxgk-report 所需的组件"
            f"（{type(exc).__name__}: {exc}）。\n请在命令提示符中运行：pip install --upgrade xxgk-report，"
            "然后运行：xxgk excel-setup"
        )
        return
    getattr(excel, name)()


def _message_box(text: str) -> None:
    try:
        import ctypes

        ctypes.windll.user32.MessageBoxW(0, text, TITLE, 0x10)  # type: ignore[attr-defined]
    except Exception:
        print(text)
