"""A report as it arrives, before any judgement: raw cell content by key.

Both sources produce one: the workbook reader (values exactly as the cells hold them) and
the JSON loader (already typed). The rule engine reads only this, so the Excel button, the
command line and the receiving office check with the same code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from validator.spec import FormatSpec
from validator.values import EXCEL_CELL_LIMIT, excel_length, quoted, text_problem  # noqa: F401  (re-exported)


class InputKind:
    """What a reader declares about the submissions it makes (see :mod:`validator.readers`):

    - ``typed``: values arrive typed and held to their field's rules when read (a JSON through
      its model): no figure can be text a sheet's SUM skips, and no text needs checking again;
    - ``annotatable``: ``check --annotate`` can write a marked copy (its reader has an ``annotate``);
    - ``sheets``: the report is the template's sheets filled in, so its text prints in their cells
      (rule ``text_prints``); a JSON or a published document is printed by ``xxgk render``.

    A plain class, not a dataclass: the Excel button imports this module, and a dataclass costs
    its import a million instructions."""

    __slots__ = ("name", "typed", "annotatable", "sheets")

    def __init__(self, name: str, typed: bool = False, annotatable: bool = False, sheets: bool = False) -> None:
        self.name, self.typed, self.annotatable, self.sheets = name, typed, annotatable, sheets

    def _fields(self) -> tuple[str, bool, bool, bool]:
        return self.name, self.typed, self.annotatable, self.sheets

    def __eq__(self, other: object) -> bool:
        return isinstance(other, InputKind) and self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return f"InputKind({self.name!r}, typed={self.typed}, annotatable={self.annotatable}, sheets={self.sheets})"


CELLS = InputKind("cells", sheets=True)
"""Cell contents as a sheet holds them, read by no file reader (the Excel add-in's open workbook)."""
JSON = InputKind("json", typed=True)
"""Read from the normalized JSON: every value typed and held to its field's rules by the model
(:mod:`validator.model`; a JSON file, a page's data block, the archive)."""
PUBLISHED = InputKind("published", typed=True)
"""Read by the importer from a published document (:mod:`validator.readers.published`): its
figures arrive as numbers."""


@cache
def _known(fmt: FormatSpec) -> tuple[frozenset[str], frozenset[str]]:
    return frozenset(r.id for r in fmt.rules), frozenset(c.key for c in (*fmt.cells, *fmt.baseline_cells))


def unknown_rule(fmt: FormatSpec, rule: str) -> str | None:
    if rule not in _known(fmt)[0]:
        return f"本格式没有编号为“{quoted(rule)}”的规则"
    return None


def unknown_key(fmt: FormatSpec, key: str) -> str | None:
    if key not in _known(fmt)[1]:
        return f"本格式没有单元格键“{quoted(key)}”（键见 xxgk rules --markdown --keys）"
    return None


def explanation_problem(fmt: FormatSpec, rule: str, keys: tuple[str, ...], text: str) -> str | None:
    """Why an explanation cannot be kept (unknown rule or cell key, text no cell can hold), or None.

    The JSON model and the workbook path (engine) both ask this, so neither ``check`` nor
    ``fill`` accepts what the other refuses."""
    problem = unknown_rule(fmt, rule)
    for key in keys:
        problem = problem or unknown_key(fmt, key)
    return problem or text_problem(text)


@dataclass(frozen=True)
class Explanation:
    """Staff's note on a 提示: which rule, which cells, and why the figure stands."""

    rule: str
    keys: tuple[str, ...]
    text: str


@dataclass
class Submission:
    format: FormatSpec
    values: dict[str, object]
    """Raw content per cell key, including ``last_year.*`` baseline cells."""
    source: str = ""
    explanations: list[Explanation] = field(default_factory=list)
    kind: InputKind = CELLS
    """Which reader made it, and what that means for the checks and the faces."""
    findings: list = field(default_factory=list, repr=False)
    """What reading found (a published report's import 提示), added to its check report."""
    aggregate_of: tuple[str, ...] = ()
    """The bodies whose reports this one sums, when ``xxgk collect --aggregate`` made it (the
    mark travels with the report: its JSON's ``aggregate``, its workbook's hidden 汇总来源
    sheet), so a later collect of an inbox holding those bodies never sums it again."""
    places: dict[str, str] = field(default_factory=dict)
    """For a published document read by the importer: where each cell was read (``第 12 行``,
    ``第 4 页第 3 行``, a Word table's cell), or that the document does not state it. Findings
    then point there instead of at a workbook cell the document does not have. Empty for
    workbooks and JSON."""

    def raw(self, key: str) -> object:
        return self.values.get(key)

    def has_baseline(self) -> bool:
        return any(self.values.get(c.key) not in (None, "") for c in self.format.baseline_cells)
