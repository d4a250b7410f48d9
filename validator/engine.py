"""The rule engine: one pass over a :class:`Submission` with the format's rules.

The Excel button, the command line and the receiving office all call :func:`validate`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

from validator import checks, localize
from validator.context import Context, build_context  # noqa: F401  (Context re-exported)
from validator.errors import UnusableInput
from validator.profile import Profile
from validator.report import CellRef, Finding, ValidationReport
from validator.submission import Submission, explanation_problem, quoted, text_problem
from validator.values import normalize_newlines


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
    for rule in profile.rules_in_force(submission.format.rules):
        report.rules_run += 1
        report.findings.extend(checks.REGISTRY[rule.check](ctx, rule))
    report.findings = localize.apply(report.findings, ctx)
    if submission.places:
        report.findings = [cite_places(f, submission) for f in report.findings]
    attach_explanations(report, submission)
    return report


def cite_places(finding: Finding, submission: Submission) -> Finding:
    """The finding pointing at the places a published document gave its cells
    (:attr:`Submission.places`) instead of workbook cells, in its cells and its message."""
    places, fmt = submission.places, submission.format

    def ref(cell: CellRef) -> CellRef:
        return CellRef(places[cell.key], cell.key) if cell.key in places else cell

    message = finding.message
    for cell in (*finding.cells, *(c for c, _v in finding.alternatives)):
        if cell.key in places:
            message = re.sub(re.escape(fmt.cell(cell.key).a1) + r"(?![0-9])", places[cell.key], message)
    return replace(
        finding,
        cells=tuple(map(ref, finding.cells)),
        message=message,
        alternatives=tuple((ref(c), v) for c, v in finding.alternatives),
        marked=None if finding.marked is None else tuple(map(ref, finding.marked)),
    )


def ensure_usable(submission: Submission) -> None:
    """Refuse (exit 2) content no worksheet cell or JSON field can hold: text over Excel's
    32767-character limit or with control characters, and 校验结果 notes naming a rule or cell
    the format does not have. A JSON was held to the same tests by its model when loaded, so
    ``check``, ``export`` and ``fill`` accept exactly the same reports, whichever reader read them."""
    if submission.kind.typed:
        return
    fmt = submission.format
    for key, value in submission.values.items():
        if isinstance(value, str):
            problem = text_problem(normalize_newlines(value))
            if problem:
                cell = fmt.cell(key)
                raise UnusableInput(
                    f"“{cell.label}”{problem}，无法保存到 JSON 或工作簿",
                    where=f"{submission.source} {cell.a1}".strip(),
                    code="bad-text",
                )
    for e in submission.explanations:
        problem = explanation_problem(fmt, e.rule, e.keys, normalize_newlines(e.text))
        if problem:
            raise UnusableInput(
                f"“{fmt.results_sheet}”表中规则“{quoted(e.rule)}”的情况说明：{problem}",
                where=submission.source or None,
                code="bad-text",
            )


def with_baseline(submission: Submission, last_year: Submission) -> Submission:
    """This year's submission with last year's figures in its ``last_year.*`` cells."""
    values = dict(submission.values)
    values["last_year.year"] = last_year.values.get("year")
    for key in submission.format.baseline_keys:
        values[f"last_year.{key}"] = last_year.values.get(key)
    return replace(submission, values=values, explanations=list(submission.explanations))


def attach_explanations(report: ValidationReport, submission: Submission) -> None:
    notes: dict[tuple[str, tuple[str, ...]], str] = {}
    for e in submission.explanations:
        if e.text.strip():
            notes.setdefault((e.rule, e.keys), e.text)
    if not notes:
        return
    report.findings = [
        replace(f, explanation=notes[(f.rule, f.keys)]) if (f.rule, f.keys) in notes else f for f in report.findings
    ]
