"""``xxgk render -o 报告.docx``: opened with python-docx, and converted to PDF by LibreOffice."""

from __future__ import annotations

import json
import re
import subprocess

import docx
import pytest
from render_support import OFFICIAL_HEADS, T3_ROW_LABELS, docx_to_pdf, expected_figures, position, require_tools

from validator.formats import get_format

from conftest import REPORT_NAMES, REPORTS, run_cli

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
    assert paragraphs[0].text == f"{exp['body']}{exp['year']}年政府信息公开工作年度报告"
    assert paragraphs[0].style.name == "报告标题"
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
    assert "\n".join(texts[texts.index("六、其他需要报告的事项") + 1 :]) == source["other_matters"]


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
    from test_render_html import HOSTILE, hostile_json

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
