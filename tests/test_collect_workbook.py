"""The 汇总.xlsx of xxgk collect: it opens (openpyxl, LibreOffice) and says what the result says."""

from __future__ import annotations

import json
import subprocess
from decimal import Decimal

import openpyxl
import pytest

from validator.collect.workbook import STATUS_COLOURS
from validator.formats import get_format
from validator.formats.gb_2021_30 import T3_COLUMN_KEYS

from support.inbox import FMT, Inbox, get, independent_sum, put, renamed, source, write_json


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    box = Inbox(tmp_path_factory.mktemp("collect_wb"))
    result, data = box.run("--last-year", str(box.last))
    assert result.code == 1
    return box, data, openpyxl.load_workbook(box.root / "汇总.xlsx")


def rows(ws, first: int = 1) -> list[tuple]:
    return list(ws.iter_rows(min_row=first, values_only=True))


@pytest.mark.slow
def test_sheets(made):
    _box, _data, wb = made
    assert wb.sheetnames == ["报送情况", "问题清单", "汇总-表二", "汇总-表三", "汇总-表四", "分单位明细"]


def test_status_sheet_lists_every_body_and_file_with_coloured_status(made):
    _box, data, wb = made
    ws = wb["报送情况"]
    body_rows = {r[1]: r for r in rows(ws, 4) if r[1]}
    assert {name: r[4] for name, r in body_rows.items()} == {b["name"]: b["status"] for b in data["bodies"]}
    unreadable = [r for r in rows(ws, 4) if r[4] == "无法读取"]
    assert sorted(r[6] for r in unreadable) == ["损坏.xlsx", "旧格式.xls", "说明.txt"]
    assert ws.freeze_panes == "C4"
    assert ws.auto_filter.ref.startswith("A3:")
    for row in ws.iter_rows(min_row=4):
        status = row[4].value
        assert row[4].fill.fgColor.rgb.endswith(STATUS_COLOURS[status].lstrip("#")), status
    assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "landscape"
    assert ws.column_dimensions["B"].width > 20


def test_status_links_point_at_the_bodys_problems(made):
    _box, _data, wb = made
    ws, problems = wb["报送情况"], wb["问题清单"]
    linked = 0
    for row in ws.iter_rows(min_row=4):
        link = row[10].hyperlink
        if link is None:
            continue
        target = int(link.location.split("!A")[1])
        assert problems.cell(row=target, column=1).value == row[1].value
        assert target == 2 or problems.cell(row=target - 1, column=1).value != row[1].value  # its first row
        linked += 1
    assert linked >= 3


def test_problem_list_has_every_finding_with_filter_and_frozen_header(made):
    _box, data, wb = made
    ws = wb["问题清单"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref.startswith("A1:L")
    listed = rows(ws, 2)
    findings = sum(len(f.get("findings", [])) for f in data["files"] if not f.get("copy_of"))
    by_rule = [r for r in listed if r[3] not in ("重复报送", "无法读取", "上年报告")]
    assert len(by_rule) == findings
    assert [r[6] for r in listed if r[3] == "重复报送"] == [FMT.cell("proactive.licensing.decisions").label]
    assert len([r for r in listed if r[3] == "无法读取"]) == 3
    carry = [r for r in listed if r[3] == "XY-T3-CARRY"]
    assert carry and carry[0][0] == "淮安市人民政府" and carry[0][4] == "错误"
    for file in {(r[0], r[1]) for r in by_rule}:  # numbered 1, 2, … per file, as in its 校验结果
        assert [r[2] for r in by_rule if (r[0], r[1]) == file] == list(
            range(1, 1 + sum(x[:2] == file for x in by_rule))
        )


def _find(ws, text: str):
    for row in ws.iter_rows():
        for cell in row:
            if cell.value == text:
                return cell
    raise AssertionError(text)


def test_a_located_typo_is_one_error_with_its_consequences_under_it(made):
    """教育局 raised 本年新收·总计 by one: one located typo and the failing sums that follow from it.
    Both sheets list it as the terminal and the annotated copy do: counted once, consequences
    under their root, naming it."""
    _box, data, wb = made
    [file] = [f for f in data["files"] if f["file"] == "教育局.json"]
    located = [i for i, f in enumerate(file["findings"]) if f.get("located")]
    follows = [f for f in file["findings"] if f.get("caused_by") is not None]
    assert len(located) == 1 and follows and all(f["caused_by"] == located[0] for f in follows)
    root = file["findings"][located[0]]
    [status] = [r for r in rows(wb["报送情况"], 4) if r[1] == "汾西县教育局"]
    assert status[7] == 1 and file["errors"] == 1 + len(follows)  # 错误 by root cause
    assert status[9].startswith(f"[错误] {root['message']}（另有 {len(follows)} 条连带结果）")
    listed = [r for r in rows(wb["问题清单"], 2) if r[1] == "教育局.json"]
    assert listed[0][2] == 1 and listed[0][7] == root["message"] and listed[0][8] == f"另有 {len(follows)} 条连带结果"
    where = root["cells"][0]["ref"]
    assert [r[8] for r in listed[1 : 1 + len(follows)]] == [f"第 1 条（{where}）的连带结果"] * len(follows)
    assert [r[7] for r in listed[1 : 1 + len(follows)]] == [f["message"] for f in follows]


def _blocks(ws) -> dict[str, int]:
    """The first row of each group's block in a 汇总 sheet, by its caption."""
    out = {}
    for row in ws.iter_rows(min_col=1, max_col=1):
        text = row[0].value
        if isinstance(text, str) and "汇总（" in text and "计入" in text:
            who = text.split("汇总（", 1)[1].split("）", 1)[0]
            out["全部单位" if who == "全部单位" else who.split("“")[1].split("”")[0]] = row[0].row
    return out


def _find_below(ws, text: str, start: int):
    for row in ws.iter_rows(min_row=start):
        for cell in row:
            if cell.value == text:
                return cell
    raise AssertionError(text)


def test_totals_sheets_in_official_layout(made):
    """One sheet per official table, the template's columns and rows: 全部单位, then a block per
    机关类型, each on its own page; every figure where the template has it."""
    box, _data, wb = made
    r = box.reports
    groups = {
        "全部单位": [r["fenxi"], r["pingtan"], r["health"]],
        "政府": [r["pingtan"]],
        "部门": [r["fenxi"], r["health"]],
        "乡镇": [],
    }
    blocks = {name: _blocks(wb[f"汇总-{name}"]) for name in ("表二", "表三", "表四")}
    for name, starts in blocks.items():
        assert list(starts) == list(groups), name
        ws = wb[f"汇总-{name}"]
        assert [b.id + 1 for b in ws.row_breaks.brk] == list(starts.values())[1:]  # a page break above each block
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth in (None, 1)
        assert not ws.sheet_properties.pageSetUpPr or not ws.sheet_properties.pageSetUpPr.fitToPage
    template = get_format()
    t3 = next(s for s in template.sheets if s.name == "表三")
    ws = wb["汇总-表三"]
    assert [ws.column_dimensions[c].width for c in "ABCD"] == [
        pytest.approx(w, abs=1) for _c, w in t3.column_widths[:4]
    ]
    for group, reports in groups.items():
        sums = independent_sum(reports)
        start = blocks["表三"][group]
        ws = wb["汇总-表三"]
        assert f"计入 {len(reports)} 个单位" in ws.cell(start, 1).value
        new = _find_below(ws, "一、本年新收政府信息公开申请数量", start)
        got = [ws.cell(row=new.row, column=4 + i).value for i in range(7)]
        assert got == [sums[f"applications.new.{c}"] for c in T3_COLUMN_KEYS], group
        forward = _find_below(ws, "四、结转下年度继续办理", start)
        assert ws.cell(row=forward.row, column=10).value == sums["applications.carried_forward.total"]
        denied = _find_below(ws, "（三）不予公开", start)
        merged = next(m for m in ws.merged_cells.ranges if m.min_row == denied.row and m.min_col == denied.column)
        assert merged.max_row - merged.min_row + 1 == 8  # the official table's 8 不予公开 rows
        assert ws.row_dimensions[start + 1].height == 30  # the template's header heights
        ws = wb["汇总-表二"]
        fee = _find_below(ws, "行政事业性收费", blocks["表二"][group])
        assert Decimal(str(ws.cell(row=fee.row, column=2).value)) == sums["proactive.fees.amount_wan_yuan"]
        ws = wb["汇总-表四"]
        review = _find_below(ws, "行政复议", blocks["表四"][group])
        assert ws.cell(row=review.row + 3, column=5).value == sums["review_litigation.review.total"]
    for name in blocks:
        assert not any(c.value == "自动核对" for row in wb[f"汇总-{name}"].iter_rows() for c in row)


def test_detail_sheet_one_row_per_body_with_official_labels(made):
    _box, data, wb = made
    ws = wb["分单位明细"]
    header = rows(ws)[0]
    assert list(header[6:]) == [c.label for c in FMT.figure_cells()]
    assert ws.freeze_panes == "B2" and ws.auto_filter.ref
    body_rows = rows(ws, 2)
    versions = sum(len(b["versions"] or b["wrong_year"]) for b in data["bodies"])
    assert len(body_rows) == versions
    fenxi = next(r for r in body_rows if r[0] == "汾西县人民政府办公室")
    totals = {k: v for k, v in zip(header[6:], fenxi[6:])}
    assert totals[FMT.cell("applications.new.total").label] == 3
    assert fenxi[4] == "是"


def test_hostile_names_stay_text(tmp_path):
    from conftest import run_cli

    inbox = tmp_path / "inbox"
    write_json(inbox / "a.json", renamed(source("fenxi-zfb_2023"), '=HYPERLINK("http://x","y")'))
    assert run_cli("collect", inbox, "-o", tmp_path / "s.xlsx", "--quiet").code == 0
    wb = openpyxl.load_workbook(tmp_path / "s.xlsx")
    cell = wb["报送情况"]["B4"]
    assert cell.value == '=HYPERLINK("http://x","y")' and cell.data_type == "s"


@pytest.mark.libreoffice
def test_opens_in_libreoffice(made, tmp_path):
    from support.libreoffice import clean_env, require_libreoffice

    require_libreoffice()
    box, _data, _wb = made
    out = tmp_path / "lo"
    proc = subprocess.run(
        [
            "soffice",
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76",
            "--outdir",
            str(out),
            str(box.root / "汇总.xlsx"),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        env=clean_env(),
    )
    assert proc.returncode == 0, proc.stderr
    text = (out / "汇总.csv").read_bytes().decode("utf-8", "replace")
    assert "汾西县人民政府办公室" in text and "重复报送" in text


RAW_VALUES = [
    "机关",
    "",
    "  前后空格 ",
    'a & b < c > d "q"',
    "控制\x01字符 _x0001_",
    "<r><t>x</t></r>",
    "长" * 40_000,
    0,
    7,
    10**15 - 1,
    10**15,
    10**20,
    Decimal("0.5"),
    Decimal("12.34"),
    Decimal("123456789012.3456"),
    Decimal("1E+3"),
    "?1,2",
]


def _sheet_xml(path, name="xl/worksheets/sheet1.xml") -> str:
    import zipfile

    with zipfile.ZipFile(path) as z:
        return z.read(name).decode("utf-8")


def test_raw_detail_rows_are_the_xml_xlsxwriter_writes(tmp_path):
    """分单位明细 bypasses XlsxWriter's per-cell path for speed; its rows must be byte for byte
    what ``write_string``/``write_number`` give (``_text``/``_number``), apart from a text shaped
    like rich-string XML, which the raw writer keeps as text."""
    import xlsxwriter

    from validator.collect.workbook import RawRows, _number, _text

    plain = [v for v in RAW_VALUES if not (isinstance(v, str) and v.startswith("<r>"))]
    rows = [plain, list(reversed(plain)), [1, 2, 3]]
    heights = [None, 30.0, 45.3]  # 报送情况's rows of wrapped text carry one
    out = {}
    for mode in ("xlsxwriter", "raw"):
        path = tmp_path / f"{mode}.xlsx"
        wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        ws = wb.add_worksheet("分单位明细")
        fmt = wb.add_format({"border": 1})
        ws.write_string(0, 0, "表头", fmt)
        ws.set_row(0, 60)
        if mode == "raw":
            raw = RawRows(ws, fmt, 1, len(plain))
            for values, height in zip(rows, heights):
                raw.write(values, height=height)
        else:
            for r, (values, height) in enumerate(zip(rows, heights), 1):
                if height is not None:
                    ws.set_row(r, height)
                for c, value in enumerate(values):
                    (_text if isinstance(value, str) else _number)(ws, r, c, value, fmt)
        ws.autofilter(0, 0, len(rows), len(plain) - 1)
        wb.close()
        out[mode] = _sheet_xml(path)
    assert out["raw"] == out["xlsxwriter"]
    ws = openpyxl.load_workbook(tmp_path / "raw.xlsx")["分单位明细"]
    shown = [c.value for c in ws[2]]
    assert shown[0] == "机关" and shown[plain.index(10**15 - 1)] == 10**15 - 1
    assert shown[plain.index(10**15)] == "1000000000000000"  # beyond 15 digits: text, never rounded
    assert shown[plain.index(Decimal("0.5"))] == 0.5


def test_raw_rows_keep_rich_string_lookalikes_as_text(tmp_path):
    import xlsxwriter

    from validator.collect.workbook import RawRows

    path = tmp_path / "rich.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("s")
    RawRows(ws, wb.add_format({}), 0, 2).write(["<r><t>x</t></r>", "<r>&</r>"])
    wb.close()
    ws = openpyxl.load_workbook(path)["s"]
    assert [ws.cell(1, 1).value, ws.cell(1, 2).value] == ["<r><t>x</t></r>", "<r>&</r>"]


@pytest.mark.slow
def test_detail_shows_an_unreadable_figure_as_entered_with_include_failed(tmp_path):
    """A figure that is not a number (kept in the JSON's ``unreadable``) fails its report; with
    --include-failed the body is counted, 分单位明细 shows the figure exactly as entered, and
    the 汇总 says which sums are incomplete instead of adding a wrong number."""
    from conftest import run_cli

    key = "proactive.licensing.decisions"
    bad = renamed(source("fenxi-zfb_2023"), "汾西县民政局")
    put(bad, key, None)
    bad["unreadable"] = {key: "约12件"}
    good = source("fenxi-zfb_2023")
    write_json(tmp_path / "inbox" / "bad.json", bad)
    write_json(tmp_path / "inbox" / "good.json", good)
    for include in (False, True):
        out, res = tmp_path / f"s{include}.xlsx", tmp_path / f"r{include}.json"
        result = run_cli(
            "collect",
            tmp_path / "inbox",
            "-o",
            out,
            "--json",
            res,
            "--quiet",
            *(["--include-failed"] if include else []),
        )
        assert result.code == 1, result.out + result.err
        data = json.loads(res.read_text(encoding="utf-8"))
        total = data["totals"]["合计"]
        wb = openpyxl.load_workbook(out)
        ws = wb["分单位明细"]
        header = [c.value for c in ws[1]]
        col = header.index(FMT.cell(key).label)
        shown = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True)}
        assert shown["汾西县民政局"][col] == "约12件"  # as entered, never 0 or blank
        assert shown["汾西县民政局"][4] == ("是" if include else "否")
        assert shown[good["body"]["name"]][col] == get(good, key)
        assert total["figures"][key] == get(good, key)  # the unreadable one is never added
        if include:
            assert total["incomplete"] == {key: 1}
            assert "有 1 项数字因部分单位填写有误未计入" in wb["汇总-表二"]["A2"].value
        else:
            assert "incomplete" not in total and wb["汇总-表二"]["A2"].value == "第二十条第（一）项"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["<r>&</r>", "<r><t>假</t></r>", "=1+1"])
def test_a_body_name_shaped_like_markup_or_a_formula_is_shown_as_typed(tmp_path, name):
    """XlsxWriter's streaming mode writes a text shaped like ``<r>…</r>`` into the XML raw: one
    such body name made the whole 汇总.xlsx unreadable. Every sheet shows it exactly."""
    from conftest import run_cli

    report = renamed(source("fenxi-zfb_2023"), name)
    put(report, "applications.new.total", get(report, "applications.new.total") + 1)  # a finding, so 问题清单 has it
    write_json(tmp_path / "inbox" / "a.json", report)
    result = run_cli("collect", tmp_path / "inbox", "-o", tmp_path / "s.xlsx", "--quiet")
    assert result.code == 1, result.err
    wb = openpyxl.load_workbook(tmp_path / "s.xlsx")
    assert wb["报送情况"]["B4"].value == name
    assert wb["问题清单"]["A2"].value == name
    assert wb["分单位明细"]["A2"].value == name
    assert wb["报送情况"]["K4"].hyperlink is not None  # the row went through XlsxWriter's own path
