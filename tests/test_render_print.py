"""The printed report as a reader holds it: LibreOffice's PDF of the .docx, Chromium's print of
the web page. The title on two lines broken after the body's name, the 落款 (name, publication
date) at the end on the right, and nothing stranded at a page's foot: no heading or table head
as a page's last line, a table's heading always with two of its figure rows. Checked on the
three shipped reports and on a sweep that pads 一、总体情况 line by line, so that every heading
and table head passes every position on a page."""

from __future__ import annotations

import json

import pytest

from conftest import REPORT_NAMES, REPORTS, run_cli
from support.printed import pages, signature_placement, squeeze, stranded
from support.rendering import print_to_pdf, require_tools, soffice_convert

pytestmark = pytest.mark.slow  # LibreOffice and Chromium print every report at many lengths

SIGNED = {
    "fenxi-zfb_2023": ["汾西县人民政府办公室", "2024年1月29日"],
    "huaian-shi_2024": ["淮安市人民政府"],  # no publication date in the data: the name alone
    "pingtan_2021": ["平潭综合实验区", "2022年2月8日"],
}
TITLE = {
    "fenxi-zfb_2023": ["汾西县人民政府办公室", "2023年政府信息公开工作年度报告"],
    "huaian-shi_2024": ["淮安市人民政府", "2024年政府信息公开工作年度报告"],
    "pingtan_2021": ["平潭综合实验区", "2021年政府信息公开工作年度报告"],
}
WORD_SWEEP = range(22)  # a Word page holds 22 lines of 28 pt
WEB_SWEEP = range(0, 29, 3)  # a printed web page about 29 lines of 14 pt × 1.8


def padded(tmp, k: int):
    """汾西's report with `k` one-line paragraphs added to 一、总体情况."""
    doc = json.loads((REPORTS / "fenxi-zfb_2023.source.json").read_text(encoding="utf-8"))
    doc["narrative"]["overview"] += "".join(f"\n（补{k}.{i}）本段为排版核对用的一行文字。" for i in range(k))
    path = tmp / f"pad{k:02d}.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def rendered(tmp, suffix: str) -> dict[str, object]:
    """The three reports and the sweep rendered to `suffix`, by name."""
    sources = {name: REPORTS / f"{name}.source.json" for name in REPORT_NAMES}
    sweep = WORD_SWEEP if suffix == ".docx" else WEB_SWEEP
    sources |= {f"pad{k:02d}": padded(tmp, k) for k in sweep}
    out = {}
    for name, source in sources.items():
        target = tmp / f"{name}{suffix}"
        result = run_cli("render", source, "-o", target)
        assert result.code == 0, result.err
        out[name] = target
    return out


@pytest.fixture(scope="module")
def word_pages(tmp_path_factory):
    require_tools("soffice", "pdftotext")
    tmp = tmp_path_factory.mktemp("word")
    docs = rendered(tmp, ".docx")
    soffice_convert(list(docs.values()), "pdf", tmp)  # one LibreOffice start for all
    return {name: tmp / f"{name}.pdf" for name in docs}


@pytest.fixture(scope="module")
def web_pages(tmp_path_factory):
    require_tools("chromium", "pdftotext")
    tmp = tmp_path_factory.mktemp("web")
    out = {}
    for name, html in rendered(tmp, ".html").items():
        out[name] = tmp / f"{name}.pdf"
        print_to_pdf(html, out[name])
    return out


def check_report(pdf, name: str) -> None:
    printed = pages(pdf)
    assert [squeeze(line) for line in printed[0][:2]] == TITLE[name]  # two lines, broken after the name
    signed = SIGNED[name]
    assert [squeeze(line) for line in printed[-1][-len(signed) :]] == signed  # the 落款 ends the report
    assert signature_placement(pdf, len(printed), signed) == []
    assert stranded(printed) == []


@pytest.mark.libreoffice
@pytest.mark.parametrize("name", REPORT_NAMES)
def test_word_prints_title_signature_and_whole_heads(word_pages, name):
    check_report(word_pages[name], name)


@pytest.mark.libreoffice
def test_word_never_strands_a_heading_or_table_head(word_pages):
    found = {k: stranded(pages(word_pages[f"pad{k:02d}"])) for k in WORD_SWEEP}
    assert {k: v for k, v in found.items() if v} == {}


@pytest.mark.parametrize("name", REPORT_NAMES)
def test_web_page_prints_title_signature_and_whole_heads(web_pages, name):
    check_report(web_pages[name], name)


def test_web_page_never_strands_a_heading_or_table_head(web_pages):
    found = {k: stranded(pages(web_pages[f"pad{k:02d}"])) for k in WEB_SWEEP}
    assert {k: v for k, v in found.items() if v} == {}
