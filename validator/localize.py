"""Error localisation (the Fellegi–Holt principle) for the arithmetic 错误 rules.

One typo in a table breaks every sum the cell sits in: a wrong 表三!J4 fails its row total
and its column's 勾稽关系, and each finding names a different cell with a different figure.
The clerk needs the one cell to change. The problem is derived from the rules' relations
(:class:`validator.spec.Relation`): each equality of an 错误 rule in force is an equation
``Σ coef·cell = 0``; every other relation in force (the inequalities, and equalities a profile
made 提示) is a constraint a located fix must keep: a change that would break one that holds is
no answer. The smallest set of cells whose change makes every failing equation hold is the
most likely error. Failing equations that share no cell are separate errors and are located
separately; a group needing more than two changed cells, or explained equally well by
several pairs, is declared ambiguous (多处错误，无法确定), naming the candidates where there are
some. Relations reaching last year's figures (历年 rules) take no part: last year's report is
published, and what it says is reported as it stands.

Single cells are solved exactly; pairs are searched among the failing equations' cells and
solved as a 2×2 system. Only solutions with non-negative integer figures count.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

from validator.report import CellRef, Finding
from validator.spec import FormatSpec, Relation

if TYPE_CHECKING:
    from validator.context import Context

MAX_CELLS = 2
"""Larger sets are not reported as “the” error: too many explanations fit."""


@dataclass(frozen=True)
class Equation:
    """``Σ coef·cell = 0`` for one relation of one rule; `keys` are the cells its finding names."""

    rule: str
    keys: tuple[str, ...]
    coef: dict[str, int] = field(hash=False, compare=False)
    totals: tuple[str, ...] = ()
    """Cells the official table derives from the others (preferred when answers tie)."""
    relation: Relation | None = field(default=None, hash=False, compare=False)

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


class Constraint(NamedTuple):
    """``Σ coef·cell ≥ 0`` (``= 0`` when `equal`): a relation a located fix must not break."""

    rule: str
    coef: dict[str, int]
    equal: bool = False

    def value(self, figures: dict, change: dict[str, int]) -> int | Decimal | None:
        """Σ coef·cell with the changed cells' new figures; None when a cell holds no figure."""
        try:
            return sum(c * change.get(k, figures[k]) for k, c in self.coef.items())
        except KeyError:
            return None

    def kept(self, value: int | Decimal | None) -> bool:
        return value is None or (value == 0 if self.equal else value >= 0)


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
    candidates: tuple[tuple[Change, ...], ...] = ()
    """Equally small sets of two or more cells, each explaining the cluster (ambiguous)."""

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


def _coef(rel: Relation) -> dict[str, int]:
    coef: dict[str, int] = {}
    for key, c in rel.terms:
        coef[key] = coef.get(key, 0) + c
    return {k: v for k, v in coef.items() if v}


def equations(ctx: Context) -> list[Equation]:
    """Every arithmetic 错误 equation in force (profile applied) whose cells all hold figures."""
    return _present(ctx.figures, _format_problem(ctx.format, _active(ctx))[0])[0]


Table = tuple[tuple[Equation, tuple[str, ...], tuple[str, ...]], ...]
"""Each equation with its cells added and subtracted (:attr:`Equation.signed`)."""


def _present(figures: dict, table: Table) -> tuple[list[Equation], dict[int, int]]:
    """The equations whose cells all hold figures, and the residual of each failing one."""
    get = figures.__getitem__
    eqs, residual = [], {}
    for eq, plus, minus in table:
        try:
            r = sum(map(get, plus)) - (sum(map(get, minus)) if minus else 0)
        except KeyError:  # a cell with its own VAL-* finding: the equation proves nothing
            continue
        eqs.append(eq)
        if r:
            residual[id(eq)] = r
    return eqs, residual


def _active(ctx: Context) -> tuple[tuple[str, str], ...]:
    """The relation rules in force as the profile leaves them: what the problem depends on."""
    if not ctx.profile.rules:
        return _active_by_default(ctx.format)
    return tuple((r.id, r.severity) for r in ctx.profile.rules_in_force(ctx.format.rules) if r.relations)


@lru_cache(maxsize=32)
def _active_by_default(fmt: FormatSpec) -> tuple[tuple[str, str], ...]:
    return tuple((r.id, r.severity) for r in fmt.rules if r.relations)


@lru_cache(maxsize=32)
def _format_problem(fmt: FormatSpec, active: tuple[tuple[str, str], ...]) -> tuple[Table, tuple[Constraint, ...]]:
    """The equations to explain and the constraints to keep, from the relations in force (once
    per format and profile, not per report)."""
    severity = dict(active)
    last_year = {c.key for c in fmt.baseline_cells}
    eqs: list[Equation] = []
    constraints: list[Constraint] = []
    for rule in fmt.rules:
        if rule.id not in severity:
            continue
        for rel in rule.relations:
            if last_year.intersection(rel.keys):
                continue
            coef = _coef(rel)
            if rel.op == "==" and severity[rule.id] == "error":
                eqs.append(Equation(rule.id, rel.named, coef, (rel.total,) if rel.total else (), rel))
            elif rel.op == "==":
                constraints.append(Constraint(rule.id, coef, equal=True))
            else:  # Σ left ≥ Σ right, or ≤: the residual's sign to keep
                constraints.append(Constraint(rule.id, coef if rel.op == ">=" else {k: -c for k, c in coef.items()}))
    return tuple((eq, *eq.signed) for eq in eqs), tuple(constraints)


def localize(ctx: Context) -> Localization:
    """The localisation of `ctx`'s figures, computed once per context."""
    cached = ctx.__dict__.get("_localization")
    if cached is None:
        static, constraints = _format_problem(ctx.format, _active(ctx))
        cached = _localize(ctx.figures, *_present(ctx.figures, static), constraints)
        ctx.__dict__["_localization"] = cached
    return cached


def _residual(eq: Equation, figures: dict) -> int:
    return sum(c * figures[k] for k, c in eq.coef.items())


class _Problem(NamedTuple):
    """One report's failing equations and what a change must respect."""

    figures: dict
    by_cell: dict[str, list[Equation]]
    kept: dict[str, list[Constraint]]
    """Per cell, the constraints through it that hold now."""

    def keeps(self, change: dict[str, int]) -> bool:
        seen = {id(c): c for k in change for c in self.kept.get(k, ())}
        return all(c.kept(c.value(self.figures, change)) for c in seen.values())


def _localize(
    figures: dict, eqs: list[Equation], residual: dict[int, int], constraints: tuple[Constraint, ...] = ()
) -> Localization:
    if not residual:
        return Localization([], figures, frozenset())
    failing = [eq for eq in eqs if id(eq) in residual]
    by_cell: dict[str, list[Equation]] = {}
    for eq in eqs:
        for k in eq.coef:
            by_cell.setdefault(k, []).append(eq)
    kept: dict[str, list[Constraint]] = {}
    for con in constraints:
        if con.kept(con.value(figures, {})):
            for k in con.coef:
                kept.setdefault(k, []).append(con)
    problem = _Problem(figures, by_cell, kept)
    totals = {t for eq in eqs for t in eq.totals}
    clusters = _joined([_solve(Cluster(group), problem, totals) for group in _connected(failing)], problem)
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


def _solve(cl: Cluster, problem: _Problem, totals: set[str]) -> Cluster:
    residual = {id(eq): _residual(eq, problem.figures) for eq in cl.equations}
    cells = list(dict.fromkeys(k for eq in cl.equations for k in eq.coef))
    singles = [c for c in (_single(k, cl, residual, problem) for k in cells) if c]
    if singles:
        singles.sort(key=lambda c: c.key not in totals)  # stable: format order within each kind
        cl.changes, cl.alternatives = (singles[0],), tuple(singles[1:])
        return cl
    if len(cl.equations) > MAX_CELLS * max(len(problem.by_cell[k]) for k in cells):
        return cl  # no two cells sit in that many equations
    pairs = [p for p in _pairs(cells, cl, residual, problem) if p]
    if len(pairs) == 1:
        cl.changes = pairs[0]
    else:
        cl.candidates = tuple(pairs)
    return cl


def _joined(clusters: list[Cluster], problem: _Problem) -> list[Cluster]:
    """Clusters no one or two of their own cells explain, explained together: a row short by 2
    in both 自然人 and 总计 fails two columns that share no cell, but a passing equation (the
    row) ties one cell of each. Two such clusters become one, located when one pair of cells
    explains both, else with every pair that does as its candidates."""
    out: list[Cluster] = []
    waiting: list[Cluster] = []
    for cl in clusters:
        if cl.located or cl.candidates:
            out.append(cl)
            continue
        for other in waiting:
            pairs = _across(other, cl, problem)
            if pairs:
                waiting.remove(other)
                joined = Cluster([*other.equations, *cl.equations])
                if len(pairs) == 1:
                    joined.changes = pairs[0]
                else:
                    joined.candidates = tuple(pairs)
                out.append(joined)
                break
        else:
            waiting.append(cl)
    return out + waiting


def _across(a: Cluster, b: Cluster, problem: _Problem) -> list[tuple[Change, Change]]:
    """Pairs of one cell in every equation of `a` and one in every equation of `b`, tied by an
    equation they share, that explain both."""
    residual = {id(eq): _residual(eq, problem.figures) for eq in (*a.equations, *b.equations)}

    def common(cl: Cluster) -> list[str]:
        return [k for k in cl.equations[0].coef if all(k in eq.coef for eq in cl.equations)]

    found = []
    for x in common(a):
        tied = {id(eq) for eq in problem.by_cell[x]}
        for y in common(b):
            if tied.isdisjoint(id(eq) for eq in problem.by_cell[y]):
                continue
            pair = _pair(x, y, residual, problem)
            if pair:
                found.append(pair)
    return found


def _single(key: str, cl: Cluster, residual: dict[int, int], problem: _Problem) -> Change | None:
    """The one value of `key` that makes every equation of the cluster hold, if any."""
    figures = problem.figures
    mine = problem.by_cell[key]
    if len(mine) < len(cl.equations) or any(id(eq) not in residual for eq in mine):
        return None  # misses a failing equation, or would break a passing one
    if any(key not in eq.coef for eq in cl.equations):
        return None
    deltas = {Fraction(-residual[id(eq)], eq.coef[key]) for eq in mine}
    if len(deltas) != 1:
        return None
    delta = deltas.pop()
    value = figures[key] + delta
    if delta.denominator != 1 or value < 0 or not problem.keeps({key: int(value)}):
        return None
    return Change(key, int(value), figures[key])


def _pairs(
    cells: list[str], cl: Cluster, residual: dict[int, int], problem: _Problem
) -> Iterator[tuple[Change, Change] | None]:
    first = min(cl.equations, key=lambda eq: len(eq.coef))
    for a in first.coef:
        for b in cells:
            if b == a or (b in first.coef and b < a):
                continue
            if all(a in eq.coef or b in eq.coef for eq in cl.equations):
                yield _pair(a, b, residual, problem)


def _pair(a: str, b: str, residual: dict[int, int], problem: _Problem) -> tuple[Change, Change] | None:
    """Solve ``ca·da + cb·db = −r`` over every equation touching a or b; None unless the
    answer is unique, changes both cells and keeps them non-negative integers."""
    figures, by_cell = problem.figures, problem.by_cell
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
    if not problem.keeps({a: int(va), b: int(vb)}):
        return None
    return Change(a, int(va), figures[a]), Change(b, int(vb), figures[b])


# --------------------------------------------------------------------------- findings


def apply(findings: list[Finding], ctx: Context) -> list[Finding]:
    """The findings with each located error as a root finding naming the cell and its value,
    the failing sums it explains right after it marked ``caused_by``, and ambiguous groups
    said to be so, in words that blame no cell. Findings of no failing equation keep their
    order."""
    loc = localize(ctx)
    if not loc.clusters:
        return findings
    owner: dict[tuple[str, tuple[str, ...]], tuple[Cluster, Equation]] = {
        (eq.rule, eq.keys): (cl, eq) for cl in loc.clusters for eq in cl.equations
    }
    grouped: dict[int, list[Finding]] = {}
    for f in findings:
        hit = owner.get((f.rule, f.keys))
        if hit is not None:
            grouped.setdefault(id(hit[0]), []).append(f)
    out: list[Finding] = []
    done: set[int] = set()
    for f in findings:
        hit = owner.get((f.rule, f.keys))
        if hit is None:
            out.append(f)
        elif id(hit[0]) not in done:
            done.add(id(hit[0]))
            cl = hit[0]
            found = grouped[id(cl)]
            if cl.located:
                out.extend(_rooted(cl, found, ctx, len(out)))
            else:
                out.extend(_ambiguous(cl, found, ctx, {k: eq for k, (_c, eq) in owner.items()}))
    return out


def _rooted(cl: Cluster, found: list[Finding], ctx: Context, start: int) -> list[Finding]:
    roots: list[Finding] = []
    rest = list(found)
    for change in cl.changes:
        same = next((f for f in rest if f.keys == (change.key,) and f.expected == change.value), None)
        if same is not None:
            rest.remove(same)
        roots.append(_root(change, cl, ctx, same, found[0]))
    return [*roots, *(replace(f, caused_by=start) for f in rest)]


def _checks_zh(cl: Cluster, fmt: FormatSpec) -> str:
    """The cluster's rules by their titles: what holds again once the cell is corrected."""
    return "".join(f"“{fmt.rule(rule_id).title}”" for rule_id in dict.fromkeys(eq.rule for eq in cl.equations))


def _root(change: Change, cl: Cluster, ctx: Context, same: Finding | None, first: Finding) -> Finding:
    fmt = ctx.format
    cell = fmt.cell(change.key)
    ref = CellRef(cell.a1, change.key)
    others = [c for c in cl.changes if c.key != change.key]
    message = f"{cell.a1} 最可能填错：应为 {change.value}，现为 {change.current}（{cell.label}）"
    if others:
        message += "；与 " + "、".join(f"{fmt.cell(o.key).a1} 应为 {o.value}" for o in others) + " 一并改正后"
    else:
        message += "；改正后"
    message += f"{_checks_zh(cl, fmt)}均成立"
    if cl.alternatives:
        message += (
            "（也可能是 "
            + "、".join(f"{fmt.cell(a.key).a1} {_leaf(fmt.cell(a.key).label)}应为 {a.value}" for a in cl.alternatives)
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
        alternatives=tuple((CellRef(fmt.cell(a.key).a1, a.key), a.value) for a in cl.alternatives),
    )


def _ambiguous(
    cl: Cluster, found: list[Finding], ctx: Context, equation_of: dict[tuple[str, tuple[str, ...]], Equation]
) -> list[Finding]:
    """No one cell is known to be wrong: each finding states its discrepancy, the first one
    says so and names the candidates, if any."""
    fmt = ctx.format
    out = [replace(f, message=_discrepancy(f, equation_of[(f.rule, f.keys)], fmt)) for f in found]
    if cl.candidates:
        note = f"。多处错误，无法确定：{_candidates_zh(cl.candidates, fmt)}。请逐一核对"
    elif len(found) > 1:
        note = "。多处错误，无法确定是哪几格填错，请逐一核对相关各格"
    else:
        note = ""
    out[0] = replace(out[0], message=out[0].message + note)
    return out


def _discrepancy(f: Finding, eq: Equation, fmt: FormatSpec) -> str:
    """“自然人”各项之和 93，（七） 95，不符合“表三（七）总计等于办理结果各行之和”: the relation's
    two sides as the sheet names them, without saying which one is wrong."""
    rel = eq.relation
    if rel is None or not all(rel.names):
        return f.message
    return f"“{rel.what}”{rel.names[0]} {f.expected}，{rel.names[1]} {f.actual}，不符合“{fmt.rule(f.rule).title}”"


def _candidates_zh(candidates: tuple[tuple[Change, ...], ...], fmt: FormatSpec) -> str:
    """The candidate sets in words: the rows when every set is the same cells of one row each
    (“下列某一项的“自然人”“总计”两格各少填了 2：（一）予以公开、…”), else the sets by cell."""
    order = {c.key: i for i, c in enumerate(fmt.cells)}
    shapes, rows = set(), []
    for cand in candidates:
        cand = tuple(sorted(cand, key=lambda c: order.get(c.key, 0)))
        parts = [fmt.cell(c.key).label.rpartition("·") for c in cand]
        prefixes = {p[0] for p in parts}
        shapes.add(tuple((p[2], c.value - c.current) for p, c in zip(parts, cand)))
        sheet = fmt.cell(cand[0].key).sheet
        rows.append(prefixes.pop().removeprefix(sheet).strip() if len(prefixes) == 1 else "")
    if len(shapes) == 1 and all(rows):
        (shape,) = shapes
        cells = "".join(f"“{leaf}”" for leaf, _d in shape)
        count = "两" if len(shape) == 2 else f"{len(shape)} "
        deltas = {d for _leaf, d in shape}
        if len(deltas) == 1:
            how = _off(deltas.pop(), "各")
        else:
            how = "，".join(f"“{leaf}”{_off(d)}" for leaf, d in shape)
        return f"可能是下列某一项的{cells}{count}格{how}：{'；'.join(rows)}"
    sets = ["、".join(f"{fmt.cell(c.key).a1} 应为 {c.value}" for c in cand) for cand in candidates[:6]]
    more = f"（共 {len(candidates)} 种）" if len(candidates) > 6 else ""
    return f"可能是以下某一组单元格填错（每组一并改正）：{'；'.join(sets)}{more}"


def _off(delta: int, each: str = "") -> str:
    return f"{each}{'少' if delta > 0 else '多'}填了 {abs(delta)}"


def _leaf(label: str) -> str:
    """“表四 行政诉讼·结果维持” → “结果维持”: enough beside its cell reference."""
    return label.rsplit("·", 1)[-1]
