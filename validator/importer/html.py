"""A published report's web page as text lines for :func:`validator.importer.text.read_text`.

Each table row becomes one ``cell | cell | …`` line with each physical cell once (a merged
cell's ``colspan``/``rowspan`` is not repeated: the reader counts a table's figures, and a
repeated merged value would be counted twice); headings, paragraphs and line breaks end a line.
Script and style content is skipped. Each line keeps the source line it started on, for the
provenance file.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

BLOCKS = frozenset({"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "br", "table", "caption", "section"})
SKIP = frozenset({"script", "style", "head", "title"})
CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_-]+)""", re.IGNORECASE)


class _Flatten(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.sources: list[int] = []
        self._text: list[str] = []
        self._start = 1
        self._cells: list[str] | None = None
        self._cell: list[str] | None = None
        self._skip = 0

    def _flush(self) -> None:
        text = "".join(self._text).strip()
        if text:
            self.lines.append(re.sub(r"\s+", " ", text))
            self.sources.append(self._start)
        self._text = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIP:
            self._skip += 1
        elif tag == "tr":
            self._flush()
            self._cells, self._start = [], self.getpos()[0]
        elif tag in ("td", "th") and self._cells is not None:
            self._cell = []
        elif tag in BLOCKS and self._cell is None:
            self._flush()
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in ("td", "th") and self._cells is not None and self._cell is not None:
            self._cells.append(re.sub(r"\s+", "", "".join(self._cell)))
            self._cell = None
        elif tag == "tr" and self._cells is not None:
            if any(self._cells):
                self.lines.append(" | ".join(self._cells))
                self.sources.append(self._start)
            self._cells = None
        elif tag in BLOCKS and self._cell is None:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._cell is not None:
            self._cell.append(data)
        elif self._cells is None:
            if not self._text:
                self._start = self.getpos()[0]
            self._text.append(data)


def decode_html(data: bytes) -> str | None:
    """The page's text in the charset its meta tag names (GBK/GB2312 read as GB18030), else
    UTF-8 or GB18030; None when none fits."""
    found = CHARSET.search(data[:4096])
    names = ["utf-8-sig", "gb18030"]
    if found:
        name = found.group(1).decode("ascii").lower()
        names.insert(0, "gb18030" if name in ("gbk", "gb2312", "gb18030", "x-gbk") else name)
    for name in names:
        try:
            return data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
    return None


def html_lines(text: str) -> tuple[list[str], list[int]]:
    """The page as text lines and, for each, the source line it came from (1-based)."""
    parser = _Flatten()
    parser.feed(text)
    parser.close()
    parser._flush()
    return parser.lines, parser.sources
