"""Colours and cell styles shared by the template builder and the annotator."""

from __future__ import annotations

INPUT_FILL = "#FFF2CC"  # light yellow: staff type here
HEADER_FILL = "#D9E1F2"
ERROR_FILL = "#FF9999"  # 错误
WARNING_FILL = "#F4B183"  # 提示: orange, apart from the input yellow
SUSPECT_FILL = "#C9B3E6"  # the sheet's own 可能填错 mark: purple, apart from 错误 and 提示
OLD_WARNING_FILLS = ("#FFD966",)
"""提示 colours of earlier releases: a new run clears those marks too."""
LEGEND = (
    ("input", "浅黄色：填写区"),
    ("bad", "红色：错误（须改正，改正前不能导出）"),
    ("doubtful", "橙色：提示（请核实；属实的可在“校验结果”表写情况说明）"),
    ("suspect", "紫色：可能填错（表中自动核对的推断：该格所在的各项核对都相差同一个数）"),
)
"""The colour key on the cover: the same colours the live checks, ``--annotate`` and the
Excel button use."""
FIXED_FILL = "#EDEDED"
FONT = "宋体"


def xlsxwriter_formats(wb) -> dict:
    base = {"font_name": FONT, "font_size": 10.5, "valign": "vcenter", "text_wrap": True}
    border = {"border": 1}

    def fmt(**kw):
        return wb.add_format({**base, **kw})

    inputs = {"locked": False, "fg_color": INPUT_FILL, "pattern": 1, **border}
    return {
        "title": fmt(bold=True, font_size=16, align="center"),
        "subtitle": fmt(bold=True, font_size=11, **border),
        "header": fmt(bold=True, align="center", fg_color=HEADER_FILL, pattern=1, **border),
        "label": fmt(**border),
        "note": fmt(font_color="#595959", font_size=9.5),
        "check": fmt(align="center", font_color="#595959", font_size=9, **border),
        "fixed": fmt(fg_color=FIXED_FILL, pattern=1, **border),
        "explain": fmt(locked=False, valign="top"),
        "result": fmt(valign="top"),
        "summary": fmt(text_wrap=False),
        "bad": wb.add_format({"bg_color": ERROR_FILL, "font_color": "#9C0006", "bold": True}),
        "doubtful": wb.add_format({"bg_color": WARNING_FILL}),
        "suspect": wb.add_format({"bg_color": SUSPECT_FILL, "font_color": "#3F1F6B", "bold": True}),
        "legend_input": fmt(fg_color=INPUT_FILL, pattern=1, **border),
        "legend_bad": fmt(fg_color=ERROR_FILL, pattern=1, **border),
        "legend_doubtful": fmt(fg_color=WARNING_FILL, pattern=1, **border),
        "legend_suspect": fmt(fg_color=SUSPECT_FILL, pattern=1, **border),
        "in_count": fmt(align="center", num_format="0", **inputs),
        "in_signed": fmt(align="center", num_format="0", **inputs),
        "in_money": fmt(align="center", num_format="General", **inputs),
        "in_year": fmt(align="left", num_format="0", **inputs),
        "in_date": fmt(align="left", num_format="yyyy-mm-dd", **inputs),
        "in_text": fmt(align="left", num_format="@", **inputs),
        "in_choice": fmt(align="left", **inputs),
        "in_longtext": fmt(align="left", valign="top", num_format="@", **inputs),
    }
