"""``xxgk import`` on the real published reports in tests/fixtures/published (text form)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from validator.cli.program import main
from validator.formats import gb_2021_30 as gb

from support.importing import EXPECTED, PUBLISHED, check_json, expected_cells, flatten, import_report


@pytest.mark.parametrize("report", EXPECTED, ids=[r["file"] for r in EXPECTED])
def test_published_reports_import_exactly(tmp_path, report):
    code, out = import_report(tmp_path, PUBLISHED / report["file"], "--type", "政府")
    assert code == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    flat = flatten(data)
    expected = expected_cells(report)
    assert len(expected) == 200
    assert {k: flat[k] for k in expected} == expected
    assert data["body"]["name"] == report["body"]
    assert data["year"] == report["year"]
    provenance = json.loads(out.with_suffix(".provenance.json").read_text(encoding="utf-8"))
    assert set(provenance["cells"]) == set(expected)
    assert provenance["unread"] == []
    assert main(["check", str(out)]) == 0


def test_provenance_names_line_and_text(tmp_path):
    code, out = import_report(tmp_path, PUBLISHED / "pingtan_2021.txt")
    assert code == 0
    fee = json.loads(out.with_suffix(".provenance.json").read_text(encoding="utf-8"))["cells"][
        "proactive.fees.amount_wan_yuan"
    ]
    lines = (PUBLISHED / "pingtan_2021.txt").read_text(encoding="utf-8").splitlines()
    assert fee["value"] == "24252.311082"
    assert lines[fee["line"] - 1] == fee["text"] == "行政事业性收费 | 24252.311082"


def test_flags_override_title(tmp_path):
    code, out = import_report(tmp_path, PUBLISHED / "pingtan_2021.txt", "--body", "某县", "--year", "2022")
    assert code == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert (data["body"]["name"], data["year"], data["body"]["type"]) == ("某县", 2022, None)


def test_wrong_total_imports_as_published_and_check_flags_it(tmp_path, capsys):
    text = (PUBLISHED / "pingtan_2021.txt").read_text(encoding="utf-8")
    wrong = text.replace("（七）总计 | 63 | 0 | 0 | 2 | 0 | 4 | 69", "（七）总计 | 63 | 0 | 0 | 2 | 0 | 4 | 70")
    assert wrong != text
    src = tmp_path / "wrong.txt"
    src.write_text(wrong, encoding="utf-8")
    code, out = import_report(tmp_path, src, "--type", "政府")
    assert code == 0
    key = gb.t3_key("results_total", "total")
    assert flatten(json.loads(out.read_text(encoding="utf-8")))[key] == 70
    capsys.readouterr()
    assert main(["check", str(out), "--json"]) == 1
    findings = json.loads(capsys.readouterr().out)["findings"]
    errors = [f for f in findings if f["severity"] == "error"]
    assert errors and any(key in [c["key"] for c in f["cells"]] for f in errors)


def test_row_with_missing_number_left_null_the_others_kept(tmp_path):
    """One figure missing from 表四's 行政复议 row: that row (its label beside its figures) is
    left null with its reason; the other groups, tied to their own labels, are kept."""
    text = (PUBLISHED / "pingtan_2021.txt").read_text(encoding="utf-8")
    broken = text.replace("1 | 0 | 2 | 0 | 3\n", "1 | 0 | 2 | 3\n")
    assert broken != text
    src = tmp_path / "broken.txt"
    src.write_text(broken, encoding="utf-8")
    code, out = import_report(tmp_path, src, "--type", "政府")
    assert code == 1
    flat = flatten(json.loads(out.read_text(encoding="utf-8")))
    review = [gb.t4_key("review", leaf) for leaf, _ in gb.T4_LEAVES]
    assert all(flat[k] is None for k in review)
    assert flat[gb.t4_key("litigation_direct", "upheld")] == 12
    assert flat[gb.t3_key("new", "total")] == 70
    unread = json.loads(out.with_suffix(".provenance.json").read_text(encoding="utf-8"))["unread"]
    assert [u["table"] for u in unread] == ["表四"] and unread[0]["keys"] == review
    assert "行政复议" in unread[0]["reason"] and "读到 4 个数字，应有 5 个" in unread[0]["reason"]
    result = check_json(out)
    assert not [f for f in result["findings"] if f["severity"] == "error" and not f["rule"].startswith("VAL-")]


def test_table_with_a_figure_missing_in_a_heading_layout_left_null(tmp_path):
    """表四 printed as a heading block then its 15 figures in one line: one figure missing
    makes the whole table unread (no figure has a label of its own)."""
    text = (PUBLISHED / "huaian-shi_2024.txt").read_text(encoding="utf-8")
    row = "72   64    178    37    351   13    4        8        1        26   12   1     1    6       20"
    assert row in text
    src = tmp_path / "broken.txt"
    src.write_text(text.replace(row, row.replace("178    ", "")), encoding="utf-8")
    code, out = import_report(tmp_path, src, "--type", "政府")
    assert code == 1
    flat = flatten(json.loads(out.read_text(encoding="utf-8")))
    t4 = [gb.t4_key(g, leaf) for g, *_ in gb.T4_GROUPS for leaf, _ in gb.T4_LEAVES]
    assert all(flat[k] is None for k in t4)
    unread = json.loads(out.with_suffix(".provenance.json").read_text(encoding="utf-8"))["unread"]
    assert [u["table"] for u in unread] == ["表四"] and unread[0]["keys"] == t4
    assert "应有 15 个数字" in unread[0]["reason"] and "读到 14 个" in unread[0]["reason"]
    assert main(["check", str(out)]) == 1


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.txt", "会议纪要\n今天讨论了三件事。\n".encode(), "不是政府信息公开工作年度报告"),
        ("empty.txt", b"", "文件是空的"),
        ("blank.md", b"  \n\n", "文件是空的"),
        ("report.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), "旧版 Word 文档（.doc）"),
        ("binary.txt", b"\xd0\xcf\x11\xe0\x00\x00abc", "不是文本文件"),
    ],
)
def test_unusable_input_exit_2(tmp_path, capsys, name, content, message):
    src = tmp_path / name
    src.write_bytes(content)
    code, out = import_report(tmp_path, src)
    assert code == 2
    assert message in capsys.readouterr().err
    assert not out.exists() and not out.with_suffix(".provenance.json").exists()


def test_gbk_text_and_xlsx(tmp_path):
    src = tmp_path / "gbk.txt"
    src.write_bytes((PUBLISHED / "fenxi-zfb_2023.txt").read_text(encoding="utf-8").encode("gb18030"))
    xlsx = tmp_path / "report.xlsx"
    code, out = import_report(tmp_path, src, "--type", "部门", "--xlsx", str(xlsx))
    assert code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["body"]["name"] == "汾西县人民政府办公室"
    assert main(["check", str(xlsx)]) == 0


def test_cli_import_stays_light():
    probe = "import sys, validator.cli; print('validator.importer.text' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_blank_cells_read_as_zero_and_reported(tmp_path, capsys):
    text = (PUBLISHED / "pingtan_2021.txt").read_text(encoding="utf-8")
    blanked = text.replace("2.重复申请 | 0 | 0 | 0 | 0 | 0 | 0 | 0", "2.重复申请 | / | — |  | 0 | 0 | 0 | 0")
    assert blanked != text
    src = tmp_path / "blank.txt"
    src.write_text(blanked, encoding="utf-8")
    code, out = import_report(tmp_path, src, "--type", "政府")
    assert code == 0
    assert "3 个空白单元格" in capsys.readouterr().out
    flat = flatten(json.loads(out.read_text(encoding="utf-8")))
    cols = [c for c, _ in gb.T3_COLUMNS]
    assert [flat[gb.t3_key("not_processed.repeated", c)] for c in cols] == [0] * 7
    assert flat[gb.t3_key("not_processed.publication", "natural_person")] == 0
    assert flat[gb.t3_key("results_total", "natural_person")] == 63
    cells = json.loads(out.with_suffix(".provenance.json").read_text(encoding="utf-8"))["cells"]
    blank = [k for k, v in cells.items() if v.get("blank")]
    assert blank == [gb.t3_key("not_processed.repeated", c) for c in cols[:3]]


def test_other_handling_printed_as_one_row_left_null_except_zero_columns(tmp_path):
    text = (PUBLISHED / "pingtan_2021.txt").read_text(encoding="utf-8")
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("（六）其他处理"))
    lines[start : start + 3] = ["（六）其他处理 | 1 | 0 | 0 | 0 | 0 | 0 | 1"]
    src = tmp_path / "one_row.txt"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out = import_report(tmp_path, src, "--type", "政府")
    assert code == 1
    flat = flatten(json.loads(out.read_text(encoding="utf-8")))
    subs = [r[0] for r in gb.T3_ROWS if r[0].startswith("other_handling.")]
    unknown = ("natural_person", "total")  # the columns whose one-row figure is 1
    zero = [c for c, _ in gb.T3_COLUMNS if c not in unknown]
    assert all(flat[gb.t3_key(r, c)] is None for r in subs for c in unknown)
    assert all(flat[gb.t3_key(r, c)] == 0 for r in subs for c in zero)  # 0 in one row: 0 in each
    assert flat[gb.t3_key("results_total", "total")] == 69
    assert flat[gb.t3_key("carried_forward", "total")] == 1
    provenance = json.loads(out.with_suffix(".provenance.json").read_text(encoding="utf-8"))
    unread = provenance["unread"]
    [entry] = unread  # the three sub-rows, left for one reason, are listed together
    assert entry["keys"] == [gb.t3_key(r, c) for r in subs for c in unknown]
    assert "只有一行合计" in entry["reason"] and "1、0、0、0、0、0、1" in entry["reason"]
    [deduced] = [f for f in provenance["findings"] if f["rule"] == "IMPORT-DEDUCED"]
    assert sorted(deduced["keys"]) == sorted(gb.t3_key(r, c) for r in subs for c in zero)
    assert "商业企业" in deduced["message"] and "第 54 行" in deduced["message"]
    assert {provenance["cells"][k]["form"] for k in deduced["keys"]} == {"deduced"}
    assert main(["check", str(out)]) == 1


def test_markdown_tables(tmp_path):
    lines = []
    for line in (PUBLISHED / "pingtan_2021.txt").read_text(encoding="utf-8").splitlines():
        if "|" in line:
            lines.append(f"| {line.strip().strip('|').strip()} |")
            lines.append("|---|---|")
        else:
            lines.append(line)
    src = tmp_path / "report.md"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out = import_report(tmp_path, src, "--type", "政府")
    assert code == 0
    report = next(r for r in EXPECTED if r["file"] == "pingtan_2021.txt")
    flat = flatten(json.loads(out.read_text(encoding="utf-8")))
    assert {k: flat[k] for k in expected_cells(report)} == expected_cells(report)


def _rendered_page(tmp_path: Path, name: str) -> str:
    """Our own published page for a fixture report, with its machine-readable data block removed."""
    import re

    source = Path(__file__).parent / "fixtures" / "reports" / f"{name}.source.json"
    page = tmp_path / f"{name}.rendered.html"
    assert main(["render", str(source), "-o", str(page), "--force", "--draft"]) == 0
    html = page.read_text(encoding="utf-8")
    stripped = re.sub(r'<script type="application/json" id="xxgk-report-data">.*?</script>', "", html, flags=re.S)
    assert stripped != html and "xxgk-report-data" not in stripped
    return stripped


@pytest.mark.parametrize("report", EXPECTED, ids=[r["file"] for r in EXPECTED])
def test_rendered_html_imports_exactly(tmp_path, report):
    name = report["file"].removesuffix(".txt")
    src = tmp_path / f"{name}.html"
    src.write_text(_rendered_page(tmp_path, name), encoding="utf-8")
    code, out = import_report(tmp_path, src, "--type", "政府")
    assert code == 0
    flat = flatten(json.loads(out.read_text(encoding="utf-8")))
    expected = expected_cells(report)
    assert {k: flat[k] for k in expected} == expected
    cells = json.loads(out.with_suffix(".provenance.json").read_text(encoding="utf-8"))["cells"]
    fee = cells["proactive.fees.amount_wan_yuan"]
    page = src.read_text(encoding="utf-8").splitlines()
    assert report["table2"]["行政事业性收费_万元"] in page[fee["line"] - 1]


ZERO_CELL = re.compile(r'(<td class="xxgk-num" data-key="([^"]+)"[^>]*>)0(</td>)')


def _zeros_blank(html: str) -> tuple[str, set[str]]:
    """The page with every 0 printed as an empty cell (as many sites print them), and the keys
    of the cells emptied."""
    keys = {m.group(2) for m in ZERO_CELL.finditer(html)}
    return ZERO_CELL.sub(r"\1\3", html), keys


@pytest.mark.parametrize("report", EXPECTED, ids=[r["file"] for r in EXPECTED])
def test_rendered_html_with_zeros_blank_imports_exactly(tmp_path, report):
    name = report["file"].removesuffix(".txt")
    html, emptied = _zeros_blank(_rendered_page(tmp_path, name))
    expected = expected_cells(report)
    assert emptied == {k for k, v in expected.items() if v in (0, "0")}
    src = tmp_path / f"{name}.html"
    src.write_text(html, encoding="utf-8")
    code, out = import_report(tmp_path, src, "--type", "政府")
    assert code == 0
    flat = flatten(json.loads(out.read_text(encoding="utf-8")))
    assert {k: flat[k] for k in expected} == expected
    provenance = json.loads(out.with_suffix(".provenance.json").read_text(encoding="utf-8"))
    cells = provenance["cells"]
    assert {k for k, c in cells.items() if c.get("blank")} == emptied
    assert {(c["raw"], c["form"]) for k, c in cells.items() if k in emptied} == {("", "empty")}
    assert not [c["text"] for c in cells.values() if "\ue000" in c["text"] or "空" in c["text"]]  # rows as printed
    blanks = [f for f in provenance["findings"] if f["rule"] == "IMPORT-BLANK"]
    assert len(blanks) == len({k.split(".")[0] for k in emptied})  # one per table with blanks
    assert {k for f in blanks for k in f["keys"]} == emptied


def test_empty_header_cells_do_not_shift_figures(tmp_path):
    """Empty top-left corner cells and an empty cell inside a header row are no figure places."""
    report = next(r for r in EXPECTED if r["file"] == "pingtan_2021.txt")
    html, _emptied = _zeros_blank(_rendered_page(tmp_path, "pingtan_2021"))
    corner = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
    for old, new in (
        ('<th scope="col">信息内容</th>', "<th></th>"),
        (f">{corner}<", "><"),
        ('<th scope="col">其他结果</th>', "<th></th>"),
    ):
        assert old in html
        html = html.replace(old, new)
    src = tmp_path / "corner.html"
    src.write_text(html, encoding="utf-8")
    code, out = import_report(tmp_path, src, "--type", "政府")
    assert code == 0
    flat = flatten(json.loads(out.read_text(encoding="utf-8")))
    expected = expected_cells(report)
    assert {k: flat[k] for k in expected} == expected


def test_table_four_without_a_group_heading_is_not_read_by_position(tmp_path):
    """表四's 行政复议 heading printed blank: the other headings do not say where its five
    figures are, so 表四 is left unread (named), never filled by position."""
    html, _emptied = _zeros_blank(_rendered_page(tmp_path, "pingtan_2021"))
    old = '<th scope="colgroup" colspan="5">行政复议</th>'
    assert old in html
    src = tmp_path / "no_heading.html"
    src.write_text(html.replace(old, '<th colspan="5"></th>'), encoding="utf-8")
    code, out = import_report(tmp_path, src, "--type", "政府")
    assert code == 1
    flat = flatten(json.loads(out.read_text(encoding="utf-8")))
    t4 = [gb.t4_key(g, leaf) for g, *_ in gb.T4_GROUPS for leaf, _ in gb.T4_LEAVES]
    assert all(flat[k] is None for k in t4)
    [unread] = json.loads(out.with_suffix(".provenance.json").read_text(encoding="utf-8"))["unread"]
    assert unread["keys"] == t4 and "没有“行政复议”" in unread["reason"]


def test_empty_cells_marked_only_where_a_figure_belongs():
    """The shared rule for tables whose cells are known (web page, Word): an empty cell after
    the row's last label, or in a row of figures only, is a figure's place; one before a label
    is a header's spacing; two figures in one cell still leave the empty cell after them a
    place (so the table's count shows the extra figure instead of shifting)."""
    from validator.importer.text import EMPTY_CELL as E
    from validator.importer.text import mark_blanks, mark_table

    assert mark_blanks(["规章", "", "", ""]) == ["规章", E, E, E]
    assert mark_blanks(["", "自然人", "", "总计"]) == ["", "自然人", "", "总计"]
    assert mark_blanks(["1", "", "2"]) == ["1", E, "2"]
    assert mark_blanks(["", "1"]) == [E, "1"]
    assert mark_blanks(["规章", "1 2", "", "3"]) == ["规章", "1 2", E, "3"]
    assert mark_blanks(["", ""]) == ["", ""]
    assert mark_table([["结果维持", "总计"], ["", ""]]) == [["结果维持", "总计"], [E, E]]
    assert mark_table([["规章", "1"], ["", ""]])[-1] == ["", ""]


def test_gbk_html_charset_from_meta(tmp_path):
    html = _rendered_page(tmp_path, "pingtan_2021").replace('<meta charset="utf-8">', '<meta charset="GBK">')
    src = tmp_path / "gbk.html"
    src.write_bytes(html.encode("gbk"))
    code, out = import_report(tmp_path, src, "--type", "政府")
    assert code == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["body"]["name"] == "平潭综合实验区" and data["year"] == 2021
    assert data["proactive"]["normative_documents"]["in_force"] == 665


@pytest.mark.parametrize("target", ["out", "provenance", "xlsx"])
def test_never_overwrites_the_input(tmp_path, capsys, target):
    src = tmp_path / "report.txt"
    src.write_bytes((PUBLISHED / "pingtan_2021.txt").read_bytes())
    before = src.read_bytes()
    out = {"out": src, "provenance": tmp_path / "report.json", "xlsx": tmp_path / "other.json"}[target]
    if target == "provenance":
        src = src.rename(tmp_path / "report.provenance.json")
    extra = ["--xlsx", str(src)] if target == "xlsx" else []
    assert main(["import", str(src), "-o", str(out), *extra]) == 2
    assert "输出文件不能与输入文件相同" in capsys.readouterr().err
    assert src.read_bytes() == before


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    text = (PUBLISHED / "pingtan_2021.txt").read_text(encoding="utf-8")
    assert text.count(old) == 1
    src = tmp_path / "variant.txt"
    src.write_text(text.replace(old, new), encoding="utf-8")
    return src


def test_extra_row_in_table_four_leaves_it_null_and_listed(tmp_path):
    code, out = import_report(
        tmp_path, _variant(tmp_path, "行政复议：结果维持", "行政复议：结果维持\n1.5 | 0 | 2 | 0 | 3"), "--type", "政府"
    )
    assert code == 1
    unread = json.loads(out.with_suffix(".provenance.json").read_text(encoding="utf-8"))["unread"]
    assert [u["table"] for u in unread] == ["表四"]


def test_non_integer_count_left_null(tmp_path):
    code, out = import_report(tmp_path, _variant(tmp_path, "行政许可 | 2293", "行政许可 | 2293.5"), "--type", "政府")
    assert code == 1
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["proactive"]["licensing"]["decisions"] is None
    assert data["proactive"]["penalties"]["decisions"] == 1282
    unread = json.loads(out.with_suffix(".provenance.json").read_text(encoding="utf-8"))["unread"]
    assert unread == [
        {"table": "表二", "reason": "第 22 行的“2293.5”不是件数", "keys": ["proactive.licensing.decisions"]}
    ]
    assert main(["check", str(out)]) == 1


def test_thousands_separator(tmp_path):
    code, out = import_report(tmp_path, _variant(tmp_path, "行政许可 | 2293", "行政许可 | 2,293"), "--type", "政府")
    assert code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["proactive"]["licensing"]["decisions"] == 2293


def test_text_rows_with_zeros_printed_blank(tmp_path):
    """A ``label | v | …`` text row (a web page copied as text, a Markdown table) draws its
    cells, so an empty one is known: ``规章 |  |  | `` is three zeros printed blank, read as 0
    and reported, not a table left unread."""
    report = next(r for r in EXPECTED if r["file"] == "pingtan_2021.txt")
    text = (PUBLISHED / "pingtan_2021.txt").read_text(encoding="utf-8")
    blanked = "\n".join(re.sub(r"(?<=\|) 0(?= \||$)", " ", line) if "|" in line else line for line in text.split("\n"))
    assert blanked != text
    src = tmp_path / "blank.txt"
    src.write_text(blanked, encoding="utf-8")
    code, out = import_report(tmp_path, src, "--type", "政府")
    assert code == 0
    expected = expected_cells(report)
    flat = flatten(json.loads(out.read_text(encoding="utf-8")))
    assert {k: flat[k] for k in expected} == expected
    cells = json.loads(out.with_suffix(".provenance.json").read_text(encoding="utf-8"))["cells"]
    blanks = {k for k, c in cells.items() if c.get("blank")}
    assert blanks and all(expected[k] in (0, "0") for k in blanks)
    assert {(cells[k]["raw"], cells[k]["form"]) for k in blanks} == {("", "empty")}
