"""Importing published reports for audit: narrative parts, raw cell text, the 2019 format,
hostile web pages, and the commands that read published documents (check/collect --published,
new --from)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from validator.cli.program import main
from validator.formats import gb_2021_30 as gb

from conftest import REPORTS
from support.importing import check_json

PUBLISHED = Path(__file__).parent / "fixtures" / "published"
EXPECTED = json.loads((PUBLISHED / "expected.json").read_text(encoding="utf-8"))["reports"]
PARTS = ("overview", "problems", "other_matters")

# (first words, last words) of each narrative part as published, per shared report
NARRATIVE = {
    "fenxi-zfb_2023.txt": {
        "overview": ("2023年，政府办在县委县政府的坚强领导下", "不断推进政务公开标准化规范化建设。"),
        "problems": ("2023年，县政府办公室政府信息公开工作取得了一些成绩，\n但对新时期", "重要信息的认识和理解。"),
        "other_matters": ("本机关2023年度未收取政府信息公开信息处理费。", "汾西县人民政府办公室\n2024年1月29日"),
    },
    "huaian-shi_2024.txt": {
        "overview": (
            "2024 年，我市坚持以习近平新时代中国特色社会主义思想为指导",
            "不断提高全市政务公开工作人员的工作能力和水平。",
        ),
        "problems": ("对照上级新要求和公众新期待，还有一些需要加强和改进的地方。", "激励，增强队伍凝聚力。"),
        "other_matters": ("2024 年，市政府严格落实", "全年收取政府信息公开信息处理费 3940 元。"),
    },
    "pingtan_2021.txt": {
        "overview": ("2021年，我区以习近平新时代中国特色社会主义思想为指导", "切实提升我区政务公开质效。"),
        "problems": ("（一）存在的主要问题:政策解读形式不够丰富", "充分发挥政府网站和政务新媒体作用。"),
        "other_matters": ("2021年，无收取信息处理费情况。", "2021年，无收取信息处理费情况。"),
    },
}


def _import(tmp_path: Path, src: Path, *extra: str) -> tuple[int, Path]:
    out = tmp_path / "report.json"
    return main(["import", str(src), "-o", str(out), *extra]), out


def _provenance(out: Path) -> dict:
    return json.loads(out.with_suffix(".provenance.json").read_text(encoding="utf-8"))


def _tables(data: dict) -> dict:
    return {k: data[k] for k in ("proactive", "applications", "review_litigation")}


def _variant(tmp_path: Path, replacements: dict[str, str], name: str = "pingtan_2021.txt") -> Path:
    text = (PUBLISHED / name).read_text(encoding="utf-8")
    for old, new in replacements.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    src = tmp_path / f"variant{Path(name).suffix}"
    src.write_text(text, encoding="utf-8")
    return src


# --------------------------------------------------------------------------- narrative parts


@pytest.mark.parametrize("name", sorted(NARRATIVE))
def test_narrative_parts_kept_verbatim(tmp_path, name):
    code, out = _import(tmp_path, PUBLISHED / name, "--type", "政府")
    assert code == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    lines = (PUBLISHED / name).read_text(encoding="utf-8").split("\n")
    parts = _provenance(out)["parts"]
    for part, (first, last) in NARRATIVE[name].items():
        text = data["narrative"][part]
        assert text.startswith(first) and text.endswith(last), (part, text[:40], text[-40:])
        assert "-5-" not in text and "\n\n" not in text
        where = parts[f"narrative.{part}"]
        assert lines[where["line"] - 1].strip() == where["heading"]
        assert last.split("\n")[-1] in lines[where["end_line"] - 1]
    body = "".join(data["narrative"].values())
    assert not re.search(r"\|", body), "no table row leaked into a narrative part"


def test_narrative_parts_do_not_change_tables(tmp_path):
    """The parts come on top: the tables read the same with the narrative cut out."""
    text = (PUBLISHED / "pingtan_2021.txt").read_text(encoding="utf-8")
    cut = text[: text.index("五、存在的主要问题及改进情况")]
    src = tmp_path / "cut.txt"
    src.write_text(cut, encoding="utf-8")
    code, out_cut = _import(tmp_path, src, "--type", "政府")
    assert code == 0
    cut_data = json.loads(out_cut.read_text(encoding="utf-8"))
    (tmp_path / "full").mkdir()
    code, out = _import(tmp_path / "full", PUBLISHED / "pingtan_2021.txt", "--type", "政府")
    assert code == 0
    assert _tables(json.loads(out.read_text(encoding="utf-8"))) == _tables(cut_data)
    assert cut_data["narrative"]["problems"] == cut_data["narrative"]["other_matters"] == ""
    findings = _provenance(out_cut)["findings"]
    assert [f["keys"] for f in findings if f["rule"] == "IMPORT-PART"] == [
        ["narrative.problems"],
        ["narrative.other_matters"],
    ]


def test_renumbered_and_retitled_parts(tmp_path, capsys):
    """五 retitled …及整改措施 and numbered 四 (a body that merged two parts), 六 numbered 五:
    found by their words, and 表四 still ends where they start (else its count would be off)."""
    src = _variant(
        tmp_path,
        {
            "五、存在的主要问题及改进情况": "四、存在的主要问题及整改措施",
            "六、其他需要报告的事项": "五、其他需要报告事项",
        },
    )
    code, out = _import(tmp_path, src, "--type", "政府")
    assert code == 0, capsys.readouterr()
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["narrative"]["problems"].startswith("（一）存在的主要问题")
    assert data["narrative"]["other_matters"] == "2021年，无收取信息处理费情况。"
    assert data["review_litigation"]["review"]["total"] == 3
    assert _provenance(out)["unread"] == []


def test_narrative_from_rendered_page_equals_source(tmp_path):
    """Our own published page (data block removed) gives back the narrative it was made from."""
    source = REPORTS / "pingtan_2021.source.json"
    page = tmp_path / "page.html"
    assert main(["render", str(source), "-o", str(page), "--force", "--draft"]) == 0
    html = re.sub(
        r'<script type="application/json" id="xxgk-report-data">.*?</script>', "", page.read_text("utf-8"), flags=re.S
    )
    page.write_text(html, encoding="utf-8")
    code, out = _import(tmp_path, page, "--type", "政府")
    assert code == 0
    want = json.loads(source.read_text(encoding="utf-8"))["narrative"]
    got = json.loads(out.read_text(encoding="utf-8"))["narrative"]
    for part in PARTS:
        paragraphs = [p.strip() for p in want[part].split("\n") if p.strip()]
        assert got[part] == "\n".join(paragraphs)


# --------------------------------------------------------------------------- raw cell text


def test_raw_cell_text_and_form_in_provenance(tmp_path, capsys):
    src = _variant(
        tmp_path,
        {
            "2.重复申请 | 0 | 0 | 0 | 0 | 0 | 0 | 0": "2.重复申请 | / | — |  | 0 | 0 | 0 | 0",
            "行政许可 | 2293": "行政许可 | 2,293",
        },
    )
    code, out = _import(tmp_path, src, "--type", "政府")
    assert code == 0
    printed = capsys.readouterr().out
    assert "提示：表三有 3 个空白单元格" in printed
    prov = _provenance(out)
    cells = prov["cells"]
    cols = [c for c, _ in gb.T3_COLUMNS]
    row = [cells[gb.t3_key("not_processed.repeated", c)] for c in cols[:4]]
    assert [(c["raw"], c["form"], c["value"]) for c in row] == [
        ("/", "mark", 0),
        ("—", "mark", 0),
        ("", "empty", 0),
        ("0", "number", 0),
    ]
    assert cells["proactive.licensing.decisions"] | {"line": 0} == {
        "value": 2293,
        "line": 0,
        "text": "行政许可 | 2,293",
        "raw": "2,293",
        "form": "number",
    }
    blank = [f for f in prov["findings"] if f["rule"] == "IMPORT-BLANK"]
    assert len(blank) == 1 and blank[0]["severity"] == "warning"
    assert blank[0]["keys"] == [gb.t3_key("not_processed.repeated", c) for c in cols[:3]]


def test_no_blank_finding_when_every_cell_is_printed(tmp_path):
    code, out = _import(tmp_path, PUBLISHED / "pingtan_2021.txt", "--type", "政府")
    assert code == 0
    prov = _provenance(out)
    assert prov["findings"] == []
    assert {c["form"] for c in prov["cells"].values()} == {"number"}


# --------------------------------------------------------------------------- 2019 format

T2_2019 = """二、主动公开政府信息情况
第二十条第（一）项
信息内容 | 本年新制作数量 | 本年新公开数量 | 对外公开总数量
规章 | 0 | 0 | 0
规范性文件 | 69 | 69 | 665
第二十条第（五）项
信息内容 | 上一年项目数量 | 本年增/减 | 处理决定数量
行政许可 | 120 | 3 | 2293
其他对外管理服务事项 | 10 | 0 | 5
第二十条第（六）项
信息内容 | 上一年项目数量 | 本年增/减 | 处理决定数量
行政处罚 | 300 | 0 | 1282
行政强制 | 20 | 0 | 42
第二十条第（八）项
信息内容 | 上一年项目数量 | 本年增/减
行政事业性收费 | 5 | 0
第二十条第（九）项
信息内容 | 采购项目数量 | 采购总金额
政府集中采购 | 12 | 345.6
"""


def _report_2019(tmp_path: Path) -> Path:
    text = (PUBLISHED / "pingtan_2021.txt").read_text(encoding="utf-8").replace("2021", "2020")
    start, end = text.index("二、主动公开政府信息情况"), text.index("三、收到和处理政府信息公开申请情况")
    src = tmp_path / "old.txt"
    src.write_text(text[:start] + T2_2019 + "\n" + text[end:], encoding="utf-8")
    return src


def test_2019_format_named_and_refused(tmp_path, capsys):
    code, out = _import(tmp_path, _report_2019(tmp_path), "--type", "政府")
    assert code == 2
    err = capsys.readouterr().err
    assert "2019 试行格式（国办公开办函〔2019〕60号）" in err and "“本年新制作数量”" in err
    assert not out.exists() and not out.with_suffix(".provenance.json").exists()


def test_2019_format_refused_before_any_table_is_read(tmp_path, monkeypatch):
    from validator.importer import text

    def fail(*args, **kwargs):
        raise AssertionError("a 2019 report must not be read into 2021 cells")

    monkeypatch.setattr(text, "_read_table", fail)
    assert _import(tmp_path, _report_2019(tmp_path))[0] == 2


def test_2019_marks_outside_table_two_do_not_refuse_a_2021_report(tmp_path):
    """A 2021 report may speak of 政府集中采购 in its narrative: only 表二 decides."""
    src = _variant(
        tmp_path, {"2021年，无收取信息处理费情况。": "2021年，无收取信息处理费情况。政府集中采购项目已公开。"}
    )
    assert _import(tmp_path, src, "--type", "政府")[0] == 0


def test_2019_report_without_2021_headings_still_named(tmp_path, capsys):
    src = tmp_path / "old.txt"
    src.write_text(
        "某县2019年政府信息公开工作年度报告\n信息内容 | 本年新制作数量 | 本年新公开数量 | 对外公开总数量\n规章 | 0 | 0 | 0\n",
        encoding="utf-8",
    )
    assert _import(tmp_path, src)[0] == 2
    assert "国办公开办函〔2019〕60号" in capsys.readouterr().err


# --------------------------------------------------------------------------- web pages


def _rendered(tmp_path: Path, name: str = "pingtan_2021") -> str:
    """Our own published page for a fixture report without its machine-readable data block."""
    page = tmp_path / f"{name}.rendered.html"
    assert main(["render", str(REPORTS / f"{name}.source.json"), "-o", str(page), "--force", "--draft"]) == 0
    html = page.read_text(encoding="utf-8")
    return re.sub(r'<script type="application/json" id="xxgk-report-data">.*?</script>', "", html, flags=re.S)


def _cms_page(article: str, container: str) -> str:
    """A government CMS page: menu, title above the article container, sidebar and footer with
    numbers and words that would otherwise run into the report."""
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>年报_某某政府网</title>
<script>var pv = 12345;</script></head><body>
<div class="nav"><table><tr><td>首页</td><td>政务公开</td><td>2</td></tr></table></div>
<div class="detail"><h1>平潭综合实验区2021年政府信息公开工作年度报告</h1>
<div class="info">发布时间：2022-02-08 来源：平潭县人民政府 浏览次数：1024</div>
<div {container}>{article}</div>
<div class="related"><p>相关链接</p><table><tr><td>2020年度报告</td><td>356</td></tr></table></div></div>
<div class="footer"><p>主办单位：平潭综合实验区管委会 网站标识码：3501000001</p><p>其他需要报告的事项请来电 12345</p></div>
</body></html>"""


@pytest.mark.parametrize(
    "container",
    [
        'id="zoom"',
        'class="TRS_Editor"',
        'class="trs_editor_view"',
        'class="article-content clearfix"',
        'class="xxgk-content"',
    ],
)
def test_cms_container_keeps_menus_and_footer_out(tmp_path, container):
    html = _rendered(tmp_path)
    body = html[html.index("<body>") + len("<body>") : html.index("</body>")]
    body = re.sub(r"<h1>.*?</h1>", "", body, count=1, flags=re.S)  # the title sits above the container
    src = tmp_path / "cms.html"
    src.write_text(_cms_page(body, container), encoding="utf-8")
    code, out = _import(tmp_path, src, "--type", "政府")
    assert code == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    source = json.loads((REPORTS / "pingtan_2021.source.json").read_text(encoding="utf-8"))
    assert (data["body"]["name"], data["year"]) == ("平潭综合实验区", 2021)
    assert _tables(data) == _tables(source)
    assert data["narrative"]["other_matters"] == source["narrative"]["other_matters"].strip()
    assert data["published_on"] == "2022-02-08", "the date line above the container is read"


def test_without_container_the_footer_runs_into_part_six(tmp_path):
    """Why the container matters: the same page in a plain <div> reads the footer into 六."""
    html = _rendered(tmp_path)
    body = html[html.index("<body>") + len("<body>") : html.index("</body>")]
    src = tmp_path / "plain.html"
    src.write_text(_cms_page(body, 'class="plain"'), encoding="utf-8")
    assert _import(tmp_path, src, "--type", "政府")[0] == 0
    assert (
        "网站标识码" in json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["narrative"]["other_matters"]
    )


SPA_SHELL = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>平潭综合实验区2021年政府信息公开工作年度报告</title>
<script src="/static/js/app.3f2a.js"></script></head><body><div id="app"></div>
<noscript>请启用 JavaScript</noscript></body></html>"""

PDF_ONLY = """<html><head><meta charset="gbk"></head><body><div id="zoom">
<h1>平潭综合实验区2021年政府信息公开工作年度报告</h1><p>详见附件。</p>
<p>附件：<a href="/u/cms/www/202202/平潭2021年报.pdf">平潭综合实验区2021年度政府信息公开工作年度报告.pdf</a></p>
</div></body></html>"""


@pytest.mark.parametrize(
    ("page", "message"),
    [
        (SPA_SHELL, "网页中没有表格，可能由脚本加载或只提供附件"),
        (PDF_ONLY, "网页中没有表格，只提供附件（“平潭综合实验区2021年度政府信息公开工作年度报告.pdf”）"),
    ],
    ids=["spa-shell", "pdf-link-only"],
)
def test_page_without_table_says_so(tmp_path, capsys, page, message):
    src = tmp_path / "page.html"
    src.write_bytes(page.encode("gb18030"))
    code, out = _import(tmp_path, src)
    assert code == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_page_without_table_names_code_in_check_json(tmp_path, capsys):
    src = tmp_path / "page.html"
    src.write_text(SPA_SHELL, encoding="utf-8")
    assert main(["check", "--published", str(src), "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["error"]["code"] == "no-table"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("page", "code"),
    [
        ("</" * 1_000_000, "not-report"),  # quadratic for the stdlib HTMLParser
        ("<div>" * 100_000 + "二、主动公开政府信息情况" + "</div>" * 100_000, "no-table"),
        ("<table>" + "<tr><td>1</td></tr>" * 200_000, "not-report"),
        ("<p>x</p><!--" + "a" * 1_000_000, "no-table"),
        ("<div a='" + "b" * 1_000_000, "no-table"),
        ("\x00\x01<p>\ufffe</p>", "not-report"),
    ],
    ids=["end-tags", "deep", "rows", "open-comment", "open-attribute", "controls"],
)
def test_hostile_pages_exit_2(tmp_path, capsys, page, code):
    src = tmp_path / "hostile.html"
    src.write_text(page, encoding="utf-8", errors="surrogatepass")
    assert main(["check", "--published", str(src), "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["error"]["code"] == code


def test_huge_page_refused_before_parsing(tmp_path, monkeypatch, capsys):
    from validator.importer import html, source

    monkeypatch.setattr(source, "MAX_BYTES", 1000)
    monkeypatch.setattr(html, "flatten", lambda *a, **k: pytest.fail("parsed a page over the cap"))
    src = tmp_path / "huge.html"
    src.write_text("<p>" + "报告" * 1000 + "</p>", encoding="utf-8")
    assert _import(tmp_path, src)[0] == 2
    assert "文件超过" in capsys.readouterr().err


def test_meta_charset_wrong_either_way(tmp_path):
    html = _rendered(tmp_path)
    utf8_says_gbk = tmp_path / "a.html"
    utf8_says_gbk.write_text(html.replace('<meta charset="utf-8">', '<meta charset="gbk">'), encoding="utf-8")
    gbk_says_utf8 = tmp_path / "b.html"
    gbk_says_utf8.write_bytes(html.encode("gbk"))
    for src in (utf8_says_gbk, gbk_says_utf8):
        (tmp_path / src.stem).mkdir()
        code, out = _import(tmp_path / src.stem, src, "--type", "政府")
        assert code == 0
        assert json.loads(out.read_text(encoding="utf-8"))["body"]["name"] == "平潭综合实验区"


def test_undecodable_page_exit_2(tmp_path, capsys):
    src = tmp_path / "bad.html"
    src.write_bytes(b'<meta charset="utf-8"><p>\x80\x80\xff\xfe\x81</p>')
    assert main(["check", "--published", str(src), "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["error"]["code"] == "bad-encoding"


@pytest.mark.parametrize("suffix", [".txt", ".html"])
def test_truncated_report_exit_2(tmp_path, capsys, suffix):
    text = (PUBLISHED / "pingtan_2021.txt").read_text(encoding="utf-8") if suffix == ".txt" else _rendered(tmp_path)
    src = tmp_path / f"cut{suffix}"
    src.write_text(text[: text.index("（四）无法提供")], encoding="utf-8")
    assert _import(tmp_path, src)[0] == 2
    err = capsys.readouterr().err
    assert "找不到“四、政府信息公开行政复议、行政诉讼情况”一节" in err and "不完整" in err


# --------------------------------------------------------------------------- audit mode


def test_check_published_passes_a_good_report(tmp_path, capsys):
    assert main(["check", "--published", str(PUBLISHED / "fenxi-zfb_2023.txt"), "--type", "部门"]) == 0
    assert not list(tmp_path.iterdir())


def test_check_published_flags_a_wrong_total_on_its_cells(tmp_path, capsys):
    src = _variant(
        tmp_path,
        {
            "行政复议：结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计\n1 | 0 | 2 | 0 | 3": "行政复议：结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计\n1 | 0 | 2 | 0 | 4",
            "2.重复申请 | 0 | 0 | 0 | 0 | 0 | 0 | 0": "2.重复申请 | / | 0 | 0 | 0 | 0 | 0 | 0",
        },
    )
    before = src.read_bytes()
    assert main(["check", "--published", str(src), "--type", "政府", "--json"]) == 1
    findings = json.loads(capsys.readouterr().out)["findings"]
    errors = [f for f in findings if f["severity"] == "error"]
    assert [f["rule"] for f in errors] == ["T4-SUM-REVIEW"]
    assert gb.t4_key("review", "total") in [c["key"] for c in errors[0]["cells"]]
    blank = [f for f in findings if f["rule"] == "IMPORT-BLANK"]
    assert blank and blank[0]["severity"] == "warning"
    # a published document's findings point at its lines, not at workbook cells it does not have
    assert blank[0]["cells"] == [{"ref": "第 50 行", "key": gb.t3_key("not_processed.repeated", "natural_person")}]
    assert errors[0]["cells"][0]["ref"] == "第 62 行"
    assert src.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["variant.txt"]


def test_check_published_text_output_names_import_findings(tmp_path, capsys):
    src = _variant(tmp_path, {"行政许可 | 2293": "行政许可 | 2293.5"})
    assert main(["check", "--published", str(src), "--type", "政府"]) == 1
    out = capsys.readouterr().out
    assert "[错误]" in out and "2293.5" in out and "IMPORT-UNREAD" not in out


def test_check_type_needs_published(capsys):
    assert main(["check", str(REPORTS / "pingtan_2021.source.json"), "--type", "政府"]) == 2
    assert "--type 只与 --published 同用" in capsys.readouterr().err


def test_collect_published_reads_published_reports(tmp_path, capsys):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in ("fenxi-zfb_2023.txt", "huaian-shi_2024.txt"):
        (inbox / name).write_bytes((PUBLISHED / name).read_bytes())
    blanked = _variant(tmp_path, {"四、结转下年度继续办理 | 1 | 0 | 0": "四、结转下年度继续办理 | 1 | / | 0"})
    (inbox / "blanked.txt").write_bytes(blanked.read_bytes())
    (inbox / "shell.html").write_text(SPA_SHELL, encoding="utf-8")
    (inbox / "fenxi.json").write_bytes((REPORTS / "fenxi-zfb_2023.source.json").read_bytes())
    result = tmp_path / "result.json"
    args = ["collect", str(inbox), "-o", str(tmp_path / "out.xlsx"), "--json", str(result), "--quiet", "--year", "2023"]
    assert main([*args, "--published"]) == 1
    files = {f["file"]: f for f in json.loads(result.read_text(encoding="utf-8"))["files"]}
    assert files["fenxi-zfb_2023.txt"]["body"] == "汾西县人民政府办公室"
    assert files["fenxi-zfb_2023.txt"]["year"] == 2023 and files["huaian-shi_2024.txt"]["year"] == 2024
    assert "网页中没有表格" in capsys.readouterr().err
    assert "fenxi.json" in files, "workbooks and JSON are read as always"
    assert [f["rule"] for f in files["blanked.txt"]["findings"] if f["rule"].startswith("IMPORT")] == ["IMPORT-BLANK"]
    assert main(args) == 1
    assert "不支持的文件类型" in capsys.readouterr().err, "without --published a web page is not a submission"


def test_collect_published_takes_the_body_type_from_the_roster(tmp_path):
    """Published reports state no 机关类型: a body on the roster takes the roster's type; a type
    the document states (our page's data block) is kept; a body not on the roster gets none."""
    from validator.collect.roster import load_roster
    from validator.collect.run import Options, collect

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in ("fenxi-zfb_2023.txt", "huaian-shi_2024.txt"):
        (inbox / name).write_bytes((PUBLISHED / name).read_bytes())
    (inbox / "pingtan.html").write_text(_page_with_block(tmp_path), encoding="utf-8")  # states 政府
    roster = tmp_path / "名单.csv"
    roster.write_text("机关名称,机关类型\n汾西县人民政府办公室,部门\n平潭综合实验区,部门\n", encoding="utf-8")

    def run(with_roster: bool) -> dict[str, tuple[object, list[str]]]:
        options = Options(published=True, roster=load_roster(roster) if with_roster else None)
        items = collect(inbox, options).items
        return {
            i.rel: (i.submission.values.get("body.type"), [f.rule for f in i.report.findings])
            for i in items
            if i.submission is not None and i.report is not None
        }

    found = run(with_roster=True)
    assert found["fenxi-zfb_2023.txt"][0] == "部门" and "META-TYPE" not in found["fenxi-zfb_2023.txt"][1]
    assert found["pingtan.html"][0] == "政府", "a type the document states is never overridden"
    assert found["huaian-shi_2024.txt"][0] is None and "META-TYPE" in found["huaian-shi_2024.txt"][1]
    without = run(with_roster=False)
    assert without["fenxi-zfb_2023.txt"][0] is None and "META-TYPE" in without["fenxi-zfb_2023.txt"][1]


@pytest.mark.slow
@pytest.mark.parametrize("form", ["txt", "html"])
def test_new_from_published_report(tmp_path, capsys, form):
    """Next year's workbook seeded from last year's published report, as from its JSON."""
    from validator.workbook.read import read_workbook

    if form == "txt":
        src = PUBLISHED / "pingtan_2021.txt"
    else:
        src = tmp_path / "pingtan.html"
        src.write_text(_rendered(tmp_path), encoding="utf-8")
    out = tmp_path / "2022.xlsx"
    assert main(["new", "--from", str(src), "--type", "政府", "-o", str(out)]) == 0
    assert "已生成 2022 年度工作簿" in capsys.readouterr().out
    seeded = read_workbook(out).values
    from_json = tmp_path / "from_json.xlsx"
    assert main(["new", "--from", str(REPORTS / "pingtan_2021.source.json"), "-o", str(from_json)]) == 0
    assert seeded == read_workbook(from_json).values
    assert (seeded["body.name"], seeded["body.type"], seeded["year"]) == ("平潭综合实验区", "政府", 2022)
    assert seeded[gb.t3_key("carried_in", "total")] == 1


def test_new_from_published_report_names_blanks(tmp_path, capsys):
    src = _variant(tmp_path, {"四、结转下年度继续办理 | 1 | 0 | 0": "四、结转下年度继续办理 | 1 | / | 0"})
    assert main(["new", "--from", str(src), "--type", "政府", "-o", str(tmp_path / "new.xlsx")]) == 0
    assert "提示：上年报告表三有 1 个空白单元格" in capsys.readouterr().out


def test_new_from_refuses_2019_report_and_type_with_json(tmp_path, capsys):
    assert main(["new", "--from", str(_report_2019(tmp_path)), "-o", str(tmp_path / "a.xlsx")]) == 2
    assert "国办公开办函〔2019〕60号" in capsys.readouterr().err
    json_src = str(REPORTS / "pingtan_2021.source.json")
    assert main(["new", "--from", json_src, "--type", "政府", "-o", str(tmp_path / "b.xlsx")]) == 2
    assert not (tmp_path / "a.xlsx").exists() and not (tmp_path / "b.xlsx").exists()


def test_title_with_control_characters_gives_no_body_name(tmp_path):
    """Found by the fuzz run: a control character in the title reached the body name and the
    JSON writer refused it (exit 3); a form feed is whitespace, other controls drop the name."""
    title = "\n平潭综合实验区2021年度政府信息公开工作年度报告"
    for name, bad, want in (("ff", "平潭\f综合实验区", "平潭 综合实验区"), ("soh", "平潭\x01综合实验区", "")):
        (tmp_path / name).mkdir()
        src = _variant(tmp_path / name, {title: title.replace("平潭综合实验区", bad)})
        code, out = _import(tmp_path / name, src, "--type", "政府")
        assert code == 0
        assert json.loads(out.read_text(encoding="utf-8"))["body"]["name"] == want


# --------------------------------------------------------------------------- our own data block


def _page_with_block(tmp_path: Path) -> str:
    page = tmp_path / "own.html"
    assert main(["render", str(REPORTS / "pingtan_2021.source.json"), "-o", str(page), "--force", "--draft"]) == 0
    return page.read_text(encoding="utf-8")


def test_own_data_block_read_exactly(tmp_path, capsys):
    src = tmp_path / "page.html"
    src.write_text(_page_with_block(tmp_path), encoding="utf-8")
    code, out = _import(tmp_path, src)
    assert code == 0
    assert "数据块（xxgk-report-data）原样导入" in capsys.readouterr().out
    data = json.loads(out.read_text(encoding="utf-8"))
    source = json.loads((REPORTS / "pingtan_2021.source.json").read_text(encoding="utf-8"))
    assert {k: data["body"][k] for k in source["body"]} == source["body"]
    for key in ("year", "published_on", "narrative", "proactive", "applications", "review_litigation"):
        assert data[key] == source[key], key
    prov = _provenance(out)
    assert prov["data_block"] is True and prov["findings"] == []


def test_own_data_block_differing_from_the_visible_table_loses_to_the_page(tmp_path, capsys):
    """What a reader sees wins: a page whose visible figure was edited after it was made is
    imported as shown, the block's figure named in a 提示 (and check --published audits the
    figures the public saw)."""
    html = _page_with_block(tmp_path)
    cell = 'data-key="proactive.licensing.decisions" colspan="3">2293<'
    assert html.count(cell) == 1
    src = tmp_path / "edited.html"
    src.write_text(html.replace(cell, cell.replace("2293", "2294")), encoding="utf-8")
    code, out = _import(tmp_path, src, "--type", "政府")
    assert code == 0
    assert "数据块（xxgk-report-data）原样导入" not in capsys.readouterr().out
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["proactive"]["licensing"]["decisions"] == 2294
    prov = _provenance(out)
    assert "data_block" not in prov and len(prov["cells"]) == 200
    (finding,) = [f for f in prov["findings"] if f["rule"] == "IMPORT-DATA-BLOCK"]
    assert finding["keys"] == ["proactive.licensing.decisions"]
    assert "显示“2294”" in finding["message"] and "数据块为“2293”" in finding["message"]
    report = check_json(src, "--published", "--type", "政府")
    assert any(f["rule"] == "IMPORT-DATA-BLOCK" for f in report["findings"])


def test_own_data_block_of_another_body_or_year_loses_to_the_title(tmp_path):
    """A page copied from another body's (or year's) rendered report and retitled: the body
    and year the title shows are imported, the block's named in a 提示."""
    html = _page_with_block(tmp_path)
    title = "平潭综合实验区2021年政府信息公开工作年度报告"
    assert title in html
    src = tmp_path / "copied.html"
    retitled = html.replace(title, "涟水县人民政府2025年政府信息公开工作年度报告")  # the page's <title>
    retitled = retitled.replace("<h1>平潭综合实验区<br>", "<h1>涟水县人民政府<br>")  # the heading, two lines
    retitled = retitled.replace('"xxgk-nobreak">2021年', '"xxgk-nobreak">2025年')
    src.write_text(retitled, encoding="utf-8")
    code, out = _import(tmp_path, src, "--type", "政府")
    assert code == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert (data["body"]["name"], data["year"]) == ("涟水县人民政府", 2025)
    messages = {
        tuple(f["keys"]): f["message"] for f in _provenance(out)["findings"] if f["rule"] == "IMPORT-DATA-BLOCK"
    }
    assert "“涟水县人民政府”" in messages[("body.name",)] and "“平潭综合实验区”" in messages[("body.name",)]
    assert "“2025”" in messages[("year",)] and "“2021”" in messages[("year",)]


def test_broken_data_block_falls_back_to_the_tables(tmp_path):
    html = _page_with_block(tmp_path).replace('"format": "gb-2021-30"', '"format": "gb-2021-30", "bogus": 1', 1)
    src = tmp_path / "broken.html"
    src.write_text(html, encoding="utf-8")
    code, out = _import(tmp_path, src, "--type", "政府")
    assert code == 0
    assert "data_block" not in _provenance(out) and len(_provenance(out)["cells"]) == 200


def test_publication_date_from_the_header_not_the_signature(tmp_path):
    code, out = _import(tmp_path, PUBLISHED / "pingtan_2021.txt", "--type", "政府")
    assert code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["published_on"] == "2022-02-08"
    assert _provenance(out)["parts"]["published_on"] == {
        "line": 3,
        "text": "发布时间: 2022-02-08 16:34  来源：平潭县人民政府",
    }
    assert not [f for f in _provenance(out)["findings"] if f["rule"] == "IMPORT-DATE"]


def test_publication_date_from_the_signature_when_no_header_states_it(tmp_path, capsys):
    """fenxi ends with its 落款 (汾西县人民政府办公室 / 2024年1月29日) and has no 发布时间 line:
    that date is taken, with a 提示 naming the line (a report is signed before it is published)."""
    code, out = _import(tmp_path, PUBLISHED / "fenxi-zfb_2023.txt", "--type", "部门")
    assert code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["published_on"] == "2024-01-29"
    provenance = _provenance(out)
    assert provenance["parts"]["published_on"] == {"line": 427, "text": "2024年1月29日", "signature": True}
    [note] = [f for f in provenance["findings"] if f["rule"] == "IMPORT-DATE"]
    assert note["keys"] == ["published_on"] and "第 427 行" in note["message"] and "落款" in note["message"]
    capsys.readouterr()
    main(["check", "--published", str(PUBLISHED / "fenxi-zfb_2023.txt"), "--type", "部门", "--json"])
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert [c["ref"] for f in findings if f["rule"] == "IMPORT-DATE" for c in f["cells"]] == ["第 427 行"]
    assert not [f for f in findings if f["rule"] == "DATE-DEADLINE"]


@pytest.mark.parametrize(
    ("ending", "date"),
    [
        ("某县人民政府办公室\n二〇二二年一月二十九日\n", "2022-01-29"),
        ("某县人民政府办公室\n2022 年 1 月 3 日\n-6-\n", "2022-01-03"),
        ("某县人民政府办公室\n2021年12月31日\n", None),  # inside the report year: not its publication
        ("2024年1月29日\n另附：本报告电子版可从门户网站下载。\n某县人民政府办公室\n以下为附表\n更多\n", None),
    ],
)
def test_signature_date_forms(tmp_path, ending, date):
    text = (PUBLISHED / "pingtan_2021.txt").read_text(encoding="utf-8")
    text = re.sub(r"发布时间[^\n]*\n", "", text)  # a 2021 report without its header date
    src = tmp_path / "signed.txt"
    src.write_text(text.rstrip("\n") + "\n" + ending, encoding="utf-8")
    code, out = _import(tmp_path, src, "--type", "政府")
    assert code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["published_on"] == date


def test_findings_of_a_published_report_cite_its_lines(tmp_path, capsys):
    """check --published points at the document's lines (a PDF's page and line), and at
    原文未载明 for a cover cell the document does not state — never at 封面!B7."""
    capsys.readouterr()
    main(["check", "--published", str(PUBLISHED / "huaian-shi_2024.pdf"), "--json"])
    findings = json.loads(capsys.readouterr().out)["findings"]
    refs = {f["rule"]: [c["ref"] for c in f["cells"]] for f in findings}
    assert refs["META-TYPE"] == ["原文未载明"] and refs["DATE-DEADLINE"] == ["原文未载明"]
    assert refs["SEC6-FEE-T3"] == ["第 5 页第 22 行", "第 6 页第 12 行"]
    assert not any("!" in ref for rs in refs.values() for ref in rs)


def test_table_headings_with_changed_wording(tmp_path):
    """Headings not word for word: …申请的情况, 2019's 表四 title kept in a 2021 report,
    Markdown heading marks; the tables still read exactly."""
    src = _variant(
        tmp_path,
        {
            "\n二、主动公开政府信息情况\n": "\n## 二、主动公开政府信息情况：\n",
            "三、收到和处理政府信息公开申请情况": "三、收到和处理政府信息公开申请的情况",
            "四、政府信息公开行政复议、行政诉讼情况": "四、因政府信息公开工作被申请行政复议、提起行政诉讼情况",
        },
    )
    code, out = _import(tmp_path, src, "--type", "政府")
    assert code == 0
    report = next(r for r in EXPECTED if r["file"] == "pingtan_2021.txt")
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["review_litigation"]["review"]["total"] == 3
    assert data["applications"]["results_total"]["total"] == 69
    assert data["proactive"]["normative_documents"]["in_force"] == report["table2"]["行政规范性文件"][2]
    assert len(_provenance(out)["cells"]) == 200


def test_unnumbered_subheading_is_not_a_table_heading(tmp_path, capsys):
    src = _variant(
        tmp_path,
        {
            "\n二、主动公开政府信息情况\n": "\n主动公开政府信息的情况\n",
            "（一）主动公开方面。": "（一）主动公开情况\n（一）主动公开方面。",
        },
    )
    assert _import(tmp_path, src)[0] == 2
    assert "找不到“二、主动公开政府信息情况”一节" in capsys.readouterr().err


def test_article_inside_a_layout_table(tmp_path):
    """Old sites wrap the whole article in a layout table: its cell is not a report cell."""
    html = _rendered(tmp_path)
    body = html[html.index("<body>") + len("<body>") : html.index("</body>")]
    page = f'<html><head><meta charset="utf-8"></head><body><table width="100%"><tr><td class="left">导航</td><td>{body}</td></tr></table></body></html>'
    src = tmp_path / "layout.html"
    src.write_text(page, encoding="utf-8")
    code, out = _import(tmp_path, src, "--type", "政府")
    assert code == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    source = json.loads((REPORTS / "pingtan_2021.source.json").read_text(encoding="utf-8"))
    assert _tables(data) == _tables(source)
    assert (data["body"]["name"], data["year"]) == ("平潭综合实验区", 2021)
    assert data["narrative"]["overview"].split("\n")[0] == source["narrative"]["overview"].split("\n")[0]


def test_check_published_against_last_years_published_report(tmp_path, capsys):
    """Two published years: this year's 上年结转 must equal last year's 结转下年度."""
    last = PUBLISHED / "pingtan_2021.txt"
    this = _variant(
        tmp_path,
        {
            "平潭综合实验区2021年度政府信息公开工作年度报告\n": "平潭综合实验区2022年度政府信息公开工作年度报告\n",
        },
    )
    args = ["check", "--published", str(this), "--type", "政府", "--last-year", str(last), "--json"]
    assert main(args) == 1
    findings = json.loads(capsys.readouterr().out)["findings"]
    carry = [f for f in findings if f["rule"] == "XY-T3-CARRY"]
    assert carry and {c["key"] for f in carry for c in f["cells"]} >= {gb.t3_key("carried_in", "total")}


def test_fifo_and_folder_refused_without_blocking(tmp_path, capsys):
    import os

    fifo = tmp_path / "pipe.html"
    os.mkfifo(fifo)
    folder = tmp_path / "folder.txt"
    folder.mkdir()
    for src in (fifo, folder):
        assert main(["check", "--published", str(src)]) == 2
        assert "文件不存在或无法读取" in capsys.readouterr().err


def test_text_wrapped_at_a_margin_is_rejoined_into_paragraphs(tmp_path):
    """Text pulled from a PDF breaks every line at the page margin (淮安: ``…思想为`` /
    ``指导，…``); the narrative keeps the paragraphs, not the page's line breaks. Text
    published one paragraph per line (平潭) has no margin and stays exactly as published."""
    code, out = _import(tmp_path, PUBLISHED / "huaian-shi_2024.txt", "--type", "政府")
    assert code == 0
    overview = json.loads(out.read_text(encoding="utf-8"))["narrative"]["overview"]
    paragraphs = overview.split("\n")
    assert len(paragraphs) == 6 and all(p.startswith(("2024 年", "（")) for p in paragraphs)
    assert all(p.endswith("。") for p in paragraphs)
    from validator.importer.text import PAGE_MARK

    lines = [line.strip() for line in (PUBLISHED / "huaian-shi_2024.txt").read_text(encoding="utf-8").split("\n")]
    part = lines[lines.index("一、总体情况") + 1 : lines.index("二、主动公开政府信息情况")]
    printed = "".join(line for line in part if not PAGE_MARK.match(line.strip()))
    assert re.sub(r"\s+", "", overview) == re.sub(r"\s+", "", printed)  # not a character changed
    (tmp_path / "p").mkdir()
    code, out = _import(tmp_path / "p", PUBLISHED / "pingtan_2021.txt", "--type", "政府")
    lines = (PUBLISHED / "pingtan_2021.txt").read_text(encoding="utf-8").split("\n")
    start = lines.index("一、总体情况") + 1
    published = [line for line in lines[start : lines.index("二、主动公开政府信息情况")] if line.strip()]
    assert json.loads(out.read_text(encoding="utf-8"))["narrative"]["overview"] == "\n".join(published)


def test_reflow_keeps_short_lines_and_sentence_ends():
    from validator.importer.text import reflow, text_margin

    wrapped = [
        "　　第一段很长很长很长很长很长很长很长很长很长很长很长",
        "很长很长很长很长很长很长很长很长很长很长很长很长很长很长",
        "完。",
        "（一）标题",
        "　　第二段很长很长很长很长很长很长很长很长很长很长很长",
        "很长很长很长很长很长很长很长很长很长很长很长很长很长很。",
        "落款单位",
    ]
    margin = text_margin(wrapped)
    assert margin is not None
    assert [line.strip() for line in reflow(wrapped, margin)] == [
        "".join(line.strip() for line in wrapped[:3]),
        "（一）标题",
        "".join(line.strip() for line in wrapped[4:6]),
        "落款单位",
    ]
    assert text_margin(["短", "一行很长很长很长很长很长很长的文字。", "中等长度的一行。"]) is None
