"""The rule engine: one pass over a :class:`Submission` with the format's rules.

The Excel button, the command line and the receiving office all call :func:`validate`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cache

from validator import checks, localize
from validator.errors import UnusableInput
from validator.profile import Profile
from validator.report import CellRef, Finding, ValidationReport
from validator.spec import FormatSpec, Rule
from validator.submission import Submission, explanation_problem, quoted, text_problem
from validator.values import Problem, normalize_newlines, to_count, to_date, to_money, to_text, to_year


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

    def finding(self, rule: Rule, keys: Iterable[str], expected: object = None, actual: object = None,
                **fields: object) -> Finding:
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
def _numeric_cells(fmt: FormatSpec) -> tuple[tuple[str, Callable[[object], object], bool], ...]:
    cells = (*fmt.figure_cells(), *fmt.baseline_cells)
    return tuple((c.key, to_money if c.kind == "money" else to_count, c.required)
                 for c in cells if c.kind in ("count", "money"))


def build_context(submission: Submission, profile: Profile, today: dt.date | None = None) -> Context:
    ctx = Context(submission.format, submission, profile, today=today or dt.date.today())
    values, figures, problems = submission.values, ctx.figures, ctx.problems
    for key, convert, required in _numeric_cells(submission.format):
        raw = values.get(key)
        if not required and (raw is None or (isinstance(raw, str) and not raw.strip())):
            continue
        value = convert(raw)
        if isinstance(value, Problem):
            problems[key] = value
        else:
            figures[key] = value
    return ctx


def validate(
    submission: Submission,
    profile: Profile | None = None,
    last_year: Submission | None = None,
    today: dt.date | None = None,
) -> ValidationReport:
    """Check one report; `last_year` (e.g. from ``--last-year``) replaces the 上年数据 sheet."""
    profile = profile or Profile()
    ensure_usable(submission)
    if last_year is not None:
        submission = with_baseline(submission, last_year)
    ctx = build_context(submission, profile, today)
    ctx.last_year = last_year
    report = ValidationReport(source=submission.source, format=submission.format.id)
    report.cells_checked = len(ctx.figures) + len(ctx.problems)
    for rule in submission.format.rules:
        rule = profile.apply(rule)
        if rule is None:
            continue
        report.rules_run += 1
        report.findings.extend(checks.REGISTRY[rule.check](ctx, rule))
    report.findings = localize.apply(report.findings, ctx)
    attach_explanations(report, submission)
    return report


def ensure_usable(submission: Submission) -> None:
    """Refuse (exit 2) content no worksheet cell or JSON field can hold: text over Excel's
    32767-character limit or with control characters, and 校验结果 notes naming a rule or cell
    the format does not have. A JSON was held to the same tests by its model when loaded, so
    ``check``, ``export`` and ``fill`` accept exactly the same reports, whatever their origin."""
    if submission.origin == "json":
        return
    fmt = submission.format
    for key, value in submission.values.items():
        if isinstance(value, str):
            problem = text_problem(normalize_newlines(value))
            if problem:
                cell = fmt.cell(key)
                raise UnusableInput(f"“{cell.label}”{problem}，无法保存到 JSON 或工作簿",
                                    where=f"{submission.source} {cell.a1}".strip())
    for e in submission.explanations:
        problem = explanation_problem(fmt, e.rule, e.keys, normalize_newlines(e.text))
        if problem:
            raise UnusableInput(f"“{fmt.results_sheet}”表中规则“{quoted(e.rule)}”的情况说明：{problem}",
                                where=submission.source or None)


def with_baseline(submission: Submission, last_year: Submission) -> Submission:
    """This year's submission with last year's figures in its ``last_year.*`` cells."""
    values = dict(submission.values)
    values["last_year.year"] = last_year.values.get("year")
    for key in submission.format.baseline_keys:
        values[f"last_year.{key}"] = last_year.values.get(key)
    return Submission(submission.format, values, submission.source, list(submission.explanations),
                      submission.origin)


def attach_explanations(report: ValidationReport, submission: Submission) -> None:
    notes: dict[tuple[str, tuple[str, ...]], str] = {}
    for e in submission.explanations:
        if e.text.strip():
            notes.setdefault((e.rule, e.keys), e.text)
    if not notes:
        return
    report.findings = [
        replace(f, explanation=notes[(f.rule, f.keys)]) if (f.rule, f.keys) in notes else f
        for f in report.findings
    ]
