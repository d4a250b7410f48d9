"""国办公开办函〔2019〕60号 《政府信息公开工作年度报告格式（试行）》 as data — read-only.

Used for the 2019 and 2020 annual reports, before 30号 took effect for 2021. What is known of
it comes from ``format_spec.md`` §6 (one published 2019 report and a parser's alias list):

- 表二 has other columns: 第二十条第（一）项 本年新制作数量 / 本年新公开数量 / 对外公开总数量
  (rows 规章, 规范性文件); （五）（六） 上一年项目数量 / 本年增/减 / 处理决定数量 (（五） has a second
  row 其他对外管理服务事项); （八） 上一年项目数量 / 本年增/减; and a block 第二十条第（九）项 政府集中采购
  (采购项目数量 / 采购总金额).
- 表三 （六）其他处理 is one row without sub-items; 表四 and the other 表三 rows are as in 30号.

Uncertain, hence no template is offered (``template=False``: reports in this format are checked
and imported, e.g. last year's JSON for the 历年 rules, or a workbook made by ``xxgk fill``):
the exact header rows and merges of the 2019 表二; whether 本年增/减 is written with a sign
(read here as a whole number that may be negative); the unit of 采购总金额 (read as 万元, as the
30号 fee column; no rule depends on it); whether 上一年项目数量 of one year must equal anything of
the previous year (no 历年 rule for 表二). 表三 and 表四 keep 30号's keys, so a 2020 report in
this format serves as ``--last-year`` of a 2021 report (XY-T3-CARRY, XY-T4-PENDING).

A report in this layout for a year from 2021 on gets the FMT-OLD 错误: those years must use 30号.
T3-UNABLE-LIMIT (（四）无法提供 ≤ 一＋二) applies as in 30号: the 2019 表三 has the same （四） rows and
the same 勾稽关系. The 表二 rules (T2-VALID-FLOOR, XY-T2-VALID) do not: its columns are others.
"""

from __future__ import annotations

from dataclasses import replace
from typing import cast

from validator.formats import gb_2021_30 as gb21
from validator.spec import CellKind, CellSpec, FormatSpec, Label, Rule, SheetSpec, fires, passes

FORMAT_ID = "gb-2019-60"
FIRST_YEAR, LAST_YEAR = 2019, 2020
COVER, T2, T3 = gb21.COVER, gb21.T2, gb21.T3

_CHANGE = ("上一年项目数量", "本年增/减", "处理决定数量")
T2_BLOCKS = (
    (
        "第二十条第（一）项",
        ("本年新制作数量", "本年新公开数量", "对外公开总数量"),
        (("规章", "proactive.rules"), ("规范性文件", "proactive.normative_documents")),
        ("made", "published", "public_total"),
        ("count", "count", "count"),
    ),
    (
        "第二十条第（五）项",
        _CHANGE,
        (("行政许可", "proactive.licensing"), ("其他对外管理服务事项", "proactive.other_services")),
        ("items_last_year", "change", "decisions"),
        ("count", "signed", "count"),
    ),
    (
        "第二十条第（六）项",
        _CHANGE,
        (("行政处罚", "proactive.penalties"), ("行政强制", "proactive.coercive_measures")),
        ("items_last_year", "change", "decisions"),
        ("count", "signed", "count"),
    ),
    (
        "第二十条第（八）项",
        _CHANGE[:2],
        (("行政事业性收费", "proactive.fees"),),
        ("items_last_year", "change"),
        ("count", "signed"),
    ),
    (
        "第二十条第（九）项",
        ("采购项目数量", "采购总金额"),
        (("政府集中采购", "proactive.procurement"),),
        ("items", "amount_wan_yuan"),
        ("count", "money"),
    ),
)

T3_ROWS = (
    *(row for row in gb21.T3_ROWS[:-2] if not row[0].startswith("other_handling.")),
    ("other_handling", gb21._RESULT, "（六）其他处理", None, "（六）其他处理"),
    *gb21.T3_ROWS[-2:],
)
"""30号's rows with （六）其他处理 as one row (no sub-items)."""

BASELINE_KEYS = (
    *(gb21.t3_key("carried_forward", c) for c, _ in gb21.T3_COLUMNS),
    *(gb21.t4_key(g, "pending") for g, *_ in gb21.T4_GROUPS),
)


def _table2() -> tuple[list[CellSpec], list[Label]]:
    cells: list[CellSpec] = []
    labels: list[Label] = []
    row = 1
    for caption, headers, data_rows, leaves, kinds in T2_BLOCKS:
        labels.append(Label(T2, f"A{row}", caption, f"D{row}", "subtitle"))
        labels.append(Label(T2, f"A{row + 1}", "信息内容", style="header"))
        for i, head in enumerate(headers):
            labels.append(Label(T2, f"{'BCD'[i]}{row + 1}", head, style="header"))
        for j, (text, base) in enumerate(data_rows):
            r = row + 2 + j
            labels.append(Label(T2, f"A{r}", text))
            for i, (leaf, head, kind) in enumerate(zip(leaves, headers, kinds)):
                cells.append(
                    CellSpec(f"{base}.{leaf}", T2, f"{'BCD'[i]}{r}", cast(CellKind, kind), f"表二 {text}·{head}")
                )
        row += 2 + len(data_rows)
    return cells, labels


def _cover() -> tuple[list[CellSpec], list[Label]]:
    cells, labels = gb21._cover()
    subtitle = "格式依据：国办公开办函〔2019〕60号《政府信息公开工作年度报告格式（试行）》（2019、2020 年度报告）"
    labels = [replace(lb, text=subtitle) if lb.ref == "A2" else lb for lb in labels]
    return cells, labels


def _rules(base21: FormatSpec) -> tuple[Rule, ...]:
    base = {r.id: r for r in base21.rules}
    t3_rows, t3_cols, t3_balance = gb21.t3_relations(T3_ROWS)
    keep = (
        "VAL-EMPTY",
        "VAL-INT",
        "VAL-FEE",
        "VAL-TEXT",
        "META-BODY",
        "META-TYPE",
        "META-YEAR",
        "META-DATE",
        "META-REGION",
        "META-CREDIT",
        "DATE-DEADLINE",
        "T3-COL-TOTAL",
        "T3-RESULT-SUM",
        "T3-BALANCE",
        "T3-UNABLE-LIMIT",
        "T4-SUM-REVIEW",
        "T4-SUM-LIT-DIRECT",
        "T4-SUM-LIT-AFTER",
        "XY-YEAR",
        "XY-T3-CARRY",
        "XY-T4-PENDING",
        "TXT-MISSING",
        "TXT-T3",
        "SEC5-CONTENT",
        "XY-BODY",
        "XY-INCOMPLETE",
    )
    params: dict[str, dict] = {"META-YEAR": {"first": FIRST_YEAR}}
    relations = {"T3-COL-TOTAL": t3_rows, "T3-RESULT-SUM": t3_cols, "T3-BALANCE": t3_balance}
    money = "proactive.procurement.amount_wan_yuan"
    examples = {
        "VAL-FEE": (fires({money: "-3"}), passes({money: "1.5"})),
        "XY-INCOMPLETE": gb21._incomplete_examples(BASELINE_KEYS),
    }
    messages = {
        "VAL-INT": "{label}应为整数（件数；只有“本年增/减”可为负数），现为“{actual}”{hint}",
        "VAL-FEE": "{label}应为非负数（单位：万元，可带小数），现为“{actual}”{hint}",
    }
    titles = {"VAL-INT": "件数为整数（只有本年增/减可为负数）"}
    rules = [
        replace(
            base[i],
            params=params.get(i, base[i].params),
            message=messages.get(i, base[i].message),
            title=titles.get(i, base[i].title),
            relations=tuple(relations.get(i, base[i].relations)),
            examples=examples.get(i, base[i].examples),
        )
        for i in keep
    ]
    rules.insert(
        7,
        Rule(
            "FMT-OLD",
            "error",
            "基本信息",
            "2021 年度起的报告使用国办公开办函〔2021〕30号格式",
            "本报告为 {actual} 年度，应使用国办公开办函〔2021〕30号格式（自 2021 年度报告起施行）；"
            "2019 试行格式（国办公开办函〔2019〕60号）只用于 {first}、{last} 年度报告。"
            "请用 xxgk template 生成的模板重新填写",
            "format_years",
            {"last": LAST_YEAR, "first": FIRST_YEAR},
            examples=(fires({"year": 2021, "published_on": "2022-01-20"}), passes({"year": LAST_YEAR})),
        ),
    )
    return tuple(rules)


def build() -> FormatSpec:
    """The 2021 spec with what the 2019 format changes: its own cover, 表二, 表三 rows,
    rules and baseline; no blank template. Cell positions, sheets and the 校验结果 layout are
    shared, so they are taken from the 2021 spec rather than stated again."""
    base21 = gb21.build()
    cover_cells, cover_labels = _cover()
    t2_cells, t2_labels = _table2()
    t3_cells, t3_labels = gb21._table3(T3_ROWS)
    t4_cells, t4_labels = gb21._table4()
    text_cells, text_labels = gb21._narrative()
    base_cells, base_labels = gb21._baseline(BASELINE_KEYS)
    cells = (*cover_cells, *t2_cells, *t3_cells, *t4_cells, *text_cells)
    rules = _rules(base21)
    sheets = tuple(
        SheetSpec(T2, "二、主动公开政府信息情况", (("A", 24), ("B", 16), ("C", 16), ("D", 16))) if s.name == T2 else s
        for s in base21.sheets
    )
    return replace(
        base21,
        id=FORMAT_ID,
        name="国办公开办函〔2019〕60号（试行）",
        sheets=sheets,
        cells=cells,
        labels=(*cover_labels, *t2_labels, *t3_labels, *t4_labels, *text_labels, *base_labels, *gb21._results()),
        rules=rules,
        baseline_keys=BASELINE_KEYS,
        baseline_cells=tuple(base_cells),
        first_year=FIRST_YEAR,
        template=False,
        example={**gb21.EXAMPLE, "year": LAST_YEAR, "published_on": f"{LAST_YEAR + 1}-01-20"},
        matrices=(
            gb21.Matrix(
                "表三", "applications", tuple((row[0], gb21.t3_short(row)) for row in T3_ROWS), gb21.T3_COLUMNS
            ),
        ),
        notes="只读：2019 试行格式表二的表头行与合并方式、“本年增/减”的写法、采购总金额的单位均无官方版式可核对；"
        "不提供空白模板，可校验和导入（含 xxgk fill 生成的工作簿）。",
    )
