"""Check functions the rules name in their ``check`` field.

Each takes the :class:`~validator.context.Context` of one report and the rule (its params say
which cells) and yields findings. A check skips any group whose cells failed the cell
checks: a sum over a blank or “3件” cell proves nothing, and that cell already has its own
finding.

Each check declares, when registered, the type of its ``params`` (a TypedDict; cell keys typed
:data:`CellKey`, last year's keys :data:`BaselineKey`) and the extra fields its messages get
besides ``label``, ``expected`` and ``actual``: :func:`rule_problems` checks a format's rules
against these declarations, so a typo in a format module fails a test, not a report.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import cache
from typing import TYPE_CHECKING, Any, NewType, TypedDict, get_args, get_origin, get_type_hints

from validator import textfit
from validator.credit_code import problem as credit_code_problem
from validator.identity import Identity, same_body
from validator.localize import localize
from validator.report import CellRef, Finding
from validator.spec import Rule
from validator.values import body_type_hint, date_problem, display, name_key, to_text, to_year

if TYPE_CHECKING:
    from validator.context import Context

if TYPE_CHECKING:
    from validator.spec import FormatSpec

Check = Callable[["Context", Rule], Iterator[Finding]]
REGISTRY: dict[str, Check] = {}
CellKey = NewType("CellKey", str)
"""A key of one of the format's cells."""
BaselineKey = NewType("BaselineKey", str)
"""A key whose ``last_year.<key>`` cell holds last year's figure."""
BASE_FIELDS = frozenset({"label", "expected", "actual"})
"""Message fields every finding gets (see :meth:`validator.context.Context.finding`)."""


class NoParams(TypedDict):
    pass


@dataclass(frozen=True)
class Signature:
    params: type
    fields: frozenset[str]


SIGNATURES: dict[str, Signature] = {}


def check(name: str, params: type = NoParams, fields: tuple[str, ...] = ()) -> Callable[[Check], Check]:
    def register(fn: Check) -> Check:
        REGISTRY[name] = fn
        SIGNATURES[name] = Signature(params, BASE_FIELDS | set(fields))
        return fn

    return register


def rule_problems(fmt: FormatSpec, rule: Rule) -> list[str]:
    """What is wrong with one rule of a format: unknown check, params not of the declared
    type, cell keys the format lacks, message fields the check does not provide."""
    sig = SIGNATURES.get(rule.check)
    if sig is None:
        return [f"{rule.id}: no check named {rule.check!r}"]
    out = _type_problems(fmt, sig.params, rule.params, f"{rule.id}.params")
    try:
        used = {f for _t, f, _s, _c in string.Formatter().parse(rule.message) if f is not None}
    except ValueError as exc:
        return [*out, f"{rule.id}: message is not a format string ({exc})"]
    for name in sorted({u.split(".")[0].split("[")[0] for u in used} - sig.fields):
        out.append(f"{rule.id}: message uses {{{name}}}, which {rule.check} does not provide")
    return out + _relation_problems(fmt, rule) + _example_problems(fmt, rule)


def _known(fmt: FormatSpec, key: str) -> bool:
    try:
        fmt.cell(key)
    except KeyError:
        return False
    return True


def _relation_problems(fmt: FormatSpec, rule: Rule) -> list[str]:
    if (rule.check == "linear") != bool(rule.relations):
        return [f"{rule.id}: relations are what a linear check reads, and only it"]
    out = []
    for i, rel in enumerate(rule.relations):
        where = f"{rule.id}.relations[{i}]"
        out += [f"{where}: no cell {k!r} in {fmt.id}" for k in rel.keys if not _known(fmt, k)]
        if rel.op not in ("==", "<=", ">="):
            out.append(f"{where}: unknown op {rel.op!r}")
        if not rel.left or not rel.right or not rel.what:
            out.append(f"{where}: left, right and what are required")
        out += [f"{where}: blames {k!r}, which it does not add up" for k in rel.blame if k not in rel.keys]
        if rel.live is not None and not out:
            sheets = {fmt.cell(k).sheet for k in rel.keys}
            if len(sheets) != 1 or not all(rel.names):
                out.append(f"{where}: a live relation has its cells on one sheet and names for both sides")
    return out


def _example_problems(fmt: FormatSpec, rule: Rule) -> list[str]:
    out = []
    if {e.fires for e in rule.examples} != {True, False}:
        out.append(f"{rule.id}: needs an example that fires and one that passes")
    for e in rule.examples:
        keys = [*e.changes, *(e.last_year or {})]
        out += [f"{rule.id}: example names no cell {k!r} in {fmt.id}" for k in keys if not _known(fmt, k)]
    return out


def _type_problems(fmt: FormatSpec, typ: Any, value: object, where: str) -> list[str]:
    """`value` against a TypedDict / list / dict / str / int / CellKey annotation."""
    if typ is CellKey or typ is BaselineKey:
        key = value if typ is CellKey else f"last_year.{value}"
        if not isinstance(value, str):
            return [f"{where}: cell key expected, got {value!r}"]
        try:
            fmt.cell(str(key))
        except KeyError:
            return [f"{where}: no cell {key!r} in {fmt.id}"]
        return []
    origin = get_origin(typ)
    if origin is list:
        if not isinstance(value, (list, tuple)):
            return [f"{where}: list expected, got {type(value).__name__}"]
        (item,) = get_args(typ)
        return [p for i, v in enumerate(value) for p in _type_problems(fmt, item, v, f"{where}[{i}]")]
    if origin is dict:
        if not isinstance(value, dict):
            return [f"{where}: mapping expected, got {type(value).__name__}"]
        _k, item = get_args(typ)
        return [p for k, v in value.items() for p in _type_problems(fmt, item, v, f"{where}[{k!r}]")]
    if isinstance(typ, type) and issubclass(typ, dict) and hasattr(typ, "__annotations__"):
        if not isinstance(value, dict):
            return [f"{where}: {typ.__name__} expected, got {type(value).__name__}"]
        hints = get_type_hints(typ)
        out = [f"{where}: unknown param {k!r}" for k in value if k not in hints]
        out += [f"{where}: missing param {k!r}" for k in getattr(typ, "__required_keys__", ()) if k not in value]
        out += [p for k, t in hints.items() if k in value for p in _type_problems(fmt, t, value[k], f"{where}.{k}")]
        return out
    if typ is Any:
        return []
    if get_origin(typ) is None and isinstance(typ, type):
        if typ is int and isinstance(value, bool):
            return [f"{where}: int expected, got bool"]
        return [] if isinstance(value, typ) else [f"{where}: {typ.__name__} expected, got {value!r}"]
    if type(None) in get_args(typ):  # X | None
        return (
            []
            if value is None
            else _type_problems(fmt, [a for a in get_args(typ) if a is not type(None)][0], value, where)
        )
    return [f"{where}: cannot check annotation {typ!r}"]


class Group(TypedDict):
    what: str


class PendingGroup(Group):
    pending: BaselineKey
    cells: list[CellKey]


class PendingParams(TypedDict):
    groups: list[PendingGroup]


class YearParams(TypedDict):
    first: int


class DeadlineParams(TypedDict):
    deadlines: dict[str, tuple | None]
    """Body type -> (month, day) in the year after the report year; None: no deadline."""
    who: dict[str, str]


class KeysParams(TypedDict):
    keys: list[CellKey]


class TextPattern(TypedDict):
    what: str
    words: list[str]
    """Every match of the patterns contains one of these: an overview without any of them is
    not scanned (tests/test_rules.py checks the claim on random texts)."""
    patterns: list[str]
    """Regular expressions; group 1 is the quoted number."""
    equals: list[list[CellKey]]
    """Accepted readings: the number may equal the sum of any one of these key lists."""


class TextNumbersParams(TypedDict):
    key: CellKey
    patterns: dict[str, TextPattern]


class WordsParams(TypedDict):
    key: CellKey
    needs: list[list]
    """[name shown, [words, any of which satisfies it]]."""


class WordParams(TypedDict):
    key: CellKey
    word: str


class FeeParams(TypedDict):
    key: CellKey
    text: CellKey
    word: str


@check("cell_values", fields=("hint",))
def cell_values(ctx: Context, rule: Rule) -> Iterator[Finding]:
    for key, problem in ctx.problems.items():
        if problem.rule == rule.id:
            yield ctx.finding(rule, [key], expected=None, actual=problem.actual, hint=problem.hint)


@check("text_figures")
def text_figures(ctx: Context, rule: Rule) -> Iterator[Finding]:
    """Figures read from text cells (“3” typed as text): Excel's SUM and the template's live
    checks skip text, so the sheet would disagree with this tool (JSON figures are typed)."""
    if ctx.submission.kind.typed:
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


@check("meta_type", fields=("hint",))
def meta_type(ctx: Context, rule: Rule) -> Iterator[Finding]:
    choices = ctx.format.cell("body.type").choices
    if ctx.body_type not in choices:
        found = ctx.finding(
            rule,
            ["body.type"],
            expected="、".join(choices),
            actual=display(ctx.raw("body.type")),
            hint=body_type_hint(ctx.body_type),
        )
        if not ctx.body_type:  # “现为“空白”” reads like a type named 空白
            names = "”“".join(choices[:-1]) + "”或“" + choices[-1]
            found = replace(found, message=f"机关类型未填写：应为“{names}”之一")
        yield found


@check("meta_year", YearParams, ("first",))
def meta_year(ctx: Context, rule: Rule) -> Iterator[Finding]:
    year = ctx.year
    first = rule.params["first"]
    if year is None or not first <= year <= ctx.today.year:
        yield ctx.finding(rule, ["year"], actual=display(ctx.raw("year")), first=first)


class YearsParams(TypedDict):
    first: int
    last: int


@check("format_years", YearsParams, ("first", "last"))
def format_years(ctx: Context, rule: Rule) -> Iterator[Finding]:
    """A report in a superseded layout for a year its successor covers (FMT-OLD)."""
    year = ctx.year
    if year is not None and year > rule.params["last"]:
        yield ctx.finding(rule, ["year"], actual=year, first=rule.params["first"], last=rule.params["last"])


@check("meta_date", fields=("problem",))
def meta_date(ctx: Context, rule: Rule) -> Iterator[Finding]:
    raw = ctx.raw("published_on")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return
    date = ctx.published_on
    if date is None:
        yield ctx.finding(rule, ["published_on"], actual=display(raw), problem=date_problem(raw))
    elif ctx.year is not None and date < dt.date(ctx.year + 1, 1, 1):
        yield ctx.finding(
            rule,
            ["published_on"],
            expected=f"{ctx.year + 1}-01-01 或以后",
            actual=date.isoformat(),
            problem=f"不应早于 {ctx.year + 1} 年 1 月 1 日（{ctx.year} 年度结束后才能发布年度报告）",
        )


@check("date_deadline", DeadlineParams, ("problem",))
def date_deadline(ctx: Context, rule: Rule) -> Iterator[Finding]:
    year, body_type = ctx.year, ctx.body_type
    if year is None:
        return
    raw = ctx.raw("published_on")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        yield ctx.finding(
            rule, ["published_on"], actual="", problem="未填写发布日期，无法核对是否按条例第四十九条规定的期限发布"
        )
        return
    date = ctx.published_on
    deadlines = {**rule.params["deadlines"], **ctx.profile.deadlines}
    month_day = deadlines.get(body_type)
    if date is None or month_day is None:
        return
    deadline = dt.date(year + 1, *month_day)
    if date > deadline:
        who = rule.params["who"].get(body_type, body_type)
        yield ctx.finding(
            rule,
            ["published_on"],
            expected=deadline.isoformat(),
            actual=date.isoformat(),
            problem=f"发布日期 {date.isoformat()} 晚于{who}年度报告的发布期限 {deadline.isoformat()}（条例第四十九条）",
        )


@check("meta_region")
def meta_region(ctx: Context, rule: Rule) -> Iterator[Finding]:
    code = ctx.text("body.region_code").strip()
    if code and not re.fullmatch(r"\d{6}|\d{12}", code):
        yield ctx.finding(rule, ["body.region_code"], actual=code)


@check("meta_credit", fields=("problem",))
def meta_credit(ctx: Context, rule: Rule) -> Iterator[Finding]:
    code = ctx.text("body.credit_code").strip()
    why = credit_code_problem(code) if code else None
    if why:
        yield ctx.finding(rule, ["body.credit_code"], actual=code, problem=why)


# --------------------------------------------------------------------------- arithmetic


@check("linear", fields=("what", "left", "right"))
def linear(ctx: Context, rule: Rule) -> Iterator[Finding]:
    """Each of the rule's relations (``Σ left op Σ right``); the finding names the relation's
    blamed cells, with Σ left as expected and Σ right as found. ``{left}`` and ``{right}`` are
    the figures of each side in written order (``{left[0]}``)."""
    get = ctx.figures.__getitem__
    for relation in rule.relations:
        lplus, lminus, rplus, rminus = relation.sides
        try:
            lhs = sum(map(get, lplus))
            rhs = sum(map(get, rplus))
            if lminus or rminus:
                lhs -= sum(map(get, lminus))
                rhs -= sum(map(get, rminus))
        except KeyError:  # a cell with its own VAL-* finding: the relation proves nothing
            continue
        if not relation.holds(lhs, rhs):
            yield ctx.finding(
                rule,
                relation.named,
                lhs,
                rhs,
                what=relation.what,
                left=[get(k.removeprefix("-")) for k in relation.left],
                right=[get(k.removeprefix("-")) for k in relation.right],
            )


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


@check("xy_pending", PendingParams, ("what", "last"))
def xy_pending(ctx: Context, rule: Rule) -> Iterator[Finding]:
    for g in rule.params["groups"]:
        last = _last(g["pending"])
        if not ctx.has(last, *g["cells"]) or ctx.figures[last] == 0:
            continue
        if all(ctx.figures[k] == 0 for k in g["cells"]):
            yield ctx.finding(rule, [g["cells"][-1], last], None, 0, what=g["what"], last=ctx.figures[last])


_BODY_KEYS = ("body.name", "body.type", "body.region_code", "body.credit_code")


def _identity(values: dict[str, object]) -> Identity:
    return Identity(*(to_text(values.get(k)).strip() for k in _BODY_KEYS))


def _body_zh(body: Identity) -> str:
    region = f"，{body.region_code}" if body.region_code else ""
    return f"“{body.name or '（未填写）'}”（{body.type or '类型未填写'}{region}）"


@check("xy_body", fields=("this", "last", "source"))
def xy_body(ctx: Context, rule: Rule) -> Iterator[Finding]:
    """A --last-year report of another body would make every XY result meaningless. Same body
    or not is :func:`validator.identity.same_body`'s answer, the one collect matches by: a body
    renamed under an unchanged credit code is the same body."""
    if ctx.last_year is None:
        return
    this, last = _identity(ctx.submission.values), _identity(ctx.last_year.values)
    if same_body(this, last):
        return
    differs = [
        key
        for key, a, b in zip(
            _BODY_KEYS,
            (this.key, this.type, this.region_code, this.credit_code),
            (last.key, last.type, last.region_code, last.credit_code),
            strict=True,
        )
        if a and b and name_key(a) != name_key(b)
    ]
    yield ctx.finding(
        rule,
        differs or ["body.name"],
        _body_zh(this),
        _body_zh(last),
        this=_body_zh(this),
        last=_body_zh(last),
        source=ctx.last_year.source or "上年报告",
    )


@check("xy_incomplete", fields=("count", "names"))
def xy_incomplete(ctx: Context, rule: Rule) -> Iterator[Finding]:
    """Blank 上年数据 cells make the XY rules skip silently; say which ones."""
    if not ctx.submission.has_baseline():
        return
    get = ctx.submission.values.get  # a figure (an int) is never blank: no text made of it
    blank = [c for c in ctx.format.baseline_cells if type(v := get(c.key)) is not int and not to_text(v).strip()]
    if blank:
        names = "、".join(c.label.removeprefix("上年数据·") for c in blank[:3]) + ("等" if len(blank) > 3 else "")
        yield ctx.finding(rule, [c.key for c in blank], None, None, count=len(blank), names=names)


# --------------------------------------------------------------------------- 文本


@check("text_present", KeysParams, ("what",))
def text_present(ctx: Context, rule: Rule) -> Iterator[Finding]:
    for key in rule.params["keys"]:
        if not ctx.text(key).strip():
            yield ctx.finding(rule, [key], actual="", what=ctx.format.cell(key).label)


@check("text_prints", KeysParams, ("what", "chars", "limit"))
def text_prints(ctx: Context, rule: Rule) -> Iterator[Finding]:
    """A part longer than one cell of the template prints (409 pt, Excel's limit for a row): the
    sheet's printout would cut it. Only for workbooks: the JSON and ``xxgk render`` keep it whole."""
    if not ctx.submission.kind.sheets:
        return
    for key in rule.params["keys"]:
        text = ctx.text(key)
        cell = ctx.format.cell(key)
        width = textfit.cell_width(ctx.format, cell.sheet, cell.ref)
        if text.strip() and not textfit.fits(text, width):
            yield ctx.finding(rule, [key], what=cell.label, chars=len(text), limit=round(textfit.capacity(width), -2))


@check("text_numbers", TextNumbersParams, ("what", "quote"))
def text_numbers(ctx: Context, rule: Rule) -> Iterator[Finding]:
    """Figures the overview quotes against what the table *should* hold: a located typo in the
    table is corrected first (the narrative may be the right one), and a figure whose cells sit
    in an unresolved failing sum is not compared at all. The finding marks the narrative cell,
    never a table cell the arithmetic rules found correct."""
    where = rule.params["key"]
    text = ctx.text(where)
    if not text.strip():
        return
    loc = localize(ctx)
    figures = loc.corrected
    seen: set[tuple[str, int]] = set()
    params: TextNumbersParams = rule.params  # type: ignore[assignment]
    for name, spec in params["patterns"].items():
        if not any(w in text for w in spec["words"]):
            continue
        matches = [m for p in spec["patterns"] for m in _compiled(p).finditer(text)]
        if not matches:  # most overviews quote few of the figures: nothing to compare them with
            continue
        options = [keys for keys in spec["equals"] if ctx.has(*keys) and loc.unresolved.isdisjoint(keys)]
        if not options:
            continue
        allowed = {sum(map(figures.__getitem__, keys)) for keys in options}
        for m in matches:
            quoted = int(m.group(1).replace(",", ""))  # 1,234件
            if quoted in allowed or (name, quoted) in seen:
                continue
            seen.add((name, quoted))
            keys = options[0]
            found = ctx.finding(rule, keys, sum(figures[k] for k in keys), quoted, what=spec["what"], quote=m.group(0))
            yield replace(found, marked=(CellRef(ctx.format.cell(where).a1, where),))


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


@check("sec5_content", WordsParams, ("missing",))
def sec5_content(ctx: Context, rule: Rule) -> Iterator[Finding]:
    key = rule.params["key"]
    text = ctx.text(key)
    if not text.strip():
        return
    missing = [name for name, words in rule.params["needs"] if not any(w in text for w in words)]
    if missing:
        yield ctx.finding(rule, [key], missing="”“".join(missing))


@check("sec6_fee", WordParams)
def sec6_fee(ctx: Context, rule: Rule) -> Iterator[Finding]:
    key = rule.params["key"]
    text = ctx.text(key)
    if text.strip() and rule.params["word"] not in text:
        yield ctx.finding(rule, [key])


@check("sec6_fee_t3", FeeParams)
def sec6_fee_t3(ctx: Context, rule: Rule) -> Iterator[Finding]:
    key = rule.params["key"]
    if not ctx.has(key) or ctx.figures[key] == 0:
        return
    text = ctx.text(rule.params["text"])
    if rule.params["word"] not in text:
        yield ctx.finding(rule, [key, rule.params["text"]], None, ctx.figures[key])
