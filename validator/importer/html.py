"""A published report's web page as text lines for :func:`validator.importer.text.read_lines`.

Each table row becomes one ``cell | cell | …`` line with each physical cell once (a merged
cell's ``colspan``/``rowspan`` is not repeated: the reader counts a table's figures, and a
repeated merged value would be counted twice); headings, paragraphs and line breaks end a line.
An empty cell where a figure belongs (after the row's label, or in a row of figures only) is
marked for the reader, which reads it as 0 and reports it; an empty header cell (a top-left
corner) is not a figure's place (:func:`validator.importer.text.mark_blanks`).
Script, style, navigation and ``<footer>`` content is skipped (a site's footer, or the 落款
``xxgk render`` puts in its article's footer: not part 六's text). Each line keeps the source
line it started on, for the provenance file.

The page is parsed by lxml (libxml2): linear on any input, so a hostile page (millions of
``</``, unclosed comments or attributes, markup nested thousands deep: libxml2 stops at depth
256) costs what its size costs, which :data:`validator.importer.source.MAX_BYTES` bounds.
When the page has a CMS article container (``#zoom``, ``.TRS_Editor``…) holding the tables,
only the container is read (with the report's title line when it sits above it), so menus,
sidebars and footers neither add numbers nor run into part 六.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from urllib.parse import unquote, urlparse

from validator.errors import UnusableInput
from validator.importer.text import Imported, mark_blanks, mark_table, read_lines, table_keys
from validator.jsonio import parse_json_bytes, report_from_dict, submission_from_report

BLOCKS = frozenset(
    {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "br", "table", "caption", "section", "article", "tr"}
)
SKIP = frozenset(
    {"script", "style", "head", "title", "noscript", "template", "nav", "footer", "select", "textarea", "button"}
)
CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_-]+)""", re.IGNORECASE)
CONTAINER_IDS = ("zoom", "ucap-content", "fontzoom", "xxgk-content", "article-content", "article_content")
CONTAINER_CLASSES = (
    "trs_editor",
    "trs_editor_view",
    "trs_ueditor",
    "article-content",
    "article_content",
    "xxgk-content",
    "xxgk_content",
    "zoom",
)
"""Article body containers of the CMS that government sites run (TRS WCM, 大汉, 拓尔思…), in
order of preference when a page has several."""
ATTACHMENT = re.compile(r"\.(?:pdf|docx?|wps|ofd|xlsx?)$", re.IGNORECASE)
DATA_BLOCK = "xxgk-report-data"
"""The id of the machine-readable block ``xxgk render`` puts in the pages it makes."""
TITLE = re.compile(r"(?:19|20)\d\d\s*年度?\s*政府信息公开工作年度报告$")
HIDING = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*(?:hidden|collapse)|font-size\s*:\s*0(?![.\d])", re.IGNORECASE
)
"""Inline styles that hide an element's text from a reader (a known anti-copy trick puts
random digits in hidden spans between the visible ones)."""
CLASS_SELECTOR = re.compile(r"^\s*(?:[a-z0-9]*)\.([\w-]+)\s*$", re.IGNORECASE)
PUBLISHED_ON = re.compile(r"(?:发布时间|发布日期|公开日期|发文日期)[:：]?(?:19|20)\d\d")


def _rank(el) -> int | None:
    """The container's preference (lower is better), or None when `el` is not one."""
    ident = (el.get("id") or "").lower()
    classes = (el.get("class") or "").lower().split()
    ranks = [i for i, name in enumerate(CONTAINER_IDS) if ident == name]
    ranks += [len(CONTAINER_IDS) + i for i, name in enumerate(CONTAINER_CLASSES) if name in classes]
    return min(ranks) if ranks else None


@dataclass
class Page:
    """The page flattened: lines, their source lines, which lines are table rows, the article
    containers found (rank, first line, end line) and the attachments it links to."""

    lines: list[str] = field(default_factory=list)
    sources: list[int] = field(default_factory=list)
    rows: set[int] = field(default_factory=set)
    containers: list[tuple[int, int, int]] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)
    data_block: str | None = None


def hidden_classes(root) -> frozenset[str]:
    """Classes the page's own style sheets hide (``.x{display:none}``, ``span.x{…}``): simple
    class selectors only, enough for the anti-copy trick; linear in the style text."""
    found: set[str] = set()
    for style in root.iter("style"):
        for rule in (style.text or "").split("}"):
            selectors, brace, body = rule.rpartition("{")
            if brace and HIDING.search(body):
                for selector in selectors.split(","):
                    m = CLASS_SELECTOR.match(selector)
                    if m:
                        found.add(m.group(1).lower())
    return frozenset(found)


class _Flatten:
    def __init__(self, hidden: frozenset[str] = frozenset()) -> None:
        self.page = Page()
        self._hidden_classes = hidden
        self._hidden: dict[int, object] = {}
        """Hidden elements by id, the element kept so that its id stays its own."""
        self._text: list[str] = []
        self._start = 1
        self._cells: list[str] | None = None
        self._cell: list[str] | None = None
        self._skip = 0
        self._open: dict[int, tuple[int, int]] = {}
        self._layout: dict[int, bool] = {}
        self._tables: list[list[tuple[list[str], int]]] = []
        """Each open table's last two rows (cells as printed, source line), innermost last."""

    def _flush(self) -> None:
        text = "".join(self._text).strip()
        if text:
            self.page.lines.append(re.sub(r"\s+", " ", text))
            self.page.sources.append(self._start)
        self._text = []

    def start(self, tag: str, el) -> None:
        if tag == "script" and el.get("id") == DATA_BLOCK and self.page.data_block is None:
            self.page.data_block = el.text or ""
        if tag in SKIP or self._is_hidden(el):
            self._skip += 1
            if tag not in SKIP:
                self._hidden[id(el)] = el
            return
        rank = _rank(el)
        if rank is not None:
            self._flush()
            self._open[id(el)] = (rank, len(self.page.lines))
        if tag == "a":
            self._link(el.get("href") or "", el.text_content() if hasattr(el, "text_content") else "")
        if tag == "table":
            self._tables.append([])
        if self._is_layout(tag, el):
            self._flush()
        elif tag == "tr":
            self._flush()
            self._cells, self._start = [], el.sourceline or 1
        elif tag in ("td", "th") and self._cells is not None:
            self._cell = []
        elif tag in BLOCKS and self._cell is None:
            self._flush()
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def _is_hidden(self, el) -> bool:
        """Whether the element is hidden from a reader: the ``hidden`` attribute, an inline
        style or a class the page's style sheet hides."""
        if el.get("hidden") is not None or HIDING.search(el.get("style") or ""):
            return True
        classes = (el.get("class") or "").lower().split()
        return bool(self._hidden_classes) and any(c in self._hidden_classes for c in classes)

    def end(self, tag: str, el) -> None:
        if tag in SKIP or self._hidden.get(id(el)) is el:
            self._hidden.pop(id(el), None)
            self._skip = max(0, self._skip - 1)
            return
        if self._is_layout(tag, el):
            self._flush()
        elif tag in ("td", "th") and self._cells is not None and self._cell is not None:
            self._cells.append(re.sub(r"\s+", "", "".join(self._cell)))
            self._cell = None
        elif tag == "tr" and self._cells is not None:
            if self._cell is not None:  # a cell the markup never closed
                self._cells.append(re.sub(r"\s+", "", "".join(self._cell)))
                self._cell = None
            self._row(self._cells)
            self._cells = None
        elif tag == "table" and self._tables:
            self._table_end(self._tables.pop())
        elif tag in BLOCKS and self._cell is None:
            self._flush()
        opened = self._open.pop(id(el), None)
        if opened is not None:
            self._flush()
            self.page.containers.append((opened[0], opened[1], len(self.page.lines)))

    def _row(self, cells: list[str]) -> None:
        """A table row as one line, its empty figure places marked for the reader (see
        :func:`validator.importer.text.mark_blanks`); a row with nothing filled is held until
        its table ends (:meth:`_table_end`)."""
        if self._tables:
            rows = self._tables[-1]
            rows.append((cells, self._start))
            del rows[:-2]  # only the last two rows are looked at (:meth:`_table_end`)
        if any(cells):
            self._emit_row(mark_blanks(cells), self._start)

    def _table_end(self, rows: list[tuple[list[str], int]]) -> None:
        """A table whose last row is all empty right under its header (表四 with every figure
        printed blank): that row is all figure places."""
        if len(rows) > 1 and not any(rows[-1][0]):
            last = mark_table([rows[-2][0], rows[-1][0]])[-1]
            if any(last):
                self._emit_row(last, rows[-1][1])

    def _emit_row(self, cells: list[str], line: int) -> None:
        self.page.rows.add(len(self.page.lines))
        self.page.lines.append(" | ".join(cells))
        self.page.sources.append(line)

    def _is_layout(self, tag: str, el) -> bool:
        """A row (or its cell) of a layout table: one that holds another table. Old sites wrap
        the whole article in such a table; its rows are not report rows, their content flows
        as on any page (else the title and part 一 would become one cell, lost)."""
        row = el if tag == "tr" else el.getparent() if tag in ("td", "th") else None
        if row is None:
            return False
        key = id(row)
        if key not in self._layout:
            self._layout[key] = row.find(".//table") is not None
        return self._layout[key]

    def data(self, text: str, line: int) -> None:
        if self._skip or not text:
            return
        if self._cell is not None:
            self._cell.append(text)
        elif self._cells is None:
            if not self._text:
                self._start = line
            self._text.append(text)

    def _link(self, href: str, label: str) -> None:
        name = unquote(PurePosixPath(urlparse(href).path).name) if href else ""
        if ATTACHMENT.search(name) or ATTACHMENT.search(label.strip()):
            self.page.attachments.append(label.strip() or name)


def decode_html(data: bytes) -> str | None:
    """The page's text: UTF-8 when the bytes are valid UTF-8 (GBK Chinese practically never
    is, so a page whose meta tag names the wrong charset still reads), else the charset its meta
    tag names (GBK/GB2312 read as GB18030), else GB18030; None when none fits."""
    names = ["utf-8-sig"]
    found = CHARSET.search(data[:4096])
    if found:
        name = found.group(1).decode("ascii").lower()
        names.append("gb18030" if name in ("gbk", "gb2312", "gb18030", "x-gbk", "cp936") else name)
    names.append("gb18030")
    for name in names:
        try:
            return data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
    return None


def flatten(text: str, where: str = "") -> Page:
    """The page as lines (see the module doc); exit 2 when it is no HTML at all."""
    from lxml import etree, html

    text = re.sub(r"^\s*<\?xml[^>]*>", "", text)
    parser = html.HTMLParser(recover=True, no_network=True, remove_comments=True, remove_pis=True)
    try:
        root = html.document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError):
        raise UnusableInput("网页没有可读的内容", where=where or None, code="not-report") from None
    flat = _Flatten(hidden_classes(root))
    for event, el in etree.iterwalk(root, events=("start", "end")):
        tag = el.tag.lower() if isinstance(el.tag, str) else None
        if event == "start":
            if tag is not None:
                flat.start(tag, el)
                if el.text:
                    flat.data(el.text, el.sourceline or 1)
        else:
            if tag is not None:
                flat.end(tag, el)
            if el.tail:
                flat.data(el.tail, el.sourceline or 1)
    flat._flush()
    return flat.page


def article(page: Page) -> tuple[list[str], list[int]]:
    """The lines of the best article container that holds table rows (with the report title
    above it, if any), else of the whole page."""
    holding = [c for c in page.containers if any(c[1] <= r < c[2] for r in page.rows)]
    if not holding:
        return page.lines, page.sources
    _rank_, start, end = min(holding, key=lambda c: (c[0], c[2] - c[1]))
    lines, sources = page.lines[start:end], page.sources[start:end]
    for pattern in (PUBLISHED_ON, TITLE):  # the title first, then the date line below it
        if any(pattern.search(line.replace(" ", "")) for line in lines[:5]):
            continue
        above = next((i for i in range(start - 1, -1, -1) if pattern.search(page.lines[i].replace(" ", ""))), None)
        if above is not None:
            lines, sources = [page.lines[above], *lines], [page.sources[above], *sources]
    return lines, sources


def read_page(text: str, where: str):
    """The tables of a published report's web page. A page without any table that is not a
    report in text either is said to be what it most likely is (a script-rendered page or an
    attachment-only item), never read as zeros. A page with our own data block is read from
    the block only when it agrees with everything the page shows (see
    :func:`_with_tables_compared`)."""
    page = flatten(text, where)
    lines, sources = article(page)
    exact = _data_block(page.data_block, where) if page.data_block is not None else None
    try:
        shown = read_lines(lines, where, sources)
    except UnusableInput as exc:
        if exc.code != "not-report" or page.rows:
            raise
        if page.attachments:
            listed = "、".join(f"“{a}”" for a in dict.fromkeys(page.attachments[:3]))
            message = f"网页中没有表格，只提供附件（{listed}）：请下载附件后导入"
        elif exact is not None:
            message = "网页中带有本工具生成的数据块，但网页上没有可见的表格：只按读者看到的内容导入，无法导入"
        else:
            message = "网页中没有表格，可能由脚本加载或只提供附件：请在浏览器中打开后另存为文本（或下载附件）再导入"
        raise UnusableInput(message, where=where, code="no-table") from None
    if exact is None:
        return shown
    return _with_tables_compared(exact, shown)


def _data_block(block: str, where: str):
    """The report in the page's data block, or None when the block is not a valid report JSON
    (the page's tables are then read as on any page)."""
    try:
        model = report_from_dict(parse_json_bytes(block.encode("utf-8", "surrogatepass"), where), where)
    except UnusableInput:
        return None
    return submission_from_report(model, where)


def _with_tables_compared(exact, shown):
    """What a reader sees wins: the data block (what the tool exported: type, date and the
    narrative exactly) is used only when the page shows every figure of the tables, each the
    same as the block's, and its title names the block's body and year. Otherwise the page is
    imported as shown, each difference named in an ``IMPORT-DATA-BLOCK`` 提示 (a page edited
    after it was made, or copied from another body's or year's report and retitled)."""
    differences: list[dict[str, object]] = []
    for f in shown.figures:
        block = exact.values.get(f.key)
        if str(block) != str(f.value) and not _same_money(block, f.value):
            differences.append(
                {
                    "rule": "IMPORT-DATA-BLOCK",
                    "severity": "warning",
                    "message": f"网页表格第 {f.line} 行显示“{f.raw or '空白'}”，而网页中的数据块为“{block}”："
                    "已按网页显示导入，请核对",
                    "keys": [f.key],
                }
            )
    for key, seen, what in (("body.name", shown.body, "主体名称"), ("year", shown.year, "年度")):
        block = exact.values.get(key)
        if seen is not None and str(seen) != str(block):
            title = shown.parts.get("title", {}).get("line")
            where = f"第 {title} 行" if title else ""
            differences.append(
                {
                    "rule": "IMPORT-DATA-BLOCK",
                    "severity": "warning",
                    "message": f"网页标题{where}的{what}为“{seen}”，而网页中的数据块为“{block}”："
                    "已按网页显示导入，请核对（可能是由其他单位或其他年度的报告改成）",
                    "keys": [key],
                }
            )
    complete = not shown.unread and len(shown.figures) == len(table_keys())
    if complete and not differences:
        out = Imported(values=dict(exact.values), exact=exact, sources=shown.sources)
        out.body, out.year = exact.values.get("body.name"), exact.values.get("year")
        return out
    if not differences:
        differences.append(
            {
                "rule": "IMPORT-DATA-BLOCK",
                "severity": "warning",
                "message": "网页中的数据块有网页上没能读出的数字：已按网页显示导入（未读出的格留空），请核对",
                "keys": [k for u in shown.unread for k in u["keys"]],
            }
        )
    shown.findings.extend(differences)
    return shown


def _same_money(a: object, b: object) -> bool:
    from decimal import Decimal, InvalidOperation

    try:
        return Decimal(str(a)) == Decimal(str(b))
    except InvalidOperation:
        return False
