"""The Python API: the one front door under every face.

The command line (:mod:`validator.cli`), the web server (:mod:`validator.serve`), the Excel
add-in (``addin``) and an integrator's script all call these functions; none of them holds
logic of its own. Nothing here prints or exits: refusals are exceptions
(:class:`~validator.errors.UnusableInput` for input that cannot be used, exit code 2;
:class:`Refused` when 错误 remain), results are data.

    from validator import api

    checked = api.check("本年.xlsx", last_year="上年.json")
    print(checked.report.summary_zh())
    if checked.valid:
        Path("本年.json").write_bytes(api.export(checked))

See ``docs/api.md`` for every function with examples.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from validator import readers
from validator.engine import validate, with_baseline
from validator.errors import UnusableInput
from validator.formats import DEFAULT_FORMAT, get_format, known_formats
from validator.jsonio import dump_model, load_json, report_to_model
from validator.profile import Profile, ProfileError, load_profile
from validator.readers import load, published
from validator.report import Finding, ValidationReport
from validator.spec import FormatSpec
from validator.submission import Submission
from validator.values import to_year

if TYPE_CHECKING:
    from validator.collect.ledger import Verified
    from validator.collect.session import Collected, CollectRequest
    from validator.importer.text import Imported
    from validator.render.document import MissingNarrative
    from validator.season.service import Season, SeasonError

# The services below (collect, import, render) are imported on first use: a single check,
# the commonest call, must not pay for loading the others (about 150 ms of modules).
_LAZY = {
    "CollectRequest": "validator.collect.session",
    "Collected": "validator.collect.session",
    "MissingNarrative": "validator.render.document",
    "Season": "validator.season.service",
    "SeasonError": "validator.season.service",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'validator.api' has no attribute {name!r}")


__all__ = [
    "Checked",
    "CollectRequest",
    "Collected",
    "ImportedReport",
    "MissingNarrative",
    "Refused",
    "Rendered",
    "Season",
    "SeasonError",
    "annotate",
    "backup_archive",
    "check",
    "collect",
    "export",
    "fill",
    "format_of",
    "import_document",
    "load",
    "load_json",
    "new_year",
    "open_season",
    "verify_archive",
    "is_document",
    "output_kind",
    "read_published",
    "render",
    "rule_profile",
    "summary_line",
    "template",
]

Source = str | Path
Kind = Literal["docx", "html"]


@dataclass
class Checked:
    """A submission and the report of its check."""

    submission: Submission
    report: ValidationReport

    @property
    def valid(self) -> bool:
        """No 错误 (提示 may remain)."""
        return self.report.valid

    @property
    def exit_code(self) -> int:
        return self.report.exit_code


class Refused(Exception):
    """Export or render refused because 错误 remain (exit code 1); ``force`` overrides."""

    def __init__(self, report: ValidationReport, what: str):
        self.report = report
        self.what = what
        super().__init__(f"存在 {len(report.errors)} 个错误，{what}")


def format_of(format_id: str | None = None) -> FormatSpec:
    """The format with this id (default: the current official format); exit 2 for an unknown id."""
    fmt_id = format_id or DEFAULT_FORMAT
    try:
        return get_format(fmt_id)
    except KeyError:
        raise UnusableInput(
            f"没有编号为“{fmt_id}”的格式；本工具认识 {'、'.join(known_formats())}", code="bad-argument"
        ) from None


def rule_profile(source: Source | Profile | None, fmt: FormatSpec) -> Profile:
    """A rule profile (TOML file) checked against `fmt`; None gives the default (every rule as shipped)."""
    if source is None:
        return Profile()
    if isinstance(source, Profile):
        return source
    try:
        return load_profile(source, fmt)
    except ProfileError as exc:
        raise UnusableInput(str(exc), code="bad-profile") from None


def check(
    source: Source | Submission,
    *,
    last_year: Source | Submission | None = None,
    profile: Source | Profile | None = None,
    published: bool = False,
    body_type: str | None = None,
    today: dt.date | None = None,
) -> Checked:
    """Check a workbook, a JSON or (``published=True``) a published report.

    `last_year` is last year's JSON or workbook (with `published`, also last year's published
    report); it replaces the 上年数据 sheet. `body_type` (政府/部门/乡镇) is for published
    reports, which do not state it. The import's 提示 of a published report are part of the
    returned report."""
    if isinstance(source, Submission):
        submission = source
    elif published:
        submission, _ = read_published(source, body_type=body_type)
    else:
        if body_type is not None:
            raise UnusableInput("主体类型只用于已发布的报告（工作簿和 JSON 的封面已有主体类型）", code="bad-argument")
        submission = load(source)
    last = _last_year(last_year, published, body_type) if last_year is not None else None
    report = validate(submission, rule_profile(profile, submission.format), last, today)
    report.findings.extend(submission.findings)
    return Checked(submission, report)


def _last_year(source: Source | Submission, published: bool, body_type: str | None) -> Submission:
    if isinstance(source, Submission):
        return source
    if published and readers.is_published(source):
        return read_published(source, body_type=body_type)[0]
    return load(source)


def export(checked: Checked, *, force: bool = False) -> bytes:
    """The normalized JSON (UTF-8 bytes) to submit upward; :class:`Refused` while 错误 remain
    unless `force` (the JSON is then marked as not passed)."""
    if not checked.valid and not force:
        raise Refused(checked.report, "未导出")
    return dump_model(report_to_model(checked.submission, checked.report))


@dataclass
class Rendered:
    data: bytes
    incomplete: bool
    """A draft: some narrative part was empty and shows a placeholder."""
    undated: bool = False
    """No publication date in the data: the 落款 is the body's name alone."""


def render(checked: Checked, kind: Kind, *, draft: bool = False, force: bool = False) -> Rendered:
    """The publishable report (.docx or .html bytes). :class:`Refused` while 错误 remain unless
    `force` (the document then says it has not passed); :class:`MissingNarrative` for empty
    narrative parts unless `draft`."""
    from validator.render.make import document_for, render_bytes  # lazy: loads jinja2, docx

    if not checked.valid and not force:
        raise Refused(checked.report, "未生成报告")
    doc = document_for(checked.submission, checked.report, draft)
    return Rendered(render_bytes(doc, kind), doc.incomplete, doc.published_on is None)


def output_kind(out: Source) -> Kind:
    """The document kind an output name asks for: ``.docx`` or ``.html`` (exit 2 for any other)."""
    from validator.render.make import output_kind  # lazy: off the check path

    return output_kind(out)


def fill(submission: Submission, out: Source, *, check: bool = True) -> ValidationReport | None:
    """A filled workbook (.xlsx) from a submission (e.g. a received JSON); with `check` its
    findings go into the 校验结果 sheet and the report is returned."""
    from validator.workbook.write import fill_workbook  # lazy: loads openpyxl

    report = validate(submission) if check else None
    fill_workbook(submission, report, out)
    return report


def annotate(source: Source, checked: Checked, out: Source) -> list[str]:
    """A copy of the workbook `source` with its findings marked and the 校验结果 sheet filled
    (never the original); returns notes on what the copy could not keep."""
    kind = checked.submission.kind
    reader = readers.reader_of(kind) if kind.annotatable else None
    if reader is None or reader.annotate is None:
        kinds = "、".join(r.label for r in readers.READERS if r.annotate is not None)
        raise UnusableInput(
            f"标注副本只用于工作簿（{kinds}）；JSON 请用 xxgk fill 生成工作簿", where=str(source), code="bad-argument"
        )
    return reader.annotate(Path(source), checked.submission, checked.report, Path(out))


def template(format_id: str | None = None) -> bytes:
    """The blank 填报 workbook of a format."""
    from validator.workbook.build import template_bytes  # lazy: loads xlsxwriter

    fmt = format_of(format_id)
    if not fmt.template:
        raise UnusableInput(f"格式“{fmt.id}”只用于读取和校验已有报告，不提供模板", code="bad-argument")
    return template_bytes(fmt)


def new_year(last_year: Source, *, body_type: str | None = None) -> tuple[Submission, list[Finding]]:
    """Next year's submission from last year's JSON or published report: body, carried-over
    figures and the 上年数据 filled, the year one later. Also returns what importing a
    published report found (a carried figure read from a blank is not taken on trust)."""
    if readers.is_published(last_year):
        last, found = read_published(last_year, body_type=body_type)
    else:
        if body_type is not None:
            raise UnusableInput("主体类型只用于由已发布的报告生成（JSON 中已有主体类型）", code="bad-argument")
        readers.refuse_unless_json(last_year, "xxgk new --from")
        last, found = load_json(last_year), []
    fmt = last.format
    year = to_year(last.values.get("year"))
    values: dict[str, object] = {
        k: last.values.get(k) for k in ("body.name", "body.type", "body.region_code", "body.credit_code")
    }
    values["year"] = year + 1 if year is not None else None
    for this_key, last_key in fmt.carry_over:
        values[this_key] = last.values.get(last_key)
    return with_baseline(Submission(fmt, values, Path(last_year).name), last), found


@dataclass
class ImportedReport:
    """A published report imported: its submission, and the document as read (for provenance)."""

    submission: Submission
    document: Imported
    source: str

    @property
    def complete(self) -> bool:
        """Every table cell was read (none left null)."""
        return not self.document.unread

    @property
    def from_data_block(self) -> bool:
        """Read exactly from this tool's own data block in a rendered page."""
        return self.document.exact is not None

    def workbook_submission(self) -> Submission:
        """The submission for a filled workbook: its findings point at the workbook's own cells,
        not at the document's lines."""
        return replace(self.submission, places={})

    def json_bytes(self) -> bytes:
        """The normalized JSON, as ``export`` writes it (no check result inside)."""
        return dump_model(report_to_model(self.submission, None))

    def provenance(self) -> bytes:
        """Where every cell came from (``<name>.provenance.json``)."""
        from validator.importer.document import provenance  # lazy: off the check path

        return provenance(self.document, self.source)

    def notes(self) -> list[str]:
        """What staff must know, one line each: 提示 and cells left empty."""
        from validator.importer.document import notes  # lazy: off the check path

        return notes(self.document)


def import_document(
    source: Source, *, body: str | None = None, year: int | None = None, body_type: str | None = None
) -> ImportedReport:
    """A published report (.txt/.md, .html, .docx, .pdf with text) as a submission; the body's
    name, year and type override what the document says."""
    document, submission = published.imported(source, body, year, body_type)
    return ImportedReport(submission, document, Path(source).name)


def collect(request: CollectRequest, progress=None) -> Collected:
    """Read, check and sum a folder of submissions (``xxgk collect``): writes the 汇总
    workbook and the other outputs the request names, archives with ``db``."""
    from validator.collect.session import run_collect  # lazy: loads openpyxl, xlsxwriter

    return run_collect(request, progress)


def summary_line(result) -> str:
    """One line on a collect run: year, files, bodies and how many of each status."""
    from validator.collect.session import summary_line  # lazy: off the check path

    return summary_line(result)


def is_document(source: Source) -> bool:
    """Whether `source` names a published document (web page, text, Word, PDF) by its name."""
    return readers.is_published(source)


def read_published(
    source: Source, *, body: str | None = None, year: int | None = None, body_type: str | None = None
) -> tuple[Submission, list[Finding]]:
    """A published report read in memory: its submission and what the import found (also
    its ``findings``)."""
    submission = published.imported(source, body, year, body_type)[1]
    return submission, submission.findings


def open_season(
    db: Source,
    *,
    roster: Source | None = None,
    year: int | None = None,
    profile: Source | Profile | None = None,
    remember: bool = True,
) -> Season:
    """The 收报 season on an archive (created, or migrated from structure version 1, on first
    use): bodies from the roster, 报送码, versions judged on arrival, return and approve, the
    汇总 from approved versions, the audit log. `year` (else the one last used) becomes the
    board's season unless `remember` is False. The board (``xxgk serve --db``), ``xxgk codes``
    and ``xxgk archive`` are faces over it; see ``docs/board.md``."""
    from validator.season.service import Season  # lazy: off the check path

    chosen = rule_profile(profile, format_of()) if profile else None
    return Season.open(db, roster=roster, year=year, profile=chosen, remember=remember)


def verify_archive(db: Source) -> Verified:
    """Prove the archive's audit log whole and the versions, figures, files and codes it describes
    unaltered (``xxgk archive verify``); nothing is written."""
    from validator.collect.archive import Archive  # lazy: off the check path
    from validator.collect.ledger import GENESIS, Verified, verify  # lazy: off the check path

    archive = Archive.open(db)
    with archive.read() as con:
        if con is None:
            return Verified(0, 0, GENESIS, [])
        if con.execute("PRAGMA user_version").fetchone()[0] < 2:
            raise UnusableInput(
                "这是旧版（结构版本 1）归档，还没有审计记录；用 xxgk serve --db 或 xxgk collect --db 打开一次即自动升级",
                where=Path(db).name,
            )
        return verify(con)


def backup_archive(db: Source, out: Source) -> None:
    """A consistent copy of the archive (SQLite's online backup: the board may keep running)."""
    from validator.collect.archive import Archive  # lazy: off the check path

    Archive.open(db).backup(out)
