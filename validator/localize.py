"""Error localisation (the Fellegi–Holt principle) for the arithmetic 错误 rules.

One typo in a table breaks every sum the cell sits in: a wrong 表三!J4 fails its row total
and its column's 勾稽关系, and each finding names a different cell with a different figure.
The clerk needs the one cell to change. Each arithmetic rule is a set of linear equalities
over integer cells (``Σ coef·cell = 0``); the smallest set of cells whose change makes every
failing equality hold without breaking a passing one is the most likely error. Failing
equalities that share no cell are separate errors and are located separately; a group needing
more than two changed cells is declared ambiguous (多处错误，无法确定).

Single cells are solved exactly; pairs are searched among the failing equalities' cells and
solved as a 2×2 system. Only solutions with non-negative integer figures count.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import TYPE_CHECKING

from validator.report import CellRef, Finding
from validator.spec import FormatSpec, Rule

if TYPE_CHECKING:
    from validator.context import Context

MAX_CELLS = 2
"""Larger sets are not reported as “the” error: too many explanations fit."""


@dataclass(frozen=True)
class Equation:
    """``Σ coef·cell = 0`` for one group of one rule; `keys` are the cells its finding names."""

    rule: str
    keys: tuple[str, ...]
    coef: dict[str, int] = field(hash=False, compare=False)
    totals: tuple[str, ...] = ()
    """Cells the official table derives from the others (preferred when answers tie)."""

    @property
    def signed(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(cells added, cells subtracted), each repeated by its coefficient: the residual in
        two C-level sums, which keeps the check of a valid report fast."""
        cached = self.__dict__.get("_signed")
        if cached is None:
            plus = tuple(k for k, c in self.coef.items() if c > 0 for _ in range(c))
            minus = tuple(k for k, c in self.coef.items() if c < 0 for _ in range(-c))
            cached = (plus, minus)
            object.__setattr__(self, "_signed", cached)
        return cached


@dataclass(frozen=True)
class Change:
    key: str
    value: int
    current: int


@dataclass
class Cluster:
    """Failing equations linked by shared cells, and what explains them."""

    equations: list[Equation]
    changes: tuple[Change, ...] = ()
    """The located cells and the figures they should hold (empty when ambiguous)."""
    alternatives: tuple[Change, ...] = ()
    """Other single cells that would explain the cluster as well (named in the message)."""

    @property
    def located(self) -> bool:
        return bool(self.changes)


@dataclass
class Localization:
    clusters: list[Cluster]
    corrected: dict[str, int | Decimal]
    """The figures with every located cell set to the value it should hold."""
    unresolved: frozenset[str]
    """Cells of failing equations no answer was found for: their right value is unknown."""


Extractor = Callable[[Rule], Iterator[Equation]]
EXTRACTORS: dict[str, Extractor] = {}


def extractor(check: str) -> Callable[[Extractor], Extractor]:
    def register(fn: Extractor) -> Extractor:
        EXTRACTORS[check] = fn
        return fn

    return register


def _add(coef: dict[str, int], keys: list[str], sign: int) -> dict[str, int]:
    for k in keys:
        coef[k] = coef.get(k, 0) + sign
    return {k: v for k, v in coef.items() if v}


@extractor("sum")
def _sum(rule: Rule) -> Iterator[Equation]:
    for g in rule.params["groups"]:
        yield Equation(rule.id, (g["total"],), _add({g["total"]: 1}, g["parts"], -1), (g["total"],))


@extractor("balance")
def _balance(rule: Rule) -> Iterator[Equation]:
    for g in rule.params["groups"]:
        coef = _add(_add({}, g["left"], 1), g["right"], -1)
        yield Equation(rule.id, (*reversed(g["right"]), *g["left"]), coef)


def equations(ctx: Context) -> list[Equation]:
    """Every arithmetic 错误 equation in force (profile applied) whose cells all hold figures."""
    return _present(ctx.figures, _format_equations(ctx.format, _active(ctx)))[0]


def _present(figures: dict, static: tuple[Equation, ...]) -> tuple[list[Equation], dict[int, int]]:
    """The equations whose cells all hold figures, and the residual of each failing one.

    A valid report (every cell a figure, every equation holding) takes one generated function
    that adds exactly as the loop below does; anything else goes through the loop."""
    if FAST_RESIDUALS and _NUMBERS.issuperset(map(type, figures.values())):
        try:
            if not any(_residuals(static)(figures)):
                return list(static), {}
        except KeyError:
            pass
    return _present_each(figures, static)


FAST_RESIDUALS = True
"""Off in the equivalence tests, to compare the generated function with the loop."""
_NUMBERS = frozenset({int, Decimal})
"""Figures are ints and Decimals (``values.to_count``/``to_money``); the generated sums add
them in the loop's order, so even a Decimal context's rounding is the same."""
_RESIDUALS: dict[int, tuple[tuple[Equation, ...], Callable[[dict], tuple]]] = {}


def _residuals(static: tuple[Equation, ...]) -> Callable[[dict], tuple]:
    """``figures -> (residual of each equation, …)``, compiled once per equation set (the
    cached tuple of :func:`_format_equations`, held here so its id stays its own). Each
    residual is ``(0 + plus…) - (0 + minus…)``: what ``sum(plus) - sum(minus)`` computes."""
    hit = _RESIDUALS.get(id(static))
    if hit is None or hit[0] is not static:

        def total(keys: tuple[str, ...]) -> str:
            return "(" + "".join(["0", *(f"+F[{k!r}]" for k in keys)]) + ")"

        terms = [f"{total(plus)}-{total(minus)}" for _, plus, minus in _signed_table(static)]
        code = "def residuals(F):\n    return (" + "".join(f"{t}," for t in terms) + ")\n"
        space: dict = {}
        exec(code, space)  # noqa: S102  (keys are the format's own cell keys, quoted by repr)
        hit = _RESIDUALS[id(static)] = (static, space["residuals"])
    return hit[1]


def _present_each(figures: dict, static: tuple[Equation, ...]) -> tuple[list[Equation], dict[int, int]]:
    get = figures.__getitem__
    eqs, residual = [], {}
    for eq, plus, minus in _signed_table(static):
        try:
            r = sum(map(get, plus)) - sum(map(get, minus))
        except KeyError:  # a cell with its own VAL-* finding: the equation proves nothing
            continue
        eqs.append(eq)
        if r:
            residual[id(eq)] = r
    return eqs, residual


@lru_cache(maxsize=32)
def _signed_table(static: tuple[Equation, ...]) -> tuple[tuple[Equation, tuple[str, ...], tuple[str, ...]], ...]:
    """Each equation with its signed cells, looked up once per rule set rather than per report."""
    return tuple((eq, *eq.signed) for eq in static)


def _active(ctx: Context) -> tuple[tuple[str, str], ...]:
    """The rules in force as the profile leaves them: what the equations depend on."""
    if not ctx.profile.rules:
        return _active_by_default(ctx.format)
    return tuple((r.id, r.severity) for r in ctx.profile.rules_in_force(ctx.format.rules) if r.check in EXTRACTORS)


@lru_cache(maxsize=32)
def _active_by_default(fmt: FormatSpec) -> tuple[tuple[str, str], ...]:
    return tuple((r.id, r.severity) for r in fmt.rules if r.check in EXTRACTORS)


@lru_cache(maxsize=32)
def _format_equations(fmt: FormatSpec, active: tuple[tuple[str, str], ...]) -> tuple[Equation, ...]:
    errors = {rule_id for rule_id, severity in active if severity == "error"}
    return tuple(eq for rule in fmt.rules if rule.id in errors for eq in EXTRACTORS[rule.check](rule))


def localize(ctx: Context) -> Localization:
    """The localisation of `ctx`'s figures, computed once per context."""
    cached = ctx.__dict__.get("_localization")
    if cached is None:
        cached = _localize(ctx.figures, *_present(ctx.figures, _format_equations(ctx.format, _active(ctx))))
        ctx.__dict__["_localization"] = cached
    return cached


def _residual(eq: Equation, figures: dict) -> int:
    return sum(c * figures[k] for k, c in eq.coef.items())


def _localize(figures: dict, eqs: list[Equation], residual: dict[int, int]) -> Localization:
    if not residual:
        return Localization([], figures, frozenset())
    failing = [eq for eq in eqs if id(eq) in residual]
    by_cell: dict[str, list[Equation]] = {}
    for eq in eqs:
        for k in eq.coef:
            by_cell.setdefault(k, []).append(eq)
    totals = {t for eq in eqs for t in eq.totals}
    clusters = [_solve(Cluster(group), figures, by_cell, totals) for group in _connected(failing)]
    corrected = dict(figures)
    for cl in clusters:
        corrected.update({c.key: c.value for c in cl.changes})
    unresolved = frozenset(k for cl in clusters if not cl.located for eq in cl.equations for k in eq.coef)
    return Localization(clusters, corrected, unresolved)


def _connected(failing: list[Equation]) -> list[list[Equation]]:
    """Failing equations grouped by shared cells (union–find over equation indices)."""
    parent = list(range(len(failing)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for i, eq in enumerate(failing):
        for k in eq.coef:
            j = owner.setdefault(k, i)
            parent[root(i)] = root(j)
    groups: dict[int, list[Equation]] = {}
    for i, eq in enumerate(failing):
        groups.setdefault(root(i), []).append(eq)
    return list(groups.values())


def _solve(cl: Cluster, figures: dict, by_cell: dict[str, list[Equation]], totals: set[str]) -> Cluster:
    residual = {id(eq): _residual(eq, figures) for eq in cl.equations}
    cells = list(dict.fromkeys(k for eq in cl.equations for k in eq.coef))
    singles = [c for c in (_single(k, cl, residual, figures, by_cell) for k in cells) if c]
    if singles:
        singles.sort(key=lambda c: c.key not in totals)  # stable: format order within each kind
        cl.changes, cl.alternatives = (singles[0],), tuple(singles[1:])
        return cl
    if len(cl.equations) > MAX_CELLS * max(len(by_cell[k]) for k in cells):
        return cl  # no two cells sit in that many equations
    pairs = [p for p in _pairs(cells, cl, residual, figures, by_cell) if p]
    if len(pairs) == 1:
        cl.changes = pairs[0]
    return cl


def _single(
    key: str, cl: Cluster, residual: dict[int, int], figures: dict, by_cell: dict[str, list[Equation]]
) -> Change | None:
    """The one value of `key` that makes every equation of the cluster hold, if any."""
    mine = by_cell[key]
    if len(mine) < len(cl.equations) or any(id(eq) not in residual for eq in mine):
        return None  # misses a failing equation, or would break a passing one
    if any(key not in eq.coef for eq in cl.equations):
        return None
    deltas = {Fraction(-residual[id(eq)], eq.coef[key]) for eq in mine}
    if len(deltas) != 1:
        return None
    delta = deltas.pop()
    value = figures[key] + delta
    if delta.denominator != 1 or value < 0:
        return None
    return Change(key, int(value), figures[key])


def _pairs(
    cells: list[str], cl: Cluster, residual: dict[int, int], figures: dict, by_cell: dict[str, list[Equation]]
) -> Iterator[tuple[Change, Change] | None]:
    first = min(cl.equations, key=lambda eq: len(eq.coef))
    for a in first.coef:
        for b in cells:
            if b == a or (b in first.coef and b < a):
                continue
            if all(a in eq.coef or b in eq.coef for eq in cl.equations):
                yield _pair(a, b, residual, figures, by_cell)


def _pair(
    a: str, b: str, residual: dict[int, int], figures: dict, by_cell: dict[str, list[Equation]]
) -> tuple[Change, Change] | None:
    """Solve ``ca·da + cb·db = −r`` over every equation touching a or b; None unless the
    answer is unique, changes both cells and keeps them non-negative integers."""
    rows = {
        id(eq): (eq.coef.get(a, 0), eq.coef.get(b, 0), -residual.get(id(eq), 0)) for eq in (*by_cell[a], *by_cell[b])
    }
    rows_l = list(rows.values())
    solution = None
    for i, (a1, b1, r1) in enumerate(rows_l):
        for a2, b2, r2 in rows_l[i + 1 :]:
            det = a1 * b2 - a2 * b1
            if det:
                solution = (Fraction(r1 * b2 - r2 * b1, det), Fraction(a1 * r2 - a2 * r1, det))
                break
        if solution:
            break
    if solution is None:
        return None  # one degree of freedom left: the figures are not determined
    da, db = solution
    if not da or not db or any(x * da + y * db != r for x, y, r in rows_l):
        return None
    va, vb = figures[a] + da, figures[b] + db
    if da.denominator != 1 or db.denominator != 1 or va < 0 or vb < 0:
        return None
    return Change(a, int(va), figures[a]), Change(b, int(vb), figures[b])


# --------------------------------------------------------------------------- findings


def apply(findings: list[Finding], ctx: Context) -> list[Finding]:
    """The findings with each located error as a root finding naming the cell and its value,
    the failing sums it explains right after it marked ``caused_by``, and ambiguous groups
    said to be so. Findings of no failing equation keep their order."""
    loc = localize(ctx)
    if not loc.clusters:
        return findings
    owner: dict[tuple[str, tuple[str, ...]], Cluster] = {
        (eq.rule, eq.keys): cl for cl in loc.clusters for eq in cl.equations
    }
    grouped: dict[int, list[Finding]] = {}
    for f in findings:
        cl = owner.get((f.rule, f.keys))
        if cl is not None:
            grouped.setdefault(id(cl), []).append(f)
    out: list[Finding] = []
    done: set[int] = set()
    for f in findings:
        cl = owner.get((f.rule, f.keys))
        if cl is None:
            out.append(f)
        elif id(cl) not in done:
            done.add(id(cl))
            out.extend(_rooted(cl, grouped[id(cl)], ctx, len(out)))
    return out


def _rooted(cl: Cluster, found: list[Finding], ctx: Context, start: int) -> list[Finding]:
    if not cl.located:
        first = found[0]
        note = "；多处错误，无法确定是哪几格填错，请逐一核对相关各格" if len(found) > 1 else ""
        return [replace(first, message=first.message + note), *found[1:]]
    roots: list[Finding] = []
    rest = list(found)
    for change in cl.changes:
        same = next((f for f in rest if f.keys == (change.key,) and f.expected == change.value), None)
        if same is not None:
            rest.remove(same)
        roots.append(_root(change, cl, ctx, same, found[0]))
    return [*roots, *(replace(f, caused_by=start) for f in rest)]


def _root(change: Change, cl: Cluster, ctx: Context, same: Finding | None, first: Finding) -> Finding:
    cell = ctx.format.cell(change.key)
    ref = CellRef(cell.a1, change.key)
    others = [c for c in cl.changes if c.key != change.key]
    message = f"{cell.a1} 最可能填错：应为 {change.value}，现为 {change.current}（{cell.label}）"
    if others:
        message += "；与 " + "、".join(f"{ctx.format.cell(o.key).a1} 应为 {o.value}" for o in others) + " 一并改正后"
    else:
        message += "；改正后"
    rules = "、".join(dict.fromkeys(eq.rule for eq in cl.equations))
    message += f" {rules} 各项核对均成立"
    if cl.alternatives:
        message += (
            "（也可能是 "
            + "、".join(
                f"{ctx.format.cell(a.key).a1} {_leaf(ctx.format.cell(a.key).label)}应为 {a.value}"
                for a in cl.alternatives
            )
            + "）"
        )
    base = same or first
    return replace(
        base,
        cells=(ref,),
        message=message,
        expected=change.value,
        actual=change.current,
        located=True,
        caused_by=None,
        alternatives=tuple((CellRef(ctx.format.cell(a.key).a1, a.key), a.value) for a in cl.alternatives),
    )


def _leaf(label: str) -> str:
    """“表四 行政诉讼·结果维持” → “结果维持”: enough beside its cell reference."""
    return label.rsplit("·", 1)[-1]
