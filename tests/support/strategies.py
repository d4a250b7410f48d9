"""Hypothesis strategies of reports, derived from the format data.

:func:`valid_values` draws the free figure cells and computes every other one from the rules'
relations (:class:`validator.spec.Relation`): each equality is solved for one cell (last year's
figure, else the 总计 it adds up into, else a left-side cell such as 一、本年新收), a derived
figure that would be negative raises a free cell of the other side, and an inequality that
fails raises a free cell that mends it. So the reports stay valid, 提示 relations included, for
any format and for a relation added to the data later, without a line here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from hypothesis import strategies as st

from validator.formats import get_format
from validator.formats.gb_2021_30 import t4_key
from validator.spec import FIGURE_KINDS, FormatSpec, Relation
from validator.submission import Explanation, Submission

FMT = get_format()
EXCEL_CELL_LIMIT = 32767

# --------------------------------------------------------------------------- text

# Characters XML 1.0 cannot hold (C0 controls other than tab and LF, lone surrogates, U+FFFE/U+FFFF),
# plus CR: the model normalises CRLF/CR to LF, so a CR would not come back as itself.
_EXCLUDED = "".join(chr(c) for c in range(0x20) if chr(c) not in "\t\n") + "\ufffe\uffff"
_CHARS = st.characters(exclude_categories=("Cs",), exclude_characters=_EXCLUDED)

# Pieces random text rarely hits on its own: formula look-alikes, XML specials, OOXML _xHHHH_ escapes,
# Unicode line separators, BOM, joiners, and wording the text rules look for.
_TRICKY = (
    "\n",
    "\n\n",
    "\t",
    " ",
    "  ",
    "\u3000",
    '"',
    "'",
    "“",
    "”",
    "“”",
    "‘’",
    "\\",
    "\\n",
    "/",
    "🙂👍🏽",
    "👨\u200d👩\u200d👧",
    "\U0001f600",
    "中华人民共和国政府信息公开条例",
    "；",
    "。",
    "，",
    "=SUM(A1)",
    "+1",
    "-1",
    "@A1",
    "=",
    "<",
    ">",
    "&",
    "&amp;",
    "<t>",
    "]]>",
    "<![CDATA[",
    "_x000D_",
    "_x000A_",
    "_x0041_",
    "x005F_",
    "_x005F_x000D_",
    "\u2028",
    "\u2029",
    "\x85",
    "\xa0",
    "\ufeff",
    "\u200b",
    "\u202e",
    "\x7f",
    "\ufffd",
    "\U0010fffd",
    "#REF!",
    "#DIV/0!",
    "0",
    "1e3",
    "收到政府信息公开申请12件",
    "受理申请7件",
    "处理费",
    "收费通知",
    "问题",
    "改进",
)
_PIECES = st.one_of(st.text(_CHARS, max_size=40), st.sampled_from(_TRICKY))


@st.composite
def narrative_text(draw) -> str:
    text = "".join(draw(st.lists(_PIECES, max_size=12)))
    if draw(st.integers(0, 5)) == 0:  # sometimes long: a random chunk repeated past 10,000 characters
        chunk = draw(st.text(_CHARS, min_size=1, max_size=30)) + draw(st.sampled_from(_TRICKY))
        reps = -(-10_000 // len(chunk)) + draw(st.integers(0, 20))
        text = draw(st.sampled_from(("", "  ", "\n"))) + text + chunk * reps + draw(st.sampled_from(("", " ", "\n")))
    text = text[:EXCEL_CELL_LIMIT]
    while len(text.encode("utf-16-le")) // 2 > EXCEL_CELL_LIMIT:  # Excel counts UTF-16 units
        text = text[:-1]
    return text


def body_name() -> st.SearchStrategy[str]:
    prefix = st.sampled_from(("", "=", "+", "-", "@", "=SUM(A1)", "'", " ", "\u3000"))
    core = st.one_of(
        st.sampled_from(("汾西县人民政府办公室", "某某市人民政府", "XX 街道办事处")),
        st.text(_CHARS, min_size=1, max_size=60),
    )
    return st.tuples(prefix, core, st.sampled_from(("", " ", "\n"))).map("".join).filter(lambda s: s.strip())


# --------------------------------------------------------------------------- figures from the relations


@dataclass(frozen=True)
class Plan:
    """How a format's figures are drawn: the free cells, then each derived cell in solving order
    with the equality that gives it, then the inequalities to meet."""

    free: tuple[str, ...]
    derived: tuple[tuple[str, Relation], ...]
    inequalities: tuple[Relation, ...]


def _coef(rel: Relation) -> dict[str, int]:
    out: dict[str, int] = {}
    for key, c in rel.terms:
        out[key] = out.get(key, 0) + c
    return out


@cache
def plan(fmt: FormatSpec) -> Plan:
    figures = [c.key for c in (*fmt.figure_cells(), *fmt.baseline_cells) if c.kind in FIGURE_KINDS]
    relations = [r for rule in fmt.rules for r in rule.relations]
    solves: dict[str, Relation] = {}
    for rel in (r for r in relations if r.op == "=="):
        coef = _coef(rel)
        wanted = [
            *(k for k in rel.keys if k.startswith("last_year.")),
            *([rel.total] if rel.total else []),
            *(k.removeprefix("-") for k in (*rel.left, *rel.right)),
        ]
        choice = next((k for k in wanted if k not in solves and abs(coef[k]) == 1), None)
        if choice is not None:  # else the relation follows from the others (表三's 总计 column)
            solves[choice] = rel
    order: list[tuple[str, Relation]] = []
    known = {k for k in figures if k not in solves}
    while len(order) < len(solves):
        ready = [(k, r) for k, r in solves.items() if k not in known and known.issuperset(set(r.keys) - {k})]
        assert ready, "the relations' derived cells depend on each other in a circle"
        order += ready
        known.update(k for k, _r in ready)
    free = tuple(k for k in figures if k not in solves)
    return Plan(free, tuple(order), tuple(r for r in relations if r.op != "=="))


_COUNT = st.one_of(st.integers(0, 9), st.integers(0, 500), st.integers(0, 10**12))


@st.composite
def fee_amount(draw) -> Decimal:
    """Non-negative, at most 15 significant digits, a few decimal places (Decimal("24252.311082"))."""
    places = draw(st.integers(0, 8))
    mantissa = draw(st.one_of(st.just(0), st.integers(0, 999), st.integers(0, 10**15 - 1)))
    value = Decimal(mantissa).scaleb(-places)
    if draw(st.booleans()):  # a non-canonical spelling of the same amount (1.5 as 1.500, 0 as 0.00)
        value = value.quantize(Decimal(1).scaleb(-places - 2)) if places + 2 + len(str(mantissa)) <= 15 else value
    return value


def _figure(fmt: FormatSpec, key: str) -> st.SearchStrategy:
    kind = fmt.cell(key).kind
    if kind == "money":
        return fee_amount()
    if kind == "signed":
        return st.integers(-(10**6), 10**6)
    if key.startswith("last_year."):
        return st.none() | _COUNT
    return _COUNT


@st.composite
def valid_values(draw, fmt: FormatSpec = FMT, baseline: bool | None = None) -> dict[str, object]:
    """Every figure cell of `fmt` (and, if `baseline`, last year's) with no relation failing."""
    p = plan(fmt)
    if baseline is None:
        baseline = draw(st.booleans())
    values: dict[str, object] = {k: draw(_figure(fmt, k)) for k in p.free if baseline or not k.startswith("last_year.")}
    derived = dict(p.derived)
    for _round in range(20):
        _solve(values, p)
        broken = _mend(values, p, derived)
        if not broken:
            break
    else:
        raise AssertionError("the relations could not all be met")
    assert {c.key for c in fmt.figure_cells()} <= set(values), "strategy misses a figure cell"
    return values


def _solve(values: dict, p: Plan) -> None:
    for key, rel in p.derived:
        coef = _coef(rel)
        others = [k for k in coef if k != key]
        if any(values.get(k) is None for k in others):
            values.pop(key, None)  # last year's figures not given: nothing to derive from
            continue
        values[key] = -sum(coef[k] * values[k] for k in others) * coef[key]


def _mend(values: dict, p: Plan, derived: dict[str, Relation]) -> bool:
    """Raise a free cell where a derived figure is negative or an inequality fails; True if
    something was raised (the figures must be solved again)."""
    free = set(p.free)
    for key, rel in p.derived:
        if values.get(key) is not None and values[key] < 0:
            coef = _coef(rel)
            lift = next(k for k in reversed(coef) if k in free and coef[k] == -coef[key] and values.get(k) is not None)
            values[lift] += -values[key]
            return True
    for rel in p.inequalities:
        coef = _coef(rel)
        if any(values.get(k) is None for k in coef):
            continue
        gap = sum(c * values[k] for k, c in coef.items())  # Σ left − Σ right
        want = 1 if rel.op == ">=" else -1
        if gap * want < 0:
            lift = next(k for k in reversed(coef) if k in free and coef[k] == want and values.get(k) is not None)
            values[lift] += abs(gap)
            return True
    return False


# --------------------------------------------------------------------------- whole report

# (rule, keys) pairs that the generated reports often trigger, so explanations land on real findings.
_LIKELY_FINDINGS = (
    ("TXT-MISSING", ("narrative.overview",)),
    ("TXT-MISSING", ("narrative.problems",)),
    ("TXT-MISSING", ("narrative.other_matters",)),
    ("SEC5-CONTENT", ("narrative.problems",)),
    ("SEC6-FEE", ("narrative.other_matters",)),
    ("DATE-DEADLINE", ("published_on",)),
    ("XY-T4-PENDING", (t4_key("review", "total"), f"last_year.{t4_key('review', 'pending')}")),
    ("TXT-T3", ("applications.new.total",)),  # can fire twice with the same cells
)


@st.composite
def explanation(draw, fmt: FormatSpec = FMT) -> Explanation:
    cell_keys = tuple(c.key for c in (*fmt.cells, *fmt.baseline_cells))
    likely = [
        (r, keys) for r, keys in _LIKELY_FINDINGS if r in {x.id for x in fmt.rules} and set(keys) <= set(cell_keys)
    ]
    if likely and draw(st.booleans()):
        rule, keys = draw(st.sampled_from(likely))
    else:
        rule = draw(st.sampled_from([r.id for r in fmt.rules]))
        keys = tuple(draw(st.lists(st.sampled_from(cell_keys), max_size=3)))
    return Explanation(rule, keys, draw(narrative_text()))


@st.composite
def valid_submission(draw, fmt: FormatSpec = FMT, years: tuple[int, int] | None = None) -> Submission:
    """A whole report no 错误 rule (and no relation) finds fault with; `years` (first, last)
    defaults to the format's first five years."""
    first, last = years or (fmt.first_year, fmt.first_year + 4)
    year = draw(st.integers(first, last))
    values = draw(valid_values(fmt))
    if any(k.startswith("last_year.") for k in values):
        values["last_year.year"] = year - 1
    values["body.name"] = draw(body_name())
    values["body.type"] = draw(st.sampled_from(fmt.cell("body.type").choices))
    values["year"] = year
    values["published_on"] = draw(st.none() | st.integers(1, 31).map(lambda d: dt.date(year + 1, 1, d)))
    values["body.region_code"] = draw(st.none() | st.from_regex(r"\A[0-9]{6}\Z"))
    for key in ("narrative.overview", "narrative.problems", "narrative.other_matters"):
        values[key] = draw(narrative_text())
    # any order, duplicates for one (rule, cells), notes on findings and on nothing: the JSON is canonical
    explanations = draw(st.lists(explanation(fmt), max_size=4))
    return Submission(fmt, values, "hypothesis", explanations)
