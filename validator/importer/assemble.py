"""What the importer read, as a :class:`~validator.submission.Submission`, with where each
cell was found in the document (so findings cite the document, not a workbook cell)."""

from __future__ import annotations

from validator.formats import get_format
from validator.importer.text import Imported
from validator.submission import PUBLISHED, Submission


def to_submission(
    imported: Imported, where: str, body: str | None = None, year: int | None = None, body_type: str | None = None
):
    """The imported figures as a submission of the 2021 format; flags override the document."""
    if isinstance(imported.exact, Submission):  # a page's own data block: as it was exported
        exact = imported.exact
        values = dict(exact.values)
        values.update({k: v for k, v in (("body.name", body), ("year", year), ("body.type", body_type)) if v})
        return Submission(exact.format, values, where, list(exact.explanations), kind=PUBLISHED)
    values = dict(imported.values)
    values["body.name"] = body or imported.body or ""
    values["year"] = year if year is not None else imported.year
    values["body.type"] = body_type
    fmt = get_format()
    given = {k for k, v in (("body.name", body), ("year", year), ("body.type", body_type)) if v}
    return Submission(fmt, values, where, kind=PUBLISHED, places=places(imported, fmt, given))


NOT_STATED = "原文未载明"
GIVEN = "命令行指定"


def places(imported: Imported, fmt, given: frozenset[str] | set[str] = frozenset()) -> dict[str, str]:
    """Where the document gave each cell, for findings: a figure's line (a PDF's page and
    line, a Word table's cell), a part's heading line, the title's line for the body and year,
    the date's line; a cover cell the document does not state is :data:`NOT_STATED`, one a
    command-line option gave is :data:`GIVEN`. Unread table cells keep their table cell."""

    def at(entry: dict[str, object]) -> str:  # a provenance entry's line, with its page
        page = entry.get("page")
        return f"第 {page} 页第 {entry['line']} 行" if page else f"第 {entry['line']} 行"

    out: dict[str, str] = {}
    for f in imported.figures:
        out[f.key] = f.place or (f"第 {f.page} 页第 {f.line} 行" if f.page else f"第 {f.line} 行")
    for key, entry in imported.parts.items():
        if "line" in entry:
            out.setdefault(key, at(entry))
    title = imported.parts.get("title")
    if title:
        for key in ("body.name", "year"):
            out[key] = at(title)
    cover = next(s.name for s in fmt.sheets if s.name == "封面")
    for cell in fmt.cells:
        if cell.sheet == cover and cell.key not in out:
            out[cell.key] = NOT_STATED
    for key in given:
        out[key] = GIVEN
    return out
