"""Check functions the rules name in their ``check`` field.

Each takes the engine's :class:`~validator.engine.Context` and the rule (its params say
which cells) and yields findings. A check skips any group whose cells failed the cell
checks: a sum over a blank or “3件” cell proves nothing, and that cell already has its own
finding.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import replace
from collections.abc import Callable, Iterator
from functools import cache
from typing import TYPE_CHECKING

from validator.report import CellRef, Finding
from validator.spec import Rule
from validator.values import body_type_hint, date_problem, display, to_text, to_year

if TYPE_CHECKING:
    from validator.engine import Context

Check = Callable[["Context", Rule], Iterator[Finding]]
REGISTRY: dict[str, Check] = {}


def check(name: str) -> Callable[[Check], Check]:
    def register(fn: Check) -> Check:
        REGISTRY[name] = fn
        return fn

    return register


@check("cell_values")
def cell_values(ctx: Context, rule: Rule) -> Iterator[Finding]:
    for key, problem in ctx.problems.items():
        if problem.rule == rule.id:
            yield ctx.finding(rule, [key], expected=None, actual=problem.actual, hint=problem.hint)


@check("text_figures")
def text_figures(ctx: Context, rule: Rule) -> Iterator[Finding]:
    """Figures read from text cells (“3” typed as text): Excel's SUM and the template's live
    checks skip text, so the sheet would disagree with this tool (JSON figures are typed)."""
    if ctx.submission.origin != "workbook":
        return
    for key in ctx.figures:
        raw = ctx.raw(key)
        if isinstance(raw, str):
            yield ctx.finding(rule, [key], actual=display(raw))


# --------------------------------------------------------------------------- 基本信息


@check("meta_body")
def meta_body(ctx: Context, rule: Rule) -> Iterator[Finding]:
    if not ctx.text("body.name").strip():
        yield ctx.finding(rule, ["body.name"], actual="")


@check("meta_type")
def meta_type(ctx: Context, rule: Rule) -> Iterator[Finding]:
    choices = ctx.format.cell("body.type").choices
    if ctx.body_type not in choices:
        found = ctx.finding(rule, ["body.type"], expected="、".join(choices), actual=display(ctx.raw("body.type")),
                            hint=body_type_hint(ctx.body_type))
        if not ctx.body_type:  # “现为“空白”” reads like a type named 空白
            names = "”“".join(choices[:-1]) + "”或“" + choices[-1]
            found = replace(found, message=f"机关类型未填写：应为“{names}”之一")
        yield found


@check("meta_year")
def meta_year(ctx: Context, rule: Rule) -> Iterator[Finding]:
    year = ctx.year
    if year is None or not 2021 <= year <= ctx.today.year:
        yield ctx.finding(rule, ["year"], actual=display(ctx.raw("year")))


@check("meta_date")
def meta_date(ctx: Context, rule: Rule) -> Iterator[Finding]:
    raw = ctx.raw("published_on")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return
    date = ctx.published_on
    if date is None:
        yield ctx.finding(rule, ["published_on"], actual=display(raw), problem=date_problem(raw))
    elif ctx.year is not None and date < dt.date(ctx.year + 1, 1, 1):
        yield ctx.finding(rule, ["published_on"], expected=f"{ctx.year + 1}-01-01 或以后", actual=date.isoformat(),
                          problem=f"不应早于 {ctx.year + 1} 年 1 月 1 日（{ctx.year} 年度结束后才能发布年度报告）")


@check("date_deadline")
def date_deadline(ctx: Context, rule: Rule) -> Iterator[Finding]:
    year, body_type = ctx.year, ctx.body_type
    if year is None:
        return
    raw = ctx.raw("published_on")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        yield ctx.finding(rule, ["published_on"], actual="", problem="未填写发布日期，无法核对是否按条例第四十九条规定的期限发布")
        return
    date = ctx.published_on
    deadlines = {**ctx.format.deadlines, **ctx.profile.deadlines}
    month_day = deadlines.get(body_type)
    if date is None or month_day is None:
        return
    deadline = dt.date(year + 1, *month_day)
    if date > deadline:
        who = {"部门": "县级以上人民政府部门", "政府": "县级以上人民政府"}.get(body_type, body_type)
        yield ctx.finding(
            rule, ["published_on"], expected=deadline.isoformat(), actual=date.isoformat(),
            problem=f"发布日期 {date.isoformat()} 晚于{who}年度报告的发布期限 {deadline.isoformat()}（条例第四十九条）")


@check("meta_region")
def meta_region(ctx: Context, rule: Rule) -> Iterator[Finding]:
    code = ctx.text("body.region_code").strip()
    if code and not re.fullmatch(r"\d{6}|\d{12}", code):
        yield ctx.finding(rule, ["body.region_code"], actual=code)


@check("meta_credit")
def meta_credit(ctx: Context, rule: Rule) -> Iterator[Finding]:
    from validator.credit_code import problem

    code = ctx.text("body.credit_code").strip()
    why = problem(code) if code else None
    if why:
        yield ctx.finding(rule, ["body.credit_code"], actual=code, problem=why)


# --------------------------------------------------------------------------- arithmetic


@check("sum")
def sum_equals(ctx: Context, rule: Rule) -> Iterator[Finding]:
    figures = ctx.figures
    for group in rule.params["groups"]:
        total, parts = group["total"], group["parts"]
        try:
            expected = sum(map(figures.__getitem__, parts))
            actual = figures[total]
        except KeyError:  # a cell with its own VAL-* finding: the sum proves nothing
            continue
        if actual != expected:
            yield ctx.finding(rule, [total], expected, actual, what=group["what"])


@check("balance")
def balance(ctx: Context, rule: Rule) -> Iterator[Finding]:
    figures = ctx.figures
    for group in rule.params["groups"]:
        left, right = group["left"], group["right"]
        try:
            lhs = sum(map(figures.__getitem__, left))
            rhs = sum(map(figures.__getitem__, right))
        except KeyError:
            continue
        if lhs != rhs:
            yield ctx.finding(rule, [*reversed(right), *left], lhs, rhs, what=group["what"])


@check("valid_floor")
def valid_floor(ctx: Context, rule: Rule) -> Iterator[Finding]:
    for g in rule.params["groups"]:
        if not ctx.has(g["issued"], g["repealed"], g["in_force"]):
            continue
        floor = ctx.figures[g["issued"]] - ctx.figures[g["repealed"]]
        if ctx.figures[g["in_force"]] < floor:
            yield ctx.finding(rule, [g["in_force"]], floor, ctx.figures[g["in_force"]], what=g["what"])


# --------------------------------------------------------------------------- 历年


def _last(key: str) -> str:
    return f"last_year.{key}"


@check("xy_year")
def xy_year(ctx: Context, rule: Rule) -> Iterator[Finding]:
    last_year = to_year(ctx.raw("last_year.year"))
    if ctx.raw("last_year.year") in (None, "") or ctx.year is None:
        return
    if last_year != ctx.year - 1:
        yield ctx.finding(rule, ["last_year.year"], ctx.year - 1, display(ctx.raw("last_year.year")))


@check("xy_equal")
def xy_equal(ctx: Context, rule: Rule) -> Iterator[Finding]:
    for g in rule.params["groups"]:
        this, last = g["this"], _last(g["last"])
        if ctx.has(this, last) and ctx.figures[this] != ctx.figures[last]:
            yield ctx.finding(rule, [this, last], ctx.figures[last], ctx.figures[this], what=g["what"])


@check("xy_valid")
def xy_valid(ctx: Context, rule: Rule) -> Iterator[Finding]:
    for g in rule.params["groups"]:
        last = _last(g["in_force"])
        if not ctx.has(last, g["issued"], g["repealed"], g["in_force"]):
            continue
        f = ctx.figures
        expected = f[last] + f[g["issued"]] - f[g["repealed"]]
        if f[g["in_force"]] != expected:
            yield ctx.finding(rule, [g["in_force"], last], expected, f[g["in_force"]], what=g["what"],
                              last=f[last], issued=f[g["issued"]], repealed=f[g["repealed"]])


@check("xy_pending")
def xy_pending(ctx: Context, rule: Rule) -> Iterator[Finding]:
    for g in rule.params["groups"]:
        last = _last(g["pending"])
        if not ctx.has(last, *g["cells"]) or ctx.figures[last] == 0:
            continue
        if all(ctx.figures[k] == 0 for k in g["cells"]):
            yield ctx.finding(rule, [g["cells"][-1], last], None, 0, what=g["what"], last=ctx.figures[last])


def _body(values: dict[str, object]) -> tuple[str, str, str]:
    """(name, type, region code) as compared across years: spacing and full-width forms ignored."""
    return tuple(unicodedata.normalize("NFKC", "".join(to_text(values.get(k)).split()))  # type: ignore[return-value]
                 for k in ("body.name", "body.type", "body.region_code"))


def _body_zh(body: tuple[str, str, str]) -> str:
    name, kind, region = body
    return f"“{name or '（未填写）'}”（{kind or '类型未填写'}{'，' + region if region else ''}）"


@check("xy_body")
def xy_body(ctx: Context, rule: Rule) -> Iterator[Finding]:
    """A --last-year report of another body would make every XY result meaningless."""
    if ctx.last_year is None:
        return
    this, last = _body(ctx.submission.values), _body(ctx.last_year.values)
    differs = [i for i in range(3) if this[i] and last[i] and this[i] != last[i]]
    if differs:
        keys = [("body.name", "body.type", "body.region_code")[i] for i in differs]
        yield ctx.finding(rule, keys, _body_zh(this), _body_zh(last), this=_body_zh(this), last=_body_zh(last),
                          source=ctx.last_year.source or "上年报告")


@check("xy_incomplete")
def xy_incomplete(ctx: Context, rule: Rule) -> Iterator[Finding]:
    """Blank 上年数据 cells make the XY rules skip silently; say which ones."""
    if not ctx.submission.has_baseline():
        return
    blank = [c for c in ctx.format.baseline_cells if to_text(ctx.raw(c.key)).strip() == ""]
    if blank:
        names = "、".join(c.label.removeprefix("上年数据·") for c in blank[:3]) + ("等" if len(blank) > 3 else "")
        yield ctx.finding(rule, [c.key for c in blank], None, None, count=len(blank), names=names)


# --------------------------------------------------------------------------- 文本


@check("text_present")
def text_present(ctx: Context, rule: Rule) -> Iterator[Finding]:
    for key in rule.params["keys"]:
        if not ctx.text(key).strip():
            yield ctx.finding(rule, [key], actual="", what=ctx.format.cell(key).label)


@check("text_numbers")
def text_numbers(ctx: Context, rule: Rule) -> Iterator[Finding]:
    """Figures the overview quotes against what the table *should* hold: a located typo in the
    table is corrected first (the narrative may be the right one), and a figure whose cells sit
    in an unresolved failing sum is not compared at all. The finding marks the narrative cell,
    never a table cell the arithmetic rules found correct."""
    from validator.localize import localize

    text = ctx.text("narrative.overview")
    if not text.strip():
        return
    loc = localize(ctx)
    figures = loc.corrected
    seen: set[tuple[str, int]] = set()
    for name, spec in ctx.format.text_patterns.items():
        options = [keys for keys in spec["equals"] if ctx.has(*keys) and loc.unresolved.isdisjoint(keys)]
        if not options:
            continue
        allowed = {sum(figures[k] for k in keys) for keys in options}
        for m in (m for pattern in spec["patterns"] for m in _compiled(pattern).finditer(text)):
            quoted = int(m.group(1).replace(",", ""))  # 1,234件
            if quoted in allowed or (name, quoted) in seen:
                continue
            seen.add((name, quoted))
            keys = options[0]
            found = ctx.finding(rule, keys, sum(figures[k] for k in keys), quoted, what=spec["what"], quote=m.group(0))
            yield replace(found, marked=(CellRef(ctx.format.cell("narrative.overview").a1, "narrative.overview"),))


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


_PROBLEM_WORDS = ("问题", "不足", "短板", "差距")
_REMEDY_WORDS = ("改进", "措施", "整改", "加强", "下一步")


@check("sec5_content")
def sec5_content(ctx: Context, rule: Rule) -> Iterator[Finding]:
    text = ctx.text("narrative.problems")
    if not text.strip():
        return
    missing = []
    if not any(w in text for w in _PROBLEM_WORDS):
        missing.append("问题/不足")
    if not any(w in text for w in _REMEDY_WORDS):
        missing.append("改进/措施")
    if missing:
        yield ctx.finding(rule, ["narrative.problems"], missing="”“".join(missing))


@check("sec6_fee")
def sec6_fee(ctx: Context, rule: Rule) -> Iterator[Finding]:
    text = ctx.text("narrative.other_matters")
    if text.strip() and "处理费" not in text:
        yield ctx.finding(rule, ["narrative.other_matters"])


@check("sec6_fee_t3")
def sec6_fee_t3(ctx: Context, rule: Rule) -> Iterator[Finding]:
    key = rule.params["key"]
    if not ctx.has(key) or ctx.figures[key] == 0:
        return
    text = ctx.text("narrative.other_matters")
    if "收费通知" not in text:
        yield ctx.finding(rule, [key, "narrative.other_matters"], None, ctx.figures[key])
