"""``xxgk render -o 报告.docx``: opened with python-docx, and converted to PDF by LibreOffice."""

from __future__ import annotations

import io
import json
import re
import subprocess
import zipfile

import docx
import pytest
from lxml import etree

from validator.formats import get_format
from validator.render.document import build_document
from validator.render.docx import render_docx

from conftest import REPORT_NAMES, REPORTS, run_cli
from support.docx_reference import reference_tables
from support.rendering import OFFICIAL_HEADS, T3_ROW_LABELS, docx_to_pdf, expected_figures, position, require_tools

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def render(tmp_path, source, *extra: str):
    out = tmp_path / "r.docx"
    result = run_cli("render", source, "-o", out, *extra)
    assert result.code == 0, result.err
    return out


def word_tables(document) -> dict[str, object]:
    """Tables by the sheet named in their accessible caption (w:tblCaption)."""
    out = {}
    for table in document.tables:
        caption = table._tbl.tblPr.find(f"{W}tblCaption").get(f"{W}val")
        out[caption.split("　")[0]] = table
    return out


def span(table, r: int, c: int) -> tuple[str, int, int]:
    """Text and extent of the merged cell whose top-left corner is (r, c)."""
    cell = table.cell(r, c)
    rs = cs = 1
    while r + rs < len(table.rows) and table.cell(r + rs, c)._tc is cell._tc:
        rs += 1
    while c + cs < len(table.columns) and table.cell(r, c + cs)._tc is cell._tc:
        cs += 1
    return cell.text, rs, cs


@pytest.mark.slow
@pytest.mark.parametrize("name", REPORT_NAMES)
def test_every_figure_is_in_its_official_cell_right_aligned(tmp_path, name, expected_reports):
    document = docx.Document(render(tmp_path, REPORTS / f"{name}.xlsx"))
    fmt = get_format()
    found = word_tables(document)
    assert sorted(found) == ["表三", "表二", "表四"]
    for key, value in expected_figures(expected_reports[name]).items():
        sheet, r, c = position(fmt, key)
        cell = found[sheet].cell(r, c)
        assert cell.text == value, key
        assert cell.paragraphs[0].alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.RIGHT, key


@pytest.mark.slow
def test_labels_and_merged_headers_follow_the_official_tables(tmp_path, fmt):
    from validator.spec import split_ref

    found = word_tables(docx.Document(render(tmp_path, REPORTS / "huaian-shi_2024.xlsx")))
    for lab in fmt.labels:
        if lab.sheet in found and lab.checked:
            assert found[lab.sheet].cell(*split_ref(lab.ref)).text == lab.text, (lab.sheet, lab.ref)
    for sheet, rows in OFFICIAL_HEADS.items():
        table = found[sheet]
        for r, expected in enumerate(rows):
            starts, c = [], 0
            while c < len(table.columns):
                if r == 0 or table.cell(r - 1, c)._tc is not table.cell(r, c)._tc:  # not covered from above
                    starts.append(span(table, r, c))
                c += span(table, r, c)[2]
            assert starts == expected, (sheet, r)
            assert table.rows[r]._tr.trPr.find(f"{W}tblHeader") is not None  # repeated on every page
        assert table.rows[len(rows)]._tr.trPr.find(f"{W}tblHeader") is None
    for (r, c), expected in T3_ROW_LABELS.items():
        assert span(found["表三"], r, c) == expected


def test_page_title_sections_and_narrative_verbatim(tmp_path, expected_reports):
    name = "fenxi-zfb_2023"
    document = docx.Document(render(tmp_path, REPORTS / f"{name}.source.json"))
    section = document.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    assert section.page_width < section.page_height  # portrait
    paragraphs = document.paragraphs
    exp = expected_reports[name]
    assert paragraphs[0].text == f"{exp['body']}\n{exp['year']}年政府信息公开工作年度报告"  # broken after the name
    assert paragraphs[0].style.name == "报告标题"
    assert document.core_properties.title == f"{exp['body']}{exp['year']}年政府信息公开工作年度报告"
    assert "国办公开办函〔2021〕30号" in paragraphs[1].text
    headings = [p.text for p in paragraphs if p.style.name == "Heading 1"]
    assert headings == [
        "一、总体情况",
        "二、主动公开政府信息情况",
        "三、收到和处理政府信息公开申请情况",
        "四、政府信息公开行政复议、行政诉讼情况",
        "五、存在的主要问题及改进情况",
        "六、其他需要报告的事项",
    ]
    source = json.loads((REPORTS / f"{name}.source.json").read_text(encoding="utf-8"))["narrative"]
    texts = [p.text for p in paragraphs]
    start = texts.index("一、总体情况") + 1
    assert "\n".join(texts[start : start + source["overview"].count("\n") + 1]) == source["overview"]
    start = texts.index("五、存在的主要问题及改进情况") + 1
    assert "\n".join(texts[start : texts.index("六、其他需要报告的事项")]) == source["problems"]
    signed = [p.text for p in paragraphs if p.style.name == "落款"]
    assert texts[-len(signed) :] == signed == [exp["body"], "2024年1月29日"]
    assert "\n".join(texts[texts.index("六、其他需要报告的事项") + 1 : -len(signed)]) == source["other_matters"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "signed"),
    [
        ("fenxi-zfb_2023", ["汾西县人民政府办公室", "2024年1月29日"]),
        ("pingtan_2021", ["平潭综合实验区", "2022年2月8日"]),
        ("huaian-shi_2024", ["淮安市人民政府"]),  # no publication date in the data: the name alone
    ],
)
def test_signature_is_the_body_and_publication_date_right_aligned(tmp_path, name, signed):
    out = tmp_path / "r.docx"
    result = run_cli("render", REPORTS / f"{name}.source.json", "-o", out)
    assert result.code == 0, result.err
    assert ("未填写发布日期" in result.out) == (len(signed) == 1)
    paragraphs = docx.Document(out).paragraphs
    tail = paragraphs[-len(signed) :]
    assert [p.text for p in tail] == signed
    assert not any(re.search(r"年\s*月\s*日", p.text) and not re.search(r"\d", p.text) for p in paragraphs)
    style = tail[0].style
    assert style.name == "落款" and style.paragraph_format.alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.RIGHT
    assert style.paragraph_format.right_indent.pt == 32 and style.paragraph_format.first_line_indent.pt == 0
    assert tail[0].paragraph_format.space_before.pt == 28  # one blank line under the text
    keeps = [_keeps(p) for p in paragraphs[-len(signed) - 1 :]]
    assert keeps == [True] * len(signed) + [False]  # the text's last paragraph, the name, (the date)


def _keeps(paragraph) -> bool:
    """Keep-with-next as Word applies it: the paragraph's own setting, else its style's."""
    own = paragraph.paragraph_format.keep_with_next
    return bool(paragraph.style.paragraph_format.keep_with_next if own is None else own)


@pytest.mark.slow
def test_table_heads_keep_with_their_first_rows(tmp_path):
    found = word_tables(docx.Document(render(tmp_path, REPORTS / "huaian-shi_2024.source.json")))

    def kept(table) -> list[int]:
        return [
            r
            for r, tr in enumerate(table._tbl.tr_lst)
            if all(p.pPr is not None and p.pPr.keepNext_val for tc in tr.tc_lst for p in tc.p_lst)
        ]

    rest = [p for tr in found["表三"]._tbl.tr_lst[4:] for tc in tr.tc_lst for p in tc.p_lst]
    assert not any(p.pPr is not None and p.pPr.keepNext is not None for p in rest)
    # 表三: three header rows and 一、本年新收 keep with the next (so 二、上年结转 comes too);
    # 表四: its head with its one figure row; 表二: each 第二十条 head and its first row
    assert kept(found["表三"]) == [0, 1, 2, 3]
    assert kept(found["表四"]) == [0, 1, 2]
    assert kept(found["表二"]) == [0, 1, 2, 4, 5, 6, 7, 8, 9, 11, 12]
    assert (
        docx.Document(render(tmp_path, REPORTS / "huaian-shi_2024.source.json"))
        .styles["Heading 1"]
        .paragraph_format.keep_with_next
    )


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}  # core.xml: the time written


@pytest.mark.slow
@pytest.mark.parametrize("name", REPORT_NAMES)
def test_tables_are_those_python_docx_cell_api_writes(name):
    """Taking each table's cells once writes the same document as asking python-docx for every
    cell with ``table.cell()`` (tests/support/docx_reference.py): same XML, table by table."""
    doc = build_document(get_format(), (REPORTS / f"{name}.source.json").read_bytes())
    fast = _parts(render_docx(doc))
    with reference_tables():
        plain = _parts(render_docx(doc))
    body = etree.fromstring(fast["word/document.xml"])
    tables = [etree.tostring(t) for t in body.iter(f"{W}tbl")]
    assert len(tables) == 3 and all(b"w:gridSpan" in t and b'w:vMerge w:val="restart"' in t for t in tables[1:])
    assert tables == [etree.tostring(t) for t in etree.fromstring(plain["word/document.xml"]).iter(f"{W}tbl")]
    assert fast == plain


def test_fonts_are_named_for_chinese_text_with_fallbacks(tmp_path):
    document = docx.Document(render(tmp_path, REPORTS / "pingtan_2021.xlsx"))

    def east_asia(style_name: str) -> str:
        return document.styles[style_name].element.rPr.rFonts.get(f"{W}eastAsia")

    assert (east_asia("Normal"), east_asia("Heading 1"), east_asia("报告标题"), east_asia("表格文字")) == (
        "仿宋",
        "黑体",
        "宋体",
        "宋体",
    )
    font_table = next(p for p in document.part.package.parts if str(p.partname) == "/word/fontTable.xml").blob
    for zh, en in (("仿宋", "FangSong"), ("黑体", "SimHei"), ("宋体", "SimSun")):
        assert re.search(f'w:name="{zh}"><w:altName w:val="{en}"/><w:charset w:val="86"/>'.encode(), font_table)


def test_hostile_narrative_is_text(tmp_path):
    from support.rendering import HOSTILE, hostile_json

    document = docx.Document(render(tmp_path, hostile_json(tmp_path)))
    texts = [p.text for p in document.paragraphs]
    start = texts.index("一、总体情况") + 1
    assert "\n".join(texts[start : start + HOSTILE["overview"].count("\n") + 1]) == HOSTILE["overview"]
    assert "长" * 30000 in texts


def test_draft_and_force_are_marked_in_the_document(tmp_path, workbook_copy):
    import openpyxl

    path = workbook_copy()
    wb = openpyxl.load_workbook(path)
    wb["表三"]["J4"] = 4
    wb["文字部分"]["A6"] = None
    wb.save(path)
    out = tmp_path / "r.docx"
    assert run_cli("render", path, "-o", out, "--force").code == 1 and not out.exists()  # narrative missing
    result = run_cli("render", path, "-o", out, "--force", "--draft")
    assert result.code == 1 and out.exists()
    texts = [p.text for p in docx.Document(out).paragraphs]
    assert any("未通过校验" in t for t in texts) and "（五、存在的主要问题及改进情况：待填写）" in texts


def _pdf(tmp_path, docx_path):
    require_tools("soffice", "pdftotext", "pdfinfo")
    return docx_to_pdf(docx_path, tmp_path)


@pytest.mark.libreoffice
@pytest.mark.parametrize("name", REPORT_NAMES)
def test_libreoffice_pdf_has_the_figures_in_reading_order(tmp_path, name, expected_reports):
    pdf = _pdf(tmp_path, render(tmp_path, REPORTS / f"{name}.xlsx"))
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert 3 <= pages <= 12
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert all(page.strip() for page in text.split("\f")[:pages])  # no empty pages
    fmt = get_format()
    figures = expected_figures(expected_reports[name])
    tail = text[text.index("二、主动公开政府信息情况") :]
    for sheet in ("表二", "表三", "表四"):
        keys = sorted((k for k in figures if position(fmt, k)[0] == sheet), key=lambda k: position(fmt, k)[1:])
        rows: dict[int, list[str]] = {}
        for k in keys:
            rows.setdefault(position(fmt, k)[1], []).append(figures[k])
        for values in rows.values():  # each table row's figures, left to right, on one line
            pattern = r"\s+".join(re.escape(v) for v in values)
            match = re.search(r"(?<![\d.])" + pattern + r"(?![\d.])", tail)
            assert match, (sheet, values)
            tail = tail[match.end() :]
