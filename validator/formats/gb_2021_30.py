"""国办公开办函〔2021〕30号 《中华人民共和国政府信息公开工作年度报告格式》 as data.

Labels are the official wording with full-width punctuation. Cell positions follow the
layout staff know from the published tables (表三 data rows 4–28, columns D–J, and so on).
Every key is the dotted path of that figure in the normalized JSON.
"""

from __future__ import annotations

from typing import cast

from validator import results, textfit
from validator.spec import (
    CellKind,
    CellSpec,
    FormatSpec,
    Label,
    Matrix,
    Relation,
    Rule,
    SheetSpec,
    col_letter,
    fires,
    passes,
    split_ref,
)

FORMAT_ID = "gb-2021-30"
COVER, T2, T3, T4, TEXT, BASE, RESULTS = "封面", "表二", "表三", "表四", "文字部分", "上年数据", "校验结果"

BODY_TYPES = ("政府", "部门", "乡镇")

# --------------------------------------------------------------------------- 表二
# (caption, header labels, [(row label, key, value columns or single)], unit kind)
T2_BLOCKS = (
    (
        "第二十条第（一）项",
        ("本年制发件数", "本年废止件数", "现行有效件数"),
        (("规章", "proactive.rules"), ("行政规范性文件", "proactive.normative_documents")),
        ("issued", "repealed", "in_force"),
        "count",
    ),
    ("第二十条第（五）项", ("本年处理决定数量",), (("行政许可", "proactive.licensing"),), ("decisions",), "count"),
    (
        "第二十条第（六）项",
        ("本年处理决定数量",),
        (("行政处罚", "proactive.penalties"), ("行政强制", "proactive.coercive_measures")),
        ("decisions",),
        "count",
    ),
    (
        "第二十条第（八）项",
        ("本年收费金额（单位：万元）",),
        (("行政事业性收费", "proactive.fees"),),
        ("amount_wan_yuan",),
        "money",
    ),
)

# --------------------------------------------------------------------------- 表三
T3_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
T3_COLUMNS = (
    ("natural_person", "自然人"),
    ("commercial_enterprise", "商业企业"),
    ("research_institution", "科研机构"),
    ("public_interest_organization", "社会公益组织"),
    ("legal_service_institution", "法律服务机构"),
    ("other_organization", "其他"),
    ("total", "总计"),
)
T3_COLUMN_KEYS = tuple(k for k, _ in T3_COLUMNS)
T3_APPLICANTS = T3_COLUMN_KEYS[:-1]

# (key, level-1 text, level-2 group text, sub-item text, short name for messages)
_RESULT = "三、本年度办理结果"
T3_ROWS = (
    ("new", "一、本年新收政府信息公开申请数量", None, None, "一、本年新收申请"),
    ("carried_in", "二、上年结转政府信息公开申请数量", None, None, "二、上年结转申请"),
    ("granted", _RESULT, "（一）予以公开", None, "（一）予以公开"),
    ("partially_granted", _RESULT, "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", None, "（二）部分公开"),
    ("denied.state_secret", _RESULT, "（三）不予公开", "1.属于国家秘密", None),
    ("denied.prohibited_by_law", _RESULT, "（三）不予公开", "2.其他法律行政法规禁止公开", None),
    ("denied.endangers_security", _RESULT, "（三）不予公开", "3.危及“三安全一稳定”", None),
    ("denied.third_party_rights", _RESULT, "（三）不予公开", "4.保护第三方合法权益", None),
    ("denied.internal_affairs", _RESULT, "（三）不予公开", "5.属于三类内部事务信息", None),
    ("denied.process_information", _RESULT, "（三）不予公开", "6.属于四类过程性信息", None),
    ("denied.enforcement_files", _RESULT, "（三）不予公开", "7.属于行政执法案卷", None),
    ("denied.inquiry_matters", _RESULT, "（三）不予公开", "8.属于行政查询事项", None),
    ("unable_to_provide.not_held", _RESULT, "（四）无法提供", "1.本机关不掌握相关政府信息", None),
    ("unable_to_provide.needs_creation", _RESULT, "（四）无法提供", "2.没有现成信息需要另行制作", None),
    ("unable_to_provide.still_unclear", _RESULT, "（四）无法提供", "3.补正后申请内容仍不明确", None),
    ("not_processed.complaint", _RESULT, "（五）不予处理", "1.信访举报投诉类申请", None),
    ("not_processed.repeated", _RESULT, "（五）不予处理", "2.重复申请", None),
    ("not_processed.publication", _RESULT, "（五）不予处理", "3.要求提供公开出版物", None),
    ("not_processed.excessive", _RESULT, "（五）不予处理", "4.无正当理由大量反复申请", None),
    ("not_processed.confirmation", _RESULT, "（五）不予处理", "5.要求行政机关确认或重新出具已获取信息", None),
    (
        "other_handling.no_correction",
        _RESULT,
        "（六）其他处理",
        "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        None,
    ),
    (
        "other_handling.fee_unpaid",
        _RESULT,
        "（六）其他处理",
        "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
        None,
    ),
    ("other_handling.other", _RESULT, "（六）其他处理", "3.其他", None),
    ("results_total", _RESULT, "（七）总计", None, "（七）总计"),
    ("carried_forward", "四、结转下年度继续办理", None, None, "四、结转下年度继续办理"),
)
T3_FIRST_ROW = 4  # 1-based sheet row of 一、本年新收
T3_FIRST_COL = 3  # zero-based column D
T3_RESULT_KEYS = tuple(r[0] for r in T3_ROWS[2:23])


def t3_short(row: tuple) -> str:
    key, _a, group, sub, short = row
    return short or f"{group}{sub}"


def t3_ref(row_key: str, col_key: str) -> str:
    r = [k for k, *_ in T3_ROWS].index(row_key)
    c = T3_COLUMN_KEYS.index(col_key)
    return f"{col_letter(T3_FIRST_COL + c)}{T3_FIRST_ROW + r}"


def t3_key(row_key: str, col_key: str) -> str:
    return f"applications.{row_key}.{col_key}"


# --------------------------------------------------------------------------- 表四
T4_GROUPS = (
    ("review", "行政复议", None),
    ("litigation_direct", "行政诉讼", "未经复议直接起诉"),
    ("litigation_after_review", "行政诉讼", "复议后起诉"),
)
T4_LEAVES = (
    ("upheld", "结果维持"),
    ("corrected", "结果纠正"),
    ("other", "其他结果"),
    ("pending", "尚未审结"),
    ("total", "总计"),
)


def t4_key(group: str, leaf: str) -> str:
    return f"review_litigation.{group}.{leaf}"


def t4_ref(group: str, leaf: str) -> str:
    g = [k for k, *_ in T4_GROUPS].index(group)
    lf = [k for k, _ in T4_LEAVES].index(leaf)
    return f"{col_letter(g * 5 + lf)}4"


# --------------------------------------------------------------------------- builders


def _cover() -> tuple[list[CellSpec], list[Label]]:
    cells = [
        CellSpec("body.name", COVER, "B4", "text", "机关名称", merge_to="D4"),
        CellSpec("body.type", COVER, "B5", "choice", "机关类型", choices=BODY_TYPES),
        CellSpec("year", COVER, "B6", "year", "报告年度"),
        CellSpec("published_on", COVER, "B7", "date", "发布日期", required=False),
        CellSpec("body.region_code", COVER, "B8", "text", "行政区划代码", required=False),
        CellSpec("body.credit_code", COVER, "B9", "text", "统一社会信用代码", required=False),
    ]
    labels = [
        Label(COVER, "A1", "政府信息公开工作年度报告 数据填报模板", "D1", "title", checked=False),
        Label(
            COVER,
            "A2",
            "格式依据：国办公开办函〔2021〕30号《中华人民共和国政府信息公开工作年度报告格式》",
            "D2",
            "subtitle",
            checked=False,
        ),
        Label(COVER, "A4", "机关名称"),
        Label(COVER, "A5", "机关类型"),
        Label(
            COVER,
            "C5",
            "政府：县级以上人民政府（报告由其政府信息公开工作主管部门发布）；部门：县级以上人民政府部门；"
            "乡镇：乡镇人民政府、街道办事处",
            "D5",
            "note",
            checked=False,
        ),
        Label(COVER, "A6", "报告年度"),
        Label(COVER, "A7", "发布日期"),
        Label(
            COVER,
            "C7",
            "格式 2024-01-29；条例第四十九条：部门 1月31日前，县级以上人民政府 3月31日前",
            "D7",
            "note",
            checked=False,
        ),
        Label(COVER, "A8", "行政区划代码（选填）"),
        # not checked: workbooks made before this row existed still read (B9 is then empty)
        Label(COVER, "A9", "统一社会信用代码（选填）", checked=False),
        Label(COVER, "A10", "格式"),
        Label(COVER, "A11", "模板版本"),
        Label(COVER, "A13", "校验状态"),
        Label(COVER, "A15", "填写说明", "D15", "header", checked=False),
    ]
    help_lines = (
        "1. 浅黄色单元格为填写区，其余单元格已保护。没有数据的格请填 0，不要留空或填“/”“—”。",
        "2. 表二至表四的“总计”照官方表格由填报人填写；右侧或下方的“自动核对”即时显示两边是否相符（不平时写出两边的数），"
        "某格所在的行和列相差同一个数时，该格变紫色（可能填错）。",
        "3. 表三勾稽关系：第一项加第二项之和，等于第三项加第四项之和（每一列都要成立）。",
        "4. 行政事业性收费金额单位为万元，可填小数；其余数字均为件数（非负整数）。",
        "5. “文字部分”填写报告的第一、五、六部分；“上年数据”用于与上年报告核对，可留空。",
        "6. 填好后运行 xxgk check 文件.xlsx 校验，xxgk export 文件.xlsx -o 报告.json 导出 JSON 上报。",
        # Readable without macros: the one place a clerk whose macros are blocked can look.
        "7. 宏模板（.xlsm）按钮没反应或提示无法运行宏：右键文件→属性→勾选“解除锁定”，重开后点“启用内容”；"
        "仍不行请运行 xxgk excel-setup。",
    )
    for i, line in enumerate(help_lines):
        labels.append(Label(COVER, f"A{16 + i}", line, f"D{16 + i}", "note", checked=False))
    return cells, labels


def _table2() -> tuple[list[CellSpec], list[Label]]:
    cells: list[CellSpec] = []
    labels: list[Label] = []
    row = 1
    for caption, headers, data_rows, leaves, kind in T2_BLOCKS:
        labels.append(Label(T2, f"A{row}", caption, f"D{row}", "subtitle"))
        labels.append(Label(T2, f"A{row + 1}", "信息内容", style="header"))
        if len(headers) == 3:
            for i, h in enumerate(headers):
                labels.append(Label(T2, f"{'BCD'[i]}{row + 1}", h, style="header"))
        else:
            labels.append(Label(T2, f"B{row + 1}", headers[0], f"D{row + 1}", "header"))
        for j, (text, base) in enumerate(data_rows):
            r = row + 2 + j
            labels.append(Label(T2, f"A{r}", text))
            if len(leaves) == 3:
                for i, (leaf, head) in enumerate(zip(leaves, headers)):
                    cells.append(
                        CellSpec(f"{base}.{leaf}", T2, f"{'BCD'[i]}{r}", cast(CellKind, kind), f"表二 {text}·{head}")
                    )
            else:
                cells.append(
                    CellSpec(
                        f"{base}.{leaves[0]}",
                        T2,
                        f"B{r}",
                        cast(CellKind, kind),
                        f"表二 {text}·{headers[0]}",
                        merge_to=f"D{r}",
                    )
                )
        row += 2 + len(data_rows)
    labels.append(Label(T2, "E2", "自动核对", style="header", checked=False))
    return cells, labels


def _table3(rows: tuple = T3_ROWS) -> tuple[list[CellSpec], list[Label]]:
    """表三 for the given rows (the 2019 试行 layout has one row fewer under （六）)."""
    cells: list[CellSpec] = []
    labels = [
        Label(T3, "A1", T3_NOTE, "C3", "header"),
        Label(T3, "D1", "申请人情况", "J1", "header"),
        Label(T3, "D2", "自然人", "D3", "header"),
        Label(T3, "E2", "法人或其他组织", "I2", "header"),
        Label(T3, "J2", "总计", "J3", "header"),
        Label(T3, "K1", "自动核对", "K3", "header", checked=False),
    ]
    for i, (_k, text) in enumerate(T3_COLUMNS[1:-1]):
        labels.append(Label(T3, f"{col_letter(4 + i)}3", text, style="header"))
    last = T3_FIRST_ROW + len(rows) - 1
    first_result = T3_FIRST_ROW + 2
    labels.append(Label(T3, f"A{first_result}", _RESULT, f"A{last - 1}"))
    groups: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        key, a, group, sub, _short = row
        r = T3_FIRST_ROW + i
        if group is None:
            labels.append(Label(T3, f"A{r}", a, f"C{r}"))
        elif sub is None:
            labels.append(Label(T3, f"B{r}", group, f"C{r}"))
        else:
            groups.setdefault(group, []).append(r)
            labels.append(Label(T3, f"C{r}", sub))
        for c, (ckey, ctext) in enumerate(T3_COLUMNS):
            cells.append(
                CellSpec(
                    t3_key(key, ckey),
                    T3,
                    f"{col_letter(T3_FIRST_COL + c)}{r}",
                    "count",
                    f"表三 {t3_short(row)}·{ctext}",
                )
            )
    for group, spans in groups.items():
        labels.append(Label(T3, f"B{spans[0]}", group, f"B{spans[-1]}"))

    sum_row, bal_row = last + 1, last + 2
    labels.append(
        Label(T3, f"A{sum_row}", "自动核对：（七）总计（第三项各行之和）", f"C{sum_row}", "note", checked=False)
    )
    labels.append(Label(T3, f"A{bal_row}", "自动核对：一＋二＝（七）总计＋四", f"C{bal_row}", "note", checked=False))
    labels.append(Label(T3, f"A{bal_row + 1}", SUSPECT_NOTE, f"K{bal_row + 1}", "note", checked=False))
    return cells, labels


def _table4() -> tuple[list[CellSpec], list[Label]]:
    cells: list[CellSpec] = []
    labels = [
        Label(T4, "A1", "行政复议", "E1", "header"),
        Label(T4, "F1", "行政诉讼", "O1", "header"),
        Label(T4, "F2", "未经复议直接起诉", "J2", "header"),
        Label(T4, "K2", "复议后起诉", "O2", "header"),
    ]
    for g, (gkey, top, sub) in enumerate(T4_GROUPS):
        for i, (leaf, text) in enumerate(T4_LEAVES):
            c = col_letter(g * 5 + i)
            if sub is None:
                labels.append(Label(T4, f"{c}2", text, f"{c}3", "header"))
            else:
                labels.append(Label(T4, f"{c}3", text, style="header"))
            cells.append(CellSpec(t4_key(gkey, leaf), T4, f"{c}4", "count", f"表四 {sub or top}·{text}"))
        first, before = col_letter(g * 5), col_letter(g * 5 + 3)
        labels.append(Label(T4, f"{first}6", f"自动核对：{sub or top}总计", f"{before}6", "note", checked=False))
    labels.append(Label(T4, "A8", SUSPECT_NOTE, "O8", "note", checked=False))
    return cells, labels


TEXT_WIDTH = 140
"""The 文字部分 column: a landscape A4 page wide at 100 %, so one cell prints about 1,900
characters (:func:`validator.textfit.capacity`)."""


def _narrative() -> tuple[list[CellSpec], list[Label]]:
    parts = (
        ("narrative.overview", "一、总体情况"),
        ("narrative.problems", "五、存在的主要问题及改进情况"),
        ("narrative.other_matters", "六、其他需要报告的事项"),
    )
    labels = [
        Label(TEXT, "A1", "文字部分（报告第一、五、六部分）", style="title", checked=False),
        Label(
            TEXT,
            "A2",
            "表二至表四对应报告第二、三、四部分，见各表。单元格内换行按 Alt+Enter（WPS 同）；每部分不超过 32767 字。"
            f"打印本表时每部分一页，至多约 {round(textfit.capacity(TEXT_WIDTH), -2)} 字，更长的请用 xxgk render 生成报告打印。",
            style="note",
            checked=False,
        ),
    ]
    cells = []
    for i, (key, heading) in enumerate(parts):
        labels.append(Label(TEXT, f"A{3 + 2 * i}", heading, style="subtitle"))
        cells.append(CellSpec(key, TEXT, f"A{4 + 2 * i}", "longtext", heading, required=False))
    return cells, labels


CARRY_OVER = tuple((t3_key("carried_in", c), t3_key("carried_forward", c)) for c, _ in T3_COLUMNS)

BASELINE_KEYS = (
    *(t3_key("carried_forward", c) for c, _ in T3_COLUMNS),
    "proactive.rules.in_force",
    "proactive.normative_documents.in_force",
    *(t4_key(g, "pending") for g, *_ in T4_GROUPS),
)


def _baseline(keys: tuple[str, ...] = BASELINE_KEYS) -> tuple[list[CellSpec], list[Label]]:
    labels = [
        Label(BASE, "A1", "上年数据（用于历年核对）", "C1", "title", checked=False),
        Label(
            BASE,
            "A2",
            "由 xxgk new --from 上年报告.json 自动填入；也可照上年已发布的报告手工填写。整页留空则不做历年核对。",
            "C2",
            "note",
            checked=False,
        ),
        Label(BASE, "A4", "上年报告年度"),
        Label(BASE, "A5", "项目", style="header"),
        Label(BASE, "B5", "上年数值", style="header"),
    ]
    cells = [CellSpec("last_year.year", BASE, "B4", "year", "上年数据·上年报告年度", required=False)]
    names = {
        **{t3_key("carried_forward", c): f"表三 四、结转下年度继续办理·{t}" for c, t in T3_COLUMNS},
        "proactive.rules.in_force": "表二 规章·现行有效件数",
        "proactive.normative_documents.in_force": "表二 行政规范性文件·现行有效件数",
        **{t4_key(g, "pending"): f"表四 {sub or top}·尚未审结" for g, top, sub in T4_GROUPS},
    }
    for i, key in enumerate(keys):
        r = 6 + i
        labels.append(Label(BASE, f"A{r}", names[key]))
        cells.append(CellSpec(f"last_year.{key}", BASE, f"B{r}", "count", f"上年数据·{names[key]}", required=False))
    return cells, labels


def _results() -> list[Label]:
    out = [Label(RESULTS, "A1", "校验结果", "I1", "title", checked=False)]
    out += [Label(RESULTS, f"{col_letter(i)}3", c.header, style="header") for i, c in enumerate(results.COLUMNS)]
    return out


# Patterns for TXT-T3: what the overview says about a figure, and which cells it should equal.
# Each pattern's group 1 is the number. Several accepted values cover the common wordings
# (受理 may or may not include last year's carried-in applications).
# A figure as written: 1234 or 1,234 (group 1; the check drops the commas; one branch keeps it fast).
_N = r"(\d+(?:,\d{3})*)"
# A count, not a duration: “15个工作日”, “3天” are time limits.
_UNIT = r"\s*(?:件|份|个|条)(?!\s*(?:工作日|自然日|日|天|月|小时|百分点))"
# Words that make “受理……申请” about something else (复议、诉讼、咨询、信访…), not 表三.
_OTHER = r"(?!复议|诉讼|咨询|信访|投诉|举报)"
_OTHER_TIME = r"(?!时限|期限|平均|用时|时间)"

TEXT_PATTERNS = {
    "received": {
        "what": "本年新收（受理）申请",
        "words": ["新收", "收到", "受理", "接收"],
        "patterns": [
            rf"(?:新收|收到|受理|接收)(?:{_OTHER}[^，。；：\d]){{0,16}}?(?:政府信息公开)?申请[^，。；\d]{{0,6}}?{_N}{_UNIT}",
            rf"(?:新收|收到|受理|接收)(?:各类)?{_N}{_UNIT}(?:政府信息公开)?申请",
        ],
        "equals": [["applications.new.total"], ["applications.new.total", "applications.carried_in.total"]],
    },
    "concluded": {
        "what": "办结申请",
        "words": ["办结", "答复", "完成办理"],
        "patterns": [rf"(?:办结|答复|完成办理)(?:{_OTHER_TIME}[^，。；\d]){{0,10}}?{_N}{_UNIT}"],
        "equals": [["applications.results_total.total"]],
    },
    "carried_forward": {
        "what": "结转下年度办理的申请",
        "words": ["结转", "顺延"],
        "patterns": [
            rf"结转(?:下年度|至下年|到下年|下一年度|至\d{{4}}年)[^，。；\d]{{0,10}}?{_N}{_UNIT}",
            # the number's first digit, not glued to a digit, point or comma before it: a pattern that
            # starts with a digit lets the regex engine skip to digits instead of trying every position
            r"(\d(?<![\d.,]\d)\d*(?:,\d{3})*)\s*件(?:申请)?(?:结转|顺延)(?:至|到)?(?:下一?年度?|\d{4}\s*年)",
        ],
        "equals": [["applications.carried_forward.total"]],
    },
    "review": {
        "what": "行政复议",
        "words": ["行政复议"],
        "patterns": [rf"行政复议(?:案件|申请)?[^，。；\d]{{0,6}}?{_N}\s*(?:件|起|宗|个)"],
        "equals": [["review_litigation.review.total"]],
    },
    "litigation": {
        "what": "行政诉讼",
        "words": ["行政诉讼"],
        "patterns": [rf"行政诉讼(?:案件)?[^，。；\d]{{0,6}}?{_N}\s*(?:件|起|宗|个)"],
        "equals": [["review_litigation.litigation_direct.total", "review_litigation.litigation_after_review.total"]],
    },
}

# 条例第四十九条: (month, day) in the year after the report year, per body type.
DEADLINES = {"部门": (1, 31), "政府": (3, 31), "乡镇": None}
DEADLINE_WHO = {"部门": "县级以上人民政府部门", "政府": "县级以上人民政府"}
FIRST_YEAR = 2021


# --------------------------------------------------------------------------- rules


SUSPECT_NOTE = (
    "紫色格：可能填错——该格所在的各项自动核对都相差同一个数，一处填错时就是这一格；改正后这些核对同时变为“正确”。"
)
"""The legend under 表三 and 表四 (the marks are :func:`validator.formats.live.live_marks`)."""


def t3_relations(rows: tuple = T3_ROWS) -> tuple[list[Relation], list[Relation], list[Relation]]:
    """The relations of T3-COL-TOTAL, T3-RESULT-SUM and T3-BALANCE for the given 表三 rows, each
    shown live: beside its row (column K), or under its column (the two rows after the table)."""
    keys = [row[0] for row in rows]
    result_keys = keys[2 : keys.index("results_total")]
    sum_row = T3_FIRST_ROW + len(rows)
    by_row = [
        Relation(
            tuple(t3_key(row[0], c) for c in T3_APPLICANTS),
            "==",
            (t3_key(row[0], "total"),),
            t3_short(row),
            live=f"K{T3_FIRST_ROW + i}",
            names=("各列之和", "总计"),
        )
        for i, row in enumerate(rows)
    ]
    by_column = [
        Relation(
            tuple(t3_key(r, c) for r in result_keys),
            "==",
            (t3_key("results_total", c),),
            text,
            live=f"{col_letter(T3_FIRST_COL + i)}{sum_row}",
            names=("各项之和", "（七）"),
        )
        for i, (c, text) in enumerate(T3_COLUMNS)
    ]
    balance = [
        Relation(
            (t3_key("new", c), t3_key("carried_in", c)),
            "==",
            (t3_key("results_total", c), t3_key("carried_forward", c)),
            text,
            blame=(t3_key("carried_forward", c), t3_key("results_total", c), t3_key("new", c), t3_key("carried_in", c)),
            live=f"{col_letter(T3_FIRST_COL + i)}{sum_row + 1}",
            names=("一＋二", "（七）＋四"),
        )
        for i, (c, text) in enumerate(T3_COLUMNS)
    ]
    return by_row, by_column, balance


UNABLE_LIMIT = Relation(
    (t3_key("new", "total"), t3_key("carried_in", "total")),
    ">=",
    tuple(t3_key(f"unable_to_provide.{k}", "total") for k in ("not_held", "needs_creation", "still_unclear")),
    "（四）无法提供",
)
"""T3-UNABLE-LIMIT. Not shown live: with every figure non-negative it follows from the three
equalities above (（四） ≤ （七） ≤ 一＋二), so it never fails on a sheet whose checks all read 正确."""


def _t2_rows() -> dict[str, int]:
    """The sheet row (1-based) of each 表二 figure row, by its key prefix."""
    return {c.key.rsplit(".", 1)[0]: split_ref(c.ref)[0] + 1 for c in _table2()[0]}


def _t4_sum(group: str, what: str) -> Relation:
    return Relation(
        tuple(t4_key(group, leaf) for leaf, _ in T4_LEAVES[:-1]),
        "==",
        (t4_key(group, "total"),),
        what,
        live=f"{t4_ref(group, 'total')[0]}6",
        names=("各项之和", "总计"),
    )


def _t4_examples(group: str) -> tuple:
    return (
        fires({t4_key(group, "total"): 1}),
        passes({t4_key(group, "upheld"): 1, t4_key(group, "total"): 1}),
    )


EXAMPLE = {
    "body.name": "某某县人民政府办公室",
    "body.type": "部门",
    "year": 2023,
    "published_on": "2024-01-20",
    "body.region_code": "141000",
    "narrative.overview": "本年度共收到政府信息公开申请0件。",
    "narrative.problems": "存在的主要问题：公开内容还不够全面。改进措施：加强业务培训。",
    "narrative.other_matters": "本年度未收取信息处理费，未发出收费通知。",
}
"""The report every rule's examples start from (its figures are all 0); every rule passes it."""


def _rules() -> tuple[Rule, ...]:
    t3_rows, t3_cols, t3_balance = t3_relations()
    rows = _t2_rows()
    stock = [(text, base, rows[base]) for text, base in T2_BLOCKS[0][2]]
    np = t3_key("new", "natural_person")
    year_end = {"year": 2023, "published_on": "2024-01-20"}

    return (
        Rule(
            "VAL-EMPTY",
            "error",
            "表内",
            "数字单元格不得留空",
            "{label}{hint}；没有数据请填 0，不要留空或填“/”“—”",
            "cell_values",
            examples=(fires({np: None}), fires({np: "/"}), passes({np: 0})),
        ),
        Rule(
            "VAL-INT",
            "error",
            "表内",
            "件数为非负整数",
            "{label}应为非负整数（件数），现为“{actual}”{hint}",
            "cell_values",
            examples=(fires({np: "3件"}), fires({np: -1}), passes({np: 3})),
        ),
        Rule(
            "VAL-FEE",
            "error",
            "表内",
            "收费金额为非负数（万元）",
            "{label}应为非负数（单位：万元，可带小数），现为“{actual}”{hint}",
            "cell_values",
            examples=(
                fires({"proactive.fees.amount_wan_yuan": "-3"}),
                passes({"proactive.fees.amount_wan_yuan": "1.5"}),
            ),
        ),
        Rule(
            "VAL-TEXT",
            "warning",
            "表内",
            "数字以数值格式填写，不是文本",
            "{label}的“{actual}”是文本格式的数字：Excel 的求和与表中的自动核对不计入文本，"
            "请把单元格设为“常规”后重新输入数字",
            "text_figures",
            examples=(fires({np: "0"}, workbook=True), passes({np: 0}, workbook=True)),
        ),
        Rule(
            "META-BODY",
            "error",
            "基本信息",
            "填写机关名称",
            "封面未填写机关名称",
            "meta_body",
            examples=(fires({"body.name": " "}), passes({"body.name": "某某县人民政府"})),
        ),
        Rule(
            "META-TYPE",
            "error",
            "基本信息",
            "机关类型为政府、部门或乡镇",
            "机关类型应为“政府”“部门”或“乡镇”之一，现为“{actual}”{hint}",
            "meta_type",
            examples=(fires({"body.type": "事业单位"}), passes({"body.type": "乡镇"})),
        ),
        Rule(
            "META-YEAR",
            "error",
            "基本信息",
            "报告年度有效",
            "报告年度应为 {first} 年或以后的四位年份（本格式自 {first} 年度报告起施行），现为“{actual}”",
            "meta_year",
            {"first": FIRST_YEAR},
            examples=(fires({"year": 2018}), passes({"year": 2021, "published_on": "2022-01-20"})),
        ),
        Rule(
            "META-DATE",
            "error",
            "基本信息",
            "发布日期有效且在年度结束之后",
            "发布日期{problem}，现为“{actual}”",
            "meta_date",
            examples=(
                fires({**year_end, "published_on": "2023-12-20"}),
                fires({"published_on": "下个月"}),
                passes({**year_end, "published_on": "2024-01-02"}),
            ),
        ),
        Rule(
            "META-REGION",
            "warning",
            "基本信息",
            "行政区划代码为 6 位或 12 位数字",
            "行政区划代码应为 6 位（县级以上）或 12 位（乡镇、街道）数字，现为“{actual}”",
            "meta_region",
            examples=(fires({"body.region_code": "14102"}), passes({"body.region_code": "141024100000"})),
        ),
        Rule(
            "META-CREDIT",
            "error",
            "基本信息",
            "统一社会信用代码符合 GB 32100-2015",
            "统一社会信用代码{problem}，现为“{actual}”",
            "meta_credit",
            examples=(
                fires({"body.credit_code": "91440300708461136X"}),
                passes({"body.credit_code": "91440300708461136T"}),
            ),
        ),
        Rule(
            "DATE-DEADLINE",
            "warning",
            "基本信息",
            "按条例第四十九条的期限发布",
            "{problem}",
            "date_deadline",
            {"deadlines": DEADLINES, "who": DEADLINE_WHO},
            examples=(
                fires({**year_end, "body.type": "部门", "published_on": "2024-02-15"}),
                fires({**year_end, "published_on": None}),
                passes({**year_end, "body.type": "政府", "published_on": "2024-02-15"}),
            ),
        ),
        Rule(
            "T3-COL-TOTAL",
            "error",
            "表内",
            "表三每行总计等于六类申请人之和",
            "表三“{what}”行的总计应为 {expected}（自然人至其他六列之和），现为 {actual}",
            "linear",
            relations=tuple(t3_rows),
            examples=(
                fires({t3_key("new", "total"): 1}),
                passes({np: 1, t3_key("new", "total"): 1}),
            ),
        ),
        Rule(
            "T3-RESULT-SUM",
            "error",
            "表内",
            "表三（七）总计等于办理结果各行之和",
            "表三“（七）总计”的{what}列应为 {expected}（（一）至（六）各行之和），现为 {actual}",
            "linear",
            relations=tuple(t3_cols),
            examples=(
                fires({t3_key("results_total", "natural_person"): 1}),
                passes({t3_key("granted", "natural_person"): 1, t3_key("results_total", "natural_person"): 1}),
            ),
        ),
        Rule(
            "T3-BALANCE",
            "error",
            "表内",
            "表三勾稽关系：一＋二＝三（七）＋四",
            "表三{what}列不符合勾稽关系：一＋二＝{expected}，而（七）总计＋四＝{actual}",
            "linear",
            relations=tuple(t3_balance),
            examples=(
                fires({t3_key("carried_forward", "natural_person"): 1}),
                passes(
                    {
                        t3_key("carried_in", "natural_person"): 1,
                        t3_key("carried_forward", "natural_person"): 1,
                    }
                ),
            ),
        ),
        Rule(
            "T3-UNABLE-LIMIT",
            "warning",
            "表内",
            "表三（四）无法提供的总计不超过一＋二",
            "表三“（四）无法提供”三项的总计之和为 {actual}，超过“一、本年新收”与“二、上年结转”的总计之和 {expected}，请核实",
            "linear",
            relations=(UNABLE_LIMIT,),
            examples=(
                fires({t3_key("unable_to_provide.needs_creation", "total"): 1}),
                passes({t3_key("unable_to_provide.needs_creation", "total"): 1, t3_key("carried_in", "total"): 1}),
            ),
        ),
        Rule(
            "T4-SUM-REVIEW",
            "error",
            "表内",
            "表四行政复议总计等于四项结果之和",
            "表四“{what}”的总计应为 {expected}（结果维持、结果纠正、其他结果、尚未审结之和），现为 {actual}",
            "linear",
            relations=(_t4_sum("review", "行政复议"),),
            examples=_t4_examples("review"),
        ),
        Rule(
            "T4-SUM-LIT-DIRECT",
            "error",
            "表内",
            "表四未经复议直接起诉总计等于四项结果之和",
            "表四“{what}”的总计应为 {expected}（结果维持、结果纠正、其他结果、尚未审结之和），现为 {actual}",
            "linear",
            relations=(_t4_sum("litigation_direct", "行政诉讼·未经复议直接起诉"),),
            examples=_t4_examples("litigation_direct"),
        ),
        Rule(
            "T4-SUM-LIT-AFTER",
            "error",
            "表内",
            "表四复议后起诉总计等于四项结果之和",
            "表四“{what}”的总计应为 {expected}（结果维持、结果纠正、其他结果、尚未审结之和），现为 {actual}",
            "linear",
            relations=(_t4_sum("litigation_after_review", "行政诉讼·复议后起诉"),),
            examples=_t4_examples("litigation_after_review"),
        ),
        Rule(
            "T2-VALID-FLOOR",
            "warning",
            "表内",
            "现行有效件数不少于本年制发减本年废止",
            "表二“{what}”现行有效件数 {actual} 少于本年制发减本年废止（{expected}），请核实",
            "linear",
            relations=tuple(
                Relation(
                    (f"{base}.issued", f"-{base}.repealed"),
                    "<=",
                    (f"{base}.in_force",),
                    text,
                    live=f"E{row}",
                    names=("制发减废止", "现行有效"),
                )
                for text, base, row in stock
            ),
            examples=(
                fires({"proactive.rules.issued": 3}),
                passes({"proactive.rules.issued": 3, "proactive.rules.repealed": 1, "proactive.rules.in_force": 2}),
            ),
        ),
        Rule(
            "XY-YEAR",
            "error",
            "历年",
            "上年数据为上一年度",
            "上年数据的年度应为 {expected}，现为 {actual}",
            "xy_year",
            examples=(fires({**year_end, "last_year.year": 2021}), passes({**year_end, "last_year.year": 2022})),
        ),
        Rule(
            "XY-T3-CARRY",
            "error",
            "历年",
            "本年上年结转等于上年结转下年度",
            "表三{what}列“二、上年结转”应等于上年报告“四、结转下年度继续办理”的 {expected}，现为 {actual}",
            "linear",
            relations=tuple(
                Relation((f"last_year.{last}",), "==", (this,), text, blame=(this, f"last_year.{last}"))
                for (this, last), (_c, text) in zip(CARRY_OVER, T3_COLUMNS)
            ),
            examples=(
                fires({f"last_year.{t3_key('carried_forward', 'total')}": 2}),
                passes({f"last_year.{t3_key('carried_forward', 'total')}": 0}),
            ),
        ),
        Rule(
            "XY-T2-VALID",
            "warning",
            "历年",
            "现行有效件数＝上年现行有效＋本年制发－本年废止",
            "表二“{what}”现行有效件数应为 {expected}（上年 {left[0]}＋本年制发 {left[1]}－本年废止 {left[2]}），"
            "现为 {actual}；如有失效、修改请在情况说明中写明",
            "linear",
            relations=tuple(
                Relation(
                    (f"last_year.{base}.in_force", f"{base}.issued", f"-{base}.repealed"),
                    "==",
                    (f"{base}.in_force",),
                    text,
                    blame=(f"{base}.in_force", f"last_year.{base}.in_force"),
                )
                for text, base, _row in stock
            ),
            examples=(
                fires({"last_year.proactive.rules.in_force": 5}),
                passes({"last_year.proactive.rules.in_force": 5, "proactive.rules.in_force": 5}),
            ),
        ),
        Rule(
            "XY-T4-PENDING",
            "warning",
            "历年",
            "上年尚未审结的案件在本年有结果",
            "上年“{what}”尚未审结 {last} 件，而本年表四该项全部为 0；上年未审结的案件审结后应计入本年",
            "xy_pending",
            {
                "groups": [
                    {
                        "what": sub or top,
                        "pending": t4_key(g, "pending"),
                        "cells": [t4_key(g, leaf) for leaf, _ in T4_LEAVES],
                    }
                    for g, top, sub in T4_GROUPS
                ]
            },
            examples=(
                fires({f"last_year.{t4_key('review', 'pending')}": 2}),
                passes(
                    {
                        f"last_year.{t4_key('review', 'pending')}": 2,
                        t4_key("review", "upheld"): 2,
                        t4_key("review", "total"): 2,
                    }
                ),
            ),
        ),
        Rule(
            "TXT-MISSING",
            "warning",
            "文本",
            "文字部分已填写",
            "“{what}”未填写",
            "text_present",
            {"keys": ["narrative.overview", "narrative.problems", "narrative.other_matters"]},
            examples=(fires({"narrative.problems": ""}), passes({"narrative.problems": "无。"})),
        ),
        Rule(
            "TXT-LONG",
            "warning",
            "文本",
            "文字部分每部分能在一个单元格内打印完整",
            "“{what}”共 {chars} 字，超过一个单元格能打印的长度（约 {limit} 字），直接打印“文字部分”表时超出部分会被截去"
            "（内容本身完整保存，导出不受影响）；需要打印请用 xxgk render 生成 Word 或 PDF 报告",
            "text_prints",
            {"keys": ["narrative.overview", "narrative.problems", "narrative.other_matters"]},
            examples=(
                fires({"narrative.problems": "整改措施。" * 600}, workbook=True),
                passes({"narrative.problems": "整改措施。" * 60}, workbook=True),
                passes({"narrative.problems": "整改措施。" * 600}),
            ),
        ),
        Rule(
            "TXT-T3",
            "warning",
            "文本",
            "总体情况中的数字与表格一致",
            "“一、总体情况”写“{quote}”，{what}为 {actual}，而表格为 {expected}；如统计口径不同请在情况说明中写明",
            "text_numbers",
            {"key": "narrative.overview", "patterns": TEXT_PATTERNS},
            examples=(
                fires({"narrative.overview": "本年度共收到政府信息公开申请5件。"}),
                passes(
                    {
                        "narrative.overview": "本年度共收到政府信息公开申请5件。",
                        np: 5,
                        t3_key("new", "total"): 5,
                    }
                ),
            ),
        ),
        Rule(
            "SEC5-CONTENT",
            "warning",
            "文本",
            "第五部分写明问题和改进措施",
            "“五、存在的主要问题及改进情况”应写明存在的问题和改进措施（未见“{missing}”等字样）",
            "sec5_content",
            {
                "key": "narrative.problems",
                "needs": [
                    ["问题/不足", ["问题", "不足", "短板", "差距"]],
                    ["改进/措施", ["改进", "措施", "整改", "加强", "下一步"]],
                ],
            },
            examples=(
                fires({"narrative.problems": "今年工作做得很好。"}),
                passes({"narrative.problems": "存在不足：培训偏少。下一步：加强培训。"}),
            ),
        ),
        Rule(
            "SEC6-FEE",
            "warning",
            "文本",
            "第六部分说明信息处理费收取情况",
            "“六、其他需要报告的事项”未说明信息处理费收取情况（依据《政府信息公开信息处理费管理办法》，没有收费也应写明）",
            "sec6_fee",
            {"key": "narrative.other_matters", "word": "处理费"},
            examples=(
                fires({"narrative.other_matters": "本报告电子版可从门户网站下载。"}),
                passes({"narrative.other_matters": "本年度未收取信息处理费。"}),
            ),
        ),
        Rule(
            "SEC6-FEE-T3",
            "warning",
            "表间",
            "因未缴费终止的申请与收费说明一致",
            "表三“（六）2.申请人逾期未按收费通知要求缴纳费用”共 {actual} 件，说明发出过收费通知，"
            "而第六部分写明未收费或未提及收费通知",
            "sec6_fee_t3",
            {
                "key": t3_key("other_handling.fee_unpaid", "total"),
                "text": "narrative.other_matters",
                "word": "收费通知",
            },
            examples=(
                fires(
                    {
                        t3_key("other_handling.fee_unpaid", "total"): 1,
                        "narrative.other_matters": "本年度未收取信息处理费。",
                    }
                ),
                passes({t3_key("other_handling.fee_unpaid", "total"): 1}),
            ),
        ),
        Rule(
            "XY-BODY",
            "error",
            "历年",
            "上年报告与本年报告为同一机关",
            "上年报告（{source}）是{last}的，本年报告是{this}的；历年核对须用同一机关的上年报告"
            "（机构更名的，可在规则配置中将 XY-BODY 改为提示）",
            "xy_body",
            examples=(fires({}, last_year={"body.name": "另一县人民政府"}), passes({}, last_year={})),
        ),
        Rule(
            "XY-INCOMPLETE",
            "warning",
            "历年",
            "上年数据完整",
            "上年数据中有 {count} 项为空（{names}），相应的历年核对未进行",
            "xy_incomplete",
            examples=_incomplete_examples(BASELINE_KEYS),
        ),
    )


def _incomplete_examples(keys: tuple[str, ...]) -> tuple:
    whole = {"last_year.year": 2022, **{f"last_year.{k}": 0 for k in keys}}
    return fires({**whole, f"last_year.{keys[0]}": None}), passes(whole)


def build() -> FormatSpec:
    cover_cells, cover_labels = _cover()
    t2_cells, t2_labels = _table2()
    t3_cells, t3_labels = _table3()
    t4_cells, t4_labels = _table4()
    text_cells, text_labels = _narrative()
    base_cells, base_labels = _baseline()
    cells = (*cover_cells, *t2_cells, *t3_cells, *t4_cells, *text_cells)
    rules = _rules()
    sheets = (
        SheetSpec(COVER, "封面与填写说明", (("A", 22), ("B", 30), ("C", 24), ("D", 60)), landscape=False),
        SheetSpec(T2, "二、主动公开政府信息情况", (("A", 24), ("B", 16), ("C", 16), ("D", 16), ("E", 34))),
        SheetSpec(
            T3,
            "三、收到和处理政府信息公开申请情况",
            (("A", 12), ("B", 14), ("C", 34), *((col_letter(c), 9) for c in range(3, 10)), ("K", 30)),
            row_heights=((1, 30), (2, 24), (3, 36)),
            freeze=(3, 3),
        ),
        SheetSpec(
            T4,
            "四、政府信息公开行政复议、行政诉讼情况",
            tuple((col_letter(c), 8.5) for c in range(15)),
            row_heights=((3, 30),),
            freeze=(3, 0),
        ),
        SheetSpec(TEXT, "一、五、六部分文字", (("A", TEXT_WIDTH),)),
        SheetSpec(BASE, "上年数据", (("A", 44), ("B", 14), ("C", 30)), landscape=False),
        SheetSpec(
            RESULTS, "校验结果", tuple((col_letter(i), c.width) for i, c in enumerate(results.COLUMNS)), freeze=(3, 0)
        ),
    )
    return FormatSpec(
        id=FORMAT_ID,
        name="国办公开办函〔2021〕30号",
        template_version=1,
        marker_cell=(COVER, "B10"),
        version_cell=(COVER, "B11"),
        status_cell=(COVER, "B13"),
        status_merge_to="D13",
        sheets=sheets,
        cells=cells,
        labels=(*cover_labels, *t2_labels, *t3_labels, *t4_labels, *text_labels, *base_labels, *_results()),
        rules=rules,
        results_sheet=RESULTS,
        results_header_row=3,
        baseline_keys=BASELINE_KEYS,
        baseline_cells=tuple(base_cells),
        carry_over=CARRY_OVER,
        first_year=FIRST_YEAR,
        matrices=(Matrix("表三", "applications", tuple((row[0], t3_short(row)) for row in T3_ROWS), T3_COLUMNS),),
        example=EXAMPLE,
    )
