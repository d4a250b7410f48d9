"""A report as it arrives, before any judgement: raw cell content by key.

Both sources produce one: the workbook reader (values exactly as the cells hold them) and
the JSON loader (already typed). The rule engine reads only this, so the Excel button, the
command line and the receiving office check with the same code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from validator.spec import FormatSpec


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
    origin: str = "workbook"
    """``workbook`` or ``json``: where the values were read from."""

    def raw(self, key: str) -> object:
        return self.values.get(key)

    def has_baseline(self) -> bool:
        return any(
            self.values.get(c.key) not in (None, "") for c in self.format.baseline_cells
        )
