"""What a receiving office prints: the 汇总 workbook of a collect, and the 校验结果 sheet of an
annotated copy, as LibreOffice prints them (→ PDF → pdftotext).

The inbox is the shipped reports as six bodies would send them: one passes, one has a typo in
表三 (a located root cause and its consequences), one a 提示, one a wrong publication date, one
file is damaged, two bodies on the roster sent nothing. Every body, status and finding must be
printed whole, and no two words on top of each other.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from validator.formats import get_format

from conftest import REPORTS, run_cli
from support.printing import flat, lines, overlapping, page_texts, printed, require_print_tools, to_pdf

pytestmark = pytest.mark.libreoffice
FMT = get_format()
TABLES = [s for s in FMT.sheets if s.name in {c.sheet for c in FMT.figure_cells()}]
GROUPS = ("全部单位", "政府", "部门", "乡镇")


def _source(name: str) -> dict:
    return json.loads((REPORTS / f"{name}.source.json").read_text(encoding="utf-8"))


def _write(path: Path, data: dict) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def printout(tmp_path_factory):
    require_print_tools()
    root = tmp_path_factory.mktemp("print_collect")
    inbox = root / "inbox"
    inbox.mkdir()
    fenxi = _source("fenxi-zfb_2023")
    education = copy.deepcopy(fenxi)
    education["body"]["name"] = "汾西县教育局"
    education["applications"]["new"]["natural_person"] += 1  # one typo: a root and its consequences
    town = _source("huaian-shi_2024")
    town.update(year=2023, published_on=None)
    town["body"].update(name="汾西县和平镇人民政府", type="乡镇")
    police = _source("pingtan_2021")
    police.update(year=2023)
    police["body"].update(name="汾西县公安局", type="部门")
    _write(inbox / "汾西县人民政府办公室2023年报.json", fenxi)
    _write(inbox / "公安局.json", police)
    scratch = root / "scratch"
    scratch.mkdir()
    for name, data in (("教育局", education), ("和平镇年报", town)):
        assert run_cli("fill", _write(scratch / f"{name}.json", data), "-o", inbox / f"{name}.xlsx").code == 0
    (inbox / "卫健委年报.xlsx").write_bytes((REPORTS / "fenxi-zfb_2023.xlsx").read_bytes()[:3000])
    roster = root / "名单.csv"
    names = ["汾西县人民政府办公室", "汾西县教育局", "汾西县和平镇人民政府", "汾西县公安局"]
    roster.write_text(
        "机关名称,机关类型\n" + "".join(f"{n},部门\n" for n in (*names, "汾西县财政局", "汾西县卫生健康委员会")),
        encoding="utf-8",
    )
    result = run_cli(
        "collect", inbox, "-o", root / "汇总.xlsx", "--roster", roster, "--json", root / "r.json", "--quiet"
    )
    assert result.code == 1, result.err
    annotated = root / "教育局-标注.xlsx"
    assert run_cli("check", inbox / "教育局.xlsx", "--annotate", annotated, "--json").code == 1
    report = json.loads(run_cli("check", inbox / "教育局.xlsx", "--json").out)
    pdfs = to_pdf([root / "汇总.xlsx", annotated], root / "pdf")
    return {
        "result": json.loads((root / "r.json").read_text(encoding="utf-8")),
        "collect": pdfs[0],
        "annotated": pdfs[1],
        "report": report,
    }


def test_every_body_status_and_finding_is_printed_whole(printout):
    result, found = printout["result"], lines(printout["collect"])
    assert len(result["bodies"]) == 6
    for body in result["bodies"]:
        assert printed(body["name"], found), body["name"]
        assert printed(body["status"], found), body["status"]
    messages = [f["message"] for file in result["files"] for f in file.get("findings", [])]
    assert len(messages) >= 6
    for message in messages:
        assert printed(message, found), message
    damaged = [f for f in result["files"] if not f.get("valid") and not f.get("findings")]
    assert damaged  # the damaged file's reason, in plain words
    text = flat("".join(page_texts(printout["collect"])))
    assert "卫健委年报.xlsx" in text and "BadZipFile" not in text and "damaged" not in text


def test_no_two_words_are_printed_on_top_of_each_other(printout):
    for pdf in (printout["collect"], printout["annotated"]):
        assert overlapping(lines(pdf)) == [], pdf.name


def test_each_table_prints_like_the_template_one_group_a_page(printout):
    pages = page_texts(printout["collect"])
    for table in TABLES:
        own = [p for p in pages if p.strip().startswith(table.title)]
        assert len(own) == len(GROUPS), table.name  # 全部单位, then each 机关类型, a page each
        for page, group in zip(own, GROUPS):
            head = flat(page)
            assert f"汇总（{group}" in head or f"“{group}”" in head, (table.name, group)
            for label in FMT.labels:
                if label.sheet == table.name and label.style == "label":
                    assert flat(label.text) in head or _in_order(label.text, head), (table.name, label.text)


def _in_order(text: str, page: str) -> bool:
    """`text`'s characters in order on the page (a tall merged cell wraps its label into lines
    pdftotext reads among the rows beside it: 三、本年度办 … 理结果)."""
    rest = iter(page)
    return all(ch in rest for ch in flat(text))


def test_pages_are_readable_size(printout):
    """10.5 pt text: the status and problem lists fit a landscape page at about 90 %, the tables
    at their own scale, 分单位明细 at 100 % over several pages (it printed as one black strip)."""
    found = lines(printout["collect"])
    by_page: dict[int, list[float]] = {}
    for line in found:
        for w in line.words:
            by_page.setdefault(w.page, []).append(w.y1 - w.y0)
    small = {p: sorted(h)[len(h) // 2] for p, h in by_page.items() if sorted(h)[len(h) // 2] < 9.0}
    assert not small, small


def test_annotated_results_sheet_prints_each_finding_whole_roots_first(printout):
    found = lines(printout["annotated"])
    findings = printout["report"]["findings"]
    root = next(f for f in findings if f.get("located"))
    assert printed(root["message"], found)
    for f in findings:
        if f.get("caused_by") is not None:
            assert printed(f"└ 第 1 条的连带结果：{f['message']}", found), f["message"]
