"""Markdown tables for README, generated from the format data (a test keeps README in step)."""

from __future__ import annotations

from validator.formats import get_format
from validator.spec import SEVERITY_ZH


def rules_markdown() -> str:
    lines = ["| 规则 | 级别 | 范围 | 内容 |", "|---|---|---|---|"]
    for r in get_format().rules:
        lines.append(f"| `{r.id}` | {SEVERITY_ZH[r.severity]} | {r.scope} | {r.title} |")
    return "\n".join(lines)


def keys_markdown() -> str:
    """Every figure key with its cell; 表三 is shown as rows × columns to stay readable."""
    from validator.formats.gb_2021_30 import T3_COLUMNS, T3_ROWS, t3_ref, t3_short

    fmt = get_format()
    lines = ["| 键 | 单元格 | 含义 |", "|---|---|---|"]
    for cell in fmt.figure_cells():
        if not cell.key.startswith("applications."):
            lines.append(f"| `{cell.key}` | {cell.a1} | {cell.label} |")
    lines += ["", "表三 `applications.<行>.<列>`：", "", "| 行 `<行>` | 表三行 | 列 `<列>` | 表三列 |", "|---|---|---|---|"]
    for i, row in enumerate(T3_ROWS):
        col = T3_COLUMNS[i] if i < len(T3_COLUMNS) else None
        col_cells = f"`{col[0]}` | {col[1]}（{t3_ref(T3_ROWS[0][0], col[0])[0]} 列）" if col else " | "
        lines.append(f"| `{row[0]}` | {t3_short(row)}（第 {t3_ref(row[0], 'total')[1:]} 行） | {col_cells} |")
    return "\n".join(lines)
