"""The macro template (.xlsm): the .xlsx template plus VBA buttons that call Python via xlwings.

Built from the same format data by the same builder (:func:`validator.workbook.build.template_bytes`),
extended with a VBA project written from readable source (``addin/vba/*.bas`` and the pinned
xlwings' own standalone ``xlwings.bas``), a hidden ``xlwings.conf`` sheet, and three buttons on
the cover and on each table sheet. Two builds are byte-identical.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from addin.ovba.project import VbaModule, build_vba_project
from validator.formats.live import live_checks
from validator.spec import FormatSpec, split_ref
from validator.workbook.build import template_bytes

XLWINGS_PIN = "0.37.8"
VBA_DIR = Path(__file__).with_name("vba")
BUTTONS = (("Validate", "校验"), ("ExportJson", "导出JSON"), ("RenderReport", "生成报告"), ("ClearMarks", "清除标记"))
XLWINGS_CONF = (
    ("Use UDF Server", False),
    ("Show Console", False),
    ("ADD_WORKBOOK_TO_PYTHONPATH", False),
)
"""Interpreter_Win is absent from the shipped template: `xxgk excel-setup` writes its copy of the
template with this PC's Python in this sheet (xlwings reads the sheet first), so the user's global
~/.xlwings/xlwings.conf, which every other xlwings workbook reads too, is left alone."""
INTERPRETER_KEY = "Interpreter_Win"


def xlwings_bas() -> str:
    """xlwings' standalone VBA module, from the installed (pinned) xlwings."""
    import xlwings

    text = Path(xlwings.__file__).with_name("xlwings.bas").read_text(encoding="ascii")
    found = re.search(r'XLWINGS_VERSION As String = "([^"]+)"', text)
    if xlwings.__version__ != XLWINGS_PIN or not found or found.group(1) != XLWINGS_PIN:
        raise RuntimeError(
            f"xlwings {XLWINGS_PIN} is pinned, found {xlwings.__version__} "
            f"(xlwings.bas says {found.group(1) if found else '?'})"
        )
    return text


def vba_modules(fmt: FormatSpec, extra: tuple[VbaModule, ...] = (), with_xlwings: bool = True) -> list[VbaModule]:
    modules = [VbaModule("ThisWorkbook", "", "document", "workbook")]
    modules += [VbaModule(f"Sheet{i}", "", "document", "worksheet") for i in range(1, len(fmt.sheets) + 2)]
    modules.append(VbaModule("Main", (VBA_DIR / "Main.bas").read_text(encoding="ascii"), "standard"))
    if with_xlwings:
        modules.append(VbaModule("xlwings", xlwings_bas(), "standard"))
    return [*modules, *extra]


def button_sheets(fmt: FormatSpec) -> tuple[str, ...]:
    """The cover (first sheet) and every sheet with figures to fill: where staff click 校验."""
    with_figures = {c.sheet for c in fmt.figure_cells()}
    return tuple(s.name for i, s in enumerate(fmt.sheets) if i == 0 or s.name in with_figures)


def _button_anchor(fmt: FormatSpec, sheet: str) -> tuple[int, int]:
    """Top row, first free column right of everything the format puts on the sheet."""
    refs = [c.merge_to or c.ref for c in (*fmt.cells, *fmt.baseline_cells) if c.sheet == sheet]
    refs += [lb.merge_to or lb.ref for lb in fmt.labels if lb.sheet == sheet]
    refs += [ch.ref for ch in live_checks(fmt) if ch.sheet == sheet]
    return 0, max(split_ref(r)[1] for r in refs) + 2


def add_xlwings_conf(wb, vba_name: str, interpreter: str | None = None) -> None:
    """The hidden ``xlwings.conf`` sheet xlwings reads before any config file; with
    ``interpreter``, the buttons of this workbook run that Python."""
    rows: list[tuple[str, object]] = [*XLWINGS_CONF]
    if interpreter is not None:
        rows.append((INTERPRETER_KEY, interpreter))
    conf = wb.add_worksheet("xlwings.conf")
    conf.set_vba_name(vba_name)
    for row, (key, value) in enumerate(rows):
        conf.write_string(row, 0, key)
        if isinstance(value, bool):
            conf.write_boolean(row, 1, value)
        else:
            conf.write_string(row, 1, str(value))
    conf.hide()


def xlsm_bytes(
    fmt: FormatSpec, *, with_xlwings: bool = True, extra: tuple[VbaModule, ...] = (), interpreter: str | None = None
) -> bytes:
    """The macro template; with ``interpreter``, one whose buttons run that Python."""
    project = build_vba_project(vba_modules(fmt, extra, with_xlwings))

    def extend(wb, sheets: dict) -> None:
        wb.set_vba_name("ThisWorkbook")
        for i, ws in enumerate(sheets.values(), 1):
            ws.set_vba_name(f"Sheet{i}")
        add_xlwings_conf(wb, f"Sheet{len(sheets) + 1}", interpreter)
        wb.add_vba_project(io.BytesIO(project), is_stream=True)
        for name in button_sheets(fmt):
            row, col = _button_anchor(fmt, name)
            for i, (macro, caption) in enumerate(BUTTONS):
                sheets[name].insert_button(
                    row, col, {"macro": macro, "caption": caption, "width": 96, "height": 28, "y_offset": 4 + i * 36}
                )

    return template_bytes(fmt, extend)
