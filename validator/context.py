"""What every check sees: the :class:`Context` of one report, and how cell contents become
figures. Kept apart from the engine so checks (and anything else converting a submission's
cells) do not depend on the engine that runs them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

from validator.kinds import AT_ONCE, KINDS
from validator.profile import Profile
from validator.report import CellRef, Finding
from validator.spec import FormatSpec, Rule
from validator.submission import Submission
from validator.values import MAX_COUNT, Problem, normalize_newlines, to_date, to_text, to_year


@dataclass
class Context:
    """What every check sees: figures that passed the cell checks, and where each cell is."""

    format: FormatSpec
    submission: Submission
    profile: Profile
    figures: dict[str, int | Decimal] = field(default_factory=dict)
    problems: dict[str, Problem] = field(default_factory=dict)
    today: dt.date = field(default_factory=dt.date.today)
    last_year: Submission | None = None
    """Last year's report when given apart (``--last-year``): XY-BODY compares the bodies."""

    def raw(self, key: str) -> object:
        return self.submission.values.get(key)

    def text(self, key: str) -> str:
        return normalize_newlines(to_text(self.raw(key)))

    @property
    def year(self) -> int | None:
        """The report year if it is a calendar year date arithmetic can use (META-YEAR judges it)."""
        year = to_year(self.raw("year"))
        return year if year is not None and 1 <= year <= 9998 else None

    @property
    def body_type(self) -> str:
        return to_text(self.raw("body.type")).strip()

    @property
    def published_on(self) -> dt.date | None:
        return to_date(self.raw("published_on"))

    def has(self, *keys: str) -> bool:
        return all(map(self.figures.__contains__, keys))

    def total(self, keys: Iterable[str]) -> int | Decimal:
        return sum(map(self.figures.__getitem__, keys))

    def finding(
        self, rule: Rule, keys: Iterable[str], expected: object = None, actual: object = None, **fields: object
    ) -> Finding:
        keys = tuple(keys)
        cells = tuple(CellRef(self.format.cell(k).a1, k) for k in keys)
        label = self.format.cell(keys[0]).label if keys else ""
        message = rule.message.format(label=label, expected=_show(expected), actual=_show(actual), **fields)
        return Finding(rule.id, rule.severity, rule.scope, cells, message, expected, actual)


def _show(value: object) -> str:
    if value is None:
        return ""
    return str(value)


@cache
def _numeric_cells(fmt: FormatSpec) -> tuple[tuple[str, Callable[[object], int | Decimal | Problem], bool, int], ...]:
    """(key, converter, required, lowest int taken as is) of every figure cell, this year's and
    the 上年数据 ones (:mod:`validator.kinds`)."""
    cells = (*fmt.figure_cells(), *fmt.baseline_cells)
    kinds = [(c, KINDS[c.kind]) for c in cells]
    return tuple((c.key, kind.convert, c.required, kind.low) for c, kind in kinds if kind.figure)


@cache
def _count_plan(fmt: FormatSpec) -> tuple[dict[str, None], tuple[str, ...], Callable[[dict], tuple], tuple]:
    """For taking this year's counts at once: every numeric key in order (the order figures
    are found in), the count keys and their getter, and the other numeric cells."""
    from operator import itemgetter

    cells = _numeric_cells(fmt)
    counts = tuple(c[0] for c in cells if c[3] == KINDS["count"].low and not c[0].startswith("last_year."))
    taken = set(counts)
    others = tuple(c for c in cells if c[0] not in taken)
    getter = itemgetter(*counts) if len(counts) > 1 else (lambda values: ())
    return dict.fromkeys(c[0] for c in cells), counts, getter, others


def build_context(submission: Submission, profile: Profile, today: dt.date | None = None) -> Context:
    ctx = Context(submission.format, submission, profile, today=today or dt.date.today())
    values = submission.values
    if AT_ONCE.on:
        template, count_keys, get_counts, others = _count_plan(submission.format)
        try:
            counts = get_counts(values)
        except KeyError:  # a cell left out: read as blank, cell by cell
            counts = ()
        if counts and set(map(type, counts)) == {int} and min(counts) >= 0 and max(counts) <= MAX_COUNT:
            # what the count kind's conversion returns first for each; the rest cell by cell
            ctx.figures = figures = template.copy()  # type: ignore[assignment]  # every key, in order
            figures.update(zip(count_keys, counts))
            _convert(values, others, figures, ctx.problems)
            for key, *_ in others:
                if figures[key] is None:  # blank or a problem: not a figure
                    del figures[key]
            return ctx
    _convert(values, _numeric_cells(submission.format), ctx.figures, ctx.problems)
    return ctx


def _convert(values: dict, cells: tuple, figures: dict, problems: dict) -> None:
    get = values.get
    for key, convert, required, low in cells:
        raw = get(key)
        if type(raw) is int and low <= raw <= MAX_COUNT:  # a typed figure: what convert() returns first
            figures[key] = raw
            continue
        if not required and (raw is None or (isinstance(raw, str) and not raw.strip())):
            continue
        value = convert(raw)
        if isinstance(value, Problem):
            problems[key] = value
        else:
            figures[key] = value
