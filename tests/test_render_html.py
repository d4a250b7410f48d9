"""``xxgk render -o 报告.html``: the web page, parsed back and compared with the hand-checked figures."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import lxml.html
import pytest

from validator.formats import get_format

from conftest import REPORT_NAMES, REPORTS, ROOT, run_cli
from support.rendering import (
    HOSTILE,
    OFFICIAL_HEADS,
    T3_ROW_LABELS,
    expected_figures,
    grid,
    hostile_json,
    position,
    tables,
)


def render(tmp_path, source, *extra: str, name: str = "r.html"):
    out = tmp_path / name
    result = run_cli("render", source, "-o", out, *extra)
    return result, out


def page(path):
    return lxml.html.fromstring(path.read_bytes())


def data_block(doc) -> dict:
    (script,) = doc.xpath('//script[@id="xxgk-report-data"]')
    assert script.get("type") == "application/json"
    return json.loads(script.text)


@pytest.mark.parametrize("name", REPORT_NAMES)
def test_every_figure_is_in_its_official_cell(tmp_path, name, expected_reports):
    result, out = render(tmp_path, REPORTS / f"{name}.xlsx")
    assert result.code == 0, result.err
    fmt = get_format()
    found = tables(page(out))
    grids = {sheet: grid(t) for sheet, t in found.items()}
    expected = expected_figures(expected_reports[name])
    assert len(expected) == len(fmt.figure_cells())
    for key, value in expected.items():
        sheet, r, c = position(fmt, key)
        cell = grids[sheet][(r, c)]
        assert cell.tag == "td" and cell.text_content() == value, key
        assert cell.get("data-key") == key and "xxgk-num" in cell.get("class")


@pytest.mark.parametrize("name", REPORT_NAMES)
def test_title_opening_and_sections_in_order(tmp_path, name, expected_reports):
    exp = expected_reports[name]
    result, out = render(tmp_path, REPORTS / f"{name}.source.json")
    assert result.code == 0, result.err
    doc = page(out)
    title = f"{exp['body']}{exp['year']}年政府信息公开工作年度报告"
    h1 = doc.find(".//h1")
    assert doc.findtext(".//title") == title and h1.text_content() == title
    assert h1.text == exp["body"] and [e.tag for e in h1] == ["br", "span", "span"]  # broken after the name
    assert [e.text for e in h1.iter("span")] == [f"{exp['year']}年政府信息公开", "工作年度报告"]  # wrap only there
    signed = [p.text_content() for p in doc.xpath('//footer[@class="xxgk-signature"]/p')]
    assert signed == ([exp["body"], source_date(name)] if source_date(name) else [exp["body"]])
    assert [h.text for h in doc.iter("h2")] == [
        "一、总体情况",
        "二、主动公开政府信息情况",
        "三、收到和处理政府信息公开申请情况",
        "四、政府信息公开行政复议、行政诉讼情况",
        "五、存在的主要问题及改进情况",
        "六、其他需要报告的事项",
    ]
    first = doc.xpath("//article/p")[0].text_content()
    assert "国办公开办函〔2021〕30号" in first and f"{exp['year']}年12月31日" in first
    source = json.loads((REPORTS / f"{name}.source.json").read_text(encoding="utf-8"))
    sections = doc.xpath("//section")
    for index, key in ((0, "overview"), (4, "problems"), (5, "other_matters")):
        paragraphs = [p.text_content() for p in sections[index].iter("p")]
        assert "\n".join(paragraphs) == source["narrative"][key]  # verbatim, line breaks kept


def source_date(name: str) -> str | None:
    """The 落款 date as the report must print it, from the fixture's ``published_on``."""
    iso = json.loads((REPORTS / f"{name}.source.json").read_text(encoding="utf-8"))["published_on"]
    return None if iso is None else "{}年{}月{}日".format(*map(int, iso.split("-")))


def test_signature_and_print_keeps_in_the_page_style(tmp_path):
    _, out = render(tmp_path, REPORTS / "fenxi-zfb_2023.source.json")
    doc = page(out)
    footer = doc.xpath("//article/*")[-1]
    assert footer.tag == "footer" and [p.text for p in footer] == ["汾西县人民政府办公室", "2024年1月29日"]
    assert [s.get("class") for s in doc.iter("section")] == [None, "xxgk-table", "xxgk-table", "xxgk-table", None, None]
    style = doc.findtext(".//style")
    screen, printed = style.split("@media print")
    assert re.search(r"\.xxgk-signature\{[^}]*text-align:right", screen)
    assert re.search(r"h2\{[^}]*break-after:avoid", printed)
    assert re.search(r"section\.xxgk-table\{[^}]*break-inside:avoid", printed)
    assert re.search(r"\.xxgk-signature\{[^}]*break-before:avoid", printed)


@pytest.mark.parametrize("sheet", ["表二", "表三", "表四"])
def test_merged_headers_follow_the_official_tables(tmp_path, sheet):
    _, out = render(tmp_path, REPORTS / "pingtan_2021.xlsx")
    table = tables(page(out))[sheet]
    head = table.find("thead")
    rows = [
        [(c.text_content(), int(c.get("rowspan", 1)), int(c.get("colspan", 1))) for c in tr] for tr in head.iter("tr")
    ]
    assert rows == OFFICIAL_HEADS[sheet]
    assert all(c.tag == "th" for c in head.iter("th", "td"))
    assert table.find("caption").text.startswith(sheet)
    for th in head.iter("th"):
        span = int(th.get("colspan", 1))
        assert th.get("scope") in (("colgroup", "col") if span > 1 else ("col",)) or th.text.startswith("（本列")
    if sheet == "表三":
        g = grid(table)
        for (r, c), (text, rs, cs) in T3_ROW_LABELS.items():
            cell = g[(r, c)]
            assert (cell.tag, cell.text_content(), int(cell.get("rowspan", 1)), int(cell.get("colspan", 1))) == (
                "th",
                text,
                rs,
                cs,
            )
            assert cell.get("scope") == ("rowgroup" if rs > 1 else "row")


def test_every_table_label_of_the_format_is_printed_once_per_place(tmp_path, fmt):
    _, out = render(tmp_path, REPORTS / "fenxi-zfb_2023.xlsx")
    grids = {s: grid(t) for s, t in tables(page(out)).items()}
    labels = [lab for lab in fmt.labels if lab.sheet in grids and lab.checked]
    assert len(labels) > 60
    for lab in labels:
        from validator.spec import split_ref

        cell = grids[lab.sheet][split_ref(lab.ref)]
        assert cell.tag == "th" and cell.text_content() == lab.text, (lab.sheet, lab.ref)


def test_the_page_is_self_contained_with_one_inert_script(tmp_path):
    _, out = render(tmp_path, REPORTS / "huaian-shi_2024.xlsx")
    doc = page(out)
    scripts = list(doc.iter("script"))
    assert [s.get("type") for s in scripts] == ["application/json"]
    assert not doc.xpath("//link | //img | //iframe | //object | //embed | //@src | //@href")
    assert not doc.xpath("//@*[starts-with(name(), 'on')]")
    style = doc.findtext(".//style")
    assert "@media print" in style and "url(" not in style and "@import" not in style


def test_data_block_is_the_exported_json(tmp_path):
    source = REPORTS / "huaian-shi_2024.xlsx"
    _, out = render(tmp_path, source)
    exported = tmp_path / "e.json"
    assert run_cli("export", source, "-o", exported).code == 0
    assert data_block(page(out)) == json.loads(exported.read_text(encoding="utf-8"))


def test_hostile_narratives_are_text(tmp_path):
    source = hostile_json(tmp_path)
    result, out = render(tmp_path, source)
    assert result.code == 0, result.err
    raw = out.read_text(encoding="utf-8")
    assert raw.count("<script") == 1 and raw.count("</script>") == 1
    assert "<!-- " not in raw and "<b>" not in raw
    doc = page(out)
    sections = doc.xpath("//section")
    for index, key in ((0, "overview"), (4, "problems"), (5, "other_matters")):
        assert "\n".join(p.text_content() for p in sections[index].iter("p")) == HOSTILE[key]
    exported = tmp_path / "e.json"
    assert run_cli("export", source, "-o", exported).code in (0, 1)
    assert data_block(doc) == json.loads(exported.read_text(encoding="utf-8"))
    assert data_block(doc)["narrative"] == HOSTILE


def test_errors_refuse_unless_forced(workbook_copy, tmp_path):
    import openpyxl

    path = workbook_copy()
    wb = openpyxl.load_workbook(path)
    wb["表三"]["J4"] = 4
    wb.save(path)
    refused, out = render(tmp_path, path)
    assert refused.code == 1 and not out.exists()
    assert "未生成报告" in refused.err and "表三!J4 最可能填错" in refused.err
    forced, out = render(tmp_path, path, "--force")
    assert forced.code == 1 and out.exists() and "未通过校验" in forced.out
    doc = page(out)
    assert "未通过校验" in doc.xpath('//p[@class="xxgk-warning"]')[0].text_content()
    assert grid(tables(doc)["表三"])[(3, 9)].text_content() == "4"  # printed as entered, never recomputed


def test_missing_narrative_refuses_listing_it_and_draft_shows_placeholders(tmp_path):
    doc = json.loads((REPORTS / "pingtan_2021.source.json").read_text(encoding="utf-8"))
    doc["narrative"]["problems"] = ""
    doc["narrative"]["other_matters"] = "  \n "
    source = tmp_path / "gap.json"
    source.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    refused, out = render(tmp_path, source)
    assert refused.code == 1 and not out.exists()
    assert "五、存在的主要问题及改进情况、六、其他需要报告的事项" in refused.err and "--draft" in refused.err
    draft, out = render(tmp_path, source, "--draft")
    assert draft.code == 0 and "草稿" in draft.out
    assert "草稿" in page(out).xpath('//p[@class="xxgk-warning"]')[0].text_content()
    placeholders = [p.text_content() for p in page(out).xpath('//p[@class="xxgk-placeholder"]')]
    assert placeholders == ["（五、存在的主要问题及改进情况：待填写）", "（六、其他需要报告的事项：待填写）"]
    complete, out = render(tmp_path, REPORTS / "pingtan_2021.source.json", "--draft", name="complete.html")
    assert complete.code == 0 and "草稿" not in complete.out
    assert not page(out).xpath('//p[@class="xxgk-warning" or @class="xxgk-placeholder"]')


@pytest.mark.parametrize("out", ["报告.pdf", "报告", "-"])
def test_unknown_output_type_is_unusable(tmp_path, out):
    target = out if out == "-" else str(tmp_path / out)
    result = run_cli("render", REPORTS / "pingtan_2021.xlsx", "-o", target)
    assert result.code == 2 and ".docx" in result.err


def test_input_file_is_unchanged_and_not_overwritten(tmp_path, workbook_copy):
    path = workbook_copy()
    before = path.read_bytes()
    result = run_cli("render", path, "-o", path.with_suffix(".html"))
    assert result.code == 0 and path.read_bytes() == before
    same = run_cli("render", tmp_path / "x.html", "-o", tmp_path / "x.html")
    assert same.code == 2


def test_cli_import_does_not_load_docx_or_jinja2():
    code = (
        "import sys, validator.cli.program; validator.cli.program._parser(); "
        "print(sorted(m for m in ('docx', 'jinja2', 'markupsafe') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def test_openpyxl_keeps_its_stdlib_xml_path_although_python_docx_brings_lxml():
    """python-docx installs lxml; openpyxl would then read and write workbooks through lxml,
    with other bytes and without defusedxml. The package pins the path it was tested with."""
    code = (
        "import os; os.environ.pop('OPENPYXL_LXML', None); import lxml, validator, openpyxl.xml, "
        "openpyxl.xml.functions as f; print(openpyxl.xml.LXML, f.fromstring.__module__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split() == ["False", "defusedxml.common"]
