"""A PDF page as the readers see it: characters with their boxes, rulings, and the marks
that are not table figures (page numbers)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from validator.importer.text import EMPTY_CELL

BLANK = EMPTY_CELL  # an empty cell: recorded as such (raw text empty, form ``empty``), never shown
PAGE_NUMBER = re.compile(
    r"^[-—－–\s]*(?:第\s*)?\d{1,4}\s*(?:页)?(?:\s*[/／]\s*\d{1,4}|\s*共\s*\d{1,4}\s*页)?[-—－–\s]*$"
)
DASHED = re.compile(r"^\s*[-—－–]+\s*\d{1,4}\s*[-—－–]+\s*$|^\s*第\s*\d{1,4}\s*页")
NUMBERISH = re.compile(r"^\d[\d,]*(?:\.\d+)?$")


@dataclass
class Char:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    line: int = 0  # the line of the page's text (reading order) the character is on
    space: bool = False  # a space came before it in the page's text

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


@dataclass
class Page:
    """One page: its text in reading order, its characters with boxes, its rulings."""

    number: int
    text: str
    chars: list[Char] = field(default_factory=list)
    hrules: list[tuple[float, float, float]] = field(default_factory=list)  # (y, x0, x1)
    vrules: list[tuple[float, float, float]] = field(default_factory=list)  # (x, y0, y1)


def is_page_number(line: str, number: int, edge: bool) -> bool:
    text = line.strip()
    if DASHED.match(text):
        return True
    return edge and bool(PAGE_NUMBER.match(text)) and re.sub(r"\D", " ", text).split()[:1] == [str(number)]
