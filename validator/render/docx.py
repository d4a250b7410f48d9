"""The Word document (.docx), written with python-docx.

Typography follows the 公文 customs (GB/T 9704) as far as a report needs them: A4 with
3.7/3.5/2.8/2.6 cm margins, the title in 宋体 二号 bold, section headings in 黑体 三号, body
text in 仿宋 三号 with a two-character first-line indent, tables in 宋体. Fonts are named in
the East-Asian slot (``w:eastAsia``) with Times New Roman for Latin text and digits; the font
table gives each Chinese font its English name and the GB2312 charset, so a program finds it
under either name and, without it, picks a Chinese font. LibreOffice on Linux asks fontconfig,
which without these fonts gives every name the one Chinese font installed: docs/render.md says
what a Kylin/UOS machine should install and map.

表三 stays in portrait. The official format and nearly every published report print it
portrait; a landscape section in the middle of the report turns one page sideways on screen,
in the CMS and in double-sided printing. Its ten columns fit the 15.6 cm text width with the
figures in 小五 (9 pt): 1.2 cm holds a seven-digit count, the long sub-item labels wrap in a
4 cm column. Header rows repeat on every page (``w:tblHeader``) and no row splits across pages.

Nothing is left alone at the foot of a page: headings keep with their next paragraph, and in a
table every header row and the first figure row under it keep with the row that follows, so a
heading, a table's head or a 表二 group's head always carries at least two figure rows onto
its page (Word: ``w:keepNext`` on every paragraph of those rows; LibreOffice reads it too).
The 落款 keeps with the paragraph before it.

python-docx rebuilds a table's whole cell grid on every ``table.cell()`` call (and a
``merge`` walks it again), which made a report take about a second: the cells of each table
are taken once, from the fresh unmerged rows, and merged there. Merges never overlap, so a
cell taken before an earlier merge is still in place when its own merge comes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from validator.render.document import Document
from validator.render.layout import GridCell, TableGrid

BODY_FONT, HEADING_FONT, TITLE_FONT, TABLE_FONT, LATIN_FONT = "仿宋", "黑体", "宋体", "宋体", "Times New Roman"
FONT_FALLBACKS = {"仿宋": ("FangSong", "modern"), "黑体": ("SimHei", "modern"), "宋体": ("SimSun", "auto")}
"""Chinese font name -> (English name Word also knows it by, font family for substitution)."""
TEXT_WIDTH_CM = 21.0 - 2.8 - 2.6


@dataclass(frozen=True)
class TableStyle:
    widths_cm: tuple[float, ...]
    font_pt: float


TABLE_STYLES = {
    "表二": TableStyle((4.8, 3.6, 3.6, 3.6), 10.5),
    "表三": TableStyle((1.0, 2.2, 4.0, *(1.2,) * 7), 9),
    "表四": TableStyle((1.04,) * 15, 9),
}


def render_docx(doc: Document) -> bytes:
    from docx import Document as new_document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm

    word = new_document()
    section = word.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    _styles(word)
    _fallbacks(word)
    _page_numbers(section)
    word.core_properties.title = doc.title
    word.core_properties.author = doc.body
    word.core_properties.language = "zh-CN"

    title = word.add_paragraph(style="报告标题")
    name, rest = doc.title_lines
    title.add_run(name).add_break()
    title.add_run(rest)
    if not doc.valid:
        _warning(word, f"本稿数据存在 {doc.errors} 个错误，未通过校验，仅供核对，不得发布。")
    if doc.incomplete:
        _warning(word, "草稿：文字部分尚未填写完整。")
    _body(word, doc.opening)
    for s in doc.sections:
        word.add_paragraph(s.heading, style="Heading 1")
        if s.table is not None:
            _table(word, s.table, doc, s.heading)
        elif s.placeholder:
            _warning(word, s.paragraphs[0])
        else:
            for text in s.paragraphs:
                _body(word, text)
    _signature(word, doc)
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


def _east_asian(rpr_owner, name: str) -> None:
    """Name `name` for Chinese text and Times New Roman for Latin text and digits."""
    from docx.oxml.ns import qn

    rpr = rpr_owner.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), name)
    fonts.set(qn("w:hint"), "eastAsia")


def _style_font(style, name: str, size_pt: float, bold: bool = False) -> None:
    from docx.shared import Pt, RGBColor

    style.font.size = Pt(size_pt)
    style.font.bold = bold
    style.font.italic = False
    style.font.color.rgb = RGBColor(0, 0, 0)
    _east_asian(style.element, name)


def _styles(word) -> None:
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.oxml.ns import qn
    from docx.shared import Pt

    normal = word.styles["Normal"]
    _style_font(normal, BODY_FONT, 16)
    pf = normal.paragraph_format
    pf.line_spacing_rule, pf.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(28)
    pf.space_before = pf.space_after = Pt(0)
    pf.widow_control = True
    lang = normal.element.get_or_add_rPr()
    lang_el = lang.find(qn("w:lang"))
    if lang_el is None:
        lang_el = lang.makeelement(qn("w:lang"), {})
        lang.append(lang_el)
    lang_el.set(qn("w:eastAsia"), "zh-CN")

    heading = word.styles["Heading 1"]
    _style_font(heading, HEADING_FONT, 16)
    hf = heading.paragraph_format
    hf.space_before, hf.space_after = Pt(6), Pt(0)
    hf.line_spacing_rule, hf.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(28)
    hf.first_line_indent = Pt(32)
    hf.keep_with_next = True

    title = word.styles.add_style("报告标题", WD_STYLE_TYPE.PARAGRAPH)
    title.base_style = normal
    _style_font(title, TITLE_FONT, 22, bold=True)
    tf = title.paragraph_format
    tf.alignment = WD_ALIGN_PARAGRAPH.CENTER
    tf.line_spacing_rule, tf.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(36)
    tf.space_after = Pt(24)
    tf.keep_with_next = True

    sign = word.styles.add_style("落款", WD_STYLE_TYPE.PARAGRAPH)
    sign.base_style = normal
    sf = sign.paragraph_format
    sf.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    sf.first_line_indent = Pt(0)
    sf.right_indent = Pt(32)  # 右空二字 (GB/T 9704)
    sf.keep_with_next = True

    cell = word.styles.add_style("表格文字", WD_STYLE_TYPE.PARAGRAPH)
    cell.base_style = normal
    _style_font(cell, TABLE_FONT, 9)
    cf = cell.paragraph_format
    cf.line_spacing = 1.0
    cf.space_before = cf.space_after = Pt(2)
    cf.first_line_indent = Pt(0)


def _fallbacks(word) -> None:
    """Font-table entries naming each Chinese font's English name and the GB2312 charset."""
    from xml.sax.saxutils import quoteattr

    for part in word.part.package.parts:
        if str(part.partname) == "/word/fontTable.xml":
            entries = "".join(
                f'<w:font w:name={quoteattr(zh)}><w:altName w:val={quoteattr(en)}/><w:charset w:val="86"/>'
                f'<w:family w:val="{family}"/><w:pitch w:val="variable"/></w:font>'
                for zh, (en, family) in FONT_FALLBACKS.items()
            )
            blob = part.blob.decode("utf-8").replace("</w:fonts>", entries + "</w:fonts>")
            part._blob = blob.encode("utf-8")  # a plain Part: python-docx has no font-table API


def _page_numbers(section) -> None:
    """“— 1 —” centred in the footer, as 公文 number their pages."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.add_run("— ")
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    p._p.append(field)
    p.add_run(" —")


def _body(word, text: str) -> None:
    from docx.shared import Pt

    p = word.add_paragraph(text)
    if text[:1].isspace():  # indented by hand already: keep it verbatim, add nothing
        p.paragraph_format.first_line_indent = Pt(0)
    else:
        p.paragraph_format.first_line_indent = Pt(32)


def _signature(word, doc: Document) -> None:
    """The 落款 under the text, one blank line below it: the body's name, then the date. The
    paragraph before keeps with it, so the 落款 never opens a page on its own."""
    from docx.shared import Pt

    word.paragraphs[-1].paragraph_format.keep_with_next = True
    lines = doc.signature
    for i, text in enumerate(lines):
        p = word.add_paragraph(text, style="落款")
        if i == 0:
            p.paragraph_format.space_before = Pt(28)
        if i == len(lines) - 1:
            p.paragraph_format.keep_with_next = False


def _warning(word, text: str) -> None:
    from docx.enum.text import WD_COLOR_INDEX
    from docx.shared import RGBColor

    run = word.add_paragraph().add_run(text)
    run.bold = True
    run.font.color.rgb = RGBColor(0xAA, 0, 0)
    run.font.highlight_color = WD_COLOR_INDEX.YELLOW


def _table(word, grid: TableGrid, doc: Document, heading: str) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm
    from docx.table import _Cell

    style = TABLE_STYLES.get(grid.sheet) or TableStyle((TEXT_WIDTH_CM / grid.n_cols,) * grid.n_cols, 9)
    table = word.add_table(rows=grid.n_rows, cols=grid.n_cols)
    table.style = word.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    caption = OxmlElement("w:tblCaption")  # the accessible name screen readers announce
    caption.set(qn("w:val"), f"{grid.sheet}　{heading[2:]}")
    table._tbl.tblPr.append(caption)
    for i, column in enumerate(table.columns):  # the grid (LibreOffice) and every cell (Word)
        column.width = Cm(style.widths_cm[i])
    cells = [[_Cell(tc, table) for tc in tr.tc_lst] for tr in table._tbl.tr_lst]  # unmerged: one per grid cell
    for row in cells:
        for i, cell in enumerate(row):
            cell.width = Cm(style.widths_cm[i])
    for r, tr in enumerate(table._tbl.tr_lst):
        tr_pr = tr.get_or_add_trPr()
        tr_pr.append(OxmlElement("w:cantSplit"))
        if r < grid.head_rows:
            tr_pr.append(OxmlElement("w:tblHeader"))
    cell_style = word.styles["表格文字"].style_id
    for grid_row in grid.rows:
        for c in grid_row:
            target = cells[c.row][c.col]
            if c.rowspan > 1 or c.colspan > 1:
                target = target.merge(cells[c.row + c.rowspan - 1][c.col + c.colspan - 1])
            _fill(target, c, doc, style.font_pt, cell_style)
    keep_heads_with_rows(table._tbl, grid)


def _fill(cell, c: GridCell, doc: Document, font_pt: float, style_id: str) -> None:
    from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    p = cell.paragraphs[0]
    p._p.style = style_id  # what `p.style = name` writes, without its search of every style
    run = p.add_run(doc.shown(c.key) if c.key else c.text)
    run.font.size = Pt(font_pt)
    if c.key:
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    elif c.header:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run.bold = True
    else:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER if c.rowspan > 1 else WD_ALIGN_PARAGRAPH.LEFT


def keep_heads_with_rows(tbl, grid: TableGrid) -> None:
    """``w:keepNext`` on every paragraph of the grid's kept rows (covered cells included)."""
    rows = tbl.tr_lst
    for r in grid.kept_rows():
        for tc in rows[r].tc_lst:
            for p in tc.p_lst:
                p.get_or_add_pPr().keepNext_val = True
