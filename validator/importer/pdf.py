"""Read a published report from a PDF with a text layer (the usual Word/WPS export).

No single extractor reads every real PDF right, so this is a cascade judged by the format's
own rules:

* ``text``: each page's text in reading order (pdfium), page numbers dropped, read by the
  shared table reader :func:`~validator.importer.text.read_lines`. Right whenever every cell
  is printed; a table with blank cells has too few numbers and stays unread.
* ``grid``: the table rulings (thin path objects) cut each page into row bands and cells;
  every ruled row becomes one ``label | v | … |`` line, an empty value cell a blank
  (:data:`~validator.importer.text.EMPTY_CELL`) so the other cells keep their places. Right
  on ruled tables with blank cells, split across pages or with wrapped labels; nothing on
  tables without rulings.
* ``positions`` (:mod:`validator.importer.pdf_positions`): rows found by their official
  labels, columns by the x-extent of headings and figures; for tables without rulings that
  have blank cells.

Each candidate is mapped to cells by label (the table reader) and checked with the format's
rules; per table the candidates that read the most cells with the fewest 错误 are kept, and a
cell on which those disagree is left null and reported (``候选结果不一致``), never guessed.
Every cell keeps its page and line (the line counted on its page, as the candidate saw it).

Refused with exit 2 and a message saying what to do: not a PDF, truncated or damaged,
encrypted, too many pages, and a PDF without a text layer (a scan: OCR is not installed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from validator.engine import validate
from validator.errors import UnusableInput
from validator.formats import gb_2021_30 as gb
from validator.importer import text as tx
from validator.importer.assemble import to_submission
from validator.importer.pdf_page import BLANK, NUMBERISH, Char, Page, is_page_number
from validator.importer.pdf_positions import position_lines
from validator.importer.text import TITLE, Figure, Imported, read_lines, report_blanks

MAX_PAGES = 200
MAX_CHARS = 400_000  # characters in all pages (a 10-page report has ~10 000)
MAX_PATHS = 20_000  # path objects looked at per page for rulings
MAX_CONTENT = 32 * 1024 * 1024
"""Page content (decompressed content streams, forms included) in all pages: a 10-page report
has about 0.2 MB. pdfium builds every object of a page when it loads it, before any other
limit applies, so this is checked on the file's bytes first."""
MAX_PAINTS = 300_000
"""Path painting operators (each one path object pdfium builds) in all content: a report's
tables have a few thousand."""
STREAM = re.compile(rb">>\s*stream\r?\n")
PAINT = re.compile(rb"(?<=\s)[SsfFBbn]\*?(?=\s)")
NOT_CONTENT = re.compile(
    rb"/Length[123]\b|/Subtype\s*/(?:Image|Type1C|CIDFontType0C|OpenType|XML)|/Type\s*/(?:XRef|ObjStm|Metadata|EmbeddedFile)"
)
RULE = 2.5  # a ruling is a path object at most this thick (pt)
MIN_RULE = 4.0  # ... and at least this long
SNAP = 2.0  # rulings closer than this are one
T4_WIDTH = 15
ORDINAL_LABEL = re.compile(r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|\d+[.、．])")
NO_TEXT = (
    "PDF 中没有可读取的文字（可能是扫描件或图片）。本工具未安装文字识别（OCR），无法读取；"
    "请向发布单位索取 Word 或网页原文，或带文字层的 PDF（由 Word/WPS 直接导出）"
)


def read_pdf(data: bytes, where: str) -> Imported:
    """The tables of a published report PDF, through the cascade (exit 2 when unusable)."""
    pages = load_pages(data, where)
    text = text_lines(pages)
    candidates: list[tuple[str, Imported]] = []
    failure: UnusableInput | None = None
    for name, (lines, pages_of, sources) in (
        ("text", text),
        ("grid", grid_lines(pages)),
        ("positions", position_lines(pages)),
    ):
        try:
            candidates.append((name, read_lines(lines, where, sources, pages_of)))
        except UnusableInput as exc:
            failure = failure or exc
    if failure is not None and not candidates:
        raise failure
    chosen = choose(candidates, where)
    if chosen.year is None:
        _wrapped_title(chosen, text[0])
    return chosen


def _wrapped_title(out: Imported, lines: list[str]) -> None:
    """A title the page width broke over two or three lines (``…工作年`` / ``度报告``)."""
    head = [(k, s.strip()) for k, s in enumerate(lines[:12]) if s.strip()]
    for i in range(len(head)):
        for n in (2, 3):
            m = TITLE.match("".join(text for _k, text in head[i : i + n]))
            if m:
                out.year = int(m.group("year"))
                out.body = out.body or m.group("body").strip() or None
                out.parts["title"] = {**out.at(head[i][0]), "text": "".join(t for _k, t in head[i : i + n])}
                return


def load_pages(data: bytes, where: str) -> list[Page]:
    """Each page's text, characters and rulings; exit 2 for what is not a readable PDF."""
    import pypdfium2 as pdfium

    if b"%PDF-" not in data[:1024]:
        raise UnusableInput("不是 PDF 文件（文件头不是 %PDF-）", where=where, code="damaged")
    if b"%%EOF" not in data[-4096:]:
        raise UnusableInput("PDF 文件不完整（缺少文件尾，可能下载中断），请重新下载", where=where, code="damaged")
    _check_content(data, where)
    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise UnusableInput(
                "PDF 设置了打开密码，无法读取；请提供未加密的文件", where=where, code="encrypted"
            ) from None
        raise UnusableInput("PDF 文件已损坏，无法打开", where=where, code="damaged") from None
    try:
        if len(doc) > MAX_PAGES:
            raise UnusableInput(f"PDF 超过 {MAX_PAGES} 页，不像年度报告", where=where, code="too-large")
        pages = []
        budget = MAX_CHARS
        for i in range(len(doc)):
            pages.append(_page(doc[i], i + 1, budget))
            budget -= len(pages[-1].chars)
    except _TooManyChars:
        raise UnusableInput(f"PDF 的文字超过 {MAX_CHARS} 个字符，不像年度报告", where=where, code="too-large") from None
    except pdfium.PdfiumError:
        raise UnusableInput("PDF 文件已损坏，无法读取页面", where=where, code="damaged") from None
    finally:
        doc.close()
    if sum(len(p.text.strip()) for p in pages) < 20:
        raise UnusableInput(NO_TEXT, where=where, code="no-text")
    return pages


class _TooManyChars(Exception):
    pass


def _check_content(data: bytes, where: str) -> None:
    """Refuse a PDF whose page content is far beyond a report's (exit 2) before pdfium loads
    any page: the content streams' decompressed size and their path painting operators are
    counted on the file's bytes, each stream decompressed only up to what is left of the limit
    (a compression bomb costs its limit, no more). Fonts, images and metadata are not content.
    A stream that cannot be decompressed here (another filter, encrypted) counts its own size."""
    import zlib

    size = paints = 0
    for m in STREAM.finditer(data):
        head = data[max(0, m.start() - 2048) : m.start()]
        info = head[head.rfind(b"obj") + 3 :]
        if NOT_CONTENT.search(info):
            continue
        flate = re.search(rb"/Filter\s*\[?\s*/(?:FlateDecode|Fl)\b", info) is not None
        if flate:
            inflate = zlib.decompressobj()
            pos = m.end()
            while not inflate.eof and size <= MAX_CONTENT and paints <= MAX_PAINTS:
                feed = inflate.unconsumed_tail
                if not feed:
                    feed = data[pos : pos + (1 << 16)]
                    pos += len(feed)
                    if not feed:
                        break
                try:
                    chunk = inflate.decompress(feed, 1 << 20)
                except zlib.error:
                    break
                size += len(chunk)
                paints += _paints(chunk, MAX_PAINTS - paints)
        else:
            end = data.find(b"endstream", m.end())
            end = end if end >= 0 else len(data)
            size += end - m.end()
            for at in range(m.end(), min(end, m.end() + MAX_CONTENT), 1 << 20):
                paints += _paints(data[at : min(end, at + (1 << 20))], MAX_PAINTS - paints)
                if paints > MAX_PAINTS:
                    break
        if size > MAX_CONTENT or paints > MAX_PAINTS:
            raise UnusableInput(
                f"PDF 的页面内容过大（超过 {MAX_CONTENT // 1024 // 1024} MB 或 {MAX_PAINTS // 10000} 万个图形），不像年度报告",
                where=where,
                code="too-large",
            )


def _paints(chunk: bytes, left: int) -> int:
    """Path painting operators in `chunk`, counted up to one past `left`."""
    n = 0
    for _ in PAINT.finditer(chunk):
        n += 1
        if n > left:
            break
    return n


def _page(page, number: int, budget: int) -> Page:
    """The page's text, characters (at most `budget`) and rulings."""
    import pypdfium2.raw as raw

    textpage = page.get_textpage()
    count = textpage.count_chars()
    if count > budget:
        raise _TooManyChars
    text = textpage.get_text_range() if count else ""
    chars = []
    line = 0
    space = False
    for i in range(count):
        code = raw.FPDFText_GetUnicode(textpage.raw, i)
        ch = chr(code) if 0 < code < 0x110000 else ""
        if ch == "\n":
            line += 1
        if not ch.strip():
            space = True
            continue
        x0, y0, x1, y1 = textpage.get_charbox(i)
        chars.append(Char(ch, x0, y0, x1, y1, line, space))
        space = False
    out = Page(number, text, chars)
    for x0, y0, x1, y1 in _path_bounds(page.raw):
        if y1 - y0 <= RULE and x1 - x0 >= MIN_RULE:
            out.hrules.append(((y0 + y1) / 2, x0, x1))
        elif x1 - x0 <= RULE and y1 - y0 >= MIN_RULE:
            out.vrules.append(((x0 + x1) / 2, y0, y1))
    textpage.close()
    page.close()
    return out


def _path_bounds(page):
    """Bounds of the page's path objects (and of those in its forms, one level down), at most
    :data:`MAX_PATHS`, through pdfium's own calls: no Python object is made per page object."""
    import ctypes

    import pypdfium2.raw as raw

    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    seen = 0

    def walk(count, get, depth):
        nonlocal seen
        for i in range(count):
            if seen >= MAX_PATHS:
                return
            obj = get(i)
            kind = raw.FPDFPageObj_GetType(obj)
            if kind == raw.FPDF_PAGEOBJ_PATH:
                seen += 1
                if raw.FPDFPageObj_GetBounds(obj, left, bottom, right, top):
                    yield left.value, bottom.value, right.value, top.value
            elif kind == raw.FPDF_PAGEOBJ_FORM and depth < 2:
                yield from walk(
                    raw.FPDFFormObj_CountObjects(obj), lambda j, o=obj: raw.FPDFFormObj_GetObject(o, j), depth + 1
                )

    yield from walk(raw.FPDFPage_CountObjects(page), lambda i: raw.FPDFPage_GetObject(page, i), 1)


def text_lines(pages: list[Page]) -> tuple[list[str], list[int], list[int]]:
    """Candidate ``text``: every page's lines in reading order without page numbers."""
    lines: list[str] = []
    pages_of: list[int] = []
    sources: list[int] = []
    for page in pages:
        page_lines = page.text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        filled = [i for i, s in enumerate(page_lines) if s.strip()]
        edges = set(filled[:1] + filled[-1:])
        for i, line in enumerate(page_lines):
            if is_page_number(line, page.number, i in edges):
                continue
            lines.append(line)
            pages_of.append(page.number)
            sources.append(i + 1)
    return lines, pages_of, sources


def _snap(values: list[float]) -> list[float]:
    """Coordinates closer than SNAP merged into one (their mean)."""
    out: list[list[float]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= SNAP:
            out[-1].append(v)
        else:
            out.append([v])
    return [sum(g) / len(g) for g in out]


@dataclass
class _Item:
    top: float
    text: str


def _bands(page: Page) -> list[tuple[float, float, list[float]]]:
    """Ruled row bands (bottom, top, x of the rulings crossing the band), top first."""
    ys = _snap([y for y, _, _ in page.hrules])
    bands = []
    for lo, hi in zip(ys, ys[1:]):
        if hi - lo < 4:
            continue
        xs = _snap([x for x, y0, y1 in page.vrules if y0 <= lo + SNAP and y1 >= hi - SNAP])
        if len(xs) >= 2:
            bands.append((lo, hi, xs))
    return sorted(bands, key=lambda b: -b[1])


def _cell_text(chars: list[Char]) -> str:
    """The characters of one cell in reading order; a space where a new line or a gap starts."""
    out = ""
    prev: Char | None = None
    for ch in chars:
        if prev is not None:
            height = max(prev.y1 - prev.y0, ch.y1 - ch.y0, 1.0)
            if abs(ch.cy - prev.cy) > height / 2 or ch.x0 - prev.x1 > height * 0.8:
                out += " "
        out += ch.text
        prev = ch
    return out


def _band_line(cells: list[str]) -> str | None:
    """One ruled row as a ``label | v | …`` line: the trailing cells that hold a number or
    nothing are its values (an empty one a blank); None for a header or caption row."""
    run = 0
    for text in reversed(cells):
        if text and not NUMBERISH.match(text.replace(" ", "")):
            break
        run += 1
    values = cells[len(cells) - run :]
    labels = [c for c in cells[: len(cells) - run] if c]
    shown = [v.replace(" ", "") if v else BLANK for v in values]
    if not labels:  # 表四's one row of figures has no label of its own
        return " | ".join(shown) if any(values) or run == T4_WIDTH else None
    if not any(values) and not _is_row_label(labels[-1]):
        return None
    return " | ".join([" ".join(labels), *shown])


def _is_row_label(label: str) -> bool:
    """Whether an all-blank row is a table row (its own label starts with an ordinal, or it is
    a 表二 row), not the rest of a row broken at a page end."""
    last = re.sub(r"\s+", "", label)
    names = {name for _c, _h, rows, _l, _k in gb.T2_BLOCKS for name, _ in rows} | {"规范性文件"}
    return bool(ORDINAL_LABEL.match(last)) or any(last.endswith(n) for n in names)


def grid_lines(pages: list[Page]) -> tuple[list[str], list[int], list[int]]:
    """Candidate ``grid``: text outside the rulings by line, each ruled row as one line."""
    lines: list[str] = []
    pages_of: list[int] = []
    sources: list[int] = []
    for page in pages:
        items = _grid_items(page)
        filled = [i for i, it in enumerate(items) if it.text.strip()]
        edges = set(filled[:1] + filled[-1:])
        for i, item in enumerate(items):
            if is_page_number(item.text, page.number, i in edges):
                continue
            lines.append(item.text)
            pages_of.append(page.number)
            sources.append(i + 1)
    return lines, pages_of, sources


def _grid_items(page: Page) -> list[_Item]:
    bands = _bands(page)
    in_band: list[list[Char]] = [[] for _ in bands]
    loose: list[Char] = []
    for ch in page.chars:
        at = next((i for i, (lo, hi, xs) in enumerate(bands) if lo <= ch.cy <= hi and xs[0] <= ch.cx <= xs[-1]), None)
        if at is None:
            loose.append(ch)
        else:
            in_band[at].append(ch)
    items = [_Item(top, text) for top, text in _loose_lines(loose)]
    for (_lo, hi, xs), chars in zip(bands, in_band):
        cells = [_cell_text([c for c in chars if left <= c.cx < right]).strip() for left, right in zip(xs, xs[1:])]
        line = _band_line(cells)
        if line is None:
            line = " ".join(c for c in cells if c)
        if line:
            items.append(_Item(hi, line))
    return sorted(items, key=lambda it: -it.top)


def _loose_lines(chars: list[Char]) -> list[tuple[float, str]]:
    """Characters outside tables, by the lines of the page's text."""
    rows: dict[int, list[Char]] = {}
    for ch in chars:
        rows.setdefault(ch.line, []).append(ch)
    return [(max(c.y1 for c in row), _cell_text(row)) for row in rows.values()]


def _tables():
    return {"表二": tx._t2_keys(), "表三": tx._t3_keys(), "表四": tx._t4_keys()}


def _errors(imported: Imported, where: str) -> set[str]:
    """Keys of the cells the format's rules flag as 错误 in this candidate."""
    report = validate(to_submission(imported, where, body_type="政府"))
    keys: set[str] = set()
    for finding in report.findings:
        if finding.severity == "error":
            keys.update(c.key for c in finding.cells)
    return keys


def choose(candidates: list[tuple[str, Imported]], where: str) -> Imported:
    """Per table, the candidates reading most cells with fewest 错误; a cell that another
    candidate with no more 错误 in that table reads differently is left null and reported. A
    cell the best candidate left unread is taken from another candidate without 错误 in that
    table when every such candidate that read it agrees."""
    errors = {name: _errors(imp, where) for name, imp in candidates}
    tables = _tables()
    in_tables = {k for keys in tables.values() for k in keys}
    base = candidates[0][1]  # reading order: the narrative parts and the title come from it
    values: dict[str, object] = {k: v for k, v in base.values.items() if k not in in_tables}
    figures: list[Figure] = []
    unread: list[dict[str, object]] = [u for u in base.unread if u["table"] not in tables]
    skipped: list[dict[str, object]] = []
    for table, keys in tables.items():
        kept = _best(candidates, errors, keys)
        first = kept[0][1]
        worst = len(errors[kept[0][0]] & set(keys))
        peers = [(n, imp) for n, imp in candidates if len(errors[n] & set(keys)) <= worst]
        clash = [k for k in keys if k in first.values and any(_differs(imp, k, first.values[k]) for _, imp in peers)]
        wanted = set(keys) - set(clash)
        values.update((k, v) for k, v in first.values.items() if k in wanted)
        figures.extend(f for f in first.figures if f.key in wanted)
        for name, imp in candidates:
            if imp is first or errors[name] & set(keys):
                continue
            for f in imp.figures:
                k = f.key
                if k in wanted and k not in values and not any(_differs(o, k, f.value) for _, o in peers):
                    values[k] = f.value
                    figures.append(f)
        missing = {k for k in keys if k not in values}
        for u in first.unread:
            if u["table"] == table and any(k in missing for k in u["keys"]):  # type: ignore[attr-defined]
                unread.append({**u, "keys": [k for k in u["keys"] if k in missing]})  # type: ignore[attr-defined]
        skipped.extend(s for s in first.skipped if s["table"] == table)
        if clash:
            unread.append({"table": table, "reason": _clash_reason(clash, peers), "keys": clash})
    order = {k: i for i, k in enumerate(k for keys in tables.values() for k in keys)}
    figures.sort(key=lambda f: order[f.key])
    deduced = {f.key for f in figures if f.form == "deduced"}
    findings = [f for f in base.findings if f["rule"] != "IMPORT-DEDUCED"]
    for _name, imp in candidates:
        for finding in imp.findings:
            keys = set(finding["keys"])  # type: ignore[call-overload]
            if finding["rule"] == "IMPORT-DEDUCED" and keys <= deduced and finding not in findings:
                findings.append(finding)
    chosen = replace(base, values=values, figures=figures, unread=unread, findings=findings, skipped=skipped)
    report_blanks(chosen)
    return chosen


def _differs(imp: Imported, key: str, value: object) -> bool:
    return key in imp.values and imp.values[key] != value


def _best(
    candidates: list[tuple[str, Imported]], errors: dict[str, set[str]], keys: list[str]
) -> list[tuple[str, Imported]]:
    """The candidates that read most of the table's cells, and of those the fewest 错误."""
    wanted = set(keys)
    scores = [(sum(k in imp.values for k in keys), -len(errors[name] & wanted)) for name, imp in candidates]
    best = max(scores)
    return [c for c, score in zip(candidates, scores) if score == best]


def _clash_reason(clash: list[str], kept: list[tuple[str, Imported]]) -> str:
    shown = "；".join(
        f"{k}：" + "、".join(f"{n}={imp.values.get(k)}" for n, imp in kept if k in imp.values) for k in clash[:5]
    )
    return f"{len(clash)} 个单元格候选结果不一致，未导入（{shown}）"
