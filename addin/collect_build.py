"""The receiving office's macro workbook (``xxgk-collect-….xlsm``): one sheet, one button.

Built by the same VBA writer as the filing template (:mod:`addin.ovba`): ``addin/vba/Collect.bas``
plus the pinned xlwings' standalone module and a hidden ``xlwings.conf`` sheet. The button
选择文件夹并汇总 runs ``CollectFolder``, which asks for the folder (and optional roster) and hands
over to :mod:`addin.collect_button`. Two builds are byte-identical.
"""

from __future__ import annotations

import io

from addin.build import VBA_DIR, add_xlwings_conf, xlwings_bas
from addin.collect_button import CAPTION, LABELS, MACRO, SHEET
from addin.ovba.project import VbaModule, build_vba_project
from validator import __version__
from validator.workbook.build import BUILD_TIME

COLLECT_XLSM_NAME = "xxgk-collect-{format_id}.xlsm"
INSTRUCTIONS = (
    "上级机关（政务公开办）汇总下级报送的年度报告：点右侧“选择文件夹并汇总”，先选收件文件夹（含子文件夹中的 JSON、"
    ".xlsx、.xlsm），再选应报送单位名单（.xlsx 或 .csv，可取消）。每份文件按 xxgk check 的规则校验，"
    "结果写入收件文件夹旁的“文件夹名-汇总.xlsx”并自动打开；收件文件夹中的文件不会被改动。"
    "与命令行 xxgk collect 完全相同；按钮需要本机已安装 Python 和 xxgk-report，并运行过 xxgk excel-setup。"
)


def vba_modules(with_xlwings: bool = True, extra: tuple[VbaModule, ...] = ()) -> list[VbaModule]:
    modules = [
        VbaModule("ThisWorkbook", "", "document", "workbook"),
        VbaModule("Sheet1", "", "document", "worksheet"),
        VbaModule("Sheet2", "", "document", "worksheet"),
        VbaModule("Collect", (VBA_DIR / "Collect.bas").read_text(encoding="ascii"), "standard"),
    ]
    if with_xlwings:
        modules.append(VbaModule("xlwings", xlwings_bas(), "standard"))
    return [*modules, *extra]


def collect_xlsm_bytes(
    *, with_xlwings: bool = True, extra: tuple[VbaModule, ...] = (), interpreter: str | None = None
) -> bytes:
    """The collect workbook; with ``interpreter``, one whose button runs that Python."""
    import xlsxwriter

    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
    )
    wb.set_properties(
        {
            "title": "政府信息公开工作年度报告 汇总工具",
            "author": "xxgk-report",
            "company": "",
            "comments": f"generator=xxgk-report {__version__}",
            "created": BUILD_TIME,
        }
    )
    wb.set_vba_name("ThisWorkbook")
    base = {"font_name": "宋体", "font_size": 11, "valign": "vcenter"}
    title = wb.add_format({**base, "bold": True, "font_size": 16})
    note = wb.add_format({**base, "text_wrap": True, "valign": "top", "font_color": "#404040"})
    label = wb.add_format({**base, "bold": True, "border": 1, "fg_color": "#D9E1F2", "pattern": 1})
    value = wb.add_format({**base, "border": 1, "text_wrap": True, "valign": "top"})

    ws = wb.add_worksheet(SHEET)
    ws.set_vba_name("Sheet1")
    ws.set_column("A:A", 2)
    ws.set_column("B:B", 18)
    ws.set_column("C:C", 70)
    ws.set_column("D:D", 2)
    ws.write_string("B1", "政府信息公开工作年度报告 汇总", title)
    ws.merge_range("B2:C2", INSTRUCTIONS, note)
    ws.set_row(1, 96)
    ws.set_row(6, 120)
    for ref, text in LABELS.items():
        ws.write_string(ref, text, label)
        ws.write_blank(ref.replace("B", "C"), None, value)
    ws.insert_button("E4", {"macro": MACRO, "caption": CAPTION, "width": 150, "height": 40})
    ws.activate()

    add_xlwings_conf(wb, "Sheet2", interpreter)
    wb.add_vba_project(io.BytesIO(build_vba_project(vba_modules(with_xlwings, extra))), is_stream=True)
    wb.close()
    return buffer.getvalue()
