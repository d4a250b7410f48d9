"""A figure goes only where its row's label puts it, and a table is read row by row.

Rows (or 表四's groups) printed in another order land in their own cells; a row that cannot be
placed with certainty is left null with its reason, the certain rows are kept; stray numbers
(page numbers, footnote marks, dates) are skipped and listed with the rule that skipped them;
labels printed on their own line (converters, LLM pipelines) are tied to their figures when
the table's reading direction is certain."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import docx
import pytest

from validator.cli.program import main
from validator.formats import gb_2021_30 as gb
from validator.importer.text import read_text, table_keys

from support.importing import check_json, flatten

FIXTURES = Path(__file__).parent / "fixtures"
PUBLISHED = FIXTURES / "published"
SOURCE = FIXTURES / "reports" / "huaian-shi_2024.source.json"
HUAIAN = (PUBLISHED / "huaian-shi_2024.txt").read_text(encoding="utf-8")
PINGTAN = (PUBLISHED / "pingtan_2021.txt").read_text(encoding="utf-8")
TRUTH = {k: v for k, v in flatten(json.loads(SOURCE.read_text(encoding="utf-8"))).items() if k in set(table_keys())}


def _import(tmp_path: Path, src: Path, *extra: str) -> tuple[int, dict, dict]:
    out = tmp_path / f"{src.stem}.json"
    code = main(["import", str(src), "-o", str(out), "--type", "政府", *extra])
    data = flatten(json.loads(out.read_text(encoding="utf-8")))
    return code, data, json.loads(out.with_suffix(".provenance.json").read_text(encoding="utf-8"))


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _wrong(data: dict, truth: dict = TRUTH) -> dict:
    return {k: (v, data.get(k)) for k, v in truth.items() if data.get(k) is not None and str(data[k]) != str(v)}


def _swap(text: str, a: str, b: str) -> str:
    assert a in text and b in text
    return text.replace(a, "\0").replace(b, a).replace("\0", b)


# --------------------------------------------------------------------------- rows out of order


def test_table_two_rows_swapped_in_text_land_in_their_own_cells(tmp_path):
    text = _swap(HUAIAN, "行政处罚                          3985758", "行政强制                          88283")
    code, data, _prov = _import(tmp_path, _write(tmp_path, "t2.txt", text))
    assert code == 0 and _wrong(data) == {}
    assert data["proactive.penalties.decisions"] == 3985758


def test_table_three_rows_swapped_in_text_land_in_their_own_cells(tmp_path):
    first = "      （一）予以公开                   1288        21       0        0    50       3   1362"
    i = HUAIAN.index(first)
    j = HUAIAN.index("形，不计其他情形）", i) + len("形，不计其他情形）")
    text = HUAIAN[:i] + HUAIAN[HUAIAN.index("      （二）部分公开", i) : j] + "\n\n" + first + HUAIAN[j:]
    code, data, _prov = _import(tmp_path, _write(tmp_path, "t3.txt", text))
    assert code == 0 and _wrong(data) == {}
    assert data[gb.t3_key("granted", "natural_person")] == 1288


def test_table_four_groups_in_the_order_of_their_headings(tmp_path):
    """行政诉讼 printed before 行政复议 (headings and figures): the headings decide."""
    figures = "72   64    178    37    351   13    4        8        1        26   12   1     1    6       20"
    moved = "13    4        8        1        26   12   1     1    6       20   72   64    178    37    351"
    text = HUAIAN.replace(figures, moved).replace(
        "行政复议                          行政诉讼", "行政诉讼                          行政复议"
    )
    code, data, _prov = _import(tmp_path, _write(tmp_path, "t4.txt", text))
    assert code == 0 and _wrong(data) == {}
    assert data[gb.t4_key("review", "total")] == 351


def test_table_four_headings_that_disagree_leave_it_unread(tmp_path):
    """行政诉讼 above 行政复议 on the line before, but 行政复议 left of 未经复议直接起诉 on one
    line (a heading centred over two rows): the evidence disagrees, so no order is taken."""
    head = "行政复议                          行政诉讼"
    assert head in HUAIAN
    sub = "                              未经复议直接起诉                              复议后起诉"
    assert sub in HUAIAN
    text = HUAIAN.replace(head, "                                  行政诉讼").replace(
        sub, "行政复议   未经复议直接起诉   复议后起诉"
    )
    code, data, prov = _import(tmp_path, _write(tmp_path, "t4.txt", text))
    assert code == 1 and all(data[k] is None for k in table_keys() if k.startswith("review_"))
    assert any("栏目标题的先后顺序前后不一" in u["reason"] for u in prov["unread"])


def test_columns_printed_in_another_order_leave_the_table_unread(tmp_path):
    text = PINGTAN.replace(
        "信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数", "信息内容 | 现行有效件数 | 本年制发件数 | 本年废止件数"
    )
    code, data, prov = _import(tmp_path, _write(tmp_path, "cols.txt", text))
    assert code == 1
    assert all(data[k] is None for k in table_keys() if k.startswith("proactive."))
    assert any("栏目顺序与正式表格不同" in u["reason"] for u in prov["unread"])


def _rendered(tmp_path: Path, suffix: str) -> Path:
    out = tmp_path / f"huaian{suffix}"
    assert main(["render", str(SOURCE), "-o", str(out)]) == 0
    return out


def _page_rows_swapped(tmp_path: Path) -> Path:
    html = _rendered(tmp_path, ".html").read_text(encoding="utf-8")
    html = re.sub(r'<script type="application/json" id="xxgk-report-data">.*?</script>', "", html, flags=re.S)
    lines = html.split("\n")
    k = next(n for n, line in enumerate(lines) if "行政处罚</th>" in line)
    lines[k], lines[k + 1] = lines[k + 1], lines[k]
    return _write(tmp_path, "swapped.html", "\n".join(lines))


def _word_rows_swapped(tmp_path: Path) -> Path:
    document = docx.Document(str(_rendered(tmp_path, ".docx")))
    for table in document.tables:
        rows = table._tbl.tr_lst
        for n, tr in enumerate(rows):
            if "".join(x.text or "" for x in tr.iter() if x.tag.endswith("}t")).startswith("行政处罚"):
                tr.addprevious(rows[n + 1])
                break
    out = tmp_path / "swapped.docx"
    document.save(str(out))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("make", [_page_rows_swapped, _word_rows_swapped], ids=["html", "docx"])
def test_rows_swapped_in_a_page_or_word_file_land_in_their_own_cells(tmp_path, make):
    code, data, _prov = _import(tmp_path, make(tmp_path))
    assert code == 0 and _wrong(data) == {}
    assert (data["proactive.penalties.decisions"], data["proactive.coercive_measures.decisions"]) == (3985758, 88283)
    report = check_json(make(tmp_path), "--published", "--type", "政府")
    assert not [f for f in report["findings"] if f["severity"] == "error"]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice makes the PDF")
def test_rows_swapped_in_a_pdf_land_in_their_own_cells(tmp_path):
    from support.rendering import soffice_convert

    word = _word_rows_swapped(tmp_path)
    soffice_convert([word], "pdf", tmp_path)
    code, data, _prov = _import(tmp_path, word.with_suffix(".pdf"))
    assert code == 0 and _wrong(data) == {}


# --------------------------------------------------------------------------- row by row


def test_blank_cell_and_a_bare_page_number_leave_one_row_unread(tmp_path):
    """A blank cell (no trace in plain text) and a page number printed bare ("4") give the
    table its count of numbers: the row short of a figure is left null, the lone number is
    skipped and listed; every other row is read."""
    row = "      （一）予以公开                   1288        21       0        0    50       3   1362"
    assert row in HUAIAN and "\n-4-\n" in HUAIAN
    text = HUAIAN.replace(row, row.replace("21       0        0", "21                0")).replace("\n-4-\n", "\n4\n")
    src = _write(tmp_path, "row-by-row.txt", text)
    code, data, prov = _import(tmp_path, src)
    assert code == 1
    granted = [gb.t3_key("granted", c) for c, _ in gb.T3_COLUMNS]
    assert all(data[k] is None for k in granted)
    assert _wrong(data) == {} and sum(data[k] is None for k in table_keys()) == 7
    [unread] = prov["unread"]
    assert unread["keys"] == granted and "读到 6 个数字，应有 7 个" in unread["reason"]
    lone = [s for s in prov["skipped"] if s["text"] == "4"]
    assert lone == [{"table": "表三", "line": 161, "text": "4", "rule": "lone", "reason": lone[0]["reason"]}]
    report = check_json(src, "--published", "--type", "政府")
    errors = [f for f in report["findings"] if f["severity"] == "error"]
    assert errors and all(f["rule"] == "VAL-EMPTY" for f in errors)  # incomplete, never a false 错误


@pytest.mark.parametrize(
    ("insert", "rule"),
    [
        ("第 4 页", "page"),
        ("- 4 -", "page"),
        ("第4页 共6页", "page"),
        ("注：1. 本表数据截至 2024 年 12 月 31 日", "note"),
        ("2025年1月20日", "date"),
        ("表3（续）", "caption"),
    ],
)
def test_stray_marks_inside_a_table_are_skipped_and_listed(tmp_path, insert, rule):
    at = "2.重复申请 | 0 | 0 | 0 | 0 | 0 | 0 | 0\n"
    assert at in PINGTAN
    src = _write(tmp_path, "stray.txt", PINGTAN.replace(at, at + insert + "\n"))
    code, data, prov = _import(tmp_path, src)
    assert code == 0 and _wrong(data, _pingtan_truth()) == {} and all(data[k] is not None for k in table_keys())
    assert [s["rule"] for s in prov["skipped"]] == [rule]


def test_footnote_marks_on_labels_are_not_figures(tmp_path):
    text = PINGTAN.replace("行政许可 | 2293", "行政许可¹ | 2293").replace("规章 | 0", "规章[1] | 0")
    text = text.replace("行政处罚 | 1282", "行政处罚[^2] | 1282")
    code, data, prov = _import(tmp_path, _write(tmp_path, "marks.txt", text))
    assert code == 0 and _wrong(data, _pingtan_truth()) == {}
    assert sorted(s["text"] for s in prov["skipped"]) == ["[1]", "[^2]", "¹"]
    assert {s["rule"] for s in prov["skipped"]} == {"footnote"}


def _pingtan_truth() -> dict:
    data = json.loads((FIXTURES / "reports" / "pingtan_2021.source.json").read_text(encoding="utf-8"))
    return {k: v for k, v in flatten(data).items() if k in set(table_keys())}


# --------------------------------------------------------------------------- labels apart from their figures


def _apart(text: str, after: bool) -> str:
    """pingtan's ``label | figures`` rows written as a label line and a figure line."""
    out = []
    for line in text.split("\n"):
        cells = [c.strip() for c in line.split("|")]
        labels = [c for c in cells if c and not re.fullmatch(r"[\d.,]+", c)]
        figures = [c for c in cells if re.fullmatch(r"[\d.,]+", c)]
        if labels and figures and "信息内容" not in line:
            pair = [" ".join(figures), " ".join(labels)]
            out += pair if after else pair[::-1]
        else:
            out.append(line)
    return "\n".join(out)


@pytest.mark.parametrize("after", [False, True], ids=["label-before", "label-after"])
def test_labels_on_their_own_lines_are_tied_to_their_figures(tmp_path, after):
    code, data, prov = _import(tmp_path, _write(tmp_path, "apart.md", _apart(PINGTAN, after)))
    assert code == 0 and _wrong(data, _pingtan_truth()) == {}
    assert all(data[k] is not None for k in table_keys())


def test_labels_on_their_own_lines_with_both_readings_possible_are_not_guessed():
    """Figures first and last, labels between: each label could own the figures before it or
    after it, so none is tied (the rows are listed unread)."""
    text = "\n".join(
        [
            "x2021年政府信息公开工作年度报告",
            "二、主动公开政府信息情况",
            "447228",
            "行政处罚",
            "3985758",
            "行政强制",
            "88283",
            "三、收到和处理政府信息公开申请情况",
            "四、政府信息公开行政复议、行政诉讼情况",
        ]
    )
    imported = read_text(text, "x.txt")
    assert not [k for k in imported.values if k.startswith("proactive.")]
    assert any("数字在它之前还是之后无法确定" in u["reason"] for u in imported.unread)


def test_a_label_broken_around_its_figures_is_read(tmp_path):
    """pdftotext prints a long label's two halves above and below its figures: both halves
    name the same row, so either reading ties them."""
    code, data, _prov = _import(tmp_path, PUBLISHED / "huaian-shi_2024.txt")
    assert code == 0 and data[gb.t3_key("partially_granted", "total")] == 454


# --------------------------------------------------------------------------- order, one place


def test_an_unlabeled_row_between_rows_in_official_order_fills_its_one_place(tmp_path):
    text = PINGTAN.replace("行政强制 | 42", "42")
    code, data, _prov = _import(tmp_path, _write(tmp_path, "nolabel.txt", text))
    assert code == 0 and data["proactive.coercive_measures.decisions"] == 42


def test_an_unlabeled_row_among_rows_out_of_order_is_not_placed(tmp_path):
    text = _swap(PINGTAN, "行政许可 | 2293", "行政处罚 | 1282").replace("行政强制 | 42", "42")
    code, data, prov = _import(tmp_path, _write(tmp_path, "nolabel.txt", text))
    assert code == 1 and data["proactive.coercive_measures.decisions"] is None
    assert data["proactive.penalties.decisions"] == 1282 and data["proactive.licensing.decisions"] == 2293
    assert any("顺序与正式表格不同" in u["reason"] for u in prov["unread"])
    assert [s["text"] for s in prov["skipped"]] == ["42"]


def test_an_unlabeled_row_at_the_edge_of_a_table_is_not_placed(tmp_path):
    """Before the first labeled row nothing says it is the first row (it may be a stray)."""
    text = PINGTAN.replace("规章 | 0 | 0 | 0", "0 | 0 | 0")
    code, data, _prov = _import(tmp_path, _write(tmp_path, "edge.txt", text))
    assert code == 1 and data["proactive.rules.issued"] is None


@pytest.mark.parametrize(
    ("label", "placed"),
    [("2.其他法律行政止公开", True), ("合计", False), ("5.属于三类内部事务信息", False)],
)
def test_words_printed_with_unlabeled_figures_must_fit_the_place(tmp_path, label, placed):
    """A mistyped label is placed by order; a 合计 row or another row's label is not."""
    line = "2.其他法律行政法规禁止公开 | 0 | 0 | 0 | 0 | 0 | 0 | 0"
    text = PINGTAN.replace(line, line.replace("2.其他法律行政法规禁止公开", label))
    if label.startswith("5."):  # the real 5. row moved out of the way: its label is seen twice
        text = text.replace("5.属于三类内部事务信息 | 1", "属于三类事务 | 1")
    code, data, _prov = _import(tmp_path, _write(tmp_path, "typo.txt", text))
    key = gb.t3_key("denied.prohibited_by_law", "total")
    assert (data[key] == 0) is placed and _wrong(data, _pingtan_truth()) == {}


# --------------------------------------------------------------------------- deductions and blanks


def test_a_blank_total_whose_parts_add_up_stays_unread_with_the_sum(tmp_path):
    line = "2.重复申请 | 0 | 0 | 0 | 0 | 0 | 0 | 0"
    text = PINGTAN.replace(line, "2.重复申请 | 2 | 1 | 0 | 0 | 0 | 0 | /")
    code, data, prov = _import(tmp_path, _write(tmp_path, "blank.txt", text))
    key = gb.t3_key("not_processed.repeated", "total")
    assert code == 1 and data[key] is None and data[gb.t3_key("not_processed.repeated", "natural_person")] == 2
    [unread] = [u for u in prov["unread"] if key in u["keys"]]
    assert "各项之和为 3" in unread["reason"] and "印为空白" in unread["reason"]


def test_a_blank_total_whose_parts_are_zero_is_zero(tmp_path):
    line = "2.重复申请 | 0 | 0 | 0 | 0 | 0 | 0 | 0"
    code, data, prov = _import(tmp_path, _write(tmp_path, "zero.txt", PINGTAN.replace(line, line[:-1] + "/")))
    assert code == 0 and data[gb.t3_key("not_processed.repeated", "total")] == 0
    assert [f["rule"] for f in prov["findings"]] == ["IMPORT-BLANK"]


# --------------------------------------------------------------------------- headings with no table after them


def test_page_whose_last_line_is_the_table_four_heading_lists_it_unread(tmp_path, capsys):
    page = (
        "<html><body><h1>某局2023年政府信息公开工作年度报告</h1>"
        "<h2>二、主动公开政府信息情况</h2><table><tr><td>规章</td><td>1</td><td>2</td><td>3</td></tr></table>"
        '<h2>三、收到和处理政府信息公开申请情况</h2><p><img src="t3.png"></p>'
        '<h2>四、政府信息公开行政复议、行政诉讼情况</h2><p><img src="t4.png"></p></body></html>'
    )
    src = _write(tmp_path, "p.html", page)
    code, data, prov = _import(tmp_path, src)
    assert code == 1 and "Traceback" not in capsys.readouterr().err
    assert (data["proactive.rules.issued"], data["proactive.rules.in_force"]) == (1, 3)
    t4 = [u for u in prov["unread"] if u["table"] == "表四"]
    assert (
        len(t4) == 1 and "没有读到数字" in t4[0]["reason"] and "第 1 行起" in t4[0]["reason"]
    )  # the page is one source line
    assert main(["check", "--published", str(src), "--type", "部门"]) == 1


def test_an_empty_table_names_its_heading_line_not_a_reversed_range(tmp_path):
    text = "某局2023年政府信息公开工作年度报告\n二、主动公开政府信息情况\n三、收到和处理政府信息公开申请情况\n四、政府信息公开行政复议、行政诉讼情况\n"
    imported = read_text(text, "a.txt")
    reasons = [u["reason"] for u in imported.unread]
    assert reasons == [
        "表二（第 2 行起）没有读到数字（表格可能是图片或由脚本加载）",
        "表三（第 3 行起）没有读到数字（表格可能是图片或由脚本加载）",
        "表四（第 4 行起）没有读到数字（表格可能是图片或由脚本加载）",
    ]
    assert not any(
        re.search(r"第 (\d+)–(\d+) 行", r) and int(re.search(r"第 (\d+)–", r)[1]) > int(re.search(r"–(\d+) 行", r)[1])
        for r in reasons
    )
